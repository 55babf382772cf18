/**
 * Machine-learning utility: train one model on the real training rows and one, with the same
 * settings, on the synthetic rows; test both on a held-out real test set (TRTR vs TSTR). Also
 * fairness: the same comparison, and column-shape fidelity, within each group of a protected
 * column.
 *
 * Tables are loaded separately, so category codes differ between them: features and the target
 * are put into one dictionary by text (see FeatureSpace). Rows whose target is missing are dropped
 * from every table.
 */
import { rocAuc as mannWhitneyAuc, sampleIndices } from './privacy';
import { Random } from '../random';
import { isModelled, type ColumnData, type Table } from '../table';
import type { ColumnSchema, Schema } from '../schema/types';
import {
  FeatureSpace,
  Gbdt,
  remapCodes,
  selectMatrixRows,
  sharedLevels,
  type FeatureMatrix,
  type GbdtOptions,
} from './gbdt';
import type { ClassificationScores, FairnessGroup, FairnessResult, RegressionScores, UtilityResult } from './types';

/** What each arm's scores carry beyond the shared shapes. */
export interface ArmExtras {
  /** Rows the arm's model was trained on (rows with a target value). */
  trainRows: number;
  /** Set when the model could not be trained normally, e.g. only one class in its training rows. */
  note?: string;
}
export type ArmClassificationScores = ClassificationScores & ArmExtras;
export type ArmRegressionScores = RegressionScores & ArmExtras;

/** The categories a default classification target may have. */
export const DEFAULT_TARGET_CATEGORIES = { min: 2, max: 20 } as const;

/**
 * Column names (lower-cased, punctuation removed) that say "outcome". Exact names only, so that
 * covariates such as `marital_status` do not match.
 */
export const OUTCOME_NAMES: ReadonlySet<string> = new Set([
  'death',
  'dead',
  'died',
  'hospdead',
  'mortality',
  'survived',
  'survival',
  'status',
  'vitalstatus',
  'outcome',
  'event',
  'readmitted',
  'readmission',
  'diagnosis',
  'response',
  'target',
  'label',
  'class',
  'y',
]);

/** The default-target rule, in words, for documentation and the report. */
export const DEFAULT_TARGET_RULE =
  'among modelled categorical and boolean columns with 2 to 20 categories, the last one named like an outcome ' +
  '(death, died, hospdead, status, outcome, target, label, class, ...), else the last one (outcome columns such as ' +
  'income are usually last); if there is none, the last continuous or integer column';

export const UTILITY_ROUNDS = 200;

/**
 * The boosted trees' work grows with training rows x features (x rounds): on a wide file (500
 * columns x 4,000 rows) the two models took about 16 minutes. So both models use at most
 * max(UTILITY_MIN_FEATURES, floor(UTILITY_ROW_FEATURES / rows)) feature columns, rows being the
 * larger of the real training and synthetic rows; beyond it, the same seeded uniform sample for
 * both models, so the comparison of the two stays fair.
 */
export const UTILITY_ROW_FEATURES = 4e5;
export const UTILITY_MIN_FEATURES = 50;

/** The utility models' feature bound for this many training rows, and the rule in words. */
export function utilityFeatureBound(rows: number, rowFeatures = UTILITY_ROW_FEATURES): { features: number; rule: string } {
  const features = Math.max(UTILITY_MIN_FEATURES, Math.floor(rowFeatures / Math.max(1, rows)));
  return {
    features,
    rule: `at most max(${UTILITY_MIN_FEATURES}, ${rowFeatures.toLocaleString('en-GB')} / training rows) = ${features.toLocaleString('en-GB')} feature columns (training rows: the larger of the real and synthetic ones), a seeded uniform sample beyond it`,
  };
}

/**
 * The column to predict when the user names none (DEFAULT_TARGET_RULE): among modelled
 * categorical/boolean columns with 2-20 categories, the last one whose name is an outcome name
 * (OUTCOME_NAMES), else the last one; with none, the last modelled continuous/integer column.
 * Undefined when there is no such column or no other modelled column to predict it from.
 */
