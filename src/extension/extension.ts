/**
 * Activation: registers the commands, the Schema and Runs views, the report panel serializer and
 * the status bar item. Everything heavy (CSV parsing, training, sampling, evaluation) runs in the
 * forked worker (dist/worker.js); this bundle never contains TensorFlow.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { clearDiagnostics, diagnosticCollection, isCancelled, reportError } from './errors';
import { cancelGeneration, generateCommand } from './generateCommand';
import { disposeLog, log, workerLog } from './log';
import { csvForOutput, schemaFileFor } from './outputs';
import { REPORT_VIEW_TYPE, ReportPanel } from './reportPanel';
import { deleteRun, RunsView, type Run } from './runsView';
import { generateFixtureCommand, insertRowsCommand } from './sampleCommands';
import { addRuleCommand, checkRulesCommand, removeRuleCommand, setRuleDeclared, setRuleEnforced } from './ruleCommands';
import { type Node, changeKind, declarePublic, keepTogether, protectPeople, protectRows, removeEntity, SchemaView, setExcluded, writeSchemaFile } from './schemaView';
import { killAllJobs, runInferSchema } from './workerClient';

const isCsv = (uri: vscode.Uri | undefined): uri is vscode.Uri => !!uri && /\.csv$/i.test(uri.path);

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const schemaView = new SchemaView(context.extensionPath);
  const runsView = new RunsView();
  const statusBar = vscode.window.createStatusBarItem('syntheticCsv.progress', vscode.StatusBarAlignment.Left, 10);
  statusBar.name = vscode.l10n.t('Synthetic data progress');

  const pickCsv = async (given: vscode.Uri | undefined, openLabel: string): Promise<vscode.Uri | undefined> => {
    if (isCsv(given)) return given;
    const active = vscode.window.activeTextEditor?.document.uri;
    if (isCsv(active)) return active;
    const found = (await vscode.workspace.findFiles('**/*.csv', '**/node_modules/**', 200)).filter((u) => !/\.synthetic(-\d+)?\.csv$/i.test(u.path));
    const browse = { label: `$(folder-opened) ${vscode.l10n.t('Browse…')}`, uri: undefined as vscode.Uri | undefined };
    const current = schemaView.current;
    const items = [
      ...found
        .sort((a, b) => (a.fsPath === current?.fsPath ? -1 : b.fsPath === current?.fsPath ? 1 : a.fsPath.localeCompare(b.fsPath)))
        .map((uri) => ({ label: `$(table) ${path.basename(uri.fsPath)}`, description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath)), uri })),
      browse,
    ];
    const picked = found.length ? await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('CSV file') }) : browse;
    if (!picked) return undefined;
    if (picked.uri) return picked.uri;
    const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { [vscode.l10n.t('CSV files')]: ['csv'] }, openLabel });
    return chosen?.[0];
  };

  const openReport = async (arg?: vscode.Uri | Run): Promise<void> => {
    let csv: vscode.Uri | undefined;
    if (arg instanceof vscode.Uri) csv = vscode.Uri.file(csvForOutput(arg.fsPath.replace(/\.report\.html$/i, '.csv')));
    else if (arg && typeof arg === 'object' && 'csv' in arg) csv = vscode.Uri.file(arg.csv);
    if (!csv) {
      const runs = await runsView.all();
      if (!runs.length) {
        void vscode.window.showInformationMessage(vscode.l10n.t('No synthetic data in this workspace yet. Run "Generate Synthetic Data" on a CSV first.'));
        return;
      }
      const picked =
        runs.length === 1
          ? { run: runs[0] }
          : await vscode.window.showQuickPick(
              runs.map((run) => ({ label: path.basename(run.csv), description: vscode.workspace.asRelativePath(path.dirname(run.csv)), run })),
              { placeHolder: vscode.l10n.t('Report to open') },
            );
      if (!picked) return;
      csv = vscode.Uri.file(picked.run.csv);
    }
    await ReportPanel.show(context, csv);
  };

  const generateDeps = {
    extensionPath: context.extensionPath,
    statusBar,
    pickCsv,
    openReport: (uri: vscode.Uri) => openReport(uri),
    onFinished: (summary: { outputs: { csv: string } }) => {
      runsView.refresh();
      void ReportPanel.refresh(summary.outputs.csv);
    },
  };

  const schemaCommand = (edit: Parameters<SchemaView['edit']>[1]) => (node?: Parameters<SchemaView['edit']>[0]) => schemaView.edit(node, edit);

  context.subscriptions.push(
    log(),
    diagnosticCollection(),
    schemaView,
    runsView,
    statusBar,
    { dispose: killAllJobs },
    vscode.commands.registerCommand('syntheticCsv.generate', (uri?: vscode.Uri) => generateCommand(generateDeps, uri ?? schemaView.current)),
    vscode.commands.registerCommand('syntheticCsv.cancelGeneration', cancelGeneration),
    vscode.commands.registerCommand('syntheticCsv.inferSchema', (uri?: vscode.Uri) => inferSchemaCommand(context, pickCsv, schemaView, uri)),
    vscode.commands.registerCommand('syntheticCsv.openReport', openReport),
    vscode.commands.registerCommand('syntheticCsv.showLog', () => log().show()),
    vscode.commands.registerCommand('syntheticCsv.insertRows', (uri?: vscode.Uri) => insertRowsCommand(context.extensionPath, uri)),
    vscode.commands.registerCommand('syntheticCsv.generateFixture', (uri?: vscode.Uri) => generateFixtureCommand(context.extensionPath, uri)),
    vscode.commands.registerCommand('syntheticCsv.openDemo', () => openDemo(context, schemaView)),
    vscode.commands.registerCommand('syntheticCsv.openWalkthrough', () =>
      vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#syntheticCsv.gettingStarted`, false),
    ),
    vscode.commands.registerCommand('syntheticCsv.schema.changeKind', schemaCommand(changeKind)),
    vscode.commands.registerCommand('syntheticCsv.schema.exclude', schemaCommand((c) => setExcluded(c, true))),
    vscode.commands.registerCommand('syntheticCsv.schema.include', schemaCommand((c) => setExcluded(c, false))),
    vscode.commands.registerCommand('syntheticCsv.schema.declarePublic', schemaCommand(declarePublic)),
    vscode.commands.registerCommand('syntheticCsv.schema.protectPeople', schemaCommand(protectPeople)),
    vscode.commands.registerCommand('syntheticCsv.schema.protectRows', schemaCommand(protectRows)),
    vscode.commands.registerCommand('syntheticCsv.schema.enforceRule', (node?: Node) => setRuleEnforced(schemaView, node, true)),
    vscode.commands.registerCommand('syntheticCsv.schema.softenRule', (node?: Node) => setRuleEnforced(schemaView, node, false)),
    vscode.commands.registerCommand('syntheticCsv.schema.declareRulePublic', (node?: Node) => setRuleDeclared(schemaView, node, true)),
    vscode.commands.registerCommand('syntheticCsv.schema.withdrawRulePublic', (node?: Node) => setRuleDeclared(schemaView, node, false)),
    vscode.commands.registerCommand('syntheticCsv.schema.removeRule', (node?: Node) => removeRuleCommand(schemaView, node)),
    vscode.commands.registerCommand('syntheticCsv.schema.addRule', () => addRuleCommand(schemaView, context.extensionPath)),
    vscode.commands.registerCommand('syntheticCsv.schema.checkRules', () => checkRulesCommand(schemaView, context.extensionPath)),
    vscode.commands.registerCommand('syntheticCsv.schema.keepTogether', schemaCommand(keepTogether)),
    vscode.commands.registerCommand('syntheticCsv.schema.removeEntity', schemaCommand(removeEntity)),
    vscode.commands.registerCommand('syntheticCsv.schema.refresh', () => schemaView.reload()),
    vscode.commands.registerCommand('syntheticCsv.schema.reset', () => schemaView.reset()),
    vscode.commands.registerCommand('syntheticCsv.schema.openFile', async () => {
      const csv = schemaView.current;
      if (!csv) return;
      const file = schemaFileFor(csv.fsPath);
      if (!fs.existsSync(file)) {
        const loaded = await schemaView.schema();
        if (!loaded) return;
        await writeSchemaFile(file, loaded.schema);
      }
      await vscode.window.showTextDocument(vscode.Uri.file(file));
    }),
    vscode.commands.registerCommand('syntheticCsv.runs.refresh', () => runsView.refresh()),
    vscode.commands.registerCommand('syntheticCsv.runs.openCsv', (run: Run) => vscode.window.showTextDocument(vscode.Uri.file(run.csv))),
    vscode.commands.registerCommand('syntheticCsv.runs.openCard', (run: Run) => vscode.window.showTextDocument(vscode.Uri.file(run.card))),
    vscode.commands.registerCommand('syntheticCsv.runs.reveal', (run: Run) => vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(run.csv))),
    vscode.commands.registerCommand('syntheticCsv.runs.delete', async (run: Run) => {
      if (!run) return;
      if (await deleteRun(run)) {
        ReportPanel.disposeFor(run.csv);
        runsView.refresh();
      }
    }),
    vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, {
      deserializeWebviewPanel: (panel) => ReportPanel.revive(context, panel),
    }),
  );
  log().info(`Synthetic CSV activated in ${(performance.now() - started).toFixed(1)} ms`);
}

export function deactivate(): void {
  killAllJobs();
  disposeLog();
}

async function inferSchemaCommand(
  context: vscode.ExtensionContext,
  pickCsv: (given: vscode.Uri | undefined, openLabel: string) => Promise<vscode.Uri | undefined>,
  schemaView: SchemaView,
  given?: vscode.Uri,
): Promise<void> {
  const uri = await pickCsv(given, vscode.l10n.t('Infer Schema'));
  if (!uri) return;
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(vscode.l10n.t('Synthetic CSV reads files on the local disk only.'));
    return;
  }
  const target = vscode.Uri.file(schemaFileFor(uri.fsPath));
  if (fs.existsSync(target.fsPath)) {
    const replace = vscode.l10n.t('Replace');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('{0} exists and may hold your edits. Replace it with a freshly inferred schema?', path.basename(target.fsPath)),
      { modal: true },
      replace,
    );
    if (answer !== replace) {
      schemaView.show(uri, true);
      return;
    }
  }
  clearDiagnostics(uri);
  try {
    const schema = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Inferring the schema of {0}', path.basename(uri.fsPath)), cancellable: true },
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
          workerLog,
        );
      },
    );
    await writeSchemaFile(target.fsPath, schema);
    schemaView.show(uri, true);
    schemaView.reload();
    await vscode.window.showTextDocument(target, { preview: true });
  } catch (error) {
    if (isCancelled(error)) return;
    reportError(error, [uri], vscode.l10n.t('Cannot read {0}', path.basename(uri.fsPath)));
  }
}

/** Copy the shipped demo data (simulated admissions) into the workspace and open it. */
async function openDemo(context: vscode.ExtensionContext, schemaView: SchemaView): Promise<void> {
  const source = vscode.Uri.joinPath(context.extensionUri, 'examples', 'patients.csv');
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
  let target: vscode.Uri | undefined = folder ? vscode.Uri.joinPath(folder.uri, 'patients.csv') : undefined;
  if (!target) {
    target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(os.homedir(), 'patients.csv')),
      saveLabel: vscode.l10n.t('Save Demo Data'),
      filters: { [vscode.l10n.t('CSV files')]: ['csv'] },
    });
    if (!target) return;
  }
  if (!fs.existsSync(target.fsPath)) await vscode.workspace.fs.copy(source, target, { overwrite: false });
  await vscode.window.showTextDocument(target, { preview: false });
  schemaView.show(target, true);
}
