/**
 * Privacy metrics of a synthetic table against the real training table (and a holdout of real
 * rows the generator never saw, when there is one).
 *
 * Distances are the SDMetrics DCR distance (see distance.ts), with numeric ranges taken from the
 * real training table for every comparison, so that distances to training and to holdout rows are
 * measured with one ruler. (SDMetrics takes the range from whichever table is the reference, so its
 * DCR to the holdout uses the holdout's ranges.)
 *
 * - exactCopies: synthetic rows equal to some training row on every compared column (numbers
 *   compared exactly, missing equals missing, categories by text). holdoutExactCopies: the same
 *   against the holdout, i.e. how often unseen real people are matched by chance.
 *   holdoutCopiesOfTraining: holdout rows equal to some training row, the rate real people the
 *   generator never saw have, to which the synthetic rate is compared. With no compared
 *   column at all, nothing counts as a copy.
 * - medianDcrTrain / medianDcrHoldout: median distance from each synthetic row to its closest
 *   training / holdout row.
 * - dcrBaselineProtection (SDMetrics DCRBaselineProtection): min(median DCR(S -> T) /
 *   median DCR(Rand -> T), 1), where Rand has as many rows as S (after subsampling), but at most
 *   `baselineRows` (default 2000; SDMetrics: as many as S): numbers
 *   uniform on the training [min, max] (integer and date columns as whole numbers), categories
 *   uniform over the categories observed in training, missing values at the training missing rate
 *   of each column. null when the random median is 0.
 * - holdoutDcrBaselineProtection (holdout only): the same ratio with the holdout rows in place of
 *   the synthetic rows, min(median DCR(H -> T) / median DCR(Rand -> T), 1): the value real people
 *   the generator never saw get, against which the synthetic value is judged.
 * - dcrOverfittingProtection (SDMetrics DCROverfittingProtection, holdout only): p = share of
 *   synthetic rows strictly closer to training than to holdout; score = min(2 (1 - p), 1).
 *   Like SDMetrics this compares against the whole training table, which favours training when it
 *   is larger than the holdout: see `dcrOverfittingProtectionAdjusted` for the size-aware score.
 * - medianNndr: median over synthetic rows of d1 / d2, the distances to the nearest and second
 *   nearest training rows. When d1 = d2 = 0 (the row equals two or more identical training rows)
 *   the ratio is taken as 1, its value whenever d1 = d2: no single record stands out. Copies of
 *   records that occur once in training give 0 and are counted by exactCopies as well.
 * - membershipInference (holdout with at least 2 rows): the holdout rows (after subsampling) are
 *   shuffled and split in half; the first floor(h / 2) are the non-members, the rest is the
 *   reference set of the density attack. Members are a random sample, of the same size as the
 *   non-members, of all training rows. Two attacks score each candidate x:
 *     distance: -DCR(x -> S), the closer to a synthetic row the more likely a member;
 *     density ratio (DOMIAS, van Breugel et al. 2023, with k-nearest-neighbour densities in place
 *     of KDE, k = 5): log(d_k(x, Ref) + eps) - log(d_k(x, S) + eps), eps = 1e-9. A k-NN density is
 *     p(x) = k / (n V d_k(x)^dim), so log p_S(x) / p_Ref(x) = dim (log d_k(x, Ref) - log d_k(x, S))
 *     + a constant: an increasing transform of this score, which leaves the AUC unchanged.
 *   Each attack's AUC (members positive) comes with a DeLong 95 % interval; advantage is the
 *   largest TPR - FPR over thresholds of the attack with the larger AUC, and
 *   membershipInferenceAuc is that larger AUC.
 * - dcrHistogram: 20 equal bins on [0, max DCR] (over the training and holdout DCRs; [0, 1] when
 *   every DCR is 0), counts of synthetic rows.
 * - rareCategories: categories seen fewer than `rareThreshold` times (but at least once) in the
 *   training table that appear in the synthetic table.
 * - identifiersCarried: identifier columns are not loaded into Tables, so this is left empty here;
 *   fill it with `identifiersCarried()` from the raw text columns.
 *
 * Tables larger than `maxRows` are subsampled (seeded, without replacement) for the distance
 * metrics only; exact copies and rare categories always use every row. `distanceRows` reports the
 * rows used. On wide files the distance metrics compare a seeded sample of the columns
 * (DISTANCE_CELL_VISITS); `distanceColumns` reports which.
 */
