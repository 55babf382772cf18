import type { Random, SecureRandom } from '../random';
import { discreteGaussianNoise } from './discrete-gaussian';
import type { ColumnData, Table } from '../table';
import type { BoundedUnits, UnitRows } from '../release/types';

export type { BoundedUnits, UnitRows };

/**
 * Person-level privacy (the privacy unit): the guarantee covers adding or removing one person with
 * all of their rows. Three steps, before anything else is learned:
 *
 * 1. A noisy histogram of rows per person over a fixed grid (UNIT_SIZE_GRID, public): each person
 *    adds 1 to one bin, so its L2 sensitivity is 1 under adding or removing a person. It gives the
 *    number of people (for DP-SGD's expected batch) and, when the user declared no bound, the
 *    bound k (chooseMaxRowsPerUnit), both as post-processing.
 * 2. Contribution bounding: each person keeps at most k rows, chosen uniformly at random with coins
 *    from the secure stream, drawn per person. Without a person, everyone else's kept rows are
 *    distributed exactly as with them, so the bounded table of neighbouring files differs by one
 *    person's at most k rows.
 * 3. Downstream, a histogram of the bounded rows has L2 sensitivity k (all of a person's rows in
 *    one bin): preprocessing scales its noise by k; DP-SGD samples people and clips each person's
 *    summed gradient.
 */

/** Group rows by unit code (0 .. units - 1) in O(rows): a counting sort. */
export function groupByUnit(units: Int32Array): UnitRows {
  let count = 0;
  for (const u of units) if (u + 1 > count) count = u + 1;
  const offsets = new Int32Array(count + 1);
  for (const u of units) offsets[u + 1]++;
  for (let u = 0; u < count; u++) offsets[u + 1] += offsets[u];
  const next = offsets.slice(0, count);
  const rows = new Int32Array(units.length);
  for (let r = 0; r < units.length; r++) rows[next[units[r]]++] = r;
  return { count, offsets, rows };
}

/** Lower edges of the rows-per-person bins: about two per octave from 1 to 2^24 rows. */
export const UNIT_SIZE_GRID: readonly number[] = (() => {
  const grid = [1, 2, 3];
  for (let p = 2; p < 24; p++) grid.push(2 ** p, 3 * 2 ** (p - 1));
  return grid;
})();

/** The grid bin of a person with `size` rows (the last bin is open-ended). */
export function unitSizeBin(size: number): number {
  let lo = 0;
  let hi = UNIT_SIZE_GRID.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (UNIT_SIZE_GRID[mid] <= size) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The histogram of rows per person over the grid, exactly (before noise). */
export function unitSizeCounts(groups: UnitRows): Float64Array {
  const counts = new Float64Array(UNIT_SIZE_GRID.length);
  for (let u = 0; u < groups.count; u++) {
    const size = groups.offsets[u + 1] - groups.offsets[u];
    if (size > 0) counts[unitSizeBin(size)]++;
  }
  return counts;
}

/**
 * Typical number of occupied bins of a released histogram: the noise of every bin adds to a
 * histogram's error, about sqrt(2/pi) sigma each in L1 (see chooseMaxRowsPerUnit).
 */
const TYPICAL_BINS = 16;

/**
 * The bound k, by post-processing the noisy number of people and the noisy rows-per-person
 * histogram. A histogram's expected L1 error is the rows the bound drops plus its noise, which
 * grows with k (Amin, Kulesza, Muñoz Medina and Vassilvitskii, ICML 2019):
 * dropped(k) + k·sigma1·TYPICAL_BINS·sqrt(2/pi), sigma1 the noise of one release at sensitivity 1.
 * Raising k by one keeps one more row of each person who holds more than k, so it pays while at
 * least sigma1·TYPICAL_BINS·sqrt(2/pi) people do. k is the last grid value, scanning up, at which
 * that still holds; people holding at least g rows are estimated as the noisy total minus the
 * bins below g, so the estimate carries the noise of the few bins below g, not of the many empty
 * ones far above.
 */
export function chooseMaxRowsPerUnit(noisyCounts: readonly number[], noisyTotal: number, sigma1: number): number {
  const needed = sigma1 * TYPICAL_BINS * Math.sqrt(2 / Math.PI);
  let k = 1;
  let below = 0;
  for (let b = 1; b < UNIT_SIZE_GRID.length; b++) {
    below += noisyCounts[b - 1];
    if (noisyTotal - below < needed) break;
    k = UNIT_SIZE_GRID[b];
  }
  return k;
}

/**
 * Rows of the file estimated from the released rows-per-person histogram (post-processing): each
 * person in a bin taken at the bin's geometric middle, bin by bin upwards while the noisy number
 * of people holding at least that many rows (total minus the bins below) stands clearly above its
 * noise. Beyond, the bins hold noise only; one of them far out (a million rows per person) would
 * otherwise make the estimate absurd.
 */
export function estimatedRows(noisyCounts: readonly number[], noisyTotal: number, sigma: number): number {
  let rows = 0;
  let below = 0;
  for (let b = 0; b < noisyCounts.length; b++) {
    if (noisyTotal - below < ESTIMATE_SIGMAS * sigma * Math.sqrt(b + 2)) break;
    const typical = b + 1 < UNIT_SIZE_GRID.length ? Math.sqrt(UNIT_SIZE_GRID[b] * (UNIT_SIZE_GRID[b + 1] - 1)) : UNIT_SIZE_GRID[b];
    rows += Math.max(0, noisyCounts[b]) * typical;
    below += noisyCounts[b];
  }
  return rows;
}

/** Noise standard deviations above which a noisy count of people counts as people. */
const ESTIMATE_SIGMAS = 2;

/**
 * Rows kept (in file order) when each unit keeps at most k of its rows, chosen uniformly by a
 * partial Fisher-Yates shuffle of its rows with `random` (which must be secure for the guarantee).
 * O(rows) time and memory, whatever one person holds.
 */
export function boundContributions(groups: UnitRows, k: number, random: Pick<Random, 'int'>): Int32Array {
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`the maximum of rows per unit must be a whole number of at least 1 (got ${k})`);
  const keep = new Uint8Array(groups.rows.length);
  let kept = 0;
  const scratch = new Int32Array(groups.rows.length);
  for (let u = 0; u < groups.count; u++) {
    const from = groups.offsets[u];
    const size = groups.offsets[u + 1] - from;
    if (size <= k) {
      for (let i = from; i < from + size; i++) keep[groups.rows[i]] = 1;
      kept += size;
      continue;
    }
    scratch.set(groups.rows.subarray(from, from + size), 0);
    for (let i = 0; i < k; i++) {
      const j = i + random.int(size - i);
      const chosen = scratch[j];
      scratch[j] = scratch[i];
      scratch[i] = chosen;
      keep[chosen] = 1;
    }
    kept += k;
  }
  const rows = new Int32Array(kept);
  let n = 0;
  for (let r = 0; r < keep.length; r++) if (keep[r]) rows[n++] = r;
  return rows;
}

