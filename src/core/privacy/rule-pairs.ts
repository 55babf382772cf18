/**
 * Joint histograms of pairs of discrete columns, released through the ledger after the column
 * histograms: the first stage of confirmDeterminesPrivately (rule-confirmation.ts), which reads
 * candidate rules off them and counts the rows breaking each.
 *
 * Which pairs: from the released histograms alone (public by then), among the first
 * RULE_PAIR_LIMITS.columns modelled columns whose release is categorical (at most
 * RULE_PAIR_LIMITS.slots levels) or holds at most RULE_PAIR_LIMITS.wholeNumbers whole numbers, with
 * two values or more shown. A rule can be read off a pair only where unrelated columns would
 * break it in twice the MEASURED_RULE_Z deviations a count may hold (rules/from-measurements.ts):
 * for some value of one column, its released rows times the share of the other column outside
 * its commonest value, over √(the other's values − 1), at least 2 z σ. Every pair costs noise on
 * all of them (K tables at ρ/K each cost ρ together: σ grows with √K), so the pairs are taken
 * most readable first, as many as stay readable at the σ their number sets, at most
 * RULE_PAIR_LIMITS.pairs. On rhc the first 16 discrete columns' 120 pairs gave σ 135 and no rule;
 * now 64 pairs of 17 columns at σ 98, where `death` "No" → `dth30` "No" shows. k times the noise
 * with k rows per person. Cells are the released slots, the empty ones joined to the
 * fullest (as pgm's domains do).
 */
import type { SecureRandom } from '../random';
import { discreteGaussianNoise } from './discrete-gaussian';
import { slotWeights, type ColumnHistogram, type MeasuredPair, type ReleaseEntry } from '../release/types';
import type { ColumnSchema, Schema } from '../schema/types';
import { isModelled, type Table } from '../table';
import { slotsOf } from './preprocess';
import { MEASURED_RULE_Z } from '../rules/from-measurements';

/** The ledger's column label of these releases. */
export const RULE_PAIRS_RELEASE_COLUMN = '(rule pairs)';

export const RULE_PAIR_LIMITS = {
  /** Discrete columns considered at most (their pairs are scored from the release, no row read). */
  columns: 64,
  /** Pairs measured at most: the noise of a cell grows at most √120 ≈ 11-fold. */
  pairs: 120,
  /** Most slots (levels and missing) of a categorical column. */
  slots: 64,
  /** Most whole numbers a column's release shows held (a level's code, a count of conditions). */
  wholeNumbers: 16,
} as const;

export interface RulePairs {
  pairs: MeasuredPair[];
  /** The discrete columns paired. */
  columns: string[];
  release: ReleaseEntry;
  sigma: number;
}

/**
 * Values a whole number's release may show from noise alone: one empty bin's count passed the
 * cleaning beside education_num's 16 values in about 1 run in 15. Grouped by their commonest
 * values whenever more than 16 showed, such a code would lose its rarer levels (each under a
 * sixteenth of the rows) to the rest's cell, and their rule with them.
 */
const SPURIOUS_VALUES = 2;

/** A column's cells in its rule pairs. */
interface PairCells {
  cellOfSlot: number[];
  cells: number;
  /** The cell grouping the rest of a whole number's values beside its commonest (-1: none). */
  rest: number;
  /** Released rows per cell. */
  weights: number[];
  /** The cell of the missing slot when the release shows it holding rows (-1: none). */
  missing: number;
}

/**
 * A column's cells in the rule pairs, or undefined when its release cannot take part in a
 * determines rule read off a pair. Each slot its own cell, the slots the release shows empty joined
 * to the fullest (they are never drawn). With `byCommonest` (a generator that draws the pairs
 * behind its rules: marginals), a whole number of more values (rhc's `t3d30`, days to death within
 * 30 days: 30 for the 67 % alive): when its release shows more than wholeNumbers values (and
 * SPURIOUS_VALUES: a code of 16 values with one count of noise beside them keeps its cells), each
 * value clear of the noise holding at least 1 / wholeNumbers of its rows has a cell of its own and
 * the rest share one. Decided by the count of values clear of the noise alone, t3d30 (14-18 of its
 * 29) was paired in some runs and not in others, and when paired, the noise of its 20-odd cells
 * hid the rule, and its pairs with unrelated columns took the second look. pgm reads that
 * column's rules off its own model: paired too, rhc broke them more often.
 */
