import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Random } from '../../src/core/random';
import { related, seededSecure } from '../helpers/random';
import { estimate, ForestSampler, marginalsOf, orientForest, type Forest, type Measurement, type Potentials } from '../../src/core/pgm/forest';
import { fitPgm, MAX_CLIQUE_CELLS, MAX_TREE_CELLS, pairCellCap, selectTree } from '../../src/core/pgm/mst';
import { columnDomain } from '../../src/core/pgm/domain';
import { generate } from '../../src/core/generate';
import { readModelFile } from '../../src/core/generators/model-file';
import { sampleFromModel } from '../../src/core/sample-model';
import { evaluateQuality } from '../../src/core/evaluate/quality';
import { inferSchema } from '../../src/core/schema/infer';
import { loadTable } from '../../src/core/table';
import { tempDir, tempFile } from '../helpers/files';
import { cleanHistogram, latticeDecimals, numericSlot, privateStatistics, slotsOf, type NumericHistogram } from '../../src/core/privacy/preprocess';
import { tableFromSlots } from '../../src/core/privacy/marginals';
import { slotWeights } from '../../src/core/release/types';
import { formatNumber } from '../../src/core/schema/format';
import { PgmSource } from '../../src/core/pgm/model';
import { TableTransformer } from '../../src/core/transform/transformer';

/** A tree of 4 nodes: 0-1, 1-2, 1-3 (sizes 2, 3, 2, 4). */
function smallForest(): Forest {
  return orientForest([2, 3, 2, 4], [
    [0, 1],
    [2, 1],
    [1, 3],
  ]);
}

function randomPotentials(forest: Forest, random: Random): Potentials {
  return {
    nodes: forest.sizes.map((s) => Float64Array.from({ length: s }, () => 2 * random.normal())),
    edges: forest.edges.map(([p, c]) => Float64Array.from({ length: forest.sizes[p] * forest.sizes[c] }, () => 2 * random.normal())),
  };
}

/** Marginals by enumerating every joint state. */
function bruteForce(forest: Forest, theta: Potentials): { nodes: number[][]; edges: number[][] } {
  const { sizes, edges } = forest;
  const nodes = sizes.map((s) => new Array<number>(s).fill(0));
  const edgeTables = edges.map(([p, c]) => new Array<number>(sizes[p] * sizes[c]).fill(0));
  let z = 0;
  const x = new Array<number>(sizes.length).fill(0);
  const visit = (v: number): void => {
    if (v === sizes.length) {
      let logp = 0;
      sizes.forEach((_, u) => (logp += theta.nodes[u][x[u]]));
      edges.forEach(([p, c], e) => (logp += theta.edges[e][x[p] * sizes[c] + x[c]]));
      const w = Math.exp(logp);
      z += w;
      sizes.forEach((_, u) => (nodes[u][x[u]] += w));
      edges.forEach(([p, c], e) => (edgeTables[e][x[p] * sizes[c] + x[c]] += w));
      return;
    }
    for (let k = 0; k < sizes[v]; k++) {
      x[v] = k;
      visit(v + 1);
    }
  };
  visit(0);
  return { nodes: nodes.map((m) => m.map((w) => w / z)), edges: edgeTables.map((m) => m.map((w) => w / z)) };
}

test('belief propagation gives the exact marginals of a tree model (checked by enumeration)', () => {
  const forest = smallForest();
  const random = new Random(7);
  for (let trial = 0; trial < 5; trial++) {
    const theta = randomPotentials(forest, random);
    const exact = bruteForce(forest, theta);
    const bp = marginalsOf(forest, theta);
    exact.nodes.forEach((m, v) => m.forEach((p, i) => assert.ok(Math.abs(bp.nodes[v][i] - p) < 1e-12, `node ${v} cell ${i}`)));
    exact.edges.forEach((m, e) => m.forEach((p, i) => assert.ok(Math.abs(bp.edges[e][i] - p) < 1e-12, `edge ${e} cell ${i}`)));
  }
});

test('a forest with an isolated node and two components has exact marginals too', () => {
  const forest = orientForest([3, 2, 2, 3], [[0, 1]]);
  const theta = randomPotentials(forest, new Random(3));
  const exact = bruteForce(forest, theta);
  const bp = marginalsOf(forest, theta);
  exact.nodes.forEach((m, v) => m.forEach((p, i) => assert.ok(Math.abs(bp.nodes[v][i] - p) < 1e-12)));
});

test('noise-free consistent marginals are reproduced by the estimate', () => {
  const forest = smallForest();
  const truth = marginalsOf(forest, randomPotentials(forest, new Random(11)));
  const total = 10_000;
  const measurements: Measurement[] = [
    ...truth.nodes.map((m, v): Measurement => ({ kind: 'node', index: v, counts: m.map((p) => p * total), weights: new Float64Array(m.length).fill(1) })),
    ...truth.edges.map((m, e): Measurement => ({ kind: 'edge', index: e, counts: m.map((p) => p * total), weights: new Float64Array(m.length).fill(1) })),
  ];
  const fitted = estimate(forest, measurements, total, { iterations: 5000 });
  truth.edges.forEach((m, e) => m.forEach((p, i) => assert.ok(Math.abs(fitted.edges[e][i] - p) * total < 1, `edge ${e} cell ${i}: ${fitted.edges[e][i] * total} vs ${p * total}`)));
  truth.nodes.forEach((m, v) => m.forEach((p, i) => assert.ok(Math.abs(fitted.nodes[v][i] - p) * total < 1)));
});

test('sampling reproduces the fitted marginals within sampling error', () => {
  const forest = smallForest();
  const truth = marginalsOf(forest, randomPotentials(forest, new Random(5)));
  const rows = 100_000;
  const cells = new ForestSampler(forest, truth).sample(rows, new Random(9));
  forest.edges.forEach(([p, c], e) => {
    const sc = forest.sizes[c];
    const counts = new Float64Array(forest.sizes[p] * sc);
    for (let r = 0; r < rows; r++) counts[cells[p][r] * sc + cells[c][r]]++;
    truth.edges[e].forEach((prob, i) => {
      const sd = Math.sqrt(rows * prob * (1 - prob));
      assert.ok(Math.abs(counts[i] - rows * prob) <= 5 * sd + 1, `edge ${e} cell ${i}: ${counts[i]} vs ${rows * prob}`);
    });
  });
});

