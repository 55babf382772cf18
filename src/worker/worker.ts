/**
 * The worker process: the extension forks it for every heavy job so that parsing, training and
 * sampling never block the editor, and TensorFlow never loads in the extension host.
 */
import { InputError } from '../core/csv/errors';
import { inferSchema } from '../core/schema/infer';
import type { WorkerError, WorkerRequest, WorkerResponse } from '../protocol/messages';

const running = new Map<number, AbortController>();

function send(message: WorkerResponse): void {
  process.send?.(message);
}

function toWorkerError(error: unknown): WorkerError {
  if (error instanceof InputError) {
    return { message: error.message, file: error.file, line: error.line, column: error.column, columnName: error.columnName };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

async function handle(request: WorkerRequest): Promise<void> {
  if (request.type === 'cancel') {
    running.get(request.id)?.abort(new Error('cancelled'));
    return;
  }
  const controller = new AbortController();
  running.set(request.id, controller);
  try {
    const schema = await inferSchema(request.file, {
      signal: controller.signal,
      onProgress: (read, total) => send({ type: 'progress', id: request.id, fraction: read / total, message: 'Reading' }),
    });
    send({ type: 'schema', id: request.id, schema });
  } catch (error) {
    if (controller.signal.aborted) send({ type: 'cancelled', id: request.id });
    else send({ type: 'error', id: request.id, error: toWorkerError(error) });
  } finally {
    running.delete(request.id);
  }
}

if (!process.send) {
  process.stderr.write('synthetic-csv worker: start me with child_process.fork\n');
  process.exit(2);
}
process.on('message', (message: WorkerRequest) => void handle(message));
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', pid: process.pid });
