import * as path from 'node:path';
import * as vscode from 'vscode';
import { log } from './log';
import { JobCancelled, WorkerFailure } from './workerClient';

let diagnostics: vscode.DiagnosticCollection | undefined;

export function diagnosticCollection(): vscode.DiagnosticCollection {
  diagnostics ??= vscode.languages.createDiagnosticCollection('synthetic-csv');
  return diagnostics;
}

export function clearDiagnostics(...uris: vscode.Uri[]): void {
  for (const uri of uris) diagnostics?.delete(uri);
}

export function isCancelled(error: unknown): boolean {
  return error instanceof JobCancelled;
}

/**
 * Show a failed job: the log gets the whole message, the Problems panel gets errors located in
 * the user's files (the CSV or its schema file), and a notification offers the log.
 */
export function reportError(error: unknown, files: vscode.Uri[] = [], title?: string): void {
  const message = error instanceof Error ? error.message : String(error);
  log().error(message);
  if (error instanceof WorkerFailure && error.detail.file) {
    const target = files.find((f) => path.basename(f.fsPath) === error.detail.file) ?? files[0];
    if (target) {
      const line = Math.max(0, (error.detail.line ?? 1) - 1);
      const column = Math.max(0, (error.detail.column ?? 1) - 1);
      const where = error.detail.columnName ? vscode.l10n.t(' (column "{0}")', error.detail.columnName) : '';
      const diagnostic = new vscode.Diagnostic(
        new vscode.Range(line, column, line, error.detail.column !== undefined ? column + 1 : Number.MAX_SAFE_INTEGER),
        (error.detail.detail ?? message) + where,
        vscode.DiagnosticSeverity.Error,
      );
      diagnostic.source = 'Synthetic CSV';
      diagnosticCollection().set(target, [diagnostic]);
    }
  }
  const showLog = vscode.l10n.t('Show Log');
  const text = title ? `${title}: ${message}` : message;
  void vscode.window.showErrorMessage(text, showLog).then((choice) => {
    if (choice === showLog) log().show();
  });
}
