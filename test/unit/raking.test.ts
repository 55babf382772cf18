import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Random } from '../../src/core/random';
import { poolMargins, rake, resample, type RakingMargin } from '../../src/core/calibrate/marginals-rake';
import { DEFAULT_DP_GENERATOR, generate } from '../../src/core/generate';
import { readModelFile, modelToJson } from '../../src/core/generators/model-file';
import { sampleFromModel } from '../../src/core/sample-model';
import { ledger } from '../../src/core/privacy/budget';
import { buildMeasured } from '../../src/core/report/data';
import { loadTable } from '../../src/core/table';
import type { PgmState } from '../../src/core/pgm/model';
import type { Schema } from '../../src/core/schema/types';
import { tempDir, tempFile } from '../helpers/files';
import { related } from '../helpers/random';

/** Weighted share of each cell. */
function weighted(cells: Int32Array, weights: ArrayLike<number>, size: number): number[] {
  const out = new Array<number>(size).fill(0);
  let total = 0;
  for (let r = 0; r < cells.length; r++) {
    out[cells[r]] += weights[r];
    total += weights[r];
  }
  return out.map((x) => x / total);
}

function totalVariation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / 2;
}

/** A pool of independent uniform columns a (3 cells), b (4 cells), c (2 cells). */
function uniformPool(rows: number, random: Random): { a: Int32Array; b: Int32Array; c: Int32Array } {
  return {
    a: Int32Array.from({ length: rows }, () => random.int(3)),
    b: Int32Array.from({ length: rows }, () => random.int(4)),
    c: Int32Array.from({ length: rows }, () => random.int(2)),
  };
}

