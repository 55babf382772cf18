import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTensorflow } from '../../src/core/model/backend';
import { layoutFromSpans, Tvae } from '../../src/core/model/tvae';
import { calibrateToHistograms, fitQuantileMap, histogramQuantiles, softmaxTargets, trainingHistograms } from '../../src/core/privacy/calibrate';
import { binIntegers, cleanHistogram, privateStatistics, valueInBin, type NumericHistogram } from '../../src/core/privacy/preprocess';
import { Random } from '../../src/core/random';
import { inferSchema } from '../../src/core/schema/infer';
import { loadTable } from '../../src/core/table';
import { applyQuantileMap, TableTransformer } from '../../src/core/transform/transformer';
import { seededSecure } from '../helpers/random';
import { tempFile } from '../helpers/files';

test('histogram cleaning drops an isolated noise bin in a tail but keeps a thinning real tail', () => {
  const sigma = 10;
  // Core 0..9, a real tail thinning out (25, 0 [a gap], 22), then empty bins and one noise spike.
  const raw = [500, 800, 900, 700, 400, 300, 200, 150, 100, 60, 25, 3, 22, -5, 4, -8, 1, 2, 27, -3];
  const clean = cleanHistogram(raw, sigma);
  assert.deepEqual(clean.slice(0, 11), raw.slice(0, 11), 'the core and its tail stay');
  assert.equal(clean[11], 0, 'below the floor of two sigma');
  assert.equal(clean[12], 22, 'a one-bin gap is bridged');
  assert.equal(clean[18], 0, 'an isolated bin five empty bins further out is noise');
  // Nothing clearly above the noise: only the floor applies.
  assert.deepEqual(cleanHistogram([5, 25, 3], sigma), [0, 25, 0]);
});

