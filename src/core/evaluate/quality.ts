/**
 * Fidelity of a synthetic table to the real one, following the SDMetrics (MIT) Quality report:
 * Column Shapes (KSComplement / TVComplement per column), Column Pair Trends
 * (CorrelationSimilarity / ContingencySimilarity per pair, averaged over the pairs that have a
 * trend in the real data, as SDMetrics 0.27+), and the Diagnostic report's coverage metrics
 * (MissingValueSimilarity, RangeCoverage, CategoryCoverage). Our own implementation of their
 * published formulas, on the typed columns of `Table`.
 *
 * The real and synthetic tables are loaded separately, so a categorical column's `levels` can
 * differ in order and content between them: categories are always matched by their text.
 */
import { Random, subsampleRows } from '../random';
import type { Schema } from '../schema/types';
import type { ColumnData, Table } from '../table';
import type { ColumnCoverage, ColumnPairScore, ColumnShapeScore, CorrelationMap, PairSummary, QualityResult } from './types';

export interface QualityOptions {
  /** Rows each table is subsampled to before ContingencySimilarity (SDMetrics reports: 50,000). */
  subsampleRows?: number;
  /** Seed of the subsample. */
  seed?: number;
  /** |Pearson r| of the real pair above which a numeric pair counts (SDMetrics 0.27+: 0.5). */
  correlationThreshold?: number;
  /** Cramer's V of the real pair above which another pair counts (SDMetrics 0.27+: 0.3). */
  associationThreshold?: number;
  /**
   * How mixed pairs bin their numeric column: `sdmetrics` (default) bins each table on its own
   * edges with np.digitize, exactly as SDMetrics' QualityReport does, so our scores agree with it;
   * `real-edges` bins both on the real data's edges (compares the same intervals: stricter when
   * the synthetic range is off).
   */
  binning?: 'sdmetrics' | 'real-edges';
  /**
   * Row visits the pair scores may take (default PAIR_ROW_VISITS); beyond it a seeded sample of
   * pairs is scored (at least MIN_SCORED_PAIRS) and the result says so.
   */
  pairRowVisits?: number;
}

/** As SDMetrics reports/utils.py DEFAULT_NUM_ROWS_SUBSAMPLE. */
export const DEFAULT_SUBSAMPLE_ROWS = 50_000;
/** As SDMetrics reports/utils.py DEFAULT_REAL_CORRELATION_THRESHOLD (since v0.27.0). */
export const DEFAULT_CORRELATION_THRESHOLD = 0.5;
/** As SDMetrics reports/utils.py DEFAULT_REAL_ASSOCIATION_THRESHOLD (since v0.27.0). */
export const DEFAULT_ASSOCIATION_THRESHOLD = 0.3;
/** As SDMetrics ColumnPairTrends._discretize_column: np.histogram_bin_edges' default of 10 bins. */
const NUM_BINS = 10;
/** As SDMetrics kscomplement.py MAX_DECIMALS = sys.float_info.dig - 1. */
const MAX_DECIMALS = 14;
/** As SDMetrics utils.get_frequencies: weight given in the real data to a synthetic-only category. */
const UNSEEN_CATEGORY_WEIGHT = 1e-6;
/** Up to this many pairs every pair is listed; beyond, the notable ones (see PairSummary). */
export const MAX_LISTED_PAIRS = 300;
/** Pairs in each notable list: lowest scores, highest scores, strongest real association. */
const NOTABLE_PAIRS = 50;
/** Numeric columns in the correlation map before columns are grouped (60 x 60 cells at most). */
export const MAX_MAP_GROUPS = 60;
/**
 * Row visits the pair scores may take: about 10 s on one core. 2,000 columns x 50 rows (2 million
 * pairs) fit; 2,000 columns x 10,000 rows do not, and a sample of the pairs is scored.
 */
export const PAIR_ROW_VISITS = 2e9;
/** The fixed cost of a pair (tables of cells, Cramer's V), in row visits. */
const PAIR_FIXED_VISITS = 200;
/** Pairs scored even when the rows alone exceed the budget. */
const MIN_SCORED_PAIRS = 1000;
/** Joint tables with more cells than this are counted in a Map instead of a dense array. */
const DENSE_CELL_LIMIT = 1 << 22;

// ---------------------------------------------------------------------------------------------
// Column preparation: one pass per column, shared by every metric.

interface NumericPrep {
  type: 'numeric';
  index: number;
  name: string;
  real: Float64Array;
  synthetic: Float64Array;
  realMissing: number;
  syntheticMissing: number;
}

interface CategoricalPrep {
  type: 'categorical';
  index: number;
  name: string;
  /** Number of categories over both tables; code `categories` marks a missing value. */
  categories: number;
  /** Codes into the union of both tables' categories, matched by text. */
  real: Int32Array;
  synthetic: Int32Array;
  /** Counts per union code, the last slot counting missing values. */
  realCounts: Float64Array;
  syntheticCounts: Float64Array;
}