import { Random } from '../random';
import { isMissingToken, trimValue } from '../schema/infer';
import type { Schema } from '../schema/types';
import { holdsWholeNumbers, type ColumnData, type Table } from '../table';
import { nearest, prepareRows, subsetRows, type EncodedRows } from './distance';
import type { AucEstimate, MembershipInference, PrivacyResult } from './types';

export interface PrivacyOptions {
  /** Real rows not used for training. */
  holdout?: Table;
  /** Seed of every random choice (subsamples, random baseline, membership split). Default 0. */
  seed?: number;
  /** A real category seen fewer times than this is rare. Default 5. */
  rareThreshold?: number;
  /** Each table above this many rows is subsampled for the distance metrics. Default 50000. */
  maxRows?: number;
  /**
   * Rows of the random baseline of dcrBaselineProtection: min(this, synthetic rows used). Default
   * 2000 (SDMetrics uses as many as the synthetic rows; only the median of their DCRs is used, and
   * random rows are the slowest to search, being far from everything).
   */
  baselineRows?: number;
  /** Work bound of the distance metrics (default DISTANCE_CELL_VISITS); see `distanceColumnBound`. */
  distanceCellVisits?: number;
}

/**
 * On a wide file of unrelated columns every row is far from every other and the nearest-record
 * search approaches brute force: synthetic rows x training rows x columns (500 columns x 4,000
 * rows: about 15 minutes of privacy measures). So the distance metrics compare at most
 * max(DISTANCE_MIN_COLUMNS, floor(DISTANCE_CELL_VISITS / (synthetic rows x training rows))) columns
 * (rows after `maxRows`), a seeded uniform sample beyond it. Columns, not rows, are sampled: every
 * training row stays a candidate, so a synthetic row that copies someone (on all columns) still
 * sits at distance 0 from them. Exact copies always compare every column.
 */
export const DISTANCE_CELL_VISITS = 1e9;
export const DISTANCE_MIN_COLUMNS = 80;

/** The distance metrics' column bound for these row counts, and the rule in words. */
export function distanceColumnBound(syntheticRows: number, trainRows: number, cellVisits = DISTANCE_CELL_VISITS): { columns: number; rule: string } {
  const columns = Math.max(DISTANCE_MIN_COLUMNS, Math.floor(cellVisits / Math.max(1, syntheticRows * trainRows)));
  return {
    columns,
    rule: `at most max(${DISTANCE_MIN_COLUMNS}, ${cellVisits.toLocaleString('en-GB')} / (synthetic rows x training rows)) = ${columns.toLocaleString('en-GB')} columns, a seeded uniform sample beyond it`,
  };
}

/** PrivacyResult plus details behind its numbers (all extra fields are additions to the shape). */
export interface PrivacyDetails extends PrivacyResult {
  distanceColumns: NonNullable<PrivacyResult['distanceColumns']>;
  /** Rows each distance metric used, after subsampling to `maxRows`. */
  distanceRows: { train: number; synthetic: number; holdout?: number; baseline: number; maxRows: number; subsampled: boolean };
  /** Median DCR of the random baseline rows to training: the denominator of dcrBaselineProtection. */
  medianDcrRandom: number;
  /** Share of synthetic rows strictly closer to training than to holdout (SDMetrics closer_to_training). */
  closerToTraining?: number;
  /**
   * What closerToTraining would be if the synthetic rows were drawn independently of the training
   * rows: p0 = |T| / (|T| + |H|) (rows used). The nearest of the |T| + |H| real rows is then
   * equally likely to be any of them. SDMetrics' score assumes p0 = 1/2, i.e. |T| = |H|.
   */
  expectedCloserToTraining?: number;
  /**
   * dcrOverfittingProtection measured against that expectation: min((1 - p) / (1 - p0), 1). Equal
   * to the SDMetrics score when |T| = |H|; otherwise it does not penalise a generator merely
   * because training is larger than the holdout (SDMetrics warns when the holdout is smaller than
   * half of training; with a 20 % holdout, p0 = 0.8 and the SDMetrics score of an ideal generator
   * is about 0.4).
   */
  dcrOverfittingProtectionAdjusted?: number;
}

const HISTOGRAM_BINS = 20;
const DENSITY_K = 5;
const DENSITY_EPSILON = 1e-9;
const Z95 = 1.959963984540054;

