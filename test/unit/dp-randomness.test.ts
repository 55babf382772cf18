/**
 * The randomness and the accounting that a privacy guarantee rests on: the exact discrete
 * Gaussian of the counts, the secure stream behind every DP draw, the "Other" level as
 * post-processing, numbers anywhere in the double range, and requests the accountants cannot
 * honour (refused, never answered with Infinity or NaN).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate } from '../../src/core/generate';
import { readModelFile } from '../../src/core/generators/model-file';
import { poissonBatch } from '../../src/core/model/dp-sgd';
import { bernoulliExpNeg, discreteGaussian, rationalVariance } from '../../src/core/privacy/discrete-gaussian';
import { calibrateNoise, histogramsOnlyRho, ledger, MAX_EPSILON, planBudget, privacyRequestProblem } from '../../src/core/privacy/budget';
import { privateStatistics, remainderCount, rowsNeeded, type CategoricalHistogram } from '../../src/core/privacy/preprocess';
import { Random, SecureRandom } from '../../src/core/random';
import { inferSchema } from '../../src/core/schema/infer';
import { loadTable } from '../../src/core/table';
import { tempDir, tempFile } from '../helpers/files';
import { seededSecure } from '../helpers/random';

// The module object itself (an ES namespace import is read-only), so that tests can watch or
// replace its random bytes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const crypto = require('node:crypto') as typeof import('node:crypto');

/** Exact pmf of N_Z(0, σ²) over [-range, range] (the mass beyond is below 1e-30 here). */
function discreteGaussianPmf(sigma2: number, range: number): Map<number, number> {
  const weights = new Map<number, number>();
  let total = 0;
  for (let x = -range; x <= range; x++) {
    const w = Math.exp(-(x * x) / (2 * sigma2));
    weights.set(x, w);
    total += w;
  }
  for (const [x, w] of weights) weights.set(x, w / total);
  return weights;
}

test('the discrete Gaussian matches its exact distribution (chi-square, mean, variance)', () => {
  for (const sigma of [0.4, 3, 12.5]) {
    const random = seededSecure(Math.round(sigma * 10));
    const variance = rationalVariance(sigma);
    const sigma2 = Number(variance.num) / Number(variance.den);
    const range = Math.ceil(12 * sigma) + 2;
    const pmf = discreteGaussianPmf(sigma2, range);
    const draws = 60_000;
    const observed = new Map<number, number>();
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < draws; i++) {
      const x = discreteGaussian(random, variance);
      assert.ok(Number.isInteger(x));
      observed.set(x, (observed.get(x) ?? 0) + 1);
      sum += x;
      squares += x * x;
    }
    // Cells of at least 20 expected draws; the tails pooled into one cell on each side.
    let chi2 = 0;
    let cells = 0;
    const core = [...pmf.keys()].filter((x) => pmf.get(x)! * draws >= 20);
    const lo = Math.min(...core);
    const hi = Math.max(...core);
    const cell = (expected: number, seen: number): void => {
      chi2 += (seen - expected) ** 2 / expected;
      cells++;
    };
    for (let x = lo; x <= hi; x++) cell(pmf.get(x)! * draws, observed.get(x) ?? 0);
    const tail = (inside: (x: number) => boolean): void => {
      let expected = 0;
      let seen = 0;
      for (const [x, p] of pmf) if (inside(x)) expected += p * draws;
      for (const [x, c] of observed) if (inside(x)) seen += c;
      if (expected > 0) cell(expected, seen);
    };
    tail((x) => x < lo);
    tail((x) => x > hi);
    const df = cells - 1;
    // The chi-square 99.9 % quantile, by Wilson-Hilferty.
    const critical = df * (1 - 2 / (9 * df) + 3.09 * Math.sqrt(2 / (9 * df))) ** 3;
    assert.ok(chi2 < critical, `sigma ${sigma}: chi-square ${chi2.toFixed(1)} over ${df} degrees of freedom (critical ${critical.toFixed(1)})`);
    let exactVariance = 0;
    for (const [x, p] of pmf) exactVariance += x * x * p;
    const mean = sum / draws;
    const sampleVariance = squares / draws - mean * mean;
    assert.ok(Math.abs(mean) < 5 * Math.sqrt(exactVariance / draws), `sigma ${sigma}: mean ${mean}`);
    assert.ok(Math.abs(sampleVariance / exactVariance - 1) < 0.03, `sigma ${sigma}: variance ${sampleVariance} against exact ${exactVariance}`);
    // Below σ ≈ 1 the discrete variance is visibly less than σ²; the sampler follows the exact one.
    if (sigma < 1) assert.ok(exactVariance < sigma2 * 0.9 && Math.abs(sampleVariance - exactVariance) < Math.abs(sampleVariance - sigma2));
  }
});

