import { countBroken, describeRule, majorityMapping, rowsBreakingAny } from '../rules/check';
import { mineRules } from '../rules/mine';
import type { Rule, Schema } from '../schema/types';
import type { Table } from '../table';
import type { RulesResult } from './types';

/**
 * Each rule with the share of real and synthetic rows that keep it. The schema's rules, or when it
 * lists none (an outside pair of files), rules mined from the real rows. A determines rule without
 * declared combinations is held to the pairs of the real rows.
 */
export function evaluateRules(schema: Schema, real: Table, synthetic: Table, seed = 0): RulesResult {
  const mined = schema.rules === undefined;
  const rules: Rule[] = schema.rules ?? mineRules(schema, real, seed);
  const index = new Map(schema.columns.map((c, i) => [c.name, i]));
  const mappings = rules.map((rule) =>
    rule.kind === 'determines' && !rule.combinations ? majorityMapping(real.columns[index.get(rule.from)!], real.columns[index.get(rule.to)!], real.rowCount) : undefined,
  );
  const scores = rules.map((rule, i) => {
    const r = countBroken(schema, rule, real, mappings[i]);
    const s = countBroken(schema, rule, synthetic, mappings[i]);
    return {
      rule: describeRule(rule),
      kind: rule.kind,
      source: rule.source,
      enforce: rule.enforce,
      real: { share: r.share, broken: r.broken },
      synthetic: { share: s.share, broken: s.broken },
    };
  });
  const enforced = rules.map((rule, i) => ({ rule, i })).filter(({ rule }) => rule.enforce);
  const breaking = (table: Table): { count: number; share: number } => {
    const count = rowsBreakingAny(schema, enforced.map(({ rule }) => rule), table, enforced.map(({ i }) => mappings[i]));
    return { count, share: table.rowCount ? count / table.rowCount : 0 };
  };
  return { mined, rules: scores, realRowsBreakingAny: breaking(real), syntheticRowsBreakingAny: breaking(synthetic) };
}
