import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/core/random';
import { fitBayesianMixture, responsibilities, type Mixture1D } from '../../src/core/transform/gmm';

type Comp = { w: number; mu: number; sigma: number };

function sampleMixture(n: number, seed: number, comps: Comp[]): Float64Array {
  const rng = new Random(seed);
  const weights = comps.map((c) => c.w);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = comps[rng.categorical(weights)];
    out[i] = c.mu + c.sigma * rng.normal();
  }
  return out;
}

function assertWellFormed(m: Mixture1D): void {
  const K = m.means.length;
  assert.ok(K >= 1, 'at least one component');
  assert.equal(m.stds.length, K);
  assert.equal(m.weights.length, K);
  let total = 0;
  for (let k = 0; k < K; k++) {
    assert.ok(Number.isFinite(m.means[k]), `mean ${k} finite`);
    assert.ok(Number.isFinite(m.stds[k]) && m.stds[k] > 0, `std ${k} finite and positive`);
    assert.ok(m.weights[k] > 0 && m.weights[k] <= 1, `weight ${k} in (0, 1]`);
    if (k > 0) assert.ok(m.means[k] >= m.means[k - 1], 'means sorted ascending');
    total += m.weights[k];
  }
  assert.ok(Math.abs(total - 1) < 1e-12, `weights sum to 1 (got ${total})`);
}

/** The component that best matches each expected one (by mean), with tolerances. */
function assertRecovers(m: Mixture1D, expected: Comp[], tol: { mean: number; std: number; weight: number }): void {
  assert.equal(m.means.length, expected.length, `expected ${expected.length} components, got ${JSON.stringify(m)}`);
  const sorted = [...expected].sort((p, q) => p.mu - q.mu);
  sorted.forEach((c, k) => {
    assert.ok(Math.abs(m.means[k] - c.mu) < tol.mean, `mean ${m.means[k]} vs ${c.mu}`);
    assert.ok(Math.abs(m.stds[k] - c.sigma) < tol.std, `std ${m.stds[k]} vs ${c.sigma}`);
    assert.ok(Math.abs(m.weights[k] - c.w) < tol.weight, `weight ${m.weights[k]} vs ${c.w}`);
  });
}

function sumOf(r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i];
  return s;
}

function argmax(r: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < r.length; i++) if (r[i] > r[b]) b = i;
  return b;
}

const BIMODAL: Comp[] = [
  { w: 0.3, mu: -5, sigma: 1 },
  { w: 0.7, mu: 10, sigma: 2 },
];

test('bimodal mixture: recovers two components', () => {
  for (const seed of [1, 2, 3]) {
    const m = fitBayesianMixture(sampleMixture(20000, seed, BIMODAL));
    assertWellFormed(m);
    assertRecovers(m, BIMODAL, { mean: 0.3, std: 0.3, weight: 0.05 });
  }
});

test('bimodal mixture with fewer samples (2000)', () => {
  const m = fitBayesianMixture(sampleMixture(2000, 11, BIMODAL));
  assertWellFormed(m);
  assertRecovers(m, BIMODAL, { mean: 0.3, std: 0.3, weight: 0.05 });
});

test('trimodal mixture: recovers three components', () => {
  const comps: Comp[] = [
    { w: 0.2, mu: -10, sigma: 1 },
    { w: 0.5, mu: 0, sigma: 1.5 },
    { w: 0.3, mu: 8, sigma: 0.5 },
  ];
  const m = fitBayesianMixture(sampleMixture(20000, 4, comps));
  assertWellFormed(m);
  assertRecovers(m, comps, { mean: 0.3, std: 0.3, weight: 0.05 });
});

test('unimodal normal: one dominant component that fits the data', () => {
  for (const seed of [5, 6]) {
    const m = fitBayesianMixture(sampleMixture(20000, seed, [{ w: 1, mu: 3, sigma: 2 }]));
    assertWellFormed(m);
    assert.ok(m.means.length <= 2, `at most 2 components, got ${m.means.length}`);
    assert.ok(Math.max(...m.weights) >= 0.9, 'dominant component');
    // The mixture's mean and standard deviation match the data's.
    let mean = 0;
    let second = 0;
    m.means.forEach((mu, k) => {
      mean += m.weights[k] * mu;
      second += m.weights[k] * (m.stds[k] ** 2 + mu * mu);
    });
    assert.ok(Math.abs(mean - 3) < 0.1, `mixture mean ${mean}`);
    assert.ok(Math.abs(Math.sqrt(second - mean * mean) - 2) < 0.1, 'mixture std');
  }
});

