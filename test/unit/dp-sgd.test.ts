import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as TfCore from '@tensorflow/tfjs-core';
import { loadTensorflow, type Tf } from '../../src/core/model/backend';
import { DP_CHUNK_ROWS, dpTrainStep, perExampleGradients, poissonBatch, unitBatch, type DpSgdOptions } from '../../src/core/model/dp-sgd';
import { groupByUnit } from '../../src/core/privacy/units';
import { layoutFromSpans, TrainingData, Tvae } from '../../src/core/model/tvae';
import { Random } from '../../src/core/random';
import { seededSecure } from '../helpers/random';
import type { OutputSpan } from '../../src/core/transform/transformer';

/**
 * A small encoded table by hand: a numeric column (value + 3 components), a numeric column with
 * missing values (value + 2 components + missing flag) and a categorical column with missing
 * values (4 categories + missing flag). Rows are random but valid one-hots.
 */
function fixture(rows: number, seed = 1) {
  const spans: OutputSpan[] = [
    { kind: 'value', start: 0, size: 1, column: 0 },
    { kind: 'component', start: 1, size: 3, column: 0 },
    { kind: 'value', start: 4, size: 1, column: 1 },
    { kind: 'component', start: 5, size: 2, column: 1 },
    { kind: 'missing', start: 7, size: 2, column: 1 },
    { kind: 'category', start: 9, size: 4, column: 2 },
    { kind: 'missing', start: 13, size: 2, column: 2 },
  ];
  const width = 15;
  const layout = layoutFromSpans(spans, width);
  const random = new Random(seed);
  const m = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    m[o] = random.next() * 1.8 - 0.9;
    m[o + 1 + random.int(3)] = 1;
    const present1 = random.next() < 0.7;
    m[o + 7] = present1 ? 1 : 0;
    m[o + 8] = present1 ? 0 : 1;
    if (present1) {
      m[o + 4] = random.next() * 1.8 - 0.9;
      m[o + 5 + random.int(2)] = 1;
    }
    const present2 = random.next() < 0.8;
    m[o + 13] = present2 ? 1 : 0;
    m[o + 14] = present2 ? 0 : 1;
    if (present2) m[o + 9 + random.int(4)] = 1;
  }
  return { layout, data: new TrainingData(m, rows, layout) };
}

const SMALL = { latentDim: 8, encoderDims: [16, 12], decoderDims: [12, 16] };

function flatten(values: Record<string, Float32Array | Float64Array>, names: string[]): Float64Array {
  const total = names.reduce((s, n) => s + values[n].length, 0);
  const out = new Float64Array(total);
  let at = 0;
  for (const n of names) {
    out.set(values[n], at);
    at += values[n].length;
  }
  return out;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const diff = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) diff[i] = a[i] - b[i];
  return norm(diff) / norm(b);
}

/**
 * The naive reference: one tf.variableGrads per example (a batch of one, normaliser 1, the same
 * latent noise row), each flat gradient clipped and summed in float64.
 */
function naive(tf: Tf, model: Tvae, batch: ReturnType<Tvae['batchTensors']>, variables: TfCore.Variable[], C: number) {
  const rows = batch.x.shape[0];
  const names = variables.map((v) => v.name);
  const norms = new Float64Array(rows);
  let sum: Float64Array | undefined;
  for (let i = 0; i < rows; i++) {
    const values: Record<string, Float32Array> = {};
    tf.tidy(() => {
      const one = (t: TfCore.Tensor2D) => tf.slice(t, [i, 0], [1, t.shape[1]]);
      const { grads } = tf.variableGrads(
        () => model.lossOf(one(batch.x), one(batch.valueMask), one(batch.segmentMask), one(batch.epsilon), 1).loss,
        variables,
      );
      for (const n of names) values[n] = grads[n].dataSync() as Float32Array;
    });
    const flat = flatten(values, names);
    norms[i] = norm(flat);
    const factor = Math.min(1, C / (norms[i] + 1e-6));
    sum ??= new Float64Array(flat.length);
    for (let j = 0; j < flat.length; j++) sum[j] += factor * flat[j];
  }
  return { norms, sum: sum!, names };
}

function disposeBatch(tf: Tf, batch: ReturnType<Tvae['batchTensors']>): void {
  tf.dispose([batch.x, batch.valueMask, batch.segmentMask, batch.epsilon]);
}

