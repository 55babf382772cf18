import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { log } from './log';
import { epsilonText } from '../core/privacy/epsilon-text';
import { csvForOutput, outputsFor } from './outputs';

export interface Run {
  csv: string;
  card: string;
  source: string;
  rows: number;
  createdAt: Date;
  differentiallyPrivate: boolean;
  mode: string;
  epsilon?: number;
  quality?: number;
  seconds?: number;
}

const CARD_GLOB = '**/*.synthetic*.json';
const CARD_NAME = /\.synthetic(-\d+)?\.json$/i;

/** Read a metadata card; undefined if it is not one. */
export async function readRun(card: string): Promise<Run | undefined> {
  try {
    const doc = JSON.parse(await fs.promises.readFile(card, 'utf8')) as Record<string, any>;
    if (doc?.format !== 'synthetic-csv-card') return undefined;
    const privacy = (doc.privacy ?? {}) as { differentiallyPrivate?: boolean; epsilon?: unknown; mode?: unknown };
    const quality = doc.evaluation?.quality?.score;
    const dp = privacy.differentiallyPrivate === true;
    return {
      csv: csvForOutput(card),
      card,
      source: String(doc.source?.file ?? ''),
      rows: Number(doc.output?.rows ?? 0),
      createdAt: new Date(String(doc.createdAt ?? 0)),
      differentiallyPrivate: dp,
      mode: typeof privacy.mode === 'string' ? privacy.mode : dp ? 'DP' : vscode.l10n.t('No privacy'),
      ...(typeof privacy.epsilon === 'number' ? { epsilon: privacy.epsilon } : {}),
      ...(typeof quality === 'number' && Number.isFinite(quality) ? { quality } : {}),
      ...(typeof doc.timings?.total === 'number' ? { seconds: doc.timings.total } : {}),
    };
  } catch {
    return undefined;
  }
}

function ago(date: Date): string {
  const s = (Date.now() - date.getTime()) / 1000;
  if (!Number.isFinite(s)) return '';
  if (s < 60) return vscode.l10n.t('just now');
  if (s < 3600) return vscode.l10n.t('{0} min ago', Math.floor(s / 60));
  if (s < 86400) return vscode.l10n.t('{0} h ago', Math.floor(s / 3600));
  return date.toLocaleDateString();
}

/** The Runs view: every synthetic output in the workspace, found by its metadata card. */
export class RunsView implements vscode.TreeDataProvider<Run>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private runs: Run[] | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher(CARD_GLOB);
    const later = (): void => this.refreshSoon();
    this.disposables.push(
      vscode.window.createTreeView('syntheticCsv.runs', { treeDataProvider: this }),
      this.changed,
      watcher,
      watcher.onDidCreate(later),
      watcher.onDidChange(later),
      watcher.onDidDelete(later),
      vscode.workspace.onDidChangeWorkspaceFolders(later),
    );
  }

  refresh(): void {
    this.runs = undefined;
    this.changed.fire(undefined);
  }

  private refreshSoon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 300);
  }

  async all(): Promise<Run[]> {
    if (this.runs) return this.runs;
    const cards = await vscode.workspace.findFiles(CARD_GLOB, '**/node_modules/**', 500);
    const runs = (await Promise.all(cards.filter((u) => u.scheme === 'file' && CARD_NAME.test(u.fsPath)).map((u) => readRun(u.fsPath)))).filter(
      (r): r is Run => r !== undefined,
    );
    runs.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    this.runs = runs;
    return runs;
  }

  async getChildren(run?: Run): Promise<Run[]> {
    if (run) return [];
    return this.all();
  }

  getTreeItem(run: Run): vscode.TreeItem {
    const item = new vscode.TreeItem(path.basename(run.csv), vscode.TreeItemCollapsibleState.None);
    item.id = run.csv;
    item.resourceUri = vscode.Uri.file(run.csv);
    const parts = [run.mode];
    if (run.epsilon !== undefined) parts.push(epsilonText(run.epsilon));
    if (run.quality !== undefined) parts.push(vscode.l10n.t('quality {0}%', (run.quality * 100).toFixed(0)));
    parts.push(ago(run.createdAt));
    item.description = parts.join(' · ');
    item.iconPath = new vscode.ThemeIcon(run.differentiallyPrivate ? 'shield' : 'unlock');
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown(`**${path.basename(run.csv)}**\n\n`);
    tip.appendMarkdown(`${vscode.l10n.t('From {0}, {1} rows', run.source, run.rows.toLocaleString('en-US'))}\n\n`);
    tip.appendMarkdown(`${vscode.l10n.t('Mode: {0}', run.mode)}${run.epsilon !== undefined ? `, ${epsilonText(run.epsilon)}` : ''}\n\n`);
    if (run.quality !== undefined) tip.appendMarkdown(`${vscode.l10n.t('Quality score: {0}%', (run.quality * 100).toFixed(1))}\n\n`);
    tip.appendMarkdown(`${vscode.l10n.t('Created {0}', run.createdAt.toLocaleString())}`);
    item.tooltip = tip;
    item.contextValue = 'run';
    item.command = { command: 'syntheticCsv.openReport', title: vscode.l10n.t('Open Report'), arguments: [vscode.Uri.file(run.csv)] };
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}

/** Delete a run's synthetic CSV, card, model and report, after asking. */
export async function deleteRun(run: Run): Promise<boolean> {
  const outputs = outputsFor(run.csv);
  const files = Object.values(outputs).filter((f) => fs.existsSync(f));
  const del = vscode.l10n.t('Delete');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('Delete {0}?', files.map((f) => path.basename(f)).join(', ')),
    { modal: true, detail: vscode.l10n.t('The files are deleted permanently. The original CSV is not touched.') },
    del,
  );
  if (answer !== del) return false;
  for (const file of files) {
    await fs.promises.rm(file, { force: true });
    log().info(`Deleted ${file}`);
  }
  return true;
}