export function defaultTarget(schema: Schema): { column: string; reason: string } | undefined {
  const modelled = schema.columns.filter(isModelled);
  if (modelled.length < 2) return undefined;
  const { min, max } = DEFAULT_TARGET_CATEGORIES;
  const categories = (c: ColumnSchema) => c.categories?.length ?? c.distinctCount;
  const candidates = modelled.filter(
    (c) => (c.kind === 'categorical' || c.kind === 'boolean') && categories(c) >= min && categories(c) <= max,
  );
  const named = candidates.filter((c) => OUTCOME_NAMES.has(c.name.toLowerCase().replace(/[^a-z0-9]/g, '')));
  if (named.length) {
    const c = named[named.length - 1];
    return {
      column: c.name,
      reason: `default: the last ${c.kind} column named like an outcome, with ${min}-${max} categories (it has ${categories(c)})`,
    };
  }
  if (candidates.length) {
    const c = candidates[candidates.length - 1];
    return {
      column: c.name,
      reason: `default: the last ${c.kind} column with ${min}-${max} categories (it has ${categories(c)}); outcome columns are usually last`,
    };
  }
  for (let i = modelled.length - 1; i >= 0; i--) {
    const c = modelled[i];
    if (c.kind === 'continuous' || c.kind === 'integer') {
      return {
        column: c.name,
        reason: `default: no categorical column has ${min}-${max} categories, so the last numeric column`,
      };
    }
  }
  return undefined;
}

/** The rows of `table` for which `predicate(row)` holds (rows numbered 0..rowCount-1), in order. */
export function filterRows(table: Table, predicate: (row: number) => boolean): Table {
  const keep = new Int32Array(table.rowCount);
  let n = 0;
  for (let r = 0; r < table.rowCount; r++) if (predicate(r)) keep[n++] = r;
  const rows = keep.subarray(0, n);
  const columns = table.columns.map((c): ColumnData => {
    if (c.type === 'numeric') {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = c.values[rows[i]];
      return { type: 'numeric', values };
    }
    if (c.type === 'categorical') {
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = c.codes[rows[i]];
      return { type: 'categorical', codes, levels: c.levels };
    }
    return { type: 'none' };
  });
  const rowIndex = new Int32Array(n);
  for (let i = 0; i < n; i++) rowIndex[i] = table.rowIndex[rows[i]];
  return { rowCount: n, columns, rowIndex };
}

// ---------------------------------------------------------------------------------------------
// Preparation and training

interface Prepared {
  task: 'classification' | 'regression';
  target: string;
  /** Classification: the target's categories, one dictionary for all tables. */
  classes: string[];
  /** Classes present in the real training rows or the test rows: those ROC AUC is computed on. */
  evaluatedClasses: number[];
  train: { X: FeatureMatrix; y: Int32Array | Float64Array };
  synthetic: { X: FeatureMatrix; y: Int32Array | Float64Array };
  test: { X: FeatureMatrix; y: Int32Array | Float64Array; rows: Int32Array };
  features: NonNullable<UtilityResult['features']>;
}

function targetIndex(schema: Schema, target: string): number {
  const i = schema.columns.findIndex((c) => c.name === target);
  if (i < 0) throw new Error(`there is no column named "${target}"`);
  return i;
}

