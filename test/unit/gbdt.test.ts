import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FeatureSpace, Gbdt, selectMatrixRows, type FeatureColumn, type FeatureMatrix } from '../../src/core/evaluate/gbdt';
import { Random } from '../../src/core/random';
import type { Table } from '../../src/core/table';
import type { Schema } from '../../src/core/schema/types';

function numeric(name: string, values: number[]): FeatureColumn {
  return { name, type: 'numeric', values: Float64Array.from(values) };
}

function matrix(columns: FeatureColumn[]): FeatureMatrix {
  const rows = columns[0].type === 'numeric' ? columns[0].values.length : columns[0].codes.length;
  return { rows, columns };
}

/** Points uniform in [-1, 1]^2 with labels from `label`. */
function uniform2d(n: number, seed: number, label: (x1: number, x2: number) => number) {
  const random = new Random(seed);
  const x1: number[] = [];
  const x2: number[] = [];
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x1.push(random.next() * 2 - 1);
    x2.push(random.next() * 2 - 1);
    y[i] = label(x1[i], x2[i]);
  }
  return { X: matrix([numeric('x1', x1), numeric('x2', x2)]), y };
}

function accuracy(p: Float64Array, y: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if ((p[i] >= 0.5 ? 1 : 0) === y[i]) ok++;
  return ok / y.length;
}

test('learns an XOR-like interaction', () => {
  const label = (a: number, b: number) => (a * b > 0 ? 1 : 0);
  const train = uniform2d(3000, 1, label);
  const held = uniform2d(2000, 2, label);
  const model = Gbdt.fit(train.X, train.y, { objective: 'binary', seed: 1 });
  const acc = accuracy(model.predict(held.X), held.y);
  assert.ok(acc > 0.95, `accuracy ${acc}`);
});

test('learns a linear (diagonal) boundary', () => {
  const label = (a: number, b: number) => (a + 2 * b > 0.3 ? 1 : 0);
  const train = uniform2d(3000, 3, label);
  const held = uniform2d(2000, 4, label);
  const model = Gbdt.fit(train.X, train.y, { objective: 'binary', seed: 1 });
  const acc = accuracy(model.predict(held.X), held.y);
  assert.ok(acc > 0.95, `accuracy ${acc}`);
});

test('missing values get their own learned direction', () => {
  // y = 1 when x is missing or x > 0.5: missing values must be sent with the high values.
  const make = (n: number, seed: number) => {
    const random = new Random(seed);
    const x: number[] = [];
    const noise: number[] = [];
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const missing = random.next() < 0.25;
      const v = random.next();
      x.push(missing ? NaN : v);
      noise.push(random.next());
      y[i] = missing || v > 0.5 ? 1 : 0;
    }
    return { X: matrix([numeric('x', x), numeric('noise', noise)]), y };
  };
  const train = make(2000, 5);
  const held = make(1000, 6);
  const model = Gbdt.fit(train.X, train.y, { objective: 'binary', seed: 1 });
  const p = model.predict(held.X);
  assert.ok(accuracy(p, held.y) > 0.97, `accuracy ${accuracy(p, held.y)}`);
  const probe = model.predict(matrix([numeric('x', [NaN, 0.1, 0.9]), numeric('noise', [0.5, 0.5, 0.5])]));
  assert.ok(probe[0] > 0.9 && probe[1] < 0.1 && probe[2] > 0.9, `probe ${Array.from(probe)}`);

  // A feature that is entirely missing in training data does no harm, and missing probes work.
  const allMissing = matrix([numeric('x', new Array(200).fill(NaN)), numeric('z', Array.from({ length: 200 }, (_, i) => i))]);
  const y2 = Int32Array.from({ length: 200 }, (_, i) => (i >= 100 ? 1 : 0));
  const m2 = Gbdt.fit(allMissing, y2, { objective: 'binary' });
  const q = m2.predict(matrix([numeric('x', [3, NaN]), numeric('z', [10, 150])]));
  assert.ok(q[0] < 0.2 && q[1] > 0.8, `probe ${Array.from(q)}`);
});

