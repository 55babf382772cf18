import { lengthHistogram } from './placeholder-text';
import * as path from 'node:path';
import { readCsv } from './csv/reader';
import { CsvWriter, describeFormulaCells, type FormulaCells } from './csv/writer';
import { InputError } from './csv/errors';
import { StagedOutputs } from './io/atomic';
import { loadTensorflow, type BackendPreference } from './model/backend';
import { chunkSource, type ChunkSource } from './model/parallel';
import type { AccountantKind } from './privacy/accountant';
import { calibrateNoise, DEFAULT_DELTA, epsilonByStep, histogramsOnlyRho, largestRhoWithin, ledger, planBudget, type BudgetPlan } from './privacy/budget';
import { calibrateToHistograms, trainingHistograms } from './privacy/calibrate';
import { discreteGaussianNoise } from './privacy/discrete-gaussian';
import { MarginalsSource } from './privacy/marginals';
import { PAIR_VALUE_CELLS, privateStatistics, releaseCount, type NumericHistogram, type PrivateStatistics, type ReleaseEntry } from './privacy/preprocess';
import { bindUnits, type BoundedUnits } from './privacy/units';
import { unitColumn, withPrivacyUnit } from './schema/privacy-unit';
import { modelToJson, type ModelFile } from './model/model-file';
import { fitPgm, pgmLedger, splitPgmBudget } from './pgm/mst';
import { PgmSource } from './pgm/model';
import { defaultEpochs, trainTvae, trainTvaeDp, TrainingCancelled, type EpochRecord, type TrainProgress } from './model/train';
import { layoutFromSpans, TrainingData, type TvaeOptions } from './model/tvae';
import { Random } from './random';
import { outputColumns, sampleRows, type SampleStats } from './sampler';
import { neutralIdentifier } from './schema/identifiers';
import { inferSchema } from './schema/infer';
import type { Schema } from './schema/types';
import { isModelled, isNumericColumn, loadTable, type Table } from './table';
import { TableTransformer } from './transform/transformer';
import { VERSION } from './version';
import { evaluate } from './evaluate/evaluate';
import type { Evaluation } from './evaluate/types';
import { buildReportData } from './report/data';
import { assertSomethingToLearn } from './schema/learnable';
import { pairsFromModel, PAIR_SAMPLE_ROWS, planRules, type RuleCardEntry } from './rules/plan';
import { renderReportHtml } from './report/render';

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

export type GeneratorName = 'tvae' | 'marginals' | 'pgm';

export type GeneratePhase = 'schema' | 'load' | 'fit' | 'train' | 'sample' | 'evaluate' | 'write' | 'done';

export interface OutputPaths {
  csv: string;
  card: string;
  model: string;
  report: string;
}

export interface PrivacyRequest {
  epsilon: number;
  /** Default DEFAULT_DELTA (1e-6), whatever the file; it must be well below 1/n. */
  delta?: number;
  /** DP-SGD's Poisson sampling rate q (default DP_DEFAULTS.samplingRate): a public choice. */
  samplingRate?: number;
  accountant?: AccountantKind;
  clippingNorm?: number;
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

/** What a private run releases of each training epoch: privacy spent, never sizes, losses or times. */
export type ReleasedEpoch = Pick<EpochRecord, 'epoch' | 'epsilon'>;

/** Whom a DP guarantee protects: each row, or each person identified by a column. */
export type PrivacyUnitStatement =
  | 'row'
  | {
      column: string;
      maxRowsPerUnit: number;
      /** How k was set, and what happened to the rows past it. */
      maxRowsChosen: string;
      extraRows: string;
      /** Number of people, released with noise (rounded). */
      noisyUnits: number;
    };

export interface PrivacyStatement {
  differentiallyPrivate: boolean;
  statement: string;
  /** The input file the guarantee is about, and the files it is compared with (its neighbours). */
  about?: { file: string; neighbours: string };
  /** The privacy unit: a row, unless rows are grouped by a person column. */
  unit?: PrivacyUnitStatement;
  epsilon?: number;
  delta?: number;
  accountant?: string;
  noiseMultiplier?: number;
  clippingNorm?: number;
  samplingRate?: number;
  expectedBatchSize?: number;
  steps?: number;
  epochs?: number;
  /** How the budget was spent: each part alone, and the composition. */
  budget?: {
    preprocessing: { rho: number; epsilonAlone: number; releases: ReleaseEntry[] };
    training?: { epsilonAlone: number };
    /** The pgm generator's releases after preprocessing: the choice of pairs and their marginals. */
    model?: { rho: number; epsilonAlone: number; releases: ReleaseEntry[] };
    thresholdDelta: number;
    accountingDelta: number;
  };
  /** Schema facts used without privacy cost because the user declared them public. */
  declaredPublic?: string[];
  /** What the guarantee does not cover, in words. */
  notCovered?: string[];
  noiseSource?: string;
}

export interface GenerateResult {
  /** `report` is only written when the run was evaluated. */
  outputs: OutputPaths;
  card: MetadataCard;
}

export const DEFAULT_HOLDOUT_FRACTION = 0.2;
export const DEFAULT_MAX_TRAINING_ROWS = 250_000;

/** `<name>.synthetic.csv` beside the input unless `out` says otherwise; the rest follow the CSV. */
export function outputPaths(input: string, out?: string): OutputPaths {
  const csv = out ?? path.join(path.dirname(input), `${path.basename(input).replace(/\.csv$/i, '')}.synthetic.csv`);
  const base = csv.replace(/\.csv$/i, '');
  return { csv, card: `${base}.json`, model: `${base}.model`, report: `${base}.report.html` };
}

/**
 * Train on a CSV and write the synthetic CSV, its metadata card and the model file, all or
 * nothing. The input is only ever read.
 */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const timings: Record<string, number> = {};
  const started = performance.now();
  const phase = (name: GeneratePhase, message: string): void => options.onPhase?.(name, message);
  const time = async <T>(name: string, work: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    const result = await work();
    timings[name] = (performance.now() - t) / 1000;
    return result;
  };

  const outputs = outputPaths(options.input, options.out);
  if (path.resolve(outputs.csv) === path.resolve(options.input)) {
    throw new InputError('the output would replace the input file; choose another --out', { file: path.basename(options.input) });
  }
  const staged = new StagedOutputs(options.force ?? false);
  // Before any long work: the folder is writable, and no output is in the way.
  staged.checkTargets(Object.values(outputs));
  const seed = options.seed ?? 0;
  const random = new Random(seed);

