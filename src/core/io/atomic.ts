import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

type Produce = (write: (text: string | Uint8Array) => Promise<void>) => Promise<void>;

/**
 * Write one output so that readers only ever see the old state or the complete new file: write a
 * temporary sibling, flush it, then rename over the target. On any failure or abort the temporary
 * file is removed, so a cancelled or crashed run leaves no half-written output. A character device
 * or a FIFO (`/dev/null`, a named pipe) is written through, never replaced.
 */
export async function writeFileAtomic(target: string, produce: Produce, options: { overwrite?: boolean } = {}): Promise<void> {
  const where = inspectOutput(target);
  if (where.kind === 'stream') return writeThrough(target, where.path, produce);
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

export function writeTextAtomic(target: string, text: string, options: { overwrite?: boolean } = {}): Promise<void> {
  return writeFileAtomic(target, (write) => write(text), options);
}

/** What an output path holds now, after following symbolic links. */
type OutputTarget =
  /** Nothing yet: the file will be created at `path`. */
  | { kind: 'new'; path: string }
  /** A regular file at `path` (the link's destination when the target is a symbolic link). */
  | { kind: 'file'; path: string }
  /** A character device or FIFO: written through, never replaced. */
  | { kind: 'stream'; path: string; what: string };

/**
 * Where an output really goes. A symbolic link is followed, so the link stays and its destination
 * is replaced; a link to nothing, a folder, a block device or a socket is refused.
 */
export function inspectOutput(target: string): OutputTarget {
  let stats: fs.Stats;
  try {
    stats = fs.lstatSync(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'new', path: target };
    if (code === 'ENOTDIR') throw new Error(`cannot write ${target}: a part of that path is a file, not a folder`);
    throw error;
  }
  let real = target;
  if (stats.isSymbolicLink()) {
    try {
      stats = fs.statSync(target);
    } catch {
      throw new Error(`${target} is a symbolic link to ${fs.readlinkSync(target)}, which does not exist: remove the link or choose another name (it is never replaced by a file)`);
    }
    // A file is replaced where it really is; a device or pipe is opened through the link
    // (/dev/stdout leads to /proc/self/fd/1, which has no real path when it is a pipe).
    if (stats.isFile()) real = fs.realpathSync(target);
  }
  if (stats.isFile()) return { kind: 'file', path: real };
  if (stats.isCharacterDevice()) return { kind: 'stream', path: real, what: 'a character device' };
  if (stats.isFIFO()) return { kind: 'stream', path: real, what: 'a named pipe (FIFO)' };
  const what = stats.isDirectory() ? 'a folder' : stats.isBlockDevice() ? 'a block device' : stats.isSocket() ? 'a socket' : 'not a regular file';
  throw new Error(`${target} is ${what}: refusing to write to it; choose a file name`);
}

/** Write to a device or pipe as it is: opened without creating or truncating anything. */
async function writeThrough(target: string, real: string, produce: Produce): Promise<void> {
  // No O_CREAT: if the pipe vanished since it was inspected, fail rather than create a file.
  const handle = await fs.promises.open(real, fs.constants.O_WRONLY);
  try {
    await writeBuffered(handle, produce, path.dirname(target), target);
  } finally {
    await handle.close();
  }
}

async function writeBuffered(handle: fs.promises.FileHandle, produce: Produce, folder: string, target: string): Promise<void> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (!pending.length) return;
    const buffers = pending;
    pending = [];
    pendingBytes = 0;
    try {
      // writev may write only part (a disk filling up, a pipe): write the rest until done or an error.
      const total = buffers.reduce((sum, b) => sum + b.length, 0);
      let written = (await handle.writev(buffers)).bytesWritten;
      if (written < total) {
        const rest = Buffer.concat(buffers).subarray(written);
        for (let offset = 0; offset < rest.length; offset += written) {
          written = (await handle.write(rest, offset, rest.length - offset)).bytesWritten;
        }
      }
    } catch (error) {
      throw explainWriteError(error, folder, target);
    }
  };
  await produce(async (text) => {
    const buffer = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
    pending.push(buffer);
    pendingBytes += buffer.length;
    if (pendingBytes >= 1 << 20) await flush();
  });
  await flush();
}

