import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/core/random';
import type { ColumnKind, ColumnSchema, Schema } from '../../src/core/schema/types';
import type { ColumnData, Table } from '../../src/core/table';
import { columnShapes, cramersV, evaluateQuality, ksStatistic, pearson } from '../../src/core/evaluate/quality';
import type { ColumnPairScore } from '../../src/core/evaluate/types';

// ---------------------------------------------------------------------------------------------
// Helpers: tables built directly, no files.

function schemaOf(columns: [string, ColumnKind][], rowCount = 0): Schema {
  return {
    version: 1,
    generator: 'test',
    dialect: { delimiter: ',', quote: '"', header: true, lineEnding: '\n', bom: false, encoding: 'utf-8' },
    rowCount,
    columns: columns.map(
      ([name, kind], index): ColumnSchema => ({
        name,
        index,
        kind,
        missingCount: 0,
        missingRate: 0,
        missingToken: null,
        quoting: 'as-needed',
        distinctCount: 0,
        distinctExact: false,
      }),
    ),
  };
}

function num(values: ArrayLike<number>): ColumnData {
  return { type: 'numeric', values: Float64Array.from(values) };
}

/** Categorical column from texts (null = missing); `levels` fixes the code order. */
function cat(values: (string | null)[], levels?: string[]): ColumnData {
  const lv = levels ? [...levels] : [];
  const index = new Map(lv.map((l, i) => [l, i]));
  const codes = new Int32Array(values.length);
  values.forEach((v, i) => {
    if (v === null) {
      codes[i] = -1;
      return;
    }
    let code = index.get(v);
    if (code === undefined) {
      code = lv.length;
      index.set(v, code);
      lv.push(v);
    }
    codes[i] = code;
  });
  return { type: 'categorical', codes, levels: lv };
}

/** The same categorical column with its levels in reverse order (as a separately loaded file). */
function reorder(column: ColumnData): ColumnData {
  if (column.type !== 'categorical') return column;
  const levels = [...column.levels].reverse();
  const k = levels.length;
  const codes = column.codes.map((c) => (c < 0 ? -1 : k - 1 - c));
  return { type: 'categorical', codes, levels };
}

function tableOf(columns: ColumnData[]): Table {
  let rows = 0;
  for (const c of columns) {
    if (c.type === 'numeric') rows = c.values.length;
    if (c.type === 'categorical') rows = c.codes.length;
  }
  return { rowCount: rows, columns, rowIndex: Int32Array.from({ length: rows }, (_, i) => i) };
}

function permute(column: ColumnData, random: Random): ColumnData {
  const n = column.type === 'numeric' ? column.values.length : column.type === 'categorical' ? column.codes.length : 0;
  const order = random.shuffle(Array.from({ length: n }, (_, i) => i));
  if (column.type === 'numeric') return { type: 'numeric', values: Float64Array.from(order, (i) => column.values[i]) };
  if (column.type === 'categorical') return { type: 'categorical', codes: Int32Array.from(order, (i) => column.codes[i]), levels: column.levels };
  return column;
}

