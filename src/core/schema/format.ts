import { formatDate } from './dates';
import type { ColumnSchema, NumberFormat } from './types';

/**
 * Write a number the way its column was written in the source file: the same decimal places
 * (padded when the source padded them), integers rounded, scientific notation kept.
 */
export function formatNumber(x: number, format: NumberFormat | undefined, integer: boolean): string {
  if (integer) x = Math.round(x);
  if (format?.exponent) return formatExponent(x, format.exponent);
  const decimals = format?.decimals ?? (integer ? 0 : 6);
  let text = x.toFixed(decimals);
  if (!format?.fixed && decimals > 0 && text.includes('.')) text = text.replace(/\.?0+$/, '');
  if (text.startsWith('-') && Number(text) === 0) text = text.slice(1);
  return text;
}

function formatExponent(x: number, style: NonNullable<NumberFormat['exponent']>): string {
  const [mantissa, exponent] = x.toExponential(style.mantissaDecimals).split('e');
  const negative = exponent.startsWith('-');
  const digits = exponent.replace(/^[+-]/, '').padStart(style.exponentDigits, '0');
  const sign = negative ? '-' : style.explicitPlus ? '+' : '';
  return `${mantissa}${style.upperCase ? 'E' : 'e'}${sign}${digits}`;
}

/** The text of a numeric-kind value (number, or date as days/seconds) in the column's format. */
export function formatNumericValue(column: ColumnSchema, x: number): string {
  if (column.kind === 'date' || column.kind === 'datetime') return formatDate(x, column.dateFormat!);
  return formatNumber(x, column.number, column.kind === 'integer');
}
