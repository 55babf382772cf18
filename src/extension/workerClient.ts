import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { removeStaleTemporaryFiles } from '../core/io/atomic';
import type { RuleCheckResult } from '../core/rules/verify';
import type { Rule, Schema } from '../core/schema/types';
import {
  isFinalResponse,
  type FinalResponse,
  type GenerateParams,
  type RunSummary,
  type SampleParams,
  type WorkerError,
  type WorkerRequest,
  type WorkerResponse,
} from '../protocol/messages';

export class WorkerFailure extends Error {
  constructor(readonly detail: WorkerError) {
    super(detail.message);
  }
}

/** The job was cancelled and its process is gone. */
export class JobCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** The worker process ended without answering: a crash, out of memory, or killed from outside. */
export class WorkerCrashed extends Error {}

export interface CancelSource {
  onCancellationRequested(listener: () => void): unknown;
}

export interface JobHooks {
  onMessage?: (message: WorkerResponse) => void;
  log: (level: 'info' | 'warn' | 'error', line: string) => void;
  /** Directories the job writes to: after a hard kill, its temporary files there are removed. */
  outputDirs?: string[];
}

/** After `cancel`, how long the worker gets to stop by itself, then to handle SIGTERM. */
const CANCEL_GRACE_MS = 900;
const TERM_GRACE_MS = 600;

/** Jobs running now, so that "Cancel Generation" and deactivation can reach them. */
const activeJobs = new Set<WorkerJob>();

export function runningJobs(): WorkerJob[] {
  return [...activeJobs];
}

/**
 * One worker process per job: forked from the bundled dist/worker.js, with ELECTRON_RUN_AS_NODE so
 * that VS Code's Electron binary runs it as plain Node. `done` settles only once the process has
 * exited, so a cancelled job never leaves a process behind.
 */
export class WorkerJob {
  readonly done: Promise<FinalResponse>;
  private readonly child: ChildProcess;
  private readonly id = 1;
  private final: FinalResponse | undefined;
  private cancelRequested = false;
  private timers: NodeJS.Timeout[] = [];
  private exited = false;