function close(actual: number | null | undefined, expected: number, tol = 1e-12, what = ''): void {
  assert.ok(actual !== null && actual !== undefined, `${what} is null`);
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected} (tol ${tol})`);
}

function pair(pairs: ColumnPairScore[], a: string, b: string): ColumnPairScore {
  const p = pairs.find((x) => x.columns[0] === a && x.columns[1] === b);
  assert.ok(p, `pair ${a}/${b}`);
  return p;
}

/** A real table with correlated numeric, date, categorical and boolean columns. */
function correlatedTable(n: number, seed: number): { schema: Schema; table: Table } {
  const rng = new Random(seed);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const d = new Float64Array(n);
  const c: (string | null)[] = [];
  const b: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    x[i] = rng.normal();
    y[i] = 0.9 * x[i] + Math.sqrt(1 - 0.81) * rng.normal();
    d[i] = Math.round(18000 + 365 * x[i] + 30 * rng.normal());
    c.push(x[i] < -0.5 ? 'low' : x[i] < 0.5 ? 'mid' : 'high');
    b.push(rng.next() < 0.05 ? null : y[i] > 0 ? 'true' : 'false');
  }
  const schema = schemaOf([
    ['x', 'continuous'],
    ['y', 'continuous'],
    ['id', 'identifier'],
    ['d', 'date'],
    ['c', 'categorical'],
    ['b', 'boolean'],
  ]);
  return { schema, table: tableOf([num(x), num(y), { type: 'none' }, num(d), cat(c), cat(b)]) };
}

// ---------------------------------------------------------------------------------------------
// KS statistic.

test('ksStatistic: reference values, ties like scipy ks_2samp, NaN dropped', () => {
  const f = (a: number[], b: number[]): number => ksStatistic(Float64Array.from(a), Float64Array.from(b));
  assert.equal(f([1, 2, 3], [1, 2, 3]), 0);
  assert.equal(f([1, 2, 3, 4], [3, 4, 5, 6]), 0.5);
  assert.equal(f([0, 0, 0], [1, 1, 1]), 1);
  close(f([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]), 0.6, 1e-15, 'D');
  // Ties: scipy evaluates both CDFs after all equal values (searchsorted side='right').
  close(f([1, 1, 2], [1, 2, 2]), 1 / 3, 1e-15, 'D with ties');
  close(f([1, 1, 1, 2], [1, 2]), 0.25, 1e-15, 'D with ties');
  assert.equal(f([1, NaN, 2], [1, 2, NaN, NaN]), 0);
  // Values rounded to 14 decimals like SDMetrics: float noise is a tie.
  assert.equal(f([0.1 + 0.2, 1], [0.3, 1]), 0);
  assert.ok(Number.isNaN(f([NaN], [1, 2])));
  assert.ok(Number.isNaN(f([], [1])));
});

// ---------------------------------------------------------------------------------------------
// Column shapes.

test('columnShapes: TVComplement of known frequencies, categories matched by text, missing excluded', () => {
  const schema = schemaOf([
    ['c', 'categorical'],
    ['e', 'categorical'],
    ['m', 'boolean'],
    ['x', 'integer'],
  ]);
  const real = tableOf([
    cat(['a', 'a', 'b', 'b']),
    cat(['a', 'a', 'b', 'b']),
    cat(['yes', 'no', null, null]),
    num([1, 2, 3, 4]),
  ]);
  const synthetic = tableOf([
    cat(['a', 'a', 'a', 'b'], ['b', 'a']), // p_S = (.75, .25) vs (.5, .5): 1 - .5 (.25 + .25)
    cat(['a', 'a', 'b', 'c']), // 'c' only synthetic: real weight 1e-6
    cat(['no', 'yes'], ['no', 'maybe', 'yes']), // missing dropped on the real side; unused level ignored
    num([3, 4, 5, 6]),
  ]);
  const shapes = columnShapes(schema, real, synthetic);
  assert.deepEqual(
    shapes.map((s) => [s.column, s.metric]),
    [
      ['c', 'TVComplement'],
      ['e', 'TVComplement'],
      ['m', 'TVComplement'],
      ['x', 'KSComplement'],
    ],
  );
  close(shapes[0].score, 0.75, 1e-15, 'c');
  close(shapes[1].score, 0.75, 1e-6, 'e');
  close(shapes[2].score, 1, 1e-15, 'm');
  close(shapes[3].score, 0.5, 1e-15, 'x');
});

test('columnShapes: null when a side has no values', () => {
  const schema = schemaOf([
    ['x', 'continuous'],
    ['c', 'categorical'],
  ]);
  const real = tableOf([num([1, 2, 3]), cat(['a', 'b', 'a'])]);
  const synthetic = tableOf([num([NaN, NaN, NaN]), cat([null, null, null], ['a'])]);
  const shapes = columnShapes(schema, real, synthetic);
  assert.equal(shapes[0].score, null);
  assert.equal(shapes[1].score, null);
});

// ---------------------------------------------------------------------------------------------
// Pearson and Cramer's V.

test('pearson: known values, pairwise complete, null when constant or too few', () => {
  close(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 6 / Math.sqrt(60), 1e-15, 'r');
  close(pearson([1, 2, 3], [2, 4, 6]), 1, 1e-15, 'r');
  close(pearson([1, 2, 3], [3, 2, 1]), -1, 1e-15, 'r');
  close(pearson([1, 2, NaN, 3, 4], [2, 4, 100, 6, NaN]), 1, 1e-15, 'r');
  assert.equal(pearson([0.1, 0.1, 0.1], [1, 2, 3]), null);
  assert.equal(pearson([1, NaN], [1, 2]), null);
  assert.equal(pearson([], []), null);
  // Dates in seconds: large offsets must not cost precision.
  close(pearson([1.7e9 + 1, 1.7e9 + 2, 1.7e9 + 3, 1.7e9 + 4, 1.7e9 + 5], [2, 4, 5, 4, 5]), 6 / Math.sqrt(60), 1e-12, 'r');
});

test("cramersV: chi2 without Yates' correction, bias-uncorrected (scipy association 'cramer')", () => {
  // n = 100, expected 12, 18, 28, 42: chi2 = 4/12 + 4/18 + 4/28 + 4/42 = 0.79365...
  const chi2 = 4 / 12 + 4 / 18 + 4 / 28 + 4 / 42;
  close(cramersV([[10, 20], [30, 40]]), Math.sqrt(chi2 / 100), 1e-15, 'V');
  close(cramersV([[10, 20], [30, 40]]), 0.0891, 1e-4, 'V');
  close(cramersV([[10, 20], [0, 0], [30, 40]]), Math.sqrt(chi2 / 100), 1e-15, 'V with an empty row');
  close(cramersV([[10, 0], [0, 10]]), 1, 1e-15, 'V');
  close(cramersV([[5, 0, 0], [0, 5, 0], [0, 0, 5]]), 1, 1e-15, 'V');
  close(cramersV([[10, 20], [20, 40]]), 0, 1e-15, 'V');
  assert.ok(Number.isNaN(cramersV([[1, 2]])));
  assert.ok(Number.isNaN(cramersV([])));
});

// ---------------------------------------------------------------------------------------------
// The report.

test('evaluateQuality: identical tables (levels in another order) score 1 everywhere', () => {
  const { schema, table } = correlatedTable(1500, 1);
  const synthetic: Table = { ...table, columns: table.columns.map(reorder) };
  const q = evaluateQuality(schema, table, synthetic);
  assert.equal(q.columns.length, 5, 'identifier column skipped');
  for (const s of q.columns) close(s.score, 1, 1e-12, s.column);
  assert.equal(q.pairs.length, 10);
  for (const p of q.pairs) close(p.score, 1, 1e-12, p.columns.join('/'));
  for (const c of q.coverage) {
    close(c.missingValueSimilarity, 1, 0, c.column);
    close(c.coverage, 1, 0, c.column);
  }
  assert.equal(q.score, 1);
  assert.equal(q.columnShapes, 1);
  assert.equal(q.columnPairTrends, 1);
  const xy = pair(q.pairs, 'x', 'y');
  assert.equal(xy.metric, 'CorrelationSimilarity');
  assert.equal(xy.meetsThreshold, true);
  assert.equal(xy.realCorrelation, xy.syntheticCorrelation);
  assert.equal(pair(q.pairs, 'x', 'c').metric, 'ContingencySimilarity');
  assert.equal(pair(q.pairs, 'c', 'b').metric, 'ContingencySimilarity');
  assert.equal(pair(q.pairs, 'x', 'c').meetsThreshold, true);
  assert.equal(q.coverage.find((c) => c.column === 'x')?.coverageMetric, 'RangeCoverage');
  assert.equal(q.coverage.find((c) => c.column === 'b')?.coverageMetric, 'CategoryCoverage');
});

test('evaluateQuality: independently shuffled columns keep shapes at 1 and lose pair trends', () => {
  const { schema, table } = correlatedTable(3000, 2);
  const rng = new Random(99);
  const synthetic: Table = { ...table, columns: table.columns.map((c) => permute(c, rng)) };
  const q = evaluateQuality(schema, table, synthetic);
  assert.equal(q.columnShapes, 1);
  for (const s of q.columns) close(s.score, 1, 1e-12, s.column);
  assert.ok(q.columnPairTrends !== null && q.columnPairTrends < 0.75, `pair trends ${q.columnPairTrends}`);
  assert.ok(q.score < 0.9, `overall ${q.score}`);
  const xy = pair(q.pairs, 'x', 'y');
  close(xy.score, 1 - 0.9 / 2, 0.04, 'x/y');
  close(xy.syntheticCorrelation, 0, 0.05, 'synthetic r');
});

test('evaluateQuality: end to end, correlated real vs independent synthetic: CorrelationSimilarity ~ 1 - 0.9/2', () => {
  const n = 5000;
  const rng = new Random(7);
  const rx = new Float64Array(n);
  const ry = new Float64Array(n);
  const sx = new Float64Array(n);
  const sy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    rx[i] = rng.normal();
    ry[i] = 0.9 * rx[i] + Math.sqrt(0.19) * rng.normal();
    sx[i] = rng.normal();
    sy[i] = rng.normal();
  }
  const schema = schemaOf([
    ['x', 'continuous'],
    ['y', 'continuous'],
  ]);
  const q = evaluateQuality(schema, tableOf([num(rx), num(ry)]), tableOf([num(sx), num(sy)]));
  const xy = q.pairs[0];
  close(xy.realCorrelation, 0.9, 0.02, 'real r');
  close(xy.realAssociation, Math.abs(xy.realCorrelation ?? 0), 0, '|r|');
  close(xy.score, 1 - 0.9 / 2, 0.03, 'CorrelationSimilarity');
  close(xy.score, 1 - Math.abs((xy.realCorrelation ?? 0) - (xy.syntheticCorrelation ?? 0)) / 2, 1e-15, 'formula');
  assert.equal(xy.meetsThreshold, true);
  assert.equal(q.columnPairTrends, xy.score);
  close(q.score, ((q.columnShapes as number) + (xy.score as number)) / 2, 1e-15, 'overall');
});

test('evaluateQuality: pairs below the real threshold are reported but not averaged', () => {
  const n = 2000;
  const rng = new Random(3);
  const rx = new Float64Array(n);
  const ry = new Float64Array(n);
  const rc: string[] = [];
  const rd: string[] = [];
  for (let i = 0; i < n; i++) {
    rx[i] = rng.normal();
    ry[i] = rng.normal();
    rc.push(rng.next() < 0.5 ? 'p' : 'q');
    rd.push(rng.next() < 0.5 ? 'u' : 'v');
  }
  // The synthetic data invents strong trends the real data does not have.
  const sy = rx.map((v) => v + 0.1 * rng.normal());
  const sd = rc.map((v) => (v === 'p' ? 'u' : 'v'));
  const schema = schemaOf([
    ['x', 'continuous'],
    ['y', 'continuous'],
    ['c', 'categorical'],
    ['d', 'categorical'],
  ]);
  const real = tableOf([num(rx), num(ry), cat(rc), cat(rd)]);
  const synthetic = tableOf([num(rx), num(sy), cat(rc), cat(sd)]);
  const q = evaluateQuality(schema, real, synthetic);
  for (const p of q.pairs) assert.equal(p.meetsThreshold, false, p.columns.join('/'));
  const xy = pair(q.pairs, 'x', 'y');
  assert.ok(xy.score !== null && xy.score < 0.6, 'score still computed for the heatmap');
  assert.ok(typeof xy.realCorrelation === 'number' && Math.abs(xy.realCorrelation) < 0.1);
  assert.ok(typeof xy.syntheticCorrelation === 'number' && xy.syntheticCorrelation > 0.9);
  const cd = pair(q.pairs, 'c', 'd');
  assert.ok(cd.realAssociation !== null && cd.realAssociation < 0.1);
  assert.ok(cd.score !== null && cd.score < 0.8);
  assert.equal(q.columnPairTrends, null);
  assert.equal(q.score, q.columnShapes);
  // With the thresholds at 0, every pair counts (SDMetrics before 0.27).
  const all = evaluateQuality(schema, real, synthetic, { correlationThreshold: 0, associationThreshold: 0 });
  assert.ok(all.pairs.every((p) => p.meetsThreshold));
  assert.ok(all.columnPairTrends !== null && all.columnPairTrends < 0.9);
});

test('evaluateQuality: missing values (rates, MissingValueSimilarity, missing as its own value in contingency)', () => {
  const schema = schemaOf([
    ['x', 'continuous'],
    ['c', 'categorical'],
    ['d', 'categorical'],
  ]);
  const real = tableOf([num([1, NaN, 3, 4]), cat(['x', 'x', 'y', 'y']), cat([null, null, 'p', 'p'])]);
  const synthetic = tableOf([num([1, 2, NaN, NaN]), cat(['x', 'x', 'y', 'y']), cat([null, 'p', 'p', 'p'])]);
  const q = evaluateQuality(schema, real, synthetic);
  const x = q.coverage[0];
  assert.equal(x.realMissingRate, 0.25);
  assert.equal(x.syntheticMissingRate, 0.5);
  assert.equal(x.missingValueSimilarity, 0.75);
  close(x.coverage, 1 / 3, 1e-15, 'RangeCoverage [1,2] of [1,4]');
  const d = q.coverage[2];
  assert.equal(d.realMissingRate, 0.5);
  assert.equal(d.syntheticMissingRate, 0.25);
  assert.equal(d.coverage, 1);
  // c/d with missing as a value: real {x·NA .5, y·p .5}, synthetic {x·NA .25, x·p .25, y·p .5}.
  const cd = pair(q.pairs, 'c', 'd');
  close(cd.score, 0.75, 1e-15, 'ContingencySimilarity');
  close(cd.realAssociation, 1, 1e-15, "Cramer's V with NA as a category");
  assert.equal(cd.meetsThreshold, true);
  // TV of d ignores the missing values: p only on both sides.
  close(q.columns[2].score, 1, 0, 'TV');
  // KS of x on [1,3,4] vs [1,2].
  close(q.columns[0].score, 1 - ksStatistic(Float64Array.of(1, 3, 4), Float64Array.of(1, 2)), 0, 'KS');
});

test('evaluateQuality: CategoryCoverage and RangeCoverage', () => {
  const schema = schemaOf([
    ['c', 'categorical'],
    ['x', 'continuous'],
  ]);
  const real = tableOf([cat(['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'd', 'never']), num([0, 10, 5, 5])]);
  const synthetic = tableOf([cat(['d', 'a', 'z', 'z']), num([2, 9, 5, 5])]);
  const q = evaluateQuality(schema, real, synthetic);
  close(q.coverage[0].coverage, 0.5, 0, 'CategoryCoverage');
  close(q.coverage[1].coverage, 1 - (0.2 + 0.1), 1e-15, 'RangeCoverage');
  const wide = evaluateQuality(schema, real, tableOf([cat(['a', 'b', 'c', 'd']), num([-5, 20, 5, 5])]));
  close(wide.coverage[1].coverage, 1, 0, 'RangeCoverage when wider');
});

test("evaluateQuality: mixed pairs are binned on the real data's edges", () => {
  const n = 1000;
  const x = Float64Array.from({ length: n }, (_, i) => (i % 100) / 10); // 0 .. 9.9
  const c = Array.from(x, (v) => (v < 5 ? 'a' : 'b'));
  const schema = schemaOf([
    ['x', 'continuous'],
    ['c', 'categorical'],
  ]);
  const real = tableOf([num(x), cat(c)]);
  const same = evaluateQuality(schema, real, tableOf([num(x), cat(c, ['b', 'a'])]));
  close(same.pairs[0].score, 1, 1e-12, 'identical');
  assert.equal(same.pairs[0].meetsThreshold, true);
  // A synthetic column stretched to twice the range: on its own edges (the SDMetrics report's
  // binning) the joint table would be identical; on the real edges half the synthetic values
  // fall past the real maximum and are clipped into the last bin.
  const stretchedTable = tableOf([num(x.map((v) => v * 2)), cat(c)]);
  close(evaluateQuality(schema, real, stretchedTable).pairs[0].score, 1, 1e-12, 'SDMetrics binning: own edges');
  const stretched = evaluateQuality(schema, real, stretchedTable, { binning: 'real-edges' });
  const score = stretched.pairs[0].score;
  assert.ok(score !== null && score < 0.7, `stretched ${score}`);
  // On real edges, missing numeric values are a bin of their own.
  const gaps = evaluateQuality(schema, real, tableOf([num(x.map((v, i) => (i % 10 === 0 ? NaN : v))), cat(c)]), { binning: 'real-edges' });
  close(gaps.pairs[0].score, 0.9, 1e-12, 'missing cell');
});

test('evaluateQuality: subsampling is seeded and bounded', () => {
  const { schema, table } = correlatedTable(3000, 5);
  const rng = new Random(11);
  const synthetic: Table = { ...table, columns: table.columns.map((col) => permute(col, rng)) };
  const a = evaluateQuality(schema, table, synthetic, { subsampleRows: 500, seed: 1 });
  const b = evaluateQuality(schema, table, synthetic, { subsampleRows: 500, seed: 1 });
  assert.deepEqual(a, b);
  const full = evaluateQuality(schema, table, synthetic);
  // Correlation pairs use every row; contingency pairs only the subsample.
  assert.equal(pair(a.pairs, 'x', 'y').score, pair(full.pairs, 'x', 'y').score);
  const xc = pair(a.pairs, 'x', 'c');
  assert.ok(xc.score !== null && Math.abs(xc.score - (pair(full.pairs, 'x', 'c').score as number)) < 0.1);
});

test('evaluateQuality: 32k x 15 random table (timing)', (t) => {
  const n = 32_561;
  const make = (seed: number): Table => {
    const rng = new Random(seed);
    const columns: ColumnData[] = [];
    const base = Float64Array.from({ length: n }, () => rng.normal());
    const cardinalities = [9, 16, 7, 15, 6, 5, 2, 42, 2];
    for (let k = 0; k < 6; k++) {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = k % 2 === 0 ? base[i] + 0.5 * rng.normal() : Math.round(40 + 10 * rng.normal());
        values[i] = rng.next() < 0.02 ? NaN : k === 5 ? 18000 + Math.round(1000 * v) : v;
      }
      columns.push({ type: 'numeric', values });
    }
    for (const card of cardinalities) {
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const z = base[i] + 0.5 * rng.normal();
        codes[i] = rng.next() < 0.01 ? -1 : Math.min(card - 1, Math.max(0, Math.floor((z + 2) * (card / 4))));
      }
      const levels = Array.from({ length: card }, (_, j) => `level-${j}`);
      if (seed % 2 === 1) {
        // The other table lists its levels in another order: same texts, other codes.
        levels.reverse();
        for (let i = 0; i < n; i++) if (codes[i] >= 0) codes[i] = card - 1 - codes[i];
      }
      columns.push({ type: 'categorical', codes, levels });
    }
    return { rowCount: n, columns, rowIndex: Int32Array.from({ length: n }, (_, i) => i) };
  };
  const kinds: [string, ColumnKind][] = [
    ['n0', 'continuous'],
    ['n1', 'integer'],
    ['n2', 'continuous'],
    ['n3', 'integer'],
    ['n4', 'continuous'],
    ['n5', 'date'],
    ...Array.from({ length: 9 }, (_, j): [string, ColumnKind] => [`c${j}`, 'categorical']),
  ];
  const schema = schemaOf(kinds, n);
  const real = make(1);
  const synthetic = make(2);
  let start = process.hrtime.bigint();
  evaluateQuality(schema, real, synthetic);
  const cold = Number(process.hrtime.bigint() - start) / 1e6;
  start = process.hrtime.bigint();
  const q = evaluateQuality(schema, real, synthetic);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.diagnostic(
    `32,561 rows x 15 columns, ${q.pairs.length} pairs: ${cold.toFixed(1)} ms first call, ${ms.toFixed(1)} ms warm ` +
      `(score ${q.score.toFixed(3)}, shapes ${q.columnShapes.toFixed(3)}, trends ${q.columnPairTrends?.toFixed(3)}, ` +
      `${q.pairs.filter((p) => p.meetsThreshold).length} pairs meet the threshold)`,
  );
  assert.equal(q.pairs.length, 105);
  assert.ok(q.score > 0.8 && q.score <= 1);
});

test('evaluateQuality: a wide table keeps counts, notable pairs and a grouped map, not every pair', () => {
  // 90 numeric columns in 3 blocks of strongly related columns; the synthetic copy breaks block 2.
  const random = new Random(7);
  const rows = 120;
  const columnsOf = (broken: boolean): ColumnData[] => {
    const factors = [0, 1, 2].map(() => Array.from({ length: rows }, () => random.normal()));
    return Array.from({ length: 90 }, (_, j) => {
      const block = Math.floor(j / 30);
      return num(Array.from({ length: rows }, (_, i) => (broken && block === 2 ? random.normal() : factors[block][i]) + 0.5 * random.normal()));
    });
  };
  const names = Array.from({ length: 90 }, (_, j) => [`x${j}`, 'continuous'] as [string, ColumnKind]);
  const schema = schemaOf(names);
  const real = tableOf(columnsOf(false));
  const synthetic = tableOf(columnsOf(true));
  const q = evaluateQuality(schema, real, synthetic);

  // Brute force over all 4,005 pairs: the same counted mean and the same worst pair.
  const scores: number[] = [];
  for (let p = 0; p < 90; p++) {
    for (let r = p + 1; r < 90; r++) {
      const rR = pearson((real.columns[p] as { values: Float64Array }).values, (real.columns[r] as { values: Float64Array }).values)!;
      const rS = pearson((synthetic.columns[p] as { values: Float64Array }).values, (synthetic.columns[r] as { values: Float64Array }).values)!;
      if (Math.abs(rR) > 0.5) scores.push(1 - Math.abs(rR - rS) / 2);
    }
  }
  assert.deepEqual({ ...q.pairSummary, listed: undefined }, { total: 4005, computed: 4005, sampled: false, counted: scores.length, listed: undefined });
  close(q.columnPairTrends, scores.reduce((a, b) => a + b, 0) / scores.length, 1e-9, 'full average');
  assert.ok(q.pairs.length <= 150, `${q.pairs.length} pairs listed`);
  close(q.pairs[0].score, Math.min(...scores), 1e-12, 'lowest score listed first');
  assert.ok(q.pairs[0].columns.every((c) => Number(c.slice(1)) >= 60), 'the worst pair is in the broken block');

  const map = q.correlationMap!;
  assert.equal(map.grouped, true);
  assert.equal(map.labels.length, 60);
  assert.equal(map.real.length, 60);
  assert.equal(map.groupSizes.reduce((a, b) => a + b, 0), 90);
  assert.equal(map.labels[0], 'x0 … x1 (2 columns)');
  // Block 2 (groups 40-59) lost its correlation: the largest difference there is large.
  assert.ok(Math.abs(map.difference[50][55]!) > 0.4, `difference ${map.difference[50][55]}`);
  assert.ok(Math.abs(map.difference[5][10]!) < 0.4, `difference ${map.difference[5][10]}`);
  assert.ok(JSON.stringify(q).length < 200_000, `evaluation of 90 columns is ${JSON.stringify(q).length} bytes`);

  // Over the budget, a seeded sample of the pairs is scored and the result says so.
  const sampled = evaluateQuality(schema, real, synthetic, { pairRowVisits: 1 });
  assert.equal(sampled.pairSummary.sampled, true);
  assert.equal(sampled.pairSummary.computed, 1000);
  assert.ok(Math.abs(sampled.columnPairTrends! - q.columnPairTrends!) < 0.03, `sampled ${sampled.columnPairTrends} vs ${q.columnPairTrends}`);
  assert.deepEqual(evaluateQuality(schema, real, synthetic, { pairRowVisits: 1 }).pairSummary, sampled.pairSummary, 'seeded');
});
