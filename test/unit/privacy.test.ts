import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/core/random';
import type { ColumnKind, ColumnSchema, Schema } from '../../src/core/schema/types';
import type { ColumnData, Table } from '../../src/core/table';
import {
  nearest,
  nearestNaive,
  prepareRows,
  rowDistance,
  subsetRows,
  type EncodedRows,
} from '../../src/core/evaluate/distance';
import { evaluatePrivacy, identifiersCarried, maxAdvantage, rocAuc } from '../../src/core/evaluate/privacy';

// ---------------------------------------------------------------------------------------------
// Builders

function makeSchema(columns: { name: string; kind: ColumnKind; exclude?: boolean }[]): Schema {
  return {
    version: 1,
    generator: 'test',
    dialect: { delimiter: ',', quote: '"', header: true, lineEnding: '\n', bom: false, encoding: 'utf-8' },
    rowCount: 0,
    columns: columns.map(
      (c, index): ColumnSchema => ({
        name: c.name,
        index,
        kind: c.kind,
        exclude: c.exclude,
        missingCount: 0,
        missingRate: 0,
        missingToken: null,
        quoting: 'as-needed',
        distinctCount: 0,
        distinctExact: true,
      }),
    ),
  };
}

type Cell = number | string | null;

/**
 * A Table from rows of cells. Numeric columns: numbers or null. Categorical: strings or null,
 * coded in the order given by `levelOrder` (else first appearance), so different tables get
 * different codes for the same text.
 */
function makeTable(schema: Schema, rows: Cell[][], levelOrder?: (string[] | undefined)[]): Table {
  const n = rows.length;
  const columns: ColumnData[] = schema.columns.map((col, i) => {
    if (col.exclude || col.kind === 'identifier' || col.kind === 'text' || col.kind === 'constant') return { type: 'none' };
    if (col.kind === 'categorical' || col.kind === 'boolean') {
      const levels = [...(levelOrder?.[i] ?? [])];
      const index = new Map(levels.map((l, j) => [l, j]));
      const codes = new Int32Array(n);
      for (let r = 0; r < n; r++) {
        const v = rows[r][i];
        if (v === null) codes[r] = -1;
        else {
          const text = String(v);
          let code = index.get(text);
          if (code === undefined) {
            code = levels.length;
            levels.push(text);
            index.set(text, code);
          }
          codes[r] = code;
        }
      }
      return { type: 'categorical', codes, levels };
    }
    const values = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const v = rows[r][i];
      values[r] = v === null ? NaN : Number(v);
    }
    return { type: 'numeric', values };
  });
  return { rowCount: n, columns, rowIndex: Int32Array.from({ length: n }, (_, i) => i) };
}

/** Independent reference: the SDMetrics formula applied to raw Table values, column by column. */
function sdmetricsDistance(schema: Schema, a: Table, i: number, b: Table, j: number, ranges: Map<number, number>): number {
  let sum = 0;
  let m = 0;
  schema.columns.forEach((_, c) => {
    const x = a.columns[c];
    const y = b.columns[c];
    if (x.type === 'none' || y.type === 'none') return;
    m++;
    if (x.type === 'numeric' && y.type === 'numeric') {
      const s = x.values[i];
      const r = y.values[j];
      if (Number.isNaN(s) && Number.isNaN(r)) return;
      if (Number.isNaN(s) || Number.isNaN(r)) {
        sum += 1;
        return;
      }
      const range = ranges.get(c)!;
      sum += range === 0 || Number.isNaN(range) ? (s !== r ? 1 : 0) : Math.min(Math.abs(s - r) / range, 1);
    } else if (x.type === 'categorical' && y.type === 'categorical') {
      const s = x.codes[i] < 0 ? null : x.levels[x.codes[i]];
      const r = y.codes[j] < 0 ? null : y.levels[y.codes[j]];
      sum += s === r ? 0 : 1;
    }
  });
  return m > 0 ? sum / m : 0;
}

