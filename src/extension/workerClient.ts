import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { Schema } from '../core/schema/types';
import type { WorkerError, WorkerRequest, WorkerResponse } from '../protocol/messages';

export class WorkerFailure extends Error {
  constructor(readonly detail: WorkerError) {
    super(detail.message);
  }
}

/**
 * One worker process per job: forked from the bundled dist/worker.js, with ELECTRON_RUN_AS_NODE so
 * that VS Code's Electron binary runs it as plain Node. Killed when the job ends or is cancelled.
 */
export function runInferSchema(
  extensionPath: string,
  file: string,
  onProgress: (fraction: number) => void,
  cancel: { onCancellationRequested(listener: () => void): unknown },
  log: (line: string) => void,
): Promise<Schema> {
  const child: ChildProcess = fork(path.join(extensionPath, 'dist', 'worker.js'), [], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', (d: Buffer) => log(d.toString().trimEnd()));
  child.stderr?.on('data', (d: Buffer) => log(d.toString().trimEnd()));
  const id = 1;
  return new Promise<Schema>((resolve, reject) => {
    const finish = (fn: () => void): void => {
      clearTimeout(killTimer);
      if (child.connected) child.disconnect();
      if (child.exitCode === null) child.kill();
      fn();
    };
    let killTimer: NodeJS.Timeout | undefined;
    cancel.onCancellationRequested(() => {
      const request: WorkerRequest = { type: 'cancel', id };
      if (child.connected) child.send(request);
      // A worker busy in a long synchronous step may not read the message: stop it anyway.
      killTimer = setTimeout(() => child.kill('SIGKILL'), 1500);
    });
    child.on('message', (message: WorkerResponse) => {
      switch (message.type) {
        case 'ready': {
          const request: WorkerRequest = { type: 'inferSchema', id, file };
          child.send(request);
          break;
        }
        case 'progress':
          onProgress(message.fraction);
          break;
        case 'schema':
          finish(() => resolve(message.schema));
          break;
        case 'error':
          finish(() => reject(new WorkerFailure(message.error)));
          break;
        case 'cancelled':
          finish(() => reject(new Error('cancelled')));
          break;
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(killTimer);
      reject(new Error(`the worker process stopped unexpectedly (${signal ?? `exit code ${code}`})`));
    });
    child.on('error', (error) => finish(() => reject(error)));
  });
}
