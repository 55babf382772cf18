/**
 * Under DP, a code column with hundreds of values that each clear the release threshold is capped
 * at DEFAULT_LEVEL_CAP levels: the most frequent by released count are kept, the rest grouped in
 * "Other", and the ledger says so (#13).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { privateStatistics } from '../../src/core/privacy/preprocess';
import { DEFAULT_LEVEL_CAP } from '../../src/core/transform/transformer';
import { generate } from '../../src/core/generate';
import { inferSchema } from '../../src/core/schema/infer';
import { loadTable } from '../../src/core/table';
import { tempDir, tempFile } from '../helpers/files';
import { seededSecure } from '../helpers/random';

/** 400 codes, code i held by 20 + i rows (20..419), with a number column beside them. */
function codesCsv(): string {
  const lines = ['code,dose'];
  for (let i = 0; i < 400; i++) for (let k = 0; k < 20 + i; k++) lines.push(`C${String(i).padStart(3, '0')},${(k % 9) + 1}`);
  return lines.join('\n') + '\n';
}

test('DP: a code column of 400 released values keeps the 99 most frequent and groups the rest in Other', async () => {
  const file = tempFile('codes.csv', codesCsv());
  const schema = await inferSchema(file);
  assert.equal(schema.columns[0].kind, 'categorical');
  const table = await loadTable(file, schema);
  const stats = privateStatistics(schema, table, { rho: 1, thresholdDelta: 1e-7, random: seededSecure(4), needsCounts: true });
  const code = stats.facts[0]!;
  assert.equal(code.type, 'categorical');
  if (code.type !== 'categorical') return;
  assert.equal(code.levels.length, DEFAULT_LEVEL_CAP, 'the cap, Other included');
  assert.equal(code.otherLevel, 'Other');
  const kept = code.levels.filter((l) => l !== 'Other').map((l) => Number(l.slice(1)));
  // Code i has 20 + i rows and the noise is about 1 row: the kept ones are the top 99 (301..399),
  // give or take a neighbour at the boundary.
  assert.ok(Math.min(...kept) >= 295, `smallest kept code ${Math.min(...kept)}`);
  const h = stats.histograms[0]!;
  assert.equal(h.type, 'categorical');
  if (h.type === 'categorical') {
    const other = h.counts[h.levels.indexOf('Other')];
    // The grouped codes 0..300 hold 20 * 301 + 300 * 301 / 2 = 51,170 rows.
    assert.ok(Math.abs(other - 51_170) < 200, `Other holds the grouped rows (${other})`);
  }
  const release = stats.releases.find((r) => r.column === 'code')!;
  assert.match(release.what, /301 more categories cleared it than the cap of 100 levels allows: they are grouped in "Other"/);
});

test('DP generation writes at most the capped number of distinct codes and the card states the cap', async () => {
  const dir = tempDir();
  const input = path.join(dir, 'codes.csv');
  fs.writeFileSync(input, codesCsv());
  const out = path.join(dir, 'codes.synthetic.csv');
  const result = await generate({ input, out, seed: 1, evaluate: false, generator: 'marginals', privacy: { epsilon: 10 } });
  const rows = parse(fs.readFileSync(out, 'utf8'), { columns: true }) as { code: string }[];
  const distinct = new Set(rows.map((r) => r.code));
  assert.ok(distinct.size <= DEFAULT_LEVEL_CAP, `${distinct.size} distinct codes`);
  assert.ok(distinct.size > 50, 'the kept codes are written');
  assert.ok(distinct.has('Other'));
  assert.match(JSON.stringify(result.card.privacy), /cap of 100 levels/);
});