test('categorical features: many-vs-many splits, missing and unseen categories', () => {
  const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
  const positive = new Set(['a', 'c', 'f', 'h']);
  const make = (n: number, seed: number) => {
    const random = new Random(seed);
    const codes = new Int32Array(n);
    const noise: number[] = [];
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const missing = random.next() < 0.1;
      codes[i] = missing ? -1 : random.int(levels.length);
      noise.push(random.next());
      // Missing counts as positive.
      y[i] = missing || positive.has(levels[codes[i]]) ? 1 : 0;
    }
    const columns: FeatureColumn[] = [{ name: 'cat', type: 'categorical', codes, levels }, numeric('noise', noise)];
    return { X: matrix(columns), y };
  };
  const train = make(3000, 7);
  const held = make(1000, 8);
  const model = Gbdt.fit(train.X, train.y, { objective: 'binary', seed: 1 });
  const acc = accuracy(model.predict(held.X), held.y);
  assert.ok(acc > 0.97, `accuracy ${acc}`);
  // A category the model never saw (code beyond its levels) is predicted without error.
  const probe: FeatureMatrix = {
    rows: 2,
    columns: [
      { name: 'cat', type: 'categorical', codes: Int32Array.from([10, -1]), levels: [...levels, 'new'] },
      numeric('noise', [0.5, 0.5]),
    ],
  };
  const p = model.predict(probe);
  assert.ok(Number.isFinite(p[0]) && p[1] > 0.9, `probe ${Array.from(p)}`);
});

test('regression on y = x^2 + noise reaches R^2 > 0.9', () => {
  const make = (n: number, seed: number) => {
    const random = new Random(seed);
    const x: number[] = [];
    const other: number[] = [];
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x.push(random.next() * 4 - 2);
      other.push(random.normal());
      y[i] = x[i] * x[i] + 0.2 * random.normal();
    }
    return { X: matrix([numeric('x1', x), numeric('x2', other)]), y };
  };
  const train = make(2000, 9);
  const held = make(1000, 10);
  const model = Gbdt.fit(train.X, train.y, { objective: 'regression', seed: 1 });
  const p = model.predict(held.X);
  let mean = 0;
  for (const v of held.y) mean += v / held.y.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < held.y.length; i++) {
    ssRes += (held.y[i] - p[i]) ** 2;
    ssTot += (held.y[i] - mean) ** 2;
  }
  const r2 = 1 - ssRes / ssTot;
  assert.ok(r2 > 0.9, `R^2 ${r2}`);
});

test('multiclass softmax separates three Gaussian blobs', () => {
  const centres = [
    [0, 0],
    [3, 0],
    [0, 3],
  ];
  const make = (n: number, seed: number) => {
    const random = new Random(seed);
    const a: number[] = [];
    const b: number[] = [];
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = random.int(3);
      y[i] = k;
      a.push(centres[k][0] + 0.8 * random.normal());
      b.push(centres[k][1] + 0.8 * random.normal());
    }
    return { X: matrix([numeric('a', a), numeric('b', b)]), y };
  };
  const train = make(1500, 11);
  const held = make(1000, 12);
  const model = Gbdt.fit(train.X, train.y, { objective: 'multiclass', numClasses: 3, seed: 1 });
  const p = model.predict(held.X);
  assert.equal(p.length, held.y.length * 3);
  let ok = 0;
  for (let i = 0; i < held.y.length; i++) {
    const row = [p[i * 3], p[i * 3 + 1], p[i * 3 + 2]];
    assert.ok(Math.abs(row[0] + row[1] + row[2] - 1) < 1e-9);
    if (row.indexOf(Math.max(...row)) === held.y[i]) ok++;
  }
  assert.ok(ok / held.y.length > 0.9, `accuracy ${ok / held.y.length}`);
});

