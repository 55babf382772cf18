import { loadTensorflow, type BackendPreference } from '../model/backend';
import { chunkSource } from '../model/parallel';
import { defaultEpochs, trainTvae, trainTvaeDp } from '../model/train';
import { layoutFromSpans, TrainingData, Tvae, type TvaeOptions } from '../model/tvae';
import { calibrateNoise, epsilonByStep, ledger } from '../privacy/budget';
import { calibrateToHistograms } from '../privacy/calibrate';
import { GENERATOR_INFO } from './catalog';
import { Random } from '../random';
import type { ColumnHistogram } from '../release/types';
import { isModelled } from '../table';
import type { TableTransformer } from '../transform/transformer';
import type { ChunkSource } from '../chunk-source';
import type { ExactRelease, FitInput, Fitted, Generator, GeneratorBudget, GeneratorKind, PrivateRelease, ReleasedEpoch } from './types';
import { measureForRaking, RakedSource, rakingBudget, type RakingBudget } from '../calibrate/marginals-rake';
import type { PgmState } from '../pgm/model';

/** The DP tvae's split: with raking, the pairs' selection and measurement beside preprocessing. */
export interface TvaeBudget extends GeneratorBudget {
  raking?: RakingBudget;
}

/** Where a raked tvae's rows go after the network: the fitted pair marginals and how to decode rows. */
interface Raking {
  state: PgmState;
  /** The calibrated transformer rows are decoded with, and the learning schema's width. */
  transformer?: TableTransformer;
  columnCount: number;
  seed: number;
}

/**
 * DP-SGD defaults, chosen by measurement (pair trends, mean of three runs; the marginals generator,
 * which keeps no relationships, scores 0.745 on adult.csv and 0.770 on rhc.csv at ε 3):
 * - numeric columns as one Gaussian component (DEFAULT_MIXTURE_COMPONENTS): with TVAE's up to
 *   10 modes, pair trends at ε 3 and 10 were lower still, the mode softmaxes being learned too
 *   roughly under the noise to keep two columns' orders together;
 * - a 2-dimensional code: the noise cannot resolve more directions, and every code dimension adds
 *   noisy weights (code 16: adult 0.769 / rhc 0.773 at ε 3 and 10; code 2: 0.791 / 0.798; code 3
 *   and 4 in between). With that code a wider layer pays (128 units: adult 0.809 at ε 3, 0.848 at
 *   ε 10 against 0.791 and 0.830 with 64; 256 no better);
 * - large batches (8 % of the rows) and a high learning rate: noise per parameter
 *   falls with the batch, and the few steps must count (20 epochs or 5: no better; 1e-2: no better);
 * - the KL term's weight rises over the first half, so the latent code is put to use before the
 *   prior pulls it in (without it, DP training collapsed to independent columns).
 * With the narrowed bounds of private preprocessing, `npm run bench -- --privacy` gives pair trends
 * at ε 3 of 0.787 / 0.793 / 0.813 on adult / rhc / flchain, against 0.763 / 0.780 / 0.714 for the
 * marginals generator.
 */
export const DP_DEFAULTS = {
  clippingNorm: 1,
  /**
   * Poisson sampling rate q, fixed whatever the file (13 steps an epoch), so the noise is
   * calibrated before any data is seen; the expected batch is 8 % of the rows.
   */
  samplingRate: 0.08,
  epochs: 10,
  klWarmupShare: 0.5,
  model: { learningRate: 6e-3, encoderDims: [128], decoderDims: [128], latentDim: 2 } satisfies Partial<TvaeOptions>,
};

/**
 * Below this many (released) rows the DP tVAE run says that the pgm generator is likely better.
 * Measured at ε 3 on the first 500 / 1,000 / 2,000 rows of adult.csv (quality, tVAE against
 * marginals): 0.676 / 0.778 / 0.811 against 0.716 / 0.792 / 0.821; pgm on the 2,000 rows: 0.855
 * and 0.847 (two runs).
 */
export const SMALL_FOR_DP_SGD = 3000;

/** The default expected batch of DP training on `rows` (released) rows. */
export function defaultDpBatch(rows: number): number {
  return Math.max(1, Math.round(DP_DEFAULTS.samplingRate * rows));
}

