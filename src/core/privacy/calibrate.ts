import { Random } from '../random';
import type { QuantileMap, TableTransformer } from '../transform/transformer';
import { binIntegers, type ColumnHistogram, type NumericHistogram } from '../release/types';
import type { Schema } from '../schema/types';
import { holdsWholeNumbers, isModelled, type Table } from '../table';

/**
 * Calibration of a trained model to per-column histograms: with DP, the histograms released in
 * preprocessing; without, the training columns' own (trainingHistograms).
 *
 * A network learns marginals only roughly (DP-SGD's noise makes a rare category drift and a
 * bounded column grow tails; a single Gaussian per number has the wrong shape), while the
 * histograms hold every column's distribution. Calibration makes the synthetic columns follow them
 * and leaves the dependence between columns to the network:
 * - every softmax span with a released distribution (categories, missing flags) gets a shift of
 *   its logits so that its average probability over the prior matches the release (the smallest
 *   change, in the KL sense, that does);
 * - every numeric column gets a monotone quantile map from the model's values to the released
 *   histogram (rank order kept, so the model's rank correlations are too).
 *
 * It reads only the released histograms and samples of the trained model: post-processing of
 * differentially private outputs, so it costs no privacy budget.
 */

/** Knots of a quantile map: fine enough for any 10-bin or 128-bin comparison of the column. */
export const QUANTILE_KNOTS = 512;
/** Synthetic rows drawn to estimate the model's own distributions. */
export const CALIBRATION_ROWS = 20000;

/**
 * Target probabilities of each softmax span of the transformer (in span order, value spans
 * skipped, as the model's segments), or undefined where the release says nothing: mixture
 * components are calibrated through the quantile map instead.
 */
export function softmaxTargets(transformer: TableTransformer, histograms: readonly (ColumnHistogram | undefined)[]): (Float64Array | undefined)[] {
  const targets: (Float64Array | undefined)[] = [];
  for (const span of transformer.spans) {
    if (span.kind === 'value') continue;
    const h = histograms[span.column];
    const state = transformer.state.columns.find((c) => c.column === span.column);
    if (!h || !state || span.kind === 'component') {
      targets.push(undefined);
      continue;
    }
    const present = h.type === 'numeric' ? h.counts.reduce((a, b) => a + b, 0) + h.zero : h.counts.reduce((a, b) => a + b, 0);
    if (span.kind === 'missing') {
      targets.push(present + h.missing > 0 ? Float64Array.of(present / (present + h.missing), h.missing / (present + h.missing)) : undefined);
      continue;
    }
    // A category span: levels matched by name; values the span pools (no DP, beyond the level
    // cap) count towards its pooled level.
    if (h.type !== 'categorical' || state.type !== 'categorical' || !(present > 0)) {
      targets.push(undefined);
      continue;
    }
    const slot = new Map(state.levels.map((level, k) => [level, k]));
    const target = new Float64Array(span.size);
    let matched = true;
    h.levels.forEach((level, i) => {
      const k = slot.get(level) ?? state.otherLevel;
      if (k === undefined) matched = false;
      else target[k] += h.counts[i] / present;
    });
    targets.push(matched ? target : undefined);
  }
  return targets;
}

/** Inverse CDF of a released numeric histogram at probabilities k / knots, k = 0..knots. */
export function histogramQuantiles(h: NumericHistogram, knots: number): number[] | undefined {
  // Pieces of probability mass in increasing order: atoms (integer bins, the exact-zero bin) and
  // uniform segments (continuous bins). The zero atom splits the segment that contains 0.
  const pieces: { lo: number; hi: number; mass: number }[] = [];
  h.counts.forEach((mass, i) => {
    if (!(mass > 0)) return;
    if (h.integerBins) pieces.push({ lo: h.edges[i], hi: h.edges[i], mass });
    else if (h.integerValues) {
      // Spread over [first - 0.5, last + 0.5): the writer's rounding then gives the bin's whole numbers.
      const [first, last] = binIntegers(h, i);
      pieces.push({ lo: first - 0.5, hi: last + 0.499, mass });
    } else {
      const lo = h.edges[i];
      const hi = h.edges[i + 1];
      if (h.zero > 0 && lo < 0 && 0 < hi) {
        pieces.push({ lo, hi: 0, mass: (mass * -lo) / (hi - lo) }, { lo: 0, hi, mass: (mass * hi) / (hi - lo) });
      } else pieces.push({ lo, hi, mass });
    }
  });
  if (h.zero > 0) pieces.push({ lo: 0, hi: 0, mass: h.zero });
  pieces.sort((a, b) => a.lo - b.lo || a.hi - b.hi);
  const total = pieces.reduce((a, p) => a + p.mass, 0);
  if (!(total > 0)) return undefined;
  const out: number[] = new Array(knots + 1);
  let piece = 0;
  let before = 0; // mass of the pieces before `piece`
  for (let k = 0; k <= knots; k++) {
    const target = (k / knots) * total;
    while (piece < pieces.length - 1 && before + pieces[piece].mass < target) before += pieces[piece++].mass;
    const p = pieces[piece];
    const within = p.mass > 0 ? Math.min(1, Math.max(0, (target - before) / p.mass)) : 0;
    out[k] = p.lo + within * (p.hi - p.lo);
  }
  return out;
}

