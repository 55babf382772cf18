import type { ChunkSource, EncodedRows } from '../chunk-source';
import type { BackendPreference } from '../model/backend';
import type { EpochRecord, TrainProgress } from '../model/train';
import type { TvaeOptions } from '../model/tvae';
import type { AccountantKind } from '../privacy/accountant';
import type { BudgetPlan } from '../privacy/budget';
import type { Random, SecureRandom } from '../random';
import type { EntityModelState } from '../entities/model';
import type { BoundedUnits, ColumnHistogram, PrivacyStatement, PrivateStatistics } from '../release/types';
import type { Schema } from '../schema/types';
import type { Table } from '../table';
import type { TableTransformer } from '../transform/transformer';
import type { ModelFile } from './model-file';
import type { MeasuredPair } from '../release/types';

/**
 * One interface for every generator: fit from the release and the training rows, sample encoded
 * rows with a random stream, save to and load from the model file. The pipeline (pipeline/) knows
 * generators only through it; a generator knows the release (release/types.ts and this file),
 * never the pipeline.
 */

export type GeneratorName = 'tvae' | 'marginals' | 'pgm';

export type GeneratePhase = 'schema' | 'load' | 'fit' | 'train' | 'sample' | 'evaluate' | 'write' | 'done';

export type Phase = (name: GeneratePhase, message: string) => void;

export interface PrivacyRequest {
  epsilon: number;
  /** Default DEFAULT_DELTA (1e-6), whatever the file; it must be well below 1/n. */
  delta?: number;
  /** DP-SGD's Poisson sampling rate q (default DP_DEFAULTS.samplingRate): a public choice. */
  samplingRate?: number;
  accountant?: AccountantKind;
  clippingNorm?: number;
}

/** What a private run releases of each training epoch: privacy spent, never sizes, losses or times. */
export type ReleasedEpoch = Pick<EpochRecord, 'epoch' | 'epsilon'>;

/** What a generator saves in the model file, beside the schema, transformer and rules every model keeps. */
export type GeneratorState = Pick<ModelFile, 'tvae' | 'marginals' | 'marginalPairs' | 'pgm' | 'raking'>;

/** A fitted (or loaded) generator. Its rows come out encoded in the transformer's layout. */
export interface Generator {
  readonly name: GeneratorName;
  /**
   * `rows` encoded rows drawn with `random`: the rows a chunk drawn with the seed
   * `random.nextUint32()` holds, so that sampling at once or in chunks agree.
   */
  sample(rows: number, random: Random): Promise<EncodedRows>;
  /**
   * A source of `rows` rows in all, drawn chunk by chunk (each chunk from its own seed), in worker
   * threads where the generator gains from them. Close it after use.
   */
  open(rows: number): Promise<ChunkSource>;
  /**
   * Post-processing toward released (or, without privacy, the training rows') column histograms:
   * the generator adjusts itself and returns the transformer with quantile maps, and the columns
   * calibrated. Absent for generators that draw from the histograms already.
   */
  calibrate?(transformer: TableTransformer, histograms: readonly (ColumnHistogram | undefined)[], columnCount: number, seed: number): { transformer: TableTransformer; calibratedColumns: number[] };
  save(): GeneratorState;
  dispose(): void;
}

/** Without privacy: the facts fitted on the training rows themselves. */
export interface ExactRelease {
  private: false;
  /** The schema the outputs are written with. */
  schema: Schema;
  transformer: TableTransformer;
}

/** With differential privacy: everything learned of the rows before fitting, and its ledger. */
export interface PrivateRelease<B extends GeneratorBudget = GeneratorBudget> {
  private: true;
  request: PrivacyRequest;
  plan: BudgetPlan;
  accountant: AccountantKind;
  /** The generator's split of the plan (GeneratorKind.budget). */
  budget: B;
  /** Every DP draw (noise, thresholds, batch coins) comes from this stream, never from the seed. */
  noise: SecureRandom;
  /** Histograms and the preprocessing ledger (the split's count and the rows-per-person releases included). */
  stats: PrivateStatistics;
  /** epsilon of preprocessing alone, by the run's accountant. */
  preprocessingAlone: number;
  /** With a privacy unit: the table bounded to k rows per person, grouped. */
  units?: BoundedUnits;
  /** With entities: their shape as released (absent when it could not be), and why, for the card. */
  entities?: { state?: EntityModelState; note: string };
  /** Column pairs (schema indices) whose joint histograms were released (marginals generator). */
  pairs: [number, number][];
  /** Pairs of discrete columns measured to read rules off, behind a determines rule kept (empty without). */
  rulePairs: MeasuredPair[];
  /** The schema as released: structure only. */
  schema: Schema;
  transformer: TableTransformer;
  /**
   * The guarantee in the card's words, for this file and privacy unit: the preprocessing's releases,
   * then `model`, what the generator released beyond them (and the accountant that bounded ε, if not the run's).
   */
  guarantee(epsilon: number, model: string | undefined, accountantUsed?: string): string;
  /** The statement's parts every generator shares (file, unit, accountant, what is public or not covered, noise). */
  common: Pick<PrivacyStatement, 'about' | 'unit' | 'accountant' | 'declaredPublic' | 'notCovered' | 'noiseSource'>;
}

