import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTensorflow } from '../../src/core/model/backend';
import { dense, createDense } from '../../src/core/model/layers';
import { layoutFromSpans, TrainingData, Tvae } from '../../src/core/model/tvae';
import { trainTvae, TrainingCancelled, defaultEpochs } from '../../src/core/model/train';
import { Random } from '../../src/core/random';
import { InlineSource, WorkerSource } from '../../src/core/model/parallel';
import { inferSchema } from '../../src/core/schema/infer';
import { loadTable } from '../../src/core/table';
import { TableTransformer } from '../../src/core/transform/transformer';
import { tempFile } from '../helpers/files';

/** A small mixed table with missing values in a numeric and a categorical column. */
async function fixture(rows = 400) {
  const random = new Random(11);
  const lines = ['age,sex,ward,crp,admitted'];
  for (let i = 0; i < rows; i++) {
    const age = 20 + random.int(70);
    const sex = random.next() < 0.5 ? 'F' : 'M';
    const ward = random.next() < 0.1 ? '' : ['A', 'B', 'C'][random.int(3)];
    const crp = random.next() < 0.3 ? 'NA' : (age / 10 + random.normal()).toFixed(1);
    const day = String(1 + random.int(28)).padStart(2, '0');
    lines.push(`${age},${sex},${ward},${crp},2023-03-${day}`);
  }
  const file = tempFile('fixture.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const transformer = TableTransformer.fit(schema, table, { seed: 1 });
  const matrix = transformer.encode(table, { seed: 2 });
  const layout = layoutFromSpans(transformer.spans, transformer.width);
  return { schema, table, transformer, data: new TrainingData(matrix, table.rowCount, layout), layout };
}

test('the hand-written dense gradient equals TensorFlow.js autodiff', async () => {
  const { tf } = await loadTensorflow();
  const random = new Random(3);
  const params = createDense(tf, 'gradcheck', 7, 5, random);
  const x = tf.randomNormal([9, 7], 0, 1, 'float32', 1) as import('@tensorflow/tfjs-core').Tensor2D;
  for (const activation of ['relu', 'linear'] as const) {
    const ours = tf.variableGrads(() => tf.sum(tf.square(dense(tf, 'gradcheck', x, params, activation))) as import('@tensorflow/tfjs-core').Scalar, [params.weight, params.bias]);
    const reference = tf.variableGrads(() => {
      const pre = tf.add(tf.matMul(x, params.weight), params.bias);
      return tf.sum(tf.square(activation === 'relu' ? tf.relu(pre) : pre)) as import('@tensorflow/tfjs-core').Scalar;
    }, [params.weight, params.bias]);
    for (const name of [params.weight.name, params.bias.name]) {
      const a = ours.grads[name].dataSync();
      const b = reference.grads[name].dataSync();
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-4 * (1 + Math.abs(b[i])), `${activation} ${name}[${i}]`);
    }
  }
  tf.dispose([params.weight, params.bias, x]);
});

test('spans of a missing value are masked: the loss is bounded and training converges', async () => {
  const { tf } = await loadTensorflow();
  const { data, layout } = await fixture();
  // Every component and category span of a column with missing values is masked by its presence flag.
  assert.ok(layout.segments.some((s) => s.presence >= 0));
  assert.ok(layout.valuePresence.some((p) => p >= 0));
  const result = await trainTvae(tf, data, { epochs: 30, seed: 5 });
  const losses = result.history.map((h) => h.loss);
  // Unmasked spans let the loss run to minus infinity; masked, it settles above a floor of
  // lossFactor * V * log(0.01) per row from the Gaussian terms.
  assert.ok(Math.min(...losses) > 2 * layout.valueColumns.length * Math.log(0.01) - 1, `loss fell to ${Math.min(...losses)}`);
  assert.ok(losses[losses.length - 1] < losses[0], 'the loss decreases');
  result.model.dispose();
});

