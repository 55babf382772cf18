import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCsv } from './csv/reader';
import { CsvWriter } from './csv/writer';
import { InputError } from './csv/errors';
import { StagedOutputs } from './io/atomic';
import { loadTensorflow, type BackendPreference } from './model/backend';
import { chunkSource } from './model/parallel';
import { modelToJson, type ModelFile } from './model/model-file';
import { defaultEpochs, trainTvae, TrainingCancelled, type EpochRecord, type TrainProgress } from './model/train';
import { layoutFromSpans, TrainingData, type TvaeOptions } from './model/tvae';
import { Random } from './random';
import { outputColumns, sampleRows } from './sampler';
import { inferSchema } from './schema/infer';
import type { Schema } from './schema/types';
import { loadTable, type Table } from './table';
import { TableTransformer } from './transform/transformer';
import { VERSION } from './version';
import { evaluate } from './evaluate/evaluate';
import type { Evaluation } from './evaluate/types';
import { buildReportData } from './report/data';
import { renderReportHtml } from './report/render';

export interface GenerateOptions {
  input: string;
  /** Use this schema instead of inferring one (a user-edited schema file). */
  schema?: Schema;
  /** Synthetic rows to write; default: as many as the input has. */
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
  signal?: AbortSignal;
  onPhase?: (phase: GeneratePhase, message: string) => void;
  onProgress?: (progress: TrainProgress) => void;
}

export type GeneratePhase = 'schema' | 'load' | 'fit' | 'train' | 'sample' | 'evaluate' | 'write' | 'done';

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
  source: { file: string; rows: number; columns: number };
  output: { file: string; rows: number; columns: string[]; modelFile: string };
  generator: { name: 'tvae'; parameters: TvaeOptions & { epochs: number; epochsRun: number; stoppedEarly: boolean } };
  backend: { name: string; detail: string };
  seed: number;
  training: { rows: number; sampled: boolean; note?: string; history: EpochRecord[] };
  holdout: { fraction: number; rows: number; seed: number; encoding: 'bitset-base64'; members: string };
  privacy: PrivacyStatement;
  timings: Record<string, number>;
  /** Column kinds and handling (no per-value statistics, which would leak private data). */
  columns: { name: string; kind: string; handling: string }[];
  notes: string[];
  evaluation?: Evaluation;
}

export interface PrivacyStatement {
  differentiallyPrivate: boolean;
  statement: string;
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
  if (!fs.existsSync(path.dirname(path.resolve(outputs.csv)))) {
    throw new Error(`the output folder ${path.dirname(outputs.csv)} does not exist`);
  }
  const staged = new StagedOutputs(options.force ?? false);
  staged.checkTargets(Object.values(outputs));
  const seed = options.seed ?? 0;
  const random = new Random(seed);

  phase('schema', `Reading ${path.basename(options.input)}`);
  // A given schema may come from another file: the row count is this file's own.
  const schema = options.schema
    ? { ...options.schema, rowCount: (await readCsv(options.input, () => undefined, { signal: options.signal })).rowCount }
    : await time('schema', () => inferSchema(options.input, { signal: options.signal }));
  const n = schema.rowCount;
  if (n < 2) throw new InputError('needs at least two data rows to learn from', { file: path.basename(options.input) });

  // Holdout rows are chosen before anything is learned, and never trained on.
  const holdoutFraction = options.holdoutFraction ?? DEFAULT_HOLDOUT_FRACTION;
  if (!(holdoutFraction >= 0 && holdoutFraction < 1)) throw new Error('the holdout fraction must be in [0, 1)');
  const splitRandom = random.fork();
  const holdout = new Uint8Array(n);
  const holdoutCount = Math.floor(n * holdoutFraction);
  const order = Array.from({ length: n }, (_, i) => i);
  splitRandom.shuffle(order);
  for (let i = 0; i < holdoutCount; i++) holdout[order[i]] = 1;
  const maxTraining = options.maxTrainingRows ?? DEFAULT_MAX_TRAINING_ROWS;
  const trainingCandidates = n - holdoutCount;
  const training = new Uint8Array(n);
  let trainingRows = 0;
  for (let i = holdoutCount; i < n && trainingRows < maxTraining; i++) {
    training[order[i]] = 1;
    trainingRows++;
  }
  const sampled = trainingRows < trainingCandidates;
  const notes: string[] = [...(schema.notes ?? [])];
  if (sampled) notes.push(`Trained on a random sample of ${trainingRows} of ${trainingCandidates} rows (maximum training rows ${maxTraining}).`);

  phase('load', `Loading ${trainingRows} training rows`);
  const table = await time('load', () => loadTable(options.input, schema, { select: (row) => training[row] === 1, signal: options.signal }));

  phase('fit', 'Fitting column transformers');
  const transformer = await time('transform', () => TableTransformer.fit(schema, table, { seed: random.nextUint32() }));
  const matrix = transformer.encode(table, { component: 'sample', seed: random.nextUint32() });
  const layout = layoutFromSpans(transformer.spans, transformer.width);
  const data = new TrainingData(matrix, table.rowCount, layout);

