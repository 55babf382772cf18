/**
 * The output writer: atomic replacement of regular files, writing through devices and pipes
 * (never replacing them), symbolic links, unwritable folders, and the leftovers of killed runs.
 * Devices and FIFOs are made in a temporary folder, never the machine's own /dev.
 */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkFolderWritable, removeStaleTemporaryFiles, StagedOutputs, writeTextAtomic } from '../../src/core/io/atomic';
import { tempDir } from '../helpers/files';

const ROOT = path.resolve(__dirname, '..', '..');
/** The module object itself (an `import *` namespace cannot be mocked). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeFs = require('node:fs') as typeof fs;

/** A process id that is certainly not running: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function canMount(): boolean {
  const dir = tempDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const MOUNT = canMount() ? {} : { skip: 'mounting a tmpfs needs root with CAP_SYS_ADMIN (the injected-error tests cover the messages)' };

function mounted(options: string): { dir: string; [Symbol.dispose](): void } {
  const dir = tempDir();
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  return { dir, [Symbol.dispose]: () => execFileSync('umount', [dir]) };
}

test('a FIFO is written through, never replaced by a file, even with overwrite', async () => {
  const dir = tempDir();
  const fifo = path.join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  const chunks: Buffer[] = [];
  const reader = new Promise<string>((resolve, reject) => {
    fs.createReadStream(fifo)
      .on('data', (c) => chunks.push(c as Buffer))
      .on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
      .on('error', reject);
  });
  await writeTextAtomic(fifo, 'through the pipe\n', { overwrite: true });
  assert.equal(await reader, 'through the pipe\n');
  assert.ok(fs.lstatSync(fifo).isFIFO(), 'still a FIFO');
  assert.deepEqual(fs.readdirSync(dir), ['pipe'], 'no temporary file left');

  // Through a symbolic link (as /dev/stdout leads to a pipe): the link stays a link.
  const link = path.join(dir, 'link');
  fs.symlinkSync(fifo, link);
  const again = new Promise<string>((resolve) => {
    let text = '';
    fs.createReadStream(fifo, 'utf8')
      .on('data', (d) => (text += d))
      .on('end', () => resolve(text));
  });
  await writeTextAtomic(link, 'via the link\n');
  assert.equal(await again, 'via the link\n');
  assert.ok(fs.lstatSync(link).isSymbolicLink() && fs.lstatSync(fifo).isFIFO());
});

test('a character device (a null device made in a temporary folder) is written through', async (t) => {
  const dir = tempDir();
  const device = path.join(dir, 'null');
  try {
    execFileSync('mknod', [device, 'c', '1', '3'], { stdio: 'ignore' });
  } catch {
    return t.skip('mknod needs root');
  }
  await writeTextAtomic(device, 'discarded', { overwrite: true });
  await writeTextAtomic(device, 'discarded again');
  assert.ok(fs.lstatSync(device).isCharacterDevice(), 'still a device');
  assert.deepEqual(fs.readdirSync(dir), ['null']);
});

test('several outputs that appear together refuse a FIFO among them, before any work', () => {
  const dir = tempDir();
  const fifo = path.join(dir, 'twin.csv');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => new StagedOutputs(true).checkTargets([fifo, path.join(dir, 'twin.json')]), /twin\.csv is a named pipe \(FIFO\): these outputs are written as files/);
  assert.ok(fs.lstatSync(fifo).isFIFO());
});

test('a symbolic link to a file is followed: the link stays, its file is replaced (with overwrite)', async () => {
  const dir = tempDir();
  const real = path.join(dir, 'real.json');
  const link = path.join(dir, 'link.json');
  fs.writeFileSync(real, 'old');
  fs.symlinkSync('real.json', link);
  await assert.rejects(writeTextAtomic(link, 'new'), /link\.json already exists \(use --force/);
  await writeTextAtomic(link, 'new', { overwrite: true });
  assert.ok(fs.lstatSync(link).isSymbolicLink(), 'the link is still a link');
  assert.equal(fs.readFileSync(real, 'utf8'), 'new');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['link.json', 'real.json']);
});

test('a link to nothing, a folder and a path under a file are refused with a clear message', async () => {
  const dir = tempDir();
  const dangling = path.join(dir, 'dangling.json');
  fs.symlinkSync('nowhere.json', dangling);
  await assert.rejects(writeTextAtomic(dangling, 'x', { overwrite: true }), /dangling\.json is a symbolic link to nowhere\.json, which does not exist/);
  assert.ok(fs.lstatSync(dangling).isSymbolicLink());
  fs.mkdirSync(path.join(dir, 'folder'));
  await assert.rejects(writeTextAtomic(path.join(dir, 'folder'), 'x', { overwrite: true }), /folder is a folder: refusing to write to it/);
  fs.writeFileSync(path.join(dir, 'file'), 'x');
  await assert.rejects(writeTextAtomic(path.join(dir, 'file', 'out.json'), 'x'), /a part of that path is a file, not a folder/);
});

test('an unwritable output folder is named, with the fix, before any work (injected errors)', () => {
  const dir = tempDir();
  for (const [code, message] of [
    ['EROFS', /output folder .* is on a read-only file system: choose another output folder/],
    ['EACCES', /no permission to write in the output folder .*: change its permissions or choose another output folder/],
    ['ENOSPC', /the disk holding .* is full \(no space left\)/],
  ] as const) {
    const open = mock.method(nodeFs, 'openSync', () => {
      throw Object.assign(new Error(`${code}: raw`), { code });
    });
    try {
      assert.throws(() => new StagedOutputs(false).checkTargets([path.join(dir, 'twin.csv')]), (error: Error) => {
        assert.match(error.message, message);
        assert.ok(error.message.includes(dir), `names the folder: ${error.message}`);
        assert.doesNotMatch(error.message, /\.tmp/);
        return true;
      });
    } finally {
      open.mock.restore();
    }
  }
  assert.throws(() => checkFolderWritable(path.join(dir, 'missing')), /output folder .*missing does not exist/);
});

test('a read-only folder is refused before writing (tmpfs)', MOUNT, async () => {
  using ro = mounted('size=64k,ro');
  await assert.rejects(writeTextAtomic(path.join(ro.dir, 'out.json'), 'x'), /output folder .* is on a read-only file system/);
});

test('a disk that fills up while writing names the folder and leaves nothing behind (tmpfs)', MOUNT, async () => {
  using full = mounted('size=64k');
  const big = 'x'.repeat(1 << 16) + '\n';
  await assert.rejects(
    writeTextAtomic(path.join(full.dir, 'out.csv'), big.repeat(4)),
    (error: Error) => /the disk holding .* is full \(no space left\) while writing out\.csv/.test(error.message) && error.message.includes(full.dir),
  );
  assert.deepEqual(fs.readdirSync(full.dir), []);
});

test('temporary files of killed runs are removed; those of running processes are kept', () => {
  const dir = tempDir();
  const dead = deadPid();
  const stale = `.twin.csv.synthetic-csv-${dead}-0a1b2c3d.tmp`;
  const alive = `.twin.csv.synthetic-csv-${process.ppid}-0a1b2c3d.tmp`;
  // Not named by this program: never removed, even with a dead process id in it.
  const others = ['notes.tmp', `.twin.csv.${dead}.deadbeef.tmp`];
  for (const name of [stale, alive, ...others, 'twin.csv']) fs.writeFileSync(path.join(dir, name), 'x');
  new StagedOutputs(false).checkTargets([path.join(dir, 'other.csv')]);
  assert.deepEqual(fs.readdirSync(dir).sort(), [alive, ...others, 'twin.csv'].sort());
  assert.deepEqual(removeStaleTemporaryFiles(dir), []);
});

test('outputs removed at commit: an earlier report does not stay beside new outputs', async () => {
  const dir = tempDir();
  const [csv, report] = [path.join(dir, 'a.csv'), path.join(dir, 'a.report.html')];
  fs.writeFileSync(csv, 'old');
  fs.writeFileSync(report, 'old report');
  const staged = new StagedOutputs(true);
  staged.checkTargets([csv, report]);
  await staged.writeText(csv, 'new');
  staged.removeAtCommit(report);
  await staged.commit();
  assert.deepEqual(fs.readdirSync(dir), ['a.csv']);
  assert.equal(fs.readFileSync(csv, 'utf8'), 'new');
});

test('a run killed between its renames leaves a set the next run recognises and replaces without --force', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const targets = ['t.csv', 't.model', 't.json'].map((n) => path.join(dir, n));
  // A child commits three outputs and is killed (SIGKILL) right after its first rename.
  const script = `
    const fs = require('node:fs');
    const { StagedOutputs } = require(${JSON.stringify(path.join(ROOT, 'src', 'core', 'io', 'atomic.ts'))});
    const rename = fs.promises.rename;
    let renames = 0;
    fs.promises.rename = async (a, b) => { await rename(a, b); if (++renames === 1) process.kill(process.pid, 'SIGKILL'); };
    (async () => {
      const staged = new StagedOutputs(false);
      const targets = ${JSON.stringify(targets)};
      staged.checkTargets(targets);
      for (const t of targets) await staged.writeText(t, 'first run');
      await staged.commit();
    })();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: 'inherit' });
  const signal = await new Promise((resolve) => child.on('exit', (_code, s) => resolve(s)));
  assert.equal(signal, 'SIGKILL');
  const left = fs.readdirSync(dir).sort();
  assert.ok(left.includes('t.csv') && !left.includes('t.json'), `a partial set: ${left.join(', ')}`);

  const staged = new StagedOutputs(false);
  staged.checkTargets(targets); // no "already exists": the set is recognised as incomplete
  for (const t of targets) await staged.writeText(t, 'second run');
  await staged.commit();
  assert.deepEqual(fs.readdirSync(dir).sort(), ['t.csv', 't.json', 't.model'], 'temporary files and the marker are gone');
  for (const t of targets) assert.equal(fs.readFileSync(t, 'utf8'), 'second run');
  // A complete set is protected again.
  assert.throws(() => new StagedOutputs(false).checkTargets(targets), /already exist/);
});
