/**
 * Bounds declared public as observed (the data's own smallest and largest values, as a data
 * dictionary publishes them): the synthetic column reaches both, with every generator and in
 * `sample`, without breaking a rule the rows keep. Bounds declared without it are a possible range
 * that values may stop short of; a date written as an offset from another keeps them too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { generate } from '../../src/core/generate';
import { reachObservedRanges, withoutObservedRanges } from '../../src/core/observed-range';
import { sampleFromModel } from '../../src/core/sample-model';
import { reflectInto } from '../../src/core/rules/layer';
import { inferSchema } from '../../src/core/schema/infer';
import type { Rule, Schema } from '../../src/core/schema/types';
import type { ColumnData } from '../../src/core/table';
import { tempDir, tempFile } from '../helpers/files';

/**
 * Stays of 1 to 12 days, and 4 stays of 150 to 200 days among 2,000: a tail too thin to show
 * under the noise. Admission dates over 2023, discharge = admission + stay.
 */
function staysCsv(): string {
  const lines = ['admitted,discharged,stay,ward'];
  const day0 = Date.UTC(2023, 0, 1);
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  for (let i = 0; i < 2000; i++) {
    const stay = i < 4 ? 150 + ((i * 17) % 51) : 1 + ((i * 7) % 12);
    const admitted = day0 + ((i * 37) % 360) * 86400000;
    lines.push(`${iso(admitted)},${iso(admitted + stay * 86400000)},${i === 3 ? 200 : stay},${['A', 'B', 'C'][i % 3]}`);
  }
  return lines.join('\n') + '\n';
}

const ORDER: Rule = { kind: 'order', low: 'admitted', high: 'discharged', source: 'declared', enforce: true };

async function declared(file: string, observed: boolean): Promise<Schema> {
  const schema = await inferSchema(file);
  return {
    ...schema,
    rules: [ORDER],
    columns: schema.columns.map((c) =>
      c.name === 'stay' ? { ...c, public: { bounds: { min: 1, max: 200, ...(observed ? { observed: true } : {}) } } } : c.name === 'discharged' ? { ...c, public: { bounds: { min: c.min!, max: c.max!, ...(observed ? { observed: true } : {}) } } } : c.name === 'admitted' ? { ...c, public: { bounds: { min: c.min!, max: c.max! } } } : c,
    ),
  };
}

function read(file: string): Record<string, string>[] {
  return parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
}

/** Smallest and largest of the values present (the DP release may write a few cells missing). */
const range = (cells: string[]): [number, number] => {
  const values = cells.filter((c) => c !== '').map(Number);
  return [Math.min(...values), Math.max(...values)];
};
const present = (cells: string[]): string[] => cells.filter((c) => c !== '').sort();

for (const generator of ['pgm', 'marginals', 'tvae'] as const) {
  test(`DP ${generator} run: a column with an observed range reaches both ends, the order rule holds in every row, and the card says so; without "observed" the thin tail stops short`, async () => {
    const file = tempFile('stays.csv', staysCsv());
    const dir = tempDir();
    const out = path.join(dir, 'observed.csv');
    const { card } = await generate({ input: file, out, schema: await declared(file, true), generator, privacy: { epsilon: 1 }, privacyUnit: 'row', evaluate: false, seed: 2 });
    const rows = read(out);
    assert.deepEqual(range(rows.map((r) => r.stay)), [1, 200]);
    // Discharge dates are written as offsets from admission (the order rule), within their bounds.
    const discharged = present(rows.map((r) => r.discharged));
    const real = present(read(file).map((r) => r.discharged));
    // The earliest discharge can only be written in a row admitted by then: when no row among the
    // earliest drawn was, the card says the range was not reached.
    const reached = discharged[0] === real[0] && discharged[discharged.length - 1] === real[real.length - 1];
    const note = card.notes.find((n) => /do not reach the observed range declared for discharged:/.test(n));
    assert.ok(reached !== !!note, `${discharged[0]} .. ${discharged[discharged.length - 1]}; ${note}`);
    assert.ok(discharged[0] >= real[0] && discharged[discharged.length - 1] <= real[real.length - 1]);
    assert.ok(rows.every((r) => r.admitted === '' || r.discharged === '' || r.admitted <= r.discharged), 'a row discharged before its admission');
    assert.match(card.columns.find((c) => c.name === 'stay')!.handling, /reaches its observed range \(declared public\)/);
    assert.ok(card.privacy.declaredPublic!.some((f) => f === 'stay: bounds 1 .. 200, observed (the synthetic column reaches both)'), card.privacy.declaredPublic!.join('\n'));

    const plainOut = path.join(dir, 'possible.csv');
    await generate({ input: file, out: plainOut, schema: await declared(file, false), generator, privacy: { epsilon: 1 }, privacyUnit: 'row', evaluate: false, seed: 2 });
    const plainRows = read(plainOut);
    const [, plainMax] = range(plainRows.map((r) => r.stay));
    assert.ok(plainMax < 200, `stays written up to ${plainMax} without an observed range`);
    // A declared bound holds of a date written as an offset from another: a long stay drawn for a
    // late admission used to pass it (15-40 rows of 1,600).
    const beyond = plainRows.filter((r) => r.discharged !== '' && (r.discharged > real[real.length - 1] || r.discharged < real[0]));
    assert.equal(beyond.length, 0, beyond.slice(0, 3).map((r) => r.discharged).join(', '));
    assert.ok(plainRows.every((r) => r.admitted === '' || r.discharged === '' || r.admitted <= r.discharged));
  });
}

