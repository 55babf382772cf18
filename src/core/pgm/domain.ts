import { slotsOf, type ColumnHistogram } from '../privacy/preprocess';
import { slotWeights } from '../release/types';
import type { Table } from '../table';

/**
 * The graphical model's domain for one column: its released histogram's slots (numeric: value
 * bins, then zero, then missing; categorical: levels, then missing) grouped into cells. It is
 * built from the released histogram alone (post-processing), never from the rows.
 */
export interface ColumnDomain {
  /** Schema index of the column. */
  column: number;
  /** Cell of each slot of the column's released histogram. */
  cellOfSlot: number[];
  cells: number;
}

/**
 * Value bins of a numeric column grouped into at most this many cells of about equal released
 * mass: a 2-way marginal of two such columns has about 1,000 cells, each holding enough rows on
 * adult.csv to stand above the noise at ε 1. Within a cell, values follow the finer histogram.
 */
export const MAX_VALUE_CELLS = 32;

/**
 * A column's cells. `minCellMass` (released rows) is MST's compression: slots holding less than it
 * in the release (rare categories, a rare zero or missing slot) share one cell, and a numeric
 * column gets at most one value cell per `minCellMass` rows, so that the pair marginals' cells
 * stand above their noise. Within a cell, slots keep their released proportions.
 */
export function columnDomain(column: number, h: ColumnHistogram, minCellMass = 0, apart?: ReadonlySet<string>): ColumnDomain {
  const weights = slotWeights(h);
  const total = weights.reduce((a, b) => a + b, 0);
  // Noise hid everything: one cell, values spread evenly over the slots.
  if (!(total > 0)) return { column, cellOfSlot: weights.map(() => 0), cells: 1 };
  const cellOfSlot = new Array<number>(weights.length).fill(-1);
  let cells = 0;
  if (h.type === 'numeric') {
    const bins = h.counts.length;
    const mass = h.counts.reduce((a, b) => a + b, 0);
    const valueCells = Math.max(1, Math.min(MAX_VALUE_CELLS, minCellMass > 0 ? Math.floor(mass / minCellMass) : MAX_VALUE_CELLS));
    if (mass > 0 && h.integerBins && bins <= MAX_VALUE_CELLS) {
      // A whole number with few values (a level's code: adult's education_num) keeps one cell per
      // value that stands above the noise, as a category does, so that a pair's counts show which
      // value goes with which (equal-mass cells put its four rarest values in one cell). A run of
      // rare neighbouring values shares one cell; empty values join their neighbours.
      let open = false;
      for (let i = 0; i < bins; i++) {
        const rare = h.counts[i] < minCellMass;
        if (!(h.counts[i] > 0)) {
          cellOfSlot[i] = Math.max(0, cells - 1);
          continue;
        }
        if (!rare || !open) cells++;
        cellOfSlot[i] = cells - 1;
        open = rare;
      }
    } else if (mass > 0) {
      let remaining = mass;
      let acc = 0;
      for (let i = 0; i < bins; i++) {
        cellOfSlot[i] = cells;
        acc += h.counts[i];
        remaining -= h.counts[i];
        // A new cell once this one holds its share, unless only empty bins follow (they join it).
        if (acc >= ((cells + 1) * mass) / valueCells && remaining > 1e-9 && cells < valueCells - 1) cells++;
      }
      cells++;
    }
  }
  // Every other slot with enough released mass is a cell of its own; the rare ones share one.
  // Levels a declared rule names stay apart however rare: the rule layer reads their pairs off
  // the model's rows, and in a shared cell they take the cell-mates' pairs (the demo's O82.0,
  // 32 released rows, beside Transfer's "Other" in admission_method's rare cell: O82.0 was set to
  // "Other" in 1 run of 40 and 19 rows broke its declared rule).
  let rareCell = -1;
  const rare: number[] = [];
  for (let slot = 0; slot < weights.length; slot++) {
    if (cellOfSlot[slot] >= 0 || !(weights[slot] > 0)) continue;
    const named = h.type === 'categorical' && slot < h.levels.length && apart?.has(h.levels[slot]);
    if (weights[slot] >= minCellMass || named) cellOfSlot[slot] = cells++;
    else rare.push(slot);
  }
  if (rare.length) {
    rareCell = cells++;
    for (const slot of rare) cellOfSlot[slot] = rareCell;
  }
  // Slots the release shows empty join the fullest slot's cell: rows there (if any) are counted,
  // and within the cell they are never drawn, their weight being 0.
  const fullest = cellOfSlot[weights.indexOf(Math.max(...weights))];
  for (let slot = 0; slot < weights.length; slot++) if (cellOfSlot[slot] < 0) cellOfSlot[slot] = fullest;
  return { column, cellOfSlot, cells };
}

/** Each row's cell in a column's domain, binned exactly as the column's histogram was released. */
export function rowCells(domain: ColumnDomain, h: ColumnHistogram, table: Table, otherLabel: string): Int32Array {
  const slots = slotsOf(h, table.columns[domain.column], otherLabel);
  const cells = new Int32Array(slots.length);
  for (let r = 0; r < slots.length; r++) cells[r] = domain.cellOfSlot[slots[r]];
  return cells;
}
