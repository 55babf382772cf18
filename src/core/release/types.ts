import type { Table } from '../table';
import type { ColumnFacts } from '../transform/transformer';

/**
 * What a private run releases, as every layer above sees it: the noisy histograms and their
 * ledger entries (privacy/preprocess.ts makes them), the person-level bounding (privacy/units.ts)
 * and the rows grouped by person. Types, and the two reads of a histogram the generators share:
 * generators (model/, pgm/, privacy/marginals.ts) and the model file depend on this module, never
 * on the code that makes the release.
 */

export interface ReleaseEntry {
  column: string;
  what: string;
  rho: number;
  /** Standard deviation of the Gaussian noise; absent for other mechanisms (exponential). */
  sigma?: number;
}

export interface NumericHistogram {
  type: 'numeric';
  /** Bin edges (length bins + 1); bin i is [edges[i], edges[i+1]). Integer bins hold one value. */
  edges: number[];
  integerBins: boolean;
  /**
   * The column holds whole numbers (integer and date kinds). When its bins are wider than one
   * value, a bin stands for the whole numbers inside it (binIntegers), never for the fractions a
   * writer would round to a value past the bin, or past the column's range.
   */
  integerValues?: boolean;
  counts: number[];
  zero: number;
  missing: number;
  min: number;
  max: number;
  /** Standard deviation of the noise in each released count (after averaging). */
  sigma?: number;
  /**
   * Point masses (pgm): exact values held by many rows (rhc's albumin 3.5 for every missing
   * test), released by a thresholded count of each distinct value. Within its bin a value is
   * drawn with its released share of the bin's count, so the spike stays a spike.
   */
  spikes?: { value: number; count: number }[];
}

/** The whole numbers [first, last] that bin k of an integer-valued histogram stands for (at least one). */
export function binIntegers(h: NumericHistogram, k: number): [number, number] {
  if (h.integerBins) return [h.edges[k], h.edges[k]];
  const lo = h.edges[k];
  const hi = h.edges[k + 1];
  const first = Math.ceil(lo);
  // Bins are [lo, hi), the last one closed.
  const last = k === h.counts.length - 1 ? Math.floor(hi) : Math.ceil(hi) - 1;
  if (first <= last) return [first, last];
  const middle = Math.round((lo + hi) / 2);
  return [middle, middle];
}

/** A value of bin k of a released histogram, for a uniform u in [0, 1). */
export function valueInBin(h: NumericHistogram, k: number, u: number): number {
  if (h.integerBins || h.integerValues) {
    const [first, last] = binIntegers(h, k);
    return first + Math.min(last - first, Math.floor(u * (last - first + 1)));
  }
  return h.edges[k] + u * (h.edges[k + 1] - h.edges[k]);
}

export interface CategoricalHistogram {
  type: 'categorical';
  levels: string[];
  counts: number[];
  missing: number;
  /** Standard deviation of the noise in each released count. */
  sigma?: number;
}

export type ColumnHistogram = NumericHistogram | CategoricalHistogram;

/** A histogram's weight per slot: value bins or levels, then (numeric) zero, then missing. */
export function slotWeights(h: ColumnHistogram): number[] {
  return h.type === 'categorical' ? [...h.counts, h.missing] : [...h.counts, h.zero, h.missing];
}

/**
 * One measured pair as released: each column's slots grouped into its cells, and the noisy counts
 * (not clipped: sums over cells stay unbiased), folded over the hub's cells when there is one.
 * Post-processing may read rules off them (rules/from-measurements.ts).
 */
export interface MeasuredPair {
  /** Schema indices. */
  columns: [number, number];
  cellOfSlot: [number[], number[]];
  /** The two columns' released histograms, whose slots the cells group. */
  histograms: [ColumnHistogram, ColumnHistogram];
  /** Row-major: cell of the first column x cell of the second. */
  counts: number[];
  /** Standard deviation of each count's noise (after folding). */
  sigma: number;
  /**
   * Per column, the cell that groups the rest of a whole number's values beside its commonest
   * (rule pairs for the marginals generator; -1 or absent: none). It is no value: it neither fixes
   * the other column nor is fixed by it.
   */
  restCells?: [number, number];
}


