import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';

/** Environment variables that name a Chromium (or Chrome) executable, most specific first. */
export const CHROMIUM_VARIABLES = ['SYNTHETIC_CSV_CHROMIUM', 'CHROMIUM', 'CHROME_PATH'] as const;

/** Executable names looked up on PATH when no variable names one. */
const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export type ChromiumLookup = { found: true; executable: string; source: string } | { found: false; reason: string };

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/**
 * The Chromium the real-browser tests drive: one named by an environment variable, else a system
 * one on PATH, else the one `playwright-core install chromium` downloads. A variable that names a
 * missing file is reported rather than silently passed over.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  for (const variable of CHROMIUM_VARIABLES) {
    const value = env[variable];
    if (!value) continue;
    if (isExecutable(value)) return { found: true, executable: value, source: `$${variable}` };
    return { found: false, reason: `${variable}=${value} is not an executable file` };
  }
  const searchPath = env.PATH ?? '';
  for (const name of SYSTEM_NAMES) {
    const executable = onPath(name, searchPath);
    if (executable) return { found: true, executable, source: 'PATH' };
  }
  const downloaded = chromium.executablePath();
  if (downloaded && isExecutable(downloaded)) return { found: true, executable: downloaded, source: 'playwright-core' };
  return { found: false, reason: `no Chromium found (looked at $${CHROMIUM_VARIABLES.join(', $')}, ${SYSTEM_NAMES.join('/')} on PATH, and playwright-core's download)` };
}

/** The one command that makes a Chromium available here. */
export function installCommand(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'linux' && onPath('apt-get', env.PATH ?? '')) return 'sudo apt-get install chromium';
  return 'npx playwright-core install chromium';
}

/**
 * Options for a test that needs a browser: skipped with the reason and the enabling command when
 * none is available, unless REQUIRE_BROWSER=1 (CI), where the missing browser must fail the test.
 */
export function browserTestOptions(lookup: ChromiumLookup, env: NodeJS.ProcessEnv = process.env): { skip?: string } {
  if (lookup.found || env.REQUIRE_BROWSER === '1') return {};
  return { skip: `${lookup.reason}; to run it: ${installCommand(env)} (or set SYNTHETIC_CSV_CHROMIUM=/path/to/chromium)` };
}

/** The executable to launch, or an error saying why there is none and how to get one. */
export function requireChromium(lookup: ChromiumLookup): string {
  if (lookup.found) return lookup.executable;
  throw new Error(`a browser is required here, but ${lookup.reason}; install one with: ${installCommand()}`);
}
