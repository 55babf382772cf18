import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GenerateParams, PrivacyMode, RunSummary, TrainingProgress } from '../protocol/messages';
import { clearDiagnostics, isCancelled, reportError } from './errors';
import { log, workerLog } from './log';
import { defaultOutputs, existingOutputs, numberedOutputs, schemaFileFor, type OutputSet } from './outputs';
import { pickValue, type ValueItem } from './pick';
import { readSettings, type Settings } from './settings';
import { finishGenerate, runningJobs, startGenerate } from './workerClient';
import { epsilonText } from '../core/privacy/epsilon-text';
import { GENERATOR_INFO, generatorOfMode } from '../core/generators/catalog';

export interface RunChoice {
  mode: PrivacyMode;
  epsilon?: number;
  rows?: number;
}

/** Privacy modes whose training is implemented; the others are listed and explained. */
const AVAILABLE_MODES: ReadonlySet<PrivacyMode> = new Set(['dp-tvae', 'dp-pgm', 'dp-marginals', 'none']);

export function modeLabel(mode: PrivacyMode): string {
  switch (mode) {
    case 'dp-tvae':
      return vscode.l10n.t('Neural network: DP tVAE, raked to measured pairs');
    case 'dp-pgm':
      return vscode.l10n.t('Best fidelity: DP graphical model (MST pairs)');
    case 'dp-marginals':
      return vscode.l10n.t('Low fidelity: DP marginals');
    default:
      return vscode.l10n.t('No privacy (non-sensitive data)');
  }
}

/** Mode, then epsilon (DP modes), then rows; the settings' defaults are preselected. */
export async function pickRunOptions(csv: vscode.Uri, settings: Settings): Promise<RunChoice | undefined> {
  const title = vscode.l10n.t('Generate synthetic data from {0}', path.basename(csv.fsPath));
  const comingLater = vscode.l10n.t('Coming in the DP release: differentially private training is not available in this version yet. Choose "No privacy" for data that is not sensitive.');
  // The default DP generator first (chosen by measurement: catalog.ts, DEFAULT_DP_GENERATOR).
  const modes: ValueItem<PrivacyMode>[] = (['dp-pgm', 'dp-tvae', 'dp-marginals', 'none'] as const).map((mode) => ({
    value: mode,
    label: `${mode === 'none' ? '$(unlock)' : '$(shield)'} ${modeLabel(mode)}`,
    description: AVAILABLE_MODES.has(mode) ? undefined : vscode.l10n.t('coming in the DP release'),
    // The generators' own descriptions (catalog.ts), as the setting's (package.nls.json) are.
    detail: mode === 'none' ? vscode.l10n.t('Trains without any privacy guarantee. Only for data that is not sensitive.') : vscode.l10n.t(GENERATOR_INFO[generatorOfMode(mode)].description),
    disabledReason: AVAILABLE_MODES.has(mode) ? undefined : comingLater,
  }));
  const dp = (mode: PrivacyMode): boolean => mode !== 'none';
  const defaultMode = modes.find((m) => m.value === settings.mode && !m.disabledReason) ?? modes.find((m) => !m.disabledReason)!;
  const mode = await pickValue({ title, step: 1, totalSteps: 2, placeholder: vscode.l10n.t('Privacy mode'), items: modes, active: defaultMode });
  if (!mode) return undefined;
  const steps = dp(mode.value) ? 3 : 2;

  let epsilon: number | undefined;
  if (dp(mode.value)) {
    const values = [...new Set([0.5, 1, 3, 10, settings.epsilon])].sort((a, b) => a - b);
    const items: ValueItem<number>[] = values.map((e) => ({ value: e, label: `ε = ${e}`, description: e === settings.epsilon ? vscode.l10n.t('default') : undefined }));
    const picked = await pickValue({
      title,
      step: 2,
      totalSteps: steps,
      placeholder: vscode.l10n.t('Privacy budget epsilon (smaller is more private); type another value'),
      items,
      active: items.find((i) => i.value === settings.epsilon),
      custom: (text) => {
        const e = Number(text);
        return e > 0 && Number.isFinite(e) ? { value: e, label: `ε = ${e}`, description: vscode.l10n.t('custom') } : undefined;
      },
    });
    if (!picked) return undefined;
    epsilon = picked.value;
  }

  const sameAsInput: ValueItem<number> = { value: 0, label: vscode.l10n.t('As many rows as the input') };
  const rowItems: ValueItem<number>[] = [sameAsInput, ...[100, 1000, 10000].map((n) => ({ value: n, label: vscode.l10n.t('{0} rows', n.toLocaleString('en-US')) }))];
  if (settings.rows > 0 && !rowItems.some((i) => i.value === settings.rows)) {
    rowItems.push({ value: settings.rows, label: vscode.l10n.t('{0} rows', settings.rows.toLocaleString('en-US')) });
  }
  const defaultRows = rowItems.find((i) => i.value === settings.rows)!;
  defaultRows.description = vscode.l10n.t('default');
  const rows = await pickValue({
    title,
    step: steps,
    totalSteps: steps,
    placeholder: vscode.l10n.t('Rows to generate; type a number for another count'),
    items: rowItems,
    active: defaultRows,
    custom: (text) => {
      const n = Number(text.replace(/[,_ ]/g, ''));
      return Number.isInteger(n) && n > 0 ? { value: n, label: vscode.l10n.t('{0} rows', n.toLocaleString('en-US')), description: vscode.l10n.t('custom') } : undefined;
    },
  });
  if (!rows) return undefined;
  return { mode: mode.value, epsilon, rows: rows.value || undefined };
}