export function evaluatePrivacy(schema: Schema, train: Table, synthetic: Table, options: PrivacyOptions = {}): PrivacyDetails {
  if (train.rowCount === 0) throw new Error('evaluatePrivacy: the training table has no rows');
  if (synthetic.rowCount === 0) throw new Error('evaluatePrivacy: the synthetic table has no rows');
  const holdout = options.holdout && options.holdout.rowCount > 0 ? options.holdout : undefined;
  const rareThreshold = options.rareThreshold ?? 5;
  const maxRows = Math.max(1, Math.floor(options.maxRows ?? 50000));
  const random = new Random(options.seed ?? 0);
  // One stream per purpose, drawn in a fixed order, so one option does not shift another's draws.
  const sampleRandom = random.fork();
  const baselineRandom = random.fork();
  const membershipRandom = random.fork();
  const columnRandom = random.fork();

  // Exact copies and rare categories: every row, by hashing.
  const compared = schema.columns.map((_, i) => i).filter((i) => (train.columns[i]?.type ?? 'none') !== 'none');
  const trainKeys = new Set(rowKeys(train, compared));
  const syntheticKeys = rowKeys(synthetic, compared);
  const exactCopies = countIn(syntheticKeys, trainKeys, synthetic.rowCount);
  const holdoutKeys = holdout ? rowKeys(holdout, compared) : undefined;
  const holdoutExactCopies = holdoutKeys ? countIn(syntheticKeys, new Set(holdoutKeys), synthetic.rowCount) : undefined;
  const holdoutCopiesOfTraining = holdoutKeys ? countIn(holdoutKeys, trainKeys, holdoutKeys.length) : undefined;
  const rareCategories = findRareCategories(schema, train, synthetic, rareThreshold);

  // Distances.
  const syntheticUsed = Math.min(synthetic.rowCount, maxRows);
  const baselineSize = Math.max(1, Math.min(syntheticUsed, Math.floor(options.baselineRows ?? 2000)));
  const baseline = randomBaseline(schema, train, baselineSize, baselineRandom);
  const bound = distanceColumnBound(syntheticUsed, Math.min(train.rowCount, maxRows), options.distanceCellVisits);
  const columnsSampled = compared.length > bound.columns;
  const distanceColumns = columnsSampled ? Array.from(sampleIndices(compared.length, bound.columns, columnRandom), (j) => compared[j]) : compared;
  const encoded = prepareRows(schema, holdout ? [train, synthetic, baseline, holdout] : [train, synthetic, baseline], { columns: distanceColumns });
  const trainAll = encoded[0];
  const trainRows = subsample(trainAll, maxRows, sampleRandom);
  const syntheticRows = subsample(encoded[1], maxRows, sampleRandom);
  const baselineRows = encoded[2];
  const holdoutRows = holdout ? subsample(encoded[3], maxRows, sampleRandom) : undefined;

  const toTrain = nearest(syntheticRows, trainRows, { k: 2 });
  const dcrTrain = toTrain.d1;
  const medianDcrTrain = median(dcrTrain);
  const nndr = new Float64Array(syntheticRows.n);
  for (let i = 0; i < syntheticRows.n; i++) {
    const d1 = toTrain.d1[i];
    const d2 = toTrain.d2![i];
    nndr[i] = d2 > 0 ? d1 / d2 : 1;
  }
  const medianDcrRandom = median(nearest(baselineRows, trainRows).d1);
  const dcrBaselineProtection = medianDcrRandom > 0 ? Math.min(medianDcrTrain / medianDcrRandom, 1) : null;

  const result: PrivacyDetails = {
    exactCopies,
    ...(holdoutExactCopies ? { holdoutExactCopies } : {}),
    ...(holdoutCopiesOfTraining ? { holdoutCopiesOfTraining } : {}),
    dcrBaselineProtection,
    medianDcrTrain,
    medianNndr: median(nndr),
    dcrHistogram: { edges: [], train: [] },
    rareCategories,
    identifiersCarried: [],
    distanceColumns: {
      total: compared.length,
      used: distanceColumns.length,
      sampled: columnsSampled,
      rule: bound.rule,
      ...(columnsSampled ? { columns: distanceColumns.map((i) => schema.columns[i].name) } : {}),
    },
    distanceRows: {
      train: trainRows.n,
      synthetic: syntheticRows.n,
      ...(holdoutRows ? { holdout: holdoutRows.n } : {}),
      baseline: baselineRows.n,
      maxRows,
      subsampled: trainRows.n < train.rowCount || syntheticRows.n < synthetic.rowCount || (!!holdout && holdoutRows!.n < holdout.rowCount),
    },
    medianDcrRandom,
  };

  let dcrHoldout: Float64Array | undefined;
  if (holdoutRows) {
    dcrHoldout = nearest(syntheticRows, holdoutRows).d1;
    result.medianDcrHoldout = median(dcrHoldout);
    const p = shareCloser(dcrTrain, dcrHoldout);
    result.closerToTraining = p;
    result.dcrOverfittingProtection = Math.min(2 * (1 - p), 1);
    const p0 = trainRows.n / (trainRows.n + holdoutRows.n);
    result.expectedCloserToTraining = p0;
    result.dcrOverfittingProtectionAdjusted = Math.min((1 - p) / (1 - p0), 1);
    const holdoutToTrain = median(nearest(holdoutRows, trainRows).d1);
    result.medianDcrHoldoutToTrain = holdoutToTrain;
    result.holdoutDcrBaselineProtection = medianDcrRandom > 0 ? Math.min(holdoutToTrain / medianDcrRandom, 1) : null;
    const membership = membershipInference(trainAll, syntheticRows, holdoutRows, membershipRandom);
    if (membership) {
      result.membershipInference = membership;
      result.membershipInferenceAuc = Math.max(membership.distance.auc, membership.densityRatio.auc);
    }
  }
  result.dcrHistogram = histogram(dcrTrain, dcrHoldout);
  return result;
}

