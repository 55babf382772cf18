/**
 * Everything the evaluation report draws, computed on the Node side from the real and synthetic
 * tables and the evaluation. The page never sees a row: only aggregates (histograms, category
 * shares, monthly counts, correlation matrices), so the report is small and holds no record.
 * It is still computed from the real data and is not itself differentially private.
 *
 * The result is plain JSON (no typed arrays, no NaN or Infinity: missing numbers are null).
 */
import * as path from 'node:path';
import type {
  ChecklistItem,
  ClassificationScores,
  EntitiesResult,
  EntityShare,
  Evaluation,
  FairnessResult,
  RegressionScores,
  RulesResult,
  UtilityResult,
  Verdict,
} from '../evaluate/types';
import { civilFromDays } from '../schema/dates';
import type { ColumnKind, Schema } from '../schema/types';
import { isModelled, type ColumnData, type Table } from '../table';
import { VERSION } from '../version';

export const REPORT_DATA_VERSION = 1;

/** Numeric columns: densities on shared bins spanning the real range. */
export interface HistogramChart {
  type: 'histogram';
  /** Bin edges (bins + 1 of them), real min..max. */
  edges: number[];
  /** Densities (share of non-missing values per unit of x); each integrates to at most 1. */
  real: number[];
  synthetic: number[];
  /** Integer column with few values: one bin per whole number, centred on it. */
  integerBins: boolean;
  /** Shares of non-missing synthetic values outside the real range (not in any bin). */
  syntheticBelow: number;
  syntheticAbove: number;
}

/** Date and datetime columns: counts per month (per year when the real span exceeds 10 years). */
export interface TimelineChart {
  type: 'timeline';
  unit: 'month' | 'year';
  /** `YYYY-MM` or `YYYY`, real first..last period. */
  labels: string[];
  real: number[];
  synthetic: number[];
  /** Non-missing synthetic values outside the real span (counts). */
  syntheticBelow: number;
  syntheticAbove: number;
}

/** Categorical and boolean columns: shares of non-missing values, top categories of the real data. */
export interface CategoriesChart {
  type: 'categories';
  /** Category values (as in the file), most frequent in the real data first. */
  labels: string[];
  real: number[];
  synthetic: number[];
  /** Share of everything else (null when nothing falls outside the listed categories). */
  otherReal: number | null;
  otherSynthetic: number | null;
  /** Number of distinct categories in each table. */
  realCategories: number;
  syntheticCategories: number;
}

export type ColumnChart = HistogramChart | TimelineChart | CategoriesChart;

export interface ReportColumn {
  name: string;
  kind: ColumnKind;
  /** Column Shapes score (KSComplement or TVComplement) from the evaluation, if any. */
  score: number | null;
  metric: 'KSComplement' | 'TVComplement' | null;
  /** Share of missing values. */
  missing: { real: number; synthetic: number };
  /** Non-missing value counts. */
  count: { real: number; synthetic: number };
  coverage: number | null;
  coverageMetric: 'RangeCoverage' | 'CategoryCoverage' | null;
  /** Null when the column has no non-missing real value. */
  chart: ColumnChart | null;
}

export interface CorrelationData {
  /** Numeric and date columns in schema order, or groups of them ("first … last (k columns)"). */
  columns: string[];
  /** Pearson r over pairwise complete rows; null where undefined (constant column, pair not scored). */
  real: (number | null)[][];
  synthetic: (number | null)[][];
  /** synthetic - real. */
  difference: (number | null)[][];
  /** Columns were grouped (more than 60): each cell is the strongest value among its groups' pairs. */
  grouped: boolean;
  /** Numeric and date columns behind the map. */
  numericColumns: number;
}

export interface DcrData {
  edges: number[];
  /** Shares of synthetic rows per bin: distance to the closest training row... */
  train: number[];
  /** ...and to the closest holdout row. */
  holdout: number[] | null;
}

export interface TrainingPoint {
  epoch: number;
  loss: number | null;
  epsilon: number | null;
}

/** Which generator ran, and every statistic it measured from the private rows (the releases). */
export interface MeasuredData {
  generator: string;
  /** In the order released: preprocessing's column histograms, then the generator's own (pairs). */
  releases: { stage: string; columns: string; what: string }[];
}

export interface LedgerData {
  /** Scalar facts of the privacy section of the metadata card, as label / text. */
  summary: { label: string; value: string }[];
  /** The first list of entries (e.g. the spending ledger) as a table. */
  entries: { title: string; columns: string[]; rows: string[][] } | null;
}

