import type { DeterminesRule, Schema } from '../schema/types';
import { GENERATOR_INFO } from './catalog';
import { declaredRuleCategories } from '../rules/check';
import type { ChunkSource, EncodedRows } from '../chunk-source';
import { largestRhoWithin } from '../privacy/budget';
import { fitPgm, pgmLedger, splitPgmBudget, type PgmBudget } from '../pgm/mst';
import { PgmSource, type PgmState } from '../pgm/model';
import { DEFAULT_ROUNDS } from '../pgm/rounds';
import type { Random } from '../random';
import type { Generator, GeneratorKind } from './types';

/** Rows drawn from a graphical model fitted to privately chosen, noisy pair marginals. */
class PgmGenerator implements Generator {
  readonly name = 'pgm';
  constructor(
    private readonly source: PgmSource,
    private readonly state: PgmState,
  ) {}

  sample(rows: number, random: Random): Promise<EncodedRows> {
    return this.source.sample(rows, random.nextUint32());
  }

  async open(): Promise<ChunkSource> {
    return this.source;
  }

  save(): { pgm: PgmState } {
    return { pgm: this.state };
  }

  dispose(): void {}
}

export const pgm: GeneratorKind<PgmBudget> = {
  name: 'pgm',
  ...GENERATOR_INFO.pgm,
  modelTakesRest: true,
  noiseSource:
    "Node's crypto CSPRNG (not the --seed), buffered; column histograms and pair marginals: exact discrete Gaussian (Canonne, Kamath, Steinke 2020); selection (exponential mechanism), holdout and training-sample coins: 53-bit uniforms from the same source",
  // The selection's exponential mechanism has no exact privacy loss distribution: the split is
  // searched under the run's accountant over the whole pgm ledger.
  budget: (plan, accountant) => splitPgmBudget(largestRhoWithin(plan, (rho) => pgmLedger(splitPgmBudget(rho)), accountant)),
  async fit({ schema, table, release: r, options, phase }) {
    if (!r.private) throw new Error('the pgm generator is differentially private: it fits from a private release');
    const release = r;
    const { stats, plan, accountant, budget, noise } = release;
    phase('fit', 'Choosing column pairs and measuring them with differential privacy; fitting the graphical model');
    const target = options.target === undefined ? -1 : schema.columns.findIndex((c) => c.name === options.target);
    const hub = target >= 0 ? target : 'auto';
    // With a privacy unit, the pairs are counted on the table bounded to k rows per person.
    const units = release.units;
    // With no pair to choose, the measurement takes what the target leaves beside the preprocessing.
    const measurementAlone = (): number => largestRhoWithin(plan, (rho) => pgmLedger({ preprocessing: stats.rho, selection: 0, measurement: rho }), accountant);
    // The measurement takes what preprocessing's ledger left of its share, or gives what it spent
    // beyond it (missingness rules tested after the histograms): the total ρ is the plan's, each
    // part set from releases before it.
    const rhoMeasurement = budget.measurement + budget.preprocessing - stats.rho;
    const fit = fitPgm({ schema, table: units?.table ?? table, stats, rhoSelection: budget.selection, rhoMeasurement, measurementAlone, random: noise, hub, maxRowsPerUnit: units?.maxRowsPerUnit, rounds: options.pgmRounds ?? DEFAULT_ROUNDS, forcedPairs: declaredPairs(schema), apartLevels: declaredLevels(schema) });
    const unit = release.common.unit;
    const neighbour = unit && unit !== 'row' ? `one person (all rows with one ${unit.column} value, up to ${unit.maxRowsPerUnit.toLocaleString('en-GB')} of them)` : 'one row';
    const modelRho = fit.spent.selection + fit.spent.measurement;
    // Columns the compression left in one cell join no pair: a file of them has none to measure.
    const mechanisms =
      fit.spent.measurement === 0
        ? undefined
        : fit.spent.selection > 0
          ? 'joint histograms of column pairs chosen by the exponential mechanism, released with the Gaussian mechanism'
          : 'joint histograms of the column pairs the released domains and declared rules left (no choice to make, so no selection), released with the Gaussian mechanism';
    const epsilon = pgmLedger({ preprocessing: stats.rho, ...fit.spent }).epsilon(plan.accountingDelta, accountant);
    const hubName = fit.state.hub !== undefined ? schema.columns[fit.state.domains[fit.state.hub].column].name : undefined;
    return {
      generator: new PgmGenerator(new PgmSource(release.schema, fit.state, release.transformer), fit.state),
      parameters: {
        pairs: fit.pairs,
        ...(hubName !== undefined ? { hub: hubName } : {}),
        selectionEpsilonPerRound: fit.selectionEpsilonPerRound,
        pairNoiseSigma: fit.measurementSigma,
        cellsPerColumn: fit.state.domains.map((d) => d.cells),
        ...(fit.rounds ? { rounds: fit.rounds } : {}),
      },
      backend: {
        name: 'none',
        detail: `no neural network: a graphical model of ${fit.pairs.length} privately chosen column pairs (MST)${hubName !== undefined ? `, each measured with ${hubName}` : ''}${fit.rounds ? `, and ${fit.rounds.cliques.length} more cliques chosen adaptively where it fitted worst (AIM-style rounds)` : ''}`,
      },
      history: [],
      noisyRowCount: fit.rowCount,
      measuredPairs: fit.measured,
      privacy: {
        differentiallyPrivate: true,
        // The exponential mechanism has no exact privacy loss distribution: the ledger composes in RDP.
        statement: release.guarantee(epsilon, mechanisms, fit.spent.selection > 0 ? 'Rényi DP (RDP)' : undefined),
        epsilon,
        delta: plan.delta,
        ...release.common,
        // The exponential mechanism has no exact PLD: the ledger composes in RDP.
        ...(fit.spent.selection > 0 ? { accountant: `Rényi DP (RDP) of zCDP releases, add/remove ${neighbour}` } : {}),
        budget: {
          preprocessing: { rho: stats.rho, epsilonAlone: release.preprocessingAlone, releases: stats.releases },
          model: { rho: modelRho, epsilonAlone: pgmLedger({ preprocessing: 0, ...fit.spent }).epsilon(plan.accountingDelta, accountant), releases: fit.releases },
          thresholdDelta: stats.thresholdDelta,
          accountingDelta: plan.accountingDelta,
        },
      },
    };
  },
  async load(file, { schema, transformer, path }) {
    if (!file.pgm) throw new Error(`${path}: the model file has no fitted graphical model`);
    return new PgmGenerator(new PgmSource(schema, file.pgm, transformer), file.pgm);
  },
};

