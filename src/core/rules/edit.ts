/**
 * Edits to a schema's `rules` list, as the Schema view makes them: switch a rule's enforcement,
 * declare it public, remove it, add one. Each returns the new list, checked with the same rules
 * the schema file is checked with (checkRules), so a contradiction is refused before it is saved.
 */
import { InputError } from '../csv/errors';
import type { ColumnSchema, Rule, RuleKind, Schema } from '../schema/types';
import { isModelled, isNumericColumn } from '../table';
import { checkRules, describeRule, isKeyColumn, unitClass } from './check';

/** The part of a rule a picker fills in, in the order the form asks for them. */
export type RuleRole = 'low' | 'high' | 'column' | 'of0' | 'of1' | 'from' | 'to' | 'parent';

/** The columns the form offers for each role of a rule kind. */
export const RULE_ROLES: Record<RuleKind, RuleRole[]> = {
  order: ['low', 'high'],
  difference: ['column', 'of0', 'of1'],
  sum: ['column', 'of0', 'of1'],
  determines: ['from', 'to'],
  missingWhen: ['column', 'parent'],
};

/**
 * Columns that fit `role` in a rule of `kind`, given the columns already picked: numbers and
 * dates for orders and formulas (an order compares like with like), categories or numbers for
 * `determines` and a missingness parent, any learned column for the column whose missingness
 * follows. A column already picked is not offered again.
 */
export function columnsFor(schema: Schema, kind: RuleKind, role: RuleRole, picked: Partial<Record<RuleRole, string>> = {}): ColumnSchema[] {
  const taken = new Set(Object.values(picked));
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  return schema.columns.filter((c) => {
    if (!isModelled(c) || taken.has(c.name)) return false;
    switch (kind) {
      case 'order': {
        if (!isNumericColumn(c)) return false;
        const low = picked.low ? byName.get(picked.low) : undefined;
        return role !== 'high' || !low || unitClass(low) === unitClass(c);
      }
      case 'difference':
      case 'sum':
        return isNumericColumn(c);
      case 'determines':
        return isKeyColumn(c);
      case 'missingWhen':
        return role === 'column' || isKeyColumn(c);
    }
  });
}

/** The rule the form's picks describe; `values` are the parent's values for `missingWhen` (none: any value). */
export function ruleFromPicks(kind: RuleKind, picks: Partial<Record<RuleRole, string>>, options: { strict?: boolean; values?: string[] } = {}): Rule {
  const need = (role: RuleRole): string => {
    const name = picks[role];
    if (!name) throw new Error(`a ${kind} rule needs its ${role}`);
    return name;
  };
  const common = { source: 'declared' as const, enforce: true };
  switch (kind) {
    case 'order':
      return { kind, low: need('low'), high: need('high'), ...(options.strict ? { strict: true } : {}), ...common };
    case 'difference':
    case 'sum':
      return { kind, column: need('column'), of: [need('of0'), need('of1')], ...common };
    case 'determines':
      return { kind, from: need('from'), to: need('to'), ...common };
    case 'missingWhen':
      // No values: present only when the parent has a value, whichever.
      return { kind, column: need('column'), parent: need('parent'), ...(options.values?.length ? { presentOnlyWhen: options.values } : {}), ...common };
  }
}

/** The values a parent column is known to hold (its categories), for the missingWhen form. */
export function knownValues(column: ColumnSchema): string[] {
  return column.categories?.map((c) => c.value) ?? [];
}

/** The list with `rule` added, or an InputError naming the rules it contradicts or repeats. */
export function addRule(schema: Schema, rule: Rule, file?: string): Rule[] {
  const rules = schema.rules ?? [];
  const same = rules.findIndex((r) => sameRule(r, rule));
  if (same >= 0) throw new InputError(`rule ${same + 1} (${describeRule(rules[same])}) already says this`, { file: file ?? 'schema.json' });
  return checked(schema, [...rules, rule], file);
}

/** The list with rule `index` changed by `patch` (enforce, source), checked again: enforcing a rule may contradict another. */
export function changeRule(schema: Schema, index: number, patch: Partial<Pick<Rule, 'enforce' | 'source'>>, file?: string): Rule[] {
  const rules = (schema.rules ?? []).slice();
  if (!rules[index]) throw new Error(`there is no rule ${index + 1}`);
  rules[index] = { ...rules[index], ...patch } as Rule;
  return checked(schema, rules, file);
}

export function removeRule(schema: Schema, index: number): Rule[] {
  const rules = schema.rules ?? [];
  if (!rules[index]) throw new Error(`there is no rule ${index + 1}`);
  return rules.filter((_, i) => i !== index);
}

/**
 * After a column edit (excluded, or given a kind a rule cannot use), the rules that still make
 * sense and those that no longer do, each checked on its own as the schema file would check it.
 */
export function rulesAfterColumnEdit(schema: Schema): { kept: Rule[]; dropped: Rule[] } {
  const kept: Rule[] = [];
  const dropped: Rule[] = [];
  for (const rule of schema.rules ?? []) {
    try {
      checkRules({ ...schema, rules: [rule] });
      kept.push(rule);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      dropped.push(rule);
    }
  }
  return { kept, dropped };
}

/** Where `rule` sits in `rules` (matched by what it says, since a list read again holds new objects), or -1. */
export function findRule(rules: Rule[] | undefined, rule: Rule): number {
  return (rules ?? []).findIndex((r) => sameRule(r, rule));
}

function sameRule(a: Rule, b: Rule): boolean {
  return describeRule(a) === describeRule(b);
}

function checked(schema: Schema, rules: Rule[], file?: string): Rule[] {
  checkRules({ ...schema, rules }, file);
  return rules;
}
