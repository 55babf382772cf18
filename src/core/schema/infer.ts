import * as path from 'node:path';
import { readCsv, type CsvFileInfo, type ReadOptions } from '../csv/reader';
import { detach, Random, Reservoir } from '../random';
import { HyperLogLog } from './hll';
import { DATE_FORMATS, formatDate, isDatetimeFormat, parseDate } from './dates';
import { detectIdentifier } from './identifiers';
import {
  SCHEMA_VERSION,
  type CategoryCount,
  type ColumnKind,
  type ColumnSchema,
  type DateFormat,
  type NumberFormat,
  type Schema,
} from './types';

/** Tokens that mean "no value" in real files, quoted or not. */
export const MISSING_TOKENS: ReadonlySet<string> = new Set([
  '',
  'NA',
  'N/A',
  'n/a',
  'na',
  '#N/A',
  'NULL',
  'null',
  'NaN',
  'nan',
  '?',
  '.',
  '-',
]);

/**
 * Inference rules, in one place so they can be documented and tested.
 * - An integer column with at most CATEGORICAL_INTEGER_MAX distinct values is categorical
 *   (0/1 only: boolean); more distinct values stay integer.
 * - An integer column whose name says it holds codes (`CODE`, `icd_code`, `snomed`) with at most
 *   CATEGORICAL_STRING_MAX distinct values is categorical.
 * - A string column is categorical when it has at most CATEGORICAL_STRING_MAX distinct values
 *   and each appears CATEGORICAL_MIN_MEAN_COUNT times on average; otherwise it is free text.
 */
export const INFERENCE_RULES = {
  CATEGORICAL_INTEGER_MAX: 10,
  CATEGORICAL_STRING_MAX: 200,
  CATEGORICAL_MIN_MEAN_COUNT: 5,
  /** Exact counts are kept for this many distinct values per column; beyond, an estimate. */
  DISTINCT_TRACK_MAX: 1000,
  SAMPLE_SIZE: 1000,
} as const;

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEAN_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['yes', 'no'],
  ['y', 'n'],
  ['true', 'false'],
  ['t', 'f'],
  ['1', '0'],
];

export interface InferOptions extends ReadOptions {
  seed?: number;
}

/** Read `file` once and describe every column. Memory is bounded whatever the file size. */
export async function inferSchema(file: string, options: InferOptions = {}): Promise<Schema> {
  const random = new Random(options.seed ?? 0);
  let stats: ColumnStats[] | undefined;
  const info = await readCsv(
    file,
    (fields, line, quoted) => {
      if (!stats) stats = fields.map(() => new ColumnStats(random.fork()));
      for (let i = 0; i < fields.length; i++) stats[i].add(fields[i], quoted ? quoted[i] : false, line);
    },
    { ...options, trackQuoted: true },
  );
  return buildSchema(info, stats ?? []);
}

export function buildSchema(info: CsvFileInfo, stats: ColumnStats[]): Schema {
  const notes = info.notes.slice();
  const columns = info.header.names.map((name, index) => {
    const column = stats[index].finish(name, index, info.rowCount);
    const written = info.header.written[index];
    if (written !== undefined && written !== name) column.header = written;
    return column;
  });
  const padded = columns.filter((c) => c.warnings?.some((w) => w.startsWith('values are space-padded')));
  if (padded.length) notes.push(`Values in ${padded.length} column(s) are space-padded; they are read trimmed.`);
  return {
    version: SCHEMA_VERSION,
    generator: 'synthetic-csv',
    source: { file: path.basename(info.file), bytes: info.bytes },
    dialect: info.dialect,
    headerQuoted: info.header.quoted,
    rowCount: info.rowCount,
    columns,
    ...(notes.length ? { notes } : {}),
  };
}

export function trimValue(raw: string): string {
  const n = raw.length;
  if (n === 0) return raw;
  return raw.charCodeAt(0) <= 32 || raw.charCodeAt(n - 1) <= 32 ? raw.trim() : raw;
}

/** One column's statistics, gathered value by value in a single pass. */
export class ColumnStats {
  private rows = 0;
  private missing = 0;
  private readonly missingTokens = new Map<string, { count: number; quoted: number }>();
  private quotedValues = 0;
  private padded = 0;