  phase('schema', `Reading ${path.basename(options.input)}`);
  // A given schema may come from another file: the row count is this file's own.
  const given = options.schema
    ? { ...options.schema, rowCount: (await readCsv(options.input, () => undefined, { signal: options.signal, header: options.schema.dialect.header })).rowCount }
    : await time('schema', () => inferSchema(options.input, { signal: options.signal }));
  const schema = withPrivacyUnit(given, options.privacyUnit, options.maxRowsPerUnit);
  const n = schema.rowCount;
  if (n < 2) throw new InputError('needs at least two data rows to learn from', { file: path.basename(options.input) });
  assertSomethingToLearn(schema, path.basename(options.input));
  const pairs = resolvePairs(schema, options);

  const dp = options.privacy && options.privacy !== 'none' ? options.privacy : undefined;
  const unitName = dp ? unitColumn(schema) : undefined;
  if (unitName && options.generator === 'pgm') {
    throw new Error(`the pgm generator does not bound each person's rows yet: with the privacy unit ${unitName}, use --generator marginals or tvae (or --privacy-unit row)`);
  }
  const generator = options.generator ?? 'tvae';
  if (generator !== 'tvae' && !dp) throw new Error(`the ${generator} generator is a differentially private mode: give an epsilon`);

  // Holdout rows are chosen before anything is learned, and never trained on.
  const holdoutFraction = options.holdoutFraction ?? DEFAULT_HOLDOUT_FRACTION;
  if (!(holdoutFraction >= 0 && holdoutFraction < 1)) throw new Error('the holdout fraction must be in [0, 1)');
  const maxTraining = options.maxTrainingRows ?? DEFAULT_MAX_TRAINING_ROWS;
  const splitRandom = random.fork();
  const plan = dp ? planPrivacy(dp, generator, schema) : undefined;
  // With a privacy unit a row count has no bound on one person's effect, so no count sets a
  // sampling rate: bounding each person to k rows limits the training rows instead.
  if (unitName && options.maxTrainingRows !== undefined) {
    throw new Error('--max-training-rows samples rows, which a person-level guarantee cannot account for: use --max-rows-per-unit to bound the rows of each person');
  }
  const split = dp
    ? privateSplit(n, holdoutFraction, maxTraining, Number.isFinite(maxTraining) && !unitName ? plan!.rhoTarget * SAMPLING_COUNT_SHARE : 0)
    : seededSplit(n, holdoutFraction, maxTraining, splitRandom);
  const { holdout, training, holdoutCount, trainingRows, sampled } = split;
  const notes: string[] = [...(schema.notes ?? [])];
  if (split.note) notes.push(split.note);

  if (trainingRows === 0) throw new InputError('no rows are left to train on after the holdout: lower --holdout', { file: path.basename(options.input) });
  phase('load', `Loading ${trainingRows} training rows`);
  const table = await time('load', () => loadTable(options.input, schema, { select: (row) => training[row] === 1, signal: options.signal, unitColumn: unitName }));
  // Rules are kept by construction around any generator: it learns the rewritten table.
  const rulePlan = await time('rules', () => planRules(schema, table, { input: options.input, differentiallyPrivate: !!dp, seed }));
  notes.push(...rulePlan.notes);
  let layer = rulePlan.layer;
  const learningSchema = layer.learningSchema(schema, dp ? undefined : table);
  // The rewrite keeps the rows in order: each keeps its person.
  const forwarded = layer.forward(schema, table);
  const learningTable = table.units ? { ...forwarded, units: table.units } : forwarded;
  const learned = await time('learn', () =>
    dp
      ? learnPrivately(learningSchema, learningTable, dp, plan!, split.countRelease, generator, pairs, options, random, phase)
      : learnExactly(learningSchema, learningTable, options, random, phase),
  );
  const outputSchema = layer.outputSchema(learned.schema, schema);
  if (layer.pendingPairs.length) {
    const presample = await learned.source(PAIR_SAMPLE_ROWS);
    try {
      layer = await pairsFromModel(layer, presample, learned.transformer, outputSchema, random.nextUint32());
    } finally {
      await presample.close();
    }
  }
  const ruleReport = rulePlan.report(layer);

