import { GENERATOR_INFO } from './catalog';
import type { ChunkSource, EncodedRows } from '../chunk-source';
import { histogramsOnlyRho } from '../privacy/budget';
import { MarginalsSource } from '../privacy/marginals';
import { PAIR_VALUE_CELLS } from '../privacy/preprocess';
import type { Random } from '../random';
import type { ColumnHistogram, PairHistogram } from '../release/types';
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
  noiseSource:
    "Node's crypto CSPRNG (not the --seed), buffered; counts: exact discrete Gaussian (Canonne, Kamath, Steinke 2020); holdout and training-sample coins: 53-bit uniforms from the same source",
  // Its only mechanism is the histograms: they get the whole budget.
  budget: (plan, accountant) => ({ preprocessing: histogramsOnlyRho(plan, accountant) }),
  async fit({ release: r }) {
    if (!r.private) throw new Error('the marginals generator is differentially private: it fits from a private release');
    const release = r;
    const { stats, plan, units, pairs, schema: structure } = release;
    const epsilon = release.preprocessingAlone;
    return {
      generator: new MarginalsGenerator(new MarginalsSource(structure, stats.histograms, release.transformer, stats.pairs), stats.histograms, stats.pairs),
      parameters: {
        columnsIndependent: pairs.length === 0,
        histogramBins: 128,
        ...(pairs.length ? { pairs: pairs.map(([a, b]) => [structure.columns[a].name, structure.columns[b].name]), pairValueCells: PAIR_VALUE_CELLS } : {}),
      },
      backend: { name: 'none', detail: `no neural network: DP histograms${pairs.length ? ' of columns and of the chosen pairs' : ', columns independent'}` },
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