/** The rows `rows` (increasing) of a table, with their unit codes. */
export function subsetTable(table: Table, rows: Int32Array): Table {
  const columns = table.columns.map((c): ColumnData => {
    if (c.type === 'numeric') return { type: 'numeric', values: Float64Array.from(rows, (r) => c.values[r]) };
    if (c.type === 'categorical') return { type: 'categorical', codes: Int32Array.from(rows, (r) => c.codes[r]), levels: c.levels };
    return c;
  });
  return {
    rowCount: rows.length,
    columns,
    rowIndex: Int32Array.from(rows, (r) => table.rowIndex[r]),
    ...(table.units ? { units: Int32Array.from(rows, (r) => table.units![r]) } : {}),
  };
}

/**
 * Steps 1 and 2 above: release the number of units and the rows-per-unit histogram, each with half
 * of the zCDP budget `rho` (Gaussian noise from `random`, which must be secure), choose k unless
 * declared, and bound the table. The count is released on its own: the sum of the histogram's
 * bins would carry the noise of every bin. `sigma1` is the noise of one later release at
 * sensitivity 1 (for the choice of k).
 */
export function bindUnits(
  table: Table,
  options: { column: string; rho: number; maxRowsPerUnit?: number; random: SecureRandom; sigma1: number },
): BoundedUnits {
  if (!table.units) throw new Error(`privacy unit ${options.column}: the table was loaded without its unit column`);
  const all = groupByUnit(table.units);
  const sigma = Math.sqrt(1 / options.rho);
  // Counts get the discrete Gaussian, as every count of preprocessing.
  const noise = discreteGaussianNoise(options.random, sigma);
  const noisy = Array.from(unitSizeCounts(all), (c) => c + noise());
  let units = 0;
  for (let u = 0; u < all.count; u++) if (all.offsets[u + 1] > all.offsets[u]) units++;
  const noisyUnits = units + noise();
  const k = options.maxRowsPerUnit ?? chooseMaxRowsPerUnit(noisy, noisyUnits, options.sigma1);
  const bounded = subsetTable(table, boundContributions(all, k, options.random));
  return {
    table: bounded,
    groups: groupByUnit(bounded.units!),
    maxRowsPerUnit: k,
    chosen: options.maxRowsPerUnit === undefined ? 'private' : 'declared',
    noisyUnits: Math.max(1, Math.round(noisyUnits)),
    estimatedRows: Math.max(1, Math.round(estimatedRows(noisy, noisyUnits, sigma))),
    noisySizes: noisy,
    releases: [
      { column: options.column, what: `number of distinct ${options.column} values (people)`, rho: options.rho / 2, sigma },
      {
        column: options.column,
        what: `histogram of rows per ${options.column} over a fixed grid (each person counted once)${options.maxRowsPerUnit === undefined ? '; sets the bound on rows per person' : ''}`,
        rho: options.rho / 2,
        sigma,
      },
    ],
    rho: options.rho,
  };
}