function prepare(schema: Schema, train: Table, synthetic: Table, test: Table, target: string, seed: number, rowFeatures?: number): Prepared {
  const ti = targetIndex(schema, target);
  const column = schema.columns[ti];
  const tables = [train, synthetic, test];
  const type = train.columns[ti].type;
  if (type === 'none' || tables.some((t) => t.columns[ti].type !== type)) {
    throw new Error(
      `the target "${target}" cannot be predicted: it is not a modelled column (kind ${column.kind}${column.exclude ? ', excluded' : ''})`,
    );
  }
  const candidates = schema.columns.filter((c, i) => i !== ti && (train.columns[i]?.type ?? 'none') !== 'none').map((c) => c.name);
  const bound = utilityFeatureBound(Math.max(train.rowCount, synthetic.rowCount), rowFeatures);
  const sampled = candidates.length > bound.features;
  const kept = sampled ? new Set(Array.from(sampleIndices(candidates.length, bound.features, new Random(seed)), (j) => candidates[j])) : undefined;
  const left = kept ? candidates.filter((name) => !kept.has(name)) : [];
  const space = FeatureSpace.fromTables(schema, tables, { exclude: [target, ...left] });
  const features = { total: candidates.length, used: space.names.length, sampled, rule: bound.rule, ...(sampled ? { columns: space.names } : {}) };
  const keptRows: Int32Array[] = [];
  const ys: (Int32Array | Float64Array)[] = [];
  let classes: string[] = [];
  if (type === 'categorical') {
    const shared = sharedLevels(tables, ti);
    classes = shared.levels;
    tables.forEach((t, j) => {
      const labels = remapCodes((t.columns[ti] as { codes: Int32Array }).codes, shared.remaps[j]);
      const rows = rowsWhere(t.rowCount, (r) => labels[r] >= 0);
      keptRows.push(rows);
      ys.push(Int32Array.from(rows, (r) => labels[r]));
    });
  } else {
    tables.forEach((t) => {
      const values = (t.columns[ti] as { values: Float64Array }).values;
      const rows = rowsWhere(t.rowCount, (r) => !Number.isNaN(values[r]));
      keptRows.push(rows);
      ys.push(Float64Array.from(rows, (r) => values[r]));
    });
  }
  const X = tables.map((t, j) => selectMatrixRows(space.matrix(t), keptRows[j]));
  const evaluated = new Set<number>();
  if (type === 'categorical') for (const y of [ys[0], ys[2]]) for (const c of y) evaluated.add(c);
  return {
    task: type === 'categorical' ? 'classification' : 'regression',
    target,
    classes,
    evaluatedClasses: [...evaluated].sort((a, b) => a - b),
    train: { X: X[0], y: ys[0] },
    synthetic: { X: X[1], y: ys[1] },
    test: { X: X[2], y: ys[2], rows: keptRows[2] },
    features,
  };
}

function rowsWhere(n: number, predicate: (row: number) => boolean): Int32Array {
  const out = new Int32Array(n);
  let m = 0;
  for (let r = 0; r < n; r++) if (predicate(r)) out[m++] = r;
  return out.slice(0, m);
}

interface ArmPrediction {
  /** Classification: test rows × classes probabilities (row-major); regression: values. */
  predictions: Float64Array;
  trainRows: number;
  note?: string;
}

function modelOptions(rounds: number, seed: number): Omit<GbdtOptions, 'objective'> {
  return { rounds, seed, learningRate: 0.1, maxDepth: 6, maxLeaves: 31, lambda: 1, minChildSamples: 20, minChildWeight: 1e-3 };
}

function describeModel(rounds: number): string {
  return `gradient-boosted trees (histogram; ${rounds} rounds, learning rate 0.1, up to 31 leaves, depth 6, L2 1)`;
}

