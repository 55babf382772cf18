import { Random } from '../random';
import { encodedChunkRows, type ChunkSource } from '../chunk-source';
import { isModelled, isNumericColumn, type ColumnData, type Table } from '../table';
import type { Schema } from '../schema/types';
import { fitBayesianMixture, responsibilities, type Mixture1D } from './gmm';

/**
 * The reversible map between table rows and the numeric matrix the model learns.
 *
 * Per modelled column, in schema order:
 * - numeric kinds (continuous, integer, date, datetime): mode-specific normalisation as in the
 *   tVAE paper: a scalar `value` span alpha = (x - mu_k) / (4 sigma_k) for the chosen mixture
 *   component k, then a `component` one-hot span over the kept components (one by default:
 *   DEFAULT_MIXTURE_COMPONENTS). Values that make up a large share of the column on their own
 *   (capital_gain's 92 % zeros, a default dose) are point masses: components of their own, listed
 *   first, that decode to exactly that value. A Gaussian around them would smear the spike into
 *   nearby values that never occur;
 * - categorical and boolean: a `category` one-hot span over the levels;
 * - then, if the column has missing values, a `missing` span [present, missing], so the model
 *   learns where values are absent jointly with everything else (structural missingness: a
 *   death date is missing exactly when the patient lived). A missing numeric value encodes as
 *   alpha 0 and an all-zero component span; the loss masks them with the missing span.
 * Identifier, text and constant columns are not encoded: they are regenerated or repeated.
 */

/**
 * Numbers get one Gaussian component (plus their point masses) by default, with and without DP;
 * generate's calibration (privacy/calibrate.ts) then gives each column its distribution back
 * through a quantile map. TVAE's up to 10 modes split a column's order over a softmax that the
 * network must keep consistent across columns, and it did not: rhc.csv's admission and discharge
 * dates (correlation 1.00) came out unrelated even without DP (pair score 0.51). Without DP on
 * adult / rhc / flchain, quality was 0.901 / 0.900 / 0.910 with 10 modes, 0.955 / 0.910 / 0.929
 * with 10 modes calibrated, 0.949 / 0.950 / 0.943 with one component calibrated (pair trends
 * 0.839 / 0.823 / 0.859 against 0.905 / 0.909 / 0.902).
 */
export const DEFAULT_MIXTURE_COMPONENTS = 1;

export type SpanKind = 'value' | 'component' | 'category' | 'missing';

export interface OutputSpan {
  kind: SpanKind;
  /** First matrix column of the span. */
  start: number;
  /** Width: 1 for `value`, the one-hot size otherwise. */
  size: number;
  /** Index into schema.columns. */
  column: number;
}

export interface NumericColumnState {
  type: 'numeric';
  column: number;
  /** Exact values with their own component (frequent values), before the mixture's components. */
  spikes: number[];
  mixture: Mixture1D;
  /** Decoded values are clamped to these (learned or declared public). */
  min: number;
  max: number;
  hasMissing: boolean;
  valueStart: number;
  componentStart: number;
  missingStart: number; // -1 when the column has no missing values
  impute?: number;
  /** Monotone map applied to decoded values (calibration to a released histogram). */
  quantileMap?: QuantileMap;
}

/**
 * A monotone map from the model's value distribution to a target one: knots `from[k]` and `to[k]`
 * are the two distributions' quantiles at probability k / K. A value is placed at its quantile
 * among `from` (uniformly within a run of equal knots, so a point mass spreads over its share) and
 * sent to the target's value at that quantile. Rank order, and so the model's dependence between
 * columns, is kept; the column's distribution becomes the target's.
 */
export interface QuantileMap {
  from: number[];
  to: number[];
  /** Target values are whole numbers (an integer histogram): no interpolation between them. */
  discrete: boolean;
}

export interface CategoricalColumnState {
  type: 'categorical';
  column: number;
  levels: string[];
  hasMissing: boolean;
  categoryStart: number;
  missingStart: number;
  /** Index of the level that takes values outside `levels`; without it they are an error. */
  otherLevel?: number;
  imputeLevel?: number;
  /**
   * Rare values pooled into `otherLevel` beyond the level cap (no DP only): a row decoded there
   * draws one of them by frequency, so the column's distribution keeps its long tail.
   */
  tail?: { values: string[]; counts: number[] };
}

export type ColumnState = NumericColumnState | CategoricalColumnState;

