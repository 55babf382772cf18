import { formatDate, parseDate } from './dates';
import type { ColumnSchema, GroupSeparator, NumberFormat } from './types';

/** A plain number as JavaScript reads it: `-1.5`, `.5`, `2.50E-01`. */
export const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A cell a spreadsheet may run as a formula: it starts with =, +, -, @, tab or CR (numbers such as `-5` aside). */
export function isFormulaLike(value: string): boolean {
  // The first character by code, not a regular expression: the schema pass asks this of every value.
  // (OWASP: a tab or CR before =, +, -, @ stops a spreadsheet reading the cell as a formula.)
  const c = value.charCodeAt(0);
  if (c !== 61 && c !== 43 && c !== 45 && c !== 64 && c !== 9 && c !== 13) return false;
  return plainNumberExponent(value) === NOT_PLAIN;
}

const NOT_PLAIN = -2;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Where the exponent's letter is in a PLAIN_NUMBER (-1 when it has none), or NOT_PLAIN: the
 * regular expression scanned by hand, since the schema pass asks it of every value.
 */
function plainNumberExponent(text: string): number {
  const n = text.length;
  let i = 0;
  let c = text.charCodeAt(0);
  if (c === 43 || c === 45) i++;
  const integerStart = i;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  const integerDigits = i - integerStart;
  let fractionDigits = 0;
  if (i < n && text.charCodeAt(i) === 46) {
    const fractionStart = ++i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    fractionDigits = i - fractionStart;
  }
  if (integerDigits === 0 && fractionDigits === 0) return NOT_PLAIN;
  if (i === n) return -1;
  c = text.charCodeAt(i);
  if (c !== 101 && c !== 69) return NOT_PLAIN;
  const e = i++;
  c = text.charCodeAt(i);
  if (c === 43 || c === 45) i++;
  const exponentStart = i;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  return i > exponentStart && i === n ? e : NOT_PLAIN;
}

/** Powers of ten that doubles hold exactly. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * Number(text) of a plain number without exponent. With at most 15 digits, the digits as an integer
 * and the power of ten are both exact, so their quotient is the correctly rounded value Number()
 * gives (Clinger's fast path); longer numbers go to Number().
 */
function plainDecimalValue(text: string): number {
  const n = text.length;
  let i = 0;
  const c = text.charCodeAt(0);
  const negative = c === 45;
  if (negative || c === 43) i++;
  let digits = 0;
  let mantissa = 0;
  let places = -1;
  for (; i < n; i++) {
    const d = text.charCodeAt(i);
    if (d === 46) {
      places = 0;
      continue;
    }
    mantissa = mantissa * 10 + (d - 48);
    digits++;
    if (places >= 0) places++;
  }
  if (digits > 15) return Number(text);
  const value = places > 0 ? mantissa / EXACT_POWERS_OF_TEN[places] : mantissa;
  return negative ? -value : value;
}

/** One number as written: its value and the parts of its look. */
export interface NumberReading {
  value: number;
  /** Digits after the decimal separator (of the mantissa, in scientific notation). */
  places: number;
  /** Power of ten of scientific notation, 0 otherwise. */
  exponent: number;
  /** The grouping character used, or null. */
  group: GroupSeparator | null;
  prefix: string;
  suffix: string;
}