/**
 * The quantile map from a sample of the model's values to a released histogram, or undefined when
 * the release shows no values (noise hid every bin: then it carries no shape to calibrate to).
 */
export function fitQuantileMap(modelValues: Float64Array, h: NumericHistogram, knots = QUANTILE_KNOTS): QuantileMap | undefined {
  const present = modelValues.filter((x) => !Number.isNaN(x)).sort();
  const to = histogramQuantiles(h, knots);
  if (!to || present.length < 2) return undefined;
  const from = Array.from({ length: knots + 1 }, (_, k) => present[Math.round((k / knots) * (present.length - 1))]);
  return { from, to, discrete: h.integerBins };
}

/** What calibration needs from the model: a matrix sampler and a logit shift per span. */
export interface CalibratableModel {
  calibrateSoftmax(targets: readonly (Float64Array | undefined)[], random: Random, rows: number): void;
  sample(rows: number, random: Random): Float32Array;
}

/**
 * Calibrate `model` in place (logit shifts) and return the transformer with quantile maps for the
 * numeric columns that have a released histogram.
 */
export function calibrateToHistograms(
  model: CalibratableModel,
  transformer: TableTransformer,
  histograms: readonly (ColumnHistogram | undefined)[],
  columnCount: number,
  seed: number,
): { transformer: TableTransformer; calibratedColumns: number[] } {
  const random = new Random(seed);
  const targets = softmaxTargets(transformer, histograms);
  model.calibrateSoftmax(targets, random, CALIBRATION_ROWS);
  const shifted = transformer.spans.filter((s) => s.kind !== 'value').filter((_, k) => targets[k]).map((s) => s.column);
  const matrix = model.sample(CALIBRATION_ROWS, random);
  const decoded = transformer.decode(matrix, CALIBRATION_ROWS, columnCount, random);
  const maps = new Map<number, QuantileMap>();
  for (const state of transformer.state.columns) {
    const h = histograms[state.column];
    const column = decoded[state.column];
    if (state.type !== 'numeric' || h?.type !== 'numeric' || column.type !== 'numeric') continue;
    const map = fitQuantileMap(column.values, h);
    if (map) maps.set(state.column, map);
  }
  const calibratedColumns = [...new Set([...shifted, ...maps.keys()])].sort((a, b) => a - b);
  return { transformer: transformer.withQuantileMaps(maps), calibratedColumns };
}

/** Fewest training rows behind each bin of a column's own distribution (trainingHistograms). */
export const MIN_ROWS_PER_BIN = 10;

/**
 * The training rows' own column distributions, for calibrating a model trained without privacy:
 * category and missing counts, and for each number equal-count bins of at least MIN_ROWS_PER_BIN
 * rows (at most QUANTILE_KNOTS bins). Inner edges are midpoints between neighbouring values, so no
 * single row's value is stored beyond what the schema already holds (minimum and maximum); tied
 * values give zero-width bins, which calibration treats as point masses.
 */
export function trainingHistograms(schema: Schema, table: Table): (ColumnHistogram | undefined)[] {
  return schema.columns.map((column, index): ColumnHistogram | undefined => {
    const data = table.columns[index];
    if (!isModelled(column) || data.type === 'none') return undefined;
    if (data.type === 'categorical') {
      const counts = new Array<number>(data.levels.length).fill(0);
      let missing = 0;
      for (const code of data.codes) {
        if (code < 0) missing++;
        else counts[code]++;
      }
      return { type: 'categorical', levels: data.levels.slice(), counts, missing };
    }
    const present = Float64Array.from(data.values.filter((x) => !Number.isNaN(x))).sort();
    const n = present.length;
    const missing = data.values.length - n;
    if (n === 0) return undefined;
    const bins = Math.max(1, Math.min(QUANTILE_KNOTS, Math.floor(n / MIN_ROWS_PER_BIN)));
    const ranks = Array.from({ length: bins + 1 }, (_, i) => Math.round((i * n) / bins));
    const edges = ranks.map((r, i) => (i === 0 ? present[0] : i === bins ? present[n - 1] : (present[r - 1] + present[r]) / 2));
    const counts = ranks.slice(1).map((r, i) => r - ranks[i]);
    return { type: 'numeric', edges, integerBins: false, integerValues: holdsWholeNumbers(column), counts, zero: 0, missing, min: present[0], max: present[n - 1] };
  });
}