/**
 * Identifier columns whose real values reappear in the synthetic file. Values are compared after
 * trimming; missing tokens ('', NA, NULL, ...) never count.
 */
export function identifiersCarried(realValues: Map<string, Set<string>>, syntheticValues: Map<string, string[]>): string[] {
  const carried: string[] = [];
  for (const [column, values] of syntheticValues) {
    const real = realValues.get(column);
    if (!real || real.size === 0) continue;
    const trimmed = new Set<string>();
    for (const v of real) trimmed.add(trimValue(v));
    for (const raw of values) {
      const v = trimValue(raw);
      if (isMissingToken(v)) continue;
      if (trimmed.has(v)) {
        carried.push(column);
        break;
      }
    }
  }
  return carried;
}

/**
 * ROC AUC of scores for positives against negatives (Mann-Whitney U / (m n), ties count one half),
 * with a 95 % DeLong interval (normal approximation, clipped to [0, 1]). Hanley-McNeil is used
 * when a class has a single member. NaN everywhere when either class is empty.
 */
export function rocAuc(scoresPositive: ArrayLike<number>, scoresNegative: ArrayLike<number>): AucEstimate {
  const m = scoresPositive.length;
  const n = scoresNegative.length;
  if (m === 0 || n === 0) return { auc: NaN, low: NaN, high: NaN };
  const pos = Float64Array.from(scoresPositive);
  const neg = Float64Array.from(scoresNegative);
  const all = new Float64Array(m + n);
  all.set(pos);
  all.set(neg, m);
  const rankAll = midranks(all);
  const rankPos = midranks(pos);
  const rankNeg = midranks(neg);
  let sumPos = 0;
  for (let i = 0; i < m; i++) sumPos += rankAll[i];
  const auc = (sumPos - (m * (m + 1)) / 2) / (m * n);
  let variance: number;
  if (m > 1 && n > 1) {
    // DeLong: structural components V10 (per positive) and V01 (per negative).
    let s10 = 0;
    for (let i = 0; i < m; i++) {
      const v = (rankAll[i] - rankPos[i]) / n;
      s10 += (v - auc) * (v - auc);
    }
    let s01 = 0;
    for (let j = 0; j < n; j++) {
      const v = 1 - (rankAll[m + j] - rankNeg[j]) / m;
      s01 += (v - auc) * (v - auc);
    }
    variance = s10 / (m - 1) / m + s01 / (n - 1) / n;
  } else {
    const q1 = auc / (2 - auc);
    const q2 = (2 * auc * auc) / (1 + auc);
    variance = (auc * (1 - auc) + (m - 1) * (q1 - auc * auc) + (n - 1) * (q2 - auc * auc)) / (m * n);
  }
  const half = Z95 * Math.sqrt(Math.max(variance, 0));
  return { auc, low: Math.max(0, auc - half), high: Math.min(1, auc + half) };
}

