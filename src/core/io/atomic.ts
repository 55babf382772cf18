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
  const staged = new StagedOutputs(options.overwrite ?? false);
  staged.checkTargets([target]);
  try {
    await staged.write(target, produce);
    await staged.commit();
  } catch (error) {
    await staged.discard();
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

/**
 * Several outputs that appear together or not at all: each is written to a temporary sibling,
 * and only `commit` renames them into place (after checking none would overwrite a file it should
 * not). `discard` removes every temporary file; call it on failure or cancellation.
 */
export class StagedOutputs {
  private readonly staged: { target: string; temp: string }[] = [];

  constructor(private readonly overwrite: boolean) {}

  /** Fail early, before any work, if an output exists and may not be replaced. */
  checkTargets(targets: string[]): void {
    if (this.overwrite) return;
    const existing = targets.filter((t) => fs.existsSync(t));
    if (existing.length) throw new Error(`${existing.map((t) => path.basename(t)).join(', ')} already exist${existing.length === 1 ? 's' : ''} (use --force to replace, or --out to choose another name)`);
  }

  async write(target: string, produce: (write: (text: string | Uint8Array) => Promise<void>) => Promise<void>): Promise<void> {
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    activeTemps.add(temp);
    this.staged.push({ target, temp });
    const handle = await fs.promises.open(temp, 'wx');
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        if (!pending.length) return;
        const buffers = pending;
        pending = [];
        pendingBytes = 0;
        await handle.writev(buffers);
      };
      await produce(async (text) => {
        const buffer = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
        pending.push(buffer);
        pendingBytes += buffer.length;
        if (pendingBytes >= 1 << 20) await flush();
      });
      await flush();
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Where a staged output is being written until commit (to read it back before release). */
  stagedPath(target: string): string {
    const entry = this.staged.find((s) => s.target === target);
    if (!entry) throw new Error(`${target} is not staged`);
    return entry.temp;
  }

  writeText(target: string, text: string): Promise<void> {
    return this.write(target, (write) => write(text));
  }

  async commit(): Promise<void> {
    this.checkTargets(this.staged.map((s) => s.target));
    for (const { target, temp } of this.staged) {
      await fs.promises.rename(temp, target);
      activeTemps.delete(temp);
    }
    this.staged.length = 0;
  }

  async discard(): Promise<void> {
    for (const { temp } of this.staged) {
      await fs.promises.rm(temp, { force: true });
      activeTemps.delete(temp);
    }
    this.staged.length = 0;
  }
}
