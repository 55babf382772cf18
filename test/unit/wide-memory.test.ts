import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ENCODED_BYTES, type ChunkSource } from '../../src/core/chunk-source';
import { inferSchema } from '../../src/core/schema/infer';
import { loadTable } from '../../src/core/table';
import { sampleDecoded, TableTransformer } from '../../src/core/transform/transformer';
import { tempFile } from '../helpers/files';

const LEVELS = 60;

/** A table of `columns` categorical columns of LEVELS levels each (row i holds level i + c of column c), and its transformer. */
async function categoricalFixture(columns: number) {
  const lines = [Array.from({ length: columns }, (_, c) => `c${c}`).join(',')];
  for (let i = 0; i < 3 * LEVELS; i++) lines.push(Array.from({ length: columns }, (_, c) => `level${(i + c) % LEVELS}`).join(','));
  const file = tempFile('wide.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const transformer = TableTransformer.fit(schema, table, { seed: 1 });
  return { schema, table, transformer, encoded: transformer.encode(table, { seed: 2 }) };
}

/** Hands out the fixture's encoded rows in a cycle, recording each request. */
function cyclingSource(encoded: Float64Array, tableRows: number, width: number) {
  const requests: { rows: number; seed: number }[] = [];
  let next = 0;
  const source: ChunkSource = {
    async sample(rows, seed) {
      requests.push({ rows, seed });
      const out = new Float64Array(rows * width);
      for (let r = 0; r < rows; r++, next++) out.set(encoded.subarray((next % tableRows) * width, ((next % tableRows) + 1) * width), r * width);
      return out;
    },
    async close() {},
  };
  return { source, requests };
}

test('rows drawn to read rules off a model on a wide file come in chunks of bounded memory, and decode as one draw would', async () => {
  const { schema, table, transformer, encoded } = await categoricalFixture(40);
  const width = transformer.width;
  const rows = Math.ceil((2.5 * MAX_ENCODED_BYTES) / (8 * width));
  const { source, requests } = cyclingSource(encoded, table.rowCount, width);
  const decoded = await sampleDecoded(source, transformer, rows, schema.columns.length, 7);
  assert.ok(requests.length >= 3, `${requests.length} chunks`);
  for (const request of requests) assert.ok(request.rows * width * 8 <= MAX_ENCODED_BYTES, `${request.rows} rows of ${width} values`);
  assert.equal(requests.reduce((a, r) => a + r.rows, 0), rows);
  assert.equal(requests[0].seed, 7);
  assert.equal(new Set(requests.map((r) => r.seed)).size, requests.length, 'each chunk its own seed');
  decoded.forEach((column, c) => {
    const real = table.columns[c];
    assert.ok(column.type === 'categorical' && real.type === 'categorical');
    assert.equal(column.codes.length, rows);
    for (let r = 0; r < rows; r += 97) assert.equal(column.levels[column.codes[r]], real.levels[real.codes[r % table.rowCount]], `row ${r}, column ${c}`);
  });
});

test('on a narrow file the rows are one draw with the given seed, as before', async () => {
  const { schema, table, transformer, encoded } = await categoricalFixture(3);
  const { source, requests } = cyclingSource(encoded, table.rowCount, transformer.width);
  const decoded = await sampleDecoded(source, transformer, 20_000, schema.columns.length, 7);
  assert.deepEqual(requests, [{ rows: 20_000, seed: 7 }]);
  assert.equal(decoded[0].type === 'categorical' && decoded[0].codes.length, 20_000);
});