  const rows = options.rows ?? (learned.privacy.differentiallyPrivate ? (learned.estimatedRows ?? learned.noisyRowCount!) : n);
  // Written with the schema the model keeps: with privacy, its formats are neutral or declared.
  const columns = outputColumns(outputSchema);
  try {
    phase('sample', `Sampling ${rows} rows`);
    const writer = CsvWriter.forSchema(outputSchema, columns, { neutraliseFormulas: options.neutraliseFormulas });
    const source = await learned.source(rows);
    let sampleStats: SampleStats | undefined;
    try {
      await time('sample', () =>
        staged.write(outputs.csv, async (write) => {
          await write(writer.header());
          sampleStats = await sampleRows(
            outputSchema,
            learned.transformer,
            source,
            rows,
            random.nextUint32(),
            async (chunk) => {
              let text = '';
              for (const row of chunk) text += writer.row(row);
              await write(text);
            },
            options.signal,
            layer,
          );
        }),
      );
    } finally {
      await source.close();
    }
    const formulaCells = writer.formulaCells();
    const formulaNote = describeFormulaCells(formulaCells);
    if (formulaNote) notes.push(formulaNote);

    let evaluation: Evaluation | undefined;
    let syntheticTable: Table | undefined;
    if (options.evaluate ?? true) {
      phase('evaluate', 'Evaluating fidelity, utility and privacy');
      evaluation = await time('evaluate', async () => {
        // Read back from its temporary file, but errors name the output, not the temporary file.
        const synthetic = (syntheticTable = await loadTable(staged.stagedPath(outputs.csv), schema, { displayName: path.basename(outputs.csv) }));
        const holdoutTable = holdoutCount > 0 ? await loadTable(options.input, schema, { select: (row) => holdout[row] === 1 }) : undefined;
        const test = options.testFile ? await loadTable(options.testFile, { ...schema, rowCount: 0 }) : undefined;
        return evaluate(
          {
            schema: { ...schema, rules: ruleReport.rules },
            real: table,
            synthetic,
            holdout: holdoutTable,
            test,
            names: {
              real: path.basename(options.input),
              synthetic: path.basename(outputs.csv),
              ...(holdoutTable ? { holdout: `${holdoutCount} holdout rows of ${path.basename(options.input)}` } : {}),
              ...(options.testFile ? { test: path.basename(options.testFile) } : {}),
            },
            files: { real: options.input, synthetic: staged.stagedPath(outputs.csv) },
            privacy: { differentiallyPrivate: learned.privacy.differentiallyPrivate, epsilon: learned.privacy.epsilon, delta: learned.privacy.delta },
          },
          { target: options.target, protected: options.protectedColumn, seed },
        );
      });
    }

    phase('write', 'Writing the model and metadata card');
    const modelFile: ModelFile = {
      format: 'synthetic-csv-model',
      version: 1,
      generator,
      createdAt: new Date().toISOString(),
      software: VERSION,
      backend: learned.backend.name,
      seed,
      schema: outputSchema,
      transformer: learned.transformer.toJSON(),
      ...(layer.isEmpty ? {} : { rules: layer.toJSON() }),
      ...learned.modelContent,
      privacy: { differentiallyPrivate: learned.privacy.differentiallyPrivate, epsilon: learned.privacy.epsilon, delta: learned.privacy.delta },
    };
    await staged.writeText(outputs.model, modelToJson(modelFile));
    timings.total = (performance.now() - started) / 1000;
    const card: MetadataCard = {
      format: 'synthetic-csv-card',
      version: 1,
      software: { name: 'synthetic-csv', version: VERSION },
      createdAt: modelFile.createdAt,
      source: { file: path.basename(options.input), ...(dp ? {} : { rows: n }), columns: schema.columns.length },
      output: { file: path.basename(outputs.csv), rows, columns: columns.map((c) => c.header ?? c.name), modelFile: path.basename(outputs.model), ...(formulaCells.count || formulaCells.neutralised ? { formulaCells } : {}) },
      generator: { name: generator, parameters: learned.parameters },
      backend: learned.backend,
      seed,
      training: {
        rows: dp ? learned.noisyRowCount! : table.rowCount,
        sampled,
        ...(split.note ? { note: split.note } : {}),
        history: learned.history,
      },
      holdout: {
        fraction: holdoutFraction,
        rows: holdoutCount,
        ...(dp ? { draw: 'secure coin per row' as const } : { draw: 'seeded shuffle' as const, seed }),
        encoding: 'bitset-base64',
        members: bitset(holdout),
      },
      privacy: learned.privacy,
      // Fine timings would follow the exact row count: a private card keeps whole seconds.
      timings: dp ? Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])) : timings,
      columns: schema.columns.map((c, i) => ({ name: c.name, kind: c.kind, handling: handling({ ...c, placeholderLengths: learned.schema.columns[i]?.placeholderLengths }, learned.privacy.differentiallyPrivate) })),
      rules: ruleReport.card,
      ...(sampleStats && sampleStats.rejected > 0 ? { redrawn: { rows: sampleStats.rejected, share: sampleStats.rejected / sampleStats.drawn, stillBroken: sampleStats.stillBroken } } : {}),
      notes,
    };
    if (evaluation && syntheticTable) {
      card.evaluation = evaluation;
      const data = buildReportData({ schema: { ...schema, rules: ruleReport.rules }, real: table, synthetic: syntheticTable, evaluation, card: card as unknown as Record<string, unknown> });
      await staged.writeText(outputs.report, renderReportHtml(data, { mode: 'file' }));
    } else {
      // A report of an earlier run must not sit beside outputs it does not describe.
      staged.removeAtCommit(outputs.report);
    }
    await staged.writeText(outputs.card, JSON.stringify(card, null, 2) + '\n');
    await staged.commit();
    phase('done', `Wrote ${path.basename(outputs.csv)}`);
    return { outputs, card };
  } catch (error) {
    await staged.discard();
    throw error;
  } finally {
    learned.dispose();
  }
}

/** Which rows are held out and which are trained on (the rest are neither, when sampled). */
interface Split {
  holdout: Uint8Array;
  training: Uint8Array;
  holdoutCount: number;
  trainingRows: number;
  sampled: boolean;
  note?: string;
  /** DP only: the noisy count that set the sampling rate, charged to the ledger. */
  countRelease?: ReleaseEntry;
}

/**
 * Without privacy: a shuffle seeded by --seed, so that a run can be repeated exactly; the first
 * `fraction` of the order is held out, the next rows up to `maxTraining` are trained on.
 */
function seededSplit(n: number, fraction: number, maxTraining: number, random: Random): Split {
  const holdout = new Uint8Array(n);
  const training = new Uint8Array(n);
  const holdoutCount = Math.floor(n * fraction);
  const order = Array.from({ length: n }, (_, i) => i);
  random.shuffle(order);
  for (let i = 0; i < holdoutCount; i++) holdout[order[i]] = 1;
  let trainingRows = 0;
  for (let i = holdoutCount; i < n && trainingRows < maxTraining; i++) {
    training[order[i]] = 1;
    trainingRows++;
  }
  const candidates = n - holdoutCount;
  const sampled = trainingRows < candidates;
  const note = sampled ? `Trained on a random sample of ${trainingRows} of ${candidates} rows (maximum training rows ${maxTraining}).` : undefined;
  return { holdout, training, holdoutCount, trainingRows, sampled, note };
}

/** Share of the zCDP budget spent on the noisy count that sets --max-training-rows' sampling rate. */
export const SAMPLING_COUNT_SHARE = 0.01;

/**
 * With privacy, the split must not be a function of the row count and a public seed: an adversary
 * who knows every row but one and the seed would recompute both files' splits, which differ in
 * many rows, and tell from the released histograms which file was used. Instead every row gets
 * its own coins from the secure stream (never from --seed): held out with probability `fraction`,
 * otherwise trained on with probability p. Without a given row, the training set is then
 * distributed exactly as with it, minus that row.
 *
 * p = min(1, maxTraining / C), where C is a Gaussian-noised count of the rows not held out (rho
 * `countRho`, charged to the ledger with the preprocessing). Why that is sound: C is itself a
 * zCDP release; given C, p is fixed, and the training set of a file with one more row x is the
 * training set without it, plus x with probability p (kept) or not (1 - p). The release computed
 * from it is a mixture of two outputs, one identical to the output without x and one at most
 * rho-divergent from it; Rényi divergence is quasi-convex, so the mixture is no more divergent than
 * the worse of the two, and the guarantee computed for the training set holds for the file. No
 * amplification by sampling is claimed. Composition with C's rho is adaptive composition. x's
 * holdout coin mixes once more: held out, nothing released depends on x (the holdout itself is
 * listed as not covered); not held out, the argument above applies.
 */