/**
 * A released joint histogram of two columns (the marginals generator's optional pairwise
 * structure). Each column's slots (numeric: value bins, then zero, then missing; categorical:
 * levels, then missing, as in its own histogram) are grouped into cells: a numeric column's value
 * bins into at most PAIR_VALUE_CELLS runs of neighbouring bins, so that the joint counts stay well
 * above the noise; every other slot is a cell of its own. Within a cell, values follow the
 * column's own (finer) histogram.
 */
export interface PairHistogram {
  columns: [number, number];
  /** Per column: the cell of each slot. */
  cellOfSlot: [number[], number[]];
  /** Noisy counts (clipped at 0), row-major: cell of the first column x cell of the second. */
  counts: number[];
}

export interface PrivateStatistics {
  /** Aligned with schema.columns; undefined for columns that are not modelled. */
  facts: (ColumnFacts | undefined)[];
  /** Aligned with schema.columns: free-text columns' noisy length histograms (placeholder-text.ts). */
  textLengths: (number[] | undefined)[];
  /** Noisy histograms (counts clipped at 0), for the marginals generator and the ledger. */
  histograms: (ColumnHistogram | undefined)[];
  /** Row count estimated from the histograms (post-processing, no extra budget). */
  rowCount: number;
  /** The first release: the noisy row count itself (Other levels are computed from it). */
  releasedRowCount: number;
  rho: number;
  /** Probability mass added to delta by thresholded category releases. */
  thresholdDelta: number;
  releases: ReleaseEntry[];
  /** Facts used without privacy cost because the schema declares them public. */
  publicFacts: string[];
  /** Joint histograms of the requested column pairs. */
  pairs: PairHistogram[];
  /**
   * Categorical columns whose released values are mostly "Other" (at least MOSTLY_OTHER_SHARE):
   * each of their values falls under the release threshold, so the synthetic column says little.
   * Read off released counts: post-processing.
   */
  mostlyOther: { column: string; share: number; threshold: number }[];
  /** Set when the noisy row count is under SMALL_FILE_MARGIN times the rows the budget needs (post-processing). */
  smallFile?: { rows: number; needed: number };
}

/** Rows of each unit, grouped: unit u holds rows[offsets[u] .. offsets[u + 1]). */
export interface UnitRows {
  count: number;
  offsets: Int32Array;
  rows: Int32Array;
}

export interface BoundedUnits {
  /** The table with at most k rows per unit. */
  table: Table;
  /** Its rows grouped by unit (codes as in the input table; units without rows are empty). */
  groups: UnitRows;
  maxRowsPerUnit: number;
  chosen: 'declared' | 'private';
  /** Number of units, released with noise. */
  noisyUnits: number;
  /** Rows of the input before bounding, estimated from the release (estimatedRows). */
  estimatedRows: number;
  /** The released rows-per-person histogram over UNIT_SIZE_GRID (noisy counts). */
  noisySizes: number[];
  releases: ReleaseEntry[];
  rho: number;
}

/** Whom a DP guarantee protects: each row, or each person identified by a column. */
export type PrivacyUnitStatement =
  | 'row'
  | {
      column: string;
      maxRowsPerUnit: number;
      /** How k was set, and what happened to the rows past it. */
      maxRowsChosen: string;
      extraRows: string;
      /** Number of people, released with noise (rounded). */
      noisyUnits: number;
    };

export interface PrivacyStatement {
  differentiallyPrivate: boolean;
  statement: string;
  /** The input file the guarantee is about, and the files it is compared with (its neighbours). */
  about?: { file: string; neighbours: string };
  /** The privacy unit: a row, unless rows are grouped by a person column. */
  unit?: PrivacyUnitStatement;
  epsilon?: number;
  delta?: number;
  accountant?: string;
  noiseMultiplier?: number;
  clippingNorm?: number;
  samplingRate?: number;
  expectedBatchSize?: number;
  steps?: number;
  epochs?: number;
  /** How the budget was spent: each part alone, and the composition. */
  budget?: {
    preprocessing: { rho: number; epsilonAlone: number; releases: ReleaseEntry[] };
    training?: { epsilonAlone: number };
    /** The pgm generator's releases after preprocessing: the choice of pairs and their marginals. */
    model?: { rho: number; epsilonAlone: number; releases: ReleaseEntry[] };
    thresholdDelta: number;
    accountingDelta: number;
  };
  /** Schema facts used without privacy cost because the user declared them public. */
  declaredPublic?: string[];
  /** What the guarantee does not cover, in words. */
  notCovered?: string[];
  noiseSource?: string;
}

