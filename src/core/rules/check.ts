/**
 * Logical rules (schema `rules`): what each means row by row, checked on a table, and checked for
 * sense before any work (every column known and of a fitting kind, no column derived from itself,
 * no cycle of strict orders).
 */
import { InputError } from '../csv/errors';
import type { ColumnSchema, MissingWhenRule, Rule, Schema } from '../schema/types';
import { isModelled, isNumericColumn, type ColumnData, type Table } from '../table';

/** A rule in words, as the summary, the report and error messages show it. */
export function describeRule(rule: Rule): string {
  switch (rule.kind) {
    case 'determines':
      return `${rule.from} determines ${rule.to}${rule.when ? ` (when ${rule.from} is ${listValues(rule.when)})` : ''}`;
    case 'order':
      return `${rule.low} ${rule.strict ? '<' : '≤'} ${rule.high}`;
    case 'difference':
      return `${rule.column} = ${rule.of[0]} − ${rule.of[1]}`;
    case 'sum':
      return `${rule.column} = ${rule.of[0]} + ${rule.of[1]}`;
    case 'missingWhen':
      return `${rule.column} present only when ${rule.parent} is ${rule.presentOnlyWhen ? listValues(rule.presentOnlyWhen) : 'present'}`;
  }
}

function listValues(values: string[]): string {
  const shown = values.slice(0, 4).map((v) => JSON.stringify(v)).join(', ');
  return values.length === 1 ? shown : `one of ${shown}${values.length > 4 ? `, ... (${values.length})` : ''}`;
}

/** Columns a rule reads. */
export function ruleColumns(rule: Rule): string[] {
  switch (rule.kind) {
    case 'determines':
      return [rule.from, rule.to];
    case 'order':
      return [rule.low, rule.high];
    case 'difference':
    case 'sum':
      return [rule.column, ...rule.of];
    case 'missingWhen':
      return [rule.column, rule.parent];
  }
}

/** Date columns count in days, date-times in seconds, numbers in themselves: only like with like. */
export function unitClass(column: ColumnSchema): 'date' | 'datetime' | 'number' {
  return column.kind === 'date' ? 'date' : column.kind === 'datetime' ? 'datetime' : 'number';
}

/** A column a `determines` or `missingWhen` rule can key on: categories or whole numbers, not dates. */
export function isKeyColumn(column: ColumnSchema): boolean {
  return column.kind === 'categorical' || column.kind === 'boolean' || column.kind === 'integer' || column.kind === 'continuous';
}

/**
 * Check the rules of a schema against its columns, and against each other. Throws an InputError
 * naming the rule; `file` names the schema file in the message.
 */
export function checkRules(schema: Schema, file = 'schema.json'): void {
  const rules = schema.rules ?? [];
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  rules.forEach((rule, i) => {
    const fail = (detail: string): never => {
      throw new InputError(`rule ${i + 1} (${describeRule(rule)}): ${detail}`, { file });
    };
    const names = ruleColumns(rule);
    if (new Set(names).size !== names.length) fail('a column cannot be derived from or compared with itself');
    const columns = names.map((name) => {
      const column = byName.get(name);
      if (!column) fail(`there is no column "${name}"`);
      if (!isModelled(column!)) fail(`column "${name}" is ${column!.exclude ? 'excluded' : `a ${column!.kind} column`}, which is not learned`);
      return column!;
    });
    switch (rule.kind) {
      case 'order':
        if (!columns.every(isNumericColumn)) fail('an order compares numbers or dates');
        if (unitClass(columns[0]) !== unitClass(columns[1])) fail('an order compares two dates, two date-times or two numbers');
        break;
      case 'difference':
      case 'sum':
        if (!columns.every(isNumericColumn)) fail(`a ${rule.kind} is computed from numbers or dates`);
        break;
      case 'determines':
        if (!isKeyColumn(columns[0]) || !isKeyColumn(columns[1])) fail('determines links categories or numbers, not dates');
        break;
      case 'missingWhen':
        if (!isKeyColumn(columns[1])) fail(`the parent "${rule.parent}" must hold categories or numbers`);
        break;
    }
  });
  const derivedBy = new Map<string, number>();
  rules.forEach((rule, i) => {
    if (!rule.enforce || (rule.kind !== 'difference' && rule.kind !== 'sum')) return;
    const earlier = derivedBy.get(rule.column);
    if (earlier !== undefined) {
      throw new InputError(`rules ${earlier + 1} (${describeRule(rules[earlier])}) and ${i + 1} (${describeRule(rule)}) both compute "${rule.column}"; keep one enforced`, { file });
    }
    derivedBy.set(rule.column, i);
  });
  const derivationCycle = findCycle(
    [...derivedBy].flatMap(([column, i]) => (rules[i] as { of: string[] }).of.map((operand) => ({ from: operand, to: column, rule: i }))),
  );
  if (derivationCycle) {
    throw new InputError(`computed columns derived from each other in a circle: ${derivationCycle.map((i) => describeRule(rules[i])).join('; ')}`, { file });
  }
  // a ≤ b ≤ a only says a = b; a circle with one strict step cannot hold in any row.
  const orders = rules.flatMap((rule, i) => (rule.kind === 'order' ? [{ from: rule.low, to: rule.high, rule: i }] : []));
  const cycle = findCycle(orders, (i) => (rules[i] as { strict?: boolean }).strict === true);
  if (cycle) throw new InputError(`contradicting orders (no row can keep them all): ${cycle.map((i) => describeRule(rules[i])).join(', ')}`, { file });
}