/** Largest TPR - FPR over thresholds "score >= t means positive" (0 for the empty rule). */
export function maxAdvantage(scoresPositive: ArrayLike<number>, scoresNegative: ArrayLike<number>): number {
  const m = scoresPositive.length;
  const n = scoresNegative.length;
  if (m === 0 || n === 0) return 0;
  const items: { s: number; positive: boolean }[] = [];
  for (let i = 0; i < m; i++) items.push({ s: scoresPositive[i], positive: true });
  for (let j = 0; j < n; j++) items.push({ s: scoresNegative[j], positive: false });
  items.sort((a, b) => (a.s < b.s ? 1 : a.s > b.s ? -1 : 0));
  let tp = 0;
  let fp = 0;
  let best = 0;
  for (let i = 0; i < items.length; ) {
    const s = items[i].s;
    while (i < items.length && items[i].s === s) {
      if (items[i].positive) tp++;
      else fp++;
      i++;
    }
    const advantage = tp / m - fp / n;
    if (advantage > best) best = advantage;
  }
  return best;
}

function membershipInference(
  trainAll: EncodedRows,
  syntheticRows: EncodedRows,
  holdoutRows: EncodedRows,
  random: Random,
): MembershipInference | undefined {
  const half = Math.floor(holdoutRows.n / 2);
  const size = Math.min(half, trainAll.n);
  if (size < 1) return undefined;
  const shuffled = Int32Array.from({ length: holdoutRows.n }, (_, i) => i);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = shuffled[i];
    shuffled[i] = shuffled[j];
    shuffled[j] = t;
  }
  const nonMembers = subsetRows(holdoutRows, shuffled.subarray(0, size));
  const reference = subsetRows(holdoutRows, shuffled.subarray(half));
  const members = subsetRows(trainAll, sampleIndices(trainAll.n, size, random));
  const k = Math.max(1, Math.min(DENSITY_K, syntheticRows.n, reference.n));

  const score = (rows: EncodedRows): { distance: Float64Array; density: Float64Array } => {
    const toSynthetic = nearest(rows, syntheticRows, { k });
    const toReference = nearest(rows, reference, { k });
    const distance = new Float64Array(rows.n);
    const density = new Float64Array(rows.n);
    for (let i = 0; i < rows.n; i++) {
      distance[i] = -toSynthetic.d1[i];
      density[i] = Math.log(toReference.dk[i] + DENSITY_EPSILON) - Math.log(toSynthetic.dk[i] + DENSITY_EPSILON);
    }
    return { distance, density };
  };
  const inside = score(members);
  const outside = score(nonMembers);
  const distance = rocAuc(inside.distance, outside.distance);
  const densityRatio = rocAuc(inside.density, outside.density);
  const stronger = densityRatio.auc > distance.auc ? 'density' : 'distance';
  return {
    members: members.n,
    nonMembers: nonMembers.n,
    distance,
    densityRatio,
    advantage: maxAdvantage(inside[stronger], outside[stronger]),
  };
}

/** Midranks (1-based, ties share their mean rank). */
function midranks(values: Float64Array): Float64Array {
  const n = values.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : 0,
  );
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && values[order[j]] === values[order[i]]) j++;
    const rank = (i + j + 1) / 2; // mean of ranks i+1 .. j
    for (let t = i; t < j; t++) ranks[order[t]] = rank;
    i = j;
  }
  return ranks;
}

function shareCloser(toTrain: Float64Array, toHoldout: Float64Array): number {
  let closer = 0;
  for (let i = 0; i < toTrain.length; i++) if (toTrain[i] < toHoldout[i]) closer++;
  return toTrain.length > 0 ? closer / toTrain.length : 0;
}

function median(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

function histogram(train: Float64Array, holdout?: Float64Array): PrivacyResult['dcrHistogram'] {
  let max = 0;
  for (const d of train) if (d > max && Number.isFinite(d)) max = d;
  if (holdout) for (const d of holdout) if (d > max && Number.isFinite(d)) max = d;
  if (!(max > 0)) max = 1;
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => (max * i) / HISTOGRAM_BINS);
  edges[HISTOGRAM_BINS] = max;
  const count = (values: Float64Array): number[] => {
    const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
    for (const d of values) {
      if (!Number.isFinite(d)) continue;
      const bin = Math.min(HISTOGRAM_BINS - 1, Math.floor((d / max) * HISTOGRAM_BINS));
      counts[bin]++;
    }
    return counts;
  };
  return holdout ? { edges, train: count(train), holdout: count(holdout) } : { edges, train: count(train) };
}