/** An error of writing in `folder`, in words that name the folder and what to do. */
function explainWriteError(error: unknown, folder: string, target?: string): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  const where = path.resolve(folder);
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new Error(`the disk holding ${where} is full (${code === 'EDQUOT' ? 'quota exceeded' : 'no space left'})${target ? ` while writing ${path.basename(target)}` : ''}: free some space or choose another output folder; no partial output was left`);
    case 'EROFS':
      return new Error(`the output folder ${where} is on a read-only file system: choose another output folder`);
    case 'EACCES':
    case 'EPERM':
      return new Error(`no permission to write in the output folder ${where}: change its permissions or choose another output folder`);
    default:
      return error;
  }
}

// ---------------------------------------------------------------------------------------------
// Temporary files and commit markers carry this program's name and the writer's process id, so a
// later run can tell its own leftovers from anything else and remove those of dead processes.

const TAG = 'synthetic-csv';
/**
 * `.<name>.synthetic-csv-<pid>-<hex>.tmp`. The `.<name>.<pid>.<hex>.tmp` of earlier versions is
 * not matched: another program could name its files so, and only our own are ever removed.
 */
const TEMP_NAME = /^\..*\.synthetic-csv-(\d+)-[0-9a-f]{8}\.tmp$/;
/** `.synthetic-csv-<pid>-<hex>.commit`: the outputs a commit is renaming into place. */
const COMMIT_NAME = /^\.synthetic-csv-(\d+)-[0-9a-f]{8}\.commit$/;

