/**
 * Messages from the evaluation report webview to the extension host. The webview bundle and the
 * extension both import this module (it has no runtime dependencies), so the two stay in step.
 */

/** Open the synthetic CSV in an editor. */
export interface OpenSyntheticMessage {
  type: 'openSynthetic';
}

/** Save the report as a self-contained HTML file. */
export interface ExportReportMessage {
  type: 'exportReport';
}

/** Copy the metadata card (JSON) to the clipboard. */
export interface CopyCardMessage {
  type: 'copyCard';
}

export type ReportWebviewMessage = OpenSyntheticMessage | ExportReportMessage | CopyCardMessage;

export type ReportWebviewMessageType = ReportWebviewMessage['type'];

export const REPORT_MESSAGE_TYPES: readonly ReportWebviewMessageType[] = ['openSynthetic', 'exportReport', 'copyCard'];

/** Narrow an untrusted message from the webview. */
export function isReportWebviewMessage(value: unknown): value is ReportWebviewMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    REPORT_MESSAGE_TYPES.includes((value as { type?: unknown }).type as ReportWebviewMessageType)
  );
}

/** State the webview keeps across reloads with `vscode.setState`. */
export interface ReportWebviewState {
  scrollY: number;
}