  private readonly counts = new Map<string, number>();
  private countsOverflow = false;
  private readonly hll = new HyperLogLog();
  private readonly sample: Reservoir<string>;

  // Numbers
  private numeric = true;
  private integral = true;
  private leadingZero = false;
  private min = Infinity;
  private max = -Infinity;
  private decimals = 0;
  private decimalsFixed = true;
  private firstDecimals = -1;
  private exponentValues = 0;
  private exponentStyle: NumberFormat['exponent'];
  private firstNonNumeric: { value: string; line: number } | undefined;
  private nonNumericCount = 0;
  private numericCount = 0;
  private ascendingByOne = true;
  private previousInteger = NaN;
  private firstInteger = NaN;

  // Dates
  private dateFormats: DateFormat[] | undefined;
  private readonly dateRanges = new Map<DateFormat, { min: number; max: number }>();

  // Text
  private maxLength = 0;
  private totalLength = 0;

  constructor(random: Random) {
    this.sample = new Reservoir<string>(INFERENCE_RULES.SAMPLE_SIZE, random, detach);
  }

  add(raw: string, quoted: boolean, line: number): void {
    this.rows++;
    const value = trimValue(raw);
    if (value.length !== raw.length) this.padded++;
    if (value.length <= 4 && MISSING_TOKENS.has(value)) {
      this.missing++;
      let token = this.missingTokens.get(value);
      if (!token) this.missingTokens.set(value, (token = { count: 0, quoted: 0 }));
      token.count++;
      if (quoted) token.quoted++;
      this.ascendingByOne = false;
      return;
    }
    if (quoted) this.quotedValues++;

    if (!this.countsOverflow) {
      const c = this.counts.get(value);
      if (c !== undefined) this.counts.set(value, c + 1);
      else if (this.counts.size < INFERENCE_RULES.DISTINCT_TRACK_MAX) this.counts.set(detach(value), 1);
      else this.countsOverflow = true;
    }
    this.hll.add(value);
    this.sample.add(value);
    if (value.length > this.maxLength) this.maxLength = value.length;
    this.totalLength += value.length;

    if (this.numeric) this.addNumber(value, line);
    if (this.dateFormats === undefined || this.dateFormats.length > 0) this.addDate(value);
  }

  private addNumber(value: string, line: number): void {
    if (!NUMBER.test(value)) {
      this.nonNumericCount++;
      if (!this.firstNonNumeric) this.firstNonNumeric = { value: detach(value), line };
      // A handful of stray strings in a numeric column is worth a warning, many is a string column.
      if (this.nonNumericCount > 3) this.numeric = false;
      return;
    }
    const x = Number(value);
    this.numericCount++;
    const c0 = value.charCodeAt(0);
    const digitStart = c0 === 43 || c0 === 45 ? 1 : 0; // + or -
    if (value.charCodeAt(digitStart) === 48 && value.length > digitStart + 1) {
      const next = value.charCodeAt(digitStart + 1);
      if (next >= 48 && next <= 57) this.leadingZero = true; // 007: a code, not a number
    }
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (!Number.isInteger(x)) this.integral = false;

    const e = value.search(/[eE]/);
    const mantissa = e >= 0 ? value.slice(0, e) : value;
    const dot = mantissa.indexOf('.');
    const places = dot >= 0 ? mantissa.length - dot - 1 : 0;
    if (e >= 0) {
      this.exponentValues++;
      if (this.exponentStyle && value.charCodeAt(e + 1) === 43) this.exponentStyle.explicitPlus = true;
      if (!this.exponentStyle) {
        const exp = value.slice(e + 1);
        this.exponentStyle = {
          upperCase: value[e] === 'E',
          mantissaDecimals: places,
          exponentDigits: exp.replace(/^[+-]/, '').length,
          explicitPlus: exp.startsWith('+'),
        };
      }
    } else {
      if (places > this.decimals) this.decimals = places;
      if (this.firstDecimals < 0) this.firstDecimals = places;
      else if (places !== this.firstDecimals) this.decimalsFixed = false;
    }

    if (Number.isInteger(x)) {
      if (Number.isNaN(this.previousInteger)) this.firstInteger = x;
      else if (x !== this.previousInteger + 1) this.ascendingByOne = false;
      this.previousInteger = x;
    } else {
      this.ascendingByOne = false;
    }
  }