type ColumnPrep = NumericPrep | CategoricalPrep;

function prepareColumns(schema: Schema, real: Table, synthetic: Table): ColumnPrep[] {
  if (real.columns.length !== schema.columns.length || synthetic.columns.length !== schema.columns.length) {
    throw new Error('evaluateQuality: the tables do not have one column per schema column');
  }
  const prepared: ColumnPrep[] = [];
  for (let c = 0; c < schema.columns.length; c++) {
    const name = schema.columns[c].name;
    const r = real.columns[c];
    const s = synthetic.columns[c];
    if (r.type === 'none' || s.type === 'none') continue;
    if (r.type !== s.type) {
      throw new Error(`evaluateQuality: column "${name}" is ${r.type} in the real table but ${s.type} in the synthetic one`);
    }
    if (r.type === 'numeric') {
      const sv = (s as Extract<ColumnData, { type: 'numeric' }>).values;
      prepared.push({
        type: 'numeric',
        index: c,
        name,
        real: r.values,
        synthetic: sv,
        realMissing: countNaN(r.values),
        syntheticMissing: countNaN(sv),
      });
    } else {
      prepared.push(prepareCategorical(c, name, r, s as Extract<ColumnData, { type: 'categorical' }>));
    }
  }
  return prepared;
}

function countNaN(values: Float64Array): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== values[i]) n++;
  return n;
}

function prepareCategorical(
  index: number,
  name: string,
  real: Extract<ColumnData, { type: 'categorical' }>,
  synthetic: Extract<ColumnData, { type: 'categorical' }>,
): CategoricalPrep {
  const union = new Map<string, number>();
  const mapLevels = (levels: string[]): Int32Array => {
    const map = new Int32Array(levels.length);
    for (let k = 0; k < levels.length; k++) {
      let u = union.get(levels[k]);
      if (u === undefined) {
        u = union.size;
        union.set(levels[k], u);
      }
      map[k] = u;
    }
    return map;
  };
  const realMap = mapLevels(real.levels);
  const syntheticMap = mapLevels(synthetic.levels);
  const categories = union.size;
  const recode = (codes: Int32Array, map: Int32Array, counts: Float64Array): Int32Array => {
    const out = new Int32Array(codes.length);
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i];
      const u = code < 0 ? categories : map[code];
      out[i] = u;
      counts[u]++;
    }
    return out;
  };
  const realCounts = new Float64Array(categories + 1);
  const syntheticCounts = new Float64Array(categories + 1);
  return {
    type: 'categorical',
    index,
    name,
    categories,
    real: recode(real.codes, realMap, realCounts),
    synthetic: recode(synthetic.codes, syntheticMap, syntheticCounts),
    realCounts,
    syntheticCounts,
  };
}

// ---------------------------------------------------------------------------------------------
// Column Shapes.

/**
 * numpy's `np.round(x, decimals)`: multiply by 10^decimals, round half to even, divide back.
 * As SDMetrics kscomplement.py, which rounds both columns with `Series.round(MAX_DECIMALS)` so
 * that values differing only by floating-point noise count as ties.
 */
function roundDecimals(x: number, scale: number): number {
  const y = x * scale;
  if (!Number.isFinite(y)) return x;
  const f = Math.floor(y);
  const d = y - f;
  const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  return r / scale;
}

/** Non-missing values, rounded as SDMetrics KSComplement does, sorted ascending. */
function sortedForKs(values: Float64Array): Float64Array {
  const scale = 10 ** MAX_DECIMALS;
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) out[n++] = roundDecimals(v, scale);
  }
  return out.subarray(0, n).sort();
}

/** Two-sample KS D of sorted, NaN-free arrays: one merge walk over both. */
function ksSorted(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    // Step past every value equal to the smaller head in both samples, then compare the two
    // empirical CDFs there: scipy ks_2samp evaluates them with searchsorted(side='right').
    const v = a[i] <= b[j] ? a[i] : b[j];
    while (i < n && a[i] <= v) i++;
    while (j < m && b[j] <= v) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  return d;
}

/**
 * Two-sample Kolmogorov-Smirnov statistic D = max |F_a - F_b|, ties handled like
 * scipy.stats.ks_2samp. NaN values are dropped and the rest rounded to 14 decimals, as SDMetrics
 * single_column/statistical/kscomplement.py. NaN when either sample has no values.
 */
export function ksStatistic(a: Float64Array, b: Float64Array): number {
  return ksSorted(sortedForKs(a), sortedForKs(b));
}