// Currency symbols, optionally after a country's letters (US$, A$), and % or a symbol after.
const PREFIX = /^(?:[A-Z]{1,2})?[$£€¥₹](?:[ \u00a0])?/;
const SUFFIX = /(?:[ \u00a0])?(?:[%‰]|[$£€¥₹])$/;
const BODY: Record<'.' | ',', RegExp> = {
  '.': /^(?:(\d{1,3})([, \u00a0\u202f'])(\d{3}(?:\2\d{3})*)|(\d*))(?:\.(\d*))?$/,
  ',': /^(?:(\d{1,3})([. \u00a0\u202f'])(\d{3}(?:\2\d{3})*)|(\d*))(?:,(\d*))?$/,
};

/**
 * Read `text` as a number whose decimal separator is `decimal`, accepting digit grouping, a sign,
 * a currency prefix and a `%` or currency suffix. Undefined when it is not such a number.
 */
export function readNumber(text: string, decimal: '.' | ',' = '.'): NumberReading | undefined {
  const e = plainNumberExponent(text);
  if (e !== NOT_PLAIN) {
    const mantissa = e >= 0 ? text.slice(0, e) : text;
    if (decimal === ',' && (e >= 0 || mantissa.includes('.'))) {
      if (e >= 0) return undefined;
      return readFormatted(text, decimal);
    }
    const dot = mantissa.indexOf('.');
    return {
      value: e >= 0 ? Number(text) : plainDecimalValue(text),
      places: dot >= 0 ? mantissa.length - dot - 1 : 0,
      exponent: e >= 0 ? Number(text.slice(e + 1)) : 0,
      group: null,
      prefix: '',
      suffix: '',
    };
  }
  return readFormatted(text, decimal);
}

function readFormatted(text: string, decimal: '.' | ','): NumberReading | undefined {
  let rest = text;
  let negative = false;
  const sign = (): void => {
    const c = rest.charCodeAt(0);
    if (c === 45 || c === 43 || c === 0x2212) {
      negative = c !== 43;
      rest = rest.slice(1);
    }
  };
  sign();
  const prefix = PREFIX.exec(rest)?.[0] ?? '';
  rest = rest.slice(prefix.length);
  if (prefix && !negative) sign();
  const suffix = SUFFIX.exec(rest)?.[0] ?? '';
  rest = rest.slice(0, rest.length - suffix.length);
  const m = BODY[decimal].exec(rest);
  if (!m) return undefined;
  const grouped = m[1] !== undefined;
  const integer = grouped ? m[1] + m[3].split(m[2]).join('') : m[4];
  const fraction = m[5] ?? '';
  if (integer === '' && fraction === '') return undefined;
  if (grouped && m[1].charCodeAt(0) === 48) return undefined; // 0,123 groups nothing
  const value = Number(`${integer || '0'}.${fraction || '0'}`);
  return {
    value: negative ? -value : value,
    places: fraction.length,
    exponent: 0,
    group: grouped ? (m[2] as GroupSeparator) : null,
    prefix,
    suffix,
  };
}

/** Read a value of a numeric column written in `format`; undefined when it is not one. */
export function parseNumber(text: string, format: NumberFormat | undefined): number | undefined {
  if (!format?.decimalSeparator && !format?.groupSeparator && !format?.prefix && !format?.suffix) {
    return PLAIN_NUMBER.test(text) ? Number(text) : undefined;
  }
  const reading = readNumber(text, format.decimalSeparator ?? '.');
  if (!reading) return undefined;
  if (reading.group !== null && reading.group !== (format.groupSeparator ?? null)) return undefined;
  // The column's own symbol or none (a bare `0` in a currency column); never another unit.
  if (reading.prefix && reading.prefix !== format.prefix) return undefined;
  if (reading.suffix && reading.suffix !== format.suffix) return undefined;
  return reading.value;
}

const MAX_POINT_DECIMALS = 10;

/** Fewest decimals that write x exactly (at most MAX_POINT_DECIMALS). */
function exactDecimals(x: number): number {
  for (let d = 0; d < MAX_POINT_DECIMALS; d++) if (Number(x.toFixed(d)) === x) return d;
  return MAX_POINT_DECIMALS;
}

/**
 * Write a number the way its column was written in the source file: the same decimal places
 * (padded when the source padded them), separators, currency or percent sign, integers rounded,
 * scientific notation kept.
 */
export function formatNumber(x: number, format: NumberFormat | undefined, integer: boolean): string {
  if (integer) x = Math.round(x);
  if (format?.exponent) return formatExponent(x, format.exponent);
  const point = format?.points?.includes(x) ? x : undefined;
  const decimals = point !== undefined ? Math.max(format?.decimals ?? 0, exactDecimals(point)) : (format?.decimals ?? (integer ? 0 : 6));
  let text = x.toFixed(decimals);
  if (!format?.fixed && decimals > 0 && text.includes('.')) text = text.replace(/\.?0+$/, '');
  if (text.startsWith('-') && Number(text) === 0) text = text.slice(1);
  if (!format?.decimalSeparator && !format?.groupSeparator && !format?.prefix && !format?.suffix) return text;
  const negative = text.startsWith('-');
  if (negative) text = text.slice(1);
  const dot = text.indexOf('.');
  let whole = dot >= 0 ? text.slice(0, dot) : text;
  const fraction = dot >= 0 ? text.slice(dot + 1) : '';
  if (format.groupSeparator) whole = whole.replace(/\B(?=(\d{3})+$)/g, format.groupSeparator);
  const body = whole + (dot >= 0 ? (format.decimalSeparator ?? '.') + fraction : '');
  return (negative ? '-' : '') + (format.prefix ?? '') + body + (format.suffix ?? '');
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
  if (column.kind === 'date' || column.kind === 'datetime') return formatDate(x, column.dateFormat!, column.utcOffset);
  return formatNumber(x, column.number, column.kind === 'integer');
}

/** Read a value of a numeric or date column as the schema says it is written; undefined if not. */
export function parseNumericValue(column: ColumnSchema, text: string): number | undefined {
  if (column.kind === 'date' || column.kind === 'datetime') {
    const n = parseDate(text, column.dateFormat!);
    if (n !== undefined || !column.otherDateFormats) return n;
    for (const other of column.otherDateFormats) {
      const m = parseDate(text, other);
      if (m !== undefined) return m;
    }
    return undefined;
  }
  const x = parseNumber(text, column.number);
  return x !== undefined && Number.isFinite(x) ? x : undefined;
}
