import type { Random } from '../random';

/**
 * Raking (iterative proportional fitting) of row weights to target marginals, and systematic
 * resampling by the weights: shared by the DP tVAE's raking to measured pairs
 * (calibrate/marginals-rake.ts) and the pgm model beyond a tree (pgm/rounds.ts).
 */

/** Most raking sweeps, and the largest total-variation gap to a target that ends them early. */
export const MAX_SWEEPS = 60;
export const TOLERANCE = 1e-4;

/** One target marginal: each pool row's cell, and the target probability of each cell. */
export interface RakingMargin {
  cells: Int32Array;
  target: ArrayLike<number>;
}

export interface RakingResult {
  weights: Float64Array;
  sweeps: number;
  /** Largest total-variation distance between a weighted marginal and its target at the end. */
  gap: number;
}

/**
 * Iterative proportional fitting of row weights (start: uniform) to target marginals. A cell the
 * pool never reaches cannot be matched: it is left out and the others share its mass.
 */
export function rake(rows: number, margins: readonly RakingMargin[], sweeps = MAX_SWEEPS, tolerance = TOLERANCE): RakingResult {
  const weights = new Float64Array(rows).fill(1 / Math.max(rows, 1));
  let gap = Infinity;
  let done = 0;
  const sums = margins.map((m) => new Float64Array(m.target.length));
  const targets = margins.map((m) => {
    const t = Float64Array.from(m.target, (x) => Math.max(x, 0));
    const s = t.reduce((a, b) => a + b, 0);
    return s > 0 ? t.map((x) => x / s) : t;
  });
  const measure = (k: number): number => {
    const { cells } = margins[k];
    const sum = sums[k].fill(0);
    let total = 0;
    for (let r = 0; r < rows; r++) sum[cells[r]] += weights[r];
    for (let j = 0; j < sum.length; j++) total += sum[j];
    // Only the cells the pool reaches can be matched: the target is renormalised over them.
    let reachable = 0;
    for (let j = 0; j < sum.length; j++) if (sum[j] > 0) reachable += targets[k][j];
    let tv = 0;
    for (let j = 0; j < sum.length; j++) {
      const want = sum[j] > 0 && reachable > 0 ? targets[k][j] / reachable : 0;
      const have = total > 0 ? sum[j] / total : 0;
      tv += Math.abs(want - have);
      sum[j] = sum[j] > 0 && reachable > 0 ? want / (sum[j] / total) : 1;
    }
    return tv / 2;
  };
  while (done < sweeps) {
    gap = 0;
    for (let k = 0; k < margins.length; k++) {
      gap = Math.max(gap, measure(k));
      const factor = sums[k];
      const { cells } = margins[k];
      for (let r = 0; r < rows; r++) weights[r] *= factor[cells[r]];
    }
    done++;
    if (gap <= tolerance) break;
  }
  gap = margins.reduce((g, _, k) => Math.max(g, measure(k)), 0);
  return { weights, sweeps: done, gap };
}

/**
 * `count` indices drawn by systematic resampling (one uniform, evenly spaced points on the
 * cumulative weights): each row appears within one of its expected number of times, which has far
 * less variance than independent draws. Returned in random order.
 */
export function resample(weights: Float64Array, count: number, random: Random): Int32Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const out = new Int32Array(count);
  if (!(total > 0) || count === 0) {
    for (let i = 0; i < count; i++) out[i] = random.int(weights.length);
    return out;
  }
  const step = total / count;
  let point = random.next() * step;
  let cumulative = 0;
  let r = 0;
  for (let i = 0; i < count; i++) {
    while (r < weights.length - 1 && cumulative + weights[r] <= point) cumulative += weights[r++];
    out[i] = r;
    point += step;
  }
  for (let i = count - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

