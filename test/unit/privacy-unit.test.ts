import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { normalQuantile, privateStatistics, type ColumnHistogram } from '../../src/core/privacy/preprocess';
import { boundContributions, chooseMaxRowsPerUnit, estimatedRows, groupByUnit, subsetTable, UNIT_SIZE_GRID, unitSizeBin, unitSizeCounts } from '../../src/core/privacy/units';
import { generate } from '../../src/core/generate';
import { ledger } from '../../src/core/privacy/budget';
import { inferSchema } from '../../src/core/schema/infer';
import { parseSchema, schemaToJson } from '../../src/core/schema/schema-file';
import { withPrivacyUnit } from '../../src/core/schema/privacy-unit';
import type { Schema } from '../../src/core/schema/types';
import { loadTable, type Table } from '../../src/core/table';
import { Random } from '../../src/core/random';
import { tempDir, tempFile } from '../helpers/files';
import { seededSecure } from '../helpers/random';

/**
 * Prescriptions-like rows: patients with a few rows each, and patient 1000 with `heavy` rows all
 * of one drug, route and dose (the worst case: every row in one bin of every histogram).
 */
function prescriptions(heavy: number, patients = 60, seed = 5): string {
  const random = new Random(seed);
  const lines = ['row_id,subject_id,hadm_id,route,dose,startdate'];
  let row = 1;
  for (let p = 0; p < patients; p++) {
    const rows = 1 + random.int(8);
    for (let i = 0; i < rows; i++) {
      const route = ['PO', 'IV', 'SC'][random.int(3)];
      lines.push(`${row++},${40000 + p},${150000 + p * 3 + random.int(2)},${route},${1 + random.int(40)},2150-0${1 + random.int(9)}-1${random.int(10)}`);
    }
  }
  for (let i = 0; i < heavy; i++) lines.push(`${row++},41000,159999,NG,99,2150-05-15`);
  return lines.join('\n') + '\n';
}

/** The schema of `prescriptions` with public bounds and categories, so both files bin alike. */
async function publicSchema(file: string): Promise<Schema> {
  const schema = await inferSchema(file);
  for (const c of schema.columns) {
    if (c.name === 'route') c.public = { categories: ['PO', 'IV', 'SC', 'NG'] };
    if (c.name === 'dose') c.public = { bounds: { min: 1, max: 100 } };
    if (c.name === 'startdate') c.public = { bounds: { min: '2150-01-01', max: '2150-12-31' } };
  }
  return schema;
}

function slots(h: ColumnHistogram | undefined): number[] {
  if (!h) return [];
  return h.type === 'categorical' ? [...h.counts, h.missing] : [...h.counts, h.zero, h.missing];
}

function l2(a: number[], b: number[]): number {
  assert.equal(a.length, b.length, 'the two releases have the same bins');
  return Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0));
}

async function bounded(file: string, schema: Schema, k: number): Promise<Table> {
  const table = await loadTable(file, schema, { unitColumn: 'subject_id' });
  return subsetTable(table, boundContributions(groupByUnit(table.units!), k, Random.secure()));
}

test('a person with 1,000 rows moves each released histogram by at most k (L2) once bounded to k rows', async () => {
  const withHeavy = tempFile('rx.csv', prescriptions(1000));
  const without = tempFile('rx.csv', prescriptions(0));
  const schema = await publicSchema(withHeavy);
  const k = 8;
  // Patients other than the heavy one hold at most 8 rows: bounding leaves them as they are.
  const options = { rho: 1e9, thresholdDelta: 1e-9, needsCounts: true, maxRowsPerUnit: k };
  const a = privateStatistics(schema, await bounded(withHeavy, schema, k), { ...options, random: seededSecure(1) });
  const b = privateStatistics(schema, await bounded(without, schema, k), { ...options, random: seededSecure(1) });
  let compared = 0;
  for (let c = 0; c < schema.columns.length; c++) {
    if (!a.histograms[c]) continue;
    const distance = l2(slots(a.histograms[c]), slots(b.histograms[c]));
    assert.ok(distance <= k + 1e-9, `${schema.columns[c].name}: moved by ${distance} > k = ${k}`);
    assert.ok(distance > k / 2, `${schema.columns[c].name}: the heavy person's rows are seen (moved by ${distance})`);
    compared++;
  }
  assert.equal(compared, 3);
  // The same person unbounded would move a histogram by 1,000: the bound is what keeps it at k.
  const raw = privateStatistics(schema, await loadTable(withHeavy, schema), { ...options, random: seededSecure(1) });
  const route = schema.columns.findIndex((c) => c.name === 'route');
  assert.ok(l2(slots(raw.histograms[route]), slots(b.histograms[route])) > 900);
});