test('training does not leak tensors across epochs', async () => {
  const { tf } = await loadTensorflow();
  const { data } = await fixture(200);
  const before = tf.memory().numTensors;
  let afterFirstEpoch = -1;
  const result = await trainTvae(tf, data, {
    epochs: 4,
    seed: 1,
    progressIntervalMs: 0,
    onProgress: (p) => {
      if (p.epoch === 2 && p.step === 1) afterFirstEpoch = tf.memory().numTensors;
    },
  });
  const afterTraining = tf.memory().numTensors;
  // Adam's moment tensors appear on the first step and then stay; nothing else may accumulate.
  assert.ok(afterFirstEpoch > 0);
  assert.equal(afterTraining, afterFirstEpoch, 'tensor count is stable from epoch to epoch');
  result.model.dispose();
  assert.equal(tf.memory().numTensors, before, 'disposing the model frees everything');
});

test('the same seed gives the same model and the same samples', async () => {
  const { tf } = await loadTensorflow();
  const { data } = await fixture(200);
  const a = await trainTvae(tf, data, { epochs: 3, seed: 9 });
  const b = await trainTvae(tf, data, { epochs: 3, seed: 9 });
  const c = await trainTvae(tf, data, { epochs: 3, seed: 10 });
  assert.deepEqual(a.history.map((h) => h.loss), b.history.map((h) => h.loss));
  assert.deepEqual(Array.from(a.model.sample(50, new Random(1))), Array.from(b.model.sample(50, new Random(1))));
  assert.notDeepEqual(a.history.map((h) => h.loss), c.history.map((h) => h.loss));
  [a, b, c].forEach((r) => r.model.dispose());
});

test('a saved model samples exactly what the trained one does', async () => {
  const { tf } = await loadTensorflow();
  const { data } = await fixture(200);
  const trained = await trainTvae(tf, data, { epochs: 2, seed: 4 });
  const restored = Tvae.fromJSON(tf, JSON.parse(JSON.stringify(trained.model.toJSON())));
  assert.deepEqual(Array.from(restored.sample(40, new Random(8))), Array.from(trained.model.sample(40, new Random(8))));
  trained.model.dispose();
  restored.dispose();
});

test('cancelling stops between steps and frees the model', async () => {
  const { tf } = await loadTensorflow();
  const { data } = await fixture(400);
  const before = tf.memory().numTensors;
  const controller = new AbortController();
  const started = performance.now();
  await assert.rejects(
    trainTvae(tf, data, {
      epochs: 1000,
      seed: 1,
      model: { batchSize: 50 },
      signal: controller.signal,
      progressIntervalMs: 0,
      onProgress: (p) => {
        if (p.epoch === 2) controller.abort();
      },
    }),
    TrainingCancelled,
  );
  assert.ok(performance.now() - started < 20000);
  assert.equal(tf.memory().numTensors, before);
});

test('sampled rows decode to valid values of every column', async () => {
  const { tf } = await loadTensorflow();
  const { schema, transformer, data } = await fixture(400);
  const trained = await trainTvae(tf, data, { epochs: 20, seed: 2 });
  const matrix = trained.model.sample(500, new Random(3));
  const decoded = transformer.decode(matrix, 500, schema.columns.length);
  const age = decoded[0];
  assert.equal(age.type, 'numeric');
  if (age.type === 'numeric') for (const x of age.values) assert.ok(x >= 20 && x <= 89);
  const ward = decoded[2];
  assert.equal(ward.type, 'categorical');
  if (ward.type === 'categorical') {
    const missing = Array.from(ward.codes).filter((c) => c < 0).length / 500;
    assert.ok(missing > 0.01 && missing < 0.3, `ward missing rate ${missing}`);
  }
  trained.model.dispose();
});

test('the default epoch budget is quick on small data and bounded on large data', () => {
  assert.equal(defaultEpochs(2400, 500), 150);
  assert.equal(defaultEpochs(26048, 500), 49);
  assert.equal(defaultEpochs(5_000_000, 500), 20);
});

test('worker threads sample exactly the rows the main thread would', async () => {
  const { tf } = await loadTensorflow();
  const { data } = await fixture(200);
  const trained = await trainTvae(tf, data, { epochs: 2, seed: 4 });
  const inline = new InlineSource(trained.model);
  const workers = await WorkerSource.start(trained.model, 'auto', 2);
  try {
    for (const seed of [1, 2, 3]) {
      assert.deepEqual(Array.from(await workers.sample(300, seed)), Array.from(await inline.sample(300, seed)));
    }
  } finally {
    await workers.close();
    trained.model.dispose();
  }
});
