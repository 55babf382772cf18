/**
 * Regenerates examples/patients.csv from the seeded simulator (`npm run examples`).
 * The file is committed so users can try the tool without data of their own; the unit test
 * test/unit/demo-data.test.ts fails if it no longer matches what the simulator produces.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePatientsCsv } from '../src/core/demo/patients';

const examplesDir = join(__dirname, '..', 'examples');
const target = join(examplesDir, 'patients.csv');

mkdirSync(examplesDir, { recursive: true });
const text = generatePatientsCsv();
writeFileSync(target, text, 'utf8');
const rows = text.split('\n').length - 2; // minus header and the empty string after the final LF
console.log(`wrote ${target}: ${rows} rows, ${Buffer.byteLength(text, 'utf8')} bytes`);
