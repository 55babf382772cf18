import { publicBounds } from './schema/public-bounds';
import type { Schema } from './schema/types';
import type { ColumnData } from './table';

/** Rows tried for each end of a column, most extreme first, before the end is given up. */
const CANDIDATES = 16;

/** A column whose observed range the rows do not reach, and why. */
export interface UnreachedRange {
  column: string;
  /** `rules`: no row among the most extreme could take a bound without breaking a rule; `entities`: the grouping into entities sets its values. */
  reason: 'rules' | 'entities';
}

/**
 * Columns whose bounds are declared public as observed (the data's own smallest and largest
 * values, as a data dictionary publishes them) reach both in the synthetic rows. A model's tails
 * thin out under the noise long before the values end (rhc's `edu`, 0 to 30 years, was written 4
 * to 19), and the first thing a user compares is the range; so is every comparison that bins each
 * file over its own range (SDMetrics's pair trends shift every bin when a column stops short). In
 * the rows given (the first chunk drawn), the row holding the column's largest value takes the
 * maximum and the row holding its smallest the minimum: the least change to any row. A row that
 * would then break a rule the rows keep is left as it was, and the next most extreme is tried.
 * Post-processing of synthetic rows with declared facts: no privacy cost. Returns the columns
 * whose range could not be reached, and why.
 */
export function reachObservedRanges(
  schema: Schema,
  columns: ColumnData[],
  rows: number,
  keepsRules: (row: number) => boolean,
  /** Columns whose values something else sets (entity constants and dates). */
  setElsewhere: (index: number) => boolean,
): UnreachedRange[] {
  const unreached: UnreachedRange[] = [];
  for (const column of schema.columns) {
    if (!column.public?.bounds?.observed || column.exclude) continue;
    if (setElsewhere(column.index)) {
      unreached.push({ column: column.name, reason: 'entities' });
      continue;
    }
    const data = columns[column.index];
    const bounds = publicBounds(column);
    if (!bounds || data?.type !== 'numeric') continue;
    const { values } = data;
    const present: number[] = [];
    for (let r = 0; r < rows; r++) if (!Number.isNaN(values[r])) present.push(r);
    present.sort((a, b) => values[a] - values[b]);
    const taken = new Set<number>();
    const reach = (target: number, order: number[], beyond: (value: number) => boolean): boolean => {
      // Reached already (a date written as an offset from another may even pass it).
      if (order.length && (values[order[0]] === target || beyond(values[order[0]]))) {
        taken.add(order[0]);
        return true;
      }
      for (const row of order.slice(0, CANDIDATES)) {
        if (taken.has(row)) continue;
        const was = values[row];
        values[row] = target;
        if (keepsRules(row)) {
          taken.add(row);
          return true;
        }
        values[row] = was;
      }
      return false;
    };
    const low = reach(bounds.min, present, (value) => value < bounds.min);
    const high = reach(bounds.max, present.reverse(), (value) => value > bounds.max);
    if (!low || !high) unreached.push({ column: column.name, reason: 'rules' });
  }
  return unreached;
}

/** The schema without observed ranges: rows drawn to be filtered (sample --where) are a subset, whose range is not the file's. */
export function withoutObservedRanges(schema: Schema): Schema {
  if (!schema.columns.some((c) => c.public?.bounds?.observed)) return schema;
  return {
    ...schema,
    columns: schema.columns.map((c) => {
      if (!c.public?.bounds?.observed) return c;
      const { observed: _observed, ...bounds } = c.public.bounds;
      return { ...c, public: { ...c.public, bounds } };
    }),
  };
}
