import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ReportData } from '../core/report/data';
import { renderReportHtml } from '../core/report/render';
import { isReportWebviewMessage, type ReportWebviewMessage } from '../protocol/report';
import { log } from './log';
import { outputsFor } from './outputs';

export const REPORT_VIEW_TYPE = 'syntheticCsv.report';
const STATE_KEY = 'syntheticCsv.reportPanel.csv';

/**
 * The evaluation report in a webview panel: one panel, showing the report of one synthetic CSV.
 * Its data is the JSON block of the `<name>.synthetic.report.html` the engine wrote (aggregates
 * only, computed in the worker), so the extension host never loads TensorFlow or the evaluation
 * code: it only re-renders that data with the webview's CSP, nonce and resource URIs.
 */
export class ReportPanel {
  private static current: ReportPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  static async show(context: vscode.ExtensionContext, syntheticCsv: vscode.Uri): Promise<void> {
    if (ReportPanel.current) {
      ReportPanel.current.csv = syntheticCsv;
      ReportPanel.current.panel.reveal(undefined, true);
      await ReportPanel.current.update();
      return;
    }
    const panel = vscode.window.createWebviewPanel(REPORT_VIEW_TYPE, title(syntheticCsv), { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, webviewOptions(context));
    ReportPanel.current = new ReportPanel(context, panel, syntheticCsv);
    await ReportPanel.current.update();
  }

  /** Restore the panel after a window reload (the webview keeps its scroll position itself). */
  static async revive(context: vscode.ExtensionContext, panel: vscode.WebviewPanel): Promise<void> {
    const stored = context.workspaceState.get<string>(STATE_KEY);
    panel.webview.options = webviewOptions(context);
    if (!stored) {
      panel.dispose();
      return;
    }
    ReportPanel.current?.panel.dispose();
    ReportPanel.current = new ReportPanel(context, panel, vscode.Uri.file(stored));
    await ReportPanel.current.update();
  }

  /** Re-render after a run replaced the report being shown. */
  static async refresh(syntheticCsv: string): Promise<void> {
    const current = ReportPanel.current;
    if (current && current.csv.fsPath === syntheticCsv) await current.update();
  }

  static isShowing(syntheticCsv: string): boolean {
    return ReportPanel.current?.csv.fsPath === syntheticCsv;
  }

  static disposeFor(syntheticCsv: string): void {
    if (ReportPanel.isShowing(syntheticCsv)) ReportPanel.current?.panel.dispose();
  }

  private constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly panel: vscode.WebviewPanel,
    private csv: vscode.Uri,
  ) {
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'report.svg');
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((message: unknown) => this.onMessage(message), null, this.disposables);
  }

  private async update(): Promise<void> {
    await this.context.workspaceState.update(STATE_KEY, this.csv.fsPath);
    this.panel.title = title(this.csv);
    const webview = this.panel.webview;
    const nonce = randomBytes(18).toString('base64url');
    const outputs = outputsFor(this.csv.fsPath);
    let data: ReportData | undefined;
    let problem: string | undefined;
    try {
      data = await readReportData(outputs.report);
    } catch (error) {
      problem = (error as Error).message;
    }
    if (data) {
      const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview');
      webview.html = renderReportHtml(data, {
        mode: 'webview',
        cspSource: webview.cspSource,
        nonce,
        scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'report.js')).toString(),
        styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'report.css')).toString(),
      });
    } else {
      webview.html = placeholderHtml(webview, nonce, this.context.extensionUri, path.basename(this.csv.fsPath), problem ?? '', fs.existsSync(this.csv.fsPath));
    }
  }

  private async onMessage(raw: unknown): Promise<void> {
    if (!isReportWebviewMessage(raw)) return;
    const message: ReportWebviewMessage = raw;
    const outputs = outputsFor(this.csv.fsPath);
    try {
      switch (message.type) {
        case 'openSynthetic':
          await vscode.window.showTextDocument(this.csv, { viewColumn: vscode.ViewColumn.One });
          break;
        case 'exportReport': {
          const target = await vscode.window.showSaveDialog({
            defaultUri: vscode.Uri.file(outputs.report),
            filters: { [vscode.l10n.t('HTML report')]: ['html'] },
            saveLabel: vscode.l10n.t('Export Report'),
          });
          if (!target) return;
          if (target.fsPath !== outputs.report) await vscode.workspace.fs.copy(vscode.Uri.file(outputs.report), target, { overwrite: true });
          void vscode.window.showInformationMessage(vscode.l10n.t('Report saved to {0}. It is a single offline HTML file.', path.basename(target.fsPath)));
          break;
        }
        case 'copyCard': {
          const card = await fs.promises.readFile(outputs.card, 'utf8');
          await vscode.env.clipboard.writeText(card);
          void vscode.window.showInformationMessage(vscode.l10n.t('Metadata card copied to the clipboard.'));
          break;
        }
      }
    } catch (error) {
      log().error(`report panel: ${(error as Error).message}`);
      void vscode.window.showErrorMessage((error as Error).message);
    }
  }

  private dispose(): void {
    if (ReportPanel.current === this) {
      ReportPanel.current = undefined;
      void this.context.workspaceState.update(STATE_KEY, undefined);
    }
    for (const d of this.disposables) d.dispose();
  }
}

function title(csv: vscode.Uri): string {
  return vscode.l10n.t('Report: {0}', path.basename(csv.fsPath));
}

function webviewOptions(context: vscode.ExtensionContext): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(context.extensionUri, 'media')],
  };
}

const DATA_BLOCK = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/;

/** The ReportData inside a rendered report file. */
export async function readReportData(reportFile: string): Promise<ReportData> {
  let html: string;
  try {
    html = await fs.promises.readFile(reportFile, 'utf8');
  } catch {
    throw new Error(vscode.l10n.t('{0} has not been written.', path.basename(reportFile)));
  }
  const match = DATA_BLOCK.exec(html);
  if (!match) throw new Error(vscode.l10n.t('{0} holds no report data.', path.basename(reportFile)));
  const data = JSON.parse(match[1]) as ReportData;
  if (!data || typeof data !== 'object' || data.version !== 1) throw new Error(vscode.l10n.t('{0} was written by another version.', path.basename(reportFile)));
  return data;
}

/** When there is no report to show: say why, still under the strict CSP. */
function placeholderHtml(webview: vscode.Webview, nonce: string, extensionUri: vscode.Uri, name: string, problem: string, csvExists: boolean): string {
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'placeholder.css')).toString();
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'placeholder.js')).toString();
  const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const csp = `default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';`;
  const heading = csvExists ? vscode.l10n.t('No evaluation report for {0} yet', name) : vscode.l10n.t('{0} no longer exists', name);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<link rel="stylesheet" href="${esc(style)}"><title>${esc(name)}</title></head>
<body><main class="placeholder" data-rendered="placeholder">
<h1>${esc(heading)}</h1><p>${esc(problem)}</p>
${csvExists ? `<p><button id="open" type="button">${esc(vscode.l10n.t('Open synthetic CSV'))}</button></p>` : ''}
</main><script nonce="${nonce}" src="${esc(script)}"></script></body></html>`;
}