test('exact Bernoulli(exp(-γ)) trials for rational γ below and above 1', () => {
  const random = seededSecure(3);
  for (const [n, d] of [[1n, 2n], [7n, 3n], [0n, 1n], [5n, 1n]] as const) {
    const trials = 40_000;
    let ones = 0;
    for (let i = 0; i < trials; i++) if (bernoulliExpNeg(random, n, d)) ones++;
    const p = Math.exp(-Number(n) / Number(d));
    assert.ok(Math.abs(ones / trials - p) < 5 * Math.sqrt((p * (1 - p)) / trials) + 1e-9, `exp(-${n}/${d}) = ${p}: got ${ones / trials}`);
  }
});

test('the variance is never rounded down: noise is at least what the ledger charges', () => {
  for (const sigma of [0.3, 1, Math.PI, 10.49, 1234.5]) {
    const v = rationalVariance(sigma);
    const sigma2 = Number(v.num) / Number(v.den);
    assert.ok(sigma2 >= sigma * sigma && sigma2 - sigma * sigma <= 2 ** -20, `sigma ${sigma}: ${sigma2}`);
  }
  assert.throws(() => rationalVariance(0), /positive finite sigma/);
  assert.throws(() => rationalVariance(Infinity), /positive finite sigma/);
});

test('the secure stream reads Node\'s CSPRNG, buffered, and gives 53-bit uniforms', () => {
  const original = crypto.randomFillSync;
  let calls = 0;
  (crypto as { randomFillSync: typeof crypto.randomFillSync }).randomFillSync = ((buffer: Uint8Array) => {
    calls++;
    return original(buffer);
  }) as typeof crypto.randomFillSync;
  try {
    const random = Random.secure();
    assert.ok(random instanceof SecureRandom);
    let below = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = random.next();
      assert.ok(u >= 0 && u < 1 && Number.isInteger(u * 2 ** 53));
      if (u < 0.25) below++;
    }
    assert.ok(Math.abs(below / 100_000 - 0.25) < 0.01);
    // 200,000 words from a pool of 16,384 words: about a dozen refills, not one call per draw.
    assert.ok(calls >= 12 && calls <= 14, `${calls} calls to randomFillSync`);
    const normals = Array.from({ length: 50_000 }, () => random.normal());
    const mean = normals.reduce((a, b) => a + b, 0) / normals.length;
    const sd = Math.sqrt(normals.reduce((a, b) => a + b * b, 0) / normals.length - mean * mean);
    assert.ok(Math.abs(mean) < 0.03 && Math.abs(sd - 1) < 0.02, `normal mean ${mean}, sd ${sd}`);
    // Two secure streams share nothing, whatever the seeds.
    assert.notEqual(Random.secure().next(), Random.secure().next());
  } finally {
    (crypto as { randomFillSync: typeof crypto.randomFillSync }).randomFillSync = original;
  }
});

test('DP code only accepts the secure stream', () => {
  // Compile-time checks (npm run typecheck): a seeded generator cannot reach a DP draw.
  const unused = (): void => {
    // @ts-expect-error a seeded Random is not a SecureRandom
    poissonBatch(10, 0.5, new Random(1));
    // @ts-expect-error nor for the discrete Gaussian
    discreteGaussian(new Random(1), rationalVariance(1));
  };
  assert.equal(typeof unused, 'function');
  assert.equal(poissonBatch(10, 1, seededSecure(1)).length, 10);
});

function admissions(rows: number, seed: number): string {
  const random = new Random(seed);
  const lines = ['age,ward,los'];
  for (let i = 0; i < rows; i++) {
    // Eight rare wards of five rows each: counts well below the release threshold.
    const ward = i < 40 ? `Rare ${i % 8}` : ['A', 'B', 'C'][random.int(3)];
    lines.push(`${20 + random.int(70)},${ward},${random.next() < 0.1 ? '' : 1 + random.int(20)}`);
  }
  return lines.join('\n') + '\n';
}

test('a DP release depends on the secure stream only, never on --seed', async () => {
  const file = tempFile('admissions.csv', admissions(1500, 1));
  const dir = tempDir();
  const run = async (seed: number, name: string) => {
    const { outputs } = await generate({ input: file, out: path.join(dir, `${name}.csv`), seed, generator: 'marginals', privacy: { epsilon: 1 }, evaluate: false, holdoutFraction: 0 });
    return (await readModelFile(outputs.model)).marginals;
  };
  const original = crypto.randomFillSync;
  const fixedStream = (): void => {
    const stream = new Random(77);
    (crypto as { randomFillSync: typeof crypto.randomFillSync }).randomFillSync = ((buffer: Uint8Array) => {
      for (let i = 0; i < buffer.length; i++) buffer[i] = stream.nextUint32() & 0xff;
      return buffer;
    }) as typeof crypto.randomFillSync;
  };
  try {
    fixedStream();
    const a = await run(1, 'a');
    fixedStream();
    const b = await run(2, 'b');
    assert.deepEqual(a, b, 'with the same secure bytes, a different --seed releases the same histograms');
  } finally {
    (crypto as { randomFillSync: typeof crypto.randomFillSync }).randomFillSync = original;
  }
  const c = await run(1, 'c');
  const d = await run(1, 'd');
  assert.notDeepEqual(c, d, 'the same --seed twice gives fresh noise');
});

