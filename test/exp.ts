import { generate } from '../src/core/generate';
import { inferSchema } from '../src/core/schema/infer';
import { loadTable } from '../src/core/table';
import { evaluateQuality } from '../src/core/evaluate/quality';
import * as fs from 'fs';
async function main() {
  const file = process.argv[2]; const epochs = Number(process.argv[3]); const extra = JSON.parse(process.argv[4] ?? '{}');
  const out = `/tmp/exp/${Date.now()}.csv`; fs.mkdirSync('/tmp/exp', { recursive: true });
  const schema = await inferSchema(file);
  const t = performance.now();
  const res = await generate({ input: file, schema, epochs, out, seed: 1, model: extra });
  const secs = (performance.now() - t) / 1000;
  const real = await loadTable(file, schema); const synth = await loadTable(out, schema);
  const q = evaluateQuality(schema, real, synth);
  const h = res.card.training.history; 
  if (process.env.DETAIL) console.log(q.columns.map(c => c.column + ':' + c.score?.toFixed(2)).join(' '));
  console.log(JSON.stringify(extra), 'epochs', epochs, 'time', secs.toFixed(1), 'train', res.card.timings.train.toFixed(1), 'rows/s', h[h.length-1].rowsPerSecond.toFixed(0), 'quality', q.score.toFixed(3), 'shapes', q.columnShapes.toFixed(3), 'pairs', q.columnPairTrends?.toFixed(3));
}
main();
