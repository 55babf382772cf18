/**
 * The evaluation of a synthetic file against the real one: what `synthetic-csv evaluate` writes as
 * JSON, what the metadata card embeds as `evaluation`, and what the report renders.
 * Every score is in [0, 1] with 1 best unless its doc says otherwise; null means "not computable"
 * (for example no column pair with a real trend).
 */

export type MetricName =
  | 'KSComplement'
  | 'TVComplement'
  | 'CorrelationSimilarity'
  | 'ContingencySimilarity';

export interface ColumnShapeScore {
  column: string;
  metric: 'KSComplement' | 'TVComplement';
  score: number | null;
}

export interface ColumnPairScore {
  columns: [string, string];
  metric: 'CorrelationSimilarity' | 'ContingencySimilarity';
  score: number | null;
  /** |Pearson r| (numeric pairs) or Cramer's V (others) in the real data. */
  realAssociation: number | null;
  /** Whether the real pair has a trend (|r| > 0.5 or V > 0.3, as SDMetrics 0.27+); only these count. */
  meetsThreshold: boolean;
  /** Pearson r in real and synthetic data (numeric pairs only), for the heatmaps. */
  realCorrelation?: number | null;
  syntheticCorrelation?: number | null;
}

export interface ColumnCoverage {
  column: string;
  /** Share of missing values in real and synthetic data. */
  realMissingRate: number;
  syntheticMissingRate: number;
  /** 1 - |real - synthetic| missing rate (SDMetrics MissingValueSimilarity). */
  missingValueSimilarity: number;
  /** SDMetrics RangeCoverage (numeric/date) or CategoryCoverage (categorical); null otherwise. */
  coverage: number | null;
  coverageMetric: 'RangeCoverage' | 'CategoryCoverage' | null;
}

/**
 * How many column pairs there are and which were scored. The pairs grow with the square of the
 * column count (2,000 columns: 2 million pairs), so the evaluation keeps counts, a short list of
 * notable pairs and an aggregated correlation map rather than every pair.
 */
export interface PairSummary {
  /** Pairs of modelled columns: n (n - 1) / 2. */
  total: number;
  /** Pairs scored: all of them, or a seeded uniform sample when scoring all would be too slow. */
  computed: number;
  sampled: boolean;
  /** Scored pairs with a real trend: the ones columnPairTrends averages. */
  counted: number;
  /** Why `pairs` lists what it lists. */
  listed: string;
}

/**
 * Pearson correlations of the numeric and date columns, for the heat maps. Up to MAX_MAP_GROUPS
 * columns it is the full matrix; beyond, columns are grouped in schema order and each cell is
 * the strongest value (largest magnitude, sign kept) among the scored pairs of its two groups.
 */
export interface CorrelationMap {
  /** A column name per row, or "first … last (k columns)" for a group. */
  labels: string[];
  /** Columns in each group (all 1 when not grouped). */
  groupSizes: number[];
  grouped: boolean;
  /** Numeric columns in the map. */
  columns: number;
  /** null where no scored pair defines the value (constant column, pair not sampled). */
  real: (number | null)[][];
  synthetic: (number | null)[][];
  /** synthetic - real, per pair before grouping. */
  difference: (number | null)[][];
}

export interface QualityResult {
  /** Mean of columnShapes and columnPairTrends (nanmean, as SDMetrics). */
  score: number;
  columnShapes: number;
  columnPairTrends: number | null;
  columns: ColumnShapeScore[];
  /** Every pair for narrow tables; otherwise the notable ones (see pairSummary.listed). */
  pairs: ColumnPairScore[];
  pairSummary: PairSummary;
  /** Null with fewer than two numeric or date columns. */
  correlationMap: CorrelationMap | null;
  coverage: ColumnCoverage[];
}

export interface AucEstimate {
  auc: number;
  /** 95 % confidence interval. */
  low: number;
  high: number;
}

export interface MembershipInference {
  /** Members: training rows; non-members: holdout rows. */
  members: number;
  nonMembers: number;
  /** Score = closeness to the synthetic data (negative distance to the closest synthetic row). */
  distance: AucEstimate;
  /** DOMIAS-style density ratio p_synthetic(x) / p_reference(x) (k-nearest-neighbour densities). */
  densityRatio: AucEstimate;
  /** max(TPR - FPR) of the stronger attack: 0 means the attack learns nothing. */
  advantage: number;
}

export interface PrivacyResult {
  /** Synthetic rows identical (on all compared columns) to a training row. */
  exactCopies: { count: number; rate: number };
  /** The same against holdout rows: the base rate of coincidences for unseen people. */
  holdoutExactCopies?: { count: number; rate: number };
  /**
   * Holdout rows identical to a training row: how often real people the generator never saw
   * coincide with someone in training. The exact-copies check compares the synthetic rate with it.
   */
  holdoutCopiesOfTraining?: { count: number; rate: number };
  dcrBaselineProtection: number | null;
  /**
   * The same measure for the holdout rows in place of the synthetic ones: what real people the
   * generator never saw score. Data where real rows sit close together scores low here too, so
   * the checklist judges the synthetic value against this one.
   */
  holdoutDcrBaselineProtection?: number | null;
  /** Median distance from each holdout row to its closest training row. */
  medianDcrHoldoutToTrain?: number;
  dcrOverfittingProtection?: number | null;
  /** Median distance to closest record, synthetic to training (and to holdout, if given). */
  medianDcrTrain: number;
  medianDcrHoldout?: number;
  /** Median ratio of nearest to second-nearest training record distance. */
  medianNndr: number;
  membershipInferenceAuc?: number;
  membershipInference?: MembershipInference;
  /** Histograms for the report: DCR of synthetic rows to training and to holdout rows. */
  dcrHistogram: { edges: number[]; train: number[]; holdout?: number[] };
  /** Categories rarer than the threshold in real data that still appear in the synthetic data. */
  rareCategories: { column: string; value: string; realCount: number; syntheticCount: number }[];
  /** Columns flagged as identifiers whose real values appear in the synthetic file. */
  identifiersCarried: string[];
  /**
   * Columns the distance metrics (DCR, NNDR, membership inference) compared: all of them, or on
   * wide files a seeded sample (`rule` says the bound; exact copies always compare every column).
   */
  distanceColumns?: { total: number; used: number; sampled: boolean; rule: string; columns?: string[] };
}

