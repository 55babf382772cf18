/**
 * The one place that chooses TensorFlow.js's backend. Model code receives the `tf` handle from
 * here and never imports a backend itself, so the choice is made (and reported) once.
 *
 * - `tensorflow`: @tensorflow/tfjs-node, the native library, used when it is installed and loads
 *   (it is an optional extra: its installer downloads libtensorflow, which fails offline);
 * - `wasm`: the embedded default, its .wasm files shipped beside the bundle, works offline;
 * - `cpu`: plain JavaScript, the last resort.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';

export type Tf = typeof TfCore;
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export interface LoadedBackend {
  tf: Tf;
  backend: BackendName;
  /** Why this backend, in words, for logs and the metadata card. */
  detail: string;
}

let loaded: Promise<LoadedBackend> | undefined;
let loadedPreference: BackendPreference | undefined;

export function loadTensorflow(preference: BackendPreference = 'auto'): Promise<LoadedBackend> {
  if (loaded && loadedPreference === preference) return loaded;
  loadedPreference = preference;
  loaded = choose(preference);
  return loaded;
}

async function choose(preference: BackendPreference): Promise<LoadedBackend> {
  const notes: string[] = [];
  if (preference === 'auto' || preference === 'tensorflow') {
    try {
      // Left as a runtime require by the bundler: it exists only where the user installed it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const tfNode = require('@tensorflow/tfjs-node') as Tf;
      await tfNode.setBackend('tensorflow');
      await tfNode.ready();
      return { tf: tfNode, backend: 'tensorflow', detail: '@tensorflow/tfjs-node (native libtensorflow)' };
    } catch (error) {
      if (preference === 'tensorflow') throw new Error(`the tensorflow backend was asked for but @tensorflow/tfjs-node does not load: ${String(error)}`);
      notes.push('@tensorflow/tfjs-node is not installed');
    }
  }
  // The umbrella package, not tfjs-core alone: it also registers the gradients and the cpu backend.
  const tf = (await import('@tensorflow/tfjs')) as unknown as Tf;
  if (preference === 'auto' || preference === 'wasm') {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(wasmDirectory() + path.sep);
      await tf.setBackend('wasm');
      await tf.ready();
      return { tf, backend: 'wasm', detail: `WebAssembly${notes.length ? ` (${notes.join('; ')})` : ''}` };
    } catch (error) {
      if (preference === 'wasm') throw new Error(`the wasm backend did not start: ${String(error)}`);
      notes.push(`wasm did not start: ${String(error)}`);
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: 'cpu', detail: `plain JavaScript${notes.length ? ` (${notes.join('; ')})` : ''}` };
}

/** The .wasm files sit beside the bundle in dist/, or in node_modules when run from source. */
function wasmDirectory(): string {
  const candidates = [__dirname, path.join(__dirname, '..', '..', '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist')];
  for (const dir of candidates) if (fs.existsSync(path.join(dir, 'tfjs-backend-wasm.wasm'))) return dir;
  try {
    return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  } catch {
    throw new Error(`tfjs-backend-wasm.wasm not found (looked in ${candidates.join(', ')})`);
  }
}