export function pairCells(h: ColumnHistogram | undefined, byCommonest = false): PairCells | undefined {
  if (!h) return undefined;
  const weights = slotWeights(h);
  if (weights.filter((w) => w > 0).length < 2) return undefined;
  const own = new Set(weights.keys());
  if (h.type === 'categorical') {
    if (h.levels.length + 1 > RULE_PAIR_LIMITS.slots) return undefined;
  } else {
    if (!h.integerBins) return undefined;
    // The bounds may span more whole numbers than the release shows held (education_num's 1-16 within
    // [1, 32)), and a count that may be noise is no value held: a count of 22 at σ 6 (3.6 σ) in an
    // empty bin beside education_num's 16 left the pair unmeasured, and with it the rule (about 1
    // run in 15 at ε 3). Counted are those clear of twice the deviations that read a count as none.
    const clear = h.counts.map((count, slot) => ({ count, slot })).filter((v) => v.count > 2 * MEASURED_RULE_Z * (h.sigma ?? 0));
    const shown = h.counts.filter((c) => c > 0).length;
    if (byCommonest && shown > RULE_PAIR_LIMITS.wholeNumbers + SPURIOUS_VALUES) {
      if (h.counts.length > RULE_PAIR_LIMITS.slots) return undefined;
      const total = h.counts.reduce((sum, c) => sum + Math.max(0, c), 0);
      const kept = new Set(clear.filter((v) => v.count >= total / RULE_PAIR_LIMITS.wholeNumbers).map((v) => v.slot));
      for (let slot = 0; slot < h.counts.length; slot++) if (!kept.has(slot)) own.delete(slot);
    } else if (clear.length > RULE_PAIR_LIMITS.wholeNumbers) return undefined;
  }
  const cellOfSlot = new Array<number>(weights.length).fill(-1);
  let cells = 0;
  for (let slot = 0; slot < weights.length; slot++) if (own.has(slot) && weights[slot] > 0) cellOfSlot[slot] = cells++;
  let rest = -1;
  for (let slot = 0; slot < weights.length; slot++) {
    if (own.has(slot) || !(weights[slot] > 0)) continue;
    if (rest < 0) rest = cells++;
    cellOfSlot[slot] = rest;
  }
  const fullest = cellOfSlot[weights.indexOf(Math.max(...weights))];
  const joined = cellOfSlot.map((c) => (c < 0 ? fullest : c));
  const cellWeights = new Array<number>(cells).fill(0);
  weights.forEach((w, slot) => (cellWeights[joined[slot]] += Math.max(0, w)));
  // When the release shows the missing slot empty, it sits in the fullest cell.
  const missing = weights[weights.length - 1] > 0 ? joined[weights.length - 1] : -1;
  return { cellOfSlot: joined, cells, rest, weights: cellWeights, missing };
}

/**
 * For a rule from a value of `from` to `to`, the most rows chance would put outside it (a value's
 * released rows times `to`'s share outside its commonest value), over √(to's values − 1): the
 * factor by which the noise of that count exceeds a cell's. Only values that could all go with
 * one value of `to` count: no more released rows than `to`'s commonest value holds, give or take
 * three deviations of the two counts' noise (a flag's 99 % "No" cannot fix a column that is 60 %
 * one value). From the released histograms alone.
 */
function readability(from: { h: ColumnHistogram; cells: PairCells }, to: { h: ColumnHistogram; cells: PairCells }): number {
  // The missing slot fixes nothing.
  const fromWeights = from.cells.weights.filter((_, cell) => cell !== from.cells.missing);
  const toWeights = to.cells.weights;
  const shown = toWeights.filter((w) => w > 0).length;
  const total = toWeights.reduce((a, b) => a + b, 0);
  if (shown < 2 || !(total > 0)) return 0;
  const commonest = Math.max(...toWeights);
  const room = commonest + 3 * Math.hypot(from.h.sigma ?? 0, to.h.sigma ?? 0);
  const outside = 1 - commonest / total;
  const largest = Math.max(0, ...fromWeights.filter((w) => w <= room));
  return (largest * outside) / Math.sqrt(shown - 1);
}

/**
 * The pairs' joint histograms, released with the Gaussian mechanism (discrete, from the secure
 * stream); undefined, with nothing spent, when no pair could show a rule at the noise it would
 * take (fewer than two discrete columns, or too few rows).
 */
export interface RulePairsOptions {
  rho: number;
  random: SecureRandom;
  /** Columns the rule layer leaves as drawn (it rewrites the others). */
  eligible: (column: ColumnSchema) => boolean;
  /** The label the release gives categories it left out. */
  otherLabel: string;
  /** Pair whole numbers of many values by their commonest values too (pairCells). */
  wholeNumbersByCommonest?: boolean;
  maxRowsPerUnit?: number;
}

