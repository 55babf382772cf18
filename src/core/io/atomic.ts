import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Write a file so that readers only ever see the old state or the complete new file: write a
 * temporary sibling, flush it, then rename over the target. On any failure or abort the temporary
 * file is removed, so a cancelled or crashed run leaves no half-written output.
 */
export async function writeFileAtomic(
  target: string,
  produce: (write: (text: string | Uint8Array) => Promise<void>) => Promise<void>,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  if (!options.overwrite && fs.existsSync(target)) {
    throw new Error(`${target} already exists (pass --force to replace it)`);
  }
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.promises.open(temp, 'wx');
  activeTemps.add(temp);
  try {
    // Buffer small writes: one syscall per row would dominate writing a million rows.
    let pending: (string | Uint8Array)[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const buffers = pending.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p));
      pending = [];
      pendingBytes = 0;
      await handle.writev(buffers);
    };
    await produce(async (text) => {
      pending.push(text);
      pendingBytes += text.length;
      if (pendingBytes >= 1 << 20) await flush();
    });
    await flush();
    await handle.sync();
    await handle.close();
    await fs.promises.rename(temp, target);
    activeTemps.delete(temp);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.promises.rm(temp, { force: true });
    activeTemps.delete(temp);
    throw error;
  }
}

/** Temporary files being written right now, removed if the process is told to stop. */
const activeTemps = new Set<string>();

/** Remove unfinished temporary outputs; call from signal handlers before exiting. */
export function removeUnfinishedOutputs(): void {
  for (const temp of activeTemps) {
    try {
      fs.rmSync(temp, { force: true });
    } catch {
      // Best effort while exiting.
    }
  }
  activeTemps.clear();
}

export function writeTextAtomic(target: string, text: string, options: { overwrite?: boolean } = {}): Promise<void> {
  return writeFileAtomic(target, (write) => write(text), options);
}
