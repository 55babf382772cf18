import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/core/random';
import { seededSecure } from '../helpers/random';
import { gridBin, gridEdges, gridRange, gridThreshold, privateStatistics, type NumericHistogram } from '../../src/core/privacy/preprocess';
import { inferSchema } from '../../src/core/schema/infer';
import { loadTable } from '../../src/core/table';
import { tempFile } from '../helpers/files';

/** Noisy grid counts of ages 17 to 90 (2,000 rows), every empty bin under the occupancy threshold. */
function ageGrid(sigma: number, seed: number): number[] {
  const random = new Random(seed);
  const counts = new Array<number>(gridBin(Number.MAX_VALUE) + 1).fill(0);
  for (let i = 0; i < 2000; i++) counts[gridBin(17 + random.int(74))]++;
  const threshold = gridThreshold(sigma);
  return counts.map((c) => {
    const gaussian = Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
    return c ? c + sigma * gaussian : Math.min(threshold * 0.9, sigma * gaussian);
  });
}

test('a lone noise octave far from the bulk does not stretch the bounds grid', () => {
  const sigma = 12.5;
  for (const far of [-3.8e15, 1e16, 2 ** 200, 700]) {
    const grid = ageGrid(sigma, 3);
    // The false occupied octave: above the grid's threshold, as noise alone makes one about once in
    // a thousand columns (age's lower bound -3.8e15, education_num values near 1e16 in a DP run),
    // by a quarter of a noise deviation (noise past the threshold exceeds it by about that much).
    grid[gridBin(far)] = gridThreshold(sigma) + 0.25 * sigma;
    const [lo, hi] = gridRange(grid, sigma);
    assert.deepEqual([gridEdges(lo)[0], gridEdges(hi)[1]], [16, 128], `with a false octave at ${far}`);
  }
  // A real group apart from the bulk (a sentinel -999 held by 300 rows) is kept.
  const grid = ageGrid(sigma, 4);
  grid[gridBin(-999)] = 300;
  const [lo, hi] = gridRange(grid, sigma);
  assert.deepEqual([gridEdges(lo)[0], gridEdges(hi)[1]], [-1024, 128]);
});

test('a zero-heavy column keeps its non-zero values when each of their octaves is thin', async () => {
  // 90 % zeros; 200 non-zero values spread evenly over the octaves of 114 .. 99,999 (about 20
  // each, far under the grid's threshold), as adult's capital_gain on its first 2,000 rows.
  const random = new Random(11);
  const lines = ['gain'];
  const real: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const value = i % 10 === 0 ? Math.round(114 * (99999 / 114) ** random.next()) : 0;
    real.push(value);
    lines.push(String(value));
  }
  const file = tempFile('zero-heavy.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const realMax = Math.max(...real);
  for (const seed of [1, 2, 3]) {
    const stats = privateStatistics(schema, table, { rho: 0.031, thresholdDelta: 1e-7, random: seededSecure(seed), needsCounts: true, fineDetail: true });
    const gain = stats.histograms[0] as NumericHistogram;
    const sigma = stats.releases[0].sigma!;
    assert.ok(sigma > 7.5 && 200 / 10 < gridThreshold(sigma), `each octave is under the threshold (sigma ${sigma})`);
    // Non-zero values are kept, within the real range (to its power of two), not written as 1.
    const nonZero = gain.counts.reduce((a, c, i) => a + (c > 0 && gain.edges[i + 1] > 2 ? c : 0), 0);
    assert.ok(nonZero > 40, `seed ${seed}: released non-zero mass ${nonZero.toFixed(0)} over [${gain.min}, ${gain.max}]`);
    let last = gain.counts.length - 1;
    while (last > 0 && !(gain.counts[last] > 0)) last--;
    const top = gain.edges[last + 1];
    assert.ok(top >= 2048 && top <= 4 * 131072, `seed ${seed}: values up to ${top} within [${gain.min}, ${gain.max}], real ones up to ${realMax}`);
    assert.ok(gain.min >= 0, `seed ${seed}: bounds [${gain.min}, ${gain.max}]`);
  }
});