function privateSplit(n: number, fraction: number, maxTraining: number, countRho: number): Split {
  const coins = Random.secure();
  const holdout = new Uint8Array(n);
  let holdoutCount = 0;
  for (let i = 0; i < n; i++) {
    if (coins.next() < fraction) {
      holdout[i] = 1;
      holdoutCount++;
    }
  }
  // No cap (countRho 0): nothing to count, every row not held out is trained on.
  const sigma = countRho > 0 ? Math.sqrt(1 / (2 * countRho)) : 0;
  const noisyCandidates = countRho > 0 ? n - holdoutCount + discreteGaussianNoise(coins, sigma)() : Infinity;
  const rate = countRho > 0 ? Math.min(1, maxTraining / Math.max(1, noisyCandidates)) : 1;
  const training = new Uint8Array(n);
  let trainingRows = 0;
  for (let i = 0; i < n; i++) {
    if (!holdout[i] && (rate === 1 || coins.next() < rate)) {
      training[i] = 1;
      trainingRows++;
    }
  }
  const sampled = rate < 1;
  const note = sampled
    ? `Trained on a random sample: each of about ${Math.round(noisyCandidates).toLocaleString('en-GB')} rows (a noisy count) kept with probability ${rate.toPrecision(3)}, for about ${maxTraining.toLocaleString('en-GB')} rows (maximum training rows).`
    : undefined;
  return {
    holdout,
    training,
    holdoutCount,
    trainingRows,
    sampled,
    note,
    ...(countRho > 0 ? { countRelease: { column: '(all)', what: 'count of the rows not held out, which sets the sampling rate of --max-training-rows', rho: countRho, sigma } } : {}),
  };
}

/** The privacy request checked and split, before any row is read for learning. */
function planPrivacy(request: PrivacyRequest, generator: GeneratorName, schema: Schema): BudgetPlan {
  return planBudget({
    epsilon: request.epsilon,
    delta: request.delta ?? DEFAULT_DELTA,
    generator,
    thresholdedColumns: schema.columns.filter((c) => isModelled(c) && !isNumericColumn(c) && !c.public?.categories).length,
  });
}

interface Learned {
  /** The schema the outputs are written with (structure only when private). */
  schema: Schema;
  transformer: TableTransformer;
  source: (rows: number) => Promise<ChunkSource>;
  modelContent: Pick<ModelFile, 'tvae' | 'marginals' | 'marginalPairs' | 'pgm'>;
  parameters: Record<string, unknown>;
  backend: { name: string; detail: string };
  history: EpochRecord[] | ReleasedEpoch[];
  privacy: PrivacyStatement;
  noisyRowCount?: number;
  /**
   * With a privacy unit: the input's rows before bounding, estimated privately (output size). Both
   * estimates fall short (the release cannot see a few people with many rows through its noise,
   * the bounded count leaves their extra rows out): the larger is the better.
   */
  estimatedRows?: number;
  dispose: () => void;
}

type Phase = (name: GeneratePhase, message: string) => void;

const NO_DP_STATEMENT =
  'NO differential privacy: trained with --no-dp. This file carries no formal privacy guarantee; ' +
  'use it only for data that is not sensitive, or review the privacy evaluation before any release.';

/**
 * The code of the non-private tVAE: two dimensions per modelled column, 8 to 128 (TVAE: 128
 * always). A code much wider than the data leaves directions the prior fills and the data never
 * did, and samples lose the relationships: on three columns (two dates a few days apart), 128
 * gave a correlation of 0.59 where 8 gave 0.96. Measured without DP (quality): adult.csv 0.949 at
 * 128 against 0.959 at 30, flchain.csv 0.943 against 0.941 at 22; rhc.csv (63 columns) keeps 126.
 */
export function defaultLatentDim(modelledColumns: number): number {
  return Math.max(8, Math.min(128, 2 * modelledColumns));
}

/** Without privacy: exact statistics, ordinary training, calibration to the training columns. */
async function learnExactly(schema: Schema, table: Table, options: GenerateOptions, random: Random, phase: Phase): Promise<Learned> {
  phase('fit', 'Fitting column transformers');
  const transformer = TableTransformer.fit(schema, table, { seed: random.nextUint32() });
  const matrix = transformer.encode(table, { component: 'sample', seed: random.nextUint32() });
  const data = new TrainingData(matrix, table.rowCount, layoutFromSpans(transformer.spans, transformer.width));
  const { tf, backend, detail } = await loadTensorflow(options.backend ?? 'auto');
  const epochs = options.epochs ?? defaultEpochs(data.rows, options.model?.batchSize ?? 500);
  phase('train', `Training for ${epochs} epochs on ${data.rows} rows (${backend})`);
  const model = { latentDim: defaultLatentDim(schema.columns.filter(isModelled).length), ...options.model };
  const trained = await trainTvae(tf, data, { epochs, seed: random.nextUint32(), model, signal: options.signal, onProgress: options.onProgress });
  phase('fit', 'Calibrating the model to the training columns');
  const calibrated = calibrateToHistograms(trained.model, transformer, trainingHistograms(schema, table), schema.columns.length, random.nextUint32());
  return {
    schema: withPlaceholderLengths(
      modelSchema(schema),
      table.columns.map((data, index) => (!options.blankText && schema.columns[index].kind === 'text' && data.type === 'none' && data.lengths ? lengthHistogram(data.lengths) : undefined)),
    ),
    transformer: calibrated.transformer,
    source: (rows) => chunkSource(trained.model, options.backend ?? 'auto', rows),
    modelContent: { tvae: trained.model.toJSON() },
    parameters: {
      ...trained.model.options,
      epochs,
      epochsRun: trained.epochsRun,
      stoppedEarly: trained.stoppedEarly,
      calibratedToTrainingColumns: calibrated.calibratedColumns.map((c) => schema.columns[c].name),
    },
    backend: { name: backend, detail },
    history: trained.history,
    privacy: { differentiallyPrivate: false, statement: NO_DP_STATEMENT },
    dispose: () => trained.model.dispose(),
  };
}