/** Where the outputs go: the default names, numbered ones, or the default names replaced. */
async function chooseOutputs(input: string, settings: Settings): Promise<{ outputs: OutputSet; force: boolean } | undefined> {
  const outputs = defaultOutputs(input);
  const existing = existingOutputs(outputs);
  if (!existing.length) return { outputs, force: false };
  if (settings.outputNaming === 'overwrite') return { outputs, force: true };
  if (settings.outputNaming === 'number') return { outputs: numberedOutputs(input), force: false };
  const replace = vscode.l10n.t('Replace');
  const keepBoth = vscode.l10n.t('Keep Both');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('{0} already exist. Replace them?', existing.map((f) => path.basename(f)).join(', ')),
    { modal: true, detail: vscode.l10n.t('"Keep Both" writes numbered files instead. The original CSV is never changed.') },
    replace,
    keepBoth,
  );
  if (choice === replace) return { outputs, force: true };
  if (choice === keepBoth) return { outputs: numberedOutputs(input), force: false };
  return undefined;
}

function describeTraining(p: TrainingProgress): string {
  const parts = [vscode.l10n.t('epoch {0}/{1}', p.epoch, p.epochs), vscode.l10n.t('loss {0}', p.loss.toFixed(3))];
  if (p.etaSeconds > 0 && Number.isFinite(p.etaSeconds)) parts.push(vscode.l10n.t('ETA {0}', duration(p.etaSeconds)));
  if (p.epsilon !== undefined) parts.push(epsilonText(p.epsilon));
  return parts.join(' · ');
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}

export interface GenerateDeps {
  extensionPath: string;
  statusBar: vscode.StatusBarItem;
  onFinished: (summary: RunSummary) => void;
  openReport: (syntheticCsv: vscode.Uri) => Promise<void>;
  pickCsv: (given: vscode.Uri | undefined, openLabel: string) => Promise<vscode.Uri | undefined>;
}