test('"Other" gets no rows by noise alone in a column with no value beyond its released ones, and keeps the rows of real unreleased values', () => {
  // A yes/no column at rhc's noise (σ 27): row count, two levels and missing each released with noise.
  const random = new Random(9);
  const sigma = 27;
  const release = (unreleased: number): number => {
    const [yes, no, missing] = [3000, 2700, 0];
    const rows = yes + no + missing + unreleased;
    const counts = [yes + sigma * random.normal(), no + sigma * random.normal()];
    const noisyMissing = Math.max(0, missing + sigma * random.normal());
    return remainderCount(rows + sigma * random.normal(), counts, noisyMissing < 2 * sigma ? 0 : noisyMissing, sigma);
  };
  const trials = 2000;
  let spurious = 0;
  for (let t = 0; t < trials; t++) if (release(0) > 0) spurious++;
  // At the former floor of 2 deviations 13 of these 2,000; now under 1 expected.
  assert.ok(spurious <= 3, `${spurious} of ${trials} releases gave "Other" rows the column does not hold`);
  // Unreleased values of 5 deviations of the remainder's noise (σ √4) show in nearly every release.
  let kept = 0;
  for (let t = 0; t < trials; t++) if (release(5 * sigma * 2) > 0) kept++;
  assert.ok(kept >= 0.95 * trials, `${kept} of ${trials}`);
});

test('"Other" is post-processing of released counts: a suppressed row is counted once, in the row count', async () => {
  const file = tempFile('admissions.csv', admissions(2000, 2));
  const schema = await inferSchema(file);
  const full = await loadTable(file, schema);
  // The neighbour without the first row (of a rare ward).
  const neighbourFile = tempFile('neighbour.csv', admissions(2000, 2).split('\n').filter((_, i) => i !== 1).join('\n'));
  const neighbour = await loadTable(neighbourFile, schema);
  const ward = schema.columns.findIndex((c) => c.name === 'ward');
  const options = { rho: 0.5, thresholdDelta: 1e-7, needsCounts: true };
  const a = privateStatistics(schema, full, { ...options, random: seededSecure(5) });
  const b = privateStatistics(schema, neighbour, { ...options, random: seededSecure(5) });
  for (const stats of [a, b]) {
    const h = stats.histograms[ward] as CategoricalHistogram;
    assert.deepEqual(h.levels, ['A', 'B', 'C', 'Other'], 'rare wards are suppressed');
    const other = h.levels.indexOf('Other');
    const released = h.counts.filter((_, i) => i !== other);
    assert.equal(h.counts[other], remainderCount(stats.releasedRowCount, released, h.missing, h.sigma!), 'Other is the row count left after the released counts');
    // The ledger: one release of rho each, for every histogram the plan names, the row count included.
    const rhoEach = stats.releases[0].rho;
    assert.ok(stats.releases.every((r) => r.rho === rhoEach));
    assert.ok(Math.abs(stats.rho - rhoEach * stats.releases.length) < 1e-15);
    assert.equal(stats.releases.filter((r) => r.column === 'ward').length, 1, 'the categorical column is one release, Other included');
  }
  // Coupled noise (same secure bytes): removing the row moves the row count release by exactly 1,
  // Other by that same 1 and no released category count at all.
  assert.equal(a.releasedRowCount - b.releasedRowCount, 1);
  const ha = a.histograms[ward] as CategoricalHistogram;
  const hb = b.histograms[ward] as CategoricalHistogram;
  assert.deepEqual(ha.levels, hb.levels);
  const other = ha.levels.indexOf('Other');
  ha.counts.forEach((c, i) => assert.equal(c - hb.counts[i], i === other ? 1 : 0, ha.levels[i]));
});

