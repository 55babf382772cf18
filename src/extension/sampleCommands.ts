import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FixtureFormat } from '../core/fixtures';
import { parseCondition } from '../core/conditions';
import { isCancelled, reportError } from './errors';
import { log, workerLog } from './log';
import { readSettings } from './settings';
import { runSample } from './workerClient';

const FORMAT_LABELS: Record<FixtureFormat, string> = {
  json: 'JSON array',
  ts: 'TypeScript / JavaScript literal',
  csv: 'CSV',
  sql: 'SQL INSERT statements',
  ndjson: 'NDJSON (one JSON object per line)',
};
const EXTENSIONS: Record<FixtureFormat, string> = { json: 'json', ts: 'ts', csv: 'csv', sql: 'sql', ndjson: 'ndjson' };

/** The format an editor's language suggests. */
export function formatForLanguage(languageId: string): FixtureFormat | undefined {
  if (languageId === 'json' || languageId === 'jsonc') return 'json';
  if (['typescript', 'javascript', 'typescriptreact', 'javascriptreact'].includes(languageId)) return 'ts';
  if (languageId === 'csv') return 'csv';
  if (languageId === 'sql') return 'sql';
  return undefined;
}

/** `patients.synthetic.model` → `patients`, a table name for SQL. */
function tableName(model: string): string {
  const base = path.basename(model).replace(/\.synthetic(-\d+)?\.model$/i, '').replace(/\.model$/i, '');
  const cleaned = base.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `t_${cleaned}`;
}

/** A trained model: the given one, the only one in the workspace, or the user's choice. */
async function pickModel(given?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (given && /\.model$/i.test(given.fsPath)) return given;
  const found = (await vscode.workspace.findFiles('**/*.synthetic*.model', '**/node_modules/**', 200)).filter((u) => u.scheme === 'file');
  const withTimes = found.map((uri) => ({ uri, mtime: safeMtime(uri.fsPath) })).sort((a, b) => b.mtime - a.mtime);
  if (withTimes.length === 1) return withTimes[0].uri;
  const browse = { label: `$(folder-opened) ${vscode.l10n.t('Browse…')}`, uri: undefined as vscode.Uri | undefined };
  const items = [
    ...withTimes.map(({ uri }) => ({ label: `$(symbol-method) ${path.basename(uri.fsPath)}`, description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath)), uri })),
    browse,
  ];
  const picked = withTimes.length
    ? await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Model to sample from (written by Generate Synthetic Data)') })
    : browse;
  if (!picked) return undefined;
  if (picked.uri) return picked.uri;
  const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { [vscode.l10n.t('Synthetic data model')]: ['model'] }, openLabel: vscode.l10n.t('Use Model') });
  return chosen?.[0];
}

function safeMtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

async function askRows(defaultRows: number, title: string): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    prompt: vscode.l10n.t('How many synthetic rows?'),
    value: String(defaultRows),
    validateInput: (v) => (/^\s*\d+\s*$/.test(v) && Number(v) > 0 && Number(v) <= 1_000_000 ? undefined : vscode.l10n.t('A whole number from 1 to 1,000,000')),
  });
  return text === undefined ? undefined : Number(text.trim());
}

/** Optional conditions, separated by ";": [] when left empty, undefined when dismissed. */
async function askConditions(title: string): Promise<string[] | undefined> {
  const split = (v: string): string[] => v.split(';').map((c) => c.trim()).filter(Boolean);
  const text = await vscode.window.showInputBox({
    title,
    prompt: vscode.l10n.t('Only rows that meet these conditions (optional), separated by ";"'),
    placeHolder: vscode.l10n.t('e.g. died_in_hospital=Yes; age>=80'),
    validateInput: (v) => {
      for (const condition of split(v)) {
        try {
          parseCondition(condition);
        } catch (error) {
          return (error as Error).message.replace(/^--where /, '');
        }
      }
      return undefined;
    },
  });
  return text === undefined ? undefined : split(text);
}

