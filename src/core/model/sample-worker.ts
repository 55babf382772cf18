/**
 * A worker thread that samples encoded rows from a trained TVAE, so that sampling a million rows
 * uses both cores: workers run the network, the main thread decodes and writes. Loaded by
 * ParallelRowSource from dist/sample-worker.js (bundled) or this file under tsx (tests).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Random } from '../random';
import { loadTensorflow, type BackendPreference } from './backend';
import { Tvae, type TvaeWeights } from './tvae';

export interface SampleWorkerData {
  weights: TvaeWeights;
  backend: BackendPreference;
}

export type SampleRequest = { id: number; rows: number; seed: number };
export type SampleResponse = { id: number; matrix: Float32Array } | { id: number; error: string } | { ready: true };

async function run(): Promise<void> {
  const port = parentPort!;
  const { weights, backend } = workerData as SampleWorkerData;
  const { tf } = await loadTensorflow(backend);
  const model = Tvae.fromJSON(tf, weights);
  port.on('message', (request: SampleRequest) => {
    try {
      const matrix = model.sample(request.rows, new Random(request.seed));
      port.postMessage({ id: request.id, matrix } satisfies SampleResponse, [matrix.buffer as ArrayBuffer]);
    } catch (error) {
      port.postMessage({ id: request.id, error: String(error) } satisfies SampleResponse);
    }
  });
  port.postMessage({ ready: true } satisfies SampleResponse);
}

if (parentPort) void run();
