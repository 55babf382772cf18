import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A fresh temporary folder per test file, removed when the process exits. */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'synthetic-csv-test-'));
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));

let counter = 0;

/** Write `content` to a new file in the temporary folder and return its path. */
export function tempFile(name: string, content: string | Buffer): string {
  const dir = path.join(root, String(counter++));
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

export function tempDir(): string {
  const dir = path.join(root, String(counter++));
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