export interface PrivacyData {
  exactCopies: { count: number; rate: number };
  holdoutExactCopies: { count: number; rate: number } | null;
  /** Holdout rows identical to a training row: the rate the exact-copies check compares with. */
  holdoutCopiesOfTraining: { count: number; rate: number } | null;
  dcrBaselineProtection: number | null;
  /** The same measure for holdout rows (real people never seen): the value to compare with. */
  holdoutDcrBaselineProtection: number | null;
  dcrOverfittingProtection: number | null;
  medianDcrTrain: number | null;
  medianDcrHoldout: number | null;
  medianNndr: number | null;
  mia: { auc: number; low: number | null; high: number | null; advantage: number | null; members: number | null; nonMembers: number | null } | null;
  rareCategories: { column: string; value: string; realCount: number; syntheticCount: number }[];
  rareCategoriesTotal: number;
  identifiersCarried: string[];
  /** Set when the distance measures compared a seeded sample of the columns (wide files). */
  distanceColumns: { total: number; used: number; rule: string } | null;
  /** Differential privacy as the metadata card states it: 'none' means trained without DP. */
  dp: { status: 'dp' | 'none' | 'unknown'; epsilon: number | null; delta: number | null; mechanism: string | null; unit?: string };
}

/** Model scores by metric name (accuracy, macroF1, rocAuc; r2, mae); null when not computable. */
export type Scores = Record<string, number | null>;

/** The evaluation's utility result with each arm's scores as a plain metric map. */
export type ReportUtility = Omit<UtilityResult, 'trainOnReal' | 'trainOnSynthetic'> & {
  /** Train on real, test on real (TRTR) and train on synthetic, test on real (TSTR). */
  trainOnReal: Scores;
  trainOnSynthetic: Scores;
};

export interface ReportFairness {
  column: string;
  groups: { value: string; realRows: number; syntheticRows: number; columnShapes: number | null; utility: Scores | null }[];
}

export interface ReportData {
  version: typeof REPORT_DATA_VERSION;
  title: string;
  /** ISO time the report (or the card) was made. */
  createdAt: string;
  tool: string;
  files: { real: string; synthetic: string; holdout: string | null };
  rows: { real: number; synthetic: number; holdout: number | null };
  columnsTotal: number;
  columnsModelled: number;
  generator: string | null;
  verdicts: { fidelity: Verdict; utility: Verdict | null; privacy: Verdict };
  quality: {
    score: number | null;
    columnShapes: number | null;
    columnPairTrends: number | null;
    /** Pairs with a real trend that were scored (the ones Column Pair Trends averages). */
    pairsScored: number;
    /** All column pairs, and how many were scored (fewer when a sample was scored). */
    pairsTotal: number;
    pairsComputed: number;
  };
  utility: ReportUtility | null;
  privacy: PrivacyData;
  checklist: ChecklistItem[];
  columns: ReportColumn[];
  correlations: CorrelationData | null;
  dcr: DcrData | null;
  training: TrainingPoint[] | null;
  ledger: LedgerData | null;
  /** DP runs: what was measured privately (null without DP). */
  measured: MeasuredData | null;
  fairness: ReportFairness | null;
  /**
   * Each rule with the share of real and synthetic rows that keep it (null: none checked) and,
   * from the card, how it was established (declared, confirmed privately, ..., not used).
   */
  rules: (Omit<RulesResult, 'rules'> & { rules: (RulesResult['rules'][number] & { established?: string })[] }) | null;
  /** The schema's entities (patients, admissions): rows per entity, nesting, constants (null: none). */
  entities: ReportEntities | null;
  /** The card's notes: how the file was read, what the run could not do (a column mostly "Other", rules not confirmed). */
  notes: string[];
}

/** A share of entities keeping a property, rounded for the page. */
export interface ReportEntityShare {
  share: number | null;
  entities: number;
  broken: number;
}

export interface ReportEntity {
  key: string;
  parent: string | null;
  unavailable: string | null;
  entities: { real: number; synthetic: number };
  medianRows: { real: number | null; synthetic: number | null };
  maxRows: { real: number | null; synthetic: number | null };
  singleRow: { real: number; synthetic: number };
  ksComplement: number | null;
  /** Share of entities per rows-per-entity bin. */
  histogram: { labels: string[]; real: number[]; synthetic: number[] } | null;
  nesting: { parent: string; real: ReportEntityShare; synthetic: ReportEntityShare } | null;
  constants: { column: string; real: ReportEntityShare; synthetic: ReportEntityShare }[];
  constantsKept: { real: ReportEntityShare; synthetic: ReportEntityShare } | null;
  keysReused: { count: number; share: number } | null;
  sequence: {
    column: string;
    /** Spans and gaps in days. */
    inFileOrder: { real: ReportEntityShare; synthetic: ReportEntityShare };
    spanKsComplement: number | null;
    gapKsComplement: number | null;
    medianSpan: { real: number | null; synthetic: number | null };
    medianGap: { real: number | null; synthetic: number | null };
  } | null;
  notes: string[];
}