test('noise and category thresholds scale with k for the same budget', async () => {
  const file = tempFile('rx.csv', prescriptions(50));
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const row = privateStatistics(schema, table, { rho: 50, thresholdDelta: 1e-6, random: seededSecure(2), needsCounts: true });
  const person = privateStatistics(schema, table, { rho: 50, thresholdDelta: 1e-6, random: seededSecure(2), needsCounts: true, maxRowsPerUnit: 20 });
  assert.equal(row.releases.length, person.releases.length);
  row.releases.forEach((r, i) => {
    assert.equal(person.releases[i].rho, r.rho, 'same budget per release');
    assert.ok(Math.abs(person.releases[i].sigma! - 20 * r.sigma!) < 1e-9 * r.sigma!, 'noise 20 times larger');
  });
  const threshold = (what: string): number => Number(/noisy count of (\d+)/.exec(what)![1]);
  const routeRow = row.releases.find((r) => r.column === 'route')!;
  const routePerson = person.releases.find((r) => r.column === 'route')!;
  // 1 + sigma z against 20 + 20 sigma z': one person's categories (up to 20 rows of one, or 20
  // of their own) stay as unlikely to show as one row's.
  assert.equal(threshold(routeRow.what), Math.round(1 + routeRow.sigma! * normalQuantile(1 - 1e-6)));
  assert.equal(threshold(routePerson.what), Math.round(20 + routePerson.sigma! * normalQuantile(1 - 1e-6 / 20)));
});

test('bounding keeps at most k rows per person, chosen at random, in time linear in the rows', () => {
  // One person with 50,000 rows among 1,000 people of 1 to 5 rows.
  const units: number[] = [];
  for (let p = 0; p < 1000; p++) for (let i = 0; i <= p % 5; i++) units.push(p);
  for (let i = 0; i < 50_000; i++) units.splice(units.length - (i % 7), 0, 1000);
  const groups = groupByUnit(Int32Array.from(units));
  const k = 3;
  const hits = new Float64Array(units.length);
  const runs = 300;
  for (let run = 0; run < runs; run++) {
    const kept = boundContributions(groups, k, new Random(run));
    const perUnit = new Map<number, number>();
    for (let i = 0; i < kept.length; i++) {
      if (i > 0) assert.ok(kept[i] > kept[i - 1], 'kept rows in file order');
      perUnit.set(units[kept[i]], (perUnit.get(units[kept[i]]) ?? 0) + 1);
      hits[kept[i]]++;
    }
    for (const [u, count] of perUnit) assert.ok(count === Math.min(k, (u % 5) + 1) || (u === 1000 && count === k), `person ${u} keeps ${count}`);
  }
  // People with at most k rows keep them all; the heavy person's rows are kept evenly (k/50,000 each).
  for (let r = 0; r < units.length; r++) if (units[r] !== 1000 && units[r] % 5 < k) assert.equal(hits[r], runs);
  const heavy = Array.from(hits).filter((_, r) => units[r] === 1000);
  const expected = (runs * k) / 50_000;
  const mean = heavy.reduce((a, b) => a + b, 0) / heavy.length;
  assert.ok(Math.abs(mean - expected) < 1e-9, 'exactly k per run');
  // No region of the heavy person's rows is favoured: tenths of them get a tenth of the picks each.
  for (let tenth = 0; tenth < 10; tenth++) {
    const share = heavy.slice(tenth * 5000, (tenth + 1) * 5000).reduce((a, b) => a + b, 0) / (runs * k);
    assert.ok(Math.abs(share - 0.1) < 0.04, `tenth ${tenth} holds ${share} of the picks`);
  }
  // A person of 4 rows with k = 3: each row is dropped about a quarter of the time.
  const four = Array.from(hits).filter((_, r) => units[r] === 3);
  for (const h of four) assert.ok(Math.abs(h / runs - 0.75) < 0.1);
});