test('constant column: one component with a small finite std', () => {
  for (const value of [7, 0, -3.5e9, 2e-12]) {
    const m = fitBayesianMixture(new Float64Array(500).fill(value));
    assertWellFormed(m);
    assert.equal(m.means.length, 1);
    assert.equal(m.means[0], value);
    assert.ok(m.stds[0] <= Math.max(1e-6 * Math.abs(value), 1e-6), `small std ${m.stds[0]}`);
    const r = responsibilities(m, value);
    assert.deepEqual(Array.from(r), [1]);
    assert.ok(Number.isFinite((value - m.means[0]) / (4 * m.stds[0])));
  }
  // A single value.
  const one = fitBayesianMixture([42]);
  assert.deepEqual(one.means, [42]);
  assert.ok(one.stds[0] > 0);
});

test('empty or non-finite input throws a clear error', () => {
  assert.throws(() => fitBayesianMixture([]), /no finite values/);
  assert.throws(() => fitBayesianMixture([NaN, Infinity, -Infinity]), /no finite values/);
});

test('non-finite values are ignored', () => {
  const x = Array.from(sampleMixture(3000, 7, BIMODAL));
  const dirty = x.flatMap((v, i) => (i % 100 === 0 ? [v, NaN, Infinity] : [v]));
  assert.deepEqual(fitBayesianMixture(dirty), fitBayesianMixture(x));
});

test('two distinct values', () => {
  const x = Array.from({ length: 2000 }, (_, i) => (i % 4 === 0 ? 1 : 2));
  const m = fitBayesianMixture(x);
  assertWellFormed(m);
  assert.equal(m.means.length, 2);
  assert.ok(Math.abs(m.means[0] - 1) < 1e-2 && Math.abs(m.means[1] - 2) < 1e-2);
  assert.ok(Math.abs(m.weights[0] - 0.25) < 0.01);
  // Only two points: still a valid mixture.
  assertWellFormed(fitBayesianMixture([1, 2]));
});

test('0/1 data: two narrow components, no sigma ~ 0', () => {
  const rng = new Random(8);
  const x = Array.from({ length: 10000 }, () => (rng.next() < 0.3 ? 1 : 0));
  const ones = x.filter((v) => v === 1).length / x.length;
  const m = fitBayesianMixture(x);
  assertWellFormed(m);
  assert.equal(m.means.length, 2);
  assert.ok(Math.abs(m.means[0]) < 0.01 && Math.abs(m.means[1] - 1) < 0.01);
  assert.ok(Math.abs(m.weights[1] - ones) < 0.01);
  for (const s of m.stds) assert.ok(s > 1e-4 && s < 0.1, `std ${s}`);
  for (const v of [0, 1]) {
    const k = argmax(responsibilities(m, v));
    assert.ok(Math.abs((v - m.means[k]) / (4 * m.stds[k])) < 0.1, 'alpha stays small');
  }
});

test('counts 0..5: one component per value with floored std', () => {
  const rng = new Random(9);
  const x = Array.from({ length: 12000 }, () => rng.int(6));
  const m = fitBayesianMixture(x);
  assertWellFormed(m);
  assert.equal(m.means.length, 6);
  m.means.forEach((mu, k) => assert.ok(Math.abs(mu - k) < 0.01, `mean ${mu}`));
  for (const s of m.stds) assert.ok(s > 1e-3 && s < 0.5, `std ${s}`);
  for (let v = 0; v <= 5; v++) {
    const k = argmax(responsibilities(m, v));
    assert.equal(k, v);
    assert.ok(Math.abs((v - m.means[k]) / (4 * m.stds[k])) < 0.1);
  }
});

test('lognormal skew: finite fit, responsibilities sum to 1', () => {
  const rng = new Random(10);
  const x = Float64Array.from({ length: 20000 }, () => Math.exp(1.5 * rng.normal()));
  const m = fitBayesianMixture(x);
  assertWellFormed(m);
  assert.ok(m.means.length >= 2, 'skewed data needs several modes');
  const out = new Float64Array(m.means.length);
  for (const v of [0, 1e-6, 0.5, 1, 3, 10, 100, 1e4, 1e12, -50]) {
    const r = responsibilities(m, v, out);
    assert.equal(r, out, 'writes into out');
    for (const p of r) assert.ok(p >= 0 && p <= 1 && Number.isFinite(p));
    assert.ok(Math.abs(sumOf(r) - 1) < 1e-12, `sum at ${v}`);
  }
});

test('heavy tails (Student t, 2 degrees of freedom): finite fit', () => {
  const rng = new Random(12);
  const x = Float64Array.from({ length: 20000 }, () => {
    const chi2 = rng.normal() ** 2 + rng.normal() ** 2;
    return rng.normal() / Math.sqrt(chi2 / 2);
  });
  const m = fitBayesianMixture(x);
  assertWellFormed(m);
  const k = argmax(m.weights);
  assert.ok(Math.abs(m.means[k]) < 0.2, 'dominant component at the centre');
  assert.ok(m.stds[k] < 3, 'bulk component not swamped by the tails');
});