/** Records the gradients each step hands to Adam (the last step's, by variable name). */
function captureGradients(model: Tvae): Record<string, Float32Array> {
  const captured: Record<string, Float32Array> = {};
  const original = model.applyGradients.bind(model);
  model.applyGradients = (grads) => {
    for (const name of Object.keys(captured)) delete captured[name];
    for (const [name, g] of Object.entries(grads)) captured[name] = (g.dataSync() as Float32Array).slice();
    original(grads);
  };
  return captured;
}

test('per-example norms and clipped sums equal per-example backward passes', async () => {
  const { tf } = await loadTensorflow();
  const { layout, data } = fixture(40);
  const model = new Tvae(tf, layout, SMALL, 7);
  // A few ordinary steps first, so that sigma and the weights are not at their initial values.
  const r = seededSecure(3);
  for (let s = 0; s < 5; s++) model.trainStep(data, poissonBatch(data.rows, 0.5, r), r);
  const rows = Array.from({ length: 24 }, (_, i) => i);
  const batch = model.batchTensors(data, rows, new Random(4));
  for (const clipSigma of [true, false]) {
    const variables = model.variables().filter((v) => clipSigma || !v.name.endsWith('/sigma'));
    const unclipped = naive(tf, model, batch, variables, Infinity);
    const sorted = Array.from(unclipped.norms).sort((a, b) => a - b);
    // C at the median: half the examples are clipped, half are not.
    const C = sorted[Math.floor(sorted.length / 2)];
    for (const clippingNorm of [Infinity, C]) {
      const reference = clippingNorm === Infinity ? unclipped : naive(tf, model, batch, variables, clippingNorm);
      const ours = perExampleGradients(tf, model, batch, { clippingNorm, clipSigma });
      assert.deepEqual(Object.keys(ours.clippedSum).sort(), [...reference.names].sort(), 'every trained parameter is clipped');
      const normError = relativeError(ours.norms, reference.norms);
      let worst = 0;
      for (let i = 0; i < rows.length; i++) worst = Math.max(worst, Math.abs(ours.norms[i] - reference.norms[i]) / reference.norms[i]);
      const sumError = relativeError(flatten(ours.clippedSum, reference.names), reference.sum);
      console.log(`clipSigma=${clipSigma} C=${clippingNorm.toPrecision(4)}: norms rel. error ${normError.toExponential(2)} (worst row ${worst.toExponential(2)}), clipped sum rel. error ${sumError.toExponential(2)}`);
      assert.ok(worst <= 1e-5, `per-example norm relative error ${worst}`);
      assert.ok(sumError <= 1e-5, `clipped sum relative error ${sumError}`);
    }
  }
  disposeBatch(tf, batch);
  model.dispose();
});

/** The reference per person: one backward pass of the loss summed over the person's rows. */
function naivePerPerson(tf: Tf, model: Tvae, batch: ReturnType<Tvae['batchTensors']>, variables: TfCore.Variable[], units: Int32Array, C: number) {
  const names = variables.map((v) => v.name);
  const people = Math.max(...units) + 1;
  const norms = new Float64Array(people);
  let sum: Float64Array | undefined;
  for (let p = 0; p < people; p++) {
    const rows = Array.from(units.keys()).filter((i) => units[i] === p);
    const values: Record<string, Float32Array> = {};
    tf.tidy(() => {
      const pick = (t: TfCore.Tensor2D) => tf.gather(t, tf.tensor1d(rows, 'int32')) as TfCore.Tensor2D;
      const { grads } = tf.variableGrads(() => model.lossOf(pick(batch.x), pick(batch.valueMask), pick(batch.segmentMask), pick(batch.epsilon), 1).loss, variables);
      for (const n of names) values[n] = grads[n].dataSync() as Float32Array;
    });
    const flat = flatten(values, names);
    norms[p] = norm(flat);
    const factor = Math.min(1, C / (norms[p] + 1e-6));
    sum ??= new Float64Array(flat.length);
    for (let j = 0; j < flat.length; j++) sum[j] += factor * flat[j];
  }
  return { norms, sum: sum!, names };
}