function fitArm(p: Prepared, arm: { X: FeatureMatrix; y: Int32Array | Float64Array }, who: string, rounds: number, seed: number): ArmPrediction {
  const nTest = p.test.X.rows;
  const n = arm.X.rows;
  const base = modelOptions(rounds, seed);
  if (p.task === 'regression') {
    if (n === 0) {
      return { predictions: new Float64Array(nTest), trainRows: 0, note: `the ${who} rows have no value of ${p.target}; the model predicts 0` };
    }
    const model = Gbdt.fit(arm.X, arm.y, { ...base, objective: 'regression' });
    return { predictions: model.predict(p.test.X), trainRows: n };
  }
  const K = p.classes.length;
  const y = arm.y as Int32Array;
  const probs = new Float64Array(nTest * K);
  const present = [...new Set(y)].sort((a, b) => a - b);
  if (present.length === 0) {
    probs.fill(1 / Math.max(1, K));
    return { predictions: probs, trainRows: 0, note: `the ${who} rows have no value of ${p.target}; the model cannot prefer any class` };
  }
  if (present.length === 1) {
    const c = present[0];
    for (let r = 0; r < nTest; r++) probs[r * K + c] = 1;
    return {
      predictions: probs,
      trainRows: n,
      note: `the ${who} rows have only one class of ${p.target} (${JSON.stringify(p.classes[c])}); the model predicts it for every row`,
    };
  }
  if (present.length === 2) {
    const [c0, c1] = present;
    const labels = Int32Array.from(y, (c) => (c === c1 ? 1 : 0));
    const model = Gbdt.fit(arm.X, labels, { ...base, objective: 'binary' });
    const p1 = model.predict(p.test.X);
    for (let r = 0; r < nTest; r++) {
      probs[r * K + c1] = p1[r];
      probs[r * K + c0] = 1 - p1[r];
    }
    return { predictions: probs, trainRows: n };
  }
  const local = new Int32Array(K).fill(-1);
  present.forEach((c, i) => (local[c] = i));
  const labels = Int32Array.from(y, (c) => local[c]);
  const k = present.length;
  const model = Gbdt.fit(arm.X, labels, { ...base, objective: 'multiclass', numClasses: k });
  const pk = model.predict(p.test.X);
  for (let r = 0; r < nTest; r++) for (let i = 0; i < k; i++) probs[r * K + present[i]] = pk[r * k + i];
  return { predictions: probs, trainRows: n };
}

// ---------------------------------------------------------------------------------------------
// Scores

/** ROC AUC of `scores` for `positive` labels (Mann-Whitney, ties averaged); null without both labels. */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number | null {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < scores.length; i++) (positive[i] ? pos : neg).push(scores[i]);
  if (pos.length === 0 || neg.length === 0) return null;
  return mannWhitneyAuc(pos, neg).auc;
}

function classificationScores(p: Prepared, probs: Float64Array, rows: ArrayLike<number>): ClassificationScores {
  const K = p.classes.length;
  const truth = p.test.y as Int32Array;
  const n = rows.length;
  const predicted = new Int32Array(n);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const base = rows[i] * K;
    let best = 0;
    for (let k = 1; k < K; k++) if (probs[base + k] > probs[base + best]) best = k;
    predicted[i] = best;
    if (best === truth[rows[i]]) correct++;
  }
  // Macro F1 over the classes that are true or predicted (as scikit-learn).
  const tp = new Float64Array(K);
  const fp = new Float64Array(K);
  const fn = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    const t = truth[rows[i]];
    const q = predicted[i];
    if (t === q) tp[t]++;
    else {
      fp[q]++;
      fn[t]++;
    }
  }
  let f1Sum = 0;
  let labels = 0;
  for (let k = 0; k < K; k++) {
    const denominator = 2 * tp[k] + fp[k] + fn[k];
    if (denominator === 0) continue;
    f1Sum += (2 * tp[k]) / denominator;
    labels++;
  }
  // ROC AUC: binary, or macro one-vs-rest; null when a class is absent from these test rows.
  let auc: number | null = null;
  const classes = p.evaluatedClasses;
  if (classes.length >= 2) {
    const positive: boolean[] = new Array(n);
    const scores = new Float64Array(n);
    const aucFor = (c: number): number | null => {
      for (let i = 0; i < n; i++) {
        positive[i] = truth[rows[i]] === c;
        scores[i] = probs[rows[i] * K + c];
      }
      return rocAuc(scores, positive);
    };
    if (classes.length === 2) auc = aucFor(classes[1]);
    else {
      let sum = 0;
      for (const c of classes) {
        const a = aucFor(c);
        if (a === null) {
          sum = NaN;
          break;
        }
        sum += a;
      }
      auc = Number.isNaN(sum) ? null : sum / classes.length;
    }
  }
  return { accuracy: n ? correct / n : 0, macroF1: labels ? f1Sum / labels : 0, rocAuc: auc };
}

