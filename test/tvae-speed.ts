import { loadTensorflow } from '../src/core/model/backend';
import { Tvae, TrainingData, layoutFromSpans } from '../src/core/model/tvae';
import { inferSchema } from '../src/core/schema/infer';
import { loadTable } from '../src/core/table';
import { TableTransformer } from '../src/core/transform/transformer';
import { Random } from '../src/core/random';
async function main() {
  const file = process.argv[2] ?? '/work/shared/datasets/adult.csv';
  const { tf, backend } = await loadTensorflow((process.argv[3] as any) ?? 'auto');
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const tr = TableTransformer.fit(schema, table, { seed: 1 });
  const m = tr.encode(table, { seed: 2 });
  const layout = layoutFromSpans(tr.spans, tr.width);
  const data = new TrainingData(m, table.rowCount, layout);
  const model = new Tvae(tf, layout, {}, 3);
  const random = new Random(4);
  const idx = Array.from({ length: data.rows }, (_, i) => i);
  for (let epoch = 0; epoch < 3; epoch++) {
    random.shuffle(idx);
    const t = performance.now(); let last;
    for (let s = 0; s < data.rows; s += 500) last = model.trainStep(data, idx.slice(s, s + 500), random);
    const sec = (performance.now() - t) / 1000;
    console.log(backend, 'epoch', epoch, last, (data.rows / sec).toFixed(0), 'rows/s', tf.memory().numTensors, 'tensors');
  }
}
main();