test('per-person clipping: norms of each person\'s summed gradient and the clipped sum equal a direct computation', async () => {
  const { tf } = await loadTensorflow();
  const { layout, data } = fixture(40, 2);
  const model = new Tvae(tf, layout, SMALL, 9);
  const r = seededSecure(3);
  for (let s = 0; s < 5; s++) model.trainStep(data, poissonBatch(data.rows, 0.5, r), r);
  const rows = Array.from({ length: 40 }, (_, i) => i);
  // Seven people of 1 to 20 rows, their rows interleaved in the batch. Person 6's 20 rows make
  // the outright per-person gradient cheaper than the Gram for some layers: both ways are used.
  const small = [0, 1, 1, 2, 0, 3, 1, 2, 4, 1, 5, 1, 0, 1, 2, 1, 1, 3, 1, 4, 2, 2, 3, 0];
  const units = Int32Array.from(rows, (i) => (i % 5 === 4 && i < 80 ? 6 : (small[i] ?? 6)));
  const people = Math.max(...units) + 1;
  const batch = model.batchTensors(data, rows, new Random(4));
  // Tiny blocks: the people are cut into several chunks (the largest alone).
  for (const [clipSigma, blockFloats] of [[true, undefined], [false, undefined], [true, 16 * 20]] as const) {
    const variables = model.variables().filter((v) => clipSigma || !v.name.endsWith('/sigma'));
    const unclipped = naivePerPerson(tf, model, batch, variables, units, Infinity);
    const sorted = Array.from(unclipped.norms).sort((a, b) => a - b);
    const C = sorted[Math.floor(sorted.length / 2)];
    for (const clippingNorm of [Infinity, C]) {
      const reference = clippingNorm === Infinity ? unclipped : naivePerPerson(tf, model, batch, variables, units, clippingNorm);
      const ours = perExampleGradients(tf, model, batch, { clippingNorm, clipSigma, units, blockFloats });
      assert.equal(ours.norms.length, people, 'one norm per person');
      let worst = 0;
      for (let p = 0; p < people; p++) worst = Math.max(worst, Math.abs(ours.norms[p] - reference.norms[p]) / reference.norms[p]);
      const sumError = relativeError(flatten(ours.clippedSum, reference.names), reference.sum);
      console.log(`per person, clipSigma=${clipSigma}${blockFloats ? ' small blocks' : ''} C=${clippingNorm.toPrecision(4)}: worst norm rel. error ${worst.toExponential(2)}, clipped sum rel. error ${sumError.toExponential(2)}`);
      assert.ok(worst <= 1e-5, `per-person norm relative error ${worst}`);
      assert.ok(sumError <= 1e-5, `clipped sum relative error ${sumError}`);
    }
  }
  // People of one row each: per-person clipping is per-example clipping.
  const single = perExampleGradients(tf, model, batch, { clippingNorm: 1, units: Int32Array.from(rows) });
  const perRow = perExampleGradients(tf, model, batch, { clippingNorm: 1 });
  assert.ok(relativeError(single.norms, perRow.norms) <= 1e-5);
  disposeBatch(tf, batch);
  model.dispose();
});

test('unitBatch samples whole people: every sampled person comes with all of their rows', () => {
  const groups = groupByUnit(Int32Array.from([0, 1, 0, 2, 1, 0, 3, 3, 3, 3]));
  const random = seededSecure(11);
  let seenPeople = 0;
  for (let t = 0; t < 200; t++) {
    const { rows, units } = unitBatch(groups, 0.5, random);
    const people = new Set(units);
    seenPeople += people.size;
    for (const local of people) {
      const mine = Array.from(rows.filter((_, i) => units[i] === local)).sort((a, b) => a - b);
      const person = groups.rows.indexOf(mine[0]);
      const u = Array.from(groups.offsets).findIndex((o, k) => k < groups.count && o <= person && person < groups.offsets[k + 1]);
      assert.deepEqual(mine, Array.from(groups.rows.subarray(groups.offsets[u], groups.offsets[u + 1])).sort((a, b) => a - b));
    }
  }
  // Four people at rate 0.5 over 200 steps: about 400 people sampled.
  assert.ok(seenPeople > 340 && seenPeople < 460, `${seenPeople} people sampled`);
});

