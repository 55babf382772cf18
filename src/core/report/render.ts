/**
 * The evaluation report page, one renderer for two hosts:
 *  - 'file': a single self-contained offline HTML file. The browser bundle and its CSS are inlined
 *    and allowed by a Content-Security-Policy that lists their sha256 hashes (no 'unsafe-inline',
 *    no 'unsafe-eval', no network).
 *  - 'webview': the VS Code webview panel. The bundle is loaded from `scriptUri` with a nonce.
 *
 * The Node side puts nothing from the CSV into markup: the report data travels as JSON inside
 * <script type="application/json">, and the browser code shows it with textContent.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ReportData } from './data';

export type RenderOptions =
  | { mode: 'file' }
  | { mode: 'webview'; cspSource: string; nonce: string; scriptUri: string; styleUri?: string };

/**
 * Where the built browser bundle is: next to the bundled CLI/extension (dist/cli.js →
 * dist/webview/report.js), or, when running from source (tsx), in the repository's dist/.
 */
export function reportScriptPath(): string {
  return locate('report.js');
}

/** The report's CSS, built next to the script (dist/webview/report.css). */
export function reportStylePath(): string {
  return locate('report.css');
}

function locate(file: string): string {
  const bundled = path.join(__dirname, 'webview', file);
  const fromSource = path.resolve(__dirname, '..', '..', '..', 'dist', 'webview', file);
  const runningFromSource = path.basename(__dirname) === 'report' && path.basename(path.dirname(__dirname)) === 'core';
  const candidates = runningFromSource ? [fromSource, bundled] : [bundled, fromSource];
  return candidates.find((c) => fs.existsSync(c)) ?? candidates[0];
}

function readAsset(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`the report bundle is missing (${file}); build it with "npm run build"`);
  }
}

/** The report data as JSON that cannot end the <script> element it sits in. */
export function serialiseReportData(data: ReportData): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** Markup-escape a value for a double-quoted attribute or text (used only for host-provided URIs and tokens). */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** Inline code must not contain its own end tag; JSON and minified bundles never need "</". */
function inlineSafe(code: string, tag: 'script' | 'style'): string {
  const stripped = code.replace(/\n?\/[/*]# sourceMappingURL=[^\n]*\s*$/, '');
  return stripped.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');
}

export function renderReportHtml(data: ReportData, options: RenderOptions): string {
  const json = serialiseReportData(data);
  let csp: string;
  let style: string;
  let script: string;

  if (options.mode === 'file') {
    const js = inlineSafe(readAsset(reportScriptPath()), 'script');
    const css = inlineSafe(readAsset(reportStylePath()), 'style');
    csp = [
      "default-src 'none'",
      `script-src ${sha256(js)}`,
      `style-src ${sha256(css)}`,
      'img-src data:',
      'font-src data:',
      "base-uri 'none'",
      "form-action 'none'",
    ].join('; ');
    style = `<style>${css}</style>`;
    script = `<script>${js}</script>`;
  } else {
    const { cspSource, nonce, scriptUri, styleUri } = options;
    if (!/^[A-Za-z0-9+/=_-]+$/.test(nonce)) throw new Error('the webview nonce must be base64 or alphanumeric');
    csp = [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src ${cspSource} 'unsafe-inline'`,
      `img-src ${cspSource} data:`,
      `font-src ${cspSource}`,
    ].join('; ');
    style = styleUri
      ? `<link rel="stylesheet" href="${escapeHtml(styleUri)}">`
      : `<style>${inlineSafe(readAsset(reportStylePath()), 'style')}</style>`;
    script = `<script nonce="${escapeHtml(nonce)}" src="${escapeHtml(scriptUri)}"></script>`;
  }

  return `<!DOCTYPE html>
<html lang="en" data-mode="${options.mode}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.mode === 'file' ? '<meta name="color-scheme" content="light dark">\n' : ''}<meta name="referrer" content="no-referrer">
<title>Synthetic data evaluation report</title>
${style}
</head>
<body>
<main id="app" class="app" aria-busy="true"><p class="loading">Loading the report…</p></main>
<noscript>This report draws its tables and charts with JavaScript; please allow scripts for this file.</noscript>
<script type="application/json" id="report-data">${json}</script>
${script}
</body>
</html>
`;
}