export async function generateCommand(deps: GenerateDeps, given?: vscode.Uri): Promise<void> {
  const uri = await deps.pickCsv(given, vscode.l10n.t('Generate'));
  if (!uri) return;
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(vscode.l10n.t('Synthetic CSV reads files on the local disk only.'));
    return;
  }
  if (runningJobs().some((j) => j.kind === 'generate')) {
    void vscode.window.showWarningMessage(vscode.l10n.t('A synthetic data run is already in progress. Cancel it first (Synthetic Data: Cancel Generation).'));
    return;
  }
  const settings = readSettings(uri);
  const choice = await pickRunOptions(uri, settings);
  if (!choice) return;

  const dirty = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString() && d.isDirty);
  if (dirty) {
    const save = vscode.l10n.t('Save and Continue');
    const answer = await vscode.window.showWarningMessage(vscode.l10n.t('{0} has unsaved changes. Training reads the file on disk.', path.basename(uri.fsPath)), { modal: true }, save);
    if (answer !== save) return;
    await dirty.save();
  }

  const target = await chooseOutputs(uri.fsPath, settings);
  if (!target) return;
  const schemaFile = schemaFileFor(uri.fsPath);
  const params: GenerateParams = {
    input: uri.fsPath,
    schemaFile: fs.existsSync(schemaFile) ? schemaFile : undefined,
    out: target.outputs.csv,
    force: target.force,
    mode: choice.mode,
    ...(choice.mode !== 'none' ? { epsilon: choice.epsilon ?? settings.epsilon, delta: settings.delta } : {}),
    rows: choice.rows,
    epochs: settings.epochs || undefined,
    seed: settings.seed,
    backend: settings.backend,
    holdoutFraction: settings.holdoutFraction,
    maxTrainingRows: settings.maxTrainingRows || undefined,
    neutraliseFormulas: settings.neutraliseFormulas,
    blankText: settings.blankText,
  };
  clearDiagnostics(uri, vscode.Uri.file(schemaFile));
  log().info(`Generate ${uri.fsPath} → ${target.outputs.csv} (mode ${choice.mode}${params.schemaFile ? `, schema ${params.schemaFile}` : ''}${target.force ? ', replacing' : ''})`);

  const name = path.basename(uri.fsPath);
  const bar = deps.statusBar;
  bar.text = `$(loading~spin) ${vscode.l10n.t('Synthetic data: starting')}`;
  bar.tooltip = vscode.l10n.t('Generating synthetic data from {0}. Click to cancel.', name);
  bar.command = 'syntheticCsv.cancelGeneration';
  bar.show();

  try {
    const summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Synthetic data from {0}', name), cancellable: true },
      async (progress, token) => {
        let reported = 0;
        const advance = (to: number, message: string): void => {
          const increment = Math.max(0, to - reported);
          reported = Math.max(reported, to);
          progress.report({ increment, message });
        };
        const job = startGenerate(deps.extensionPath, params, {
          log: workerLog,
          onMessage: (m) => {
            if (m.type === 'phase') {
              const at: Record<string, number> = { schema: 2, load: 5, fit: 8, train: 10, sample: 80, evaluate: 85, write: 96, done: 100 };
              advance(at[m.phase] ?? reported, m.message);
              if (m.phase !== 'train') bar.text = `$(loading~spin) ${m.message}`;
            } else if (m.type === 'training') {
              const p = m.progress;
              const fraction = (p.epoch - 1 + p.step / Math.max(1, p.stepsPerEpoch)) / Math.max(1, p.epochs);
              const text = describeTraining(p);
              advance(10 + 70 * fraction, text);
              bar.text = `$(loading~spin) ${vscode.l10n.t('Training')}: ${text}`;
            }
          },
        });
        token.onCancellationRequested(() => job.cancel());
        return finishGenerate(job);
      },
    );
    deps.onFinished(summary);
    const written = path.basename(summary.outputs.csv);
    log().info(`Wrote ${summary.outputs.csv} (${summary.rows} rows, ${summary.epochsRun} epochs, ${summary.backend}) in ${duration(summary.seconds)}`);
    const openReport = vscode.l10n.t('Open Report');
    const openCsv = vscode.l10n.t('Open CSV');
    const privacy = summary.differentiallyPrivate && summary.epsilon !== undefined ? epsilonText(summary.epsilon) : summary.differentiallyPrivate ? vscode.l10n.t('differentially private') : vscode.l10n.t('no privacy guarantee');
    if (vscode.workspace.getConfiguration('syntheticCsv', uri).get<boolean>('openReportAfterRun', true)) {
      void deps.openReport(vscode.Uri.file(summary.outputs.csv));
    }
    void vscode.window
      .showInformationMessage(vscode.l10n.t('Synthetic data written: {0} ({1} rows, {2}).', written, summary.rows.toLocaleString('en-US'), privacy), openReport, openCsv)
      .then((picked) => {
        if (picked === openReport) void deps.openReport(vscode.Uri.file(summary.outputs.csv));
        else if (picked === openCsv) void vscode.window.showTextDocument(vscode.Uri.file(summary.outputs.csv));
      });
  } catch (error) {
    if (isCancelled(error)) {
      log().info('Generation cancelled; no outputs were written');
      void vscode.window.showInformationMessage(vscode.l10n.t('Generation cancelled. Nothing was written.'));
      return;
    }
    const files = [uri, vscode.Uri.file(schemaFile)];
    reportError(error, files, vscode.l10n.t('Synthetic data from {0} failed', name));
  } finally {
    bar.hide();
  }
}

export function cancelGeneration(): void {
  const jobs = runningJobs().filter((j) => j.kind === 'generate');
  if (!jobs.length) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No synthetic data run is in progress.'));
    return;
  }
  for (const job of jobs) job.cancel();
}