/**
 * The code of the non-private tVAE: two dimensions per modelled column, 8 to 128 (TVAE: 128
 * always). A code much wider than the data leaves directions the prior fills and the data never
 * did, and samples lose the relationships: on three columns (two dates a few days apart), 128
 * gave a correlation of 0.59 where 8 gave 0.96. Measured without DP (quality): adult.csv 0.949 at
 * 128 against 0.959 at 30, flchain.csv 0.943 against 0.941 at 22; rhc.csv (63 columns) keeps 126.
 */
export function defaultLatentDim(modelledColumns: number): number {
  return Math.max(8, Math.min(128, 2 * modelledColumns));
}

/**
 * DP-SGD's public schedule: q and the steps are public choices, never derived from the data, so
 * the noise multiplier depends on public facts only and the ledger accounts exactly what runs.
 */
export function dpSchedule(samplingRate: number | undefined, epochs: number | undefined): { q: number; epochs: number; stepsPerEpoch: number; steps: number } {
  const q = samplingRate ?? DP_DEFAULTS.samplingRate;
  if (!(q > 0 && q <= 1)) throw new Error(`the sampling rate must be greater than 0 and at most 1 (got ${q})`);
  const e = epochs ?? DP_DEFAULTS.epochs;
  const stepsPerEpoch = Math.max(1, Math.round(1 / q));
  return { q, epochs: e, stepsPerEpoch, steps: e * stepsPerEpoch };
}

const NO_DP_STATEMENT =
  'NO differential privacy: trained with --no-dp. This file carries no formal privacy guarantee; ' +
  'use it only for data that is not sensitive, or review the privacy evaluation before any release.';

/** The tVAE: a variational autoencoder over the transformer's encoding (model/). */
class TvaeGenerator implements Generator {
  readonly name = 'tvae';
  constructor(
    private readonly model: Tvae,
    private readonly backend: BackendPreference,
    private readonly raking?: Raking,
  ) {}

  async sample(rows: number, random: Random): Promise<Float32Array> {
    const seed = random.nextUint32();
    if (!this.raking) return this.model.sample(rows, new Random(seed));
    const inline: ChunkSource = { sample: async (n, s) => this.model.sample(n, new Random(s)), close: async () => undefined };
    return this.raked(inline, rows, seed).sample(rows, seed);
  }

  async open(rows: number): Promise<ChunkSource> {
    const source = await chunkSource(this.model, this.backend, rows);
    return this.raking ? this.raked(source, rows, this.raking.seed) : source;
  }

  /** The network's rows raked to the measured pairs (post-processing of releases). */
  private raked(source: ChunkSource, rows: number, seed: number): RakedSource {
    const r = this.raking!;
    if (!r.transformer) throw new Error('the raked tvae samples after calibration');
    return new RakedSource(source, r.state, r.transformer, r.columnCount, rows, seed);
  }

  calibrate(transformer: TableTransformer, histograms: readonly (ColumnHistogram | undefined)[], columnCount: number, seed: number): { transformer: TableTransformer; calibratedColumns: number[] } {
    const calibrated = calibrateToHistograms(this.model, transformer, histograms, columnCount, seed);
    // Raking decodes the pool as the output is decoded: with the calibrated transformer.
    if (this.raking) this.raking.transformer = calibrated.transformer;
    return calibrated;
  }