/**
 * As SDMetrics single_column/statistical/tv_complement.py + utils.get_frequencies: missing values
 * are dropped on both sides (`dropna()`), frequencies are taken over the categories observed in
 * the real data, and a category seen only in the synthetic data is added to the real counts with
 * weight 1e-6 (so its real frequency is ~0). Null when either side has no values.
 */
function tvComplement(column: CategoricalPrep): number | null {
  const k = column.categories;
  const rc = column.realCounts;
  const sc = column.syntheticCounts;
  let realTotal = 0;
  let syntheticTotal = 0;
  for (let u = 0; u < k; u++) {
    realTotal += rc[u];
    syntheticTotal += sc[u];
  }
  if (realTotal === 0 || syntheticTotal === 0) return null;
  for (let u = 0; u < k; u++) if (rc[u] === 0 && sc[u] > 0) realTotal += UNSEEN_CATEGORY_WEIGHT;
  let tv = 0;
  for (let u = 0; u < k; u++) {
    if (rc[u] === 0 && sc[u] === 0) continue; // a level listed in the schema but seen in neither
    const r = rc[u] === 0 ? UNSEEN_CATEGORY_WEIGHT : rc[u];
    tv += Math.abs(sc[u] / syntheticTotal - r / realTotal);
  }
  return 1 - 0.5 * tv;
}

function shapeScores(columns: ColumnPrep[]): ColumnShapeScore[] {
  return columns.map((column): ColumnShapeScore => {
    if (column.type === 'numeric') {
      // As SDMetrics KSComplement: 1 - D on NaN-dropped values (dates as numbers: KS only
      // depends on order, so days or seconds give the same D as SDMetrics' nanoseconds).
      const d = ksStatistic(column.real, column.synthetic);
      return { column: column.name, metric: 'KSComplement', score: Number.isNaN(d) ? null : 1 - d };
    }
    return { column: column.name, metric: 'TVComplement', score: tvComplement(column) };
  });
}

/**
 * Per-column shape scores for every modelled column (type 'none' skipped): KSComplement for
 * numeric and date kinds, TVComplement for categorical and boolean ones, as the SDMetrics
 * Quality report's Column Shapes property.
 */
export function columnShapes(schema: Schema, real: Table, synthetic: Table): ColumnShapeScore[] {
  return shapeScores(prepareColumns(schema, real, synthetic));
}

// ---------------------------------------------------------------------------------------------
// Column Pair Trends.

/**
 * Pearson's r over the rows where both values are present (NaN in either drops the row, as
 * SDMetrics column_pairs/statistical/correlation_similarity.py `dropna()`). Null with fewer than
 * two such rows or when either column is constant on them (correlation undefined).
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  const n = Math.min(x.length, y.length);
  let count = 0;
  let sx = 0;
  let sy = 0;
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const a = x[i];
    const b = y[i];
    if (a !== a || b !== b) continue;
    count++;
    sx += a;
    sy += b;
    if (a < minX) minX = a;
    if (a > maxX) maxX = a;
    if (b < minY) minY = b;
    if (b > maxY) maxY = b;
  }
  if (count < 2 || minX === maxX || minY === maxY) return null;
  const mx = sx / count;
  const my = sy / count;
  // Second pass on centred values: dates in seconds (~1e9) would lose precision in one pass.
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i];
    const b = y[i];
    if (a !== a || b !== b) continue;
    const dx = a - mx;
    const dy = b - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (sxx <= 0 || syy <= 0) return null;
  const r = sxy / Math.sqrt(sxx * syy);
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

/**
 * Cramer's V of a contingency table, bias-uncorrected, as scipy.stats.contingency.association(
 * method='cramer') which SDMetrics contingency_similarity.py uses for its real-association
 * threshold: V = sqrt(chi2 / (n (min(r, k) - 1))), chi2 without Yates' correction, over the rows
 * and columns that are not all zero. NaN when fewer than two such rows or columns.
 */
export function cramersV(table: number[][]): number {
  const rows = table.length;
  const cols = rows === 0 ? 0 : Math.max(...table.map((row) => row.length));
  const flat = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < table[i].length; j++) flat[i * cols + j] = table[i][j];
  return cramersVDense(flat, rows, cols);
}

/**
 * Cramer's V (bias-uncorrected, as scipy.stats.contingency.association) of the cells `visit`
 * enumerates, with chi2 = n (sum O^2 / (R C) - 1) over the non-zero cells; NaN with fewer than
 * two occupied rows or columns.
 */
