import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../src/core/csv/errors';
import { generate } from '../../src/core/generate';
import { Random } from '../../src/core/random';
import { tempDir, tempFile } from '../helpers/files';

/** `columns` unrelated columns of `rows` rows: numbers, small integers and categories drawn independently. */
function unrelatedCsv(columns: number, rows: number, seed = 4): string {
  const random = new Random(seed);
  const lines = [Array.from({ length: columns }, (_, j) => `c${j}`).join(',')];
  for (let i = 0; i < rows; i++) {
    lines.push(Array.from({ length: columns }, (_, j) => (j % 3 === 0 ? (random.normal() * 10 + 50).toFixed(2) : j % 3 === 1 ? String(random.int(100)) : 'abcde'[random.int(5)])).join(','));
  }
  return lines.join('\n') + '\n';
}

/** Run the default DP generator; the phases it reached, and its error. */
async function attempt(file: string, epsilon = 3, generator?: 'marginals'): Promise<{ phases: string[]; error: unknown; out: string }> {
  const out = path.join(tempDir(), 'out.synthetic.csv');
  const phases: string[] = [];
  try {
    await generate({ input: file, out, privacy: { epsilon }, evaluate: false, generator, onPhase: (_, message) => phases.push(message) });
    return { phases, error: undefined, out };
  } catch (error) {
    return { phases, error, out };
  }
}

test('a wide file too short for the budget is refused before any pair is chosen, naming the file and what fewer columns would need', async () => {
  const file = tempFile('wide.csv', unrelatedCsv(600, 200));
  const { phases, error, out } = await attempt(file);
  assert.ok(error instanceof InputError, String(error));
  assert.equal(error.file, 'wide.csv');
  assert.match(error.message, /^wide\.csv: too few rows for this privacy budget: the file has about -?[\d,]+ training rows \(a noisy count\), and its 600 modelled columns share the budget \([\d,]+ noisy counts\)/);
  const needed = (message: string): number => Number(/need at least ([\d,]+) rows/.exec(message)![1].replace(/,/g, ''));
  const quarter = /or fewer columns: the rows needed grow with the square root of the columns \(150 columns would need about ([\d,]+) rows; exclude columns in a schema\)\.$/.exec(error.message);
  assert.ok(quarter, error.message);
  // A quarter of the columns, half the rows: and the same file cut to 150 columns says so when refused.
  const stated = Number(quarter[1].replace(/,/g, ''));
  assert.ok(Math.abs(stated - needed(error.message) / 2) <= needed(error.message) * 0.05, error.message);
  // Refused when the column statistics are released, before the pairs are chosen or anything is written.
  assert.ok(!phases.some((p) => /column pairs|Sampling/.test(p)), phases.join('\n'));
  assert.equal(fs.readdirSync(path.dirname(out)).length, 0);
  const narrower = await attempt(tempFile('narrower.csv', unrelatedCsv(150, 100)));
  assert.ok(narrower.error instanceof InputError, String(narrower.error));
  assert.ok(Math.abs(needed(narrower.error.message) - stated) <= stated * 0.05, narrower.error.message);
});

test('a tiny file is refused naming the file and the rows needed, without suggesting fewer columns when one would not fit', async () => {
  const { error } = await attempt(tempFile('tiny.csv', unrelatedCsv(6, 30)));
  assert.ok(error instanceof InputError, String(error));
  assert.match(error.message, /^tiny\.csv: too few rows for this privacy budget: .* need at least [\d,]+ rows\. Use a larger file, a larger --epsilon, or --generator marginals \(it spends the whole budget on these counts\)\.$/);
  // With the marginals generator already chosen, it is not suggested.
  const marginals = await attempt(tempFile('tiny.csv', unrelatedCsv(6, 30)), 3, 'marginals');
  assert.ok(marginals.error instanceof InputError, String(marginals.error));
  assert.match(marginals.error.message, /need at least [\d,]+ rows\. Use a larger file or a larger --epsilon\.$/);
});