export type Release = ExactRelease | PrivateRelease;

/** Public facts a generator's split may follow. */
export interface BudgetContext {
  /** DP tvae: measure column pairs and rake its rows to them (default true). */
  raking?: boolean;
  /** Modelled columns of the learning schema. */
  modelledColumns: number;
  /** Whether a privacy unit groups the rows by person. */
  unit: boolean;
}

/** A generator's share of the privacy budget: preprocessing's rho first, its own parts after. */
export interface GeneratorBudget {
  preprocessing: number;
}

export interface FitOptions {
  /** Training epochs; default chosen from the data size. */
  epochs?: number;
  model?: Partial<TvaeOptions>;
  backend?: BackendPreference;
  /** The utility target column, which a generator may model with care (pgm: the hub). */
  target?: string;
  /** pgm: adaptive rounds after the tree (0: the tree alone, MST). */
  pgmRounds?: number;
  signal?: AbortSignal;
  onProgress?: (progress: TrainProgress) => void;
}

export interface FitInput<R extends Release = Release> {
  /** The learning schema and training rows (after the rule layer's rewrite). */
  schema: Schema;
  table: Table;
  release: R;
  options: FitOptions;
  /** The run's seeded stream: fitting choices, never DP noise. */
  random: Random;
  phase: Phase;
}

export interface Fitted {
  generator: Generator;
  /** For the card. */
  parameters: Record<string, unknown>;
  backend: { name: string; detail: string };
  history: EpochRecord[] | ReleasedEpoch[];
  privacy: PrivacyStatement;
  /** DP: the released row count. */
  noisyRowCount?: number;
  /** DP: column pairs measured with noise (pgm's tree, the raked tvae's), which rules may be read off. */
  measuredPairs?: MeasuredPair[];
  /**
   * With a privacy unit: the input's rows before bounding, estimated privately (output size). Both
   * estimates fall short (the release cannot see a few people with many rows through its noise,
   * the bounded count leaves their extra rows out): the larger is the better.
   */
  estimatedRows?: number;
}

export interface LoadContext {
  /** The schema the generator learned (the model file's, before the rule layer adds its columns). */
  schema: Schema;
  transformer: TableTransformer;
  backend?: BackendPreference;
  /** The model file's path, for messages. */
  path: string;
}

/** A generator as the registry lists it. */
export interface GeneratorKind<B extends GeneratorBudget = GeneratorBudget> {
  name: GeneratorName;
  /** Its words for the CLI and the extension (catalog.ts). */
  summary: string;
  description: string;
  /** Runs only with differential privacy. */
  privateOnly: boolean;
  /** Where its DP draws come from, in the card's words. */
  noiseSource: string;
  /**
   * Under DP, its model's share is what the target leaves beside the preprocessing ledger as spent
   * (pgm's measurement, DP-SGD's noise), so a release after the histograms comes out of it;
   * otherwise such a release is kept aside from the histograms' share.
   */
  modelTakesRest: boolean;
  /**
   * Under DP, it draws the column pairs behind the determines rules read after the histograms
   * from their released counts (PrivateRelease.rulePairs), so a second, less noisy look at them
   * pays (rule-confirmation.ts, SECOND_LOOK_BUDGET_SHARE).
   */
  drawsRulePairs?: boolean;
  /** Its split of a privacy plan, before any row is read (from public facts: the request and the schema). */
  budget(plan: BudgetPlan, accountant: AccountantKind, context?: BudgetContext): B;
  fit(input: FitInput<ExactRelease | PrivateRelease<B>>): Promise<Fitted>;
  load(file: ModelFile, context: LoadContext): Promise<Generator>;
}