function cramersVOf(rows: number, cols: number, visit: (cell: (i: number, j: number, o: number) => void) => void): number {
  const rowSums = new Float64Array(rows);
  const colSums = new Float64Array(cols);
  let n = 0;
  visit((i, j, o) => {
    rowSums[i] += o;
    colSums[j] += o;
    n += o;
  });
  let r = 0;
  let k = 0;
  for (let i = 0; i < rows; i++) if (rowSums[i] > 0) r++;
  for (let j = 0; j < cols; j++) if (colSums[j] > 0) k++;
  if (n === 0 || r < 2 || k < 2) return NaN;
  let sum = 0;
  visit((i, j, o) => {
    if (o > 0) sum += (o * o) / (rowSums[i] * colSums[j]);
  });
  const chi2 = Math.max(0, n * (sum - 1));
  return Math.sqrt(chi2 / (n * (Math.min(r, k) - 1)));
}

function cramersVDense(counts: Float64Array, rows: number, cols: number): number {
  return cramersVOf(rows, cols, (cell) => {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) cell(i, j, counts[i * cols + j]);
  });
}

function cramersVSparse(cells: Map<number, number>, rows: number, cols: number): number {
  return cramersVOf(rows, cols, (cell) => {
    for (const [key, o] of cells) cell(Math.floor(key / cols), key % cols, o);
  });
}

/** Reusable count buffers, so 100+ pairs do not allocate a table each. */
class Scratch {
  private real = new Float64Array(0);
  private synthetic = new Float64Array(0);
  take(size: number): [Float64Array, Float64Array] {
    if (this.real.length < size) {
      this.real = new Float64Array(size);
      this.synthetic = new Float64Array(size);
    }
    const r = this.real.subarray(0, size);
    const s = this.synthetic.subarray(0, size);
    r.fill(0);
    s.fill(0);
    return [r, s];
  }
}

interface DiscreteColumn {
  /** Codes in [0, cardinality); missing values have their own code. */
  real: Int32Array;
  synthetic: Int32Array;
  cardinality: number;
}

/**
 * As SDMetrics column_pairs/statistical/contingency_similarity.py: joint frequencies of the two
 * discrete columns with missing values as a value of their own (`groupby(dropna=False)`), over
 * the union of cells seen in either table (absent cells count 0):
 * score = 1 - 1/2 sum |p_R(a,b) - p_S(a,b)|. The real association is Cramer's V of the real
 * joint counts (including the missing row/column when present, as SDMetrics' `unstack`).
 */
function contingency(
  a: DiscreteColumn,
  b: DiscreteColumn,
  scratch: Scratch,
): { score: number | null; association: number | null } {
  const nR = a.real.length;
  const nS = a.synthetic.length;
  const ka = a.cardinality;
  const kb = b.cardinality;
  const size = ka * kb;
  let score: number | null = null;
  let association: number;
  if (size <= DENSE_CELL_LIMIT) {
    const [cr, cs] = scratch.take(size);
    const ar = a.real;
    const br = b.real;
    for (let i = 0; i < nR; i++) cr[ar[i] * kb + br[i]]++;
    const as = a.synthetic;
    const bs = b.synthetic;
    for (let i = 0; i < nS; i++) cs[as[i] * kb + bs[i]]++;
    if (nR > 0 && nS > 0) {
      let tv = 0;
      for (let c = 0; c < size; c++) tv += Math.abs(cr[c] / nR - cs[c] / nS);
      score = 1 - tv / 2;
    }
    association = cramersVDense(cr, ka, kb);
  } else {
    const cr = new Map<number, number>();
    const cs = new Map<number, number>();
    for (let i = 0; i < nR; i++) {
      const key = a.real[i] * kb + b.real[i];
      cr.set(key, (cr.get(key) ?? 0) + 1);
    }
    for (let i = 0; i < nS; i++) {
      const key = a.synthetic[i] * kb + b.synthetic[i];
      cs.set(key, (cs.get(key) ?? 0) + 1);
    }
    if (nR > 0 && nS > 0) {
      let tv = 0;
      for (const [key, o] of cr) tv += Math.abs(o / nR - (cs.get(key) ?? 0) / nS);
      for (const [key, o] of cs) if (!cr.has(key)) tv += o / nS;
      score = 1 - tv / 2;
    }
    association = cramersVSparse(cr, ka, kb);
  }
  if (score !== null) score = Math.min(1, Math.max(0, score));
  return { score, association: Number.isNaN(association) ? null : association };
}

/**
 * Equal-width bin codes 0..9 of a numeric column on the REAL data's edges, missing = 10.
 *
 * Edges as `np.histogram_bin_edges(real.dropna())` (10 bins from the real min to max; a constant
 * column gets [v - 0.5, v + 0.5]; no values gets [0, 1]), values placed as np.histogram places
 * them (last bin closed), synthetic values outside the real range clipped into the end bins.
 *
 * The `real-edges` option. SDMetrics (reports/single_table/_properties/column_pair_trends.py
 * `_get_processed_data`) bins the real and the synthetic table each on its OWN edges
 * (a known quirk; its standalone ContingencySimilarity uses the real edges), so a synthetic
 * column whose range is slightly wider or narrower than the real one is compared bin-by-bin on
 * shifted bins. Using the real edges for both compares the same intervals; for a good synthetic
 * table whose range matches the real one the two agree closely (usually < 0.01 per pair), and
 * when the synthetic range is off we score lower, which is the honest answer. Also unlike the
 * report's `np.digitize`, which gives the real maximum a bin of its own and lumps NaN in with it,
 * the maximum goes to the last bin and missing values get their own code (dropna=False).
 */