export interface ReportEntities {
  entities: ReportEntity[];
  /** Set when the measures were taken on a sample of entities (large files). */
  sampledNote: string | null;
}

export interface ReportInput {
  schema: Schema;
  real: Table;
  synthetic: Table;
  evaluation: Evaluation;
  /** The metadata card (generator, privacy ledger, training history...): what is present is shown. */
  card?: Record<string, unknown>;
  title?: string;
}

const HISTOGRAM_BINS = 30;
const TOP_CATEGORIES = 20;
const MAX_TRAINING_POINTS = 500;
const MAX_RARE_CATEGORIES = 50;
const MAX_LEDGER_ROWS = 200;

export function buildReportData(input: ReportInput): ReportData {
  const { schema, real, synthetic, evaluation, card } = input;
  const modelled = schema.columns.filter((c) => isModelled(c) && real.columns[c.index]?.type !== 'none');

  const columns = modelled.map((column) => buildColumn(column.name, column.kind, real.columns[column.index], synthetic.columns[column.index], evaluation));

  const map = evaluation.quality.correlationMap;
  const correlations: CorrelationData | null = map
    ? { columns: map.labels, real: map.real, synthetic: map.synthetic, difference: map.difference, grouped: map.grouped, numericColumns: map.columns }
    : null;

  const privacySection = isRecord(card?.privacy) ? card.privacy : null;
  const files = {
    real: path.basename(evaluation.realFile),
    synthetic: path.basename(evaluation.syntheticFile),
    holdout: evaluation.holdoutFile ? path.basename(evaluation.holdoutFile) : null,
  };

  return {
    version: REPORT_DATA_VERSION,
    title: input.title ?? files.synthetic,
    createdAt: cardDate(card) ?? new Date().toISOString(),
    tool: `synthetic-csv ${VERSION}`,
    files,
    rows: { real: evaluation.realRows, synthetic: evaluation.syntheticRows, holdout: evaluation.holdoutRows ?? null },
    columnsTotal: schema.columns.length,
    columnsModelled: modelled.length,
    generator: describeGenerator(card?.generator),
    verdicts: { ...evaluation.verdicts },
    quality: {
      score: num(evaluation.quality.score),
      columnShapes: num(evaluation.quality.columnShapes),
      columnPairTrends: num(evaluation.quality.columnPairTrends),
      pairsScored: evaluation.quality.pairSummary.counted,
      pairsTotal: evaluation.quality.pairSummary.total,
      pairsComputed: evaluation.quality.pairSummary.computed,
    },
    utility: evaluation.utility ? cleanUtility(evaluation.utility) : null,
    privacy: buildPrivacy(evaluation, privacySection, card),
    checklist: [...evaluation.checklist.map((c) => ({ id: c.id, label: c.label, verdict: c.verdict, value: c.value, threshold: c.threshold })), ...formulaCheck(card)],
    columns,
    correlations,
    dcr: buildDcr(evaluation.privacy.dcrHistogram),
    training: buildTraining(card),
    ledger: privacySection ? buildLedger(privacySection) : null,
    measured: buildMeasured(card),
    fairness: evaluation.fairness ? cleanFairness(evaluation.fairness) : null,
    rules: evaluation.rules?.rules.length ? { ...evaluation.rules, rules: evaluation.rules.rules.map((rule) => ({ ...rule, ...establishedOf(card, rule.rule) })) } : null,
    entities: evaluation.entities?.entities.length ? buildEntities(evaluation.entities) : null,
    notes: Array.isArray(card?.notes) ? card.notes.filter((n): n is string => typeof n === 'string') : [],
  };
}

/** How the card says a rule was established, in words (nothing when the card does not list it). */
function establishedOf(card: Record<string, unknown> | undefined, rule: string): { established?: string } {
  const entries = Array.isArray(card?.rules) ? (card.rules as unknown[]) : [];
  const entry = entries.find((e): e is { rule: string; established: string } => isRecord(e) && e.rule === rule && typeof e.established === 'string');
  return entry ? { established: entry.established } : {};
}

// ---------------------------------------------------------------------------------------------
// Entities