function regressionScores(p: Prepared, predictions: Float64Array, rows: ArrayLike<number>): RegressionScores {
  const truth = p.test.y as Float64Array;
  const n = rows.length;
  if (n === 0) return { r2: 0, mae: 0 };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += truth[rows[i]];
  mean /= n;
  let ssRes = 0;
  let ssTot = 0;
  let abs = 0;
  for (let i = 0; i < n; i++) {
    const t = truth[rows[i]];
    const e = t - predictions[rows[i]];
    ssRes += e * e;
    ssTot += (t - mean) ** 2;
    abs += Math.abs(e);
  }
  const r2 = ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0;
  return { r2, mae: abs / n };
}

function armScores(p: Prepared, arm: ArmPrediction, rows: ArrayLike<number>): ArmClassificationScores | ArmRegressionScores {
  const scores = p.task === 'classification' ? classificationScores(p, arm.predictions, rows) : regressionScores(p, arm.predictions, rows);
  return { ...scores, trainRows: arm.trainRows, ...(arm.note ? { note: arm.note } : {}) };
}

function allRows(n: number): Int32Array {
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}

function fitBoth(schema: Schema, train: Table, synthetic: Table, test: Table, target: string, rounds: number, seed: number, rowFeatures?: number) {
  const p = prepare(schema, train, synthetic, test, target, seed, rowFeatures);
  const real = fitArm(p, p.train, 'real training', rounds, seed);
  const synth = fitArm(p, p.synthetic, 'synthetic', rounds, seed);
  return { p, real, synth };
}

// ---------------------------------------------------------------------------------------------
// Public entry points

/**
 * Train on real (`train`) and train on synthetic, with the same model settings, both tested on
 * `test`. Classification for categorical/boolean targets (accuracy, macro F1, ROC AUC: binary or
 * macro one-vs-rest), regression for numeric ones (R^2, MAE). `ratio` = synthetic / real on the
 * headline metric (ROC AUC when computable, else accuracy; R^2), null when the real score is <= 0.
 */
export function evaluateUtility(
  schema: Schema,
  train: Table,
  synthetic: Table,
  test: Table,
  options: { target: string; targetReason: string; testSetName: string; seed?: number; rounds?: number; rowFeatures?: number },
): UtilityResult {
  const rounds = options.rounds ?? UTILITY_ROUNDS;
  const { p, real, synth } = fitBoth(schema, train, synthetic, test, options.target, rounds, options.seed ?? 0, options.rowFeatures);
  const rows = allRows(p.test.X.rows);
  const trainOnReal = armScores(p, real, rows);
  const trainOnSynthetic = armScores(p, synth, rows);
  let headline: UtilityResult['headline'];
  let realValue: number;
  let synthValue: number;
  if (p.task === 'classification') {
    const r = trainOnReal as ClassificationScores;
    const s = trainOnSynthetic as ClassificationScores;
    if (r.rocAuc !== null && s.rocAuc !== null) {
      headline = 'rocAuc';
      realValue = r.rocAuc;
      synthValue = s.rocAuc;
    } else {
      headline = 'accuracy';
      realValue = r.accuracy;
      synthValue = s.accuracy;
    }
  } else {
    headline = 'r2';
    realValue = (trainOnReal as RegressionScores).r2;
    synthValue = (trainOnSynthetic as RegressionScores).r2;
  }
  return {
    target: options.target,
    targetReason: options.targetReason,
    task: p.task,
    model: describeModel(rounds),
    testSet: options.testSetName,
    testRows: p.test.X.rows,
    trainOnReal,
    trainOnSynthetic,
    ratio: realValue > 0 ? synthValue / realValue : null,
    headline,
    features: p.features,
  };
}