export function measureRulePairs(schema: Schema, table: Table, histograms: readonly (ColumnHistogram | undefined)[], options: RulePairsOptions): RulePairs | undefined {
  const discreteColumns = schema.columns
    .flatMap((column, index) => {
      const h = histograms[index];
      const cells = isModelled(column) && options.eligible(column) ? pairCells(h, options.wholeNumbersByCommonest) : undefined;
      return cells ? [{ column, index, h: h!, cells }] : [];
    })
    .slice(0, RULE_PAIR_LIMITS.columns);
  if (discreteColumns.length < 2 || options.rho <= 0) return undefined;
  const k = options.maxRowsPerUnit ?? 1;
  const sigmaFor = (pairs: number): number => k * Math.sqrt(pairs / (2 * options.rho));
  // Each pair's readability: the rows chance would put outside a rule, in units of the noise of
  // the count that tells them (σ √(values − 1)), for its best value and direction.
  const scored: { x: number; y: number; score: number }[] = [];
  for (let x = 0; x < discreteColumns.length; x++) {
    for (let y = x + 1; y < discreteColumns.length; y++) {
      const score = Math.max(readability(discreteColumns[x], discreteColumns[y]), readability(discreteColumns[y], discreteColumns[x]));
      if (score > 0) scored.push({ x, y, score });
    }
  }
  scored.sort((p, q) => q.score - p.score);
  let count = 0;
  for (let n = 1; n <= Math.min(scored.length, RULE_PAIR_LIMITS.pairs); n++) if (scored[n - 1].score >= 2 * MEASURED_RULE_Z * sigmaFor(n)) count = n;
  if (count === 0) return undefined;
  const chosen = scored.slice(0, count);
  const sigma = sigmaFor(count);
  const noise = discreteGaussianNoise(options.random, sigma);
  const used = [...new Set(chosen.flatMap((p) => [p.x, p.y]))].sort((a, b) => a - b);
  const slots = new Map(used.map((i) => [i, slotsOf(discreteColumns[i].h, table.columns[discreteColumns[i].index], options.otherLabel)]));
  const cells = new Map(used.map((i) => [i, discreteColumns[i].cells]));
  const pairs: MeasuredPair[] = [];
  // In the schema's order, whatever the order chosen.
  for (const { x, y } of [...chosen].sort((p, q) => p.x - q.x || p.y - q.y)) {
    const [a, b] = [cells.get(x)!, cells.get(y)!];
    const counts = noisyCounts(table.rowCount, [slots.get(x)!, slots.get(y)!], [a.cellOfSlot, b.cellOfSlot], b.cells, noise);
    pairs.push({
      columns: [discreteColumns[x].index, discreteColumns[y].index],
      cellOfSlot: [a.cellOfSlot, b.cellOfSlot],
      histograms: [discreteColumns[x].h, discreteColumns[y].h],
      counts,
      sigma,
      ...(a.rest >= 0 || b.rest >= 0 ? { restCells: [a.rest, b.rest] as [number, number] } : {}),
    });
  }
  const names = used.map((i) => discreteColumns[i].column.name);
  const release: ReleaseEntry = {
    column: RULE_PAIRS_RELEASE_COLUMN,
    what: `joint histograms of ${count} pair${count === 1 ? '' : 's'} of discrete columns (${names.join(', ')}: the pairs the released histograms show could reveal a rule at this noise), each cell a noisy count of rows, to read candidate rules off`,
    rho: options.rho,
    sigma,
  };
  return { pairs, columns: names, release, sigma };
}

/** A pair's joint counts of cells over the rows, each with noise added. */
function noisyCounts(rows: number, slots: [Int32Array, Int32Array], cellOfSlot: [number[], number[]], cellsB: number, noise: () => number): number[] {
  const counts = new Array<number>((Math.max(...cellOfSlot[0]) + 1) * cellsB).fill(0);
  for (let r = 0; r < rows; r++) counts[cellOfSlot[0][slots[0][r]] * cellsB + cellOfSlot[1][slots[1][r]]]++;
  for (let i = 0; i < counts.length; i++) counts[i] += noise();
  return counts;
}

/**
 * A second look at some measured pairs: each measured again at ρ/N (N pairs), and the two
 * measurements of a pair averaged, each weighted by the inverse of its noise's variance (the
 * least-variance unbiased combination). Returns the pairs combined, and the ledger's entry.
 */
export function remeasurePairs(
  table: Table,
  pairs: readonly MeasuredPair[],
  options: Pick<RulePairsOptions, 'rho' | 'random' | 'otherLabel' | 'maxRowsPerUnit'>,
  names: (pair: MeasuredPair) => string,
): { pairs: MeasuredPair[]; release: ReleaseEntry; sigma: number } {
  const sigma = (options.maxRowsPerUnit ?? 1) * Math.sqrt(pairs.length / (2 * options.rho));
  const noise = discreteGaussianNoise(options.random, sigma);
  const combined = pairs.map((pair): MeasuredPair => {
    const slots = pair.columns.map((column, side) => slotsOf(pair.histograms[side], table.columns[column], options.otherLabel)) as [Int32Array, Int32Array];
    const again = noisyCounts(table.rowCount, slots, pair.cellOfSlot, Math.max(...pair.cellOfSlot[1]) + 1, noise);
    const [first, second] = [1 / pair.sigma ** 2, 1 / sigma ** 2];
    return { ...pair, counts: pair.counts.map((c, i) => (c * first + again[i] * second) / (first + second)), sigma: 1 / Math.sqrt(first + second) };
  });
  const release: ReleaseEntry = {
    column: RULE_PAIRS_RELEASE_COLUMN,
    what: `joint histograms of ${pairs.length} of those pair${pairs.length === 1 ? '' : 's'} again (${pairs.map(names).join('; ')}: their first counts showed values held by one value of the other column, too few to tell from chance), each cell a noisy count of rows`,
    rho: options.rho,
    sigma,
  };
  return { pairs: combined, release, sigma };
}