function rangesOf(schema: Schema, t: Table): Map<number, number> {
  const out = new Map<number, number>();
  schema.columns.forEach((_, c) => {
    const col = t.columns[c];
    if (col.type !== 'numeric') return;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of col.values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    out.set(c, hi - lo);
  });
  return out;
}

/** Random mixed rows with ties, missing values and a column constant in the first table. */
function randomMixed(seed: number, schema: Schema, n: number, constantValue: number | null, shift = 0): Cell[][] {
  const rng = new Random(seed);
  const cats = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const rows: Cell[][] = [];
  for (let r = 0; r < n; r++) {
    rows.push(
      schema.columns.map((col, c) => {
        switch (col.name) {
          case 'ties':
            return rng.int(5) + shift; // few distinct values: many ties
          case 'cont':
            return rng.next() < 0.1 ? null : Math.round(rng.normal() * 1000) / 100 + shift;
          case 'wide':
            return rng.next() < 0.05 ? null : rng.int(10000) * (shift ? 2 : 1); // queries beyond the range: capped terms
          case 'const':
            return constantValue === null ? (rng.next() < 0.5 ? null : 7 + rng.int(2)) : constantValue;
          case 'c2':
            return rng.next() < 0.5 ? 'yes' : 'no';
          case 'c4':
            return rng.next() < 0.1 ? null : cats[rng.int(4)];
          case 'c7':
            return cats[Math.min(6, Math.floor(-Math.log(1 - rng.next()) * 1.5))];
          case 'id':
            return `person-${r}`;
          default:
            throw new Error(`unknown column ${col.name} ${c}`);
        }
      }),
    );
  }
  return rows;
}

const MIXED = makeSchema([
  { name: 'ties', kind: 'integer' },
  { name: 'c4', kind: 'categorical' },
  { name: 'cont', kind: 'continuous' },
  { name: 'id', kind: 'identifier' },
  { name: 'c2', kind: 'boolean' },
  { name: 'wide', kind: 'integer' },
  { name: 'c7', kind: 'categorical' },
  { name: 'const', kind: 'integer' },
]);

