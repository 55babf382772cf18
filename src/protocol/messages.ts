/**
 * Messages between the extension host and the worker process. Both sides import this module, so
 * a change to the protocol is a type error on whichever side falls behind.
 *
 * One worker process runs one job: the host forks dist/worker.js, waits for `ready`, sends one
 * request, and reads responses with the same `id` until a final one (`schema`, `generated`,
 * `sampled`, `rulesChecked`, `error` or `cancelled`). `cancel` may be sent at any time; the worker then stops the
 * job, removes its temporary files and answers `cancelled`. Only type imports from the engine
 * appear here: this module adds no code to either bundle.
 */
import type { FixtureFormat } from '../core/fixtures';
import type { GeneratePhase } from '../core/generate';
import type { RuleCheckResult } from '../core/rules/verify';
import type { Rule, Schema } from '../core/schema/types';

/** How the synthetic data is made: a DP generator (src/core/generators/catalog.ts describes each) or none. */
export type PrivacyMode = 'dp-tvae' | 'dp-pgm' | 'dp-marginals' | 'none';

export type BackendSetting = 'auto' | 'wasm' | 'tensorflow' | 'cpu';

export interface GenerateParams {
  input: string;
  /** `<name>.schema.json` beside the CSV, when the user kept (or edited) one. */
  schemaFile?: string;
  /** Path of the synthetic CSV (numbered names); the card, model and report follow it. */
  out?: string;
  /** Replace existing outputs (the user agreed). */
  force: boolean;
  mode: PrivacyMode;
  /** DP modes only. */
  epsilon?: number;
  delta?: number;
  /** Omitted: as many rows as the input. */
  rows?: number;
  /** Omitted: chosen from the data size. */
  epochs?: number;
  seed: number;
  backend: BackendSetting;
  holdoutFraction: number;
  maxTrainingRows?: number;
  /** Prefix cells that start like a spreadsheet formula with `'`. */
  neutraliseFormulas?: boolean;
  /** Leave free-text columns blank instead of placeholder text. */
  blankText?: boolean;
}

export interface SampleParams {
  /** A `.synthetic.model` file. */
  model: string;
  rows: number;
  seed: number;
  format: FixtureFormat;
  tableName?: string;
  backend: BackendSetting;
  /** CSV only: prefix cells that start like a spreadsheet formula with `'`. */
  neutraliseFormulas?: boolean;
  /** Write the rows to this file (replacing it); otherwise they come back as text. */
  out?: string;
  /** For `ts`: only the array literal, without `export const … =`, to insert into code. */
  literalOnly?: boolean;
  /** Conditions every row must meet, as written (`age>=80`); checked against the model. */
  where?: string[];
}

export type WorkerRequest =
  | { type: 'inferSchema'; id: number; file: string }
  | { type: 'generate'; id: number; params: GenerateParams }
  | { type: 'sample'; id: number; params: SampleParams }
  /** Count the rows of `file` breaking each of `rules`, reading the columns as `schema` says. */
  | { type: 'checkRules'; id: number; file: string; schema: Schema; rules: Rule[] }
  | { type: 'cancel'; id: number };

export interface WorkerError {
  message: string;
  /** The message without the file and line prefix (for the Problems panel). */
  detail?: string;
  /** Present for errors in the user's file (its base name). */
  file?: string;
  line?: number;
  column?: number;
  columnName?: string;
}

export type { GeneratePhase };

/** Training progress, at most a few times a second. */
export interface TrainingProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  elapsedSeconds: number;
  etaSeconds: number;
  /** Privacy spent so far (DP modes). */
  epsilon?: number;
}

/** What the host shows when a run is done; the full card is in `outputs.card`. */
export interface RunSummary {
  outputs: { csv: string; card: string; model: string; report: string };
  /** Which of the outputs were actually written (the report comes with the evaluation). */
  written: { csv: boolean; card: boolean; model: boolean; report: boolean };
  rows: number;
  epochsRun: number;
  backend: string;
  seconds: number;
  differentiallyPrivate: boolean;
  epsilon?: number;
  quality?: number;
}

export type WorkerResponse =
  | { type: 'ready'; pid: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'progress'; id: number; fraction: number; message: string }
  | { type: 'phase'; id: number; phase: GeneratePhase; message: string }
  | { type: 'training'; id: number; progress: TrainingProgress }
  | { type: 'schema'; id: number; schema: Schema }
  | { type: 'generated'; id: number; summary: RunSummary }
  | { type: 'sampled'; id: number; rows: number; text?: string; file?: string }
  | { type: 'rulesChecked'; id: number; results: RuleCheckResult[] }
  | { type: 'error'; id: number; error: WorkerError }
  | { type: 'cancelled'; id: number };

/** The responses that end a job. */
export type FinalResponse = Extract<WorkerResponse, { type: 'schema' | 'generated' | 'sampled' | 'rulesChecked' | 'error' | 'cancelled' }>;

export function isFinalResponse(message: WorkerResponse): message is FinalResponse {
  return (
    message.type === 'schema' ||
    message.type === 'generated' ||
    message.type === 'sampled' ||
    message.type === 'rulesChecked' ||
    message.type === 'error' ||
    message.type === 'cancelled'
  );
}