test('without noise or clipping, a DP step follows the gradient of the sum over the expected batch size', async () => {
  const { tf } = await loadTensorflow();
  const { layout, data } = fixture(60);
  const model = new Tvae(tf, layout, SMALL, 8);
  const rows = poissonBatch(data.rows, 0.4, seededSecure(5));
  const expectedBatchSize = 0.4 * data.rows;
  assert.ok(rows.length > 0 && rows.length !== expectedBatchSize);
  const captured = captureGradients(model);
  const options: DpSgdOptions = { samplingRate: 0.4, noiseMultiplier: 0, clippingNorm: 1e12, expectedBatchSize };
  const result = dpTrainStep(tf, model, data, rows, seededSecure(6), options);
  assert.equal(result.clippedFraction, 0);
  assert.equal(result.batchSize, rows.length);
  // The reference runs on the parameters before the step: a fresh model from the same seed.
  const fresh = new Tvae(tf, layout, SMALL, 8);
  const batch = fresh.batchTensors(data, rows, seededSecure(6));
  const names = fresh.variables().map((v) => v.name);
  const reference = { grads: {} as Record<string, Float32Array>, loss: 0 };
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => fresh.lossOf(batch.x, batch.valueMask, batch.segmentMask, batch.epsilon, expectedBatchSize).loss);
    for (const n of names) reference.grads[n] = grads[n].dataSync() as Float32Array;
    reference.loss = value.dataSync()[0];
  });
  // Variables are named per model; compare in order.
  const ours = model.variables().map((v) => v.name);
  assert.equal(Object.keys(captured).length, ours.length);
  const a = flatten(captured, ours);
  const b = flatten(reference.grads, names);
  const error = relativeError(a, b);
  console.log(`DP step gradient vs ordinary gradient of sum/B_expected: rel. error ${error.toExponential(2)}`);
  assert.ok(error <= 1e-5, `relative error ${error}`);
  // Reported losses are means over the realised batch.
  assert.ok(Math.abs(result.loss - (reference.loss * expectedBatchSize) / rows.length) <= 1e-4 * Math.abs(result.loss));
  disposeBatch(tf, batch);
  model.dispose();
  fresh.dispose();
});

test('an empty batch takes a noise-only step on every trained parameter', async () => {
  const { tf } = await loadTensorflow();
  const { layout, data } = fixture(30);
  const model = new Tvae(tf, layout, SMALL, 9);
  const before = model.variables().map((v) => (v.dataSync() as Float32Array).slice());
  const captured = captureGradients(model);
  const options: DpSgdOptions = { samplingRate: 0.1, noiseMultiplier: 1.5, clippingNorm: 2, expectedBatchSize: 3 };
  const result = dpTrainStep(tf, model, data, new Int32Array(0), seededSecure(1), options);
  assert.deepEqual(result, { loss: 0, reconstruction: 0, kl: 0, clippedFraction: 0, batchSize: 0 });
  assert.equal(Object.keys(captured).length, model.variables().length);
  // Every coordinate is N(0, (σ·C / B)²) = N(0, 1).
  const all = flatten(captured, Object.keys(captured));
  const sd = norm(all) / Math.sqrt(all.length);
  assert.ok(Math.abs(sd - 1) < 0.05, `noise standard deviation ${sd}`);
  model.variables().forEach((v, i) => assert.notDeepEqual(Array.from(v.dataSync()), Array.from(before[i]), `${v.name} moved`));
  model.dispose();
});

test('DP steps are deterministic for a seed and do not leak tensors', async () => {
  const { tf } = await loadTensorflow();
  const { layout, data } = fixture(80);
  const options: DpSgdOptions = { samplingRate: 0.2, noiseMultiplier: 1.1, clippingNorm: 1, expectedBatchSize: 16 };
  const run = (seed: number, counts?: number[]) => {
    const model = new Tvae(tf, layout, SMALL, 10);
    const random = seededSecure(seed);
    const results = [];
    // Eight people of ten rows each for the per-person steps.
    const groups = groupByUnit(Int32Array.from({ length: data.rows }, (_, i) => i % 8));
    for (let s = 0; s < 9; s++) {
      // The fourth step is empty: the noise-only path must not leak either. The last three
      // sample people and clip per person.
      if (s >= 6) {
        const { rows, units } = unitBatch(groups, 0.5, random);
        results.push(dpTrainStep(tf, model, data, rows, random, options, units));
      } else {
        const rows = s === 3 ? new Int32Array(0) : poissonBatch(data.rows, options.samplingRate, random);
        results.push(dpTrainStep(tf, model, data, rows, random, options));
      }
      counts?.push(tf.memory().numTensors);
    }
    const weights = model.variables().map((v) => Array.from(v.dataSync()));
    model.dispose();
    return { results, weights };
  };
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const a = run(1, counts);
  assert.equal(tf.memory().numTensors, before, 'disposing the model frees everything');
  // Adam's moments appear on the first step, then the count stays.
  assert.ok(counts.every((c) => c === counts[0]), `tensor counts ${counts.join(', ')}`);
  const b = run(1);
  const c = run(2);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.weights, c.weights);
  assert.ok(a.results.some((r) => r.clippedFraction > 0), 'C = 1 clips some examples');
});

