/**
 * The Schema view's rule actions: switch enforcement, declare a rule public, remove one, add one
 * through a short form (kind, then columns that fit), and check the rules against the real rows
 * in the worker. The list edits themselves are core/rules/edit.ts; this file only asks and shows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { addRule, changeRule, columnsFor, findRule, knownValues, removeRule, RULE_ROLES, ruleFromPicks, type RuleRole } from '../core/rules/edit';
import { keptShareInWords, ruleInWords } from '../core/rules/words';
import type { RuleCheckResult } from '../core/rules/verify';
import type { Rule, RuleKind, Schema } from '../core/schema/types';
import { workerLog } from './log';
import type { Node, SchemaView } from './schemaView';
import { runCheckRules } from './workerClient';

/**
 * Files larger than this are not read when a rule is added (the user would wait on it): the rule
 * is checked before training instead, as every declared rule is.
 */
const CHECK_MAX_BYTES = 256 * 1024 * 1024;

/** The rule a command acts on: the clicked node, or one picked from the list (Command Palette). */
async function ruleOf(schema: Schema, node: Node | undefined, placeHolder: string): Promise<number> {
  if (node?.type === 'rule') return findRule(schema.rules, node.rule);
  const rules = schema.rules ?? [];
  if (!rules.length) {
    void vscode.window.showInformationMessage(vscode.l10n.t('This schema has no rules yet.'));
    return -1;
  }
  const picked = await vscode.window.showQuickPick(
    rules.map((rule, index) => ({ label: ruleInWords(rule, schema), description: statusOf(rule), index })),
    { placeHolder },
  );
  return picked?.index ?? -1;
}

function statusOf(rule: Rule): string {
  return [rule.source === 'declared' ? vscode.l10n.t('declared public') : vscode.l10n.t('inferred'), rule.enforce ? vscode.l10n.t('enforced') : vscode.l10n.t('report only')].join(' · ');
}

/** Said before a rule becomes declared and enforced while the real rows break it. */
function brokenWarning(rule: Rule): string | undefined {
  if (rule.realShare === undefined || rule.realShare >= 1) return undefined;
  return vscode.l10n.t(
    'The real rows do not all keep it (kept by {0}). A declared, enforced rule that the data breaks stops the run before training: fix the data, or keep the rule as report only.',
    keptShareInWords(rule)!,
  );
}

export function setRuleEnforced(view: SchemaView, node: Node | undefined, enforce: boolean): Promise<void> {
  return view.editRules(async (schema, file) => {
    const i = await ruleOf(schema, node, enforce ? vscode.l10n.t('Rule to enforce') : vscode.l10n.t('Rule to keep as report only'));
    const rule = schema.rules?.[i];
    if (!rule || rule.enforce === enforce) return undefined;
    const warning = enforce && rule.source === 'declared' ? brokenWarning(rule) : undefined;
    if (warning) {
      const go = vscode.l10n.t('Enforce');
      if ((await vscode.window.showWarningMessage(ruleInWords(rule, schema), { modal: true, detail: warning }, go)) !== go) return undefined;
    }
    return changeRule(schema, i, { enforce }, file);
  });
}

export function setRuleDeclared(view: SchemaView, node: Node | undefined, declared: boolean): Promise<void> {
  return view.editRules(async (schema, file) => {
    const i = await ruleOf(schema, node, declared ? vscode.l10n.t('Rule to declare public') : vscode.l10n.t('Rule to withdraw the public declaration of'));
    const rule = schema.rules?.[i];
    if (!rule || (rule.source === 'declared') === declared) return undefined;
    if (declared) {
      const go = vscode.l10n.t('Declare Public');
      const detail = [
        vscode.l10n.t(
          'Under differential privacy a declared rule is treated as public knowledge: it is used at no privacy cost and is not covered by the privacy budget. Declare only what anyone could know without seeing these rows (a discharge never comes before its admission), not a pattern found in the data.',
        ),
        rule.enforce ? brokenWarning(rule) : undefined,
      ]
        .filter(Boolean)
        .join('\n\n');
      const answer = await vscode.window.showWarningMessage(vscode.l10n.t('Declare "{0}" public?', ruleInWords(rule, schema)), { modal: true, detail }, go);
      if (answer !== go) return undefined;
    }
    return changeRule(schema, i, { source: declared ? 'declared' : 'inferred' }, file);
  });
}

