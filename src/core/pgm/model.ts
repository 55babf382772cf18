import type { ChunkSource } from '../chunk-source';
import { Random } from '../random';
import type { Schema } from '../schema/types';
import type { TableTransformer } from '../transform/transformer';
import { slotsByCell, tableFromSlots, type SlotDraw } from '../privacy/marginals';
import { slotWeights, type ColumnHistogram } from '../release/types';
import type { ColumnDomain } from './domain';
import { ForestSampler } from './forest';
import { MIN_SAMPLE_POOL, SAMPLE_POOL_FACTOR, tiltedRows, type FittedClique } from './rounds';

/**
 * A fitted graphical model as the model file keeps it: everything is post-processing of released
 * values (the histograms, the chosen tree and the estimate from its noisy marginals).
 */
export interface PgmState {
  /** Released histograms (aligned with the schema): within a cell, values follow them. */
  histograms: (ColumnHistogram | undefined)[];
  /** One node per modelled column. */
  domains: ColumnDomain[];
  /**
   * With a hub (a column of a few cells every other column is measured with, as a tree conditioned
   * on it): its index in `domains`. The model's nodes are then the other domains, in order, each
   * over (hub cell, own cell): cell = hub cell × own cells + own cell.
   */
  hub?: number;
  /** Tree edges as [parent, child] model-node indices. */
  edges: [number, number][];
  /** Fitted probabilities: per node, and per edge (parent-major). */
  nodeMarginals: number[][];
  edgeMarginals: number[][];
  /**
   * With adaptive rounds (pgm/rounds.ts): the measured cliques (domain indices) with their fitted
   * log-potentials. Rows are then drawn from a pool of the tree's rows tilted by these.
   */
  cliques?: FittedClique[];
}

/** Rows drawn from a fitted model, encoded like the tVAE's (a ChunkSource). */
export class PgmSource implements ChunkSource {
  private readonly sampler: ForestSampler;
  private readonly within: SlotDraw[][];

  constructor(
    private readonly schema: Schema,
    private readonly state: PgmState,
    private readonly transformer: TableTransformer,
  ) {
    for (const d of state.domains) {
      if (!state.histograms[d.column]) throw new Error(`column ${schema.columns[d.column]?.name}: the pgm generator needs its released histogram`);
    }
    this.sampler = new ForestSampler(
      { sizes: modelNodes(state).map((v) => nodeCells(state, v)), edges: state.edges },
      { nodes: state.nodeMarginals.map((m) => Float64Array.from(m)), edges: state.edgeMarginals.map((m) => Float64Array.from(m)) },
    );
    this.within = state.domains.map((d) => slotsByCell(d.cellOfSlot, slotWeights(state.histograms[d.column]!)));
  }

  async sample(rows: number, seed: number): Promise<Float64Array> {
    const random = new Random(seed);
    const cells = this.state.cliques ? this.tiltedCells(rows, random) : domainCells(this.state, this.sampler.sample(rows, random), rows);
    const slots: (Int32Array | undefined)[] = this.schema.columns.map(() => undefined);
    this.state.domains.forEach((d, v) => {
      const drawn = new Int32Array(rows);
      const within = this.within[v];
      const c = cells[v];
      for (let r = 0; r < rows; r++) drawn[r] = within[c[r]].draw(random);
      slots[d.column] = drawn;
    });
    const table = tableFromSlots(this.schema, this.state.histograms, slots, rows, random);
    return this.transformer.encode(table, { component: 'argmax' });
  }

  async close(): Promise<void> {}

  /** Each domain's cells of `rows` rows kept from a larger pool of the tree's rows, tilted by the cliques' tables. */
  private tiltedCells(rows: number, random: Random): Int32Array[] {
    const poolRows = Math.max(MIN_SAMPLE_POOL, SAMPLE_POOL_FACTOR * rows);
    const pool = domainCells(this.state, this.sampler.sample(poolRows, random), poolRows);
    const kept = tiltedRows(this.state.cliques!, this.state.domains.map((d) => d.cells), pool, poolRows, rows, random);
    return pool.map((c) => kept.map((r) => c[r]));
  }
}

/** The domains the model's nodes stand for (all but the hub). */
export function modelNodes(state: Pick<PgmState, 'domains' | 'hub'>): number[] {
  return state.domains.map((_, v) => v).filter((v) => v !== state.hub);
}

/** Cells of the model node standing for domain v: its own, times the hub's when there is one. */
export function nodeCells(state: Pick<PgmState, 'domains' | 'hub'>, v: number): number {
  return state.domains[v].cells * (state.hub === undefined ? 1 : state.domains[state.hub].cells);
}

/** Each domain's cells from the model nodes' cells (the hub's from the first node's). */
export function domainCells(state: Pick<PgmState, 'domains' | 'hub'>, sampled: Int32Array[], rows: number): Int32Array[] {
  if (state.hub === undefined) return sampled;
  const nodes = modelNodes(state);
  const out: Int32Array[] = new Array(state.domains.length);
  nodes.forEach((v, k) => {
    const own = state.domains[v].cells;
    out[v] = sampled[k].map((y) => y % own);
  });
  const first = state.domains[nodes[0]].cells;
  out[state.hub] = sampled[0].map((y) => Math.floor(y / first));
  return out;
}