/**
 * DP-SGD defaults, chosen by measurement (pair trends, mean of three runs; the marginals generator,
 * which keeps no relationships, scores 0.745 on adult.csv and 0.770 on rhc.csv at ε 3):
 * - numeric columns as one Gaussian component (DEFAULT_MIXTURE_COMPONENTS): with TVAE's up to
 *   10 modes, pair trends at ε 3 and 10 were lower still, the mode softmaxes being learned too
 *   roughly under the noise to keep two columns' orders together;
 * - a 2-dimensional code: the noise cannot resolve more directions, and every code dimension adds
 *   noisy weights (code 16: adult 0.769 / rhc 0.773 at ε 3 and 10; code 2: 0.791 / 0.798; code 3
 *   and 4 in between). With that code a wider layer pays (128 units: adult 0.809 at ε 3, 0.848 at
 *   ε 10 against 0.791 and 0.830 with 64; 256 no better);
 * - large batches (8 % of the rows) and a high learning rate: noise per parameter
 *   falls with the batch, and the few steps must count (20 epochs or 5: no better; 1e-2: no better);
 * - the KL term's weight rises over the first half, so the latent code is put to use before the
 *   prior pulls it in (without it, DP training collapsed to independent columns).
 * With the narrowed bounds of private preprocessing, `npm run bench -- --privacy` gives pair trends
 * at ε 3 of 0.787 / 0.793 / 0.813 on adult / rhc / flchain, against 0.763 / 0.780 / 0.714 for the
 * marginals generator.
 */
export const DP_DEFAULTS = {
  clippingNorm: 1,
  /**
   * Poisson sampling rate q, fixed whatever the file (13 steps an epoch), so the noise is
   * calibrated before any data is seen; the expected batch is 8 % of the rows.
   */
  samplingRate: 0.08,
  epochs: 10,
  klWarmupShare: 0.5,
  model: { learningRate: 6e-3, encoderDims: [128], decoderDims: [128], latentDim: 2 } satisfies Partial<TvaeOptions>,
};

/**
 * Below this many (released) rows the DP tVAE run says that the pgm generator is likely better.
 * Measured at ε 3 on the first 500 / 1,000 / 2,000 rows of adult.csv (quality, tVAE against
 * marginals): 0.676 / 0.778 / 0.811 against 0.716 / 0.792 / 0.821; pgm on the 2,000 rows: 0.855
 * and 0.847 (two runs).
 */
export const SMALL_FOR_DP_SGD = 3000;

/**
 * Share of preprocessing's budget spent on the rows-per-person histogram (privacy unit): about what
 * one column's release gets; it sets the bound k and the number of people DP-SGD samples from.
 */
export const UNIT_SIZES_SHARE = 0.1;

/** The default expected batch of DP training on `rows` (released) rows. */
export function defaultDpBatch(rows: number): number {
  return Math.max(1, Math.round(DP_DEFAULTS.samplingRate * rows));
}

/** Column indices of the requested pairs, checked against the schema before any work. */
function resolvePairs(schema: Schema, options: GenerateOptions): [number, number][] {
  const requested = options.pairs ?? [];
  if (requested.length === 0) return [];
  if ((options.generator ?? 'tvae') !== 'marginals' || !options.privacy || options.privacy === 'none') {
    throw new Error('column pairs belong to the marginals generator: add --generator marginals (the tVAE learns every relationship)');
  }
  const used = new Set<number>();
  return requested.map((pair) => {
    if (pair[0] === pair[1]) throw new Error(`pair ${pair.join(':')}: a pair needs two different columns`);
    const indices = pair.map((name) => {
      const index = schema.columns.findIndex((c) => c.name === name);
      if (index < 0) throw new Error(`pair ${pair.join(':')}: there is no column "${name}" (columns: ${schema.columns.map((c) => c.name).join(', ')})`);
      if (!isModelled(schema.columns[index])) throw new Error(`pair ${pair.join(':')}: column "${name}" is ${schema.columns[index].exclude ? 'excluded' : `a ${schema.columns[index].kind} column`}, which is not learned`);
      if (used.has(index)) throw new Error(`pair ${pair.join(':')}: column "${name}" is already in another pair (each column can be in one pair)`);
      used.add(index);
      return index;
    }) as [number, number];
    return indices;
  });
}

/**
 * With differential privacy: every statistic from the private rows goes through a DP mechanism
 * charged to one budget (privacy/preprocess.ts, privacy/budget.ts), and training is DP-SGD.
 */