/**
 * A circle in a directed graph, as the rule numbers along it; with `mustInclude`, only a circle
 * through an edge it accepts.
 */
function findCycle(edges: { from: string; to: string; rule: number }[], mustInclude?: (rule: number) => boolean): number[] | undefined {
  const out = new Map<string, { to: string; rule: number }[]>();
  for (const e of edges) {
    if (!out.has(e.from)) out.set(e.from, []);
    out.get(e.from)!.push(e);
  }
  // For each accepted edge u → v, a path back from v to u closes a circle through it.
  for (const edge of edges) {
    if (mustInclude && !mustInclude(edge.rule)) continue;
    const previous = new Map<string, { node: string; rule: number }>();
    const queue = [edge.to];
    const seen = new Set([edge.to]);
    while (queue.length) {
      const node = queue.shift()!;
      if (node === edge.from) {
        const back: number[] = [];
        for (let at = node; at !== edge.to; ) {
          const step = previous.get(at)!;
          back.push(step.rule);
          at = step.node;
        }
        return [edge.rule, ...back.reverse()];
      }
      for (const next of out.get(node) ?? []) {
        if (seen.has(next.to)) continue;
        seen.add(next.to);
        previous.set(next.to, { node, rule: next.rule });
        queue.push(next.to);
      }
    }
  }
  return undefined;
}

/** The parent's values a missingWhen rule lets the column be present with; undefined: any present value. */
export function allowedParentValues(rule: MissingWhenRule, parent: ColumnSchema): Set<string> | undefined {
  return rule.presentOnlyWhen && new Set(rule.presentOnlyWhen.map((v) => normaliseValue(parent, v)));
}

/** Text of a row's value in a table column (null: missing): what `determines` and `missingWhen` compare. */
export function valueText(data: ColumnData, row: number): string | null {
  if (data.type === 'categorical') return data.codes[row] < 0 ? null : data.levels[data.codes[row]];
  if (data.type === 'numeric') return Number.isNaN(data.values[row]) ? null : String(data.values[row]);
  return null;
}

/** A declared value as the table holds it: numbers compare as numbers (`13.0` is `13`). */
export function normaliseValue(column: ColumnSchema, value: string): string {
  if (isNumericColumn(column)) {
    const x = Number(value);
    return Number.isFinite(x) ? String(x) : value;
  }
  return value;
}

/**
 * The categories a DECLARED rule names (a determines rule's `when` values and combinations, a
 * missingWhen rule's parent values), by categorical or boolean column: the user stated them as public
 * knowledge (a coding scheme), so a DP release counts them without its threshold. Inferred rules,
 * whether confirmed privately or read off the model, name nothing public: their values came from
 * the rows. Numbers a rule names in a numeric column are not collected (see README, privacy).
 */
export function declaredRuleCategories(schema: Schema): Map<string, { values: string[]; rules: string[] }> {
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  const named = new Map<string, { values: string[]; rules: string[] }>();
  const add = (columnName: string, values: readonly string[], rule: Rule): void => {
    const column = byName.get(columnName);
    // Category-released columns only (categorical, boolean): a number's values are not categories.
    if (!column || !isModelled(column) || isNumericColumn(column) || values.length === 0) return;
    const entry = named.get(columnName) ?? { values: [], rules: [] };
    for (const value of values) if (!entry.values.includes(value)) entry.values.push(value);
    const words = describeRule(rule);
    if (!entry.rules.includes(words)) entry.rules.push(words);
    named.set(columnName, entry);
  };
  for (const rule of schema.rules ?? []) {
    if (rule.source !== 'declared') continue;
    if (rule.kind === 'determines') {
      add(rule.from, [...(rule.when ?? []), ...(rule.combinations ?? []).map(([from]) => from)], rule);
      add(rule.to, (rule.combinations ?? []).map(([, to]) => to), rule);
    } else if (rule.kind === 'missingWhen') {
      add(rule.parent, rule.presentOnlyWhen ?? [], rule);
    }
  }
  return named;
}

/** How close a computed column must come to its formula: half its last written decimal place. */
export function arithmeticTolerance(column: ColumnSchema): number {
  return 0.5 * Math.pow(10, -(column.number?.decimals ?? 0)) + 1e-9;
}

export interface RuleCount {
  /** Rows that break the rule. */
  broken: number;
  /** 0-based table row of the first that breaks it. */
  firstBroken: number | null;
  /** Share of all rows that keep it. */
  share: number;
}