/** The categories declared rules name, by schema index: public, and kept apart in the model's cells. */
function declaredLevels(schema: Schema): Map<number, Set<string>> {
  const byColumn = new Map<number, Set<string>>();
  for (const [name, { values }] of declaredRuleCategories(schema)) byColumn.set(schema.columns.findIndex((c) => c.name === name), new Set(values));
  return byColumn;
}

/**
 * The column pairs of declared determines rules without their combinations (public by the user's
 * declaration): the model measures them without selection, since the rule layer reads those
 * rules' pairs off the model's own rows. A rule that a chain of the others implies is left out
 * (the demo's diagnosis → sex follows from diagnosis → admission method → sex, and a tree cannot
 * hold all three pairs). Rules with their combinations, and missingness rules, the layer keeps
 * from the rule alone: their pairs are left to the selection. Mined rules never name pairs here:
 * under DP they come from the private rows.
 */
function declaredPairs(schema: Schema): [number, number][] {
  const at = (name: string): number => schema.columns.findIndex((c) => c.name === name);
  const determines = (schema.rules ?? []).flatMap((r) => (r.kind === 'determines' && r.source === 'declared' && r.enforce ? [r] : []));
  const implied = (rule: DeterminesRule): boolean => {
    const seen = new Set([rule.from]);
    const queue = [rule.from];
    while (queue.length) {
      const column = queue.shift()!;
      for (const other of determines) {
        if (other === rule || other.from !== column || seen.has(other.to)) continue;
        if (other.to === rule.to) return true;
        seen.add(other.to);
        queue.push(other.to);
      }
    }
    return false;
  };
  return determines
    .filter((r) => !r.combinations && !implied(r))
    .map((r): [number, number] => [at(r.from), at(r.to)])
    .filter(([a, b]) => a >= 0 && b >= 0);
}