  constructor(
    extensionPath: string,
    private readonly request: WorkerRequest,
    readonly kind: 'inferSchema' | 'generate' | 'sample' | 'checkRules',
    private readonly hooks: JobHooks,
  ) {
    this.child = fork(path.join(extensionPath, 'dist', 'worker.js'), [], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    activeJobs.add(this);
    this.child.stdout?.on('data', (d: Buffer) => hooks.log('info', d.toString().trimEnd()));
    this.child.stderr?.on('data', (d: Buffer) => hooks.log('warn', d.toString().trimEnd()));
    this.done = new Promise<FinalResponse>((resolve, reject) => {
      this.child.on('message', (message: WorkerResponse) => this.onMessage(message));
      this.child.on('error', (error) => {
        hooks.log('error', `worker: ${error.message}`);
        if (this.child.exitCode !== null || !this.child.pid) this.onExit(resolve, reject, null, null, error);
      });
      this.child.on('exit', (code, signal) => this.onExit(resolve, reject, code, signal));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Ask the worker to stop; it is terminated if it has not exited within the grace period. */
  cancel(): void {
    if (this.exited || this.cancelRequested) return;
    this.cancelRequested = true;
    this.hooks.log('info', `Cancelling (worker ${this.child.pid})`);
    if (this.child.connected) this.child.send({ type: 'cancel', id: this.id } satisfies WorkerRequest);
    this.timers.push(
      setTimeout(() => {
        this.hooks.log('warn', `The worker did not stop within ${CANCEL_GRACE_MS} ms; terminating it`);
        this.child.kill('SIGTERM');
      }, CANCEL_GRACE_MS),
      setTimeout(() => {
        this.hooks.log('warn', 'The worker ignored SIGTERM; killing it');
        this.child.kill('SIGKILL');
      }, CANCEL_GRACE_MS + TERM_GRACE_MS),
    );
  }

  /** Stop at once (extension deactivation). */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private onMessage(message: WorkerResponse): void {
    if (message.type === 'ready') {
      this.child.send(this.request);
      return;
    }
    if (message.type === 'log') {
      this.hooks.log(message.level, message.message);
      return;
    }
    if (isFinalResponse(message)) {
      this.final = message;
      // The job is over: the worker exits when the channel closes.
      if (this.child.connected) this.child.disconnect();
      this.timers.push(setTimeout(() => this.child.kill('SIGKILL'), 5000));
      return;
    }
    this.hooks.onMessage?.(message);
  }

  private onExit(
    resolve: (value: FinalResponse) => void,
    reject: (error: Error) => void,
    code: number | null,
    signal: NodeJS.Signals | null,
    error?: Error,
  ): void {
    if (this.exited) return;
    this.exited = true;
    for (const timer of this.timers) clearTimeout(timer);
    activeJobs.delete(this);
    this.removeTemporaryFiles();
    const final = this.final;
    if (final?.type === 'cancelled' || (!final && this.cancelRequested)) {
      reject(new JobCancelled());
    } else if (final) {
      // Finished (or failed) before a late cancel took effect: report what happened.
      resolve(final);
    } else {
      const how = error ? error.message : signal ? `signal ${signal}` : `exit code ${code}`;
      const oom = code === 134 || signal === 'SIGABRT' ? ' (it may have run out of memory)' : '';
      reject(new WorkerCrashed(`The worker process stopped unexpectedly (${how})${oom}.`));
    }
  }

  /** Temporary outputs of the killed worker (and of any other dead run) beside each output. */
  private removeTemporaryFiles(): void {
    for (const dir of this.hooks.outputDirs ?? []) {
      for (const file of removeStaleTemporaryFiles(dir)) this.hooks.log('info', `Removed the unfinished ${path.basename(file)}`);
    }
  }
}

export function killAllJobs(): void {
  for (const job of activeJobs) job.kill();
}

function bindCancel(job: WorkerJob, cancel?: CancelSource): void {
  cancel?.onCancellationRequested(() => job.cancel());
}

async function expect<T extends FinalResponse['type']>(job: WorkerJob, type: T): Promise<Extract<FinalResponse, { type: T }>> {
  const final = await job.done;
  if (final.type === 'error') throw new WorkerFailure(final.error);
  if (final.type === 'cancelled') throw new JobCancelled();
  if (final.type !== type) throw new Error(`the worker answered ${final.type}, expected ${type}`);
  return final as Extract<FinalResponse, { type: T }>;
}

export async function runInferSchema(
  extensionPath: string,
  file: string,
  onProgress: (fraction: number) => void,
  cancel: CancelSource | undefined,
  log: JobHooks['log'],
): Promise<Schema> {
  const job = new WorkerJob(extensionPath, { type: 'inferSchema', id: 1, file }, 'inferSchema', {
    log,
    onMessage: (m) => {
      if (m.type === 'progress') onProgress(m.fraction);
    },
  });
  bindCancel(job, cancel);
  return (await expect(job, 'schema')).schema;
}

/** Rows of `file` breaking each of `rules`, counted in the worker. */
export async function runCheckRules(
  extensionPath: string,
  file: string,
  schema: Schema,
  rules: Rule[],
  cancel: CancelSource | undefined,
  log: JobHooks['log'],
): Promise<RuleCheckResult[]> {
  const job = new WorkerJob(extensionPath, { type: 'checkRules', id: 1, file, schema, rules }, 'checkRules', { log });
  bindCancel(job, cancel);
  return (await expect(job, 'rulesChecked')).results;
}

export function startGenerate(extensionPath: string, params: GenerateParams, hooks: JobHooks): WorkerJob {
  return new WorkerJob(extensionPath, { type: 'generate', id: 1, params }, 'generate', {
    ...hooks,
    outputDirs: hooks.outputDirs ?? [path.dirname(params.out ?? params.input)],
  });
}

export async function finishGenerate(job: WorkerJob): Promise<RunSummary> {
  return (await expect(job, 'generated')).summary;
}

export async function runSample(
  extensionPath: string,
  params: SampleParams,
  cancel: CancelSource | undefined,
  log: JobHooks['log'],
): Promise<{ text?: string; file?: string; rows: number }> {
  const job = new WorkerJob(extensionPath, { type: 'sample', id: 1, params }, 'sample', {
    log,
    outputDirs: params.out ? [path.dirname(params.out)] : [],
  });
  bindCancel(job, cancel);
  const { text, file, rows } = await expect(job, 'sampled');
  return { text, file, rows };
}