/**
 * Row by row test of one rule on a table aligned with `schema` (true: kept). A rule over missing
 * values holds: an order or a formula only binds rows where its inputs are present. `mapping`
 * gives a determines rule's pairs when it has no `combinations` (value of `from` → value of `to`);
 * without either, a value of `from` must go with one value of `to` across the table. With `other`,
 * an order or a determines rule takes its later value (`high`, `to`) from that row instead: two
 * unrelated rows, as the privately released chance counts pair them.
 */
export function ruleTest(schema: Schema, rule: Rule, table: Table, mapping?: Map<string, string | null>): (row: number, other?: number) => boolean {
  const index = new Map(schema.columns.map((c, i) => [c.name, i]));
  const data = (name: string): ColumnData => table.columns[index.get(name)!];
  const column = (name: string): ColumnSchema => schema.columns[index.get(name)!];
  switch (rule.kind) {
    case 'order': {
      const low = numbers(data(rule.low));
      const high = numbers(data(rule.high));
      return rule.strict ? (r, s = r) => !(low[r] >= high[s]) : (r, s = r) => !(low[r] > high[s]);
    }
    case 'difference':
    case 'sum': {
      const c = numbers(data(rule.column));
      const a = numbers(data(rule.of[0]));
      const b = numbers(data(rule.of[1]));
      const sign = rule.kind === 'sum' ? 1 : -1;
      const tolerance = arithmeticTolerance(column(rule.column));
      return (r) => {
        if (Number.isNaN(a[r]) || Number.isNaN(b[r])) return true;
        return Math.abs(c[r] - (a[r] + sign * b[r])) <= tolerance * Math.max(1, Math.abs(c[r]) * 1e-12);
      };
    }
    case 'missingWhen': {
      const target = data(rule.column);
      const parent = data(rule.parent);
      const allowed = allowedParentValues(rule, column(rule.parent));
      return (r) => {
        if (valueText(target, r) === null) return true;
        const value = valueText(parent, r);
        return value !== null && (!allowed || allowed.has(value));
      };
    }
    case 'determines': {
      const from = data(rule.from);
      const to = data(rule.to);
      const when = rule.when ? new Set(rule.when.map((v) => normaliseValue(column(rule.from), v))) : undefined;
      const pairs =
        mapping ??
        (rule.combinations
          ? new Map(rule.combinations.map(([f, t]) => [normaliseValue(column(rule.from), f), normaliseValue(column(rule.to), t)]))
          : majorityMapping(from, to, table.rowCount));
      return (r, s = r) => {
        const key = valueText(from, r);
        if (key === null || (when && !when.has(key))) return true;
        if (!pairs.has(key)) return true;
        return valueText(to, s) === pairs.get(key);
      };
    }
  }
}

function numbers(data: ColumnData): Float64Array {
  if (data.type !== 'numeric') throw new Error('rule: expected a numeric column');
  return data.values;
}

/** For each value of `from`, the most frequent value of `to` (missing included): the pairs a determines rule keeps. */
export function majorityMapping(from: ColumnData, to: ColumnData, rows: number, select?: (row: number) => boolean): Map<string, string | null> {
  const counts = new Map<string, Map<string | null, number>>();
  for (let r = 0; r < rows; r++) {
    if (select && !select(r)) continue;
    const key = valueText(from, r);
    if (key === null) continue;
    let inner = counts.get(key);
    if (!inner) counts.set(key, (inner = new Map()));
    const value = valueText(to, r);
    inner.set(value, (inner.get(value) ?? 0) + 1);
  }
  const mapping = new Map<string, string | null>();
  for (const [key, inner] of counts) {
    let best: string | null = null;
    let bestCount = -1;
    for (const [value, count] of inner) if (count > bestCount) [best, bestCount] = [value, count];
    mapping.set(key, best);
  }
  return mapping;
}

/** How many rows of `table` break `rule`, and the first of them. */
export function countBroken(schema: Schema, rule: Rule, table: Table, mapping?: Map<string, string | null>): RuleCount {
  const test = ruleTest(schema, rule, table, mapping);
  let broken = 0;
  let firstBroken: number | null = null;
  for (let r = 0; r < table.rowCount; r++) {
    if (test(r)) continue;
    broken++;
    if (firstBroken === null) firstBroken = r;
  }
  return { broken, firstBroken, share: table.rowCount ? 1 - broken / table.rowCount : 1 };
}

/** Rows of `table` that break at least one of `rules`. */
export function rowsBreakingAny(schema: Schema, rules: Rule[], table: Table, mappings?: (Map<string, string | null> | undefined)[]): number {
  const tests = rules.map((rule, i) => ruleTest(schema, rule, table, mappings?.[i]));
  let broken = 0;
  for (let r = 0; r < table.rowCount; r++) if (tests.some((test) => !test(r))) broken++;
  return broken;
}