export async function removeRuleCommand(view: SchemaView, node: Node | undefined): Promise<void> {
  let removed: { rule: Rule; index: number } | undefined;
  await view.editRules(async (schema) => {
    const i = await ruleOf(schema, node, vscode.l10n.t('Rule to remove'));
    if (i < 0) return undefined;
    removed = { rule: schema.rules![i], index: i };
    return removeRule(schema, i);
  });
  if (!removed) return;
  const { rule, index } = removed;
  const undo = vscode.l10n.t('Undo');
  const loaded = await view.schema();
  const words = loaded ? ruleInWords(rule, loaded.schema) : '';
  if ((await vscode.window.showInformationMessage(vscode.l10n.t('Removed the rule "{0}".', words), undo)) !== undo) return;
  await view.editRules((schema) => {
    const rules = (schema.rules ?? []).slice();
    if (findRule(rules, rule) >= 0) return undefined;
    rules.splice(Math.min(index, rules.length), 0, rule);
    return rules;
  });
}

const kindChoices = (): { ruleKind: RuleKind; label: string; detail: string }[] => [
  { ruleKind: 'order', label: vscode.l10n.t('Order'), detail: vscode.l10n.t('A date or number is never before or below another: discharge_date is on or after admission_date') },
  { ruleKind: 'difference', label: vscode.l10n.t('Difference'), detail: vscode.l10n.t('A column is the difference of two others: length_of_stay = discharge_date − admission_date (days)') },
  { ruleKind: 'sum', label: vscode.l10n.t('Sum'), detail: vscode.l10n.t('A column is the sum of two others: total = subtotal + tax') },
  { ruleKind: 'determines', label: vscode.l10n.t('Determines'), detail: vscode.l10n.t('Each value of one column goes with one value of another: education determines education_num') },
  { ruleKind: 'missingWhen', label: vscode.l10n.t('Present only when'), detail: vscode.l10n.t('A column has a value only when another has certain values: death_date present only when died = Yes') },
];

function rolePrompt(kind: RuleKind, role: RuleRole, picks: Partial<Record<RuleRole, string>>): string {
  switch (role) {
    case 'low':
      return vscode.l10n.t('The earlier or smaller column');
    case 'high':
      return vscode.l10n.t('The column that is on or after, or at least, {0}', picks.low ?? '');
    case 'column':
      return kind === 'missingWhen' ? vscode.l10n.t('The column that is sometimes missing') : vscode.l10n.t('The computed column');
    case 'of0':
      return kind === 'sum' ? vscode.l10n.t('{0} = this + …', picks.column ?? '') : vscode.l10n.t('{0} = this − …', picks.column ?? '');
    case 'of1':
      return kind === 'sum' ? vscode.l10n.t('{0} = {1} + this', picks.column ?? '', picks.of0 ?? '') : vscode.l10n.t('{0} = {1} − this', picks.column ?? '', picks.of0 ?? '');
    case 'from':
      return vscode.l10n.t('The column whose value fixes the other');
    case 'to':
      return vscode.l10n.t('The column that {0} determines', picks.from ?? '');
    case 'parent':
      return vscode.l10n.t('The column whose value decides whether {0} is present', picks.column ?? '');
  }
}

/** Why no column fits a role, for the message shown instead of an empty list. */
function noColumnFits(kind: RuleKind): string {
  return kind === 'determines' || kind === 'missingWhen'
    ? vscode.l10n.t('No learned column of categories or numbers fits here.')
    : vscode.l10n.t('No further learned number or date column fits here (an order compares two dates, two date-times or two numbers).');
}

/** The add-rule form: kind, then each column from those that fit, then the kind's own choice. Undefined when the user stops. */
async function ruleForm(schema: Schema): Promise<Rule | undefined> {
  const title = vscode.l10n.t('Add Rule');
  const choices = kindChoices();
  const kind = (await vscode.window.showQuickPick(choices, { title, placeHolder: vscode.l10n.t('Kind of rule'), matchOnDetail: true }))?.ruleKind;
  if (!kind) return undefined;
  const picks: Partial<Record<RuleRole, string>> = {};
  for (const role of RULE_ROLES[kind]) {
    const columns = columnsFor(schema, kind, role, picks);
    if (!columns.length) {
      void vscode.window.showWarningMessage(noColumnFits(kind));
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      columns.map((c) => ({ label: c.name, description: c.kind })),
      { title: `${title}: ${choices.find((k) => k.ruleKind === kind)!.label}`, placeHolder: rolePrompt(kind, role, picks) },
    );
    if (!picked) return undefined;
    picks[role] = picked.label;
  }
  if (kind === 'order') {
    const strict = await vscode.window.showQuickPick(
      [
        { label: `${picks.high} ≥ ${picks.low}`, description: vscode.l10n.t('may be equal'), strict: false },
        { label: `${picks.high} > ${picks.low}`, description: vscode.l10n.t('never equal'), strict: true },
      ],
      { title, placeHolder: vscode.l10n.t('May they be equal?') },
    );
    if (!strict) return undefined;
    return ruleFromPicks(kind, picks, { strict: strict.strict });
  }
  if (kind === 'missingWhen') {
    const parent = schema.columns.find((c) => c.name === picks.parent)!;
    const known = knownValues(parent);
    let values: string[] | undefined;
    const anyValue = vscode.l10n.t('Any value: {0} is missing wherever {1} is', picks.column!, picks.parent!);
    if (known.length) {
      const picked = await vscode.window.showQuickPick(
        [{ label: anyValue, any: true }, ...known.map((value) => ({ label: value, any: false }))],
        { title, canPickMany: true, placeHolder: vscode.l10n.t('Values of {0} for which {1} is present', picks.parent!, picks.column!) },
      );
      if (picked?.some((item) => item.any)) return ruleFromPicks(kind, picks);
      values = picked?.map((item) => item.label);
    } else {
      const text = await vscode.window.showInputBox({
        title,
        prompt: vscode.l10n.t('Values of {0} for which {1} is present, comma-separated; empty: any value', picks.parent!, picks.column!),
      });
      if (text === undefined) return undefined;
      values = text
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      if (!values.length) return ruleFromPicks(kind, picks);
    }
    if (!values?.length) return undefined;
    return ruleFromPicks(kind, picks, { values });
  }
  return ruleFromPicks(kind, picks);
}