function tempName(folder: string, base: string): string {
  return path.join(folder, `.${base}.${TAG}-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

function processIsAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the temporary files that runs killed outright (kill -9, power loss) left in `folder`. A
 * temporary file whose process still runs is left alone: another run may be writing it.
 */
export function removeStaleTemporaryFiles(folder: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return removed;
  }
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (!match || processIsAlive(Number(match[1]))) continue;
    const file = path.join(folder, name);
    try {
      if (fs.lstatSync(file).isFile()) {
        fs.rmSync(file);
        removed.push(file);
      }
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}

/** The commits in `folder` whose process died before finishing: marker file and its outputs. */
function interruptedCommits(folder: string): { marker: string; targets: string[] }[] {
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return [];
  }
  const found: { marker: string; targets: string[] }[] = [];
  for (const name of names) {
    const match = COMMIT_NAME.exec(name);
    if (!match || processIsAlive(Number(match[1]))) continue;
    const marker = path.join(folder, name);
    try {
      const targets = (JSON.parse(fs.readFileSync(marker, 'utf8')) as { targets: string[] }).targets.map((t) => path.resolve(folder, t));
      found.push({ marker, targets });
    } catch {
      found.push({ marker, targets: [] });
    }
  }
  return found;
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

/**
 * Create and remove a probe file in `folder`, so that a folder the run cannot write in (read-only,
 * no permission, full disk) is reported before any long work, naming the folder and the fix.
 */
export function checkFolderWritable(folder: string): void {
  const where = path.resolve(folder);
  let stats: fs.Stats;
  try {
    stats = fs.statSync(where);
  } catch {
    throw new Error(`the output folder ${where} does not exist: create it or choose another output path`);
  }
  if (!stats.isDirectory()) throw new Error(`the output folder ${where} is not a folder`);
  const probe = tempName(where, 'write-probe');
  try {
    fs.closeSync(fs.openSync(probe, 'wx'));
    fs.rmSync(probe, { force: true });
  } catch (error) {
    throw explainWriteError(error, where);
  }
}

/**
 * Several outputs that appear together or not at all: each is written to a temporary sibling,
 * and only `commit` renames them into place (after checking none would overwrite a file it should
 * not). `discard` removes every temporary file; call it on failure or cancellation. Outputs must
 * be regular files (a symbolic link to one is followed); devices and pipes are refused here.
 *
 * A commit first writes a marker naming its outputs and removes it when every rename is done, so
 * the outputs of a run killed halfway through its renames are recognised by the next run, which
 * replaces them without --force.
 */
export class StagedOutputs {
  private readonly staged: { target: string; real: string; temp: string }[] = [];
  private readonly removals: string[] = [];
  /** Markers of interrupted commits whose outputs this commit replaces. */
  private readonly supersedes = new Set<string>();

  constructor(private readonly overwrite: boolean) {}

  /**
   * Fail early, before any work: an output folder that cannot be written, an output that exists
   * and may not be replaced, or one that is not a regular file. Also removes the temporary files
   * of runs that were killed in these folders.
   */
  checkTargets(targets: string[]): void {
    const folders = [...new Set(targets.map((t) => path.dirname(path.resolve(t))))];
    for (const folder of folders) {
      checkFolderWritable(folder);
      removeStaleTemporaryFiles(folder);
    }
    const interrupted = folders.flatMap(interruptedCommits);
    const existing: string[] = [];
    for (const target of targets) {
      const where = inspectOutput(target);
      if (where.kind === 'stream') throw new Error(`${target} is ${where.what}: these outputs are written as files that appear together; choose a file name`);
      if (where.kind === 'new') continue;
      const leftover = interrupted.find((c) => c.targets.includes(path.resolve(target)) || c.targets.includes(where.path));
      if (leftover) this.supersedes.add(leftover.marker);
      else existing.push(target);
    }
    if (existing.length && !this.overwrite) {
      throw new Error(`${existing.map((t) => path.basename(t)).join(', ')} already exist${existing.length === 1 ? 's' : ''} (use --force to replace, or choose another name)`);
    }
  }

  async write(target: string, produce: Produce): Promise<void> {
    const where = inspectOutput(target);
    if (where.kind === 'stream') throw new Error(`${target} is ${where.what}, not a file`);
    const folder = path.dirname(where.path);
    const temp = tempName(folder, path.basename(where.path));
    activeTemps.add(temp);
    this.staged.push({ target, real: where.path, temp });
    const handle = await fs.promises.open(temp, 'wx').catch((error: unknown) => {
      throw explainWriteError(error, folder, target);
    });
    try {
      await writeBuffered(handle, produce, folder, target);
      await handle.sync().catch((error: unknown) => {
        throw explainWriteError(error, folder, target);
      });
    } finally {
      await handle.close();
    }
  }

  /** Remove `target` at commit if it exists (an output of an earlier run this run does not write). */
  removeAtCommit(target: string): void {
    this.removals.push(target);
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
    const targets = [...this.staged.map((s) => s.target), ...this.removals];
    this.checkTargets(targets);
    const removals = this.removals.filter((t) => inspectOutput(t).kind === 'file');
    const folder = path.dirname(path.resolve(targets[0] ?? '.'));
    const marker = path.join(folder, `.${TAG}-${process.pid}-${randomBytes(4).toString('hex')}.commit`);
    const multiple = this.staged.length + removals.length > 1;
    if (multiple) {
      // Not among the active temporary files: a run stopped during the renames keeps its marker.
      const listed = [...this.staged.map((s) => s.real), ...removals].map((t) => path.resolve(t));
      const fd = fs.openSync(marker, 'wx');
      try {
        fs.writeSync(fd, JSON.stringify({ targets: listed }) + '\n');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    for (const { real, temp } of this.staged) {
      await fs.promises.rename(temp, real);
      activeTemps.delete(temp);
    }
    for (const target of removals) await fs.promises.rm(target, { force: true });
    for (const old of this.supersedes) fs.rmSync(old, { force: true });
    if (multiple) fs.rmSync(marker, { force: true });
    this.staged.length = 0;
    this.removals.length = 0;
    this.supersedes.clear();
  }

  async discard(): Promise<void> {
    for (const { temp } of this.staged) {
      await fs.promises.rm(temp, { force: true });
      activeTemps.delete(temp);
    }
    this.staged.length = 0;
  }
}
