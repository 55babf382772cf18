/**
 * End-to-end harness: the packaged VSIX installed into a real VS Code (code-server 4.100.3, VS Code
 * 1.100.3, running on this Node), driven through the browser UI with playwright-core and Debian's
 * Chromium. Everything is offline: code-server comes from npm (test/e2e/install-code-server.sh),
 * the browser from Debian. Each run uses fresh temporary user-data, extensions and workspace
 * folders, and a free port on 127.0.0.1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { findChromium, requireChromium } from '../helpers/chromium';

export const ROOT = path.resolve(__dirname, '..', '..');
export const RESULTS = path.join(ROOT, 'test-results');
export const VSIX = path.join(ROOT, 'synthetic-csv.vsix');

export interface Session {
  page: Page;
  browser: Browser;
  server: ChildProcess;
  url: string;
  tmp: string;
  workspace: string;
  userData: string;
  extensionsDir: string;
  serverLog: string[];
  close(): Promise<void>;
}

/** The code-server entry point: $CODE_SERVER_BIN, or installed (once) by the setup script. */
export function codeServerBin(): string {
  if (process.env.CODE_SERVER_BIN) return process.env.CODE_SERVER_BIN;
  const out = execFileSync('bash', [path.join(__dirname, 'install-code-server.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1)!;
}

export function writeUserSettings(userData: string, settings: Record<string, unknown>): void {
  const dir = path.join(userData, 'User');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
}

export const BASE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'window.dialogStyle': 'custom',
  'files.simpleDialog.enable': true,
  'editor.minimap.enabled': false,
  'syntheticCsv.epochs': 3,
  'syntheticCsv.outputNaming': 'ask',
};

export async function start(prepareWorkspace: (dir: string) => void): Promise<Session> {
  if (!fs.existsSync(VSIX)) throw new Error(`${VSIX} is missing: run "npm run package" first`);
  const bin = codeServerBin();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synthetic-csv-e2e-'));
  const userData = path.join(tmp, 'user-data');
  const extensionsDir = path.join(tmp, 'extensions');
  const workspace = path.join(tmp, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  prepareWorkspace(workspace);
  writeUserSettings(userData, BASE_SETTINGS);
  const config = path.join(tmp, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\ncert: false\n');
  const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensionsDir];

  execFileSync(process.execPath, [bin, ...common, '--install-extension', VSIX], { stdio: 'pipe' });

  const server = spawn(
    process.execPath,
    [
      bin,
      ...common,
      '--auth',
      'none',
      '--bind-addr',
      '127.0.0.1:0',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      workspace,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const serverLog: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start:\n${serverLog.join('')}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      serverLog.push(text);
      const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+\/?)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/?$/, '/'));
      }
    };
    server.stdout!.on('data', onData);
    server.stderr!.on('data', onData);
    server.on('exit', (code) => reject(new Error(`code-server exited (${code}):\n${serverLog.join('')}`)));
  });

  const browser = await chromium.launch({
    executablePath: requireChromium(findChromium()),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  const page = await context.newPage();
  await page.goto(`${url}?folder=${encodeURIComponent(workspace)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  // Let the workbench restore and register contributions.
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1500);

  return {
    page,
    browser,
    server,
    url,
    tmp,
    workspace,
    userData,
    extensionsDir,
    serverLog,
    async close() {
      await browser.close().catch(() => undefined);
      server.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
      if (server.exitCode === null) server.kill('SIGKILL');
      if (!process.env.KEEP_E2E_TMP) fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS, `e2e-${name}.png`) });
}

export function explorerRow(page: Page, name: string): Locator {
  const exact = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return page.locator('.explorer-folders-view .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) });
}

/** Make sure the Explorer is the visible side bar view. */
export async function showExplorer(page: Page): Promise<void> {
  if (await page.locator('.explorer-folders-view').isVisible()) return;
  await page.locator('.activitybar [aria-label^="Explorer"]').first().click();
  await page.locator('.explorer-folders-view').waitFor({ timeout: 10_000 });
}

/** Click a tree item's inline action: it only shows while the row is hovered or selected. */
export async function clickInlineAction(row: Locator, label: string): Promise<void> {
  const action = row.locator(`.action-label[aria-label="${label}"]`);
  for (let attempt = 1; ; attempt++) {
    try {
      await row.click();
      await row.hover();
      await action.click({ timeout: 3_000 });
      return;
    } catch (error) {
      if (attempt >= 4) throw error;
    }
  }
}

/** Right-click a file in the Explorer and choose a context menu entry. */
export async function explorerContext(page: Page, file: string, item: string): Promise<void> {
  await showExplorer(page);
  const row = explorerRow(page, file);
  await row.waitFor({ timeout: 15_000 });
  await row.click({ button: 'right' });
  const entry = page.getByRole('menuitem', { name: item, exact: true });
  await entry.waitFor({ timeout: 10_000 });
  await entry.hover();
  await page.waitForTimeout(300);
  await entry.click();
}

export async function quickInputVisible(page: Page): Promise<Locator> {
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible', timeout: 15_000 });
  return widget;
}

/** Run a command from the Command Palette by its full title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const widget = await quickInputVisible(page);
  const input = widget.locator('input');
  await input.fill(`>${title}`);
  const row = widget.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: 10_000 });
  await page.waitForTimeout(200);
  await input.press('Enter');
}

/**
 * Replace the user settings through the Settings JSON editor (code-server does not notice edits
 * made to settings.json behind its back).
 */
export async function setUserSettings(page: Page, settings: Record<string, unknown>): Promise<void> {
  await runCommand(page, 'Preferences: Open User Settings (JSON)');
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await page.locator('.tab.active', { hasText: 'settings.json' }).waitFor({ timeout: 15_000 });
  await editor.locator('.view-lines').click();
  await page.evaluate((text) => navigator.clipboard.writeText(text), JSON.stringify(settings, null, 2));
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Control+V');
  await page.keyboard.press('Control+S');
  await page.locator('.tab.active:not(.dirty)', { hasText: 'settings.json' }).waitFor({ timeout: 10_000 });
  await runCommand(page, 'View: Close Editor');
  await page.waitForTimeout(500);
}

export function notification(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text });
}

export async function dismissNotifications(page: Page): Promise<void> {
  const toasts = page.locator('.notifications-toasts .notification-toast');
  for (let i = (await toasts.count()) - 1; i >= 0; i--) {
    const toast = toasts.nth(i);
    await toast.hover().catch(() => undefined);
    const close = toast.locator('.codicon-notifications-clear');
    if (await close.isVisible().catch(() => false)) await close.click().catch(() => undefined);
  }
}

/** The active webview's content frame (VS Code nests it in two iframes). */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
}

/** Processes running our worker bundle from this test's extensions folder. */
export function workerProcesses(extensionsDir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(extensionsDir) && /dist\/(sample-)?worker\.js/.test(line));
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The extension's log file (its LogOutputChannel), for the activation time. */
export function extensionLog(userData: string): string {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.log') && entry.name.includes('Synthetic CSV')) found.push(full);
    }
  };
  const logs = path.join(userData, 'logs');
  if (fs.existsSync(logs)) walk(logs);
  return found.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
}