function buildEntities(result: EntitiesResult): ReportEntities {
  const shareOf = (s: EntityShare): ReportEntityShare => ({ share: num(s.share), entities: s.entities, broken: s.broken });
  const pair = (p: { real: EntityShare; synthetic: EntityShare }) => ({ real: shareOf(p.real), synthetic: shareOf(p.synthetic) });
  const both = (p: { real: number | null; synthetic: number | null }) => ({ real: num(p.real), synthetic: num(p.synthetic) });
  return {
    entities: result.entities.map((e): ReportEntity => {
      const rows = e.rowsPerEntity;
      const q = e.sequenceShape;
      return {
        key: e.key,
        parent: e.parent ?? null,
        unavailable: e.unavailable ?? null,
        entities: { real: rows?.real.entities ?? 0, synthetic: rows?.synthetic.entities ?? 0 },
        medianRows: { real: num(rows?.real.median), synthetic: num(rows?.synthetic.median) },
        maxRows: { real: num(rows?.real.max), synthetic: num(rows?.synthetic.max) },
        singleRow: { real: rows?.real.single ?? 0, synthetic: rows?.synthetic.single ?? 0 },
        ksComplement: num(rows?.ksComplement),
        histogram: rows ? { labels: rows.histogram.labels, real: rows.histogram.real.map((x) => round(x)), synthetic: rows.histogram.synthetic.map((x) => round(x)) } : null,
        nesting: e.nesting ? { parent: e.nesting.parent, ...pair(e.nesting) } : null,
        constants: (e.constants ?? []).map((c) => ({ column: c.column, ...pair(c) })),
        constantsKept: e.constantsKept && e.constants?.length ? pair(e.constantsKept) : null,
        keysReused: e.keysReused ? { count: e.keysReused.count, share: round(e.keysReused.share, 6) } : null,
        sequence: q
          ? {
              column: q.column,
              inFileOrder: pair(q.inFileOrder),
              spanKsComplement: num(q.spanKsComplement),
              gapKsComplement: num(q.gapKsComplement),
              medianSpan: both(q.medianSpan),
              medianGap: both(q.medianGap),
            }
          : null,
        notes: e.notes ?? [],
      };
    }),
    sampledNote: result.sampled?.note ?? null,
  };
}


// ---------------------------------------------------------------------------------------------
// Columns

function buildColumn(name: string, kind: ColumnKind, real: ColumnData, synthetic: ColumnData, evaluation: Evaluation): ReportColumn {
  const shape = evaluation.quality.columns.find((c) => c.column === name);
  const coverage = evaluation.quality.coverage.find((c) => c.column === name);
  const realCount = nonMissing(real);
  const syntheticCount = nonMissing(synthetic);
  const realRows = rowsOf(real);
  const syntheticRows = rowsOf(synthetic);

  let chart: ColumnChart | null = null;
  if (realCount > 0) {
    if (real.type === 'numeric' && synthetic.type === 'numeric') {
      if (kind === 'date' || kind === 'datetime') chart = timeline(real.values, synthetic.values, kind === 'datetime' ? 86400 : 1);
      else chart = histogram(real.values, synthetic.values, kind === 'integer');
    } else if (real.type === 'categorical' && synthetic.type === 'categorical') {
      chart = categories(real, synthetic);
    }
  }

  return {
    name,
    kind,
    score: shape ? num(shape.score) : null,
    metric: shape ? shape.metric : null,
    missing: {
      real: round(realRows ? 1 - realCount / realRows : 0),
      synthetic: round(syntheticRows ? 1 - syntheticCount / syntheticRows : 0),
    },
    count: { real: realCount, synthetic: syntheticCount },
    coverage: coverage ? num(coverage.coverage) : null,
    coverageMetric: coverage ? coverage.coverageMetric : null,
    chart,
  };
}

function rowsOf(column: ColumnData): number {
  if (column.type === 'numeric') return column.values.length;
  if (column.type === 'categorical') return column.codes.length;
  return 0;
}

function nonMissing(column: ColumnData): number {
  let n = 0;
  if (column.type === 'numeric') {
    for (const x of column.values) if (Number.isFinite(x)) n++;
  } else if (column.type === 'categorical') {
    for (const c of column.codes) if (c >= 0) n++;
  }
  return n;
}

