/** How the real-browser tests find a Chromium, and when they skip or fail without one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { browserTestOptions, findChromium, requireChromium } from '../helpers/chromium';
import { tempDir } from '../helpers/files';

function fakeExecutable(dir: string, name: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, '#!/bin/sh\n');
  fs.chmodSync(file, 0o755);
  return file;
}

test('a Chromium named by an environment variable comes first; a missing one is reported, not passed over', () => {
  const dir = tempDir();
  const named = fakeExecutable(dir, 'my-chrome');
  const onPath = tempDir();
  fakeExecutable(onPath, 'chromium');
  assert.deepEqual(findChromium({ SYNTHETIC_CSV_CHROMIUM: named, PATH: onPath }), { found: true, executable: named, source: '$SYNTHETIC_CSV_CHROMIUM' });
  assert.deepEqual(findChromium({ CHROME_PATH: named, PATH: '' }), { found: true, executable: named, source: '$CHROME_PATH' });
  const missing = findChromium({ SYNTHETIC_CSV_CHROMIUM: path.join(dir, 'nope'), PATH: onPath });
  assert.equal(missing.found, false);
  assert.match(!missing.found ? missing.reason : '', /SYNTHETIC_CSV_CHROMIUM=.*nope is not an executable file/);
});

test('a system Chromium on PATH is found; a non-executable file is not', () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'chromium'), 'not executable');
  const other = tempDir();
  const browser = fakeExecutable(other, 'chromium-browser');
  assert.deepEqual(findChromium({ PATH: [dir, other].join(path.delimiter) }), { found: true, executable: browser, source: 'PATH' });
});

test('without any Chromium the browser tests are skipped with the reason and the enabling command, or fail under REQUIRE_BROWSER=1', (t) => {
  if (fs.existsSync(chromium.executablePath())) return t.skip('playwright-core has downloaded a Chromium on this machine');
  const lookup = findChromium({ PATH: tempDir() });
  assert.equal(lookup.found, false);
  const options = browserTestOptions(lookup, { PATH: '' });
  assert.match(options.skip ?? '', /no Chromium found .*; to run it: npx playwright-core install chromium \(or set SYNTHETIC_CSV_CHROMIUM=/);
  assert.deepEqual(browserTestOptions(lookup, { REQUIRE_BROWSER: '1' }), {}, 'not skipped on CI');
  assert.throws(() => requireChromium(lookup), /a browser is required here, but no Chromium found.*install one with: /);
});