/** `size` distinct indices from 0..n-1, chosen uniformly, in increasing order. */
export function sampleIndices(n: number, size: number, random: Random): Int32Array {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const take = Math.min(size, n);
  for (let i = 0; i < take; i++) {
    const j = i + random.int(n - i);
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return all.slice(0, take).sort();
}

function subsample(rows: EncodedRows, maxRows: number, random: Random): EncodedRows {
  return rows.n > maxRows ? subsetRows(rows, sampleIndices(rows.n, maxRows, random)) : rows;
}

/** One string per row identifying its values on the compared columns (categories by text). */
function rowKeys(table: Table, compared: number[]): string[] {
  const keys = new Array<string>(table.rowCount);
  const cells: (string | number | null)[] = new Array(compared.length);
  for (let r = 0; r < table.rowCount; r++) {
    for (let j = 0; j < compared.length; j++) {
      const data = table.columns[compared[j]];
      if (data.type === 'numeric') {
        const v = data.values[r];
        cells[j] = v === v ? v : null;
      } else if (data.type === 'categorical') {
        const code = data.codes[r];
        cells[j] = code < 0 ? null : data.levels[code];
      } else cells[j] = null;
    }
    keys[r] = JSON.stringify(cells);
  }
  return keys;
}

function countIn(keys: string[], set: Set<string>, total: number): { count: number; rate: number } {
  let count = 0;
  for (const key of keys) if (key !== '[]' && set.has(key)) count++; // '[]': nothing compared
  return { count, rate: total > 0 ? count / total : 0 };
}

function findRareCategories(schema: Schema, train: Table, synthetic: Table, threshold: number): PrivacyResult['rareCategories'] {
  const out: PrivacyResult['rareCategories'] = [];
  for (let i = 0; i < schema.columns.length; i++) {
    const real = train.columns[i];
    const syn = synthetic.columns[i];
    if (real?.type !== 'categorical' || syn?.type !== 'categorical') continue;
    const realCounts = countLevels(real);
    const synCounts = countLevels(syn);
    const rows: PrivacyResult['rareCategories'] = [];
    for (const [value, realCount] of realCounts) {
      if (realCount <= 0 || realCount >= threshold) continue;
      const syntheticCount = synCounts.get(value) ?? 0;
      if (syntheticCount > 0) rows.push({ column: schema.columns[i].name, value, realCount, syntheticCount });
    }
    rows.sort((a, b) => a.realCount - b.realCount || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    out.push(...rows);
  }
  return out;
}

function countLevels(data: Extract<ColumnData, { type: 'categorical' }>): Map<string, number> {
  const perCode = new Array<number>(data.levels.length).fill(0);
  for (let r = 0; r < data.codes.length; r++) if (data.codes[r] >= 0) perCode[data.codes[r]]++;
  const counts = new Map<string, number>();
  data.levels.forEach((level, code) => counts.set(level, (counts.get(level) ?? 0) + perCode[code]));
  return counts;
}

/**
 * SDMetrics' random baseline: `rows` rows, numbers uniform on the training [min, max] (whole
 * numbers for integer and date columns), categories uniform over those observed in training,
 * each cell missing with the training missing rate of its column.
 */
function randomBaseline(schema: Schema, train: Table, rows: number, random: Random): Table {
  const columns: ColumnData[] = train.columns.map((data, i) => {
    if (data.type === 'none') return { type: 'none' };
    if (data.type === 'numeric') {
      let min = Infinity;
      let max = -Infinity;
      let missing = 0;
      for (const v of data.values) {
        if (v !== v) missing++;
        else {
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
      const rate = data.values.length > 0 ? missing / data.values.length : 0;
      const whole = holdsWholeNumbers(schema.columns[i]) && Number.isInteger(min) && Number.isInteger(max);
      const values = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        if (min > max || random.next() < rate) values[r] = NaN;
        else values[r] = whole ? min + random.int(max - min + 1) : min + random.next() * (max - min);
      }
      return { type: 'numeric', values };
    }
    const seen = new Uint8Array(data.levels.length);
    let missing = 0;
    for (const code of data.codes) {
      if (code < 0) missing++;
      else seen[code] = 1;
    }
    const observed: number[] = [];
    seen.forEach((s, code) => {
      if (s) observed.push(code);
    });
    const rate = data.codes.length > 0 ? missing / data.codes.length : 0;
    const codes = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      codes[r] = observed.length === 0 || random.next() < rate ? -1 : observed[random.int(observed.length)];
    }
    return { type: 'categorical', codes, levels: data.levels };
  });
  return { rowCount: rows, columns, rowIndex: Int32Array.from({ length: rows }, (_, i) => i) };
}
