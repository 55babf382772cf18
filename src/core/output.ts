import { formatNumericValue } from './schema/format';
import type { ColumnSchema } from './schema/types';
import type { DecodedColumn } from './transform/transformer';

/**
 * The text of every cell of one column, `null` for missing, from decoded typed values. Columns the
 * matrix does not hold come back undefined: the caller regenerates (identifiers), repeats
 * (constants) or blanks (text) them.
 */
export function columnTexts(column: ColumnSchema, data: DecodedColumn, rows: number): (string | null)[] | undefined {
  if (data.type === 'numeric') {
    const out = new Array<string | null>(rows);
    for (let r = 0; r < rows; r++) {
      const x = data.values[r];
      out[r] = Number.isNaN(x) ? null : formatNumericValue(column, x);
    }
    return out;
  }
  if (data.type === 'categorical') {
    const out = new Array<string | null>(rows);
    for (let r = 0; r < rows; r++) {
      const code = data.codes[r];
      out[r] = code < 0 ? null : data.levels[code];
    }
    return out;
  }
  if (column.kind === 'constant') {
    const value = column.categories?.[0]?.value ?? null;
    return new Array<string | null>(rows).fill(value);
  }
  return undefined;
}