/**
 * As SDMetrics' QualityReport (`_get_processed_data`): each table's numeric column is cut on its
 * OWN `np.histogram_bin_edges` (10 equal bins) and coded with `np.digitize`: 1..10 inside,
 * 11 for the column's maximum and for missing values (NaN digitizes past the last edge).
 */
/** As np.histogram_bin_edges(values.dropna()) with 10 bins: [v - 0.5, v + 0.5] if constant, [0, 1] if empty. */
function histogramEdges(values: Float64Array): { lo: number; hi: number; step: number; edges: Float64Array } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) {
    lo = 0;
    hi = 1;
  } else if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  // np.linspace(lo, hi, 11): k * step + lo, the last edge exactly hi.
  const step = (hi - lo) / NUM_BINS;
  const edges = new Float64Array(NUM_BINS + 1);
  for (let k = 0; k < NUM_BINS; k++) edges[k] = k * step + lo;
  edges[NUM_BINS] = hi;
  return { lo, hi, step, edges };
}

function binNumericOwnEdges(column: NumericPrep): DiscreteColumn {
  const digitize = (values: Float64Array): Int32Array => {
    const { lo, hi, step, edges } = histogramEdges(values);
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== v || v >= hi) {
        out[i] = NUM_BINS + 1;
        continue;
      }
      // np.digitize(right=False): the i with edges[i-1] <= v < edges[i].
      let k = Math.min(NUM_BINS - 1, Math.max(0, Math.floor((v - lo) / step)));
      while (k > 0 && v < edges[k]) k--;
      while (k < NUM_BINS - 1 && v >= edges[k + 1]) k++;
      out[i] = k + 1;
    }
    return out;
  };
  return { real: digitize(column.real), synthetic: digitize(column.synthetic), cardinality: NUM_BINS + 2 };
}

function binNumeric(column: NumericPrep): DiscreteColumn {
  const real = column.real;
  const { lo, hi, edges } = histogramEdges(real);
  const norm = NUM_BINS / (hi - lo);
  const code = (v: number): number => {
    if (v !== v) return NUM_BINS;
    if (v <= lo) return 0;
    if (v >= hi) return NUM_BINS - 1;
    // np.histogram's equal-width fast path, with its correction for rounding at the edges.
    let k = Math.floor((v - lo) * norm);
    if (k >= NUM_BINS) k = NUM_BINS - 1;
    if (v < edges[k]) k--;
    else if (k !== NUM_BINS - 1 && v >= edges[k + 1]) k++;
    return k;
  };
  const bin = (values: Float64Array): Int32Array => {
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = code(values[i]);
    return out;
  };
  return { real: bin(real), synthetic: bin(column.synthetic), cardinality: NUM_BINS + 1 };
}

function gather(codes: Int32Array, rows: Int32Array | null): Int32Array {
  if (!rows) return codes;
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = codes[rows[i]];
  return out;
}

function discreteColumn(column: ColumnPrep, realRows: Int32Array | null, syntheticRows: Int32Array | null, binning: 'sdmetrics' | 'real-edges'): DiscreteColumn {
  const full =
    column.type === 'numeric'
      ? binning === 'sdmetrics'
        ? binNumericOwnEdges(column)
        : binNumeric(column)
      : { real: column.real, synthetic: column.synthetic, cardinality: column.categories + 1 };
  return {
    real: gather(full.real, realRows),
    synthetic: gather(full.synthetic, syntheticRows),
    cardinality: full.cardinality,
  };
}

// ---------------------------------------------------------------------------------------------
// Coverage (SDMetrics Diagnostic-report metrics).