async function pickFormat(suggested: FixtureFormat | undefined, title: string, formats: FixtureFormat[]): Promise<FixtureFormat | undefined> {
  const items = formats.map((f) => ({ label: FORMAT_LABELS[f], description: f === suggested ? vscode.l10n.t('matches the editor') : undefined, format: f }));
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<(typeof items)[number]>();
    qp.title = title;
    qp.placeholder = vscode.l10n.t('Format');
    qp.items = items;
    const active = items.find((i) => i.format === suggested);
    if (active) qp.activeItems = [active];
    let done = false;
    qp.onDidAccept(() => {
      done = true;
      resolve(qp.activeItems[0]?.format);
      qp.dispose();
    });
    qp.onDidHide(() => {
      if (!done) resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

/** Insert N synthetic rows at the cursor, formatted for the editor's language. */
export async function insertRowsCommand(extensionPath: string, given?: vscode.Uri): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Open the file to insert synthetic rows into, then run this command again.'));
    return;
  }
  const model = await pickModel(given);
  if (!model) return;
  const title = vscode.l10n.t('Insert synthetic rows from {0}', path.basename(model.fsPath));
  const settings = readSettings(editor.document.uri);
  const rows = await askRows(settings.insertRows, title);
  if (rows === undefined) return;
  const where = await askConditions(title);
  if (where === undefined) return;
  const format = await pickFormat(formatForLanguage(editor.document.languageId), title, ['json', 'ts', 'csv', 'sql', 'ndjson']);
  if (!format) return;
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Sampling {0} rows', rows), cancellable: true },
      (_progress, token) =>
        runSample(
          extensionPath,
          { model: model.fsPath, rows, seed: Math.floor(Math.random() * 0xffffffff), format, tableName: tableName(model.fsPath), backend: settings.backend, neutraliseFormulas: settings.neutraliseFormulas, literalOnly: true, where },
          token,
          workerLog,
        ),
    );
    let text = result.text ?? '';
    // Rows added below existing CSV content do not repeat the header.
    if (format === 'csv' && editor.selection.active.line > 0) text = text.replace(/^[^\n]*\n/, '');
    const ok = await editor.edit((edit) => {
      for (const selection of editor.selections) edit.replace(selection, text);
    });
    if (!ok) throw new Error(vscode.l10n.t('The editor did not accept the edit.'));
    log().info(`Inserted ${rows} ${format} rows${where.length ? ` where ${where.join(' and ')}` : ''} from ${model.fsPath} into ${editor.document.uri.toString()}`);
  } catch (error) {
    if (isCancelled(error)) return;
    reportError(error, [], vscode.l10n.t('Insert synthetic rows failed'));
  }
}

/** Write a fixture file of N synthetic rows next to the model (or where the user saves it). */
export async function generateFixtureCommand(extensionPath: string, given?: vscode.Uri): Promise<void> {
  const model = await pickModel(given);
  if (!model) return;
  const title = vscode.l10n.t('Test fixture from {0}', path.basename(model.fsPath));
  const settings = readSettings(model);
  const rows = await askRows(100, title);
  if (rows === undefined) return;
  const format = await pickFormat('json', title, ['json', 'ndjson', 'sql', 'ts', 'csv']);
  if (!format) return;
  const base = path.basename(model.fsPath).replace(/\.synthetic(-\d+)?\.model$/i, '').replace(/\.model$/i, '');
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(path.join(path.dirname(model.fsPath), `${base}.fixture.${EXTENSIONS[format]}`)),
    saveLabel: vscode.l10n.t('Write Fixture'),
    filters: { [FORMAT_LABELS[format]]: [EXTENSIONS[format]] },
  });
  if (!target) return;
  if (target.scheme !== 'file') {
    void vscode.window.showErrorMessage(vscode.l10n.t('Synthetic CSV writes files on the local disk only.'));
    return;
  }
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Writing {0}', path.basename(target.fsPath)), cancellable: true },
      (_progress, token) =>
        runSample(
          extensionPath,
          { model: model.fsPath, rows, seed: settings.seed, format, tableName: tableName(model.fsPath), backend: settings.backend, neutraliseFormulas: settings.neutraliseFormulas, out: target.fsPath },
          token,
          workerLog,
        ),
    );
    log().info(`Wrote fixture ${target.fsPath} (${rows} rows, ${format})`);
    await vscode.window.showTextDocument(target);
  } catch (error) {
    if (isCancelled(error)) return;
    reportError(error, [], vscode.l10n.t('Writing the fixture failed'));
  }
}