test('values far beyond 2^40 (epoch milliseconds around 1e13) keep their range under DP', async () => {
  const random = new Random(8);
  const lines = ['stamp,group'];
  for (let i = 0; i < 3000; i++) lines.push(`${1e13 + random.int(50) * 1e9},${['a', 'b'][random.int(2)]}`);
  const file = tempFile('stamps.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const stamp = schema.columns.find((c) => c.name === 'stamp')!;
  assert.ok(stamp.kind === 'integer' || stamp.kind === 'continuous', `inferred as ${stamp.kind}`);
  const dir = tempDir();
  for (const generator of ['marginals', 'tvae'] as const) {
    const { outputs } = await generate({ input: file, out: path.join(dir, `${generator}.csv`), generator, epochs: 1, privacy: { epsilon: 3 }, evaluate: false, holdoutFraction: 0, rows: 500 });
    const values = fs.readFileSync(outputs.csv, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
    const inRange = values.filter((v) => v >= 9.9e12 && v <= 1.06e13).length;
    assert.ok(inRange >= 0.95 * values.length, `${generator}: ${inRange} of ${values.length} values near 1e13 (min ${Math.min(...values)}, max ${Math.max(...values)})`);
  }
});

test('bounds from the grid contain values anywhere in the double range', async () => {
  const random = new Random(9);
  const lines = ['huge,negative'];
  for (let i = 0; i < 2000; i++) lines.push(`${(1 + random.next()) * 1e300},${-(1 + random.next()) * 1e25}`);
  const file = tempFile('huge.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const stats = privateStatistics(schema, table, { rho: 0.5, thresholdDelta: 1e-7, random: seededSecure(3), needsCounts: true });
  for (const [index, [lo, hi]] of [[1e300, 2e300], [-2e25, -1e25]].entries()) {
    const h = stats.histograms[index]!;
    assert.equal(h.type, 'numeric');
    if (h.type !== 'numeric') continue;
    assert.ok(Number.isFinite(h.min) && Number.isFinite(h.max) && h.min <= lo && h.max >= hi, `${schema.columns[index].name}: bounds ${h.min} .. ${h.max}`);
    assert.ok(h.edges.every(Number.isFinite) && h.counts.some((c) => c > 0));
  }
});

test('too few rows for the budget is an error naming the rows needed, before training', async () => {
  const file = tempFile('small.csv', admissions(25, 4));
  const dir = tempDir();
  const phases: string[] = [];
  await assert.rejects(
    generate({ input: file, out: path.join(dir, 'small.synthetic.csv'), privacy: { epsilon: 3 }, evaluate: false, onPhase: (p) => phases.push(p) }),
    /too few rows for this privacy budget: the file has about \d+ training rows .* need at least \d+ rows\. Use a larger file, a larger --epsilon, or --generator marginals/,
  );
  assert.ok(!phases.includes('train'), 'no training started');
  assert.deepEqual(fs.readdirSync(dir), [], 'no output left');
  // A large file sampled down to a few rows is refused the same way.
  const large = tempFile('large.csv', admissions(2000, 4));
  await assert.rejects(generate({ input: large, out: path.join(dir, 'sample.csv'), privacy: { epsilon: 3 }, maxTrainingRows: 5, evaluate: false }), /too few rows/);
  // The rows needed follow the noise alone, so they are known before any data is read.
  assert.ok(rowsNeeded(10) > 60 && rowsNeeded(10) < 100, `${rowsNeeded(10)}`);
  assert.ok(rowsNeeded(20) > rowsNeeded(10));
});

test('epsilon up to the stated maximum keeps the accountants finite; beyond it, and NaN, are refused', () => {
  assert.equal(MAX_EPSILON, 50);
  for (const accountant of ['pld', 'rdp'] as const) {
    const plan = planBudget({ epsilon: MAX_EPSILON, delta: 1e-6, generator: 'marginals', thresholdedColumns: 2 });
    const rho = histogramsOnlyRho(plan, accountant);
    const spent = ledger(rho, 0, 1, 0).epsilon(plan.accountingDelta, accountant);
    assert.ok(Number.isFinite(rho) && spent <= MAX_EPSILON && spent > 0.99 * MAX_EPSILON, `${accountant}: rho ${rho}, epsilon ${spent}`);
  }
  const plan = planBudget({ epsilon: MAX_EPSILON, delta: 1e-6, generator: 'tvae', thresholdedColumns: 0 });
  const sigma = calibrateNoise(plan, plan.rhoPreprocessing, 0.08, 13, 'rdp');
  const spent = ledger(plan.rhoPreprocessing, 0.08, sigma, 13).epsilon(plan.accountingDelta, 'rdp');
  assert.ok(Number.isFinite(sigma) && sigma > 0 && spent <= MAX_EPSILON && spent > 0.95 * MAX_EPSILON, `sigma ${sigma}, epsilon ${spent}`);
  for (const epsilon of [1000, 1e5, 1e9, Infinity, NaN, 0, -1]) {
    assert.ok(privacyRequestProblem(epsilon, 1e-6), `epsilon ${epsilon} is refused`);
    assert.throws(() => planBudget({ epsilon, delta: 1e-6, generator: 'tvae', thresholdedColumns: 0 }), /epsilon/);
  }
  for (const delta of [0, -1e-6, 1, NaN]) assert.throws(() => planBudget({ epsilon: 1, delta, generator: 'tvae', thresholdedColumns: 0 }), /delta/);
});