  private addDate(value: string): void {
    const c = value.charCodeAt(0);
    if (value.length < 10 || value.length > 24 || c < 48 || c > 57) {
      this.dateFormats = [];
      return;
    }
    const candidates = this.dateFormats ?? DATE_FORMATS;
    const kept: DateFormat[] = [];
    for (const format of candidates) {
      const n = parseDate(value, format);
      if (n === undefined) continue;
      kept.push(format);
      // dd/mm and mm/dd read the same text as different days, so each keeps its own range.
      const range = this.dateRanges.get(format);
      if (!range) this.dateRanges.set(format, { min: n, max: n });
      else if (n < range.min) range.min = n;
      else if (n > range.max) range.max = n;
    }
    this.dateFormats = kept;
  }

  private distinct(): { count: number; exact: boolean } {
    if (!this.countsOverflow) return { count: this.counts.size, exact: true };
    return { count: Math.max(Math.round(this.hll.estimate()), this.counts.size + 1), exact: false };
  }

  finish(name: string, index: number, rowCount: number): ColumnSchema {
    const nonMissing = this.rows - this.missing;
    const distinct = this.distinct();
    const warnings: string[] = [];
    const column: ColumnSchema = {
      name,
      index,
      kind: 'text',
      missingCount: this.missing,
      missingRate: rowCount > 0 ? this.missing / rowCount : 0,
      missingToken: null,
      quoting: this.quotedValues === 0 ? 'never' : this.quotedValues === nonMissing ? 'always' : 'as-needed',
      distinctCount: distinct.count,
      distinctExact: distinct.exact,
    };
    if (this.missing > 0) {
      let best: [string, { count: number; quoted: number }] | undefined;
      for (const entry of this.missingTokens) if (!best || entry[1].count > best[1].count) best = entry;
      column.missingToken = best![0];
      if (best![1].quoted * 2 > best![1].count) column.missingQuoted = true;
      if (this.missingTokens.size > 1) {
        warnings.push(`missing values are written in ${this.missingTokens.size} ways (${[...this.missingTokens.keys()].map((t) => JSON.stringify(t)).join(', ')}); output uses ${JSON.stringify(best![0])}`);
      }
    }
    if (this.padded > 0) warnings.push(`values are space-padded in ${this.padded} rows; they are read trimmed`);

    const kind = this.decideKind(name, nonMissing, distinct, column, warnings);
    column.kind = kind;
    if (column.missingRate >= 0.5 && nonMissing > 0) {
      warnings.push(`${(column.missingRate * 100).toFixed(0)} % of values are missing`);
    }
    if (warnings.length) column.warnings = warnings;
    return column;
  }