async function learnPrivately(
  schema: Schema,
  table: Table,
  request: PrivacyRequest,
  plan: BudgetPlan,
  countRelease: ReleaseEntry | undefined,
  generator: GeneratorName,
  pairs: [number, number][],
  options: GenerateOptions,
  random: Random,
  phase: Phase,
): Promise<Learned> {
  const accountant = request.accountant ?? 'pld';
  // q and the steps are public choices, never derived from the data, so the noise multiplier
  // (calibrated below, after the quick checks of preprocessing) depends on public facts only and
  // the ledger accounts exactly what runs.
  const q = request.samplingRate ?? DP_DEFAULTS.samplingRate;
  if (!(q > 0 && q <= 1)) throw new Error(`the sampling rate must be greater than 0 and at most 1 (got ${q})`);
  const epochs = options.epochs ?? DP_DEFAULTS.epochs;
  const stepsPerEpoch = Math.max(1, Math.round(1 / q));
  const steps = epochs * stepsPerEpoch;
  // Every DP draw (noise, thresholds, batch coins) comes from this CSPRNG stream, never from the seed.
  const noise = Random.secure();
  const pgmBudget = generator === 'pgm' ? splitPgmBudget(largestRhoWithin(plan, (rho) => pgmLedger(splitPgmBudget(rho)), accountant)) : undefined;
  // The split's noisy count (if any) came out of the preprocessing budget.
  const countRho = countRelease?.rho ?? 0;
  let rhoHistograms = (generator === 'marginals' ? histogramsOnlyRho(plan, accountant) : (pgmBudget?.preprocessing ?? plan.rhoPreprocessing)) - countRho;
  // Person-level privacy: bound each person's rows first (privacy/units.ts); every later release
  // then has sensitivity k, and DP-SGD samples people.
  const unitName = unitColumn(schema);
  let units: BoundedUnits | undefined;
  if (unitName) {
    phase('fit', `Bounding the rows of each person identified by ${unitName}`);
    const rhoUnits = rhoHistograms * UNIT_SIZES_SHARE;
    rhoHistograms -= rhoUnits;
    const declared = schema.privacyUnit !== 'row' ? schema.privacyUnit?.maxRowsPerUnit : undefined;
    units = bindUnits(table, {
      column: unitName,
      rho: rhoUnits,
      maxRowsPerUnit: declared,
      random: noise,
      sigma1: Math.sqrt(releaseCount(schema, { needsCounts: true, pairs, textLengths: !options.blankText }) / (2 * rhoHistograms)),
    });
  }
  phase('fit', 'Releasing column statistics with differential privacy');
  const released = privateStatistics(schema, units?.table ?? table, {
    rho: rhoHistograms,
    thresholdDelta: plan.thresholdDeltaPerColumn,
    random: noise,
    delta: plan.delta,
    needsCounts: true,
    pairs,
    textLengths: !options.blankText,
    maxRowsPerUnit: units?.maxRowsPerUnit,
  });
  // The split's count and the rows-per-person releases are part of preprocessing's budget and ledger.
  const extra = [...(countRelease ? [countRelease] : []), ...(units?.releases ?? [])];
  const stats: PrivateStatistics = extra.length ? { ...released, rho: released.rho + countRho + (units?.rho ?? 0), releases: [...extra, ...released.releases] } : released;
  const preprocessingRho = stats.rho;
  const releases = stats.releases;
  const unit: PrivacyUnitStatement = units
    ? {
        column: unitName!,
        maxRowsPerUnit: units.maxRowsPerUnit,
        maxRowsChosen:
          units.chosen === 'declared'
            ? 'declared in the schema or on the command line'
            : 'chosen privately from a noisy histogram of rows per person (in the ledger): the largest bound at which the people holding more rows outweigh the noise each extra row per person adds',
        extraRows: 'dropped at random, each person\'s kept rows chosen with secure random coins',
        noisyUnits: units.noisyUnits,
      }
    : 'row';
  const neighbour = units ? `one person (all rows with one ${unitName} value)` : 'one row';
  const unitWords = units ? `; it protects each person identified by ${unitName}, with up to ${units.maxRowsPerUnit.toLocaleString('en-GB')} of their rows` : '';
  const structure = withPlaceholderLengths(structuralSchema(schema, stats, options.schema !== undefined), stats.textLengths);
  const transformer = TableTransformer.fromFacts(structure, stats.facts, { seed: random.nextUint32() });
  const preprocessingAlone = ledger(stats.rho, 0, 1, 0).epsilon(plan.accountingDelta, accountant);
  const accountantName = accountant === 'pld' ? 'privacy loss distribution (PLD)' : 'Rényi DP (RDP)';
  const file = path.basename(options.input);
  // The same words for both generators: which file, which neighbours, and that ε is a bound.
  const guarantee = (epsilon: number, mechanisms: string): string =>
    `(ε = ${epsilon.toFixed(2)}, δ = ${plan.delta.toExponential(1)})-differentially private for ${file}, with respect to adding or removing ${neighbour}${unitWords}: ${mechanisms}. ε is an upper bound computed by the ${accountantName} accountant.`;
  const common = {
    about: { file, neighbours: `any file that differs from it by ${neighbour}, added or removed` },
    unit,
    accountant: `${accountantName}, add/remove ${neighbour}`,
    declaredPublic: [
      ...stats.publicFacts,
      ...(options.schema
        ? ['The format facts of the schema you supplied (missing-value tokens, quoting, decimal places, identifier shapes): used as you declared them.']
        : []),
    ],
    notCovered: [
      'The schema structure: column names and order, the header, kinds, date formats, number conventions (a decimal comma, currency or % signs), which columns are identifiers and of which type, the CSV dialect (delimiter, quote, line ending, byte-order mark) and the card\'s `notes` on how the file was read. It is read from the file, you review and approve it, and it is treated as public.',
      ...(options.schema
        ? []
        : ['Output formats are not read from the rows: missing values are written as empty cells, values quoted only where needed, decimal places follow the released histograms, identifiers take a standard shape. Supply a schema (--schema) to declare them.']),
      'The evaluation, the HTML report, the exact row counts in them and the holdout (its row count and row list): computed on the real data for the governance review, NOT differentially private. Remove the `evaluation` and `holdout` fields before publishing this card.',
      'Timings, in whole seconds: they grow with the size of the file.',
      'Identifier columns are regenerated in their format from the schema, never from values.',
    ],
    noiseSource:
      generator === 'tvae'
        ? "Node's crypto CSPRNG (not the --seed), buffered; counts: exact discrete Gaussian (Canonne, Kamath, Steinke 2020); DP-SGD: Box-Muller normals on 53-bit uniforms, floating-point noise (see Mironov 2012); Poisson batch, holdout and training-sample coins: 53-bit uniforms from the same source"
        : generator === 'pgm'
          ? "Node's crypto CSPRNG (not the --seed), buffered; column histograms and pair marginals: exact discrete Gaussian (Canonne, Kamath, Steinke 2020); selection (exponential mechanism), holdout and training-sample coins: 53-bit uniforms from the same source"
          : "Node's crypto CSPRNG (not the --seed), buffered; counts: exact discrete Gaussian (Canonne, Kamath, Steinke 2020); holdout and training-sample coins: 53-bit uniforms from the same source",
  };

  if (generator === 'marginals') {
    const epsilon = preprocessingAlone;
    return {
      schema: structure,
      transformer,
      source: async () => new MarginalsSource(structure, stats.histograms, transformer, stats.pairs),
      modelContent: { marginals: stats.histograms, marginalPairs: stats.pairs },
      parameters: {
        columnsIndependent: pairs.length === 0,
        histogramBins: 128,
        ...(pairs.length ? { pairs: pairs.map(([a, b]) => [schema.columns[a].name, schema.columns[b].name]), pairValueCells: PAIR_VALUE_CELLS } : {}),
      },
      backend: { name: 'none', detail: `no neural network: DP histograms${pairs.length ? ' of columns and of the chosen pairs' : ', columns independent'}` },
      history: [],
      noisyRowCount: stats.rowCount,
      ...(units ? { estimatedRows: Math.max(units.estimatedRows, stats.rowCount) } : {}),
      privacy: {
        differentiallyPrivate: true,
        statement: guarantee(epsilon, `column histograms${pairs.length ? ' and joint histograms of the chosen pairs' : ''} released with the Gaussian mechanism`),
        epsilon,
        delta: plan.delta,
        ...common,
        budget: { preprocessing: { rho: preprocessingRho, epsilonAlone: preprocessingAlone, releases }, thresholdDelta: stats.thresholdDelta, accountingDelta: plan.accountingDelta },
      },
      dispose: () => undefined,
    };
  }

  if (pgmBudget) {
    phase('fit', 'Choosing column pairs and measuring them with differential privacy; fitting the graphical model');
    const target = options.target === undefined ? -1 : schema.columns.findIndex((c) => c.name === options.target);
    const hub = target >= 0 ? target : 'auto';
    const fit = fitPgm({ schema, table, stats, rhoSelection: pgmBudget.selection, rhoMeasurement: pgmBudget.measurement, random: noise, hub });
    const modelRho = fit.spent.selection + fit.spent.measurement;
    const pgmMechanisms = 'column histograms, and joint histograms of column pairs chosen by the exponential mechanism, released with the Gaussian mechanism and composed in zCDP';
    const epsilon = pgmLedger({ preprocessing: stats.rho, ...fit.spent }).epsilon(plan.accountingDelta, accountant);
    return {
      schema: structure,
      transformer,
      source: async () => new PgmSource(structure, fit.state, transformer),
      modelContent: { pgm: fit.state },
      parameters: { pairs: fit.pairs, ...(fit.state.hub !== undefined ? { hub: schema.columns[fit.state.domains[fit.state.hub].column].name } : {}), selectionEpsilonPerRound: fit.selectionEpsilonPerRound, pairNoiseSigma: fit.measurementSigma, cellsPerColumn: fit.state.domains.map((d) => d.cells) },
      backend: { name: 'none', detail: `no neural network: a graphical model of ${fit.pairs.length} privately chosen column pairs (MST)${fit.state.hub !== undefined ? `, each measured with ${schema.columns[fit.state.domains[fit.state.hub].column].name}` : ''}` },
      history: [],
      noisyRowCount: fit.rowCount,
      privacy: {
        differentiallyPrivate: true,
        statement:
          fit.spent.selection > 0
            ? `(ε = ${epsilon.toFixed(2)}, δ = ${plan.delta.toExponential(1)})-differentially private for ${file}, with respect to adding or removing one row: ${pgmMechanisms}. ε is an upper bound computed by the Rényi DP (RDP) accountant (the exponential mechanism has no exact privacy loss distribution).`
            : guarantee(epsilon, pgmMechanisms),
        epsilon,
        delta: plan.delta,
        ...common,
        // The exponential mechanism has no exact PLD: the ledger composes in RDP.
        ...(fit.spent.selection > 0 ? { accountant: 'Rényi DP (RDP) of zCDP releases, add/remove adjacency' } : {}),
        budget: {
          preprocessing: { rho: stats.rho, epsilonAlone: preprocessingAlone, releases: stats.releases },
          model: { rho: modelRho, epsilonAlone: pgmLedger({ preprocessing: 0, ...fit.spent }).epsilon(plan.accountingDelta, accountant), releases: fit.releases },
          thresholdDelta: stats.thresholdDelta,
          accountingDelta: plan.accountingDelta,
        },
      },
      dispose: () => undefined,
    };
  }

  // With a privacy unit the people are the samples DP-SGD averages over.
  if ((units?.noisyUnits ?? stats.rowCount) < SMALL_FOR_DP_SGD) {
    phase(
      'fit',
      `Note: with about ${units ? `${units.noisyUnits.toLocaleString('en-GB')} people and ` : ''}${stats.rowCount.toLocaleString('en-GB')} rows, DP-SGD learns little through its noise; --generator pgm usually does better on files this small, in seconds.`,
    );
  }
  const trainingTable = units?.table ?? table;
  const matrix = transformer.encode(trainingTable, { component: 'sample', seed: random.nextUint32() });
  const data = new TrainingData(matrix, trainingTable.rowCount, layoutFromSpans(transformer.spans, transformer.width));
  const { tf, backend, detail } = await loadTensorflow(options.backend ?? 'auto');
  // DP-SGD samples units (people, or rows) at rate q: the expected batch counts them (noisy count).
  const sampledUnits = units?.noisyUnits ?? stats.rowCount;
  const clippingNorm = request.clippingNorm ?? DP_DEFAULTS.clippingNorm;
  phase('fit', `Calibrating noise for ε = ${plan.epsilon}, δ = ${plan.delta.toExponential(1)} over ${steps} steps`);
  const sigma = calibrateNoise(plan, preprocessingRho, q, steps, accountant);
  phase('train', `Training with DP-SGD for ${epochs} epochs (noise multiplier ${sigma.toFixed(3)}, clipping ${clippingNorm}, ${backend})`);
  const spentAfter = epsilonByStep(plan, preprocessingRho, q, sigma, stepsPerEpoch, epochs, accountant);
  const trained = await trainTvaeDp(tf, data, {
    epochs,
    seed: random.nextUint32(),
    model: {
      ...DP_DEFAULTS.model,
      ...options.model,
      // Batches are Poisson samples of this expected size (recorded as such in the card).
      batchSize: Math.round(q * sampledUnits),
    },
    klWarmupEpochs: epochs * DP_DEFAULTS.klWarmupShare,
    samplingRate: q,
    expectedBatchSize: q * sampledUnits,
    ...(units ? { units: units.groups } : {}),
    noiseMultiplier: sigma,
    clippingNorm,
    noiseRandom: noise,
    epsilonAfter: spentAfter,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  phase('fit', 'Calibrating the model to the released column histograms (post-processing, no privacy cost)');
  const calibrated = calibrateToHistograms(trained.model, transformer, stats.histograms, structure.columns.length, random.nextUint32());
  const total = spentAfter(steps);
  const trainingAlone = ledger(0, q, sigma, steps).epsilon(plan.accountingDelta, accountant);
  return {
    schema: structure,
    transformer: calibrated.transformer,
    source: (rows) => chunkSource(trained.model, options.backend ?? 'auto', rows),
    modelContent: { tvae: trained.model.toJSON() },
    parameters: {
      ...trained.model.options,
      epochs,
      epochsRun: trained.epochsRun,
      stoppedEarly: false,
      calibratedToRelease: calibrated.calibratedColumns.map((c) => structure.columns[c].name),
    },
    backend: { name: backend, detail },
    // The loss is computed on private rows, and an epoch's time and speed give the size of its
    // Poisson-sampled batches: only the privacy spent is released.
    history: trained.history.map((h): ReleasedEpoch => ({ epoch: h.epoch, epsilon: h.epsilon })),
    noisyRowCount: stats.rowCount,
    ...(units ? { estimatedRows: Math.max(units.estimatedRows, stats.rowCount) } : {}),
    privacy: {
      differentiallyPrivate: true,
      statement: guarantee(total, `column statistics released with the Gaussian mechanism, then DP-SGD training${units ? ' (people sampled, each person\'s summed gradient clipped)' : ''}, the two composed`),
      epsilon: total,
      delta: plan.delta,
      noiseMultiplier: sigma,
      clippingNorm,
      samplingRate: q,
      expectedBatchSize: q * sampledUnits,
      steps,
      epochs,
      ...common,
      budget: {
        preprocessing: { rho: preprocessingRho, epsilonAlone: preprocessingAlone, releases },
        training: { epsilonAlone: trainingAlone },
        thresholdDelta: stats.thresholdDelta,
        accountingDelta: plan.accountingDelta,
      },
    },
    dispose: () => trained.model.dispose(),
  };
}

/**
 * The schema as released with a private model: structure only (names, kinds, date formats, the
 * dialect), which the user reviews and which the card lists as not covered. Counts, ranges and
 * category lists inferred from the rows are dropped; constants are kept only when declared public,
 * since a constant's value comes from the data. Facts that only format the output are not taken
 * from the rows, where one row can change them (one blank cell sets a missing-value token, one
 * long decimal the decimal places): they come from a schema the user supplied (a declaration), or
 * else from the release (decimal places from the released histogram's resolution) or a neutral
 * default (missing values written as empty cells, quoting only where needed, standard identifier
 * shapes). Whether a column has missing values at all is the released histogram's to say.
 */
function structuralSchema(schema: Schema, stats: PrivateStatistics, declared: boolean): Schema {
  return {
    ...schema,
    ...(schema.source ? { source: { file: schema.source.file } } : {}),
    rowCount: stats.rowCount,
    notes: [],
    columns: schema.columns.map((c, index) => {
      const { min: _min, max: _max, categories: _c, distinctCount: _d, text: _t, warnings: _w, readAsMissing: _r, formulaLike: _f, missingQuoted, number, identifier, ...rest } = c;
      const publicConstant = c.kind === 'constant' && c.public?.categories?.length === 1;
      const histogram = stats.histograms[index];
      // The column's conventions (decimal comma, currency or % signs) are kept as structure; digit
      // grouping (set by whichever values reach 1,000), padding and notation are not.
      const conventions = number ? { ...(number.decimalSeparator ? { decimalSeparator: number.decimalSeparator } : {}), ...(number.prefix ? { prefix: number.prefix } : {}), ...(number.suffix ? { suffix: number.suffix } : {}) } : {};
      const releasedNumber =
        c.kind === 'continuous' && histogram?.type === 'numeric'
          ? { decimals: decimalsForResolution(histogram), fixed: false, ...conventions }
          : c.kind === 'integer'
            ? { decimals: 0, fixed: false, ...conventions }
            : undefined;
      const format = declared ? number : releasedNumber;
      return {
        ...rest,
        missingCount: 0,
        missingRate: 0,
        distinctCount: 0,
        distinctExact: false,
        missingToken: declared ? c.missingToken : '',
        quoting: declared ? c.quoting : 'as-needed',
        ...(declared && missingQuoted !== undefined ? { missingQuoted } : {}),
        ...(format ? { number: format } : {}),
        ...(identifier ? { identifier: declared ? identifier : neutralIdentifier(identifier) } : {}),
        ...(publicConstant ? { categories: [{ value: c.public!.categories![0], count: 0 }] } : {}),
      };
    }),
  };
}

/**
 * Decimal places for a continuous column from its released histogram: one more than a bin's width
 * needs (a tenth of a bin), at most 6. Bins are the resolution the release has; finer digits would
 * only show the generator's own noise.
 */
export function decimalsForResolution(histogram: NumericHistogram): number {
  const width = (histogram.edges[histogram.edges.length - 1] - histogram.edges[0]) / Math.max(1, histogram.counts.length);
  if (!(width > 0)) return 0;
  return Math.max(0, Math.min(6, Math.ceil(-Math.log10(width)) + 1));
}

function handling(c: Schema['columns'][number], differentiallyPrivate: boolean): string {
  if (c.exclude) return 'excluded';
  if (c.kind === 'identifier') return c.identifier?.handling === 'drop' ? 'dropped' : 'regenerated in the same format, not learned';
  if (c.kind === 'text') return c.placeholderLengths ? 'not learned; placeholder text (neutral filler words, not from the data) at the real length distribution' : 'not learned; left blank';
  if (c.kind === 'constant') return differentiallyPrivate && !(c.public?.categories?.length === 1) ? 'left blank (its value is private unless declared public)' : 'repeated';
  return 'learned';
}

/** Free-text columns with a length histogram get placeholder text; the rest stay blank. */
function withPlaceholderLengths(schema: Schema, lengths: readonly (number[] | undefined)[]): Schema {
  return { ...schema, columns: schema.columns.map((c, i) => (lengths[i] ? { ...c, placeholderLengths: lengths[i] } : c)) };
}

/** The schema as the model file keeps it: per-category counts dropped (only the levels are needed). */
function modelSchema(schema: Schema): Schema {
  return {
    ...schema,
    columns: schema.columns.map((c) => ({ ...c, categories: c.categories?.map((k) => ({ value: k.value, count: 0 })) })),
  };
}

function bitset(mask: Uint8Array): string {
  const bytes = new Uint8Array(Math.ceil(mask.length / 8));
  for (let i = 0; i < mask.length; i++) if (mask[i]) bytes[i >> 3] |= 1 << (i & 7);
  return Buffer.from(bytes).toString('base64');
}

export { TrainingCancelled };
