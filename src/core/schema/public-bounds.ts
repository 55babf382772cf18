import { parseDate } from './dates';
import type { ColumnSchema } from './types';

/** A column's declared public bounds as numbers (dates as their parsed values), or undefined when none are declared. */
export function publicBounds(column: ColumnSchema): { min: number; max: number } | undefined {
  const bounds = column.public?.bounds;
  if (!bounds) return undefined;
  if (typeof bounds.min === 'number' && typeof bounds.max === 'number') return { min: bounds.min, max: bounds.max };
  const min = parseDate(String(bounds.min), column.dateFormat!);
  const max = parseDate(String(bounds.max), column.dateFormat!);
  if (min === undefined || max === undefined) throw new Error(`column ${column.name}: public bounds are not dates in ${column.dateFormat}`);
  return { min, max };
}
