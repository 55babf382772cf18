import type { ChunkSource } from '../chunk-source';
import { rowCells } from '../pgm/domain';
import { modelNodes, nodeCells, type PgmState } from '../pgm/model';
import { fitPgm, type PgmFitRequest } from '../pgm/mst';
import type { MeasuredPair } from '../release/types';
import type { LedgerPart } from '../privacy/budget';
import { DEFAULT_OTHER_LABEL } from '../privacy/preprocess';
import type { ReleaseEntry } from '../release/types';
import { Random } from '../random';
import type { TableTransformer } from '../transform/transformer';
import { rake, resample, type RakingMargin } from '../pgm/rake';

export { rake, resample, MAX_SWEEPS, TOLERANCE, type RakingMargin, type RakingResult } from '../pgm/rake';

/**
 * Raking a generator's rows to privately measured marginals (post-processing, no privacy cost).
 *
 * The DP tVAE keeps each column's shape (calibration to the released histograms) but loses much
 * of the dependence between columns under DP-SGD's noise. MST's measurements (pgm/mst.ts: the
 * pairs that matter chosen by the exponential mechanism, their joint histograms measured with
 * Gaussian noise, and a consistent graphical model fitted to them) hold exactly that dependence.
 * Here a pool of the network's rows, several times the rows asked for, is reweighted by iterative
 * proportional fitting (raking) until its weighted 1- and 2-way marginals match the fitted model's,
 * and the output is resampled from the pool by those weights. Of all reweightings that match, IPF
 * gives the one closest to uniform in the KL sense (exponential tilting, as in Wang et al. 2023),
 * so what the network learnt beyond the measured pairs is kept as far as the targets allow.
 *
 * The targets are the fitted model's marginals, not the raw noisy counts: they are non-negative
 * and consistent with one another (raking to inconsistent targets does not converge). Everything
 * read here is a release (the model file carries the fitted marginals), and the draws come from a
 * seeded stream: no private row is read and no guarantee depends on these draws.
 */

/** Share of the zCDP target rho for each part of a raked DP tVAE run; DP-SGD gets what is left. */
export const RAKING_SHARES = { preprocessing: 0.4, selection: 0.05, measurement: 0.3 };

export interface RakingBudget {
  preprocessing: number;
  selection: number;
  measurement: number;
}

export function rakingBudget(rhoTarget: number): RakingBudget {
  return { preprocessing: rhoTarget * RAKING_SHARES.preprocessing, selection: rhoTarget * RAKING_SHARES.selection, measurement: rhoTarget * RAKING_SHARES.measurement };
}

/** The pairs measured for raking, and what they cost: a release, carried by the model file. */
export interface RakingMeasurement {
  state: PgmState;
  /** Measured pairs by column name, in the order chosen; each with the hub column when there is one. */
  pairs: [string, string][];
  hub?: string;
  releases: ReleaseEntry[];
  /** The measured pairs' noisy counts (releases). */
  measured: MeasuredPair[];
  /** The selection and the measurements, for the one ledger (selection: RDP only). */
  parts: LedgerPart[];
  rho: number;
}

/**
 * MST's private selection and measurement of the pairs that matter, and the consistent model
 * fitted to them (pgm/mst.ts), within the raking's share of the budget. The 1-way marginals are
 * the preprocessing's released histograms, already paid for.
 */
export function measureForRaking(request: Omit<PgmFitRequest, 'rhoSelection' | 'rhoMeasurement'> & { budget: RakingBudget }): RakingMeasurement {
  const fit = fitPgm({ ...request, rhoSelection: request.budget.selection, rhoMeasurement: request.budget.measurement });
  const parts: LedgerPart[] = [
    { rho: fit.spent.selection, label: 'raking: selection of the pairs (exponential mechanism)', source: 'other' },
    { rho: fit.spent.measurement, label: 'raking: pair marginals (Gaussian mechanism)' },
  ];
  const hub = fit.state.hub === undefined ? undefined : request.schema.columns[fit.state.domains[fit.state.hub].column].name;
  return { state: fit.state, pairs: fit.pairs, ...(hub ? { hub } : {}), releases: fit.releases, measured: fit.measured, parts, rho: fit.spent.selection + fit.spent.measurement };
}

/** Rows drawn from the generator for each row kept. */
export const POOL_FACTOR = 10;
/** Most rows raked together: larger outputs are raked block by block (memory stays bounded). */
export const MAX_BLOCK_ROWS = 100_000;
/** Most encoded values held in a pool (128 MB as float32): wide files get a smaller pool factor. */
export const MAX_POOL_VALUES = 1 << 25;
/**
 * The raking margins of a pool: for each model node its cells and fitted marginal, and for each
 * tree edge the pair's. Rows are binned exactly as the model's released histograms were.
 */