  const { tf, backend, detail } = await loadTensorflow(options.backend ?? 'auto');
  const batchSize = options.model?.batchSize ?? 500;
  const epochs = options.epochs ?? defaultEpochs(data.rows, batchSize);
  phase('train', `Training for ${epochs} epochs on ${data.rows} rows (${backend})`);
  const trained = await time('train', () =>
    trainTvae(tf, data, { epochs, seed: random.nextUint32(), model: options.model, signal: options.signal, onProgress: options.onProgress }),
  );

  const rows = options.rows ?? n;
  const columns = outputColumns(schema);
  try {
    phase('sample', `Sampling ${rows} rows`);
    const writer = CsvWriter.forSchema(schema, columns);
    const source = await chunkSource(trained.model, options.backend ?? 'auto', rows);
    try {
      await time('sample', () =>
        staged.write(outputs.csv, async (write) => {
          await write(writer.header());
          await sampleRows(
            schema,
            transformer,
            source,
            rows,
            random.nextUint32(),
            async (chunk) => {
              let text = '';
              for (const row of chunk) text += writer.row(row);
              await write(text);
            },
            options.signal,
          );
        }),
      );
    } finally {
      await source.close();
    }

    let evaluation: Evaluation | undefined;
    let syntheticTable: Table | undefined;
    if (options.evaluate ?? true) {
      phase('evaluate', 'Evaluating fidelity, utility and privacy');
      evaluation = await time('evaluate', async () => {
        const synthetic = (syntheticTable = await loadTable(staged.stagedPath(outputs.csv), schema));
        const holdoutTable = holdoutCount > 0 ? await loadTable(options.input, schema, { select: (row) => holdout[row] === 1 }) : undefined;
        const test = options.testFile ? await loadTable(options.testFile, { ...schema, rowCount: 0 }) : undefined;
        return evaluate(
          {
            schema,
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
            privacy: { differentiallyPrivate: false },
          },
          { target: options.target, protected: options.protectedColumn, seed },
        );
      });
    }

    phase('write', 'Writing the model and metadata card');
    const privacy: PrivacyStatement = {
      differentiallyPrivate: false,
      statement:
        'NO differential privacy: trained with --no-dp. This file carries no formal privacy guarantee; ' +
        'use it only for data that is not sensitive, or review the privacy evaluation before any release.',
    };
    const modelFile: ModelFile = {
      format: 'synthetic-csv-model',
      version: 1,
      generator: 'tvae',
      createdAt: new Date().toISOString(),
      software: VERSION,
      backend,
      seed,
      schema: modelSchema(schema),
      transformer: transformer.toJSON(),
      tvae: trained.model.toJSON(),
      privacy: { differentiallyPrivate: false },
    };
    await staged.writeText(outputs.model, modelToJson(modelFile));
    timings.total = (performance.now() - started) / 1000;
    const card: MetadataCard = {
      format: 'synthetic-csv-card',
      version: 1,
      software: { name: 'synthetic-csv', version: VERSION },
      createdAt: modelFile.createdAt,
      source: { file: path.basename(options.input), rows: n, columns: schema.columns.length },
      output: { file: path.basename(outputs.csv), rows, columns: columns.map((c) => c.header ?? c.name), modelFile: path.basename(outputs.model) },
      generator: { name: 'tvae', parameters: { ...trained.model.options, epochs, epochsRun: trained.epochsRun, stoppedEarly: trained.stoppedEarly } },
      backend: { name: backend, detail },
      seed,
      training: { rows: data.rows, sampled, ...(sampled ? { note: notes[notes.length - 1] } : {}), history: trained.history },
      holdout: { fraction: holdoutFraction, rows: holdoutCount, seed, encoding: 'bitset-base64', members: bitset(holdout) },
      privacy,
      timings,
      columns: schema.columns.map((c) => ({ name: c.name, kind: c.kind, handling: handling(c) })),
      notes,
    };
    if (evaluation && syntheticTable) {
      card.evaluation = evaluation;
      const data = buildReportData({ schema, real: table, synthetic: syntheticTable, evaluation, card: card as unknown as Record<string, unknown> });
      await staged.writeText(outputs.report, renderReportHtml(data, { mode: 'file' }));
    }
    await staged.writeText(outputs.card, JSON.stringify(card, null, 2) + '\n');
    await staged.commit();
    phase('done', `Wrote ${path.basename(outputs.csv)}`);
    return { outputs, card };
  } catch (error) {
    await staged.discard();
    throw error;
  } finally {
    trained.model.dispose();
  }
}

function handling(c: Schema['columns'][number]): string {
  if (c.exclude) return 'excluded';
  if (c.kind === 'identifier') return c.identifier?.handling === 'drop' ? 'dropped' : 'regenerated in the same format, not learned';
  if (c.kind === 'text') return 'not learned; left blank';
  if (c.kind === 'constant') return 'repeated';
  return 'learned';
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