function assertSameAsNaive(query: EncodedRows, reference: EncodedRows, k: number, exclude = false, label = ''): void {
  const fast = nearest(query, reference, { k, excludeSameIndex: exclude });
  const slow = nearestNaive(query, reference, { k, excludeSameIndex: exclude });
  for (let i = 0; i < query.n; i++) {
    assert.equal(fast.d1[i], slow.d1[i], `${label} d1 of row ${i}`);
    assert.equal(fast.dk[i], slow.dk[i], `${label} d${k} of row ${i}`);
    if (k >= 2) assert.equal(fast.d2![i], slow.d2![i], `${label} d2 of row ${i}`);
    const j = fast.index1[i];
    assert.ok(j >= 0 && j < reference.n, `${label} index of row ${i}`);
    if (exclude) assert.notEqual(j, i, `${label} row ${i} must not match itself`);
    assert.equal(rowDistance(query, i, reference, j), fast.d1[i], `${label} distance at index1 of row ${i}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Distance engine

test('nearest() equals the naive search on random mixed tables', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const refRows = randomMixed(seed, MIXED, 300, 5);
    const queryRows = randomMixed(seed + 100, MIXED, 200, null, seed % 2);
    // Different level orders in each table: recoding by text must line them up.
    const reference = makeTable(MIXED, refRows, [undefined, ['d', 'c', 'b', 'a']]);
    const query = makeTable(MIXED, queryRows, [undefined, ['a', 'b'], undefined, undefined, ['no', 'yes'], undefined, ['g', 'f']]);
    const [ref, qry] = prepareRows(MIXED, [reference, query]);
    assert.equal(ref.encoding.m, 7, 'identifier column not compared');
    for (const k of [1, 2, 5]) assertSameAsNaive(qry, ref, k, false, `seed ${seed} k ${k}`);
    assertSameAsNaive(ref, ref, 2, true, `seed ${seed} self`);
    // Against the SDMetrics formula on the raw tables.
    const ranges = rangesOf(MIXED, reference);
    const result = nearest(qry, ref, { k: 1 });
    for (let i = 0; i < query.rowCount; i++) {
      let best = Infinity;
      for (let j = 0; j < reference.rowCount; j++) best = Math.min(best, sdmetricsDistance(MIXED, query, i, reference, j, ranges));
      assert.ok(Math.abs(result.d1[i] - best) < 1e-12, `seed ${seed} row ${i}: ${result.d1[i]} vs ${best}`);
    }
  }
});

test('nearest() with only categorical or only numeric columns, and duplicates', () => {
  const catOnly = makeSchema([
    { name: 'c2', kind: 'categorical' },
    { name: 'c4', kind: 'categorical' },
    { name: 'c7', kind: 'categorical' },
  ]);
  const numOnly = makeSchema([
    { name: 'ties', kind: 'integer' },
    { name: 'cont', kind: 'continuous' },
    { name: 'wide', kind: 'integer' },
  ]);
  for (const schema of [catOnly, numOnly]) {
    for (const seed of [7, 8]) {
      const ref = makeTable(schema, randomMixed(seed, schema, 250, 0));
      const qry = makeTable(schema, randomMixed(seed + 1, schema, 150, 0, 1));
      const [r, q] = prepareRows(schema, [ref, qry]);
      for (const k of [1, 2, 3]) assertSameAsNaive(q, r, k, false, `${schema.columns[0].name} seed ${seed} k ${k}`);
      assertSameAsNaive(r, r, 2, true, 'self');
    }
  }
  // More neighbours asked for than reference rows: Infinity.
  const [r, q] = prepareRows(numOnly, [makeTable(numOnly, [[1, 2, 3]]), makeTable(numOnly, [[1, 2, 3]])]);
  const res = nearest(q, r, { k: 2 });
  assert.equal(res.d1[0], 0);
  assert.equal(res.d2![0], Infinity);
});

test('SDMetrics DCR: hand-computed cases', () => {
  const schema = makeSchema([
    { name: 'x', kind: 'continuous' },
    { name: 'c', kind: 'categorical' },
  ]);
  const reference = makeTable(schema, [
    [1, 'a'],
    [11, 'a'],
  ]);
  const query = makeTable(schema, [
    [3, 'b'], // (|3-1|/10 + 1)/2 = 0.6
    [null, 'a'], // (1 + 0)/2 = 0.5
    [100, 'a'], // capped: (1 + 0)/2 = 0.5
    [8, null], // (3/10 + 1)/2 = 0.65
    [11, 'a'], // 0
  ]);
  const [r, q] = prepareRows(schema, [reference, query]);
  const res = nearest(q, r, { k: 2 });
  const expected1 = [0.6, 0.5, 0.5, 0.65, 0];
  const expected2 = [0.9, 0.5, 0.5, 0.85, 0.5];
  expected1.forEach((e, i) => assert.ok(Math.abs(res.d1[i] - e) < 1e-12, `d1 row ${i}: ${res.d1[i]}`));
  expected2.forEach((e, i) => assert.ok(Math.abs(res.d2![i] - e) < 1e-12, `d2 row ${i}: ${res.d2![i]}`));
  assert.deepEqual([res.index1[0], res.index1[3], res.index1[4]], [0, 1, 1]); // rows 1 and 2 are ties

  // Zero range: 1[s != r]; missing equals missing.
  const flat = makeSchema([{ name: 'x', kind: 'integer' }]);
  const [fr, fq] = prepareRows(flat, [makeTable(flat, [[4], [4], [null]]), makeTable(flat, [[4], [5], [null]])]);
  assert.deepEqual(Array.from(nearest(fq, fr).d1), [0, 1, 0]);
});

test('SDMetrics DCR: test vector of calculate_dcr', () => {
  // sdmetrics tests/unit/single_table/privacy/test_dcr_utils.py
  const schema = makeSchema([
    { name: 'num', kind: 'continuous' },
    { name: 'cat', kind: 'categorical' },
    { name: 'cat_int', kind: 'categorical' },
    { name: 'bool', kind: 'boolean' },
    { name: 'date_str', kind: 'date' },
    { name: 'date', kind: 'date' },
  ]);
  const day = (d: number | null): number | null => (d === null ? null : Date.UTC(2025, 0, d) / 86400000);
  const realDays = [1, 31, 10, 21, null, 12];
  const real = makeTable(
    schema,
    [10, 20, null, 40, 50, 60].map((num, i) => [
      num,
      ['A', 'B', 'A', null, 'B', 'C'][i],
      ['1', '2', '1', null, '2', '3'][i],
      ['True', 'False', 'True', 'False', null, 'False'][i],
      day(realDays[i]),
      day(realDays[i]),
    ]),
  );
  const synDays = [10, 22, null, 2, 30, 6];
  const synthetic = makeTable(
    schema,
    [10, 25, 30, 21, 7, null].map((num, i) => [
      num,
      ['C', null, 'A', null, 'B', 'C'][i],
      ['3', null, '1', null, '2', '3'][i],
      ['False', 'True', 'True', 'False', 'True', null][i],
      day(synDays[i]),
      day(synDays[i]),
    ]),
  );
  const [r, s] = prepareRows(schema, [real, synthetic]);
  const d = nearest(s, r).d1;
  const expected = [0.188888, 0.2277777, 0.4, 0.274444, 0.221111, 0.4];
  expected.forEach((e, i) => assert.ok(Math.abs(d[i] - e) < 1e-6, `row ${i}: ${d[i]} vs ${e}`));
  // Against itself: 0.
  assert.deepEqual(Array.from(nearest(s, s).d1), [0, 0, 0, 0, 0, 0]);
});

// ---------------------------------------------------------------------------------------------
// Privacy metrics

const PEOPLE = makeSchema([
  { name: 'nhs', kind: 'identifier' },
  { name: 'age', kind: 'integer' },
  { name: 'sex', kind: 'categorical' },
  { name: 'bmi', kind: 'continuous' },
  { name: 'region', kind: 'categorical' },
  { name: 'admitted', kind: 'date' },
  { name: 'smoker', kind: 'boolean' },
]);

function people(seed: number, n: number): Cell[][] {
  const rng = new Random(seed);
  const regions = ['north', 'south', 'east', 'west', 'wales', 'scotland'];
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    const sex = rng.next() < 0.52 ? 'F' : 'M';
    const age = Math.max(18, Math.min(95, Math.round(50 + 15 * rng.normal())));
    const bmi = rng.next() < 0.08 ? null : Math.round((27 + 4 * rng.normal() + (sex === 'M' ? 1 : 0)) * 10) / 10;
    const region = regions[Math.min(5, Math.floor(-Math.log(1 - rng.next()) * 1.8))];
    const admitted = 19000 + rng.int(730);
    const smoker = rng.next() < 0.2 + age / 1000 ? 'true' : 'false';
    rows.push([`id${seed}-${i}`, age, sex, bmi, region, admitted, smoker]);
  }
  return rows;
}

test('synthetic copy of training: copies, DCR 0, no protection, MIA AUC near 1', () => {
  const train = makeTable(PEOPLE, people(11, 1500));
  const holdout = makeTable(PEOPLE, people(12, 1500));
  // The same rows in another order, with other level codes.
  const copyRows = people(11, 1500).reverse();
  const synthetic = makeTable(PEOPLE, copyRows, [undefined, undefined, ['M', 'F'], undefined, ['wales', 'west']]);
  const res = evaluatePrivacy(PEOPLE, train, synthetic, { holdout, seed: 3 });
  assert.equal(res.exactCopies.count, 1500);
  assert.equal(res.exactCopies.rate, 1);
  assert.ok(res.holdoutExactCopies!.rate < 0.01, `holdout copies ${res.holdoutExactCopies!.rate}`);
  assert.equal(res.medianDcrTrain, 0);
  assert.equal(res.dcrBaselineProtection, 0);
  assert.ok(res.medianDcrHoldout! > 0);
  assert.ok(res.dcrOverfittingProtection! < 0.1, `overfitting protection ${res.dcrOverfittingProtection}`);
  assert.ok(res.dcrOverfittingProtectionAdjusted! < 0.1, `adjusted ${res.dcrOverfittingProtectionAdjusted}`);
  assert.ok(res.membershipInferenceAuc! > 0.95, `MIA AUC ${res.membershipInferenceAuc}`);
  assert.ok(res.membershipInference!.distance.auc > 0.95);
  assert.ok(res.membershipInference!.advantage > 0.9, `advantage ${res.membershipInference!.advantage}`);
  assert.equal(res.membershipInference!.members, 750);
  assert.equal(res.membershipInference!.nonMembers, 750);
  assert.equal(res.medianNndr, 0);
  assert.equal(res.dcrHistogram.edges.length, 21);
  assert.equal(res.dcrHistogram.train[0], 1500);
  assert.equal(res.dcrHistogram.holdout!.reduce((a, b) => a + b, 0), 1500);
  assert.deepEqual(res.identifiersCarried, []);
});

test('fresh draws from the same distribution: protection about 1, MIA AUC about 0.5', (t) => {
  const train = makeTable(PEOPLE, people(21, 2000));
  const holdout = makeTable(PEOPLE, people(22, 2000));
  const synthetic = makeTable(PEOPLE, people(23, 2000));
  const res = evaluatePrivacy(PEOPLE, train, synthetic, { holdout, seed: 5 });
  t.diagnostic(JSON.stringify({ ...res, dcrHistogram: undefined, rareCategories: undefined }));
  assert.ok(res.dcrOverfittingProtection! > 0.9, `overfitting protection ${res.dcrOverfittingProtection}`);
  assert.ok(res.dcrOverfittingProtectionAdjusted! > 0.9);
  assert.equal(res.expectedCloserToTraining, 0.5);
  assert.ok(res.dcrBaselineProtection! > 0 && res.dcrBaselineProtection! < 1);
  assert.ok(res.medianDcrRandom > res.medianDcrTrain);
  const mia = res.membershipInference!;
  for (const a of [mia.distance, mia.densityRatio]) {
    assert.ok(a.low <= 0.5 && 0.5 <= a.high, `AUC ${a.auc} [${a.low}, ${a.high}]`);
    assert.ok(Math.abs(a.auc - 0.5) < 0.06);
  }
  assert.ok(mia.advantage < 0.1, `advantage ${mia.advantage}`);
  assert.ok(res.exactCopies.rate < 0.01);
  assert.ok(res.medianNndr > 0.3 && res.medianNndr <= 1, `NNDR ${res.medianNndr}`);
});

test('training larger than holdout: SDMetrics score leans to training, adjusted score does not', () => {
  const trainRows = people(31, 4000);
  const train = makeTable(PEOPLE, trainRows);
  const holdout = makeTable(PEOPLE, people(32, 800));
  const fresh = evaluatePrivacy(PEOPLE, train, makeTable(PEOPLE, people(33, 1000)), { holdout, seed: 1 });
  assert.ok(Math.abs(fresh.expectedCloserToTraining! - 4000 / 4800) < 1e-12);
  assert.ok(Math.abs(fresh.closerToTraining! - 4000 / 4800) < 0.05, `closer to training ${fresh.closerToTraining}`);
  assert.ok(fresh.dcrOverfittingProtection! < 0.5);
  assert.ok(fresh.dcrOverfittingProtectionAdjusted! > 0.85, `adjusted ${fresh.dcrOverfittingProtectionAdjusted}`);
  // Half copies, half fresh rows: the adjusted score still sees the copies.
  const half = [...trainRows.slice(0, 500), ...people(34, 500)];
  const leaky = evaluatePrivacy(PEOPLE, train, makeTable(PEOPLE, half), { holdout, seed: 1 });
  assert.ok(leaky.dcrOverfittingProtectionAdjusted! < 0.6, `adjusted ${leaky.dcrOverfittingProtectionAdjusted}`);
  assert.equal(leaky.exactCopies.count, 500);
});

test('subsampling above maxRows is seeded and reported', () => {
  const train = makeTable(PEOPLE, people(41, 900));
  const synthetic = makeTable(PEOPLE, people(42, 700));
  const a = evaluatePrivacy(PEOPLE, train, synthetic, { maxRows: 300, seed: 9 });
  const b = evaluatePrivacy(PEOPLE, train, synthetic, { maxRows: 300, seed: 9 });
  assert.deepEqual(a, b);
  assert.deepEqual(a.distanceRows, { train: 300, synthetic: 300, baseline: 300, maxRows: 300, subsampled: true });
  assert.equal(a.dcrHistogram.train.reduce((x, y) => x + y, 0), 300);
  assert.equal(a.holdoutExactCopies, undefined);
  assert.equal(a.membershipInference, undefined);
  assert.equal(a.dcrOverfittingProtection, undefined);
});

test('rare categories carried into the synthetic data', () => {
  const schema = makeSchema([
    { name: 'dx', kind: 'categorical' },
    { name: 'age', kind: 'integer' },
  ]);
  const realRows: Cell[][] = [];
  for (let i = 0; i < 50; i++) realRows.push(['common', 30 + (i % 7)]);
  for (let i = 0; i < 2; i++) realRows.push(['rare disease', 40]);
  for (let i = 0; i < 4; i++) realRows.push(['uncommon', 50]);
  realRows.push(['unique', 60]);
  const synRows: Cell[][] = [
    ['common', 31],
    ['rare disease', 40],
    ['rare disease', 41],
    ['unique', 61],
    ['invented', 30],
  ];
  const res = evaluatePrivacy(schema, makeTable(schema, realRows, [['never seen']]), makeTable(schema, synRows, [['uncommon']]));
  assert.deepEqual(res.rareCategories, [
    { column: 'dx', value: 'unique', realCount: 1, syntheticCount: 1 },
    { column: 'dx', value: 'rare disease', realCount: 2, syntheticCount: 2 },
  ]);
  assert.deepEqual(
    evaluatePrivacy(schema, makeTable(schema, realRows), makeTable(schema, synRows), { rareThreshold: 2 }).rareCategories,
    [{ column: 'dx', value: 'unique', realCount: 1, syntheticCount: 1 }],
  );
});

test('identifiersCarried', () => {
  const real = new Map([
    ['nhs', new Set(['943 476 5919', '401 023 2137'])],
    ['email', new Set(['a@example.org', ''])],
    ['mrn', new Set(['M1'])],
  ]);
  const syn = new Map([
    ['nhs', ['123 456 7890', ' 401 023 2137 ']],
    ['email', ['', 'NA', 'b@example.org']],
    ['mrn', ['M2']],
  ]);
  assert.deepEqual(identifiersCarried(real, syn), ['nhs']);
});

// ---------------------------------------------------------------------------------------------
// ROC AUC

/** DeLong by definition: O(m n) placement values. */
function delongByDefinition(pos: number[], neg: number[]): { auc: number; variance: number } {
  const psi = (x: number, y: number): number => (x > y ? 1 : x === y ? 0.5 : 0);
  const m = pos.length;
  const n = neg.length;
  const v10 = pos.map((x) => neg.reduce((s, y) => s + psi(x, y), 0) / n);
  const v01 = neg.map((y) => pos.reduce((s, x) => s + psi(x, y), 0) / m);
  const auc = v10.reduce((a, b) => a + b, 0) / m;
  const s10 = v10.reduce((s, v) => s + (v - auc) ** 2, 0) / (m - 1);
  const s01 = v01.reduce((s, v) => s + (v - auc) ** 2, 0) / (n - 1);
  return { auc, variance: s10 / m + s01 / n };
}

test('rocAuc: known cases', () => {
  const perfect = rocAuc([5, 6, 7], [1, 2, 3]);
  assert.deepEqual(perfect, { auc: 1, low: 1, high: 1 });
  assert.equal(rocAuc([1, 2, 3], [5, 6, 7]).auc, 0);
  const same = rocAuc([1, 2, 3, 4], [1, 2, 3, 4]);
  assert.equal(same.auc, 0.5);
  assert.ok(same.low < 0.5 && same.high > 0.5);
  assert.equal(rocAuc([2, 2, 2], [2, 2]).auc, 0.5);
  // Mann-Whitney with ties: U = 12.5 of 16 pairs.
  const pos = [3, 4, 5, 5];
  const neg = [1, 2, 3, 5];
  const tied = rocAuc(pos, neg);
  assert.equal(tied.auc, 0.78125);
  const byDef = delongByDefinition(pos, neg);
  const half = 1.959963984540054 * Math.sqrt(byDef.variance);
  assert.ok(Math.abs(tied.low - Math.max(0, 0.78125 - half)) < 1e-12);
  assert.ok(Math.abs(tied.high - Math.min(1, 0.78125 + half)) < 1e-12);
  // Random scores with many ties against the definition.
  const rng = new Random(4);
  const a = Array.from({ length: 40 }, () => rng.int(6));
  const b = Array.from({ length: 55 }, () => rng.int(6) - 1);
  const est = rocAuc(a, b);
  const def = delongByDefinition(a, b);
  assert.ok(Math.abs(est.auc - def.auc) < 1e-12);
  assert.ok(Math.abs(est.high - est.auc - 1.959963984540054 * Math.sqrt(def.variance)) < 1e-12);
  assert.ok(Number.isNaN(rocAuc([], [1]).auc));
});

test('maxAdvantage', () => {
  assert.equal(maxAdvantage([5, 6, 7], [1, 2, 3]), 1);
  assert.equal(maxAdvantage([1, 2], [1, 2]), 0);
  assert.equal(maxAdvantage([3, 4, 5, 5], [1, 2, 3, 5]), 0.5); // threshold 4: TPR 3/4, FPR 1/4
});

// ---------------------------------------------------------------------------------------------
// Timing (no asserts on time)

const ADULT_LIKE = makeSchema([
  { name: 'age', kind: 'integer' },
  { name: 'workclass', kind: 'categorical' },
  { name: 'fnlwgt', kind: 'integer' },
  { name: 'education', kind: 'categorical' },
  { name: 'education_num', kind: 'integer' },
  { name: 'marital', kind: 'categorical' },
  { name: 'occupation', kind: 'categorical' },
  { name: 'relationship', kind: 'categorical' },
  { name: 'race', kind: 'categorical' },
  { name: 'sex', kind: 'categorical' },
  { name: 'capital_gain', kind: 'integer' },
  { name: 'capital_loss', kind: 'integer' },
  { name: 'hours', kind: 'integer' },
  { name: 'country', kind: 'categorical' },
  { name: 'income', kind: 'categorical' },
]);

/** Adult-like rows: a latent class drives skewed categories (2-40 levels) and numbers. */
function adultLike(seed: number, n: number): Cell[][] {
  const rng = new Random(seed);
  const cardinality: Record<string, number> = {
    workclass: 9, education: 16, marital: 7, occupation: 15, relationship: 6, race: 5, sex: 2, country: 40, income: 2,
  };
  const zipf = (k: number, shift: number, s: number): number => {
    // Skewed draw over k levels, rotated by the latent class.
    const w = Array.from({ length: k }, (_, j) => 1 / (j + 1) ** s);
    return (rng.categorical(w) + shift) % k;
  };
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    const z = rng.int(5);
    rows.push(
      ADULT_LIKE.columns.map((col) => {
        const k = cardinality[col.name];
        if (k !== undefined) {
          const missing = col.name === 'workclass' || col.name === 'occupation' ? rng.next() < 0.05 : false;
          if (missing) return null;
          const s = col.name === 'country' ? 2.2 : 1.2;
          return `${col.name}-${zipf(k, col.name === 'country' ? 0 : z, s)}`;
        }
        switch (col.name) {
          case 'age':
            return Math.max(17, Math.min(90, Math.round(30 + 5 * z + 12 * rng.normal())));
          case 'fnlwgt':
            return Math.round(Math.exp(12 + 0.6 * rng.normal()));
          case 'education_num':
            return 1 + ((z * 3 + rng.int(6)) % 16);
          case 'capital_gain':
            return rng.next() < 0.92 ? 0 : Math.round(Math.exp(8 + rng.normal()));
          case 'capital_loss':
            return rng.next() < 0.95 ? 0 : 1500 + rng.int(800);
          case 'hours':
            return rng.next() < 0.5 ? 40 : Math.max(1, Math.min(99, Math.round(40 + 12 * rng.normal())));
          default:
            throw new Error(col.name);
        }
      }),
    );
  }
  return rows;
}

test('timing: nearest() on 32k x 26k adult-like rows (6 numeric, 9 categorical)', (t) => {
  const train = makeTable(ADULT_LIKE, adultLike(1, 26000));
  const synthetic = makeTable(ADULT_LIKE, adultLike(2, 32000));
  const holdout = makeTable(ADULT_LIKE, adultLike(3, 6500));
  let start = performance.now();
  const [tr, sy] = prepareRows(ADULT_LIKE, [train, synthetic]);
  const prep = performance.now() - start;
  start = performance.now();
  const res = nearest(sy, tr, { k: 2 });
  const elapsed = performance.now() - start;
  t.diagnostic(`prepareRows ${prep.toFixed(0)} ms; nearest k=2, 32000 x 26000: ${elapsed.toFixed(0)} ms`);
  // Spot check against brute force on a few rows.
  const few = subsetRows(sy, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 31999]);
  const naive = nearestNaive(few, tr, { k: 2 });
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 31999].forEach((row, i) => {
    assert.equal(res.d1[row], naive.d1[i]);
    assert.equal(res.d2![row], naive.d2![i]);
  });
  start = performance.now();
  const privacy = evaluatePrivacy(ADULT_LIKE, train, synthetic, { holdout, seed: 1 });
  t.diagnostic(`evaluatePrivacy with a 6500-row holdout: ${(performance.now() - start).toFixed(0)} ms`);
  t.diagnostic(
    JSON.stringify({
      medianDcrTrain: privacy.medianDcrTrain,
      medianDcrRandom: privacy.medianDcrRandom,
      dcrBaselineProtection: privacy.dcrBaselineProtection,
      dcrOverfittingProtection: privacy.dcrOverfittingProtection,
      adjusted: privacy.dcrOverfittingProtectionAdjusted,
      mia: privacy.membershipInferenceAuc,
    }),
  );
});

test('degenerate inputs: no compared column, one training row, tiny holdout', () => {
  const onlyId = makeSchema([{ name: 'id', kind: 'identifier' }]);
  const t = makeTable(onlyId, [['a'], ['b']]);
  const none = evaluatePrivacy(onlyId, t, t, { holdout: t });
  assert.equal(none.exactCopies.count, 0);
  assert.equal(none.medianDcrTrain, 0);
  assert.equal(none.dcrBaselineProtection, null);

  const schema = makeSchema([
    { name: 'x', kind: 'continuous' },
    { name: 'c', kind: 'categorical' },
  ]);
  const one = evaluatePrivacy(schema, makeTable(schema, [[1, 'a']]), makeTable(schema, [[2, 'a'], [1, 'b']]), {
    holdout: makeTable(schema, [[3, 'b'], [4, 'a'], [5, null]]),
  });
  assert.ok(Number.isFinite(one.medianDcrTrain));
  assert.ok(Number.isFinite(one.medianNndr));
  assert.equal(one.membershipInference!.members, 1);
  assert.equal(one.membershipInference!.nonMembers, 1);
  for (const a of [one.membershipInference!.distance, one.membershipInference!.densityRatio]) {
    assert.ok(a.auc >= 0 && a.auc <= 1 && a.low <= a.auc && a.auc <= a.high);
  }
  assert.throws(() => evaluatePrivacy(schema, makeTable(schema, []), makeTable(schema, [[1, 'a']])));
});