test('`sample` from the model reaches the observed range too; rows drawn for --where (a subset) are drawn without it', async () => {
  const file = tempFile('stays.csv', staysCsv());
  const dir = tempDir();
  const out = path.join(dir, 'syn.csv');
  await generate({ input: file, out, schema: await declared(file, true), generator: 'pgm', privacy: { epsilon: 1 }, privacyUnit: 'row', evaluate: false, seed: 4 });
  const model = out.replace(/\.csv$/, '.model');
  let text = '';
  await sampleFromModel({ model, rows: 500, seed: 9 }, async (t) => void (text += t));
  const again = parse(text, { columns: true }) as Record<string, string>[];
  assert.equal(again.length, 500);
  assert.deepEqual(range(again.map((r) => r.stay)), [1, 200]);
  // Rows drawn for --where are filtered afterwards: their drawing keeps no observed range.
  const schema = await declared(file, true);
  assert.equal(withoutObservedRanges(schema).columns.find((c) => c.name === 'stay')!.public!.bounds!.observed, undefined);
  assert.equal(withoutObservedRanges(schema).columns.find((c) => c.name === 'stay')!.public!.bounds!.max, 200);
});

test('a value past a bound is reflected inside it, so rows past it do not pile up on it', () => {
  assert.equal(reflectInto(5, 0, 10), 5);
  assert.equal(reflectInto(13, 0, 10), 7);
  assert.equal(reflectInto(-2, 0, 10), 2);
  assert.equal(reflectInto(25, 0, 10), 5);
  assert.equal(reflectInto(12, 4, 4), 4);
});

test('the most extreme row that keeps the rules takes the bound; a column no candidate can reach is reported', () => {
  const schema = {
    columns: [
      { name: 'a', index: 0, kind: 'integer', public: { bounds: { min: 0, max: 100, observed: true } } },
      { name: 'b', index: 1, kind: 'integer', public: { bounds: { min: 0, max: 100, observed: true } } },
      { name: 'c', index: 2, kind: 'integer', public: { bounds: { min: 0, max: 100 } } },
    ],
  } as unknown as Schema;
  const column = (values: number[]): ColumnData => ({ type: 'numeric', values: Float64Array.from(values) });
  const columns = [column([5, 9, NaN, 7, 3]), column([50, 50, 50, 50, 50]), column([5, 9, 1, 7, 3])];
  // Row 1 holds a's largest value but may not change (a rule it would break); row 3 is next.
  const unreached = reachObservedRanges(schema, columns, 5, (row) => row !== 1 || columns[0].type !== 'numeric' || columns[0].values[1] === 9, () => false);
  const a = (columns[0] as { values: Float64Array }).values;
  assert.deepEqual(Array.from(a), [5, 9, NaN, 100, 0]);
  // b: every row may change; c: bounds without "observed" are left alone.
  assert.deepEqual(unreached, []);
  assert.deepEqual(Array.from((columns[2] as { values: Float64Array }).values), [5, 9, 1, 7, 3]);
  const b = Array.from((columns[1] as { values: Float64Array }).values);
  assert.equal(Math.min(...b), 0);
  assert.equal(Math.max(...b), 100);
  // A column whose every candidate breaks a rule is named, and left as drawn.
  const stuck = [column([5, 9, 1, 7, 3])];
  const one = { columns: [schema.columns[0]] } as unknown as Schema;
  assert.deepEqual(reachObservedRanges(one, stuck, 5, () => false, () => false), [{ column: 'a', reason: 'rules' }]);
  assert.deepEqual(Array.from((stuck[0] as { values: Float64Array }).values), [5, 9, 1, 7, 3]);
  // A column something else sets (an entity constant) is left alone, and named.
  const held = [column([5, 9, 1, 7, 3])];
  assert.deepEqual(reachObservedRanges(one, held, 5, () => true, () => true), [{ column: 'a', reason: 'entities' }]);
  assert.deepEqual(Array.from((held[0] as { values: Float64Array }).values), [5, 9, 1, 7, 3]);
});