export interface ClassificationScores {
  accuracy: number;
  macroF1: number;
  rocAuc: number | null;
}

export interface RegressionScores {
  r2: number;
  mae: number;
}

export interface UtilityResult {
  target: string;
  /** Why this target: named by the user, or the default rule the report states. */
  targetReason: string;
  task: 'classification' | 'regression';
  model: string;
  testSet: string;
  testRows: number;
  trainOnReal: ClassificationScores | RegressionScores;
  trainOnSynthetic: ClassificationScores | RegressionScores;
  /** synthetic / real on the headline metric (ROC AUC, or accuracy without it; R^2). */
  ratio: number | null;
  headline: 'rocAuc' | 'accuracy' | 'r2';
  /** Feature columns both models used: all of them, or on wide files a seeded sample (`rule` says the bound). */
  features?: { total: number; used: number; sampled: boolean; rule: string; columns?: string[] };
}

export interface FairnessGroup {
  value: string;
  realRows: number;
  syntheticRows: number;
  columnShapes: number;
  utility?: ClassificationScores | RegressionScores;
}

export interface FairnessResult {
  column: string;
  groups: FairnessGroup[];
}

export interface RuleScore {
  /** The rule in words. */
  rule: string;
  kind: 'determines' | 'order' | 'difference' | 'sum' | 'missingWhen';
  source: 'inferred' | 'declared';
  enforce: boolean;
  /** Share of rows that keep the rule, and rows that break it. */
  real: { share: number; broken: number };
  synthetic: { share: number; broken: number };
}

export interface RulesResult {
  /** The rules were mined from the real rows (no schema listed any). */
  mined: boolean;
  rules: RuleScore[];
  /** Rows that break at least one enforced rule. */
  realRowsBreakingAny: { count: number; share: number };
  syntheticRowsBreakingAny: { count: number; share: number };
}

/** Entities of two or more rows (one for nesting) and how many of them keep a property. */
export interface EntityShare {
  /** Null when no entity qualifies (every entity has a single row). */
  share: number | null;
  entities: number;
  broken: number;
}

export interface EntitySizeSummary {
  entities: number;
  rows: number;
  min: number | null;
  median: number | null;
  mean: number | null;
  max: number | null;
  /** Entities with a single row. */
  single: number;
}

/** One entity (the rows sharing a value of `key`) in the real and the synthetic file. */
export interface EntityEvaluation {
  key: string;
  parent?: string;
  sequence?: string;
  /** Why the entity could not be measured (its key is not in one of the files); nothing else is set. */
  unavailable?: string;
  rowsPerEntity?: {
    real: EntitySizeSummary;
    synthetic: EntitySizeSummary;
    /** 1 - KS distance between the two distributions of rows per entity. */
    ksComplement: number | null;
    /** Share of entities per size bin (labels such as `1`, `6–10`), for the report. */
    histogram: { labels: string[]; real: number[]; synthetic: number[] };
  };
  /** Entities of 2+ rows whose rows all carry one value of the parent key (missing values aside). */
  nesting?: { parent: string; real: EntityShare; synthetic: EntityShare };
  /** Each constant column: entities of 2+ rows in which it holds one value (missing counts as a value). */
  constants?: { column: string; real: EntityShare; synthetic: EntityShare }[];
  /** Entities of 2+ rows in which every constant column holds one value. */
  constantsKept?: { real: EntityShare; synthetic: EntityShare };
  /** Synthetic entities whose key value is a real key value (should be none). */
  keysReused?: { count: number; share: number };
  /** Dates within entities of 2+ dated rows (the `sequence` column); spans and gaps in days. */
  sequenceShape?: {
    column: string;
    /** Entities whose rows are in date order in the file. */
    inFileOrder: { real: EntityShare; synthetic: EntityShare };
    /** 1 - KS distance of the span (last - first date) and of the gaps between consecutive dates. */
    spanKsComplement: number | null;
    gapKsComplement: number | null;
    medianSpan: { real: number | null; synthetic: number | null };
    medianGap: { real: number | null; synthetic: number | null };
  };
  notes?: string[];
}

export interface EntitiesResult {
  entities: EntityEvaluation[];
  /** Set when only a share of the entities was read (large files). */
  sampled?: { fraction: number; note: string };
}

export type Verdict = 'pass' | 'warn' | 'fail';

export interface ChecklistItem {
  id: string;
  label: string;
  verdict: Verdict;
  value: string;
  threshold: string;
}

export interface Evaluation {
  version: 1;
  realFile: string;
  syntheticFile: string;
  holdoutFile?: string;
  realRows: number;
  syntheticRows: number;
  holdoutRows?: number;
  quality: QualityResult;
  privacy: PrivacyResult;
  utility?: UtilityResult;
  fairness?: FairnessResult;
  /** Logical rules (dates in order, computed columns, ...) kept in real and synthetic rows. */
  rules?: RulesResult;
  /** The shape of the schema's entities (rows per entity, nesting, constants), when it lists any. */
  entities?: EntitiesResult;
  checklist: ChecklistItem[];
  verdicts: { fidelity: Verdict; utility: Verdict | null; privacy: Verdict };
  timings: Record<string, number>;
}