function coverageOf(column: ColumnPrep): ColumnCoverage {
  const realRows = column.real.length;
  const syntheticRows = column.synthetic.length;
  let realMissing: number;
  let syntheticMissing: number;
  let coverage: number | null = null;
  if (column.type === 'numeric') {
    realMissing = column.realMissing;
    syntheticMissing = column.syntheticMissing;
    coverage = rangeCoverage(column.real, column.synthetic);
  } else {
    realMissing = column.realCounts[column.categories];
    syntheticMissing = column.syntheticCounts[column.categories];
    // As SDMetrics single_column/statistical/category_coverage.py: share of the (non-missing)
    // categories observed in the real data that also occur in the synthetic data.
    let seen = 0;
    let covered = 0;
    for (let u = 0; u < column.categories; u++) {
      if (column.realCounts[u] === 0) continue;
      seen++;
      if (column.syntheticCounts[u] > 0) covered++;
    }
    coverage = seen === 0 ? null : covered / seen;
  }
  const realMissingRate = realRows === 0 ? 0 : realMissing / realRows;
  const syntheticMissingRate = syntheticRows === 0 ? 0 : syntheticMissing / syntheticRows;
  return {
    column: column.name,
    realMissingRate,
    syntheticMissingRate,
    // As SDMetrics single_column/statistical/missing_value_similarity.py.
    missingValueSimilarity: 1 - Math.abs(realMissingRate - syntheticMissingRate),
    coverage,
    coverageMetric: column.type === 'numeric' ? 'RangeCoverage' : 'CategoryCoverage',
  };
}

/**
 * As SDMetrics single_column/statistical/range_coverage.py: with the real range [a, b] and the
 * synthetic one [c, d] (NaN skipped), max(0, 1 - (max(0, (c - a)/(b - a)) + max(0, (b - d)/(b - a)))).
 * Null when the real column is constant or either side has no values.
 */
function rangeCoverage(real: Float64Array, synthetic: Float64Array): number | null {
  const [minR, maxR] = extent(real);
  const [minS, maxS] = extent(synthetic);
  if (minR > maxR || minS > maxS || minR === maxR) return null;
  const range = maxR - minR;
  const low = Math.max((minS - minR) / range, 0);
  const high = Math.max((maxR - maxS) / range, 0);
  return Math.max(1 - (low + high), 0);
}

