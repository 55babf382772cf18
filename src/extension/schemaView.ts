import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeTextAtomic } from '../core/io/atomic';
import { describeRule } from '../core/rules/check';
import { rulesAfterColumnEdit } from '../core/rules/edit';
import { keptShareInWords, ruleInWords } from '../core/rules/words';
import { COLUMN_KINDS, type ColumnKind, type ColumnSchema, type DateFormat, type Rule, type Schema } from '../core/schema/types';
import { InputError } from '../core/csv/errors';
import { clearDiagnostics, isCancelled, reportError } from './errors';
import { describePrivacyUnit, withPrivacyUnit } from '../core/schema/privacy-unit';
import { withEntity, withoutEntity } from '../core/schema/entities';
import { workerLog } from './log';
import { schemaFileFor } from './outputs';
import { runInferSchema } from './workerClient';

export type Node =
  | { type: 'column'; column: ColumnSchema }
  | { type: 'rules' }
  | { type: 'rule'; rule: Rule; index: number }
  | { type: 'detail'; label: string; icon: vscode.ThemeIcon; tooltip?: string }
  | { type: 'status'; label: string; icon: vscode.ThemeIcon; tooltip?: string; command?: vscode.Command };

const KIND_ICONS: Record<ColumnKind, string> = {
  continuous: 'symbol-number',
  integer: 'symbol-numeric',
  categorical: 'symbol-enum',
  boolean: 'symbol-boolean',
  datetime: 'clock',
  date: 'calendar',
  identifier: 'key',
  text: 'symbol-text',
  constant: 'symbol-constant',
};

const NUMERIC: ReadonlySet<ColumnKind> = new Set(['continuous', 'integer', 'date', 'datetime']);
const CATEGORICAL: ReadonlySet<ColumnKind> = new Set(['categorical', 'boolean']);
const DATE_FORMATS: DateFormat[] = ['YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY', 'YYYY-MM-DD HH:mm:ss', 'YYYY-MM-DD HH:mm', 'YYYY-MM-DDTHH:mm:ss', 'YYYY-MM-DDTHH:mm:ssZ'];

function pct(x: number): string {
  if (x === 0) return '0%';
  if (x < 0.001) return '<0.1%';
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}

interface Loaded {
  schema: Schema;
  /** `file`: from `<name>.schema.json` (used by generate); `inferred`: in memory only. */
  source: 'file' | 'inferred';
  csvMtime: number;
}

/**
 * The Schema view: one node per column of the chosen CSV (the active CSV editor, or the one a
 * command was run on). Edits write `<name>.schema.json` beside the CSV, which generate then uses.
 */