/** What the transformer needs to know of a numeric column. */
export interface NumericFacts {
  type: 'numeric';
  /** Values to fit the mixture to (exact values, or a pseudo-sample of a private histogram). */
  values: ArrayLike<number>;
  /** Point masses (exact values with their own component). */
  spikes: number[];
  min: number;
  max: number;
  hasMissing: boolean;
  /** Without a missing indicator, a missing value encodes as this (DP: rare missingness). */
  impute?: number;
}

/** What the transformer needs to know of a categorical column. */
export interface CategoricalFacts {
  type: 'categorical';
  levels: string[];
  hasMissing: boolean;
  /** A level standing for every value not in `levels` (rare categories suppressed by DP). */
  otherLevel?: string;
  /** Without a missing indicator, a missing value encodes as this level (DP: rare missingness). */
  imputeLevel?: string;
  /** Values pooled into `otherLevel`, drawn back by frequency when decoding. */
  tail?: { values: string[]; counts: number[] };
}

export type ColumnFacts = NumericFacts | CategoricalFacts;

export interface TransformerState {
  version: 1;
  width: number;
  columns: ColumnState[];
  spans: OutputSpan[];
}

export interface FitOptions {
  seed?: number;
  maxComponents?: number;
  weightThreshold?: number;
  /** Rows used to fit each column's mixture (a seeded subsample beyond it). */
  mixtureSamples?: number;
  /** A value holding at least this share of a numeric column's values becomes a point mass. */
  spikeShare?: number;
  /** Most one-hot levels per categorical column (DEFAULT_LEVEL_CAP). */
  levelCap?: number;
}

export interface EncodeOptions {
  /**
   * How to choose a value's mixture component: `sample` from the posterior (the tVAE paper; the
   * model sees the overlap between modes) or `argmax` (deterministic).
   */
  component?: 'sample' | 'argmax';
  seed?: number;
}

/** Decoded columns, aligned with schema.columns; `none` for columns the matrix does not hold. */
export type DecodedColumn = ColumnData;

export class TableTransformer {
  private constructor(readonly state: TransformerState) {}

  get width(): number {
    return this.state.width;
  }

  get spans(): readonly OutputSpan[] {
    return this.state.spans;
  }

  static fromJSON(state: TransformerState): TableTransformer {
    if (state.version !== 1) throw new Error(`unsupported transformer state version ${state.version}`);
    return new TableTransformer(state);
  }

  toJSON(): TransformerState {
    return this.state;
  }

  /** Fit every modelled column to the rows of `table` (no privacy: statistics are exact). */
  static fit(schema: Schema, table: Table, options: FitOptions = {}): TableTransformer {
    const facts = schema.columns.map((column, index): ColumnFacts | undefined => {
      if (!isModelled(column)) return undefined;
      const data = table.columns[index];
      if (isNumericColumn(column)) {
        if (data.type !== 'numeric') throw new Error(`column ${column.name}: expected numeric data`);
        const present = presentValues(data.values);
        if (present.length === 0) throw new Error(`column ${column.name}: no values to learn from`);
        const spikes = frequentValues(present, options.spikeShare ?? DEFAULT_SPIKE_SHARE);
        let min = Infinity;
        let max = -Infinity;
        for (const x of present) {
          if (x < min) min = x;
          if (x > max) max = x;
        }
        return { type: 'numeric', values: spikes.length ? present.filter((x) => !spikes.includes(x)) : present, spikes, min, max, hasMissing: present.length < data.values.length };
      }
      if (data.type !== 'categorical') throw new Error(`column ${column.name}: expected categorical data`);
      return categoricalFacts(data.levels, data.codes, options.levelCap ?? DEFAULT_LEVEL_CAP);
    });
    return TableTransformer.fromFacts(schema, facts, options);
  }