test('huge and tiny magnitudes: scale and shift equivariant', () => {
  const x = sampleMixture(20000, 13, BIMODAL);
  const base = fitBayesianMixture(x);
  for (const [scale, shift] of [
    [1e9, 0],
    [1e-9, 0],
    [1e3, 5e9],
  ] as const) {
    const m = fitBayesianMixture(Float64Array.from(x, (v) => v * scale + shift));
    assertWellFormed(m);
    assert.equal(m.means.length, base.means.length);
    for (let k = 0; k < m.means.length; k++) {
      assert.ok(Math.abs((m.means[k] - shift) / scale - base.means[k]) < 1e-3, 'mean');
      assert.ok(Math.abs(m.stds[k] / scale - base.stds[k]) < 1e-3, 'std');
      assert.ok(Math.abs(m.weights[k] - base.weights[k]) < 1e-3, 'weight');
    }
  }
});

test('deterministic: same data and seed give identical results', () => {
  const x = sampleMixture(50000, 14, BIMODAL); // more than maxSamples: seeded subsample
  const a = fitBayesianMixture(x, { seed: 3 });
  const b = fitBayesianMixture(x, { seed: 3 });
  assert.deepEqual(a, b);
  const c = fitBayesianMixture(x, { seed: 4 });
  assertRecovers(c, BIMODAL, { mean: 0.3, std: 0.3, weight: 0.05 });
  const small = fitBayesianMixture(x, { seed: 3, maxSamples: 1000 });
  assert.deepEqual(small, fitBayesianMixture(x, { seed: 3, maxSamples: 1000 }));
});

test('options: maxComponents and weightThreshold', () => {
  const x = sampleMixture(5000, 15, BIMODAL);
  const one = fitBayesianMixture(x, { maxComponents: 1 });
  assert.equal(one.means.length, 1);
  assertWellFormed(one);
  assert.throws(() => fitBayesianMixture(x, { maxComponents: 0 }), /maxComponents/);
  const rng = new Random(16);
  const uniform = Float64Array.from({ length: 20000 }, () => rng.next());
  const loose = fitBayesianMixture(uniform);
  const strict = fitBayesianMixture(uniform, { weightThreshold: 0.15 });
  assertWellFormed(strict);
  assert.ok(strict.weights.length <= loose.weights.length);
  // Renormalised weights are at least the raw ones, so every kept one exceeds the threshold.
  assert.ok(strict.weights.every((w) => w > 0.15), JSON.stringify(strict.weights));
});

test('responsibilities: sum to 1, nearest component at component means, stable far out', () => {
  const m = fitBayesianMixture(
    sampleMixture(20000, 17, [
      { w: 0.2, mu: -10, sigma: 1 },
      { w: 0.5, mu: 0, sigma: 1.5 },
      { w: 0.3, mu: 8, sigma: 0.5 },
    ]),
  );
  for (let k = 0; k < m.means.length; k++) {
    const r = responsibilities(m, m.means[k]);
    assert.ok(Math.abs(sumOf(r) - 1) < 1e-12);
    assert.equal(argmax(r), k);
    assert.ok(r[k] > 0.99);
  }
  for (const x of [-1e6, -1e300, 1e6, 1e300, 4, -5]) {
    const r = responsibilities(m, x);
    assert.ok(r.every((p) => Number.isFinite(p) && p >= 0));
    assert.ok(Math.abs(sumOf(r) - 1) < 1e-12, `sum at ${x}`);
  }
  assert.deepEqual(Array.from(responsibilities(m, -Infinity)), [1, 0, 0]);
  assert.deepEqual(Array.from(responsibilities(m, Infinity)), [0, 0, 1]);
  assert.deepEqual(Array.from(responsibilities(m, NaN)), m.weights);
  assert.throws(() => responsibilities(m, 0, new Float64Array(2)), /out has 2 entries/);
  // A hand-made mixture: log-sum-exp keeps tiny densities from underflowing to 0/0.
  const hand: Mixture1D = { means: [0, 1], stds: [1e-3, 1e-3], weights: [0.5, 0.5] };
  const r = responsibilities(hand, 0.4);
  assert.ok(r[0] > 0.999999 && Math.abs(sumOf(r) - 1) < 1e-12);
});

test('fit time for 20k values (diagnostic only)', (t) => {
  const x = sampleMixture(20000, 18, BIMODAL);
  const t0 = performance.now();
  fitBayesianMixture(x);
  const first = performance.now() - t0;
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    fitBayesianMixture(x);
    times.push(performance.now() - s);
  }
  times.sort((p, q) => p - q);
  t.diagnostic(`fit of 20000 values (K=10): first call ${first.toFixed(1)} ms, median of 5 ${times[2].toFixed(1)} ms`);
});
