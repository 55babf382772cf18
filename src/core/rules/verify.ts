/**
 * Rules checked against the real file, as the run checks declared rules before training: how many
 * rows break each, and the line of the first. The Schema view runs it (in the worker) when a rule
 * is added, so a rule the data breaks is caught while the user is still looking at it.
 */
import type { Rule, Schema } from '../schema/types';
import { loadTable } from '../table';
import { countBroken, describeRule, ruleColumns } from './check';
import { lineOfDataRow } from './plan';

export interface RuleCheckResult {
  /** The rule as describeRule says it. */
  rule: string;
  rows: number;
  broken: number;
  /** Share of the rows that keep the rule. */
  share: number;
  /** File line of the first row that breaks it. */
  firstLine: number | null;
}

/** Count the rows of `file` that break each of `rules` (columns as `schema` reads them). */
export async function checkRulesOnFile(file: string, schema: Schema, rules: Rule[], options: { signal?: AbortSignal } = {}): Promise<RuleCheckResult[]> {
  // Read only the columns the rules name.
  const needed = new Set(rules.flatMap(ruleColumns));
  const narrowed: Schema = { ...schema, columns: schema.columns.map((c) => (needed.has(c.name) ? c : { ...c, exclude: true })) };
  const table = await loadTable(file, narrowed, { signal: options.signal });
  const results: RuleCheckResult[] = [];
  for (const rule of rules) {
    const { broken, firstBroken, share } = countBroken(narrowed, rule, table);
    const firstLine = firstBroken === null ? null : await lineOfDataRow(file, table.rowIndex[firstBroken]);
    results.push({ rule: describeRule(rule), rows: table.rowCount, broken, share, firstLine });
  }
  return results;
}
