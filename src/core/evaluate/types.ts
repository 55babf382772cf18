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

export interface QualityResult {
  /** Mean of columnShapes and columnPairTrends (nanmean, as SDMetrics). */
  score: number;
  columnShapes: number;
  columnPairTrends: number | null;
  columns: ColumnShapeScore[];
  pairs: ColumnPairScore[];
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
  dcrBaselineProtection: number | null;
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
  checklist: ChecklistItem[];
  verdicts: { fidelity: Verdict; utility: Verdict | null; privacy: Verdict };
  timings: Record<string, number>;
}
