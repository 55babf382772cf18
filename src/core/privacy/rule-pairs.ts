/**
 * Joint histograms of pairs of discrete columns, released through the ledger after the column
 * histograms: the first stage of confirmDeterminesPrivately (rule-confirmation.ts), which reads
 * candidate rules off them and counts the rows breaking each.
 *
 * Candidates come from the released histograms alone (public by then): the first
 * RULE_PAIR_LIMITS.columns modelled columns whose release is categorical (at most
 * RULE_PAIR_LIMITS.slots levels) or whole numbers, at most RULE_PAIR_LIMITS.wholeNumbers of them held,
 * with two values or more shown; every pair of them. A row falls in one cell of each pair's
 * table, so K tables at ρ/K each cost ρ together (k times the noise with k rows per person). Cells
 * are the released slots, the empty ones joined to the fullest (as pgm's domains do).
 */
import type { SecureRandom } from '../random';
import { discreteGaussianNoise } from './discrete-gaussian';
import { slotWeights, type ColumnHistogram, type MeasuredPair, type ReleaseEntry } from '../release/types';
import type { ColumnSchema, Schema } from '../schema/types';
import { isModelled, type Table } from '../table';
import { slotsOf } from './preprocess';

/** The ledger's column label of these releases. */
export const RULE_PAIRS_RELEASE_COLUMN = '(rule pairs)';

export const RULE_PAIR_LIMITS = {
  /** Columns paired at most: K ≤ 120 pairs, so the noise of a cell grows at most √120 ≈ 11-fold. */
  columns: 16,
  /** Most slots (levels and missing) of a categorical column. */
  slots: 64,
  /** Most whole numbers a column's release shows held (a level's code, a count of conditions). */
  wholeNumbers: 16,
  /**
   * Released rows needed, in noise deviations of a cell: a rule is read only when unrelated columns
   * would break it in twice the 3 σ a count may hold (from-measurements.ts), so a file with fewer
   * rows than this cannot show one and nothing is spent.
   */
  rowsInSigmas: 12,
} as const;

export interface RulePairs {
  pairs: MeasuredPair[];
  /** The discrete columns paired. */
  columns: string[];
  release: ReleaseEntry;
  sigma: number;
}

/** A column whose released histogram can take part in a determines rule read off a pair. */
function discrete(h: ColumnHistogram | undefined): h is ColumnHistogram {
  if (!h) return false;
  const shown = slotWeights(h).filter((w) => w > 0).length;
  if (shown < 2) return false;
  if (h.type === 'categorical') return h.levels.length + 1 <= RULE_PAIR_LIMITS.slots;
  // The bounds may span more whole numbers than the release shows held (education_num's 1-16 within [1, 32)).
  return h.integerBins && h.counts.filter((c) => c > 0).length <= RULE_PAIR_LIMITS.wholeNumbers;
}

/** Each slot its own cell, the slots the release shows empty joined to the fullest (they are never drawn). */
function cellsOf(h: ColumnHistogram): { cellOfSlot: number[]; cells: number } {
  const weights = slotWeights(h);
  const cellOfSlot = new Array<number>(weights.length).fill(-1);
  let cells = 0;
  for (let slot = 0; slot < weights.length; slot++) if (weights[slot] > 0) cellOfSlot[slot] = cells++;
  const fullest = cellOfSlot[weights.indexOf(Math.max(...weights))];
  return { cellOfSlot: cellOfSlot.map((c) => (c < 0 ? fullest : c)), cells };
}

/**
 * The pairs' joint histograms, released with the Gaussian mechanism (discrete, from the secure
 * stream); undefined, with nothing spent, when fewer than two columns qualify or the file is too
 * small for any rule to show.
 */
export function measureRulePairs(
  schema: Schema,
  table: Table,
  histograms: readonly (ColumnHistogram | undefined)[],
  options: {
    rho: number;
    random: SecureRandom;
    /** Columns the rule layer leaves as drawn (it rewrites the others). */
    eligible: (column: ColumnSchema) => boolean;
    /** The released (noisy) row count. */
    rows: number;
    /** The label the release gives categories it left out. */
    otherLabel: string;
    maxRowsPerUnit?: number;
  },
): RulePairs | undefined {
  const columns = schema.columns
    .map((column, index) => ({ column, index, h: histograms[index] }))
    .filter(({ column, h }) => isModelled(column) && options.eligible(column) && discrete(h))
    .slice(0, RULE_PAIR_LIMITS.columns);
  const count = (columns.length * (columns.length - 1)) / 2;
  if (count === 0 || options.rho <= 0) return undefined;
  const sigma = (options.maxRowsPerUnit ?? 1) * Math.sqrt(count / (2 * options.rho));
  if (options.rows < RULE_PAIR_LIMITS.rowsInSigmas * sigma) return undefined;
  const noise = discreteGaussianNoise(options.random, sigma);
  const slots = columns.map(({ index, h }) => slotsOf(h!, table.columns[index], options.otherLabel));
  const cells = columns.map(({ h }) => cellsOf(h!));
  const pairs: MeasuredPair[] = [];
  for (let x = 0; x < columns.length; x++) {
    for (let y = x + 1; y < columns.length; y++) {
      const [a, b] = [cells[x], cells[y]];
      const counts = new Array<number>(a.cells * b.cells).fill(0);
      const [slotsA, slotsB] = [slots[x], slots[y]];
      for (let r = 0; r < table.rowCount; r++) counts[a.cellOfSlot[slotsA[r]] * b.cells + b.cellOfSlot[slotsB[r]]]++;
      for (let i = 0; i < counts.length; i++) counts[i] += noise();
      pairs.push({ columns: [columns[x].index, columns[y].index], cellOfSlot: [a.cellOfSlot, b.cellOfSlot], histograms: [columns[x].h!, columns[y].h!], counts, sigma });
    }
  }
  const names = columns.map((c) => c.column.name);
  const release: ReleaseEntry = {
    column: RULE_PAIRS_RELEASE_COLUMN,
    what: `joint histograms of ${count} pairs of discrete columns (${names.join(', ')}), each cell a noisy count of rows, to read candidate rules off`,
    rho: options.rho,
    sigma,
  };
  return { pairs, columns: names, release, sigma };
}