  /**
   * Build the transformer from per-column facts: exact ones (fit) or ones released by a
   * differentially private mechanism (privacy/preprocess.ts), which this step only post-processes.
   */
  static fromFacts(schema: Schema, facts: (ColumnFacts | undefined)[], options: FitOptions = {}): TableTransformer {
    const columns: ColumnState[] = [];
    const spans: OutputSpan[] = [];
    let width = 0;
    const span = (kind: SpanKind, size: number, column: number): number => {
      spans.push({ kind, start: width, size, column });
      width += size;
      return width - size;
    };
    schema.columns.forEach((column, index) => {
      const fact = facts[index];
      if (!fact || !isModelled(column)) return;
      if (fact.type === 'numeric') {
        const mixture: Mixture1D =
          fact.values.length > 0
            ? fitBayesianMixture(fact.values, {
                maxComponents: options.maxComponents ?? DEFAULT_MIXTURE_COMPONENTS,
                weightThreshold: options.weightThreshold ?? 0.005,
                maxSamples: options.mixtureSamples ?? 20000,
                seed: (options.seed ?? 0) + index,
              })
            : { means: [], stds: [], weights: [] };
        const spikes = fact.spikes;
        if (spikes.length === 0 && mixture.means.length === 0) throw new Error(`column ${column.name}: no values to learn from`);
        const valueStart = span('value', 1, index);
        const componentStart = span('component', spikes.length + mixture.means.length, index);
        const missingStart = fact.hasMissing ? span('missing', 2, index) : -1;
        columns.push({ type: 'numeric', column: index, spikes, mixture, min: fact.min, max: fact.max, hasMissing: fact.hasMissing, valueStart, componentStart, missingStart, ...(fact.impute !== undefined ? { impute: fact.impute } : {}) });
      } else {
        const categoryStart = span('category', Math.max(fact.levels.length, 1), index);
        const missingStart = fact.hasMissing ? span('missing', 2, index) : -1;
        const otherLevel = fact.otherLevel !== undefined ? fact.levels.indexOf(fact.otherLevel) : -1;
        const imputeLevel = fact.imputeLevel !== undefined ? fact.levels.indexOf(fact.imputeLevel) : -1;
        columns.push({
          type: 'categorical',
          column: index,
          levels: fact.levels.slice(),
          hasMissing: fact.hasMissing,
          categoryStart,
          missingStart,
          ...(otherLevel >= 0 ? { otherLevel } : {}),
          ...(imputeLevel >= 0 ? { imputeLevel } : {}),
          ...(fact.tail && otherLevel >= 0 ? { tail: { values: fact.tail.values.slice(), counts: fact.tail.counts.slice() } } : {}),
        });
      }
    });
    return new TableTransformer({ version: 1, width, columns, spans });
  }

  /** The same transformer with these columns' decoded values mapped (see QuantileMap). */
  withQuantileMaps(maps: ReadonlyMap<number, QuantileMap>): TableTransformer {
    const columns = this.state.columns.map((c) => (c.type === 'numeric' && maps.has(c.column) ? { ...c, quantileMap: maps.get(c.column)! } : c));
    return new TableTransformer({ ...this.state, columns });
  }

  /** Rows x width, row-major. Float64 so encode-then-decode is exact. */
  encode(table: Table, options: EncodeOptions = {}): Float64Array {
    const rows = table.rowCount;
    const width = this.state.width;
    const out = new Float64Array(rows * width);
    const random = new Random(options.seed ?? 0);
    const sample = (options.component ?? 'sample') === 'sample';
    for (const state of this.state.columns) {
      const data = table.columns[state.column];
      if (state.type === 'numeric') {
        if (data.type !== 'numeric') throw new Error('encode: expected numeric data');
        const { means, stds } = state.mixture;
        const k = means.length;
        const spikeCount = state.spikes.length;
        const post = new Float64Array(k);
        for (let r = 0; r < rows; r++) {
          let x = data.values[r];
          const base = r * width;
          if (Number.isNaN(x) && state.missingStart < 0 && state.impute !== undefined) x = state.impute;
          if (Number.isNaN(x)) {
            if (state.missingStart < 0) throw new Error(`encode: a missing value, but none were seen when fitting column ${state.column + 1}`);
            out[base + state.missingStart + 1] = 1;
            continue;
          }
          if (state.missingStart >= 0) out[base + state.missingStart] = 1;
          // Bounds released with DP (or declared public) may be narrower than the data.
          if (x < state.min) x = state.min;
          else if (x > state.max) x = state.max;
          const spike = spikeCount ? state.spikes.indexOf(x) : -1;
          if (spike >= 0 || k === 0) {
            // A point mass (or, with no mixture, the nearest one): alpha stays 0.
            out[base + state.componentStart + (spike >= 0 ? spike : nearest(state.spikes, x))] = 1;
            continue;
          }
          responsibilities(state.mixture, x, post);
          const c = sample ? random.categorical(post) : argmax(post, 0, k);
          out[base + state.valueStart] = (x - means[c]) / (4 * stds[c]);
          out[base + state.componentStart + spikeCount + c] = 1;
        }
      } else {
        if (data.type !== 'categorical') throw new Error('encode: expected categorical data');
        // Levels are matched by text, so a table loaded with another level order still encodes.
        const toLevel = levelMap(data.levels, state.levels);
        for (let r = 0; r < rows; r++) {
          const code = data.codes[r];
          const base = r * width;
          if (code < 0 && !(state.missingStart < 0 && state.imputeLevel !== undefined)) {
            if (state.missingStart < 0) throw new Error(`encode: a missing value, but none were seen when fitting column ${state.column + 1}`);
            out[base + state.missingStart + 1] = 1;
            continue;
          }
          if (state.missingStart >= 0) out[base + state.missingStart] = 1;
          const level = code < 0 ? state.imputeLevel! : toLevel[code] >= 0 ? toLevel[code] : (state.otherLevel ?? -1);
          if (level < 0) throw new Error(`encode: category ${JSON.stringify(data.levels[code])} was not seen when fitting`);
          out[base + state.categoryStart + level] = 1;
        }
      }
    }
    return out;
  }

