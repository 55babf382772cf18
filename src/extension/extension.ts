import * as vscode from 'vscode';
import { runInferSchema, WorkerFailure } from './workerClient';

let log: vscode.LogOutputChannel | undefined;
let diagnostics: vscode.DiagnosticCollection | undefined;

export function activate(context: vscode.ExtensionContext): void {
  log = vscode.window.createOutputChannel('Synthetic CSV', { log: true });
  diagnostics = vscode.languages.createDiagnosticCollection('synthetic-csv');
  context.subscriptions.push(
    log,
    diagnostics,
    vscode.commands.registerCommand('syntheticCsv.inferSchema', (uri?: vscode.Uri) => inferSchemaCommand(context, uri)),
    vscode.commands.registerCommand('syntheticCsv.showLog', () => log?.show()),
  );
}

export function deactivate(): void {
  // Subscriptions are disposed by VS Code; workers end with their jobs.
}

async function pickCsv(uri?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (uri) return uri;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.path.toLowerCase().endsWith('.csv')) return active;
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { [vscode.l10n.t('CSV files')]: ['csv'] },
    openLabel: vscode.l10n.t('Infer Schema'),
  });
  return picked?.[0];
}

async function inferSchemaCommand(context: vscode.ExtensionContext, given?: vscode.Uri): Promise<void> {
  const uri = await pickCsv(given);
  if (!uri) return;
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(vscode.l10n.t('Synthetic CSV reads files on disk only.'));
    return;
  }
  diagnostics?.delete(uri);
  const target = vscode.Uri.file(uri.fsPath.replace(/\.csv$/i, '') + '.schema.json');
  try {
    const schema = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Inferring schema'), cancellable: true },
      (progress, token) => {
        let reported = 0;
        return runInferSchema(
          context.extensionPath,
          uri.fsPath,
          (fraction) => {
            progress.report({ increment: (fraction - reported) * 100 });
            reported = fraction;
          },
          token,
          (line) => log?.info(line),
        );
      },
    );
    await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(schema, null, 2) + '\n', 'utf8'));
    await vscode.window.showTextDocument(target);
  } catch (error) {
    if (error instanceof Error && error.message === 'cancelled') return;
    reportError(uri, error);
  }
}

function reportError(uri: vscode.Uri, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  log?.error(message);
  if (error instanceof WorkerFailure && error.detail.line !== undefined) {
    const line = Math.max(0, error.detail.line - 1);
    const column = Math.max(0, (error.detail.column ?? 1) - 1);
    diagnostics?.set(uri, [new vscode.Diagnostic(new vscode.Range(line, column, line, column + 1), error.detail.message, vscode.DiagnosticSeverity.Error)]);
  }
  void vscode.window.showErrorMessage(message, vscode.l10n.t('Show Log')).then((choice) => {
    if (choice) log?.show();
  });
}