  private decideKind(
    name: string,
    nonMissing: number,
    distinct: { count: number; exact: boolean },
    column: ColumnSchema,
    warnings: string[],
  ): ColumnKind {
    if (nonMissing === 0) {
      warnings.push('every value is missing');
      return 'constant';
    }
    if (distinct.exact && distinct.count === 1 && this.missing === 0) {
      column.categories = this.categoryList(false);
      return 'constant';
    }

    const numeric = this.numeric && this.nonNumericCount === 0 && !this.leadingZero;
    if (this.numeric && this.nonNumericCount > 0 && this.numericCount > 0 && this.firstNonNumeric) {
      warnings.push(
        `looks numeric but ${this.nonNumericCount} value(s) are not numbers, first ${JSON.stringify(this.firstNonNumeric.value)} on line ${this.firstNonNumeric.line}; it is treated as text-valued`,
      );
    }
    const integerColumn = numeric && this.integral;

    const identifier = detectIdentifier({
      name,
      sample: this.sample.items,
      nonMissing,
      missing: this.missing,
      distinctCount: distinct.count,
      distinctExact: distinct.exact,
      isIntegerColumn: integerColumn,
      sortedAscendingByOne: integerColumn && this.ascendingByOne && this.missing === 0,
      firstIntegerValue: Number.isNaN(this.firstInteger) ? undefined : this.firstInteger,
    });
    if (identifier) {
      column.identifier = identifier;
      warnings.push(
        identifier.direct
          ? `direct identifier (${identifier.type}): ${identifier.reason}; it is ${identifier.handling === 'drop' ? 'dropped' : 'regenerated'}, never learned`
          : `identifier (${identifier.type}): ${identifier.reason}; it is ${identifier.handling === 'drop' ? 'dropped' : 'regenerated'}, never learned`,
      );
      if (integerColumn) this.describeNumbers(column);
      return 'identifier';
    }

    if (numeric) {
      this.describeNumbers(column);
      if (this.integral && distinct.exact && distinct.count <= INFERENCE_RULES.CATEGORICAL_INTEGER_MAX) {
        column.categories = this.categoryList(true);
        return isBooleanPair(column.categories.map((c) => c.value)) ? 'boolean' : 'categorical';
      }
      if (this.integral && distinct.exact && isCodeName(name) && distinct.count <= INFERENCE_RULES.CATEGORICAL_STRING_MAX) {
        // Numeric codes (SNOMED, ICD numbers, FIPS) name categories; their arithmetic means nothing.
        column.categories = this.categoryList(false);
        return 'categorical';
      }
      return this.integral ? 'integer' : 'continuous';
    }

    if (this.dateFormats && this.dateFormats.length > 0) {
      // dd/mm/yyyy and mm/dd/yyyy can both survive when no day exceeded 12: UK order wins then.
      const format = this.dateFormats[0];
      column.dateFormat = format;
      const range = this.dateRanges.get(format)!;
      column.min = formatDate(range.min, format);
      column.max = formatDate(range.max, format);
      if (this.dateFormats.includes('DD/MM/YYYY') && this.dateFormats.includes('MM/DD/YYYY')) {
        warnings.push('day and month order is ambiguous (no day above 12); read as dd/mm/yyyy');
      }
      return isDatetimeFormat(format) ? 'datetime' : 'date';
    }

    if (distinct.exact) {
      const values = [...this.counts.keys()];
      if (distinct.count === 2 && isBooleanPair(values)) {
        column.categories = this.categoryList(false);
        return 'boolean';
      }
      if (
        distinct.count <= INFERENCE_RULES.CATEGORICAL_STRING_MAX &&
        nonMissing / distinct.count >= INFERENCE_RULES.CATEGORICAL_MIN_MEAN_COUNT
      ) {
        column.categories = this.categoryList(false);
        if (this.leadingZero) warnings.push('codes with leading zeros are kept as text categories');
        return 'categorical';
      }
    }
    column.text = { maxLength: this.maxLength, meanLength: this.totalLength / nonMissing };
    warnings.push(
      `free text or high-cardinality values (${distinct.exact ? '' : 'about '}${distinct.count} distinct): not learned; the synthetic column is left blank`,
    );
    return 'text';
  }

  private describeNumbers(column: ColumnSchema): void {
    column.min = this.min;
    column.max = this.max;
    const format: NumberFormat = { decimals: this.decimals, fixed: this.decimalsFixed };
    if (this.exponentStyle && this.exponentValues * 2 > this.rows - this.missing) format.exponent = this.exponentStyle;
    column.number = format;
  }

  private categoryList(numericOrder: boolean): CategoryCount[] {
    const list = [...this.counts].map(([value, count]) => ({ value, count }));
    if (numericOrder) list.sort((a, b) => Number(a.value) - Number(b.value));
    else list.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    return list;
  }
}

/** A column name whose words say it holds codes: `code`, `reasoncode`, `icd_code`, `snomed`. */
function isCodeName(name: string): boolean {
  return /code$|^code|_code|\bcode\b|snomed|icd/i.test(name);
}

function isBooleanPair(values: string[]): boolean {
  if (values.length !== 2) return false;
  const a = values[0].toLowerCase();
  const b = values[1].toLowerCase();
  return BOOLEAN_PAIRS.some(([t, f]) => (a === t && b === f) || (a === f && b === t));
}