test('is deterministic for a seed, with subsampling and early stopping', () => {
  const label = (a: number, b: number) => (a * b > 0 ? 1 : 0);
  const train = uniform2d(1500, 13, label);
  const held = uniform2d(500, 14, label);
  const options = { objective: 'binary' as const, seed: 42, subsample: 0.8, earlyStoppingRounds: 10, rounds: 300 };
  const a = Gbdt.fit(train.X, train.y, options).predict(held.X);
  const b = Gbdt.fit(train.X, train.y, options).predict(held.X);
  assert.deepEqual(a, b);
  const c = Gbdt.fit(train.X, train.y, { ...options, seed: 43 }).predict(held.X);
  assert.notDeepEqual(a, c);
  const stopped = Gbdt.fit(train.X, train.y, options);
  assert.ok(stopped.rounds >= 1 && stopped.rounds <= 300);
  assert.equal(stopped.treeCount, stopped.rounds);
});

test('one-class training data and tiny data do not crash', () => {
  const X = matrix([numeric('x', [1, 2, 3, 4, 5])]);
  const zero = Gbdt.fit(X, new Int32Array(5), { objective: 'binary' });
  for (const p of zero.predict(X)) assert.ok(p < 0.01);
  const reg = Gbdt.fit(X, Float64Array.from([1, 1, 1, 1, 1]), { objective: 'regression' });
  for (const p of reg.predict(X)) assert.ok(Math.abs(p - 1) < 1e-12);
  assert.throws(() => Gbdt.fit(X, Int32Array.from([0, 1, 2, 0, 1]), { objective: 'binary' }), /not 0 or 1/);
});

test('FeatureSpace shares category dictionaries by text across separately loaded tables', () => {
  const schema = {
    columns: [
      { name: 'id', kind: 'identifier' },
      { name: 'colour', kind: 'categorical' },
      { name: 'size', kind: 'continuous' },
      { name: 'label', kind: 'boolean' },
    ],
  } as unknown as Schema;
  const tableA: Table = {
    rowCount: 3,
    rowIndex: Int32Array.from([0, 1, 2]),
    columns: [
      { type: 'none' },
      { type: 'categorical', codes: Int32Array.from([0, 1, -1]), levels: ['red', 'blue'] },
      { type: 'numeric', values: Float64Array.from([1, 2, NaN]) },
      { type: 'categorical', codes: Int32Array.from([0, 0, 1]), levels: ['yes', 'no'] },
    ],
  };
  const tableB: Table = {
    rowCount: 2,
    rowIndex: Int32Array.from([0, 1]),
    columns: [
      { type: 'none' },
      { type: 'categorical', codes: Int32Array.from([0, 1]), levels: ['green', 'red'] },
      { type: 'numeric', values: Float64Array.from([5, 6]) },
      { type: 'categorical', codes: Int32Array.from([0, 1]), levels: ['no', 'yes'] },
    ],
  };
  const space = FeatureSpace.fromTables(schema, [tableA, tableB], { exclude: ['label'] });
  assert.deepEqual(space.names, ['colour', 'size']);
  const a = space.matrix(tableA);
  const b = space.matrix(tableB);
  const ca = a.columns[0] as Extract<FeatureColumn, { type: 'categorical' }>;
  const cb = b.columns[0] as Extract<FeatureColumn, { type: 'categorical' }>;
  assert.deepEqual(ca.levels, ['red', 'blue', 'green']);
  assert.equal(ca.levels, cb.levels);
  assert.deepEqual(Array.from(ca.codes), [0, 1, -1]);
  assert.deepEqual(Array.from(cb.codes), [2, 0]);
  const sub = selectMatrixRows(b, [1]);
  assert.equal(sub.rows, 1);
  assert.deepEqual(Array.from((sub.columns[0] as { codes: Int32Array }).codes), [0]);
});
