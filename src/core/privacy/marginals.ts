import { Random } from '../random';
import type { Schema } from '../schema/types';
import type { ColumnData, Table } from '../table';
import type { TableTransformer } from '../transform/transformer';
import type { ChunkSource } from '../chunk-source';
import { slotWeights, valueInBin, type ColumnHistogram, type NumericHistogram, type PairHistogram } from '../release/types';

/**
 * The low-fidelity generator (the UCLH approach): every column drawn independently from its
 * differentially private histogram, except chosen pairs of columns, drawn together from their
 * released joint histogram (a coarse joint: within a cell, each column follows its own histogram).
 * It never looks at the data again, so its privacy cost is the histograms' alone; it keeps each
 * column's distribution, the chosen pairs' relationship, and by design nothing else between
 * columns. Rows come out encoded, so identifiers, formats and the report work as for the tVAE.
 */
export class MarginalsSource implements ChunkSource {
  /** Per pair: its joint, the second column's cell count, and per cell a draw among its slots. */
  private readonly joints: { pair: PairHistogram; cellsB: number; withinA: SlotDraw[]; withinB: SlotDraw[] }[];

  constructor(
    private readonly schema: Schema,
    private readonly histograms: (ColumnHistogram | undefined)[],
    private readonly transformer: TableTransformer,
    pairs: readonly PairHistogram[] = [],
  ) {
    schema.columns.forEach((column, i) => {
      if (transformer.state.columns.some((c) => c.column === i) && !histograms[i]) {
        throw new Error(`column ${column.name}: the marginals generator needs its released histogram`);
      }
    });
    this.joints = pairs.map((pair) => ({
      pair,
      cellsB: Math.max(...pair.cellOfSlot[1]) + 1,
      withinA: slotsByCell(pair.cellOfSlot[0], slotWeights(histograms[pair.columns[0]]!)),
      withinB: slotsByCell(pair.cellOfSlot[1], slotWeights(histograms[pair.columns[1]]!)),
    }));
  }

  async sample(rows: number, seed: number): Promise<Float64Array> {
    const random = new Random(seed);
    // Slot per row and column: drawn from the joint for paired columns, from the column's own
    // histogram otherwise.
    const slots: (Int32Array | undefined)[] = this.histograms.map(() => undefined);
    for (const { pair, cellsB, withinA, withinB } of this.joints) {
      const [a, b] = pair.columns;
      const slotsA = new Int32Array(rows);
      const slotsB = new Int32Array(rows);
      for (let r = 0; r < rows; r++) {
        const cell = random.categorical(pair.counts);
        slotsA[r] = withinA[Math.floor(cell / cellsB)].draw(random);
        slotsB[r] = withinB[cell % cellsB].draw(random);
      }
      slots[a] = slotsA;
      slots[b] = slotsB;
    }
    for (let i = 0; i < slots.length; i++) {
      const h = this.histograms[i];
      if (!h || slots[i]) continue;
      const weights = slotWeights(h);
      const drawn = new Int32Array(rows);
      for (let r = 0; r < rows; r++) drawn[r] = random.categorical(weights);
      slots[i] = drawn;
    }
    const table = tableFromSlots(this.schema, this.histograms, slots, rows, random);
    return this.transformer.encode(table, { component: 'argmax' });
  }

  async close(): Promise<void> {}
}

/**
 * Rows from a slot per row of each released histogram (value bins or levels, then zero and
 * missing, as slotWeights orders them): a value bin becomes a value within it. Columns without a
 * histogram or slots are left out. Shared by the generators that draw histogram slots.
 */
export function tableFromSlots(
  schema: Schema,
  histograms: readonly (ColumnHistogram | undefined)[],
  slots: readonly (Int32Array | undefined)[],
  rows: number,
  random: Random,
): Table {
  const columns: ColumnData[] = schema.columns.map((_, i) => {
    const h = histograms[i];
    const drawn = slots[i];
    if (!h || !drawn) return { type: 'none' };
    if (h.type === 'categorical') {
      return { type: 'categorical', codes: drawn.map((k) => (k === h.levels.length ? -1 : k)), levels: h.levels };
    }
    const bins = h.counts.length;
    const spikes = spikesByBin(h);
    const values = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const k = drawn[r];
      if (k === bins + 1) values[r] = NaN;
      else if (k === bins) values[r] = 0;
      else values[r] = (spikes[k] && spikeIn(spikes[k]!, random.next())) ?? valueInBin(h, k, random.next());
    }
    return { type: 'numeric', values };
  });
  return { rowCount: rows, columns, rowIndex: new Int32Array(0) };
}

/** Per value bin, its point masses with their cumulative shares of the bin's released count. */
function spikesByBin(h: NumericHistogram): ({ values: number[]; cumulative: number[] } | undefined)[] {
  const out: ({ values: number[]; cumulative: number[] } | undefined)[] = h.counts.map(() => undefined);
  for (const spike of h.spikes ?? []) {
    const k = binOf(h, spike.value);
    if (k < 0 || !(h.counts[k] > 0)) continue;
    const bin = (out[k] ??= { values: [], cumulative: [] });
    const before = bin.cumulative.length ? bin.cumulative[bin.cumulative.length - 1] : 0;
    bin.values.push(spike.value);
    bin.cumulative.push(Math.min(1, before + spike.count / h.counts[k]));
  }
  return out;
}

/** The point mass a uniform u falls on, or undefined for the rest of the bin. */
function spikeIn(bin: { values: number[]; cumulative: number[] }, u: number): number | undefined {
  const i = bin.cumulative.findIndex((c) => u < c);
  return i < 0 ? undefined : bin.values[i];
}

/** The value bin of a released histogram holding x, or -1 outside its range. */
function binOf(h: NumericHistogram, x: number): number {
  const bins = h.counts.length;
  if (!(x >= h.edges[0] && x <= h.edges[bins])) return -1;
  let lo = 0;
  let hi = bins - 1;
  // Bins are [lo, hi), the last one closed.
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (h.edges[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export interface SlotDraw {
  draw: (random: Random) => number;
}

/** Per cell, a draw among its slots by their own weights (evenly if the release left them all empty). */
export function slotsByCell(cellOfSlot: number[], weights: number[]): SlotDraw[] {
  const cells = Math.max(...cellOfSlot) + 1;
  return Array.from({ length: cells }, (_, cell) => {
    const members = cellOfSlot.flatMap((c, slot) => (c === cell ? [slot] : []));
    const w = members.map((slot) => weights[slot]);
    const even = !(w.reduce((a, b) => a + b, 0) > 0);
    return { draw: (random: Random) => members[even ? random.int(members.length) : random.categorical(w)] };
  });
}