function extent(values: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

// ---------------------------------------------------------------------------------------------
// The report.

function mean(values: number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/**
 * The SDMetrics-style Quality report of `synthetic` against `real` (same schema), plus the
 * per-column coverage metrics of its Diagnostic report.
 *
 * - columnShapes: mean of the per-column scores that are computable (NaN when none is).
 * - columnPairTrends: mean of the pair scores that meet the real-data threshold, null when no
 *   pair does (as SDMetrics 0.27+ ColumnPairTrends._compute_average_with_threshold).
 * - score: nanmean of the two (as SDMetrics BaseReport: np.nanmean of the property scores).
 *
 * Unlike SDMetrics, which leaves the score of a pair below its threshold NaN, every pair's score
 * is computed (the report's heatmaps show them); only `meetsThreshold` pairs are averaged.
 */
export function evaluateQuality(schema: Schema, real: Table, synthetic: Table, options: QualityOptions = {}): QualityResult {
  const subsample =
    options.subsampleRows !== undefined && options.subsampleRows > 0 ? Math.floor(options.subsampleRows) : DEFAULT_SUBSAMPLE_ROWS;
  const correlationThreshold = options.correlationThreshold ?? DEFAULT_CORRELATION_THRESHOLD;
  const associationThreshold = options.associationThreshold ?? DEFAULT_ASSOCIATION_THRESHOLD;

  const columns = prepareColumns(schema, real, synthetic);
  const shapes = shapeScores(columns);
  const coverage = columns.map(coverageOf);

  // As SDMetrics ColumnPairTrends: ContingencySimilarity gets num_rows_subsample (50,000) when a
  // table is larger, each table being sampled to min(50,000, its rows). SDMetrics draws a fresh
  // sample per pair; we draw one seeded sample per table and use it for every pair, so results
  // are reproducible and the pairs are compared on the same rows. CorrelationSimilarity uses all
  // rows, as SDMetrics does.
  const random = new Random(options.seed ?? 0);
  const realRows = subsampleRows(real.rowCount, subsample, random);
  const syntheticRows = subsampleRows(synthetic.rowCount, subsample, random);
  const discrete = new Map<number, DiscreteColumn>();
  const discreteOf = (k: number): DiscreteColumn => {
    let d = discrete.get(k);
    if (!d) {
      d = discreteColumn(columns[k], realRows, syntheticRows, options.binning ?? 'sdmetrics');
      discrete.set(k, d);
    }
    return d;
  };

  const scratch = new Scratch();
  const scorePair = (p: number, q: number): ColumnPairScore => {
    const a = columns[p];
    const b = columns[q];
    const names: [string, string] = [a.name, b.name];
    if (a.type === 'numeric' && b.type === 'numeric') {
      // As SDMetrics column_pairs/statistical/correlation_similarity.py (Pearson):
      // 1 - |r_R - r_S| / 2 on the rows where both values are present; the pair counts when
      // |r_R| > threshold (ColumnPairTrends._compute_pair_score). A constant real column makes
      // r_R undefined: no score, pair not counted (SDMetrics: ConstantInputError, NaN score).
      // A constant synthetic column: SDMetrics also errors and drops the pair, which would hide
      // a collapsed column; we take r_S = 0 (no linear trend, as SDMetrics <= 0.9 did for NaN).
      const rR = pearson(a.real, b.real);
      const rS = pearson(a.synthetic, b.synthetic);
      const score = rR === null ? null : 1 - Math.abs(rR - (rS ?? 0)) / 2;
      return {
        columns: names,
        metric: 'CorrelationSimilarity',
        score,
        realAssociation: rR === null ? null : Math.abs(rR),
        meetsThreshold: rR !== null && Math.abs(rR) > correlationThreshold,
        realCorrelation: rR,
        syntheticCorrelation: rS,
      };
    }
    // As SDMetrics ColumnPairTrends: categorical pairs and mixed pairs (numeric column binned)
    // use ContingencySimilarity; the pair counts when Cramer's V of the real (subsampled)
    // contingency table > threshold (contingency_similarity.py real_association_threshold).
    const { score, association } = contingency(discreteOf(p), discreteOf(q), scratch);
    return {
      columns: names,
      metric: 'ContingencySimilarity',
      score,
      realAssociation: association,
      meetsThreshold: association !== null && association > associationThreshold,
    };
  };

  // The pairs grow with the square of the columns: keep running sums, short lists and an
  // aggregated map, never every pair (2,000 columns are 2 million pairs).
  const totalPairs = (columns.length * (columns.length - 1)) / 2;
  // A pair visits each table's rows about twice (Pearson's two passes), plus a fixed cost.
  const visitsPerPair = 2 * (real.rowCount + synthetic.rowCount) + PAIR_FIXED_VISITS;
  const pairBudget = Math.max(MIN_SCORED_PAIRS, Math.floor((options.pairRowVisits ?? PAIR_ROW_VISITS) / visitsPerPair));
  const listAll = totalPairs <= MAX_LISTED_PAIRS && totalPairs <= pairBudget;
  const everyPair: ColumnPairScore[] = [];
  const worst = new Notable<ColumnPairScore>(NOTABLE_PAIRS);
  const best = new Notable<ColumnPairScore>(NOTABLE_PAIRS);
  const strongest = new Notable<ColumnPairScore>(NOTABLE_PAIRS);
  const map = new CorrelationMapBuilder(columns);
  let countedSum = 0;
  let counted = 0;
  let computed = 0;
  const visit = (p: number, q: number): void => {
    const pair = scorePair(p, q);
    computed++;
    if (pair.meetsThreshold && pair.score !== null) {
      countedSum += pair.score;
      counted++;
    }
    if (pair.metric === 'CorrelationSimilarity') map.add(p, q, pair.realCorrelation ?? null, pair.syntheticCorrelation ?? null);
    if (listAll) {
      everyPair.push(pair);
      return;
    }
    if (pair.score !== null && pair.meetsThreshold) {
      worst.offer(-pair.score, pair);
      best.offer(pair.score, pair);
    }
    if (pair.score !== null && pair.realAssociation !== null) strongest.offer(pair.realAssociation, pair);
  };
  const sampled = totalPairs > pairBudget;
  if (!sampled) {
    // As SDMetrics ColumnPairTrends._generate_details: itertools.combinations of the columns.
    for (let p = 0; p < columns.length; p++) for (let q = p + 1; q < columns.length; q++) visit(p, q);
  } else {
    // A seeded uniform sample of the pairs: its mean estimates the mean over all pairs.
    const chosen = samplePairIndices(totalPairs, pairBudget, new Random((options.seed ?? 0) ^ 0x5eed));
    let p = 0;
    let rowStart = 0; // index of pair (p, p + 1)
    for (const t of chosen) {
      while (t >= rowStart + (columns.length - 1 - p)) {
        rowStart += columns.length - 1 - p;
        p++;
      }
      visit(p, p + 1 + (t - rowStart));
    }
  }
  let pairs: ColumnPairScore[];
  let listed: string;
  if (listAll) {
    pairs = everyPair;
    listed = 'every pair';
  } else {
    const union = new Set([...worst.items(), ...best.items(), ...strongest.items()]);
    pairs = [...union].sort((x, y) => (x.score ?? 1) - (y.score ?? 1));
    listed =
      `the ${NOTABLE_PAIRS} lowest- and ${NOTABLE_PAIRS} highest-scoring pairs with a real trend and the ${NOTABLE_PAIRS} ` +
      `with the strongest real association, lowest score first${sampled ? ', among the sampled pairs' : ''}`;
  }
  const pairSummary: PairSummary = { total: totalPairs, computed, sampled, counted, listed };

  const shapeValues = shapes.map((s) => s.score).filter((s): s is number => s !== null);
  const columnShapesScore = mean(shapeValues);
  const columnPairTrends = counted === 0 ? null : countedSum / counted;
  const properties = [columnShapesScore, columnPairTrends].filter((v): v is number => v !== null && !Number.isNaN(v));
  return {
    score: mean(properties),
    columnShapes: columnShapesScore,
    columnPairTrends,
    columns: shapes,
    pairs,
    pairSummary,
    correlationMap: map.build(),
    coverage,
  };
}

/**
 * `count` distinct pair indices in [0, total), uniformly, ascending (Floyd's algorithm: memory
 * grows with the sample, not with the number of pairs).
 */
function samplePairIndices(total: number, count: number, random: Random): Float64Array {
  const chosen = new Set<number>();
  for (let j = total - count; j < total; j++) {
    const t = random.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return Float64Array.from(chosen).sort();
}

/** The `size` items with the largest keys seen so far. */
class Notable<T> {
  private readonly kept: { key: number; item: T }[] = [];
  constructor(private readonly size: number) {}
  offer(key: number, item: T): void {
    const kept = this.kept;
    if (kept.length === this.size && key <= kept[kept.length - 1].key) return;
    let i = kept.length;
    while (i > 0 && kept[i - 1].key < key) i--;
    kept.splice(i, 0, { key, item });
    if (kept.length > this.size) kept.pop();
  }
  items(): T[] {
    return this.kept.map((k) => k.item);
  }
}

/** Map values keep 4 decimals: enough for colours and tooltips, and the card stays small. */
function mapValue(x: number): number | null {
  return Number.isNaN(x) ? null : Math.round(x * 1e4) / 1e4;
}

/** Accumulates the correlation heat maps, grouping columns beyond MAX_MAP_GROUPS (see CorrelationMap). */
class CorrelationMapBuilder {
  private readonly group: Int32Array;
  private readonly sizes: number[];
  private readonly names: string[][];
  private readonly real: Float64Array;
  private readonly synthetic: Float64Array;
  private readonly difference: Float64Array;
  private readonly numeric: number;

  constructor(private readonly columns: ColumnPrep[]) {
    const positions = columns.map((c, i) => (c.type === 'numeric' ? i : -1)).filter((i) => i >= 0);
    this.numeric = positions.length;
    const groups = Math.min(this.numeric, MAX_MAP_GROUPS);
    this.group = new Int32Array(columns.length).fill(-1);
    this.sizes = new Array<number>(groups).fill(0);
    this.names = Array.from({ length: groups }, () => []);
    positions.forEach((column, i) => {
      const g = Math.floor((i * groups) / this.numeric);
      this.group[column] = g;
      this.sizes[g]++;
      this.names[g].push(columns[column].name);
    });
    this.real = new Float64Array(groups * groups).fill(NaN);
    this.synthetic = new Float64Array(groups * groups).fill(NaN);
    this.difference = new Float64Array(groups * groups).fill(NaN);
    // A group of one column: its diagonal cell is the column's correlation with itself.
    positions.forEach((column) => {
      const g = this.group[column];
      if (this.sizes[g] !== 1) return;
      const c = columns[column] as NumericPrep;
      const self = (values: Float64Array): number => (pearson(values, values) === null ? NaN : 1);
      const cell = g * groups + g;
      this.real[cell] = self(c.real);
      this.synthetic[cell] = self(c.synthetic);
      if (!Number.isNaN(this.real[cell]) && !Number.isNaN(this.synthetic[cell])) this.difference[cell] = 0;
    });
  }

  add(p: number, q: number, real: number | null, synthetic: number | null): void {
    const groups = this.sizes.length;
    const a = this.group[p];
    const b = this.group[q];
    const strongest = (m: Float64Array, value: number): void => {
      for (const cell of [a * groups + b, b * groups + a]) {
        const current = m[cell];
        if (Number.isNaN(current) || Math.abs(value) > Math.abs(current)) m[cell] = value;
      }
    };
    if (real !== null) strongest(this.real, real);
    if (synthetic !== null) strongest(this.synthetic, synthetic);
    if (real !== null && synthetic !== null) strongest(this.difference, synthetic - real);
  }

  build(): CorrelationMap | null {
    if (this.numeric < 2) return null;
    const groups = this.sizes.length;
    const matrix = (m: Float64Array): (number | null)[][] =>
      Array.from({ length: groups }, (_, i) => Array.from(m.subarray(i * groups, (i + 1) * groups), mapValue));
    return {
      labels: this.names.map((names) => (names.length === 1 ? names[0] : `${names[0]} … ${names[names.length - 1]} (${names.length} columns)`)),
      groupSizes: [...this.sizes],
      grouped: this.numeric > groups,
      columns: this.numeric,
      real: matrix(this.real),
      synthetic: matrix(this.synthetic),
      difference: matrix(this.difference),
    };
  }
}