  save(): { tvae: ReturnType<Tvae['toJSON']>; raking?: PgmState } {
    return { tvae: this.model.toJSON(), ...(this.raking ? { raking: this.raking.state } : {}) };
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Without privacy: ordinary training on the encoded training rows. */
async function fitExactly({ schema, table, release, options, random, phase }: FitInput<ExactRelease>): Promise<Fitted> {
  const { transformer } = release;
  const matrix = transformer.encode(table, { component: 'sample', seed: random.nextUint32() });
  const data = new TrainingData(matrix, table.rowCount, layoutFromSpans(transformer.spans, transformer.width));
  const { tf, backend, detail } = await loadTensorflow(options.backend ?? 'auto');
  const epochs = options.epochs ?? defaultEpochs(data.rows, options.model?.batchSize ?? 500);
  phase('train', `Training for ${epochs} epochs on ${data.rows} rows (${backend})`);
  const model = { latentDim: defaultLatentDim(schema.columns.filter(isModelled).length), ...options.model };
  const trained = await trainTvae(tf, data, { epochs, seed: random.nextUint32(), model, signal: options.signal, onProgress: options.onProgress });
  return {
    generator: new TvaeGenerator(trained.model, options.backend ?? 'auto'),
    parameters: { ...trained.model.options, epochs, epochsRun: trained.epochsRun, stoppedEarly: trained.stoppedEarly },
    backend: { name: backend, detail },
    history: trained.history,
    privacy: { differentiallyPrivate: false, statement: NO_DP_STATEMENT },
  };
}

/** With privacy: DP-SGD, its noise calibrated so that, composed with preprocessing, ε meets the target. */
async function fitPrivately({ schema, table, release, options, random, phase }: FitInput<PrivateRelease<TvaeBudget>>): Promise<Fitted> {
  const { plan, accountant, stats, units, request, noise, transformer } = release;
  const { q, epochs, stepsPerEpoch, steps } = dpSchedule(request.samplingRate, options.epochs);
  const preprocessingRho = stats.rho;
  // With a privacy unit the people are the samples DP-SGD averages over.
  if ((units?.noisyUnits ?? stats.rowCount) < SMALL_FOR_DP_SGD) {
    phase(
      'fit',
      `Note: with about ${units ? `${units.noisyUnits.toLocaleString('en-GB')} people and ` : ''}${stats.rowCount.toLocaleString('en-GB')} rows, DP-SGD learns little through its noise; --generator pgm usually does better on files this small, in seconds.`,
    );
  }
  const trainingTable = units?.table ?? table;
  // The pairs are measured with the utility target when it is named (a hub), else a small column.
  const target = options.target === undefined ? -1 : schema.columns.findIndex((c) => c.name === options.target);
  const rakingBudget = release.budget.raking;
  if (rakingBudget) phase('fit', "Choosing column pairs and measuring them with differential privacy, to rake the network's rows to");
  const measured = rakingBudget ? measureForRaking({ schema, table, stats, budget: rakingBudget, random: noise, hub: target >= 0 ? target : 'auto' }) : undefined;
  const measuredParts = measured?.parts ?? [];
  const matrix = transformer.encode(trainingTable, { component: 'sample', seed: random.nextUint32() });
  const data = new TrainingData(matrix, trainingTable.rowCount, layoutFromSpans(transformer.spans, transformer.width));
  const { tf, backend, detail } = await loadTensorflow(options.backend ?? 'auto');
  // DP-SGD samples units (people, or rows) at rate q: the expected batch counts them (noisy count).
  const sampledUnits = units?.noisyUnits ?? stats.rowCount;
  const clippingNorm = request.clippingNorm ?? DP_DEFAULTS.clippingNorm;
  phase('fit', `Calibrating noise for ε = ${plan.epsilon}, δ = ${plan.delta.toExponential(1)} over ${steps} steps`);
  const sigma = calibrateNoise(plan, preprocessingRho, q, steps, accountant, measuredParts);
  phase('train', `Training with DP-SGD for ${epochs} epochs (noise multiplier ${sigma.toFixed(3)}, clipping ${clippingNorm}, ${backend})`);
  const spentAfter = epsilonByStep(plan, preprocessingRho, q, sigma, stepsPerEpoch, epochs, accountant, measuredParts);
  const trained = await trainTvaeDp(tf, data, {
    epochs,
    seed: random.nextUint32(),
    model: {
      ...DP_DEFAULTS.model,
      ...options.model,
      // Batches are Poisson samples of this expected size (recorded as such in the card).
      batchSize: Math.round(q * sampledUnits),
    },
    klWarmupEpochs: epochs * DP_DEFAULTS.klWarmupShare,
    samplingRate: q,
    expectedBatchSize: q * sampledUnits,
    ...(units ? { units: units.groups } : {}),
    noiseMultiplier: sigma,
    clippingNorm,
    noiseRandom: noise,
    epsilonAfter: spentAfter,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  const total = spentAfter(steps);
  const trainingAlone = ledger(0, q, sigma, steps).epsilon(plan.accountingDelta, accountant);
  const raking = measured ? { state: measured.state, columnCount: release.schema.columns.length, seed: random.nextUint32() } : undefined;
  const rakedMechanisms = measured ? ', raked to the joint histograms of column pairs chosen by the exponential mechanism and released with the Gaussian mechanism' : '';
  return {
    generator: new TvaeGenerator(trained.model, options.backend ?? 'auto', raking),
    parameters: {
      ...trained.model.options,
      epochs,
      epochsRun: trained.epochsRun,
      stoppedEarly: false,
      ...(measured ? { raking: { pairs: measured.pairs, ...(measured.hub ? { hub: measured.hub } : {}) } } : {}),
    },
    backend: { name: backend, detail },
    // The loss is computed on private rows, and an epoch's time and speed give the size of its
    // Poisson-sampled batches: only the privacy spent is released.
    history: trained.history.map((h): ReleasedEpoch => ({ epoch: h.epoch, epsilon: h.epsilon })),
    noisyRowCount: stats.rowCount,
    ...(measured ? { measuredPairs: measured.measured } : {}),
    ...(units ? { estimatedRows: Math.max(units.estimatedRows, stats.rowCount) } : {}),
    privacy: {
      differentiallyPrivate: true,
      statement: release.guarantee(
        total,
        `DP-SGD training${units ? " (people sampled, each person's summed gradient clipped)" : ''}${rakedMechanisms}`,
        // The exponential mechanism has no exact privacy loss distribution: the ledger composes in RDP.
        measured ? 'Rényi DP (RDP)' : undefined,
      ),
      epsilon: total,
      delta: plan.delta,
      noiseMultiplier: sigma,
      clippingNorm,
      samplingRate: q,
      expectedBatchSize: q * sampledUnits,
      steps,
      epochs,
      ...release.common,
      ...(measured ? { accountant: 'Rényi DP (RDP) of zCDP releases and DP-SGD, add/remove adjacency' } : {}),
      budget: {
        preprocessing: { rho: preprocessingRho, epsilonAlone: release.preprocessingAlone, releases: stats.releases },
        training: { epsilonAlone: trainingAlone },
        ...(measured ? { model: { rho: measured.rho, epsilonAlone: ledger(0, 0, 1, 0, measured.parts).epsilon(plan.accountingDelta, accountant), releases: measured.releases } } : {}),
        thresholdDelta: stats.thresholdDelta,
        accountingDelta: plan.accountingDelta,
      },
    },
  };
}

export const tvae: GeneratorKind<TvaeBudget> = {
  name: 'tvae',
  ...GENERATOR_INFO.tvae,
  modelTakesRest: true,
  noiseSource:
    "Node's crypto CSPRNG (not the --seed), buffered; counts: exact discrete Gaussian (Canonne, Kamath, Steinke 2020); DP-SGD: Box-Muller normals on 53-bit uniforms, floating-point noise (see Mironov 2012); Poisson batch, holdout and training-sample coins: 53-bit uniforms from the same source",
  // Raking measures pairs with sensitivity 1: not yet with a privacy unit (each person's k rows);
  // and a single column has no pairs (its budget stays with the histograms).
  budget: (plan, _accountant, context): TvaeBudget =>
    context && context.raking !== false && !context.unit && context.modelledColumns >= 2
      ? { preprocessing: rakingBudget(plan.rhoTarget).preprocessing, raking: rakingBudget(plan.rhoTarget) }
      : { preprocessing: plan.rhoPreprocessing },
  fit: (input) => (input.release.private ? fitPrivately(input as FitInput<PrivateRelease<TvaeBudget>>) : fitExactly(input as FitInput<ExactRelease>)),
  async load(file, context) {
    if (!file.tvae) throw new Error(`${context.path}: the model file has no network weights`);
    const { tf } = await loadTensorflow(context.backend ?? 'auto');
    // A DP model carries the marginals it was raked to (releases): its rows are raked as at generation.
    const raking = file.raking ? { state: file.raking, transformer: context.transformer, columnCount: context.schema.columns.length, seed: file.seed } : undefined;
    return new TvaeGenerator(Tvae.fromJSON(tf, file.tvae), context.backend ?? 'auto', raking);
  },
};
