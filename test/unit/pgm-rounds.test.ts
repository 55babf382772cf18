import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Random } from '../../src/core/random';
import { seededSecure } from '../helpers/random';
import { fitPgm } from '../../src/core/pgm/mst';
import { cliqueIndex, PoolFit, tiltedRows } from '../../src/core/pgm/rounds';
import { generate } from '../../src/core/generate';
import { readModelFile } from '../../src/core/generators/model-file';
import { sampleFromModel } from '../../src/core/sample-model';
import { inferSchema } from '../../src/core/schema/infer';
import { loadTable } from '../../src/core/table';
import { privateStatistics } from '../../src/core/privacy/preprocess';
import { tempDir, tempFile } from '../helpers/files';

/**
 * Three columns of five levels where c = (a + b) mod 5: every pair is independent, so a tree of
 * pairs (MST) cannot hold the relationship at all; a 3-way clique measured in a round can. A
 * fourth column d follows a, so the tree has a real pair to find. No column has 4 levels or
 * fewer, so there is no hub (which would measure every pair with it).
 */
function sumModFive(rows: number, seed: number): string {
  const random = new Random(seed);
  const lines = ['a,b,c,d'];
  for (let i = 0; i < rows; i++) {
    const a = random.int(5);
    const b = random.int(5);
    const d = random.next() < 0.8 ? a : random.int(5);
    lines.push(`a${a},b${b},c${(a + b) % 5},d${d}`);
  }
  return lines.join('\n') + '\n';
}

/** Share of rows (split CSV lines) where c = (a + b) mod 5: 0.2 when c is drawn on its own. */
function keptShare(rows: string[][]): number {
  const level = (x: string): number => Number(x.slice(1));
  return rows.filter((r) => (level(r[0]) + level(r[1])) % 5 === level(r[2])).length / rows.length;
}

const csvRows = (text: string): string[][] =>
  text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));

test('the adaptive rounds keep a 3-way relationship a tree of pairs loses, and sample keeps it from the model file', async () => {
  const file = tempFile('sum-mod-five.csv', sumModFive(6000, 2));
  const run = async (pgmRounds: number) => {
    const out = path.join(tempDir(), 'out.csv');
    const result = await generate({ input: file, out, generator: 'pgm', privacy: { epsilon: 3 }, evaluate: false, holdoutFraction: 0, pgmRounds });
    return { ...result, share: keptShare(csvRows(fs.readFileSync(out, 'utf8'))) };
  };
  const tree = await run(0);
  const rounds = await run(4);
  assert.ok(tree.share < 0.3, `a tree keeps c = a + b in ${tree.share} of the rows (chance: 0.2)`);
  assert.ok(rounds.share > 0.6, `with rounds, c = a + b in ${rounds.share} of the rows`);
  assert.equal(tree.card.generator.parameters.rounds, undefined);
  const chosen = (rounds.card.generator.parameters.rounds as { cliques: string[][] }).cliques;
  assert.ok(chosen.some((c) => ['a', 'b', 'c'].every((x) => c.includes(x))), `cliques ${JSON.stringify(chosen)}`);

  // The card lists each round's release, and the whole ledger is the requested ε.
  const model = rounds.card.privacy.budget!.model!;
  assert.ok(model.releases.some((r) => /adaptive round/.test(r.what)), 'round measurements on the card');
  assert.ok(model.releases.some((r) => /exponential mechanism .* fitted worst/.test(r.what)), 'round selection on the card');
  const sum = model.releases.reduce((a, r) => a + r.rho, 0);
  assert.ok(Math.abs(sum - model.rho) < 1e-12, `releases ${sum} vs model ρ ${model.rho}`);
  assert.ok(rounds.card.privacy.epsilon! <= 3 && rounds.card.privacy.epsilon! > 2.9, `epsilon ${rounds.card.privacy.epsilon}`);

  // The model file carries the tilt: sampling from it keeps the relationship.
  const file2 = await readModelFile(rounds.outputs.model);
  assert.ok(file2.pgm?.cliques?.length, 'the fitted cliques are saved');
  let text = '';
  await sampleFromModel({ model: rounds.outputs.model, rows: 3000, seed: 5 }, async (chunk) => {
    text += chunk;
  });
  const sampled = csvRows(text);
  assert.equal(sampled.length, 3000);
  assert.ok(keptShare(sampled) > 0.6, `sampled from the model file: ${keptShare(sampled)}`);
});

test('the rounds spend exactly the selection and measurement budget they are given, whatever the number of rounds', async () => {
  const file = tempFile('sum-mod-five.csv', sumModFive(3000, 4));
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const stats = privateStatistics(schema, table, { rho: 0.5, thresholdDelta: 1e-7, random: seededSecure(1), needsCounts: true });
  for (const rounds of [0, 1, 3, 100]) {
    const fit = fitPgm({ schema, table, stats, rhoSelection: 0.05, rhoMeasurement: 0.2, random: seededSecure(2 + rounds), rounds });
    const sum = fit.releases.reduce((a, r) => a + r.rho, 0);
    assert.ok(Math.abs(sum - 0.25) < 1e-12, `${rounds} rounds: releases add to ${sum}`);
    assert.ok(Math.abs(fit.spent.selection + fit.spent.measurement - 0.25) < 1e-12);
    const measured = fit.releases.filter((r) => /adaptive round/.test(r.what)).length;
    // Few cliques are left once the tree covers its pairs: never more rounds than candidates.
    assert.equal(measured, fit.rounds?.cliques.length ?? 0);
    if (rounds === 0) assert.equal(measured, 0);
    else assert.ok(measured >= 1 && measured <= rounds, `${measured} rounds run of ${rounds}`);
  }
});

test('the pool fit reproduces consistent measurements, and tilted resampling draws the fitted model', () => {
  // Pool: two independent uniform columns of 3 cells; the truth: x = y in 70 % of the rows.
  const random = new Random(3);
  const rows = 30_000;
  const cells = [Int32Array.from({ length: rows }, () => random.int(3)), Int32Array.from({ length: rows }, () => random.int(3))];
  const sizes = [3, 3];
  const truth = Array.from({ length: 9 }, (_, i) => (i % 4 === 0 ? 0.7 / 3 : 0.05));
  const total = 10_000;
  const fit = new PoolFit(cells, sizes, rows, total);
  fit.add({ domains: [0, 1], counts: truth.map((p) => p * total), weights: new Float64Array(9).fill(1) });
  fit.fit(500);
  const fitted = fit.marginal([0, 1]);
  truth.forEach((p, i) => assert.ok(Math.abs(fitted[i] - p) < 0.003, `cell ${i}: ${fitted[i]} vs ${p}`));
  // A fresh pool, tilted by the fitted tables, resampled.
  const fresh = [Int32Array.from({ length: rows }, () => random.int(3)), Int32Array.from({ length: rows }, () => random.int(3))];
  const kept = tiltedRows(fit.fitted(), sizes, fresh, rows, 3000, random);
  const index = cliqueIndex([0, 1], sizes, fresh, rows);
  const counts = new Float64Array(9);
  for (const r of kept) counts[index[r]]++;
  truth.forEach((p, i) => assert.ok(Math.abs(counts[i] / 3000 - p) < 0.03, `drawn cell ${i}: ${counts[i] / 3000} vs ${p}`));
});
