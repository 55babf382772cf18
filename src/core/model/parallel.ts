import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Random } from '../random';
import type { BackendPreference } from './backend';
import type { SampleRequest, SampleResponse, SampleWorkerData } from './sample-worker';
import type { Tvae } from './tvae';

import type { ChunkSource } from '../chunk-source';

export type { ChunkSource };

/** Sampling in this thread. */
export class InlineSource implements ChunkSource {
  constructor(private readonly model: { sample(rows: number, random: Random): Float32Array }) {}
  async sample(rows: number, seed: number): Promise<Float32Array> {
    return this.model.sample(rows, new Random(seed));
  }
  async close(): Promise<void> {}
}

/** Sampling in worker threads, each with its own copy of the model, round robin. */
export class WorkerSource implements ChunkSource {
  private next = 0;
  private requests = 0;
  private readonly pending = new Map<number, { resolve: (m: Float32Array) => void; reject: (e: Error) => void }>();

  private constructor(private readonly workers: Worker[]) {
    for (const worker of workers) {
      worker.on('message', (message: SampleResponse) => {
        if ('ready' in message) return;
        const entry = this.pending.get(message.id);
        if (!entry) return;
        this.pending.delete(message.id);
        if ('error' in message) entry.reject(new Error(`sampling worker: ${message.error}`));
        else entry.resolve(message.matrix);
      });
      worker.on('error', (error) => this.failAll(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.failAll(new Error(`sampling worker stopped (exit code ${code})`));
      });
    }
  }

  static async start(model: Tvae, backend: BackendPreference, count: number): Promise<WorkerSource> {
    const script = workerScript();
    const data: SampleWorkerData = { weights: model.toJSON(), backend };
    const workers = Array.from({ length: count }, () =>
      script.source
        ? new Worker(script.source, { eval: true, workerData: data })
        : new Worker(script.file, { workerData: data }),
    );
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const onMessage = (m: SampleResponse): void => {
              if ('ready' in m) {
                worker.off('message', onMessage);
                resolve();
              }
            };
            worker.on('message', onMessage);
            worker.once('error', reject);
          }),
      ),
    );
    return new WorkerSource(workers);
  }

  sample(rows: number, seed: number): Promise<Float32Array> {
    const id = this.requests++;
    const worker = this.workers[this.next++ % this.workers.length];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, rows, seed } satisfies SampleRequest);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private failAll(error: Error): void {
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }
}

/** Worker threads pay off only for large outputs; small ones sample inline. */
export const PARALLEL_MIN_ROWS = 100_000;

export async function chunkSource(model: Tvae, backend: BackendPreference, rows: number): Promise<ChunkSource> {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  if (rows < PARALLEL_MIN_ROWS || cores < 2) return new InlineSource(model);
  try {
    return await WorkerSource.start(model, backend, Math.min(2, cores));
  } catch {
    return new InlineSource(model);
  }
}

function workerScript(): { file: string; source?: string } {
  const bundled = path.join(__dirname, 'sample-worker.js');
  if (fs.existsSync(bundled)) return { file: bundled };
  // Running from source (tests, benchmarks): register tsx in the worker, then load the TypeScript.
  const file = path.join(__dirname, 'sample-worker.ts');
  return { file, source: `require('tsx/cjs'); require(${JSON.stringify(file)});` };
}