test('the rows-per-person grid and the private choice of k', () => {
  assert.equal(unitSizeBin(1), 0);
  assert.equal(unitSizeBin(2), 1);
  assert.equal(UNIT_SIZE_GRID[unitSizeBin(1158)] <= 1158, true);
  assert.equal(UNIT_SIZE_GRID[unitSizeBin(1158) + 1] > 1158, true);
  assert.equal(unitSizeBin(1e9), UNIT_SIZE_GRID.length - 1);
  // 1,000 people with 40 rows each, 10 with 1,000: k = 40 when the noise cost per row of k is below
  // 1,000 people, and k stays there unless 10 people outweigh the noise.
  const units: number[] = [];
  for (let p = 0; p < 1010; p++) for (let i = 0; i < (p < 1000 ? 40 : 1000); i++) units.push(p);
  const counts = Array.from(unitSizeCounts(groupByUnit(Int32Array.from(units))));
  assert.equal(counts.reduce((a, b) => a + b, 0), 1010);
  const sigmaFor = (people: number): number => people / (16 * Math.sqrt(2 / Math.PI));
  assert.equal(chooseMaxRowsPerUnit(counts, 1010, sigmaFor(500)), UNIT_SIZE_GRID[unitSizeBin(40)]);
  assert.equal(chooseMaxRowsPerUnit(counts, 1010, sigmaFor(5)), UNIT_SIZE_GRID[unitSizeBin(1000)]);
  // With more noise per row than there are people, a person's extra rows never pay: k = 1.
  assert.equal(chooseMaxRowsPerUnit(counts, 1010, sigmaFor(2000)), 1);
  // The file's rows, estimated from the release for the output size: near the 50,000 rows, and
  // noise in an empty bin far out (people with millions of rows) does not count.
  const estimate = estimatedRows(counts, 1010, 1);
  assert.ok(Math.abs(estimate - 50_000) < 0.1 * 50_000, `estimated ${estimate} rows`);
  const farNoise = counts.slice();
  farNoise[UNIT_SIZE_GRID.length - 3] = 15;
  assert.equal(estimatedRows(farNoise, 1010, 1), estimate);
  // With more noise, the 10 people of 1,000 rows are within it and left out: the estimate is low.
  assert.ok(Math.abs(estimatedRows(counts, 1010, 5) - 40_000) < 0.1 * 40_000);
});

test('inference suggests the person column of a prescriptions-like file, with its reason', async () => {
  const schema = await inferSchema(tempFile('rx.csv', prescriptions(30)));
  const unit = schema.privacyUnit as { column: string; reason?: string; maxRowsPerUnit?: number };
  assert.equal(unit.column, 'subject_id', 'the person, not the admission (hadm_id)');
  assert.match(unit.reason!, /person key.*repeat/);
  assert.equal(unit.maxRowsPerUnit, undefined, 'k is chosen privately unless declared');
  // It survives the schema file, and the JSON Schema checks it.
  assert.deepEqual(parseSchema(schemaToJson(schema)).privacyUnit, schema.privacyUnit);
  assert.throws(() => parseSchema(schemaToJson({ ...schema, privacyUnit: { column: 'nope' } })), /privacyUnit names a column "nope"/);
  assert.throws(() => parseSchema(schemaToJson({ ...schema, privacyUnit: { column: 'subject_id', maxRowsPerUnit: 0 } })), /privacyUnit\/maxRowsPerUnit must be >= 1/);
});

test('inference: NHS numbers that repeat are a person; a repeating code that is not a person is not', async () => {
  const nhs = ['4010232137', '9434765919', '9434765870', '9434765889'];
  const random = new Random(3);
  const lines = ['nhs_no,ward_code,test,value'];
  for (let i = 0; i < 200; i++) lines.push(`${nhs[random.int(4)]},W${random.int(6)}${random.int(10)},${['Hb', 'Na', 'K'][random.int(3)]},${random.int(100)}`);
  const withNhs = await inferSchema(tempFile('labs.csv', lines.join('\n') + '\n'));
  assert.deepEqual(withNhs.privacyUnit && withNhs.privacyUnit !== 'row' ? withNhs.privacyUnit.column : undefined, 'nhs_no');

  const codes = ['visit_id,test,value'];
  for (let i = 0; i < 600; i++) codes.push(`V${String(100000 + random.int(200))},${['Hb', 'Na', 'K'][random.int(3)]},${random.int(100)}`);
  const schema = await inferSchema(tempFile('codes.csv', codes.join('\n') + '\n'));
  assert.equal(schema.columns[0].kind, 'identifier');
  assert.equal(schema.privacyUnit, undefined);
  const note = (schema.notes ?? []).find((n) => n.startsWith('Privacy unit'));
  assert.match(note ?? '', /visit_id repeats but does not name a person/);

  // One row per person: nothing changes (no unit, no note).
  const once = ['patient_id,age,sex'];
  for (let i = 0; i < 100; i++) once.push(`P${1000 + i},${20 + random.int(60)},${random.next() < 0.5 ? 'F' : 'M'}`);
  const single = await inferSchema(tempFile('people.csv', once.join('\n') + '\n'));
  assert.equal(single.privacyUnit, undefined);
  assert.ok(!(single.notes ?? []).some((n) => n.startsWith('Privacy unit')));
});

