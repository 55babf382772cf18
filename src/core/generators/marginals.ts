import { GENERATOR_INFO } from './catalog';
import type { ChunkSource, EncodedRows } from '../chunk-source';
import { histogramsOnlyRho } from '../privacy/budget';
import { MarginalsSource } from '../privacy/marginals';
import { PAIR_VALUE_CELLS } from '../privacy/preprocess';
import type { Random } from '../random';
import type { ColumnHistogram, MeasuredPair, PairHistogram } from '../release/types';
import { MEASURED_RULE_Z } from '../rules/from-measurements';
import type { Generator, GeneratorKind } from './types';

/** Independent columns (and chosen pairs) drawn from the released histograms: nothing more is learned. */
class MarginalsGenerator implements Generator {
  readonly name = 'marginals';
  constructor(
    private readonly source: MarginalsSource,
    private readonly histograms: (ColumnHistogram | undefined)[],
    private readonly pairs: PairHistogram[],
  ) {}

  sample(rows: number, random: Random): Promise<EncodedRows> {
    return this.source.sample(rows, random.nextUint32());
  }

  async open(): Promise<ChunkSource> {
    return this.source;
  }

  save(): { marginals: (ColumnHistogram | undefined)[]; marginalPairs: PairHistogram[] } {
    return { marginals: this.histograms, marginalPairs: this.pairs };
  }

  dispose(): void {}
}

export const marginals: GeneratorKind = {
  name: 'marginals',
  ...GENERATOR_INFO.marginals,
  modelTakesRest: false,
  drawsRulePairs: true,
  noiseSource:
    "Node's crypto CSPRNG (not the --seed), buffered; counts: exact discrete Gaussian (Canonne, Kamath, Steinke 2020); holdout and training-sample coins: 53-bit uniforms from the same source",
  // Its only mechanism is the histograms: they get the whole budget.
  budget: (plan, accountant) => ({ preprocessing: histogramsOnlyRho(plan, accountant) }),
  async fit({ release: r }) {
    if (!r.private) throw new Error('the marginals generator is differentially private: it fits from a private release');
    const release = r;
    const { stats, plan, units, pairs, schema: structure } = release;
    const epsilon = release.preprocessingAlone;
    const ruled = pairsOfRules(release.rulePairs, pairs);
    const joints = [...stats.pairs, ...ruled];
    const names = (columns: readonly number[]): string[] => columns.map((c) => structure.columns[c].name);
    const together = [pairs.length ? 'the chosen pairs' : '', ruled.length ? 'the pairs a rule was read off' : ''].filter(Boolean).join(' and ');
    return {
      generator: new MarginalsGenerator(new MarginalsSource(structure, stats.histograms, release.transformer, joints), stats.histograms, joints),
      parameters: {
        columnsIndependent: joints.length === 0,
        histogramBins: 128,
        ...(pairs.length ? { pairs: pairs.map((pair) => names(pair)), pairValueCells: PAIR_VALUE_CELLS } : {}),
        ...(ruled.length ? { pairsOfRules: ruled.map((pair) => names(pair.columns)) } : {}),
      },
      backend: { name: 'none', detail: `no neural network: DP histograms${together ? `, ${together} drawn together` : ', columns independent'}` },
      history: [],
      noisyRowCount: stats.rowCount,
      ...(units ? { estimatedRows: Math.max(units.estimatedRows, stats.rowCount) } : {}),
      privacy: {
        differentiallyPrivate: true,
        statement: release.guarantee(epsilon, pairs.length ? 'joint histograms of the chosen pairs, released with the Gaussian mechanism' : undefined),
        epsilon,
        delta: plan.delta,
        ...release.common,
        budget: { preprocessing: { rho: stats.rho, epsilonAlone: release.preprocessingAlone, releases: stats.releases }, thresholdDelta: stats.thresholdDelta, accountingDelta: plan.accountingDelta },
      },
    };
  },
  async load(file, { schema, transformer }) {
    const histograms = file.marginals ?? [];
    const pairs = file.marginalPairs ?? [];
    return new MarginalsGenerator(new MarginalsSource(schema, histograms, transformer, pairs), histograms, pairs);
  },
};

/**
 * The pairs a determines rule was read off under DP (rule-confirmation.ts), drawn together from
 * their released counts, post-processing: values whose rule the counts could not tell from chance
 * then keep the relationship the counts show, where drawn apart they broke it (adult at ε 3:
 * `education` → `education_num` told for 7 of its 16 levels, and 13-27 % of rows breaking it).
 * A cell within MEASURED_RULE_Z noise deviations of none is emptied, but each value of the first
 * column keeps its fullest cell, so it keeps its rows. A column is drawn in one pair at most: the
 * chosen pairs first.
 */
function pairsOfRules(measured: readonly MeasuredPair[], chosen: readonly [number, number][]): PairHistogram[] {
  const paired = new Set(chosen.flat());
  const out: PairHistogram[] = [];
  for (const pair of measured) {
    if (pair.columns.some((c) => paired.has(c))) continue;
    pair.columns.forEach((c) => paired.add(c));
    const cellsB = Math.max(...pair.cellOfSlot[1]) + 1;
    const counts = pair.counts.map((c) => Math.max(0, c));
    for (let row = 0; row < counts.length / cellsB; row++) {
      const cells = counts.slice(row * cellsB, (row + 1) * cellsB);
      const fullest = cells.indexOf(Math.max(...cells));
      for (let j = 0; j < cellsB; j++) if (j !== fullest && cells[j] <= MEASURED_RULE_Z * pair.sigma) counts[row * cellsB + j] = 0;
    }
    out.push({ columns: pair.columns, cellOfSlot: pair.cellOfSlot, counts });
  }
  return out;
}