export function poolMargins(state: PgmState, decoded: ReturnType<TableTransformer['decode']>, rows: number): RakingMargin[] {
  const table = { rowCount: rows, columns: decoded, rowIndex: new Int32Array(0) };
  const own = state.domains.map((d) => rowCells(d, state.histograms[d.column]!, table, DEFAULT_OTHER_LABEL));
  const nodes = modelNodes(state);
  const hub = state.hub === undefined ? undefined : own[state.hub];
  const cells = nodes.map((v) => (hub ? own[v].map((x, r) => hub[r] * state.domains[v].cells + x) : own[v]));
  const sizes = nodes.map((v) => nodeCells(state, v));
  const margins: RakingMargin[] = cells.map((c, k) => ({ cells: c, target: state.nodeMarginals[k] }));
  state.edges.forEach(([p, c], e) => {
    const sc = sizes[c];
    const joint = new Int32Array(rows);
    for (let r = 0; r < rows; r++) joint[r] = cells[p][r] * sc + cells[c][r];
    margins.push({ cells: joint, target: state.edgeMarginals[e] });
  });
  return margins;
}

/** What a raked run reports of itself (the card's parameters). */
export interface RakingSummary {
  poolFactor: number;
  blocks: number;
  /** Largest total-variation gap left between a raked marginal and its target, over the blocks. */
  gap: number;
}

/**
 * The rows of another source, raked to a fitted model's marginals. Rows are served from blocks:
 * each block draws a pool of about POOL_FACTOR times its rows (fewer for very wide files), rakes
 * it, and keeps its rows by systematic resampling. Chunks are served in order from the current
 * block; every draw follows from the seed given at construction, so a run is repeatable.
 */
export class RakedSource implements ChunkSource {
  private readonly random: Random;
  private block: { matrix: Float32Array; order: Int32Array; next: number } | undefined;
  /** Requests run one after another: the sampler asks for several chunks ahead. */
  private queue: Promise<unknown> = Promise.resolve();
  readonly summary: RakingSummary = { poolFactor: POOL_FACTOR, blocks: 0, gap: 0 };

  constructor(
    private readonly inner: ChunkSource,
    private readonly state: PgmState,
    private readonly transformer: TableTransformer,
    private readonly columnCount: number,
    /** Rows the caller means to draw: the first block's size. */
    private readonly plannedRows: number,
    seed: number,
  ) {
    this.random = new Random(seed);
  }

  /** The seed of each chunk is ignored: every draw follows from the construction's seed. */
  sample(rows: number, _seed?: number): Promise<Float32Array> {
    const result = this.queue.then(() => this.serve(rows));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async serve(rows: number): Promise<Float32Array> {
    const width = this.transformer.width;
    const out = new Float32Array(rows * width);
    for (let filled = 0; filled < rows; ) {
      if (!this.block || this.block.next >= this.block.order.length) this.block = await this.nextBlock(Math.max(rows - filled, this.plannedRows));
      const block = this.block;
      const take = Math.min(rows - filled, block.order.length - block.next);
      for (let i = 0; i < take; i++) {
        const from = block.order[block.next + i] * width;
        out.set(block.matrix.subarray(from, from + width), (filled + i) * width);
      }
      block.next += take;
      filled += take;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.queue;
    this.block = undefined;
    await this.inner.close();
  }

  private async nextBlock(wanted: number): Promise<{ matrix: Float32Array; order: Int32Array; next: number }> {
    const width = this.transformer.width;
    const blockRows = Math.max(1, Math.min(wanted, MAX_BLOCK_ROWS));
    const poolRows = Math.max(blockRows, Math.min(POOL_FACTOR * blockRows, Math.floor(MAX_POOL_VALUES / Math.max(width, 1))));
    const matrix = new Float32Array(poolRows * width);
    const decodeRandom = this.random.fork();
    const margins: RakingMargin[][] = [];
    // Drawn and decoded piece by piece: only the encoded pool and its cells are held.
    const PIECE = 4096;
    for (let start = 0; start < poolRows; start += PIECE) {
      const n = Math.min(PIECE, poolRows - start);
      const piece = await this.inner.sample(n, this.random.nextUint32());
      matrix.set(piece.subarray(0, n * width), start * width);
      margins.push(poolMargins(this.state, this.transformer.decode(piece, n, this.columnCount, decodeRandom), n));
    }
    const joined: RakingMargin[] = (margins[0] ?? []).map((m, k) => {
      const cells = new Int32Array(poolRows);
      let offset = 0;
      for (const piece of margins) {
        cells.set(piece[k].cells, offset);
        offset += piece[k].cells.length;
      }
      return { cells, target: m.target };
    });
    const raked = rake(poolRows, joined);
    this.summary.blocks++;
    this.summary.poolFactor = Math.min(this.summary.poolFactor, poolRows / blockRows);
    this.summary.gap = Math.max(this.summary.gap, raked.gap);
    return { matrix, order: resample(raked.weights, blockRows, this.random), next: 0 };
  }
}
