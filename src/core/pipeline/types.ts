import type { FormulaCells } from '../csv/writer';
import type { Evaluation } from '../evaluate/types';
import type { GeneratorName, GeneratePhase, PrivacyRequest, ReleasedEpoch } from '../generators/types';
import type { BackendPreference } from '../model/backend';
import type { EpochRecord, TrainProgress } from '../model/train';
import type { TvaeOptions } from '../model/tvae';
import type { PrivacyStatement } from '../release/types';
import type { RuleCardEntry } from '../rules/plan';
import type { Schema } from '../schema/types';

/** What a run is asked for, and what it produces: the types the stages share. */

export interface GenerateOptions {
  input: string;
  /** Use this schema instead of inferring one (a user-edited schema file). */
  schema?: Schema;
  /** Synthetic rows to write; default: as many as the input has (a noisy count with DP). */
  rows?: number;
  /** Training epochs; default chosen from the data size. */
  epochs?: number;
  seed?: number;
  /** Path of the synthetic CSV; the card, model and report are named after it. */
  out?: string;
  force?: boolean;
  backend?: BackendPreference;
  /** Share of rows kept out of training for evaluation (0 to disable). */
  holdoutFraction?: number;
  /** Train on a random sample of at most this many rows. */
  maxTrainingRows?: number;
  model?: Partial<TvaeOptions>;
  /** Evaluate against the training and holdout rows and write the HTML report (default true). */
  evaluate?: boolean;
  /** Utility target column (default: a rule the report states) and protected column for fairness. */
  target?: string;
  protectedColumn?: string;
  /** A separate real test file for utility (e.g. adult_test.csv); the holdout otherwise. */
  testFile?: string;
  /** Differential privacy target, or 'none' for data that is not sensitive. Default: none. */
  privacy?: PrivacyRequest | 'none';
  /**
   * `tvae` (neural network), `pgm` (graphical model of privately chosen column pairs, DP only,
   * seconds) or `marginals` (independent columns from DP histograms, seconds).
   */
  generator?: GeneratorName;
  /**
   * DP tvae only (default true): spend a share of the budget measuring the column pairs that matter
   * (as the pgm generator does) and rake the network's rows to them (calibrate/marginals-rake.ts).
   */
  raking?: boolean;
  /** pgm only: adaptive rounds after the tree, each measuring the clique the model fits worst (default 0: MST's tree alone). */
  pgmRounds?: number;
  /**
   * Privacy unit: a column identifying people (the guarantee then covers each person with all of
   * their rows) or 'row'; default: the schema's. `maxRowsPerUnit` bounds each person's rows.
   */
  privacyUnit?: string;
  maxRowsPerUnit?: number;
  /** Marginals generator only: column pairs (by name) released and drawn jointly. */
  pairs?: [string, string][];
  /** Prefix cells that start like a spreadsheet formula with `'` (for files meant for spreadsheets). */
  neutraliseFormulas?: boolean;
  /** Leave free-text columns blank instead of filling them with placeholder text. */
  blankText?: boolean;
  signal?: AbortSignal;
  onPhase?: (phase: GeneratePhase, message: string) => void;
  onProgress?: (progress: TrainProgress) => void;
}

export interface OutputPaths {
  csv: string;
  card: string;
  model: string;
  report: string;
}

export interface MetadataCard {
  format: 'synthetic-csv-card';
  version: 1;
  software: { name: 'synthetic-csv'; version: string };
  createdAt: string;
  /** `rows` (exact) only without differential privacy; a private run releases no exact count. */
  source: { file: string; rows?: number; columns: number };
  output: { file: string; rows: number; columns: string[]; modelFile: string; formulaCells?: FormulaCells };
  generator: { name: GeneratorName; parameters: Record<string, unknown> };
  backend: { name: string; detail: string };
  seed: number;
  /** With differential privacy `rows` is the released (noisy) count and the history holds epoch and ε only. */
  training: { rows: number; sampled: boolean; note?: string; history: EpochRecord[] | ReleasedEpoch[] };
  /** How rows were held out: `seed` for the seeded shuffle without privacy; secure coins with it. */
  holdout: { fraction: number; rows: number; draw: 'seeded shuffle' | 'secure coin per row'; seed?: number; encoding: 'bitset-base64'; members: string };
  privacy: PrivacyStatement;
  timings: Record<string, number>;
  /** Column kinds and handling (no per-value statistics, which would leak private data). */
  columns: { name: string; kind: string; handling: string }[];
  /** Each rule, how it was established and how it is kept. */
  rules: RuleCardEntry[];
  /** Rows drawn again because they broke an enforced rule the construction could not cover. */
  redrawn?: { rows: number; share: number; stillBroken: number };
  notes: string[];
  evaluation?: Evaluation;
}

export interface GenerateResult {
  /** `report` is only written when the run was evaluated. */
  outputs: OutputPaths;
  card: MetadataCard;
}

