import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../../src/core/evaluate/evaluate';
import { distanceColumnBound } from '../../src/core/evaluate/privacy';
import { utilityFeatureBound } from '../../src/core/evaluate/utility';
import { buildReportData } from '../../src/core/report/data';
import { inferSchema } from '../../src/core/schema/infer';
import { loadTable } from '../../src/core/table';
import { Random } from '../../src/core/random';
import { tempFile } from '../helpers/files';

/** Rows of `columns` columns: numbers sharing a row factor, letters, and an outcome column last. */
function wideRows(columns: number, rows: number, seed: number): string[][] {
  const random = new Random(seed);
  const out: string[][] = [];
  for (let i = 0; i < rows; i++) {
    const base = random.normal();
    const cells: string[] = [];
    for (let j = 0; j < columns - 1; j++) cells.push(j % 3 === 2 ? 'abcd'[random.int(4)] : (base * (j % 5) + random.normal()).toFixed(2));
    cells.push(base + random.normal() > 0 ? 'yes' : 'no');
    out.push(cells);
  }
  return out;
}

function csv(columns: number, rows: string[][]): string {
  const header = [...Array.from({ length: columns - 1 }, (_, j) => `c${j}`), 'outcome'];
  return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}

async function load(columns: number, train: string[][], holdout: string[][], synthetic: string[][]) {
  const files = [train, holdout, synthetic].map((rows, i) => tempFile(`${['train', 'holdout', 'synthetic'][i]}.csv`, csv(columns, rows)));
  const schema = await inferSchema(files[0]);
  const [real, hold, syn] = await Promise.all(files.map((f) => loadTable(f, schema)));
  return { schema, real, holdout: hold, synthetic: syn };
}

test('the bounds engage on a 500-column file of 4,000 rows and not on adult or rhc sizes', () => {
  assert.equal(distanceColumnBound(4000, 4000).columns, 80);
  assert.equal(utilityFeatureBound(4000).features, 100);
  // adult (15 columns, 26,048 training rows) and rhc (63 columns, 4,588 rows) keep every column.
  assert.ok(distanceColumnBound(26048, 26048).columns >= 15 && utilityFeatureBound(26048).features >= 14);
  assert.ok(distanceColumnBound(4588, 4588).columns >= 63 && utilityFeatureBound(4588).features >= 62);
});

test('a wide file: distances and utility use a seeded sample of columns, say so, and stay well-formed', async () => {
  const columns = 200;
  const train = wideRows(columns, 300, 1);
  const holdout = wideRows(columns, 120, 2);
  // Synthetic rows: each column shuffled on its own (marginals kept), plus one exact training row.
  const random = new Random(3);
  const synthetic = train.map((r) => r.slice());
  for (let j = 0; j < columns; j++) {
    for (let i = synthetic.length - 1; i > 0; i--) {
      const k = random.int(i + 1);
      [synthetic[i][j], synthetic[k][j]] = [synthetic[k][j], synthetic[i][j]];
    }
  }
  synthetic[0] = train[5].slice();
  const { schema, real, holdout: hold, synthetic: syn } = await load(columns, train, holdout, synthetic);
  // Bounds scaled to this file's rows so that it counts as wide: 300 x 300 x 50 cell visits, 300 x 40 row-features.
  const bounds = { distanceCellVisits: 300 * 300 * 50, utilityRowFeatures: 300 * 40 };
  const run = (protectedColumn?: string) =>
    evaluate({ schema, real, synthetic: syn, holdout: hold, names: { real: 'train.csv', synthetic: 'synthetic.csv', holdout: 'holdout.csv' } }, { bounds, protected: protectedColumn });
  const e = await run();

  const d = e.privacy.distanceColumns!;
  assert.deepEqual([d.total, d.used, d.sampled], [columns, 80, true]);
  assert.equal(d.columns!.length, 80);
  assert.match(d.rule, /80 columns, a seeded uniform sample/);
  // Exact copies compare every column; the copied row is at distance 0 on the sampled ones.
  assert.equal(e.privacy.exactCopies.count, 1);
  assert.ok(Math.min(...e.privacy.dcrHistogram.train) >= 0 && e.privacy.dcrHistogram.train[0] >= 1);
  for (const v of [e.privacy.medianDcrTrain, e.privacy.medianNndr, e.privacy.dcrBaselineProtection!, e.privacy.membershipInferenceAuc!]) assert.ok(Number.isFinite(v));

  const u = e.utility!;
  assert.equal(u.target, 'outcome');
  assert.deepEqual([u.features!.total, u.features!.used, u.features!.sampled], [columns - 1, 50, true]);
  assert.ok(!u.features!.columns!.includes('outcome'));
  assert.ok(u.ratio === null || Number.isFinite(u.ratio));
  for (const item of e.checklist) assert.ok(item.value.length > 0 && !/NaN|undefined/.test(item.value), `${item.id}: ${item.value}`);

  // The same seed picks the same columns; fairness's models use the utility models' features.
  const again = await run('c2');
  assert.deepEqual(again.privacy.distanceColumns, e.privacy.distanceColumns);
  assert.deepEqual(again.utility!.features, u.features);
  assert.deepEqual((again.fairness as { features?: unknown }).features, u.features);

  const report = buildReportData({ schema, real, synthetic: syn, evaluation: e });
  assert.deepEqual(report.privacy.distanceColumns, { total: columns, used: 80, rule: d.rule });
  assert.equal(report.utility!.features!.used, 50);
});

test('a narrow file: nothing is sampled and the report adds no note', async () => {
  const columns = 12;
  const { schema, real, holdout, synthetic } = await load(columns, wideRows(columns, 300, 1), wideRows(columns, 100, 2), wideRows(columns, 300, 3));
  const e = await evaluate({ schema, real, synthetic, holdout, names: { real: 'train.csv', synthetic: 'synthetic.csv' } });
  assert.deepEqual(e.privacy.distanceColumns, { total: columns, used: columns, sampled: false, rule: e.privacy.distanceColumns!.rule });
  assert.equal(e.utility!.features!.sampled, false);
  assert.equal(e.utility!.features!.used, columns - 1);
  assert.equal(e.utility!.features!.columns, undefined);
  const report = buildReportData({ schema, real, synthetic, evaluation: e });
  assert.equal(report.privacy.distanceColumns, null);
  assert.equal(report.utility!.features, undefined);
});