test('fixed sigma: DP training leaves the noise scales alone', async () => {
  const { tf } = await loadTensorflow();
  const { layout, data } = fixture(40);
  const model = new Tvae(tf, layout, SMALL, 11);
  const sigma = model.parameterGroups().sigma;
  const before = Array.from(sigma.dataSync());
  const random = seededSecure(2);
  const options: DpSgdOptions = { samplingRate: 0.3, noiseMultiplier: 1, clippingNorm: 1, expectedBatchSize: 12, clipSigma: false };
  for (let s = 0; s < 3; s++) dpTrainStep(tf, model, data, poissonBatch(data.rows, 0.3, random), random, options);
  assert.deepEqual(Array.from(sigma.dataSync()), before);
  model.dispose();
});

test('Poisson sampling: independent rows, expected size q·N, deterministic', () => {
  const a = poissonBatch(10000, 0.05, seededSecure(1));
  const b = poissonBatch(10000, 0.05, seededSecure(1));
  assert.deepEqual(a, b);
  assert.ok(Math.abs(a.length - 500) < 4 * Math.sqrt(500 * 0.95), `size ${a.length}`);
  for (let i = 1; i < a.length; i++) assert.ok(a[i] > a[i - 1] && a[i] < 10000);
  assert.equal(poissonBatch(100, 0, seededSecure(1)).length, 0);
  assert.equal(poissonBatch(100, 1, seededSecure(1)).length, 100);
  // The realised size varies from step to step, and is sometimes zero.
  const sizes = Array.from({ length: 200 }, (_, s) => poissonBatch(30, 0.1, seededSecure(s)).length);
  assert.ok(new Set(sizes).size > 3 && sizes.includes(0), `sizes ${[...new Set(sizes)].join(', ')}`);
});

test('one example moves the clipped sum by at most C', async () => {
  const { tf } = await loadTensorflow();
  const { layout, data } = fixture(30);
  const model = new Tvae(tf, layout, SMALL, 12);
  const rows = Array.from({ length: 20 }, (_, i) => i);
  // The latent noise is drawn row by row: dropping the last row keeps the others' noise.
  const full = model.batchTensors(data, rows, new Random(1));
  const less = model.batchTensors(data, rows.slice(0, -1), new Random(1));
  for (const clippingNorm of [0.5, 20, Infinity]) {
    const a = perExampleGradients(tf, model, full, { clippingNorm });
    const b = perExampleGradients(tf, model, less, { clippingNorm });
    const names = Object.keys(a.clippedSum);
    const change = relativeError(flatten(a.clippedSum, names), flatten(b.clippedSum, names)) * norm(flatten(b.clippedSum, names));
    const expected = Math.min(a.norms[rows.length - 1], clippingNorm);
    assert.ok(Math.abs(change - expected) <= 1e-4 * expected, `change ${change}, expected ${expected}`);
  }
  disposeBatch(tf, full);
  disposeBatch(tf, less);
  model.dispose();
});

test('a Poisson batch larger than a chunk (q·N of a large file) gives the clipped sum of one pass', async () => {
  const { tf } = await loadTensorflow();
  const { layout, data } = fixture(DP_CHUNK_ROWS + 700);
  const model = new Tvae(tf, layout, SMALL, 13);
  const rows = Int32Array.from({ length: data.rows }, (_, i) => i);
  // The same latent noise in both: the chunks draw it in row order from the same stream.
  const batch = model.batchTensors(data, rows, seededSecure(2));
  const onePass = perExampleGradients(tf, model, batch, { clippingNorm: 0.5 });
  disposeBatch(tf, batch);
  const captured = captureGradients(model);
  const expectedBatchSize = data.rows;
  const result = dpTrainStep(tf, model, data, rows, seededSecure(2), { samplingRate: 1, noiseMultiplier: 0, clippingNorm: 0.5, expectedBatchSize });
  assert.equal(result.batchSize, data.rows);
  const names = Object.keys(onePass.clippedSum);
  const scaled = Object.fromEntries(names.map((n) => [n, onePass.clippedSum[n].map((v) => v / expectedBatchSize)]));
  const error = relativeError(flatten(captured, names), flatten(scaled, names));
  assert.ok(error <= 1e-5, `relative error ${error}`);
  model.dispose();
});
