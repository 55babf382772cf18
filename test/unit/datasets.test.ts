import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkRoundTrip } from '../../src/core/transform/roundtrip';

// Optional checks on the shared real datasets: they run where ../shared/datasets exists (CI and
// developer machines) and are skipped, saying why, elsewhere.
const datasets = path.resolve(__dirname, '..', '..', '..', 'shared', 'datasets');
const available = fs.existsSync(datasets) ? fs.readdirSync(datasets).filter((f) => f.endsWith('.csv')).sort() : [];
const skip = available.length === 0 ? 'no ../shared/datasets on this machine' : false;

test('encode then decode reproduces every modelled cell of every shared dataset', { skip }, async (t) => {
  for (const name of available) {
    const report = await checkRoundTrip(path.join(datasets, name));
    t.diagnostic(`${name}: ${report.rows} rows, ${report.cellsChecked} cells, ${report.mismatches} mismatches`);
    assert.equal(report.mismatches, 0, `${name}: ${JSON.stringify(report.examples.slice(0, 3))}`);
    assert.ok(report.cellsChecked > 0);
  }
});