/** Groups of the protected column compared, most frequent in the real data first. */
export const FAIRNESS_MAX_GROUPS = 10;

/** FairnessGroup with the extras this module fills in. */
export interface FairnessGroupDetail extends FairnessGroup {
  /** Test rows in the group (with a target value); present when a target was given. */
  testRows?: number;
  /** `utility` is the train-on-synthetic model's scores on the group's test rows; this is train-on-real's. */
  realUtility?: ArmClassificationScores | ArmRegressionScores;
}

export interface FairnessDetail extends FairnessResult {
  groups: FairnessGroupDetail[];
  /** Groups with real rows beyond the first FAIRNESS_MAX_GROUPS, not evaluated. */
  skippedGroups: number;
  /** With a target: the feature columns the models used (a seeded sample on wide files, as for utility). */
  features?: UtilityResult['features'];
}

/**
 * Per group of a categorical protected column (the 10 largest in the real training data): the
 * column-shape fidelity of the synthetic subgroup (`columnShapes(realSubgroup, syntheticSubgroup)`,
 * 0 when the synthetic data has no row of the group), and, given a target, the scores of the
 * train-on-real (`realUtility`) and train-on-synthetic (`utility`) models, each trained once on
 * all rows, on the group's test rows.
 */
export function evaluateFairness(
  schema: Schema,
  train: Table,
  synthetic: Table,
  test: Table,
  options: { column: string; target?: string; seed?: number; rounds?: number; rowFeatures?: number; columnShapes: (real: Table, synthetic: Table) => number },
): FairnessDetail {
  const ci = targetIndex(schema, options.column);
  const realColumn = train.columns[ci];
  const synthColumn = synthetic.columns[ci];
  const testColumn = test.columns[ci];
  if (realColumn.type !== 'categorical' || synthColumn.type !== 'categorical' || testColumn.type !== 'categorical') {
    throw new Error(`fairness needs a categorical column; "${options.column}" is ${schema.columns[ci].kind}`);
  }
  const counts = new Map<string, number>();
  for (const code of realColumn.codes) {
    if (code < 0) continue;
    const text = realColumn.levels[code];
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const chosen = ranked.slice(0, FAIRNESS_MAX_GROUPS);

  const fitted = options.target
    ? fitBoth(schema, train, synthetic, test, options.target, options.rounds ?? UTILITY_ROUNDS, options.seed ?? 0, options.rowFeatures)
    : undefined;

  const groups: FairnessGroupDetail[] = chosen.map(([value]) => {
    const realCode = realColumn.levels.indexOf(value);
    const synthCode = synthColumn.levels.indexOf(value);
    const realSub = filterRows(train, (r) => realColumn.codes[r] === realCode);
    const synthSub = synthCode < 0 ? filterRows(synthetic, () => false) : filterRows(synthetic, (r) => synthColumn.codes[r] === synthCode);
    const group: FairnessGroupDetail = {
      value,
      realRows: realSub.rowCount,
      syntheticRows: synthSub.rowCount,
      columnShapes: synthSub.rowCount > 0 && realSub.rowCount > 0 ? options.columnShapes(realSub, synthSub) : 0,
    };
    if (fitted) {
      const testCode = testColumn.levels.indexOf(value);
      const keptRows = fitted.p.test.rows;
      const rows: number[] = [];
      for (let i = 0; i < keptRows.length; i++) if (testCode >= 0 && testColumn.codes[keptRows[i]] === testCode) rows.push(i);
      group.testRows = rows.length;
      if (rows.length > 0) {
        group.utility = armScores(fitted.p, fitted.synth, rows);
        group.realUtility = armScores(fitted.p, fitted.real, rows);
      }
    }
    return group;
  });
  return { column: options.column, groups, skippedGroups: ranked.length - chosen.length, ...(fitted ? { features: fitted.p.features } : {}) };
}
