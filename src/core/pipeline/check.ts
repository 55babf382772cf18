import type { Generator } from '../generators/types';
import type { MeasuredPair } from '../release/types';
import type { Random, SecureRandom } from '../random';
import { DEFAULT_OTHER_LABEL } from '../privacy/preprocess';
import { confirmRulesPrivately } from '../privacy/rule-confirmation';
import type { RuleLayer } from '../rules/layer';
import { completeFromModel, PAIR_SAMPLE_ROWS, planRules, type LaterConfirmation, type RuleCardEntry, type RulePlan } from '../rules/plan';
import type { SampleStats } from '../sampler';
import type { Rule, Schema } from '../schema/types';
import type { Table } from '../table';
import type { TableTransformer } from '../transform/transformer';
import type { Stage } from './stage';
import type { MetadataCard } from './types';

/**
 * Check stage: the rows' rules, kept by construction around any generator. Planned before
 * learning (the generator learns the rewritten table), completed from the fitted generator, and
 * counted after sampling (rows drawn again because they broke an enforced rule).
 */

export interface RulesPlanned {
  plan: RulePlan;
  /** The schema and rows the generator learns: the rule layer's rewrite of the training rows. */
  learningSchema: Schema;
  learningTable: Table;
}

export async function planChecks(
  schema: Schema,
  table: Table,
  options: { input: string; differentiallyPrivate: boolean; seed: number; privateBudget?: { rho: number; random: SecureRandom } },
  stage: Stage,
): Promise<RulesPlanned> {
  const { privateBudget, ...rest } = options;
  // Under DP, candidate rules are tested through the ledger within the budget given.
  const confirm = privateBudget ? (declared: Rule[]) => confirmRulesPrivately(schema, table, { ...privateBudget, declared }) : undefined;
  const plan = await stage.time('rules', () => planRules(schema, table, { ...rest, confirm }));
  const layer = plan.layer;
  const learningSchema = layer.learningSchema(schema, options.differentiallyPrivate ? undefined : table);
  // The rewrite keeps the rows in order: each keeps its person.
  const forwarded = layer.forward(schema, table);
  const learningTable = table.units ? { ...forwarded, units: table.units } : forwarded;
  return { plan, learningSchema, learningTable };
}

export interface RulesConfirmed {
  /** The final layer, which sampling applies. */
  layer: RuleLayer;
  /** The schema the synthetic rows are written with (computed columns included). */
  outputSchema: Schema;
  /** Every rule as the evaluation checks it, and the card's entries. */
  rules: Rule[];
  card: RuleCardEntry[];
  /** Rules confirmed after the histograms that gave way to the generator's own pair counts (their note named them as kept). */
  superseded: string[];
}

/**
 * With the fitted generator: the output schema, the pairs of declared determines rules, and under
 * DP the determines and missingWhen rules, read off rows the generator samples (post-processing,
 * no privacy cost).
 */
export async function confirmChecks(
  planned: RulesPlanned,
  schema: Schema,
  learnedSchema: Schema,
  generator: Generator,
  transformer: TableTransformer,
  random: Random,
  /** DP: the pairs the generator measured with noise, which rules are read off too. */
  measured?: readonly MeasuredPair[],
  /** DP: rules confirmed through the ledger after the histograms (missingness, determines between discrete columns). */
  later?: LaterConfirmation,
): Promise<RulesConfirmed> {
  let layer = planned.plan.layer;
  const outputSchema = layer.outputSchema(learnedSchema, schema);
  let established: Rule[] = [];
  let fromCounts: string[] = [];
  let superseded: string[] = [];
  const establish = planned.plan.establishFromModel;
  if (layer.pendingPairs.length || establish) {
    const presample = await generator.open(PAIR_SAMPLE_ROWS);
    try {
      ({ layer, established, fromCounts, superseded } = await completeFromModel(layer, presample, transformer, outputSchema, random.nextUint32(), establish, DEFAULT_OTHER_LABEL, establish ? measured : undefined, later && planned.plan.laterKept(later)));
    } finally {
      await presample.close();
    }
  }
  return { layer, outputSchema, ...planned.plan.report(layer, established, fromCounts, later, superseded), superseded };
}

/** The note for rules confirmed after the histograms that the generator's own pair counts replaced. */
export function supersededNote(superseded: readonly string[]): string {
  const count = superseded.length === 1 ? '1 rule' : `${superseded.length} rules`;
  return `Of the rules confirmed after the histograms, ${count} gave way to what the generator's own counts of the same column pair show (the card lists the rule used): ${superseded.join('; ')}.`;
}

/** The card's count of rows drawn again, when any were. */
export function redrawn(stats: SampleStats | undefined): Pick<MetadataCard, 'redrawn'> {
  return stats && stats.rejected > 0 ? { redrawn: { rows: stats.rejected, share: stats.rejected / stats.drawn, stillBroken: stats.stillBroken } } : {};
}