test('the unit can be set, bounded or put back to the row', async () => {
  const schema = await inferSchema(tempFile('rx.csv', prescriptions(30)));
  assert.deepEqual(withPrivacyUnit(schema, undefined, 20).privacyUnit, { column: 'subject_id', maxRowsPerUnit: 20, reason: (schema.privacyUnit as { reason: string }).reason });
  assert.deepEqual(withPrivacyUnit(schema, 'hadm_id').privacyUnit, { column: 'hadm_id', reason: 'set by the user' });
  assert.equal(withPrivacyUnit(schema, 'row').privacyUnit, 'row');
  assert.throws(() => withPrivacyUnit(schema, 'row', 5), /needs a privacy unit column/);
  assert.throws(() => withPrivacyUnit(schema, 'nope'), /no column "nope"/);
});

test('a DP run with a privacy unit states it in the card; row-level files keep "row"', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const input = path.join(dir, 'rx.csv');
  fs.writeFileSync(input, prescriptions(400, 200));
  const { card } = await generate({ input, privacy: { epsilon: 3 }, generator: 'marginals', maxRowsPerUnit: 6, evaluate: false, holdoutFraction: 0 });
  assert.deepEqual(Object.keys(card.privacy.unit as object).sort(), ['column', 'extraRows', 'maxRowsChosen', 'maxRowsPerUnit', 'noisyUnits']);
  const unit = card.privacy.unit as { column: string; maxRowsPerUnit: number; maxRowsChosen: string };
  assert.equal(unit.column, 'subject_id');
  assert.equal(unit.maxRowsPerUnit, 6);
  assert.match(unit.maxRowsChosen, /declared/);
  assert.match(card.privacy.statement, /protects each person identified by subject_id, with up to 6 of their rows/);
  assert.match(card.privacy.accountant!, /one person/);
  const releases = card.privacy.budget!.preprocessing.releases;
  assert.ok(releases.some((r) => /rows per subject_id/.test(r.what)), 'the rows-per-person release is in the ledger');
  assert.ok(Math.abs(releases.reduce((s, r) => s + r.rho, 0) - card.privacy.budget!.preprocessing.rho) < 1e-12, 'the ledger adds up');

  // A row count sets --max-training-rows' sampling rate; one person moves it without bound.
  await assert.rejects(
    generate({ input, privacy: { epsilon: 3 }, generator: 'marginals', maxTrainingRows: 100, evaluate: false, out: path.join(dir, 'capped.csv') }),
    /--max-training-rows samples rows.*--max-rows-per-unit/,
  );
  // The pgm generator bounds people's rows too: its pairs are measured on the bounded rows with
  // sensitivity k, in the same ledger, and the card says so. Noise k times as large releases only
  // categories above about 300 rows and can leave dose and startdate in one cell: a ward, a team
  // that follows it, a bay and a shift (the hub), each of two even values, leave a choice to make.
  const withWards = path.join(dir, 'rx-form.csv');
  const wards = new Random(9);
  const binaries = (random: Random): string => {
    const ward = random.int(2);
    const team = random.next() < 0.9 ? ward : 1 - ward;
    return `${'AB'[ward]},${'XY'[team]},${random.int(2) ? 'bay1' : 'bay2'},${random.int(2) ? 'day' : 'night'}`;
  };
  fs.writeFileSync(
    withWards,
    fs
      .readFileSync(input, 'utf8')
      .trim()
      .split('\n')
      .map((line, i) => (i === 0 ? `${line},ward,team,bay,shift` : `${line},${binaries(wards)}`))
      .join('\n') + '\n',
  );
  const pgm = await generate({ input: withWards, privacy: { epsilon: 3 }, generator: 'pgm', maxRowsPerUnit: 6, evaluate: false, holdoutFraction: 0, out: path.join(dir, 'pgm.csv') });
  assert.equal((pgm.card.privacy.unit as { maxRowsPerUnit: number }).maxRowsPerUnit, 6);
  assert.match(pgm.card.privacy.statement, /one person \(all rows with one subject_id value\); it protects each person identified by subject_id, with up to 6 of their rows: .* Rényi DP \(RDP\) accountant/);
  assert.match(pgm.card.privacy.accountant!, /one person \(all rows with one subject_id value, up to 6 of them\)/);
  assert.ok(pgm.card.privacy.epsilon! <= 3 + 1e-9, `ε ${pgm.card.privacy.epsilon}`);
  const model = pgm.card.privacy.budget!.model!;
  assert.ok(model.releases.some((r) => /score sensitivity 6/.test(r.what)), 'the selection is scored with sensitivity k');
  for (const r of model.releases.filter((x) => x.sigma !== undefined)) assert.ok(Math.abs(r.rho - 36 / (2 * r.sigma! * r.sigma!)) < 1e-12, `${r.column}: rho = k² / 2σ²`);
  const rowLevel = await generate({ input, privacy: { epsilon: 3 }, generator: 'marginals', privacyUnit: 'row', evaluate: false, holdoutFraction: 0, out: path.join(dir, 'row.csv') });
  assert.equal(rowLevel.card.privacy.unit, 'row');
  assert.match(rowLevel.card.privacy.statement, /with respect to adding or removing one row:/);
  assert.match(card.privacy.statement, /with respect to adding or removing one person \(all rows with one subject_id value\)/);
});