/** Cells of `rows` rows over 4 columns of 3 cells: 0 and 1 equal, 2 and 3 equal, the pairs independent. */
function twoPairs(rows: number, random: Random): Int32Array[] {
  const cells = [0, 1, 2, 3].map(() => new Int32Array(rows));
  for (let r = 0; r < rows; r++) {
    cells[0][r] = cells[1][r] = random.int(3);
    cells[2][r] = cells[3][r] = random.int(3);
  }
  return cells;
}

const uniformOneWay = (sizes: number[]): Measurement[] =>
  sizes.map((s, v) => ({ kind: 'node', index: v, counts: new Array<number>(s).fill(1000 / s), weights: new Array<number>(s).fill(1) }));

test('the tree selection finds the related pairs at a generous epsilon', () => {
  const sizes = [3, 3, 3, 3];
  const cells = twoPairs(1000, new Random(1));
  for (let trial = 0; trial < 5; trial++) {
    const chosen = selectTree(sizes, cells, uniformOneWay(sizes), 1000, 1000, 1, 3, seededSecure(trial));
    const keys = chosen.map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`);
    assert.ok(keys.includes('0-1') && keys.includes('2-3'), `chosen ${keys}`);
    assert.equal(chosen.length, 3, 'a spanning tree');
  }
});

test('the tree selection depends on the rows only through the exponential mechanism: at a tiny epsilon it is a uniform choice', () => {
  const sizes = [3, 3, 3, 3];
  const cells = twoPairs(1000, new Random(2));
  const firstPick = new Map<string, number>();
  const runs = 3000;
  const random = seededSecure(3);
  for (let i = 0; i < runs; i++) {
    const [[a, b]] = selectTree(sizes, cells, uniformOneWay(sizes), 1000, 1000, 1e-9, 1, random);
    const key = `${a}-${b}`;
    firstPick.set(key, (firstPick.get(key) ?? 0) + 1);
  }
  // Six pairs, each about runs / 6 (within 5 standard deviations).
  assert.equal(firstPick.size, 6);
  const expected = runs / 6;
  for (const [key, count] of firstPick) assert.ok(Math.abs(count - expected) < 5 * Math.sqrt(expected), `${key}: ${count}`);
});

test('on a wide file the tree\'s tables stay within MAX_TREE_CELLS whichever pairs are chosen; files up to 65 columns keep every pair', () => {
  for (const hubCells of [1, 2, 3, 4]) {
    // 64 pairs (65 columns besides the hub) keep the full cap, as before the bound.
    for (const edges of [1, 14, 62, 64]) assert.equal(pairCellCap(edges, hubCells), MAX_CLIQUE_CELLS, `${edges} pairs, hub of ${hubCells}`);
    for (const edges of [65, 100, 499, 4_999, 100_000]) {
      const cap = pairCellCap(edges, hubCells);
      const tables = (pairCells: number): number => edges * pairCells * hubCells * hubCells;
      assert.ok(tables(cap) <= MAX_TREE_CELLS, `${edges} pairs of ${cap} cells, hub of ${hubCells}`);
      // The largest cap within the bound: it shrinks only when it must.
      assert.ok(cap === MAX_CLIQUE_CELLS || tables(cap + 1) > MAX_TREE_CELLS, `${edges} pairs, hub of ${hubCells}: cap ${cap}`);
    }
  }
  // 500 columns, one of them a hub of 4 cells: pairs of at most 526 cells (two numeric columns of 34 cells, 1,156, are left out).
  assert.equal(pairCellCap(498, 4), 526);
});

test('the tree selection never chooses a pair larger than its cap, however strong', () => {
  const sizes = [3, 3, 3, 3];
  const cells = twoPairs(1000, new Random(1));
  assert.deepEqual(selectTree(sizes, cells, uniformOneWay(sizes), 1000, 1000, 1, 3, seededSecure(1), 0, Infinity, 8), []);
  assert.equal(selectTree(sizes, cells, uniformOneWay(sizes), 1000, 1000, 1, 3, seededSecure(1), 0, Infinity, 9).length, 3);
});

test('a numeric column\'s cells group its released bins by mass; empty slots join a cell and are never drawn', () => {
  const domain = columnDomain(0, { type: 'numeric', edges: [0, 1, 2, 3, 4, 5], integerBins: false, counts: [0, 100, 100, 0, 0], zero: 0, missing: 0, min: 0, max: 5 });
  assert.ok(domain.cells >= 2 && domain.cells <= 3, `${domain.cells} cells`);
  assert.equal(domain.cellOfSlot.length, 7);
  assert.notEqual(domain.cellOfSlot[1], domain.cellOfSlot[2], 'the two occupied bins are told apart');
  const categorical = columnDomain(1, { type: 'categorical', levels: ['a', 'b', 'Other'], counts: [10, 20, 0], missing: 0 });
  assert.equal(categorical.cells, 2, 'empty levels and missing add no cell');
});

test('a rare level a declared rule names keeps a cell of its own; other rare levels share one', () => {
  // As the demo's admission_method: Maternity (named by a rule) and "Other" both under the compression.
  const h = { type: 'categorical' as const, levels: ['Emergency', 'Elective', 'Maternity', 'Other'], counts: [1800, 430, 94, 95], missing: 0 };
  const shared = columnDomain(0, h, 100);
  assert.equal(shared.cellOfSlot[2], shared.cellOfSlot[3], 'without a rule the two rare levels share a cell');
  const apart = columnDomain(0, h, 100, new Set(['Maternity']));
  assert.notEqual(apart.cellOfSlot[2], apart.cellOfSlot[3], 'the named level is a cell of its own');
  assert.equal(apart.cells, shared.cells + 1);
});

test('a whole number with few values keeps a cell per value above the compression, as a category does; rare neighbours share one', () => {
  // A level's code: two rare codes, then codes of very unequal mass, then empty codes.
  const counts = [5, 8, 120, 3000, 400, 150, 0, 0];
  const domain = columnDomain(0, { type: 'numeric', edges: [1, 2, 3, 4, 5, 6, 7, 8, 9], integerBins: true, counts, zero: 0, missing: 0, min: 1, max: 8 }, 50);
  assert.equal(domain.cellOfSlot[0], domain.cellOfSlot[1], 'the two rare codes share a cell');
  const cellsOfCommon = [2, 3, 4, 5].map((slot) => domain.cellOfSlot[slot]);
  assert.equal(new Set([domain.cellOfSlot[0], ...cellsOfCommon]).size, 5, `each code above the compression is a cell of its own: ${domain.cellOfSlot}`);
  assert.equal(domain.cells, 5, 'empty codes add no cell');
});


test('generate --generator pgm writes a valid private file that keeps the strong relationships, and sample works from its model', async () => {
  const file = tempFile('related.csv', related(4000, 1));
  const out = path.join(tempDir(), 'related.synthetic.csv');
  const { card, outputs } = await generate({ input: file, out, generator: 'pgm', privacy: { epsilon: 3 }, evaluate: false, holdoutFraction: 0 });
  assert.equal(card.generator.name, 'pgm');
  assert.ok(card.privacy.differentiallyPrivate);
  assert.ok(card.privacy.epsilon! <= 3 && card.privacy.epsilon! > 2.9, `epsilon ${card.privacy.epsilon}`);
  const modelReleases = card.privacy.budget!.model!.releases;
  assert.ok(modelReleases.some((r) => /exponential mechanism/.test(r.what)), 'the selection is on the card');
  // flag (2 cells, the last categorical column) is the hub: a tree over the other 3, each pair with flag.
  assert.equal(card.generator.parameters.hub, 'flag');
  assert.equal(modelReleases.filter((r) => /joint histogram/.test(r.what) && !/adaptive round/.test(r.what)).length, 2, 'a spanning tree over the other 3 modelled columns');
  const pairs = (card.generator.parameters.pairs as [string, string][]).map((p) => [...p].sort().join('-'));
  assert.ok(pairs.includes('group-score'), `pairs ${pairs}`);
  const schema = await inferSchema(file);
  // Both files binned on the real edges: the relationships kept, compared over the same
  // intervals. The report's binning (each file over its own range) falls to about 0.8 whenever
  // noise extends score's range past 79 (a tail test's 2 % a side, by design): 1 run in 60 here.
  const quality = evaluateQuality(schema, await loadTable(file, schema), await loadTable(outputs.csv, schema), { binning: 'real-edges' });
  assert.ok(quality.columnPairTrends! > 0.85, `pair trends ${quality.columnPairTrends}`);
  const header = fs.readFileSync(outputs.csv, 'utf8').split('\n')[0];
  assert.equal(header, 'id,age,group,score,flag');

  const model = await readModelFile(outputs.model);
  assert.equal(model.generator, 'pgm');
  assert.ok(model.pgm && model.pgm.edges.length === 2 && model.pgm.hub !== undefined);
  let text = '';
  await sampleFromModel({ model: outputs.model, rows: 500, seed: 4 }, async (chunk) => {
    text += chunk;
  });
  const lines = text.trim().split('\n');
  assert.equal(lines.length, 501);
  const rows = lines.slice(1).map((l) => l.split(','));
  // The hub's relationship survives too: the old are flagged far more often than the young.
  const flagged = (young: boolean): number => {
    const group = rows.filter((r) => (Number(r[1]) <= 45) === young);
    return group.filter((r) => r[4] === 'yes').length / group.length;
  };
  assert.ok(flagged(false) > flagged(true) + 0.4, `flagged ${flagged(false)} vs ${flagged(true)}`);
  // The relationship survives sampling from the file: each group keeps its own score range.
  const scoreByGroup = new Map<string, number[]>();
  for (const r of rows) scoreByGroup.set(r[2], [...(scoreByGroup.get(r[2]) ?? []), Number(r[3])]);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(scoreByGroup.get('A')!) < mean(scoreByGroup.get('B')!) && mean(scoreByGroup.get('B')!) < mean(scoreByGroup.get('C')!));
});

test('pgm on a tiny file and on a wide file of unrelated columns stays quick and valid', async () => {
  const tiny = tempFile('tiny.csv', 'a,b\n1,x\n2,y\n1,x\n2,y\n3,x\n2,y\n1,x\n3,y\n2,x\n1,y\n');
  // Ten rows cannot carry statistics through the noise: refused, naming the rows needed (issue 11).
  await assert.rejects(
    generate({ input: tiny, out: path.join(tempDir(), 'tiny.synthetic.csv'), generator: 'pgm', privacy: { epsilon: 1, delta: 1e-3 }, evaluate: false, holdoutFraction: 0 }),
    /too few rows for this privacy budget: .* need at least \d+ rows/,
  );

  const random = new Random(8);
  const columns = 120;
  const lines = [Array.from({ length: columns }, (_, j) => `c${j}`).join(',')];
  for (let i = 0; i < 600; i++) lines.push(Array.from({ length: columns }, (_, j) => (j % 2 ? String(random.int(50)) : ['p', 'q', 'r'][random.int(3)])).join(','));
  const wide = tempFile('wide.csv', lines.join('\n') + '\n');
  const started = performance.now();
  // ε 3: at ε 1 each of the 240 histograms' counts would carry noise of 101 on 600 rows (refused).
  const { card, outputs } = await generate({ input: wide, out: path.join(tempDir(), 'wide.synthetic.csv'), generator: 'pgm', privacy: { epsilon: 3 }, evaluate: false, holdoutFraction: 0 });
  const seconds = (performance.now() - started) / 1000;
  assert.ok(seconds < 60, `${seconds} s`);
  // A hub (a 3-level column) and a spanning tree over the other columns that noise left more
  // than one cell (on 600 rows a column's rarer values may all share one).
  const state = (await readModelFile(outputs.model)).pgm!;
  const spanned = state.domains.filter((d, v) => v !== state.hub && d.cells > 1).length;
  assert.ok(state.hub !== undefined && spanned >= columns / 2, `${spanned} columns of more than one cell`);
  assert.equal(card.privacy.budget!.model!.releases.filter((r) => /joint histogram/.test(r.what) && !/adaptive round/.test(r.what)).length, spanned - 1);
  assert.equal(fs.readFileSync(outputs.csv, 'utf8').trim().split('\n').length, card.output.rows + 1);
});

/** A core of 20 full bins, then `tail` (true counts), then empty bins up to 100, with noise. */
function noisyTail(tail: number[], sigma: number, random: Random): number[] {
  const truth = [...new Array<number>(20).fill(500), ...tail];
  while (truth.length < 100) truth.push(0);
  return truth.map((c) => c + sigma * random.normal());
}

const lastOccupied = (counts: number[]): number => counts.length - 1 - [...counts].reverse().findIndex((c) => c > 0);

test('fine detail keeps a thin tail that runs above the noise, where bins one by one sink under it', () => {
  const random = new Random(7);
  // 30 bins of 12 rows each (ages 75 to 90 of a census at ε 1): each under the floor of 2 noise
  // deviations, their run 6.6 deviations of its own noise above zero.
  const tail = new Array<number>(30).fill(12);
  let kept = 0;
  let cut = 0;
  const trials = 40;
  for (let t = 0; t < trials; t++) {
    const raw = noisyTail(tail, 10, random);
    kept += lastOccupied(cleanHistogram(raw, 10, true));
    cut += lastOccupied(cleanHistogram(raw, 10));
  }
  // Most of the run is kept (its end, where a pooled run gets short, is where noise wins).
  assert.ok(kept / trials >= 36, `the tail reaches bin ${kept / trials} on average (it holds rows up to bin 49; ${cut / trials} without)`);
  assert.ok(kept / trials >= cut / trials + 6, `without fine detail the tail is cut sooner (${cut / trials})`);
  assert.ok(kept / trials <= 52, 'the empty bins beyond are not taken in');
});

test('fine detail rarely extends a histogram into empty bins by noise alone', () => {
  const random = new Random(11);
  let extended = 0;
  const trials = 300;
  for (let t = 0; t < trials; t++) if (lastOccupied(cleanHistogram(noisyTail([], 10, random), 10, true)) >= 24) extended++;
  assert.ok(extended / trials <= 0.05, `${extended} of ${trials} noise-only tails extended by 5 bins or more`);
});

test('a continuous column on a decimal lattice keeps its decimals; one off it does not', () => {
  const edges = Array.from({ length: 101 }, (_, i) => 0.5 + i * 0.035);
  const tenths = edges.slice(0, -1).map((lo, k) => (Math.ceil(lo * 10 - 1e-9) / 10 < edges[k + 1] - 1e-12 ? 100 + k : 0));
  const h = (counts: number[]): NumericHistogram => ({ type: 'numeric', edges, integerBins: false, counts, zero: 0, missing: 0, min: edges[0], max: edges[100] });
  assert.equal(latticeDecimals(h(tenths)), 1, 'values in tenths (creatinine 0.9, 1.0, 1.1)');
  assert.equal(latticeDecimals(h(tenths.map((c, k) => (c > 0 ? c : k % 7 === 0 ? 60 : 0)))), undefined, 'a fifth of the values off the lattice');
  assert.equal(latticeDecimals(h(edges.slice(0, -1).map(() => 50))), undefined, 'values everywhere');
  assert.equal(latticeDecimals({ ...h(new Array(16).fill(10)), edges: Array.from({ length: 17 }, (_, i) => i), integerBins: true }), 0);
});

test('values in tenths keep their decimals whatever the bin count, also where a tenth falls on a bin edge', () => {
  // Creatinine-like: 0.5 to 3.9 in tenths, most at 0.9 to 1.3; over 0.5-4, 60 bins put 1.2 on an edge.
  const values = Array.from({ length: 35 }, (_, j) => (5 + j) / 10);
  const rows = (v: number): number => (v >= 0.9 && v <= 1.3 ? 800 : 40);
  // Bins narrower than two thirds of a tenth (53 or more over 3.5): coarser ones cannot tell.
  for (let bins = 53; bins <= 70; bins++) {
    const [min, max] = [0.5, 4];
    const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * (max / bins - min / bins)));
    const counts = new Array<number>(bins).fill(0);
    for (const v of values) counts[numericSlot(v, min, max, bins, false)] += rows(v);
    const h: NumericHistogram = { type: 'numeric', edges, integerBins: false, counts, zero: 0, missing: 0, min, max };
    assert.equal(latticeDecimals(h), 1, `${bins} bins`);
  }
});

test('fine detail: bounds come from the power-of-two grid (never a raw extreme), reach a rare smallest whole number, and declared bounds are used as declared', async () => {
  const random = new Random(3);
  const lines = ['years,score,level'];
  for (let i = 0; i < 6000; i++) {
    // level 1 is rare (3 %) and alone in its octave [1, 2); years run 19..83 with one outlier.
    const level = random.next() < 0.03 ? 1 : 2 + random.int(15);
    lines.push(`${i === 0 ? 1000 : 19 + random.int(65)},${(random.next() * 70 + 5).toFixed(2)},${level}`);
  }
  const file = tempFile('bounds.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const declared = { ...schema, columns: schema.columns.map((c) => (c.name === 'score' ? { ...c, public: { bounds: { min: 0, max: 100 } } } : c)) };
  const stats = privateStatistics(declared, table, { rho: 2, thresholdDelta: 1e-7, random: seededSecure(5), needsCounts: true, fineDetail: true });
  const [years, score, level] = stats.histograms as NumericHistogram[];
  const powerOfTwo = (x: number): boolean => Number.isInteger(Math.log2(x));
  for (const h of [years, level]) {
    assert.ok(powerOfTwo(h.min) && powerOfTwo(h.max), `bounds ${h.min} .. ${h.max} are grid edges`);
  }
  assert.ok(years.min !== 19 && years.max !== 83 && years.max !== 1000, `years bounds ${years.min} .. ${years.max}`);
  assert.equal(score.min, 0);
  assert.equal(score.max, 100);
  // The rare smallest level is kept (its octave alone is far under the grid's threshold).
  assert.equal(level.edges[level.counts.findIndex((c) => c > 0)], 1);
  assert.ok(level.integerBins, 'one bin per whole number');
  // The single outlier stays out; the thin years near 83 stay in.
  const lastYear = years.edges[lastOccupied(years.counts)];
  assert.ok(lastYear >= 80 && lastYear <= 90, `years end at ${lastYear}`);
});

test('fine detail releases a point mass of a continuous column and draws it exactly, at its share of its bin', async () => {
  const random = new Random(21);
  // rhc's bilirubin: 1.00976562 (a float32 reading of 1.01, no float32 itself) in 40 % of rows,
  // the rest spread out in thousandths.
  const spike = 1.00976562;
  const lines = ['bilirubin,group'];
  for (let i = 0; i < 6000; i++) lines.push(`${random.next() < 0.4 ? spike : (0.2 + random.next() * 4).toFixed(3)},${random.next() < 0.5 ? 'a' : 'b'}`);
  const file = tempFile('spike.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const options = { rho: 0.5, thresholdDelta: 1e-7, random: seededSecure(9), needsCounts: true };
  const stats = privateStatistics(schema, table, { ...options, fineDetail: true });
  const bilirubin = stats.histograms[0] as NumericHistogram;
  assert.deepEqual(bilirubin.spikes?.map((s) => s.value), [spike], 'only the value many rows hold is released');
  assert.ok(Math.abs(bilirubin.spikes![0].count - 2400) < 200, `released count ${bilirubin.spikes![0].count}`);
  const spikeRelease = stats.releases.find((r) => r.column === 'bilirubin' && /point masses/.test(r.what));
  assert.ok(spikeRelease, 'the count of exact values is in the ledger');
  const sum = stats.releases.reduce((a, r) => a + r.rho, 0);
  assert.ok(Math.abs(sum - stats.rho) < 1e-12 && Math.abs(stats.rho - options.rho) < 1e-12, `the releases add up to the budget (${sum} of ${stats.rho})`);
  assert.equal((privateStatistics(schema, table, options).histograms[0] as NumericHistogram).spikes, undefined, 'other generators do not ask for it');

  // Drawn from the released histogram, about 40 % of the values are exactly the spike; the rest are not.
  const weights = slotWeights(bilirubin);
  const total = weights.reduce((a, b) => a + b, 0);
  const draws = new Random(4);
  const slots = Int32Array.from({ length: 20000 }, () => {
    let u = draws.next() * total;
    let k = 0;
    while (k < weights.length - 1 && (u -= weights[k]) >= 0) k++;
    return k;
  });
  const drawn = tableFromSlots(schema, stats.histograms, [slots, undefined], 20000, draws).columns[0];
  assert.equal(drawn.type, 'numeric');
  const values = (drawn as { values: Float64Array }).values;
  const share = values.filter((x) => x === spike).length / values.length;
  assert.ok(Math.abs(share - 0.4) < 0.03, `share of exact ${spike}: ${share}`);
  assert.ok(values.filter((x) => x !== spike && Math.abs(x - spike) < 0.1).length > 100, 'the rest of its bin is still drawn');

  // A point mass is written exactly (1.00976562 rounded to 1.01 would put a third of the rows on
  // the wrong side of the real value); other values keep the release's resolution.
  const format = { decimals: 2, fixed: false, points: [spike] };
  assert.equal(formatNumber(spike, format, false), '1.00976562');
  assert.equal(formatNumber(1.0123, format, false), '1.01');

  // A pgm run writes the spike exactly, every digit, at its share (a float32 step on the way
  // wrote 1.00976564 or 1.00976565, which matches no real value), and the rest in thousandths.
  const dir = tempDir();
  const out = path.join(dir, 'out.csv');
  const result = await generate({ input: file, out, seed: 1, evaluate: false, generator: 'pgm', privacy: { epsilon: 3 } });
  assert.ok(result.card.privacy.budget!.preprocessing.releases.some((r) => /point masses/.test(r.what)), 'the card lists the release');
  const synthetic = await loadTable(out, schema);
  const syntheticValues = (synthetic.columns[0] as { values: Float64Array }).values;
  const syntheticShare = syntheticValues.filter((x) => x === spike).length / syntheticValues.length;
  assert.ok(Math.abs(syntheticShare - 0.4) < 0.05, `synthetic share of exact ${spike}: ${syntheticShare}`);
  const nearMisses = syntheticValues.filter((x) => x !== spike && Math.abs(x - spike) < 1e-4);
  assert.deepEqual([...nearMisses], [], 'no value written next to the point mass instead of on it');
  const offLattice = syntheticValues.filter((x) => x !== spike && Math.abs(x * 1000 - Math.round(x * 1000)) > 1e-9);
  assert.deepEqual([...offLattice].slice(0, 5), [], 'other values in thousandths, as the real ones');
  // At the cause: the generator's rows decode to the drawn values themselves, not to a copy the
  // writer must round back to them.
  const model = await readModelFile(result.outputs.model);
  const transformer = TableTransformer.fromJSON(model.transformer);
  const source = new PgmSource(model.schema, model.pgm!, transformer);
  const decoded = transformer.decode(await source.sample(4000, 7), 4000, model.schema.columns.length)[0] as { values: Float64Array };
  const decodedShare = decoded.values.filter((x) => x === spike).length / 4000;
  assert.ok(Math.abs(decodedShare - 0.4) < 0.05, `decoded share of exact ${spike}: ${decodedShare}`);
});

/** A file of whole numbers drawn by `value`, with the noise deviation each release of it gets at `rho`. */
async function wholeNumbers(name: string, rows: number, value: (random: Random) => number): Promise<{ schema: Awaited<ReturnType<typeof inferSchema>>; table: Awaited<ReturnType<typeof loadTable>> }> {
  const random = new Random(5);
  const lines = ['value'];
  for (let i = 0; i < rows; i++) lines.push(String(value(random)));
  const file = tempFile(name, lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  return { schema, table: await loadTable(file, schema) };
}

const firstOccupied = (h: NumericHistogram): number => h.edges[h.counts.findIndex((c) => c > 0)];
const endOccupied = (h: NumericHistogram): number => h.edges[lastOccupied(h.counts) + 1];

test('fine detail keeps a thin tail above the bulk whose octave alone is under the grid threshold', async () => {
  // Values 20 to 63 for 98 % of the rows; 81 rows are 64 or 65: their octave [64, 128)
  // stands 4 noise deviations above zero, under the grid's threshold of 4.4 (the bounds then
  // stopped at 64 in most runs, every 65 written as 64).
  const { schema, table } = await wholeNumbers('thin-tail.csv', 6000, (r) => (r.next() < 0.018 ? 64 + r.int(2) : 20 + r.int(44)));
  // Three releases at noise 20 each (the grid, two value histograms) plus the row count.
  const rho = 4 / (2 * 20 * 20);
  let reached = 0;
  let beyond = 0;
  const runs = 30;
  for (let seed = 1; seed <= runs; seed++) {
    const h = privateStatistics(schema, table, { rho, thresholdDelta: 1e-7, random: seededSecure(seed), needsCounts: true, fineDetail: true }).histograms[0] as NumericHistogram;
    if (endOccupied(h) >= 66) reached++;
    if (endOccupied(h) > 68) beyond++;
  }
  // Their octave clears the lower threshold for the octave next to the bulk in about 3 runs of 4,
  // then the value histogram decides (before: 7 of these 30 runs, at the grid's own threshold).
  assert.ok(reached >= 12, `the synthetic values reach 65 in ${reached} of ${runs} runs`);
  assert.ok(beyond <= 2, `values run past 67 (none above 65 in the file) in ${beyond} of ${runs} runs`);
});

test('fine detail keeps a whole-number column\'s rare smallest values when thin bins lead down to them', async () => {
  // education_num on 2,000 rows: the values 1, 2 and 3 hold 0.5, 0.8 and 1 % of the rows, each
  // under the noise alone; the grid sees the bulk from 4 up.
  const { schema, table } = await wholeNumbers('thin-low.csv', 2000, (r) => {
    const u = r.next();
    return u < 0.005 ? 1 : u < 0.013 ? 2 : u < 0.023 ? 3 : 4 + r.int(13);
  });
  const rho = 4 / (2 * 8 * 8);
  let low = 0;
  let wrong = 0;
  const runs = 12;
  for (let seed = 1; seed <= runs; seed++) {
    const h = privateStatistics(schema, table, { rho, thresholdDelta: 1e-7, random: seededSecure(seed), needsCounts: true, fineDetail: true }).histograms[0] as NumericHistogram;
    if (firstOccupied(h) <= 2) low++;
    if (endOccupied(h) > 17) wrong++;
  }
  assert.ok(low >= 8, `the synthetic values reach down to 2 or 1 in ${low} of ${runs} runs`);
  assert.ok(wrong <= 1, `values above 16 in ${wrong} of ${runs} runs`);
});

test('fine detail keeps a whole-number column\'s rare smallest value 1 below a run of 2s, and rarely writes a 1 the column does not hold', async () => {
  // education_num as adult's training rows hold it at ε 1: value 1 (Preschool) 41 of 26,000 rows,
  // 2 134, 3 266, then hundreds; each release's noise 36 as there (about 21 for value 1's count
  // once the two value histograms and the grid's count of [1, 2) are combined). Before, 1 was
  // kept in 20 of these 40 runs and never written for the column without it; now 33 and 5.
  const codes = (withOnes: boolean) => (r: Random): number => {
    const u = r.next() * 1000;
    if (u < 1.6) return withOnes ? 1 : 2;
    if (u < 6.7) return 2;
    if (u < 17) return 3;
    return 4 + r.int(13);
  };
  const sigma = 36;
  const rho = 4 / (2 * sigma * sigma);
  const firsts = async (name: string, withOnes: boolean): Promise<number[]> => {
    const { schema, table } = await wholeNumbers(name, 26_000, codes(withOnes));
    return Array.from({ length: 40 }, (_, i) => firstOccupied(privateStatistics(schema, table, { rho, thresholdDelta: 1e-7, random: seededSecure(i + 1), needsCounts: true, fineDetail: true }).histograms[0] as NumericHistogram));
  };
  const kept = (await firsts('codes-with-one.csv', true)).filter((v) => v === 1).length;
  assert.ok(kept >= 30, `value 1 kept in ${kept} of 40 runs`);
  // Bounds declared from 1 to 16: no grid, the bin's count alone (one release's noise): 29 of 40,
  // against 13 before.
  const { schema, table } = await wholeNumbers('codes-declared.csv', 26_000, codes(true));
  const declared = { ...schema, columns: schema.columns.map((c) => ({ ...c, public: { bounds: { min: 1, max: 16 } } })) };
  const keptDeclared = Array.from({ length: 40 }, (_, i) => firstOccupied(privateStatistics(declared, table, { rho, thresholdDelta: 1e-7, random: seededSecure(i + 1), needsCounts: true, fineDetail: true }).histograms[0] as NumericHistogram)).filter((v) => v === 1).length;
  assert.ok(keptDeclared >= 25, `value 1 kept within declared bounds in ${keptDeclared} of 40 runs`);
  const invented = (await firsts('codes-from-two.csv', false)).filter((v) => v === 1).length;
  assert.ok(invented <= 12, `value 1 written for a column without it in ${invented} of 40 runs`);
});

test('fine detail writes no whole number in an octave beyond the core that the bounds grid shows empty', async () => {
  // Ages of 1,600 training rows as adult's first 2,000 hold them: 17 to 90, thinning out after
  // 40. A run of noise below 17 passed the tail test now and then, and ages 11 to 15 were written
  // (in 3 of these 60 runs before the grid's count of [8, 16) was weighed too).
  const { schema, table } = await wholeNumbers('young.csv', 1600, (r) => {
    for (;;) {
      const age = 17 + Math.floor(-Math.log(1 - r.next()) * 18 + r.next() * 10);
      if (age <= 90) return age;
    }
  });
  for (const sigma of [13, 20]) {
    const rho = 4 / (2 * sigma * sigma);
    const firsts: number[] = [];
    const ends: number[] = [];
    for (let seed = 1; seed <= 60; seed++) {
      const h = privateStatistics(schema, table, { rho, thresholdDelta: 1e-7, random: seededSecure(seed), needsCounts: true, fineDetail: true }).histograms[0] as NumericHistogram;
      firsts.push(firstOccupied(h));
      ends.push(endOccupied(h));
    }
    assert.ok(Math.min(...firsts) >= 16, `σ ${sigma}: values from ${Math.min(...firsts)} (the file's start at 17)`);
    // The thin upper tail is still reached in some runs.
    assert.ok(Math.max(...ends) >= 80, `σ ${sigma}: values end at most at ${Math.max(...ends)}`);
  }
});

test('fine detail keeps a continuous column\'s thin tail in an octave the bounds grid shows held, and adds none where it shows none', async () => {
  // A lab value written to 0.1, as flchain's creatinine: 97.5 % of rows from 0.5 to 1.9, the rest
  // thinning out from 2 to 3.9. The tail holds a few rows per bin, each under the noise; its
  // octave [2, 4) stands far above the grid's.
  const lab = (tail: boolean) => (r: Random): string => {
    if (tail && r.next() < 0.025) return (2 + Math.min(19, Math.floor(-Math.log(1 - r.next()) * 6)) / 10).toFixed(1);
    return (0.5 + Math.min(14, Math.floor(-Math.log(1 - r.next()) * 4)) / 10).toFixed(1);
  };
  const release = async (name: string, tail: boolean): Promise<NumericHistogram[]> => {
    const random = new Random(7);
    const lines = ['value'];
    for (let i = 0; i < 6000; i++) lines.push(lab(tail)(random));
    const file = tempFile(name, lines.join('\n') + '\n');
    const schema = await inferSchema(file);
    const table = await loadTable(file, schema);
    const rho = 4 / (2 * 15 * 15);
    return Array.from({ length: 30 }, (_, i) => privateStatistics(schema, table, { rho, thresholdDelta: 1e-7, random: seededSecure(i + 1), needsCounts: true, fineDetail: true }).histograms[0] as NumericHistogram);
  };
  const beyond = (h: NumericHistogram, from: number): number => h.counts.reduce((sum, c, k) => (h.edges[k] >= from ? sum + c : sum), 0);
  // 122 rows lie from 2.05 up (before the octaves: none written in 11 runs of these 30, 33 to 154
  // in the rest). An octave must stand about 2.9 deviations above none (noise alone passes an empty
  // one in 500): the tail is written in 28 of the 30 runs, 50 to 250 rows in 26 (at 2.05
  // deviations: 29 of 30, but an empty octave was passed in 1 run of 50 and a file's far tail with it).
  const rows = (await release('lab-tail.csv', true)).map((h) => beyond(h, 2.05));
  const written = rows.filter((n) => n > 0).length;
  const near = rows.filter((n) => n >= 50 && n <= 250).length;
  assert.ok(written >= 27 && near >= 25, `rows from 2.05 up: ${rows.map((n) => n.toFixed(0)).join(', ')}`);
  const withoutTail = await release('lab-no-tail.csv', false);
  const spread = withoutTail.filter((h) => endOccupied(h) > 2.2).length;
  assert.ok(spread <= 1, `values past 2.2 (none in the file) in ${spread} of 30 runs`);
});

test('a small file gets coarse bins, not a bin per whole number: no ages drawn from bins of noise alone', async () => {
  // lung's ages: 228 rows from 39 to 82. A bin a year held ~2 rows each under noise of 11, and
  // bins of noise alone at 93 to 110 were kept as values.
  const { schema, table } = await wholeNumbers('small-ages.csv', 228, (r) => 39 + Math.round(43 * Math.sqrt(r.next())));
  const rho = 4 / (2 * 11 * 11);
  const shares: number[] = [];
  for (let seed = 1; seed <= 12; seed++) {
    const h = privateStatistics(schema, table, { rho, thresholdDelta: 1e-7, random: seededSecure(seed), needsCounts: true, fineDetail: true }).histograms[0] as NumericHistogram;
    assert.equal(h.integerBins, false, `seed ${seed}: ${h.counts.length} bins`);
    assert.ok(h.counts.length <= 16, `seed ${seed}: ${h.counts.length} bins`);
    const total = h.counts.reduce((a, b) => a + b, 0);
    const beyond = h.counts.reduce((a, c, i) => a + (h.edges[i] >= 86 ? c : 0), 0);
    shares.push(beyond / total);
  }
  // A bin a year put 18 % of the values past 86 on average over these seeds (up to 48 %); in
  // wide bins a tail of noise is kept now and then (its pooled run clears the margin), not often.
  assert.ok(Math.max(...shares) <= 0.12, `values past 86: ${shares.map((s) => s.toFixed(2)).join(' ')}`);
  assert.ok(shares.reduce((a, b) => a + b, 0) / shares.length <= 0.03, `values past 86: ${shares.map((s) => s.toFixed(2)).join(' ')}`);
  // With rows enough for the finest bins, a bin per whole number as before.
  const large = await wholeNumbers('large-ages.csv', 30_000, (r) => 39 + Math.round(43 * Math.sqrt(r.next())));
  const h = privateStatistics(large.schema, large.table, { rho, thresholdDelta: 1e-7, random: seededSecure(1), needsCounts: true, fineDetail: true }).histograms[0] as NumericHistogram;
  assert.equal(h.integerBins, true);
});

test('pairs named by declared rules join the tree without selection; one closing a cycle is left to it, and the selection spends its whole budget', async () => {
  const file = tempFile('five.csv', related(2000, 4));
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const stats = privateStatistics(schema, table, { rho: 0.5, thresholdDelta: 1e-7, random: seededSecure(1), needsCounts: true });
  const at = (name: string): number => schema.columns.findIndex((c) => c.name === name);
  const forcedPairs: [number, number][] = [
    [at('age'), at('flag')],
    [at('flag'), at('score')],
    [at('age'), at('score')],
  ];
  for (let seed = 1; seed <= 5; seed++) {
    const fit = fitPgm({ schema, table, stats, rhoSelection: 0.05, rhoMeasurement: 0.2, random: seededSecure(seed), forcedPairs });
    const pairs = fit.pairs.map((p) => p.slice().sort().join(' - '));
    assert.ok(pairs.includes('age - flag') && pairs.includes('flag - score'), pairs.join(', '));
    assert.ok(!pairs.includes('age - score'), 'a pair closing a cycle with the declared ones is not forced in');
    const selection = fit.releases.find((r) => r.column === '(pairs)')!;
    assert.match(selection.what, /^\d+ rounds of the exponential mechanism .* \(its other 2 pairs are named by declared rules: public, not selected\)$/);
    assert.equal(Number(selection.what.split(' ')[0]), fit.pairs.length - 2);
    assert.ok(Math.abs(fit.spent.selection - 0.05) < 1e-12 && Math.abs(fit.releases.reduce((a, r) => a + r.rho, 0) - 0.25) < 1e-12);
  }
});

test('with a hub, its pair with a column is the noise-weighted mean of every measured pair at that column, with the noise it states', async () => {
  // A star: c fixes most of x, y and z; h (the last categorical column, two levels) is the hub.
  const random = new Random(5);
  const lines = ['c,x,y,z,h'];
  for (let i = 0; i < 3000; i++) {
    const c = random.int(4);
    const near = (levels: number): number => (random.next() < 0.85 ? c % levels : random.int(levels));
    lines.push([`c${c}`, `x${near(3)}`, `y${near(4)}`, `z${near(2)}`, random.next() < 0.3 + 0.1 * c ? 'yes' : 'no'].join(','));
  }
  const file = tempFile('star.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const stats = privateStatistics(schema, table, { rho: 0.5, thresholdDelta: 1e-7, random: seededSecure(1), needsCounts: true });
  const at = (name: string): number => schema.columns.findIndex((col) => col.name === name);
  let squares = 0;
  let cells = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const fit = fitPgm({ schema, table, stats, rhoSelection: 0.05, rhoMeasurement: 0.05, random: seededSecure(seed), hub: 'auto' });
    const edges = fit.pairs.filter((p) => p.includes('c'));
    if (edges.length < 2) continue;
    const pair = fit.measured.find((m) => m.columns[0] === at('h') && m.columns[1] === at('c'))!;
    // Each edge at c sums its other end's cells: the mean weighs them by the inverse of their count.
    const cellsOf = (name: string): number => Math.max(...fit.measured.find((m) => m.columns[0] === at('h') && m.columns[1] === at(name))!.cellOfSlot[1]) + 1;
    const precision = edges.reduce((sum, p) => sum + 1 / cellsOf(p[0] === 'c' ? p[1] : p[0]), 0);
    assert.ok(Math.abs(pair.sigma - fit.measurementSigma / Math.sqrt(precision)) < 1e-9 * pair.sigma, `σ ${pair.sigma}`);
    const slots = pair.histograms.map((h, k) => slotsOf(h, table.columns[pair.columns[k]], 'Other'));
    const width = Math.max(...pair.cellOfSlot[1]) + 1;
    const truth = new Array<number>(pair.counts.length).fill(0);
    for (let r = 0; r < table.rowCount; r++) truth[pair.cellOfSlot[0][slots[0][r]] * width + pair.cellOfSlot[1][slots[1][r]]]++;
    pair.counts.forEach((count, i) => {
      squares += ((count - truth[i]) / pair.sigma) ** 2;
      cells++;
    });
  }
  assert.ok(cells >= 40, `${cells} cells`);
  const rms = Math.sqrt(squares / cells);
  assert.ok(rms > 0.7 && rms < 1.3, `errors are ${rms.toFixed(2)} of the stated noise`);
});

test('a column its compression leaves in one cell joins no measured pair, so it cannot cut related columns apart', async () => {
  // x fixes most of y and y of z; `rare` is "yes" in 3 rows of 2,000: under the pairs' noise.
  const random = new Random(7);
  const lines = ['x,rare,y,z,w'];
  for (let i = 0; i < 2000; i++) {
    const x = random.int(4);
    const y = random.next() < 0.9 ? x : random.int(4);
    const z = random.next() < 0.9 ? y % 3 : random.int(3);
    lines.push([`x${x}`, i % 700 === 0 ? 'yes' : 'no', `y${y}`, `z${z}`, `w${random.int(3)}`].join(','));
  }
  const file = tempFile('one-cell.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const stats = privateStatistics(schema, table, { rho: 0.5, thresholdDelta: 1e-7, random: seededSecure(1), needsCounts: true });
  const at = (name: string): number => schema.columns.findIndex((c) => c.name === name);
  for (const hub of [undefined, 'auto'] as const) {
    for (let seed = 1; seed <= 8; seed++) {
      // A tiny selection budget: each round's choice is nearly uniform, as on a small file.
      const fit = fitPgm({ schema, table, stats, rhoSelection: 1e-6, rhoMeasurement: 0.2, random: seededSecure(seed), hub });
      const rare = fit.state.domains.find((d) => d.column === at('rare'))!;
      assert.equal(rare.cells, 1, 'the fixture leaves `rare` in one cell');
      const measuredColumns = fit.releases.filter((r) => r.what.startsWith('joint histogram')).map((r) => r.column);
      assert.ok(!measuredColumns.some((c) => c.split(' x ').includes('rare')), `hub ${hub}, seed ${seed}: ${measuredColumns.join(', ')}`);
      // The four other columns (three with a hub) are spanned by measured pairs alone.
      const spanned = hub === undefined ? 4 : 3;
      assert.equal(measuredColumns.length, spanned - 1, `hub ${hub}, seed ${seed}: ${measuredColumns.join(', ')}`);
      assert.equal(fit.measured.filter((m) => m.columns.includes(at('rare'))).length, 0);
      const measuredRho = fit.releases.filter((r) => r.what.startsWith('joint histogram')).reduce((a, r) => a + r.rho, 0);
      assert.ok(Math.abs(measuredRho - 0.2) < 1e-12, `measured ρ ${measuredRho}`);
    }
  }
});

test('with no pair left to choose, nothing is spent on a selection and the card does not claim one', async () => {
  // `x` fixes most of `y`; with `y` as the hub, `x` is the one other column: its pair with the hub
  // is the only one to measure, known from the released domains alone.
  const random = new Random(11);
  const lines = ['x,y'];
  for (let i = 0; i < 1500; i++) {
    const x = random.int(3);
    lines.push(`x${x},y${random.next() < 0.9 ? x : random.int(3)}`);
  }
  const file = tempFile('no-choice.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const stats = privateStatistics(schema, table, { rho: 0.5, thresholdDelta: 1e-7, random: seededSecure(3), needsCounts: true });
  const fit = fitPgm({ schema, table, stats, rhoSelection: 0.05, rhoMeasurement: 0.2, random: seededSecure(4), hub: 'auto' });
  assert.equal(fit.spent.selection, 0);
  assert.ok(!fit.releases.some((r) => /exponential mechanism/.test(r.what)), fit.releases.map((r) => r.what).join('; '));
  // The selection's share measures the pair instead of being left unspent.
  assert.ok(Math.abs(fit.spent.measurement - 0.25) < 1e-12, `measured ρ ${fit.spent.measurement}`);
  const measuredRho = fit.releases.filter((r) => r.what.startsWith('joint histogram')).reduce((a, r) => a + r.rho, 0);
  assert.ok(Math.abs(measuredRho - 0.25) < 1e-12, `released ρ ${measuredRho}`);

  const { card } = await generate({ input: file, privacy: { epsilon: 3 }, generator: 'pgm', evaluate: false, holdoutFraction: 0, out: path.join(tempDir(), 'no-choice.synthetic.csv') });
  assert.doesNotMatch(card.privacy.statement, /exponential mechanism/);
  assert.match(card.privacy.statement, /no choice to make, so no selection/);
  // Gaussian releases alone: the measurement takes the whole target the histograms leave.
  assert.ok(card.privacy.epsilon! <= 3 + 1e-9 && card.privacy.epsilon! > 2.99, `ε ${card.privacy.epsilon}`);
  assert.ok(!card.privacy.budget!.model!.releases.some((r) => /exponential mechanism/.test(r.what)));
});