/** Count the rows of the CSV breaking `rules`, in the worker, with a cancellable notification. */
function checkOnData(extensionPath: string, csv: vscode.Uri, schema: Schema, rules: Rule[]): Thenable<RuleCheckResult[]> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Checking rules against {0}', path.basename(csv.fsPath)), cancellable: true },
    (_progress, token) => runCheckRules(extensionPath, csv.fsPath, schema, rules, token, workerLog),
  );
}

async function smallEnoughToCheck(csv: vscode.Uri): Promise<boolean> {
  return (await fs.promises.stat(csv.fsPath)).size <= CHECK_MAX_BYTES;
}

/**
 * Add a rule: the form, the same sense checks as the schema file (a contradiction is refused
 * naming the rules), then the real rows: a rule they break is added only as the user chooses.
 * A rule the user writes is declared (public knowledge).
 */
export async function addRuleCommand(view: SchemaView, extensionPath: string): Promise<void> {
  await view.editRules(async (schema, file) => {
    const csv = view.current;
    if (!csv) return undefined;
    const rule = await ruleForm(schema);
    if (!rule) return undefined;
    const rules = addRule(schema, rule, file);
    const words = ruleInWords(rule, schema);
    if (!(await smallEnoughToCheck(csv))) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Added "{0}". {1} is too large to read now: the rule is checked before training.', words, path.basename(csv.fsPath)));
      return rules;
    }
    const [result] = await checkOnData(extensionPath, csv, schema, [rule]);
    rule.realShare = result.share;
    if (result.broken === 0) return rules;
    const soft = vscode.l10n.t('Add as Report Only');
    const enforced = vscode.l10n.t('Add Enforced');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('{0} of {1} rows break "{2}", the first on line {3}.', result.broken.toLocaleString(), result.rows.toLocaleString(), words, result.firstLine ?? '?'),
      {
        modal: true,
        detail: vscode.l10n.t('Enforced, this declared rule stops the run before training until the data is fixed. As report only, the evaluation reports how many synthetic rows keep it.'),
      },
      soft,
      enforced,
    );
    if (!answer) return undefined;
    if (answer === soft) rule.enforce = false;
    return rules;
  });
}

/** Check every rule against the real rows and record the share that keeps each. */
export async function checkRulesCommand(view: SchemaView, extensionPath: string): Promise<void> {
  let summary: string | undefined;
  await view.editRules(async (schema) => {
    const csv = view.current;
    const rules = schema.rules ?? [];
    if (!csv || !rules.length) {
      void vscode.window.showInformationMessage(vscode.l10n.t('This schema has no rules yet.'));
      return undefined;
    }
    if (!(await smallEnoughToCheck(csv))) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} is too large to read now: the rules are checked before training.', path.basename(csv.fsPath)));
      return undefined;
    }
    const results = await checkOnData(extensionPath, csv, schema, rules);
    const broken = results.flatMap((r, i) => (r.broken ? [vscode.l10n.t('"{0}": {1} rows, the first on line {2}', ruleInWords(rules[i], schema), r.broken.toLocaleString(), r.firstLine ?? '?')] : []));
    summary = broken.length ? vscode.l10n.t('Rules the data breaks: {0}.', broken.join('; ')) : vscode.l10n.t('Every row keeps all {0} rules.', rules.length);
    return rules.map((rule, i) => ({ ...rule, realShare: results[i].share }));
  });
  if (summary) void vscode.window.showInformationMessage(summary);
}