export class SchemaView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<Node>;
  private readonly disposables: vscode.Disposable[] = [];
  private csv: vscode.Uri | undefined;
  private loaded: Loaded | undefined;
  private loading: Promise<void> | undefined;
  private error: string | undefined;
  private cancelLoad: vscode.CancellationTokenSource | undefined;

  constructor(private readonly extensionPath: string) {
    this.view = vscode.window.createTreeView('syntheticCsv.schema', { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(
      this.view,
      this.changed,
      this.view.onDidChangeVisibility(() => this.changed.fire(undefined)),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        const uri = editor?.document.uri;
        if (uri && uri.scheme === 'file' && /\.csv$/i.test(uri.fsPath)) this.show(uri, false);
      }),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (!this.csv) return;
        if (doc.uri.fsPath === this.csv.fsPath || doc.uri.fsPath === schemaFileFor(this.csv.fsPath)) this.reload();
      }),
    );
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.schema.json');
    const onSchemaFile = (uri: vscode.Uri): void => {
      if (this.csv && uri.fsPath === schemaFileFor(this.csv.fsPath) && !this.writing) this.reload();
    };
    this.disposables.push(watcher, watcher.onDidChange(onSchemaFile), watcher.onDidCreate(onSchemaFile), watcher.onDidDelete(onSchemaFile));
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active && active.scheme === 'file' && /\.csv$/i.test(active.fsPath)) this.show(active, false);
    else void vscode.commands.executeCommand('setContext', 'syntheticCsv.hasCsv', false);
  }

  private writing = false;

  get current(): vscode.Uri | undefined {
    return this.csv;
  }

  /** Show this CSV's schema; `reveal` also opens the view. */
  show(csv: vscode.Uri, reveal: boolean): void {
    if (this.csv?.fsPath !== csv.fsPath) {
      this.csv = csv;
      this.reload();
    }
    void vscode.commands.executeCommand('setContext', 'syntheticCsv.hasCsv', true);
    if (reveal) void vscode.commands.executeCommand('syntheticCsv.schema.focus');
  }

  reload(): void {
    this.loaded = undefined;
    this.error = undefined;
    this.cancelLoad?.cancel();
    this.loading = undefined;
    this.changed.fire(undefined);
  }

  /** The schema being shown, loading it if needed. */
  async schema(): Promise<Loaded | undefined> {
    if (!this.csv) return undefined;
    if (!this.loaded && !this.error) await this.load();
    return this.loaded;
  }

  private load(): Promise<void> {
    if (this.loading) return this.loading;
    const csv = this.csv!;
    const cancel = new vscode.CancellationTokenSource();
    this.cancelLoad = cancel;
    this.loading = (async () => {
      const schemaFile = schemaFileFor(csv.fsPath);
      try {
        const csvMtime = (await fs.promises.stat(csv.fsPath)).mtimeMs;
        let loaded: Loaded;
        if (fs.existsSync(schemaFile)) {
          const schema = JSON.parse(await fs.promises.readFile(schemaFile, 'utf8')) as Schema;
          if (!schema || !Array.isArray(schema.columns)) throw new Error(vscode.l10n.t('{0} is not a schema document', path.basename(schemaFile)));
          loaded = { schema, source: 'file', csvMtime };
        } else {
          const schema = await runInferSchema(this.extensionPath, csv.fsPath, () => undefined, cancel.token, workerLog);
          loaded = { schema, source: 'inferred', csvMtime };
          clearDiagnostics(csv);
        }
        if (this.csv?.fsPath !== csv.fsPath || cancel.token.isCancellationRequested) return;
        this.loaded = loaded;
      } catch (error) {
        if (isCancelled(error) || this.csv?.fsPath !== csv.fsPath) return;
        this.error = (error as Error).message;
        reportError(error, [csv, vscode.Uri.file(schemaFile)], vscode.l10n.t('Cannot read {0}', path.basename(csv.fsPath)));
      } finally {
        if (this.cancelLoad === cancel) {
          this.loading = undefined;
          this.changed.fire(undefined);
        }
      }
    })();
    return this.loading;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.type === 'rules') return this.rulesItem();
    if (node.type === 'rule') return this.ruleItem(node.rule, node.index);
    if (node.type !== 'column') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.iconPath = node.icon;
      item.tooltip = node.tooltip;
      if (node.type === 'status') item.command = node.command;
      return item;
    }
    const c = node.column;
    const details = this.details(c);
    const item = new vscode.TreeItem(c.name, details.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `${this.csv?.fsPath}#${c.name}`;
    const parts: string[] = [c.exclude ? vscode.l10n.t('{0}, excluded', c.kind) : c.kind, vscode.l10n.t('{0} missing', pct(c.missingRate ?? 0))];
    if (c.identifier?.direct) parts.push(vscode.l10n.t('direct identifier'));
    else if (c.kind === 'identifier') parts.push(vscode.l10n.t('identifier'));
    else if (c.kind === 'text') parts.push(vscode.l10n.t('free text'));
    if (c.public) parts.push(vscode.l10n.t('public'));
    const unit = this.loaded?.schema.privacyUnit;
    const isUnit = !!unit && unit !== 'row' && unit.column === c.name;
    if (isUnit) parts.push(vscode.l10n.t('privacy unit: protects each person'));
    const entity = this.loaded?.schema.entities?.find((e) => e.key === c.name);
    if (entity) parts.push(entity.parent ? vscode.l10n.t('entity in {0}', entity.parent) : vscode.l10n.t('entity: rows kept together'));
    item.description = parts.join(' · ');
    const warn = c.identifier?.direct || c.kind === 'identifier' || c.kind === 'text';
    item.iconPath = isUnit
      ? new vscode.ThemeIcon('person')
      : c.exclude
        ? new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground'))
        : new vscode.ThemeIcon(KIND_ICONS[c.kind] ?? 'symbol-field', warn ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
    const flags = ['column', c.exclude ? 'excluded' : 'included', isUnit ? 'unit' : 'notunit'];
    if (entity) flags.push('entity');
    else if (c.kind === 'identifier' && c.identifier?.handling === 'regenerate') flags.push('entitycandidate');
    if (NUMERIC.has(c.kind) || CATEGORICAL.has(c.kind)) flags.push('publicable');
    item.contextValue = flags.join(' ');
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${escapeMd(c.name)}**: ${c.kind}`);
    if (c.inferredKind && c.inferredKind !== c.kind) tip.appendMarkdown(` ${vscode.l10n.t('(inferred: {0})', c.inferredKind)}`);
    tip.appendMarkdown(`\n\n${vscode.l10n.t('Missing: {0} ({1} values)', pct(c.missingRate ?? 0), c.missingCount ?? 0)}`);
    if (c.distinctCount !== undefined) tip.appendMarkdown(`\n\n${vscode.l10n.t('Distinct values: {0}{1}', c.distinctExact ? '' : '≥ ', c.distinctCount)}`);
    if (c.min !== undefined && c.max !== undefined) tip.appendMarkdown(`\n\n${vscode.l10n.t('Range: {0} … {1}', String(c.min), String(c.max))}`);
    for (const d of details) tip.appendMarkdown(`\n\n$(${d.icon.id}) ${escapeMd(d.label)}`);
    if (isUnit) tip.appendMarkdown(`\n\n$(person) ${escapeMd(vscode.l10n.t('Privacy unit: the guarantee protects {0}', describePrivacyUnit(unit)))}`);
    if (entity) {
      const constant = entity.constant.length ? vscode.l10n.t('; constant within each: {0}', entity.constant.join(', ')) : '';
      tip.appendMarkdown(`\n\n$(group-by-ref-type) ${escapeMd(vscode.l10n.t('Entity ({0}): rows sharing a value are kept together{1}', entity.source, constant))}`);
      if (entity.why) tip.appendMarkdown(`\n\n${escapeMd(entity.why)}`);
    }
    item.tooltip = tip;
    return item;
  }

  private details(c: ColumnSchema): Extract<Node, { type: 'detail' }>[] {
    const warning = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    const out: Extract<Node, { type: 'detail' }>[] = [];
    if (c.identifier) {
      const handling = c.identifier.handling === 'drop' ? vscode.l10n.t('dropped from the output') : vscode.l10n.t('regenerated in the same format, never learned');
      const label = c.identifier.direct
        ? vscode.l10n.t('Direct identifier ({0}): {1}', c.identifier.type, handling)
        : vscode.l10n.t('Identifier ({0}): {1}', c.identifier.type, handling);
      out.push({ type: 'detail', label, icon: warning, tooltip: c.identifier.reason });
    } else if (c.kind === 'identifier') {
      out.push({ type: 'detail', label: vscode.l10n.t('Identifier: never learned'), icon: warning });
    }
    if (c.kind === 'text') out.push({ type: 'detail', label: vscode.l10n.t('Free text: not learned, left blank in the synthetic file'), icon: warning });
    for (const w of c.warnings ?? []) out.push({ type: 'detail', label: w, icon: warning, tooltip: w });
    if (c.public?.bounds) {
      const label = c.public.bounds.observed ? vscode.l10n.t('Public observed range: {0} … {1}', String(c.public.bounds.min), String(c.public.bounds.max)) : vscode.l10n.t('Public bounds: {0} … {1}', String(c.public.bounds.min), String(c.public.bounds.max));
      out.push({ type: 'detail', label, icon: new vscode.ThemeIcon('globe') });
    }
    if (c.public?.categories) {
      out.push({ type: 'detail', label: vscode.l10n.t('Public categories: {0}', c.public.categories.join(', ')), icon: new vscode.ThemeIcon('globe') });
    }
    return out;
  }

  /** The Rules section's header: how many rules, how many enforced; its actions add or check rules. */
  private rulesItem(): vscode.TreeItem {
    const rules = this.loaded?.schema.rules;
    const count = rules?.length ?? 0;
    const item = new vscode.TreeItem(vscode.l10n.t('Rules'), count ? (count <= 8 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed) : vscode.TreeItemCollapsibleState.None);
    item.id = `${this.csv?.fsPath}#rules`;
    item.iconPath = new vscode.ThemeIcon('law');
    item.contextValue = 'rules';
    item.description =
      rules === undefined
        ? vscode.l10n.t('not looked for yet')
        : count
          ? vscode.l10n.t('{0} · {1} enforced', count, rules.filter((r) => r.enforce).length)
          : vscode.l10n.t('none');
    item.tooltip = new vscode.MarkdownString(
      [
        vscode.l10n.t('Rules every row keeps (dates in order, computed columns, codes that fix another column). Enforced rules are kept in every synthetic row, whatever the generator; the others are only reported.'),
        rules === undefined ? vscode.l10n.t('This schema file lists no rules: without differential privacy, Generate mines them from the training rows. Add one, or reset the schema to have them proposed.') : '',
        vscode.l10n.t('Under differential privacy only declared rules are used: a declared rule is treated as public knowledge.'),
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    return item;
  }

  private ruleItem(rule: Rule, index: number): vscode.TreeItem {
    const schema = this.loaded!.schema;
    const item = new vscode.TreeItem(ruleInWords(rule, schema), vscode.TreeItemCollapsibleState.None);
    item.id = `${this.csv?.fsPath}#rule:${index}:${describeRule(rule)}`;
    const share = keptShareInWords(rule);
    const declared = rule.source === 'declared';
    item.description = [
      declared ? vscode.l10n.t('declared public') : vscode.l10n.t('inferred'),
      share ? vscode.l10n.t('kept by {0}', share) : vscode.l10n.t('not measured'),
      rule.enforce ? vscode.l10n.t('enforced') : vscode.l10n.t('report only'),
    ].join(' · ');
    item.iconPath = rule.enforce
      ? new vscode.ThemeIcon('pass', share && rule.realShare! < 1 ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined)
      : new vscode.ThemeIcon('circle-large-outline', new vscode.ThemeColor('disabledForeground'));
    item.contextValue = ['rule', rule.enforce ? 'enforced' : 'soft', declared ? 'declared' : 'inferred'].join(' ');
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${escapeMd(ruleInWords(rule, schema))}**`);
    tip.appendMarkdown(`\n\n${escapeMd(share ? vscode.l10n.t('The real rows keep it: {0}.', share) : vscode.l10n.t('Not yet checked against the real rows (checked before training).'))}`);
    tip.appendMarkdown(
      `\n\n${escapeMd(rule.enforce ? vscode.l10n.t('Enforced: every synthetic row keeps it, by construction.') : vscode.l10n.t('Report only: the evaluation reports how many synthetic rows keep it; it is not enforced.'))}`,
    );
    tip.appendMarkdown(
      `\n\n$(${declared ? 'globe' : 'shield'}) ${escapeMd(
        declared
          ? vscode.l10n.t('Declared public: treated as public knowledge under differential privacy, so it is used at no privacy cost. Declare only rules anyone could know without seeing these rows.')
          : vscode.l10n.t('Inferred from the real rows: used without differential privacy only. Under differential privacy it is listed on the card but not used, unless you declare it public.'),
      )}`,
    );
    item.tooltip = tip;
    return item;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node?.type === 'column') return this.details(node.column);
    if (node?.type === 'rules') return (this.loaded?.schema.rules ?? []).map((rule, index) => ({ type: 'rule', rule, index }));
    if (node) return [];
    if (!this.csv) {
      this.view.description = undefined;
      this.view.message = undefined;
      return [];
    }
    this.view.description = path.basename(this.csv.fsPath);
    if (this.error) {
      this.view.message = undefined;
      return [
        {
          type: 'status',
          label: vscode.l10n.t('Cannot read this file: see the Problems panel'),
          icon: new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground')),
          tooltip: this.error,
          command: { command: 'workbench.actions.view.problems', title: vscode.l10n.t('Show Problems') },
        },
      ];
    }
    if (!this.loaded) {
      if (!this.view.visible) return [];
      void this.load();
      return [{ type: 'status', label: vscode.l10n.t('Reading {0}…', path.basename(this.csv.fsPath)), icon: new vscode.ThemeIcon('loading~spin') }];
    }
    const { schema, source } = this.loaded;
    this.view.message =
      source === 'file'
        ? vscode.l10n.t('{0} rows · schema from {1} (used by Generate)', schema.rowCount, path.basename(schemaFileFor(this.csv.fsPath)))
        : vscode.l10n.t('{0} rows · inferred; edits are saved to {1}', schema.rowCount, path.basename(schemaFileFor(this.csv.fsPath)));
    this.view.message += ' · ' + vscode.l10n.t('Protects {0}', describePrivacyUnit(schema.privacyUnit));
    return [{ type: 'rules' }, ...schema.columns.map((column): Node => ({ type: 'column', column }))];
  }

  /**
   * Apply an edit to the rules list and save the schema file. `change` returns the new list, or
   * undefined when nothing changed; an error it throws (a contradiction, a broken rule) is shown
   * and nothing is saved.
   */
  async editRules(change: (schema: Schema, file: string) => Promise<Rule[] | undefined> | Rule[] | undefined): Promise<void> {
    const loaded = await this.schema();
    if (!loaded || !this.csv) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a CSV file first.'));
      return;
    }
    let rules: Rule[] | undefined;
    try {
      rules = await change(loaded.schema, path.basename(schemaFileFor(this.csv.fsPath)));
    } catch (error) {
      if (isCancelled(error)) return;
      if (error instanceof InputError) {
        void vscode.window.showErrorMessage(vscode.l10n.t('Rule not saved: {0}', error.detail), { modal: true });
        return;
      }
      reportError(error, [this.csv], vscode.l10n.t('Cannot check the rule'));
      return;
    }
    if (!rules) return;
    if (this.loaded !== loaded) {
      // The file was read again (or another CSV shown) while the user was answering: do not write an old document over it.
      void vscode.window.showWarningMessage(vscode.l10n.t('The schema changed while the rule was being edited; nothing was saved. Try again.'));
      return;
    }
    loaded.schema.rules = rules;
    loaded.source = 'file';
    await this.save(loaded.schema);
    this.changed.fire(undefined);
  }

  /** Apply an edit to a column and save the schema file beside the CSV. */
  async edit(node: Node | undefined, change: (column: ColumnSchema, schema: Schema) => Promise<boolean> | boolean): Promise<void> {
    const loaded = await this.schema();
    if (!loaded || !this.csv) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a CSV file first.'));
      return;
    }
    let column: ColumnSchema | undefined = node?.type === 'column' ? loaded.schema.columns.find((c) => c.name === node.column.name) : undefined;
    if (!column) {
      const picked = await vscode.window.showQuickPick(
        loaded.schema.columns.map((c) => ({ label: c.name, description: c.kind, column: c })),
        { placeHolder: vscode.l10n.t('Column') },
      );
      column = picked?.column;
    }
    if (!column || !(await change(column, loaded.schema))) return;
    // A rule naming a column that is now excluded, or of a kind it cannot use, would make the file invalid.
    const { kept, dropped } = rulesAfterColumnEdit(loaded.schema);
    if (dropped.length) loaded.schema.rules = kept;
    loaded.source = 'file';
    await this.save(loaded.schema);
    this.changed.fire(undefined);
    if (dropped.length) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Removed {0} rule(s) that no longer apply to "{1}": {2}. Reset the schema to have rules proposed again.', dropped.length, column.name, dropped.map((r) => ruleInWords(r, loaded.schema)).join('; ')),
      );
    }
  }

  private async save(schema: Schema): Promise<void> {
    const file = schemaFileFor(this.csv!.fsPath);
    this.writing = true;
    try {
      await writeSchemaFile(file, schema);
      clearDiagnostics(vscode.Uri.file(file));
    } finally {
      setTimeout(() => (this.writing = false), 500);
    }
  }

  /** Forget the edited schema file: the schema is inferred again. */
  async reset(): Promise<void> {
    if (!this.csv) return;
    const file = schemaFileFor(this.csv.fsPath);
    if (fs.existsSync(file)) {
      const del = vscode.l10n.t('Delete');
      const answer = await vscode.window.showWarningMessage(vscode.l10n.t('Delete {0} and infer the schema again? Your edits are lost.', path.basename(file)), { modal: true }, del);
      if (answer !== del) return;
      await fs.promises.rm(file, { force: true });
    }
    this.reload();
  }

  dispose(): void {
    this.cancelLoad?.cancel();
    for (const d of this.disposables) d.dispose();
  }
}

/** Write `<name>.schema.json` atomically: an editor or a run reading it sees the old document or the new one, never half. */
export function writeSchemaFile(file: string, schema: Schema): Promise<void> {
  return writeTextAtomic(file, JSON.stringify(schema, null, 2) + '\n', { overwrite: true });
}

function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// Column edits, each returning whether the column changed.

export async function changeKind(column: ColumnSchema): Promise<boolean> {
  const items = COLUMN_KINDS.map((kind) => ({
    label: `$(${KIND_ICONS[kind]}) ${kind}`,
    value: kind,
    description: kind === column.kind ? vscode.l10n.t('current') : kind === (column.inferredKind ?? column.kind) ? vscode.l10n.t('inferred') : undefined,
  }));
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Kind of column "{0}"', column.name), placeHolder: vscode.l10n.t('How the generator treats this column') });
  const kind = picked?.value;
  if (!kind || kind === column.kind) return false;
  if ((kind === 'date' || kind === 'datetime') && !column.dateFormat) {
    const format = await vscode.window.showQuickPick(DATE_FORMATS, { title: vscode.l10n.t('Date format of "{0}"', column.name) });
    if (!format) return false;
    column.dateFormat = format as DateFormat;
  }
  column.inferredKind ??= column.kind;
  column.kind = kind;
  // Public facts of the old kind may not apply to the new one.
  if (column.public?.bounds && !NUMERIC.has(kind)) delete column.public.bounds;
  if (column.public?.categories && !CATEGORICAL.has(kind)) delete column.public.categories;
  if (column.public && !column.public.bounds && !column.public.categories) delete column.public;
  return true;
}

/** "Protect people identified by this column": the privacy unit becomes the column. */
export async function protectPeople(column: ColumnSchema, schema: Schema): Promise<boolean> {
  const current = schema.privacyUnit !== 'row' && schema.privacyUnit?.column === column.name ? schema.privacyUnit.maxRowsPerUnit : undefined;
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Protect each person identified by "{0}"', column.name),
    prompt: vscode.l10n.t('Each person keeps at most this many of their rows (the rest are dropped at random). Leave empty to have it chosen privately from the data.'),
    value: current !== undefined ? String(current) : '',
    validateInput: (value) => (!value.trim() || (Number.isInteger(Number(value)) && Number(value) >= 1) ? undefined : vscode.l10n.t('A whole number of at least 1, or empty')),
  });
  if (text === undefined) return false;
  const k = text.trim() ? Number(text) : undefined;
  const next = withPrivacyUnit({ ...schema, privacyUnit: undefined }, column.name, k);
  schema.privacyUnit = next.privacyUnit !== 'row' && next.privacyUnit ? { ...next.privacyUnit, reason: vscode.l10n.t('set in the Schema view') } : next.privacyUnit;
  return true;
}

/** "Keep rows with the same value together": the column becomes an entity, at the top or nested in one. */
export async function keepTogether(column: ColumnSchema, schema: Schema): Promise<boolean> {
  const others = (schema.entities ?? []).filter((e) => e.key !== column.name);
  let parent: string | undefined;
  if (others.length) {
    const top = vscode.l10n.t('Not nested (a top entity, such as a patient)');
    const picked = await vscode.window.showQuickPick([top, ...others.map((e) => e.key)], {
      title: vscode.l10n.t('Keep rows sharing a "{0}" together', column.name),
      placeHolder: vscode.l10n.t('Is every {0} within one value of another entity?', column.name),
    });
    if (picked === undefined) return false;
    parent = picked === top ? undefined : picked;
  }
  const next = withEntity(schema, column.name, parent);
  schema.entities = next.entities;
  return true;
}

/** Treat rows sharing this column's value independently again. */
export function removeEntity(column: ColumnSchema, schema: Schema): boolean {
  if (!schema.entities?.some((e) => e.key === column.name)) return false;
  schema.entities = withoutEntity(schema, column.name).entities;
  return true;
}

/** Back to row-level privacy. */
export function protectRows(_column: ColumnSchema, schema: Schema): boolean {
  if (schema.privacyUnit === 'row') return false;
  schema.privacyUnit = 'row';
  return true;
}

export function setExcluded(column: ColumnSchema, exclude: boolean): boolean {
  if (!!column.exclude === exclude) return false;
  if (exclude) column.exclude = true;
  else delete column.exclude;
  return true;
}

export async function declarePublic(column: ColumnSchema): Promise<boolean> {
  const remove = column.public ? vscode.l10n.t('Remove the public declaration') : undefined;
  if (NUMERIC.has(column.kind)) {
    const current = column.public?.bounds ?? (column.min !== undefined && column.max !== undefined ? { min: column.min, max: column.max } : undefined);
    const value = await vscode.window.showInputBox({
      title: vscode.l10n.t('Public bounds of "{0}"', column.name),
      prompt: vscode.l10n.t('Smallest and largest possible values, known without looking at the data (e.g. 0, 120). They cost no privacy budget. Leave empty to remove.'),
      value: current ? `${current.min}, ${current.max}` : '',
      validateInput: (text) => {
        if (!text.trim()) return undefined;
        const parts = text.split(',').map((s) => s.trim());
        if (parts.length !== 2 || !parts[0] || !parts[1]) return vscode.l10n.t('Two values: min, max');
        if (column.kind === 'continuous' || column.kind === 'integer') {
          const [a, b] = parts.map(Number);
          if (!Number.isFinite(a) || !Number.isFinite(b)) return vscode.l10n.t('Both must be numbers');
          if (a > b) return vscode.l10n.t('min must not exceed max');
        }
        return undefined;
      },
    });
    if (value === undefined) return false;
    if (!value.trim()) {
      if (!column.public?.bounds) return false;
      delete column.public.bounds;
      if (!column.public.categories) delete column.public;
      return true;
    }
    const [min, max] = value.split(',').map((s) => s.trim());
    const numeric = column.kind === 'continuous' || column.kind === 'integer';
    const possible = { label: vscode.l10n.t('Possible range'), description: vscode.l10n.t('values lie within it and may stop short of it (e.g. 0 to 120 years)'), observed: false };
    const observed = {
      label: vscode.l10n.t('Observed range'),
      description: vscode.l10n.t('the data\'s own smallest and largest values, already published (e.g. in a data dictionary): the synthetic column reaches both'),
      observed: true,
    };
    const kind = await vscode.window.showQuickPick(column.public?.bounds?.observed ? [observed, possible] : [possible, observed], { title: vscode.l10n.t('What are {0} … {1} for "{2}"?', min, max, column.name) });
    if (!kind) return false;
    column.public = { ...column.public, bounds: { min: numeric ? Number(min) : min, max: numeric ? Number(max) : max, ...(kind.observed ? { observed: true } : {}) } };
    return true;
  }
  if (CATEGORICAL.has(column.kind)) {
    const current = column.public?.categories ?? column.categories?.map((c) => c.value) ?? [];
    const value = await vscode.window.showInputBox({
      title: vscode.l10n.t('Public categories of "{0}"', column.name),
      prompt: vscode.l10n.t('Every possible value, comma-separated, known without looking at the data. They cost no privacy budget. Leave empty to remove.'),
      value: current.join(', '),
    });
    if (value === undefined) return false;
    const categories = value.split(',').map((s) => s.trim()).filter(Boolean);
    if (!categories.length) {
      if (!column.public?.categories) return false;
      delete column.public.categories;
      if (!column.public.bounds) delete column.public;
      return true;
    }
    column.public = { ...column.public, categories: [...new Set(categories)] };
    return true;
  }
  if (remove) {
    delete column.public;
    return true;
  }
  void vscode.window.showInformationMessage(vscode.l10n.t('Public bounds apply to numeric and date columns, public categories to categorical ones.'));
  return false;
}
