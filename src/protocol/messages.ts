/**
 * Messages between the extension host and the worker process. Both sides import this module, so
 * a change to the protocol is a type error on whichever side falls behind.
 */
import type { Schema } from '../core/schema/types';

export type WorkerRequest =
  | { type: 'inferSchema'; id: number; file: string }
  | { type: 'cancel'; id: number };

export interface WorkerError {
  message: string;
  /** Present for errors in the user's file. */
  file?: string;
  line?: number;
  column?: number;
  columnName?: string;
}

export type WorkerResponse =
  | { type: 'ready'; pid: number }
  | { type: 'progress'; id: number; fraction: number; message: string }
  | { type: 'schema'; id: number; schema: Schema }
  | { type: 'error'; id: number; error: WorkerError }
  | { type: 'cancelled'; id: number };