test('raking a pool of independent columns recovers known dependent 1- and 2-way targets, and resampling keeps them', () => {
  const random = new Random(3);
  const rows = 40000;
  const { a, b, c } = uniformPool(rows, random);
  // A consistent target: a skewed, b strongly tied to a, c tied to b (a chain a - b - c).
  const pa = [0.5, 0.3, 0.2];
  const bGivenA = [
    [0.7, 0.1, 0.1, 0.1],
    [0.1, 0.7, 0.1, 0.1],
    [0.05, 0.05, 0.1, 0.8],
  ];
  const ab = pa.flatMap((p, i) => bGivenA[i].map((q) => p * q));
  const pb = [0, 1, 2, 3].map((j) => pa.reduce((s, p, i) => s + p * bGivenA[i][j], 0));
  const cGivenB = [[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [0.1, 0.9]];
  const bc = pb.flatMap((p, j) => cGivenB[j].map((q) => p * q));
  const abCells = a.map((x, r) => x * 4 + b[r]);
  const bcCells = b.map((x, r) => x * 2 + c[r]);
  const margins: RakingMargin[] = [
    { cells: a, target: pa },
    { cells: b, target: pb },
    { cells: abCells, target: ab },
    { cells: bcCells, target: bc },
  ];
  // Before raking the pool is far from the targets.
  assert.ok(totalVariation(weighted(abCells, new Float64Array(rows).fill(1), 12), ab) > 0.3);
  const { weights, gap } = rake(rows, margins);
  assert.ok(gap < 1e-4, `gap ${gap}`);
  for (const m of margins) {
    const size = m.target.length;
    assert.ok(totalVariation(weighted(m.cells, weights, size), m.target) < 1e-3, `margin of ${size} cells`);
  }
  // Resampled rows follow the targets within sampling error.
  const kept = resample(weights, 8000, new Random(5));
  const keptAb = Int32Array.from(kept, (r) => abCells[r]);
  const keptBc = Int32Array.from(kept, (r) => bcCells[r]);
  const ones = new Float64Array(kept.length).fill(1);
  assert.ok(totalVariation(weighted(keptAb, ones, 12), ab) < 0.02);
  assert.ok(totalVariation(weighted(keptBc, ones, 8), bc) < 0.02);
  // Systematic resampling: a row appears within one of its expected count.
  const counts = new Float64Array(rows);
  for (const r of kept) counts[r]++;
  const total = weights.reduce((s, w) => s + w, 0);
  for (let r = 0; r < rows; r++) assert.ok(Math.abs(counts[r] - (weights[r] / total) * kept.length) < 1 + 1e-9);
});

test('a cell the pool never reaches is left out: the other cells share its mass and the weights stay finite', () => {
  const rows = 1000;
  const cells = Int32Array.from({ length: rows }, (_, r) => r % 2);
  const { weights, gap } = rake(rows, [{ cells, target: [0.2, 0.3, 0.5] }]);
  assert.ok(weights.every((w) => Number.isFinite(w) && w > 0));
  assert.ok(gap < 1e-9);
  const shares = weighted(cells, weights, 3);
  assert.ok(Math.abs(shares[0] - 0.4) < 1e-9 && Math.abs(shares[1] - 0.6) < 1e-9, `${shares}`);
});


/** Largest total-variation gap between a file's marginals and a raking state's targets. */
async function gapToTargets(csv: string, schema: Schema, state: PgmState): Promise<number> {
  const table = await loadTable(csv, schema);
  const margins = poolMargins(state, table.columns, table.rowCount);
  const ones = new Float64Array(table.rowCount).fill(1);
  return Math.max(...margins.map((m) => totalVariation(weighted(m.cells, ones, m.target.length), m.target)));
}

async function sampleTo(model: string, rows: number, seed: number): Promise<string> {
  let text = '';
  await sampleFromModel({ model, rows, seed }, async (chunk) => {
    text += chunk;
  });
  const file = path.join(tempDir(), 'sampled.csv');
  fs.writeFileSync(file, text);
  return file;
}

test('a DP tVAE run measures pairs within the one ledger, rakes its rows to them, and sample from its model rakes too', async () => {
  const file = tempFile('related.csv', related(4000, 2));
  const out = path.join(tempDir(), 'related.synthetic.csv');
  const { card, outputs } = await generate({ input: file, out, generator: 'tvae', epochs: 2, privacy: { epsilon: 3 }, evaluate: false, holdoutFraction: 0 });
  assert.equal(card.generator.name, 'tvae');
  const privacy = card.privacy;
  // The total is the request: preprocessing, the pair selection and measurements, and DP-SGD in one ledger.
  assert.ok(privacy.epsilon! <= 3 && privacy.epsilon! > 2.97, `epsilon ${privacy.epsilon}`);
  const releases = privacy.budget!.model!.releases;
  const selection = releases.filter((r) => /exponential mechanism/.test(r.what));
  const pairs = releases.filter((r) => /joint histogram/.test(r.what));
  assert.equal(selection.length, 1);
  assert.ok(pairs.length >= 1);
  const composed = ledger(privacy.budget!.preprocessing.rho, privacy.samplingRate!, privacy.noiseMultiplier!, privacy.steps!, [
    { rho: selection[0].rho!, label: 'selection', source: 'other' },
    ...pairs.map((r) => ({ rho: r.rho!, label: r.column })),
  ]).epsilon(privacy.budget!.accountingDelta, 'rdp');
  assert.ok(Math.abs(composed - privacy.epsilon!) < 1e-6, `ledger ${composed} against the card's ${privacy.epsilon}`);
  assert.match(privacy.statement, /raked to the joint histograms of column pairs/);
  const raking = card.generator.parameters.raking as { pairs: [string, string][] };
  assert.ok(raking.pairs.some((p) => [...p].sort().join('-') === 'group-score'), `pairs ${JSON.stringify(raking.pairs)}`);

  // The report names the generator and lists every private measurement, the raking's pairs included.
  const measured = buildMeasured(card as unknown as Record<string, unknown>)!;
  assert.match(measured.generator, /^tVAE .*raked to \d+ privately measured column pairs/);
  assert.ok(measured.releases.some((r) => r.stage === 'column statistics' && r.columns === 'age'));
  assert.equal(measured.releases.filter((r) => r.stage === 'pairs the rows are raked to' && /joint histogram/.test(r.what)).length, pairs.length);

  const model = await readModelFile(outputs.model);
  assert.ok(model.raking && model.raking.edges.length >= 1, 'the model file carries the raking targets');
  // The written rows follow the measured marginals within sampling error (about 0.1 in total
  // variation for a few hundred cells and 4,000 rows; the network's own rows are about 0.7 away).
  const written = await gapToTargets(outputs.csv, model.schema, model.raking!);
  assert.ok(written < 0.1, `gap ${written}`);
  // `sample` rakes as generation did: closer to the targets than the same network's rows unraked.
  const raked = await gapToTargets(await sampleTo(outputs.model, 3000, 7), model.schema, model.raking!);
  const unrakedModel = path.join(tempDir(), 'unraked.model');
  fs.writeFileSync(unrakedModel, modelToJson({ ...model, raking: undefined }));
  const unraked = await gapToTargets(await sampleTo(unrakedModel, 3000, 7), model.schema, model.raking!);
  assert.ok(raked < 0.1 && raked < unraked / 3, `raked ${raked}, unraked ${unraked}`);
});

test('a private run with no generator named uses the default chosen by measurement; without privacy the tvae', async () => {
  const file = tempFile('related.csv', related(3000, 3));
  const { card } = await generate({ input: file, out: path.join(tempDir(), 'default.synthetic.csv'), privacy: { epsilon: 3 }, evaluate: false });
  assert.equal(card.generator.name, DEFAULT_DP_GENERATOR);
  await assert.rejects(generate({ input: file, out: path.join(tempDir(), 'x.csv'), generator: 'pgm', privacy: 'none', evaluate: false }), /differentially private mode/);
});
