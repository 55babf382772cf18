/**
 * The worker process: the extension forks it for every heavy job so that parsing, training and
 * sampling never block the editor, and TensorFlow never loads in the extension host. One job per
 * process: the host disconnects when the job ends and the process exits.
 */
import * as fs from 'node:fs';
import { InputError } from '../core/csv/errors';
import { removeUnfinishedOutputs, writeFileAtomic } from '../core/io/atomic';
import { generate } from '../core/generate';
import { generatorOfMode } from '../core/generators/catalog';
import { sampleFromModel } from '../core/sample-model';
import { parseCondition } from '../core/conditions';
import { DEFAULT_EPSILON } from '../core/privacy/budget';
import { checkRulesOnFile } from '../core/rules/verify';
import { inferSchema } from '../core/schema/infer';
import { readSchemaFile } from '../core/schema/schema-file';
import type { GenerateParams, RunSummary, SampleParams, WorkerError, WorkerRequest, WorkerResponse } from '../protocol/messages';

const running = new Map<number, AbortController>();

function send(message: WorkerResponse): void {
  if (process.connected) process.send?.(message);
}

function log(level: 'info' | 'warn' | 'error', message: string): void {
  send({ type: 'log', level, message });
}

function toWorkerError(error: unknown): WorkerError {
  if (error instanceof InputError) {
    return { message: error.message, detail: error.detail, file: error.file, line: error.line, column: error.column, columnName: error.columnName };
  }
  if (error instanceof Error) {
    if (error.stack) log('error', error.stack);
    return { message: error.message };
  }
  return { message: String(error) };
}

async function handle(request: WorkerRequest): Promise<void> {
  if (request.type === 'cancel') {
    running.get(request.id)?.abort(new Error('cancelled'));
    return;
  }
  const controller = new AbortController();
  running.set(request.id, controller);
  try {
    switch (request.type) {
      case 'inferSchema': {
        const schema = await inferSchema(request.file, {
          rules: true,
          signal: controller.signal,
          onProgress: (read, total) => send({ type: 'progress', id: request.id, fraction: total ? read / total : 0, message: 'Reading' }),
        });
        send({ type: 'schema', id: request.id, schema });
        break;
      }
      case 'generate':
        send({ type: 'generated', id: request.id, summary: await runGenerate(request.id, request.params, controller.signal) });
        break;
      case 'sample':
        await runSample(request.id, request.params, controller.signal);
        break;
      case 'checkRules':
        send({ type: 'rulesChecked', id: request.id, results: await checkRulesOnFile(request.file, request.schema, request.rules, { signal: controller.signal }) });
        break;
    }
  } catch (error) {
    if (controller.signal.aborted) send({ type: 'cancelled', id: request.id });
    else send({ type: 'error', id: request.id, error: toWorkerError(error) });
  } finally {
    running.delete(request.id);
  }
}

async function runGenerate(id: number, params: GenerateParams, signal: AbortSignal): Promise<RunSummary> {
  const started = performance.now();
  const schema = params.schemaFile ? await readSchemaFile(params.schemaFile) : undefined;
  if (schema) log('info', `Using the schema in ${params.schemaFile}`);
  const result = await generate({
    input: params.input,
    schema,
    out: params.out,
    force: params.force,
    rows: params.rows,
    epochs: params.epochs,
    seed: params.seed,
    backend: params.backend,
    holdoutFraction: params.holdoutFraction,
    maxTrainingRows: params.maxTrainingRows,
    neutraliseFormulas: params.neutraliseFormulas,
    blankText: params.blankText,
    privacy: params.mode === 'none' ? 'none' : { epsilon: params.epsilon ?? DEFAULT_EPSILON, delta: params.delta },
    generator: generatorOfMode(params.mode),
    signal,
    onPhase: (phase, message) => {
      log('info', message);
      send({ type: 'phase', id, phase, message });
    },
    onProgress: (p) =>
      send({
        type: 'training',
        id,
        progress: {
          epoch: p.epoch,
          epochs: p.epochs,
          step: p.step,
          stepsPerEpoch: p.stepsPerEpoch,
          loss: p.loss,
          elapsedSeconds: p.elapsedSeconds,
          etaSeconds: p.etaSeconds,
          ...(p.epsilon !== undefined ? { epsilon: p.epsilon } : {}),
        },
      }),
  });
  const { outputs, card } = result;
  const privacy = card.privacy as { differentiallyPrivate: boolean; epsilon?: unknown };
  const quality = qualityScore(card.evaluation);
  return {
    outputs: { csv: outputs.csv, card: outputs.card, model: outputs.model, report: outputs.report },
    written: {
      csv: fs.existsSync(outputs.csv),
      card: fs.existsSync(outputs.card),
      model: fs.existsSync(outputs.model),
      report: fs.existsSync(outputs.report),
    },
    rows: card.output.rows,
    epochsRun: Number(card.generator.parameters.epochsRun ?? 0),
    backend: card.backend.name,
    seconds: (performance.now() - started) / 1000,
    differentiallyPrivate: privacy.differentiallyPrivate,
    ...(typeof privacy.epsilon === 'number' ? { epsilon: privacy.epsilon } : {}),
    ...(quality !== undefined ? { quality } : {}),
  };
}

/** card.evaluation.quality.score, when the engine evaluated the run. */
function qualityScore(evaluation: unknown): number | undefined {
  const quality = (evaluation as { quality?: { score?: unknown } } | undefined)?.quality;
  return typeof quality?.score === 'number' && Number.isFinite(quality.score) ? quality.score : undefined;
}

async function runSample(id: number, params: SampleParams, signal: AbortSignal): Promise<void> {
  const options = {
    model: params.model,
    rows: params.rows,
    seed: params.seed,
    format: params.format,
    tableName: params.tableName,
    backend: params.backend,
    neutraliseFormulas: params.format === 'csv' && params.neutraliseFormulas,
    signal,
    where: (params.where ?? []).map(parseCondition),
  };
  if (params.out) {
    await writeFileAtomic(params.out, async (write) => void (await sampleFromModel(options, write)), { overwrite: true });
    send({ type: 'sampled', id, rows: params.rows, file: params.out });
    return;
  }
  let text = '';
  await sampleFromModel(options, async (chunk) => {
    text += chunk;
  });
  if (params.literalOnly && params.format === 'ts') {
    text = text.replace(/^export const \w+ = /, '').replace(/;\s*$/, '\n');
  }
  send({ type: 'sampled', id, rows: params.rows, text });
}

if (!process.send) {
  process.stderr.write('synthetic-csv worker: start me with child_process.fork\n');
  process.exit(2);
}
// Killed mid-run (the host's cancel grace period ran out, or the editor's terminal closed): leave no temporary files behind.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(signal, () => {
    removeUnfinishedOutputs();
    process.exit(143);
  });
}
process.on('message', (message: WorkerRequest) => void handle(message));
process.on('disconnect', () => {
  for (const controller of running.values()) controller.abort(new Error('cancelled'));
  removeUnfinishedOutputs();
  process.exit(0);
});
send({ type: 'ready', pid: process.pid });