function range(values: Float64Array): { min: number; max: number; n: number } {
  let min = Infinity;
  let max = -Infinity;
  let n = 0;
  for (const x of values) {
    if (!Number.isFinite(x)) continue;
    n++;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { min, max, n };
}

function histogram(real: Float64Array, synthetic: Float64Array, integer: boolean): HistogramChart {
  const { min, max, n: realN } = range(real);
  let edges: number[];
  const integerBins = integer && Number.isInteger(min) && Number.isInteger(max) && max - min + 1 <= HISTOGRAM_BINS;
  if (integerBins) {
    edges = [];
    for (let v = min; v <= max + 1; v++) edges.push(v - 0.5);
  } else if (max === min) {
    edges = [min - 0.5, max + 0.5];
  } else {
    edges = [];
    for (let i = 0; i <= HISTOGRAM_BINS; i++) edges.push(min + ((max - min) * i) / HISTOGRAM_BINS);
    edges[HISTOGRAM_BINS] = max;
  }
  const bins = edges.length - 1;
  const lo = edges[0];
  const hi = edges[bins];
  const width = (hi - lo) / bins;
  const count = (values: Float64Array) => {
    const counts = new Array<number>(bins).fill(0);
    let below = 0;
    let above = 0;
    let n = 0;
    for (const x of values) {
      if (!Number.isFinite(x)) continue;
      n++;
      if (x < lo) below++;
      else if (x > hi) above++;
      else counts[Math.min(bins - 1, Math.floor((x - lo) / width))]++;
    }
    return { counts, below, above, n };
  };
  const r = count(real);
  const s = count(synthetic);
  const density = (counts: number[], n: number) => counts.map((c) => (n > 0 ? round(c / (n * width), 5) : 0));
  return {
    type: 'histogram',
    edges: edges.map((e) => round(e, 8)),
    real: density(r.counts, realN),
    synthetic: density(s.counts, s.n),
    integerBins,
    syntheticBelow: s.n ? round(s.below / s.n) : 0,
    syntheticAbove: s.n ? round(s.above / s.n) : 0,
  };
}

/** `scale` turns the stored number into days (86400 for datetime seconds). */
function timeline(real: Float64Array, synthetic: Float64Array, scale: number): TimelineChart {
  const { min, max } = range(real);
  const first = civilFromDays(Math.floor(min / scale));
  const last = civilFromDays(Math.floor(max / scale));
  const unit: 'month' | 'year' = last.y - first.y > 10 ? 'year' : 'month';
  const index = (y: number, m: number) => (unit === 'year' ? y : y * 12 + (m - 1));
  const start = index(first.y, first.m);
  const end = index(last.y, last.m);
  const periods = end - start + 1;
  const labels: string[] = [];
  for (let p = start; p <= end; p++) {
    if (unit === 'year') labels.push(pad(p, 4));
    else labels.push(`${pad(Math.floor(p / 12), 4)}-${pad((p % 12) + 1, 2)}`);
  }
  const count = (values: Float64Array) => {
    const counts = new Array<number>(periods).fill(0);
    let below = 0;
    let above = 0;
    for (const x of values) {
      if (!Number.isFinite(x)) continue;
      const { y, m } = civilFromDays(Math.floor(x / scale));
      const p = index(y, m);
      if (p < start) below++;
      else if (p > end) above++;
      else counts[p - start]++;
    }
    return { counts, below, above };
  };
  const r = count(real);
  const s = count(synthetic);
  return { type: 'timeline', unit, labels, real: r.counts, synthetic: s.counts, syntheticBelow: s.below, syntheticAbove: s.above };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function categories(
  real: { codes: Int32Array; levels: string[] },
  synthetic: { codes: Int32Array; levels: string[] },
): CategoriesChart {
  const countBy = (column: { codes: Int32Array; levels: string[] }) => {
    const counts = new Map<string, number>();
    let n = 0;
    const byCode = new Array<number>(column.levels.length).fill(0);
    for (const c of column.codes) {
      if (c < 0) continue;
      byCode[c]++;
      n++;
    }
    byCode.forEach((k, code) => {
      if (k > 0) counts.set(column.levels[code], (counts.get(column.levels[code]) ?? 0) + k);
    });
    return { counts, n };
  };
  const r = countBy(real);
  const s = countBy(synthetic);
  const ranked = [...r.counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const top = ranked.slice(0, TOP_CATEGORIES).map(([value]) => value);
  const share = (k: number, n: number) => (n > 0 ? round(k / n) : 0);
  const realShares = top.map((v) => share(r.counts.get(v) ?? 0, r.n));
  const syntheticShares = top.map((v) => share(s.counts.get(v) ?? 0, s.n));
  const listed = new Set(top);
  let otherR = 0;
  let otherS = 0;
  for (const [v, k] of r.counts) if (!listed.has(v)) otherR += k;
  for (const [v, k] of s.counts) if (!listed.has(v)) otherS += k;
  const hasOther = otherR > 0 || otherS > 0;
  return {
    type: 'categories',
    labels: top,
    real: realShares,
    synthetic: syntheticShares,
    otherReal: hasOther ? share(otherR, r.n) : null,
    otherSynthetic: hasOther ? share(otherS, s.n) : null,
    realCategories: r.counts.size,
    syntheticCategories: s.counts.size,
  };
}

// ---------------------------------------------------------------------------------------------
// Privacy, utility, fairness, card

function buildPrivacy(evaluation: Evaluation, privacySection: Record<string, unknown> | null, card: Record<string, unknown> | undefined): PrivacyData {
  const p = evaluation.privacy;
  const mi = p.membershipInference;
  let mia: PrivacyData['mia'] = null;
  if (mi) {
    const stronger = mi.densityRatio.auc > mi.distance.auc ? mi.densityRatio : mi.distance;
    mia = { auc: round(stronger.auc), low: num(stronger.low), high: num(stronger.high), advantage: num(mi.advantage), members: mi.members, nonMembers: mi.nonMembers };
  } else if (typeof p.membershipInferenceAuc === 'number' && Number.isFinite(p.membershipInferenceAuc)) {
    mia = { auc: round(p.membershipInferenceAuc), low: null, high: null, advantage: null, members: null, nonMembers: null };
  }
  return {
    exactCopies: { count: p.exactCopies.count, rate: round(p.exactCopies.rate, 6) },
    holdoutExactCopies: p.holdoutExactCopies ? { count: p.holdoutExactCopies.count, rate: round(p.holdoutExactCopies.rate, 6) } : null,
    holdoutCopiesOfTraining: p.holdoutCopiesOfTraining ? { count: p.holdoutCopiesOfTraining.count, rate: round(p.holdoutCopiesOfTraining.rate, 6) } : null,
    dcrBaselineProtection: num(p.dcrBaselineProtection),
    holdoutDcrBaselineProtection: num(p.holdoutDcrBaselineProtection),
    dcrOverfittingProtection: num(p.dcrOverfittingProtection),
    medianDcrTrain: num(p.medianDcrTrain),
    medianDcrHoldout: num(p.medianDcrHoldout),
    medianNndr: num(p.medianNndr),
    mia,
    rareCategories: p.rareCategories.slice(0, MAX_RARE_CATEGORIES).map((r) => ({ ...r })),
    rareCategoriesTotal: p.rareCategories.length,
    identifiersCarried: [...p.identifiersCarried],
    distanceColumns: p.distanceColumns?.sampled ? { total: p.distanceColumns.total, used: p.distanceColumns.used, rule: p.distanceColumns.rule } : null,
    dp: differentialPrivacy(privacySection, card),
  };
}

const NO_DP_WORDS = new Set(['none', 'no', 'off', 'false', 'disabled', 'infinity', 'inf', 'non-private', 'nonprivate']);

/** What the card says about differential privacy; tolerant of how the card spells it. */
function differentialPrivacy(privacy: Record<string, unknown> | null, card: Record<string, unknown> | undefined) {
  const unknown = { status: 'unknown' as const, epsilon: null, delta: null, mechanism: null };
  const source = privacy ?? (isRecord(card) ? card : null);
  if (!source) return unknown;
  const mechanism = firstString(source, ['mechanism', 'method', 'accountant']);
  const flag = firstDefined(source, ['differentiallyPrivate', 'differentialPrivacy', 'dp', 'enabled', 'private']);
  const epsilonRaw = firstDefined(source, ['epsilon', 'totalEpsilon', 'epsilonSpent', 'spentEpsilon', 'targetEpsilon']);
  const delta = num(firstDefined(source, ['delta', 'totalDelta', 'targetDelta']));
  const saysNo =
    flag === false ||
    (typeof flag === 'string' && NO_DP_WORDS.has(flag.toLowerCase())) ||
    (typeof mechanism === 'string' && NO_DP_WORDS.has(mechanism.toLowerCase())) ||
    (typeof epsilonRaw === 'string' && NO_DP_WORDS.has(epsilonRaw.toLowerCase())) ||
    epsilonRaw === Infinity ||
    (epsilonRaw === null && flag !== true);
  if (saysNo) return { status: 'none' as const, epsilon: null, delta: null, mechanism };
  const epsilon = num(typeof epsilonRaw === 'string' ? Number(epsilonRaw) : epsilonRaw);
  const unit = unitInWords(source.unit);
  if (epsilon !== null) return { status: 'dp' as const, epsilon, delta, mechanism, ...(unit ? { unit } : {}) };
  if (flag === true) return { status: 'dp' as const, epsilon: null, delta, mechanism, ...(unit ? { unit } : {}) };
  return privacy ? { ...unknown, mechanism } : unknown;
}

/** The card's privacy unit in words: whom the guarantee protects. */
function unitInWords(unit: unknown): string | undefined {
  if (unit === 'row') return 'Protects each row: adding or removing one row.';
  if (!isRecord(unit) || typeof unit.column !== 'string') return undefined;
  const k = typeof unit.maxRowsPerUnit === 'number' ? unit.maxRowsPerUnit : undefined;
  const how = typeof unit.maxRowsChosen === 'string' && unit.maxRowsChosen.startsWith('chosen privately') ? ' (a bound chosen privately from the data)' : '';
  return (
    `Protects each person identified by ${unit.column}${k !== undefined ? `, with up to ${k.toLocaleString('en-GB')} of their rows${how}` : ''}: ` +
    `adding or removing one person with all of their rows${k !== undefined ? '; a person\'s rows beyond the bound were dropped at random before training' : ''}.`
  );
}

function buildDcr(h: { edges: number[]; train: number[]; holdout?: number[] } | undefined): DcrData | null {
  if (!h || !Array.isArray(h.edges) || h.edges.length < 2 || !Array.isArray(h.train) || h.train.length === 0) return null;
  const normalise = (counts: number[]) => {
    const total = counts.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    return counts.map((c) => (total > 0 && Number.isFinite(c) ? round(c / total) : 0));
  };
  return {
    edges: h.edges.map((e) => round(e, 6)),
    train: normalise(h.train),
    holdout: h.holdout && h.holdout.length ? normalise(h.holdout) : null,
  };
}

function buildTraining(card: Record<string, unknown> | undefined): TrainingPoint[] | null {
  const training = isRecord(card?.training) ? card.training : null;
  const history = training && Array.isArray(training.history) ? training.history : null;
  if (!history) return null;
  let points: TrainingPoint[] = history.filter(isRecord).map((h, i) => ({
    epoch: num(h.epoch) ?? i + 1,
    loss: num(h.loss),
    epsilon: num(h.epsilon),
  }));
  points = points.filter((p) => p.loss !== null || p.epsilon !== null);
  if (points.length > MAX_TRAINING_POINTS) {
    const step = points.length / MAX_TRAINING_POINTS;
    const thinned: TrainingPoint[] = [];
    for (let i = 0; i < MAX_TRAINING_POINTS; i++) thinned.push(points[Math.floor(i * step)]);
    thinned[thinned.length - 1] = points[points.length - 1];
    points = thinned;
  }
  return points.length ? points : null;
}

function buildLedger(privacy: Record<string, unknown>): LedgerData {
  const summary: { label: string; value: string }[] = [];
  let entries: LedgerData['entries'] = null;
  const visit = (value: unknown, label: string, depth: number) => {
    if (summary.length >= MAX_LEDGER_ROWS) return;
    if (Array.isArray(value)) {
      if (value.length && value.every(isRecord) && !entries) {
        const rows = value.slice(0, MAX_LEDGER_ROWS) as Record<string, unknown>[];
        const columns: string[] = [];
        for (const row of rows) for (const k of Object.keys(row)) if (!columns.includes(k) && columns.length < 12) columns.push(k);
        entries = { title: humanise(label), columns: columns.map(humanise), rows: rows.map((row) => columns.map((k) => text(row[k]))) };
      } else {
        summary.push({ label: humanise(label), value: value.map(text).join(', ') });
      }
    } else if (isRecord(value) && depth < 2) {
      for (const [k, v] of Object.entries(value)) visit(v, label ? `${label} › ${k}` : k, depth + 1);
    } else {
      summary.push({ label: humanise(label), value: text(value) });
    }
  };
  visit(privacy, '', 0);
  return { summary, entries };
}

function cleanUtility(u: UtilityResult): ReportUtility {
  return {
    target: u.target,
    targetReason: u.targetReason,
    task: u.task,
    model: u.model,
    testSet: u.testSet,
    testRows: u.testRows,
    trainOnReal: cleanScores(u.trainOnReal),
    trainOnSynthetic: cleanScores(u.trainOnSynthetic),
    ratio: num(u.ratio),
    headline: u.headline,
    ...(u.features?.sampled ? { features: { total: u.features.total, used: u.features.used, sampled: true, rule: u.features.rule } } : {}),
  };
}

function cleanScores(s: ClassificationScores | RegressionScores): Scores {
  const out: Scores = {};
  for (const [k, v] of Object.entries(s)) out[k] = num(v);
  return out;
}

function cleanFairness(f: FairnessResult): ReportFairness {
  return {
    column: f.column,
    groups: f.groups.map((g) => ({
      value: g.value,
      realRows: g.realRows,
      syntheticRows: g.syntheticRows,
      columnShapes: num(g.columnShapes),
      utility: g.utility ? cleanScores(g.utility) : null,
    })),
  };
}

/** One line per generator: what it is, in words a reviewer can check against the card. */
const GENERATOR_WORDS: Record<string, string> = {
  tvae: 'tVAE (neural network)',
  pgm: 'pgm (graphical model of privately chosen column pairs, MST)',
  marginals: 'marginals (column histograms)',
};

export function buildMeasured(card: Record<string, unknown> | undefined): MeasuredData | null {
  const privacy = isRecord(card?.privacy) ? card.privacy : null;
  const budget = privacy && isRecord(privacy.budget) ? privacy.budget : null;
  if (!budget || privacy?.differentiallyPrivate !== true) return null;
  const releases: MeasuredData['releases'] = [];
  const add = (part: unknown, stage: string): void => {
    const list = isRecord(part) && Array.isArray(part.releases) ? part.releases : [];
    for (const r of list) if (isRecord(r)) releases.push({ stage, columns: text(r.column), what: text(r.what) });
  };
  add(budget.preprocessing, 'column statistics');
  const name = isRecord(card?.generator) ? firstString(card.generator, ['name']) : null;
  add(budget.model, name === 'tvae' ? 'pairs the rows are raked to' : 'pairs the model is fitted to');
  return { generator: describeGenerator(card?.generator) ?? 'not recorded', releases };
}

function describeGenerator(generator: unknown): string | null {
  if (isRecord(generator) && typeof generator.name === 'string' && GENERATOR_WORDS[generator.name]) {
    const parameters = isRecord(generator.parameters) ? generator.parameters : {};
    const raking = isRecord(parameters.raking) && Array.isArray(parameters.raking.pairs) ? parameters.raking.pairs.length : 0;
    return GENERATOR_WORDS[generator.name] + (raking ? `, its rows raked to ${raking} privately measured column pairs` : '');
  }
  if (typeof generator === 'string') return generator;
  if (!isRecord(generator)) return null;
  const name = firstString(generator, ['name', 'model', 'type', 'id']);
  const version = firstString(generator, ['version']);
  const model = firstString(generator, ['model', 'architecture']);
  const parts = [name, version ? `v${version.replace(/^v/, '')}` : null, model && model !== name ? `(${model})` : null].filter(Boolean);
  return parts.length ? parts.join(' ') : null;
}

/** A checklist line when the synthetic file holds cells a spreadsheet would run as formulas (CSV injection). */
function formulaCheck(card: Record<string, unknown> | undefined): ChecklistItem[] {
  const output = isRecord(card?.output) ? card.output : null;
  const f = output && isRecord(output.formulaCells) ? output.formulaCells : null;
  if (!f || typeof f.count !== 'number' || f.count === 0) return [];
  const columns = Array.isArray(f.columns) ? f.columns.map(String).join(', ') : '';
  return [
    {
      id: 'formula-cells',
      label: 'Cells a spreadsheet would run as formulas (CSV injection)',
      verdict: f.neutralised ? 'pass' : 'warn',
      value: `${f.count} in ${columns}${f.neutralised ? ", prefixed with '" : ''}`,
      threshold: f.neutralised ? "neutralised with a leading '" : 'none, or neutralised (--neutralise-formulas)',
    },
  ];
}

function cardDate(card: Record<string, unknown> | undefined): string | null {
  if (!card) return null;
  const value = firstString(card, ['createdAt', 'created', 'date', 'generatedAt']);
  if (!value || Number.isNaN(Date.parse(value))) return null;
  return value;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstDefined(source: Record<string, unknown>, keys: string[]): unknown {
  for (const k of keys) if (k in source && source[k] !== undefined) return source[k];
  return undefined;
}

function firstString(source: Record<string, unknown>, keys: string[]): string | null {
  for (const k of keys) {
    const v = source[k];
    if (typeof v === 'string' && v.trim()) return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return null;
}

/** camelCase or snake_case key → "Sentence case". */
function humanise(key: string): string {
  return key
    .split(' › ')
    .map((part) => {
      const words = part.replace(/[_-]+/g, ' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').trim().toLowerCase();
      return words.charAt(0).toUpperCase() + words.slice(1);
    })
    .join(' › ');
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '—';
  // Four significant digits: the ledger is read by people; the card keeps full precision.
  if (typeof value === 'number') return Number.isFinite(value) ? String(round(value, 4)) : String(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  try {
    const json = JSON.stringify(value);
    return json.length > 200 ? `${json.slice(0, 199)}…` : json;
  } catch {
    return String(value);
  }
}

/** A finite number rounded to `digits` significant digits, or null. */
function num(value: unknown, digits = 6): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? round(value, digits) : null;
}

function round(x: number, digits = 4): number {
  if (!Number.isFinite(x) || x === 0) return Number.isFinite(x) ? x : 0;
  return Number(x.toPrecision(digits));
}