  /**
   * Matrix (model output or encoded data) back to typed columns: argmax picks the component,
   * category and missing flag; numbers are clamped to the column's bounds. Formatting to text is
   * the writer's job (schema/format.ts).
   */
  decode(matrix: ArrayLike<number>, rows: number, columnCount: number, random?: Random): DecodedColumn[] {
    const width = this.state.width;
    if (matrix.length < rows * width) throw new Error(`decode: matrix has ${matrix.length} values, expected ${rows * width}`);
    const out: DecodedColumn[] = Array.from({ length: columnCount }, () => ({ type: 'none' }) as DecodedColumn);
    for (const state of this.state.columns) {
      if (state.type === 'numeric') {
        const values = new Float64Array(rows);
        const { means, stds } = state.mixture;
        const spikeCount = state.spikes.length;
        const k = spikeCount + means.length;
        for (let r = 0; r < rows; r++) {
          const base = r * width;
          if (state.missingStart >= 0 && matrix[base + state.missingStart + 1] > matrix[base + state.missingStart]) {
            values[r] = NaN;
            continue;
          }
          const c = argmax(matrix, base + state.componentStart, k);
          if (c < spikeCount) {
            values[r] = state.spikes[c];
            continue;
          }
          const x = matrix[base + state.valueStart] * 4 * stds[c - spikeCount] + means[c - spikeCount];
          values[r] = x < state.min ? state.min : x > state.max ? state.max : x;
        }
        if (state.quantileMap) {
          const map = state.quantileMap;
          for (let r = 0; r < rows; r++) if (!Number.isNaN(values[r])) values[r] = applyQuantileMap(map, values[r], random ? random.next() : 0.5);
        }
        out[state.column] = { type: 'numeric', values };
      } else {
        const codes = new Int32Array(rows);
        const n = state.levels.length;
        for (let r = 0; r < rows; r++) {
          const base = r * width;
          if (state.missingStart >= 0 && matrix[base + state.missingStart + 1] > matrix[base + state.missingStart]) {
            codes[r] = -1;
            continue;
          }
          codes[r] = argmax(matrix, base + state.categoryStart, n);
        }
        const tail = state.tail;
        if (tail && state.otherLevel !== undefined) {
          // The pooled level stands for its rare values: each row gets one of them by frequency.
          for (let r = 0; r < rows; r++) if (codes[r] === state.otherLevel) codes[r] = n + (random ? random.categorical(tail.counts) : 0);
          out[state.column] = { type: 'categorical', codes, levels: state.levels.concat(tail.values) };
        } else {
          out[state.column] = { type: 'categorical', codes, levels: state.levels };
        }
      }
    }
    return out;
  }
}

/**
 * Most levels a categorical column is one-hot encoded with (no DP; under DP the release threshold
 * already pools rare values). The output layer's width, and so training time, grows with it.
 */
/**
 * `rows` rows drawn from `source` and decoded, in chunks of at most MAX_ENCODED_BYTES of encoded
 * values (chunk-source.ts): the decoded columns are all that is held whole. When one chunk holds
 * them all, the rows are exactly those of one `source.sample(rows, seed)`.
 */
