import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

/** The "Synthetic CSV" log output channel (created on first use). */
export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('Synthetic CSV', { log: true });
  return channel;
}

export function workerLog(level: 'info' | 'warn' | 'error', line: string): void {
  if (!line) return;
  if (level === 'error') log().error(line);
  else if (level === 'warn') log().warn(line);
  else log().info(line);
}

export function disposeLog(): void {
  channel?.dispose();
  channel = undefined;
}