test('numeric bounds are not stretched by noise in empty grid bins', async () => {
  // Ages 20..89 only; under heavy noise, the released bounds must stay on the grid cells of the
  // data in (almost) every run: one noisy empty cell used to stretch them to 2^k far away.
  const lines = ['age'];
  const random = new Random(5);
  for (let i = 0; i < 5000; i++) lines.push(String(20 + random.int(70)));
  const file = tempFile('ages.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  let stretched = 0;
  for (let run = 0; run < 200; run++) {
    const stats = privateStatistics(schema, table, { rho: 0.01, thresholdDelta: 1e-6, random: seededSecure(1000 + run), needsCounts: true });
    const h = stats.histograms[0] as NumericHistogram;
    if (h.min < 16 || h.max > 128) stretched++;
  }
  assert.ok(stretched <= 1, `bounds stretched in ${stretched} of 200 runs`);
});

test('histogram quantiles follow atoms, uniform bins and the exact-zero bin', () => {
  const integer: NumericHistogram = { type: 'numeric', edges: [1, 2, 3, 4], integerBins: true, counts: [10, 0, 30], zero: 0, missing: 0, min: 1, max: 3 };
  const q = histogramQuantiles(integer, 4)!;
  // A quarter of the mass sits on 1 (so the 1/4 quantile is still 1), the rest on 3.
  assert.deepEqual(q, [1, 1, 3, 3, 3]);
  const continuous: NumericHistogram = { type: 'numeric', edges: [-10, 0, 10], integerBins: false, counts: [50, 50], zero: 100, missing: 7, min: -10, max: 10 };
  const c = histogramQuantiles(continuous, 8)!;
  assert.equal(c[0], -10);
  assert.equal(c[1], -5, 'uniform within the first bin');
  assert.equal(c[3], 0);
  assert.equal(c[5], 0, 'the point mass at zero holds half the values');
  assert.equal(c[8], 10);
  assert.equal(histogramQuantiles({ ...continuous, counts: [0, 0], zero: 0 }, 8), undefined, 'no released values: no target');
});

test('bins of an integer column wider than one stand for the whole numbers inside them', () => {
  // Bins a little over a day wide (bounds 2..32 in 29 bins); the 30s fill [29.93, 30.97).
  const edges = Array.from({ length: 30 }, (_, i) => 2 + (i * 30) / 29);
  const counts = new Array(29).fill(0);
  counts[26] = 100; // [28.90, 29.93): 29
  counts[27] = 600; // [29.93, 30.97): 30
  const h: NumericHistogram = { type: 'numeric', edges, integerBins: false, integerValues: true, counts, zero: 0, missing: 0, min: 2, max: 32 };
  assert.deepEqual(binIntegers(h, 27), [30, 30]);
  assert.deepEqual(binIntegers(h, 28), [31, 32], 'the last bin is closed');
  const random = new Random(2);
  for (let i = 0; i < 200; i++) assert.equal(valueInBin(h, 27, random.next()), 30);
  // Calibration to it: the written (rounded) values are 29 and 30 in proportion, never 31.
  const map = fitQuantileMap(Float64Array.from({ length: 5000 }, () => random.normal()), h)!;
  const written = Array.from({ length: 5000 }, () => Math.round(applyQuantileMap(map, random.normal(), random.next())));
  assert.deepEqual([...new Set(written)].sort(), [29, 30]);
  const share = written.filter((v) => v === 30).length / written.length;
  assert.ok(Math.abs(share - 6 / 7) < 0.03, `share of 30: ${share}`);
});

test('a quantile map gives the target distribution and keeps rank order', () => {
  const random = new Random(9);
  // The model's values: skewed, with a point mass at 0 holding 30 %.
  const model = Float64Array.from({ length: 20000 }, () => (random.next() < 0.3 ? 0 : Math.exp(random.normal())));
  // The release: uniform on [0, 100) in 10 bins, no zeros.
  const target: NumericHistogram = { type: 'numeric', edges: Array.from({ length: 11 }, (_, i) => i * 10), integerBins: false, counts: new Array(10).fill(100), zero: 0, missing: 0, min: 0, max: 100 };
  const map = fitQuantileMap(model, target)!;
  const mapped = Array.from(model, (x) => applyQuantileMap(map, x, random.next()));
  const sorted = mapped.slice().sort((a, b) => a - b);
  for (const p of [0.1, 0.3, 0.5, 0.9]) assert.ok(Math.abs(sorted[Math.floor(p * sorted.length)] - 100 * p) < 1.5, `quantile ${p}`);
  // The point mass spreads over the bottom 30 % of the target instead of piling on one value.
  const fromZero = mapped.filter((_, i) => model[i] === 0);
  assert.ok(Math.max(...fromZero) > 25 && Math.min(...fromZero) < 2);
  // Larger inputs never map below smaller ones.
  const pairs = Array.from(model, (x, i) => [x, mapped[i]]).filter(([x]) => x > 0).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < pairs.length; i++) assert.ok(pairs[i][1] >= pairs[i - 1][1] - 1e-9);
});