export async function sampleDecoded(source: ChunkSource, transformer: TableTransformer, rows: number, columnCount: number, seed: number): Promise<DecodedColumn[]> {
  const decodeRandom = new Random(seed);
  const perChunk = encodedChunkRows(transformer.width, rows);
  if (perChunk >= rows) return transformer.decode(await source.sample(rows, seed), rows, columnCount, decodeRandom);
  // Later chunks' seeds from a stream of their own (the first keeps `seed`).
  const chunkSeeds = new Random((seed ^ 0x5bd1e995) >>> 0);
  let out: DecodedColumn[] = [];
  for (let start = 0; start < rows; start += perChunk) {
    const n = Math.min(perChunk, rows - start);
    const chunk = transformer.decode(await source.sample(n, start === 0 ? seed : chunkSeeds.nextUint32()), n, columnCount, decodeRandom);
    if (start === 0) {
      out = chunk.map((c): DecodedColumn => {
        if (c.type === 'numeric') return { type: 'numeric', values: new Float64Array(rows) };
        if (c.type === 'categorical') return { type: 'categorical', codes: new Int32Array(rows), levels: c.levels };
        return c.lengths ? { type: 'none', lengths: new Int32Array(rows) } : c;
      });
    }
    chunk.forEach((c, i) => {
      const o = out[i];
      if (c.type === 'numeric' && o.type === 'numeric') o.values.set(c.values, start);
      else if (c.type === 'categorical' && o.type === 'categorical') o.codes.set(c.codes, start);
      else if (c.type === 'none' && o.type === 'none' && c.lengths && o.lengths) o.lengths.set(c.lengths, start);
    });
  }
  return out;
}

export const DEFAULT_LEVEL_CAP = 100;

/** A marker level for the pooled rare values; decoding replaces it, so it never reaches the output. */
const TAIL_LEVEL = '\u0000rare values';

/** Exact categorical facts; beyond `cap` levels, the rarest values are pooled into one level. */
function categoricalFacts(levels: readonly string[], codes: Int32Array, cap: number): CategoricalFacts {
  const counts = new Array<number>(levels.length).fill(0);
  let hasMissing = false;
  for (const code of codes) {
    if (code < 0) hasMissing = true;
    else counts[code]++;
  }
  const seen = levels.map((_, i) => i).filter((i) => counts[i] > 0);
  if (seen.length <= cap) return { type: 'categorical', levels: levels.slice(), hasMissing };
  const byFrequency = seen.sort((a, b) => counts[b] - counts[a] || (levels[a] < levels[b] ? -1 : 1));
  const kept = byFrequency.slice(0, cap - 1);
  const pooled = byFrequency.slice(cap - 1);
  return {
    type: 'categorical',
    levels: [...kept.map((i) => levels[i]), TAIL_LEVEL],
    hasMissing,
    otherLevel: TAIL_LEVEL,
    tail: { values: pooled.map((i) => levels[i]), counts: pooled.map((i) => counts[i]) },
  };
}

/** Point masses: values holding at least `share` of the column (at most a handful). */
export const DEFAULT_SPIKE_SHARE = 0.05;

function frequentValues(values: Float64Array, share: number): number[] {
  const counts = new Map<number, number>();
  for (const x of values) counts.set(x, (counts.get(x) ?? 0) + 1);
  // A column of few distinct values that are all frequent is better served by the mixture
  // alone when it is continuous in nature; but spikes still decode exactly, so keep them.
  const threshold = Math.max(2, share * values.length);
  return [...counts].filter(([, c]) => c >= threshold).sort((a, b) => b[1] - a[1]).slice(0, 10).map(([x]) => x).sort((a, b) => a - b);
}

function nearest(values: number[], x: number): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (Math.abs(values[i] - x) < Math.abs(values[best] - x)) best = i;
  return best;
}

function presentValues(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) n++;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) out[j++] = values[i];
  return out;
}

function argmax(values: ArrayLike<number>, start: number, size: number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < size; i++) {
    const v = values[start + i];
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

function levelMap(from: string[], to: string[]): Int32Array {
  const index = new Map(to.map((level, i) => [level, i]));
  const map = new Int32Array(from.length);
  from.forEach((level, i) => (map[i] = index.get(level) ?? -1));
  return map;
}

/** Send x through the map; `u` in [0, 1) places it within a run of equal knots. */
export function applyQuantileMap(map: QuantileMap, x: number, u: number): number {
  const { from, to } = map;
  const K = from.length - 1;
  if (x <= from[0] && x < from[Math.min(1, K)]) return to[0];
  if (x > from[K]) return to[K];
  // lo: first knot >= x; hi: last knot <= x.
  let a = 0;
  let b = K + 1;
  while (a < b) {
    const m = (a + b) >> 1;
    if (from[m] < x) a = m + 1;
    else b = m;
  }
  const lo = a;
  a = lo;
  b = K + 1;
  while (a < b) {
    const m = (a + b) >> 1;
    if (from[m] <= x) a = m + 1;
    else b = m;
  }
  const hi = a - 1;
  const t = lo <= hi ? lo + u * (hi - lo) : hi + (x - from[hi]) / (from[lo] - from[hi]);
  if (map.discrete) return to[Math.min(K, Math.round(t))];
  const i = Math.min(K - 1, Math.floor(t));
  return to[i] + (t - i) * (to[i + 1] - to[i]);
}