test('too few people for the budget: the refusal counts the rows people keep, names the unit and offers row-level protection', async () => {
  // 20 patients with up to 8 rows each: at one row per person, about 20 rows remain.
  const input = tempFile('few.csv', prescriptions(0, 20));
  await assert.rejects(
    generate({ input, privacy: { epsilon: 1 }, generator: 'marginals', maxRowsPerUnit: 1, evaluate: false, out: path.join(tempDir(), 'few.synthetic.csv') }),
    /too few rows for this privacy budget: about -?\d+ training rows are left once each person keeps at most 1 of their rows \(a noisy count; the privacy unit is the person\).*; or protect rows rather than people \(--privacy-unit row\), a weaker guarantee when people have many rows\.$/,
  );
});

test('CLI: --privacy-unit and --max-rows-per-unit on schema; a bad column is a clear error', (t) => {
  const cli = path.resolve(__dirname, '../../dist/cli.js');
  if (!fs.existsSync(cli)) return t.skip('dist/cli.js is not built');
  const file = tempFile('rx.csv', prescriptions(30));
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  const summary = run('schema', '--summary', file);
  assert.match(summary.stdout, /Privacy unit: each person identified by subject_id, with a bound on their rows chosen privately/);
  const set = JSON.parse(run('schema', '--privacy-unit', 'hadm_id', '--max-rows-per-unit', '12', file).stdout) as Schema;
  assert.deepEqual(set.privacyUnit, { column: 'hadm_id', maxRowsPerUnit: 12, reason: 'set by the user' });
  assert.equal((JSON.parse(run('schema', '--privacy-unit', 'row', file).stdout) as Schema).privacyUnit, 'row');
  const bad = run('schema', '--privacy-unit', 'patient', file);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /synthetic-csv: error: privacy unit: there is no column "patient"/);
  const badK = run('generate', file, '--max-rows-per-unit', '0');
  assert.notEqual(badK.status, 0);
  assert.match(badK.stderr, /must be a positive whole number/);
});

test('person-level DP-SGD accounting: the example-level accountant at the person sampling rate gives the published values', () => {
  // constraints-and-people.md §3 (google dp_accounting): 32,561 rows, k rows per person, 256 people
  // a batch, noise multiplier 1, 30 epochs, delta 1e-5. PLD: 4.17 (k = 2), 7.20 (k = 5), 10.80 (k = 10).
  for (const [k, pld] of [[2, 4.17], [5, 7.2], [10, 10.8]] as const) {
    const q = 256 / Math.floor(32561 / k);
    const epsilon = ledger(0, q, 1, Math.ceil(30 / q)).epsilon(1e-5, 'pld');
    assert.ok(Math.abs(epsilon - pld) < 0.01, `k = ${k}: ${epsilon} against ${pld}`);
  }
});