test('calibration shifts category and missing-flag probabilities to the release and maps numbers onto it', async () => {
  const { tf } = await loadTensorflow();
  const lines = ['ward,score'];
  const random = new Random(4);
  for (let i = 0; i < 600; i++) lines.push(`${['A', 'B', 'C'][random.int(3)]},${random.next() < 0.2 ? '' : (random.next() * 50).toFixed(1)}`);
  const file = tempFile('calibrate.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const transformer = TableTransformer.fit(schema, table, { seed: 1 });
  // A release that disagrees with the (untrained) model on purpose: ward 70/20/10, score 40 %
  // missing and present values piled at the top of 0..100.
  const ward = schema.columns.findIndex((c) => c.name === 'ward');
  const score = schema.columns.findIndex((c) => c.name === 'score');
  const levels = (transformer.state.columns.find((c) => c.column === ward) as { levels: string[] }).levels;
  const histograms = schema.columns.map((_, i) =>
    i === ward
      ? { type: 'categorical' as const, levels, counts: levels.map((l) => ({ A: 700, B: 200, C: 100 })[l] ?? 0), missing: 0 }
      : i === score
        ? { type: 'numeric' as const, edges: [0, 25, 50, 75, 100], integerBins: false, counts: [0, 0, 100, 500], zero: 0, missing: 400, min: 0, max: 100 }
        : undefined,
  );
  assert.equal(softmaxTargets(transformer, histograms).filter(Boolean).length, 2, 'ward categories and score missingness');
  const model = new Tvae(tf, layoutFromSpans(transformer.spans, transformer.width), { latentDim: 8, encoderDims: [16], decoderDims: [16] }, 3);
  try {
    const { transformer: calibrated, calibratedColumns } = calibrateToHistograms(model, transformer, histograms, schema.columns.length, 7);
    assert.deepEqual(calibratedColumns, [ward, score].sort());
    const rows = 20000;
    const decoded = calibrated.decode(model.sample(rows, new Random(8)), rows, schema.columns.length, new Random(9));
    const wards = decoded[ward] as { codes: Int32Array; levels: string[] };
    const share = (level: string): number => wards.codes.filter((c) => wards.levels[c] === level).length / rows;
    assert.ok(Math.abs(share('A') - 0.7) < 0.02 && Math.abs(share('B') - 0.2) < 0.02 && Math.abs(share('C') - 0.1) < 0.02, `ward shares ${share('A')}, ${share('B')}, ${share('C')}`);
    const values = (decoded[score] as { values: Float64Array }).values;
    const missing = values.filter((x) => Number.isNaN(x)).length / rows;
    assert.ok(Math.abs(missing - 0.4) < 0.02, `missing share ${missing}`);
    const present = values.filter((x) => !Number.isNaN(x));
    assert.ok(present.every((x) => x >= 50 && x <= 100), 'present values lie where the release has mass');
    const top = present.filter((x) => x >= 75).length / present.length;
    assert.ok(Math.abs(top - 5 / 6) < 0.03, `share in the top bin ${top}`);
  } finally {
    model.dispose();
  }
});

test('the training columns as calibration targets: bins of at least ten rows, inner edges between values', async () => {
  const random = new Random(12);
  const lines = ['dose,ward'];
  // dose: 40 % exactly 5 (a point mass), the rest spread; ward: three categories, some missing.
  for (let i = 0; i < 1003; i++) lines.push(`${random.next() < 0.4 ? 5 : (1 + random.next() * 20).toFixed(3)},${random.next() < 0.05 ? '' : ['A', 'B', 'C'][random.int(3)]}`);
  const file = tempFile('dose.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const [dose, ward] = trainingHistograms(schema, table);
  assert.equal(dose?.type, 'numeric');
  if (dose?.type === 'numeric') {
    assert.equal(dose.counts.length, 100, 'at most one bin per ten rows');
    assert.ok(dose.counts.every((c) => c >= 10));
    assert.equal(dose.counts.reduce((a, b) => a + b, 0), 1003);
    const values = new Set(Array.from((table.columns[0] as { values: Float64Array }).values));
    const inner = dose.edges.slice(1, -1).filter((e) => e !== 5);
    assert.ok(inner.every((e) => !values.has(e)), 'inner edges fall between values (except at the point mass)');
    // The point mass comes back as one: about 40 % of the quantiles are exactly 5.
    const q = histogramQuantiles(dose, 512)!;
    const atFive = q.filter((x) => x === 5).length / q.length;
    assert.ok(Math.abs(atFive - 0.4) < 0.05, `share at 5: ${atFive}`);
  }
  assert.equal(ward?.type, 'categorical');
  if (ward?.type === 'categorical') {
    assert.deepEqual(ward.levels, (table.columns[1] as { levels: string[] }).levels);
    assert.equal(ward.counts.reduce((a, b) => a + b, 0) + ward.missing, 1003);
    assert.ok(ward.missing > 20);
  }
});
