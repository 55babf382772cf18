/**
 * Which rules a generation run keeps, and how each was established:
 * - without DP: the schema's rules, or, when the schema has none listed, rules mined from the
 *   training rows;
 * - with DP: only rules declared in the schema (public knowledge). A rule inferred from the
 *   private rows is listed on the card but not used; a determines rule needs its declared
 *   combinations, since pairs read off the rows would be private.
 * A declared rule the training rows break stops the run before training (bad input); an
 * inferred rule they break becomes soft.
 */
import * as path from 'node:path';
import { readCsv } from '../csv/reader';
import { InputError } from '../csv/errors';
import type { Rule, Schema } from '../schema/types';
import type { Table } from '../table';
import { countBroken, describeRule } from './check';
import { RuleLayer } from './layer';
import { mineRules } from './mine';
import type { ChunkSource } from '../chunk-source';
import { Random } from '../random';
import type { TableTransformer } from '../transform/transformer';

export interface RuleCardEntry {
  rule: string;
  kind: Rule['kind'];
  source: Rule['source'];
  enforce: boolean;
  /** How the rule was established, in words. */
  established: string;
  /** How it is kept in the synthetic rows, in words. */
  kept: string;
}

export interface RulePlan {
  /** The layer as planned before learning (DP determines rules may still need their pairs). */
  layer: RuleLayer;
  notes: string[];
  /**
   * With the final layer: every rule with the training rows' shares (without DP), as the
   * evaluation checks them, and the card's entries.
   */
  report: (final: RuleLayer) => { rules: Rule[]; card: RuleCardEntry[] };
}

export async function planRules(schema: Schema, table: Table, options: { input: string; differentiallyPrivate: boolean; seed?: number }): Promise<RulePlan> {
  const dp = options.differentiallyPrivate;
  const notes: string[] = [];
  const mined = schema.rules === undefined && !dp;
  let candidates: Rule[] = schema.rules ?? (dp ? [] : mineRules(schema, table, options.seed));
  if (schema.rules === undefined && dp) notes.push('Rules were not looked for: under differential privacy a rule is used only when declared in the schema (`rules`, source "declared").');
  candidates = await Promise.all(
    candidates.map(async (rule) => {
      const { broken, firstBroken, share } = countBroken(schema, rule, table);
      if (broken > 0 && rule.enforce && rule.source === 'declared') {
        const line = await lineOfDataRow(options.input, table.rowIndex[firstBroken!]);
        throw new InputError(
          `the declared rule "${describeRule(rule)}" is broken by ${broken.toLocaleString('en-GB')} of ${table.rowCount.toLocaleString('en-GB')} training rows, the first on line ${line}. ` +
            'Fix the data, remove the rule from the schema, or set its "enforce" to false to keep it as a soft rule (only reported).',
          { file: path.basename(options.input), line },
        );
      }
      if (broken > 0 && rule.enforce) {
        notes.push(`The inferred rule "${describeRule(rule)}" is broken by ${broken} training rows: kept as a soft rule (reported, not enforced).`);
        return { ...rule, enforce: false, ...(dp ? {} : { realShare: share }) };
      }
      return dp ? rule : { ...rule, realShare: share };
    }),
  );
  const usable = candidates.filter((rule) => !dp || rule.source === 'declared');
  const layer = RuleLayer.plan(schema, usable, dp ? undefined : table, { mappingsFromRows: !dp });
  const established = (rule: Rule): string =>
    rule.source === 'declared'
      ? 'declared in the schema (public knowledge, no privacy cost)'
      : dp
        ? 'inferred from the private rows: NOT used under differential privacy (declare it in the schema to use it)'
        : mined
          ? 'mined from the training rows (no differential privacy)'
          : 'inferred from the rows by `synthetic-csv schema` (no differential privacy)';
  return {
    layer,
    notes,
    report: (final: RuleLayer) => {
      const how = new Map(final.describe().map((d) => [d.rule, d.how]));
      const card = candidates.map((rule): RuleCardEntry => {
        const text = describeRule(rule);
        const kept = !rule.enforce ? 'soft: only reported' : (how.get(text) ?? 'not used');
        return { rule: text, kind: rule.kind, source: rule.source, enforce: rule.enforce, established: established(rule), kept };
      });
      // What the evaluation holds the synthetic rows to: a rule the run could not use is only reported.
      const unused = new Set(final.state.notKept);
      const rules = candidates.map((rule) => ((dp && rule.source !== 'declared') || unused.has(describeRule(rule)) ? { ...rule, enforce: false } : rule));
      return { rules, card };
    },
  };
}

/**
 * Under DP, the pairs of declared determines rules without combinations, read off rows the
 * trained generator samples (post-processing of the release, no privacy cost).
 */
export async function pairsFromModel(layer: RuleLayer, source: ChunkSource, transformer: TableTransformer, schema: Schema, seed: number): Promise<RuleLayer> {
  const rows = PAIR_SAMPLE_ROWS;
  const decoded = transformer.decode(await source.sample(rows, seed), rows, schema.columns.length, new Random(seed));
  layer.inverse(schema, decoded, rows);
  return layer.withPairsFrom(schema, decoded, rows);
}

/** Rows sampled to read a determines rule's pairs off a DP generator. */
export const PAIR_SAMPLE_ROWS = 20_000;

/** The file line where data row `row` (0-based) starts. */
export async function lineOfDataRow(file: string, row: number): Promise<number> {
  let seen = 0;
  let found = 0;
  await readCsv(file, (_fields, line) => {
    if (seen++ === row) found = line;
  });
  return found;
}
