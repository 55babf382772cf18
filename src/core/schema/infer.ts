import * as path from 'node:path';
import { readCsv, type CsvFileInfo, type ReadOptions } from '../csv/reader';
import { detach, Random, Reservoir, subsampleRows } from '../random';
import { DistinctCounts } from './distinct';
import { hash32, HyperLogLog } from './hll';
import { percentForPeople } from '../percent';
import { DATE_FORMATS, daysFromCivil, formatDate, hasUtcOffset, isDatetimeFormat, parseDate, utcOffsetOf } from './dates';
import { isFormulaLike, parseNumber, readNumber, type NumberReading } from './format';
import { detectIdentifier } from './identifiers';
import { suggestPrivacyUnit } from './privacy-unit';
import {
  SCHEMA_VERSION,
  type CategoryCount,
  type ColumnKind,
  type ColumnSchema,
  type DateFormat,
  type GroupSeparator,
  type NumberFormat,
  type Schema,
  NUMERIC_KINDS,
} from './types';
import { candidateColumns, mineRules } from '../rules/mine';
import { loadTable, tableLoader, type LoadOptions, type Table } from '../table';
import { entityScan } from './entity-inference';

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
 *   and each appears CATEGORICAL_MIN_MEAN_COUNT times on average.
 * - A code-like string column (drug names, ICD-10, NDC, postcode districts) is categorical with up
 *   to CATEGORICAL_CODES_MAX distinct values when each appears CODES_MIN_MEAN_COUNT times on
 *   average and its values are short labels, not prose (at most CODES_MAX_MEAN_WORDS words on
 *   average). Anything else is free text.
 */
export const INFERENCE_RULES = {
  CATEGORICAL_INTEGER_MAX: 10,
  CATEGORICAL_STRING_MAX: 200,
  CATEGORICAL_MIN_MEAN_COUNT: 5,
  CATEGORICAL_CODES_MAX: 5000,
  CODES_MIN_MEAN_COUNT: 2.5,
  CODES_MAX_MEAN_WORDS: 4,
  /** Exact counts are kept for this many distinct values per column; beyond, an estimate. */
  DISTINCT_TRACK_MAX: 5000,
  SAMPLE_SIZE: 1000,
} as const;

/** Mean number of words per value: codes and labels have a few, notes have sentences. */
function meanWords(values: readonly string[]): number {
  if (values.length === 0) return 0;
  let words = 0;
  for (const value of values) words += value.split(/\s+/).filter(Boolean).length;
  return words / values.length;
}

const BOOLEAN_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['yes', 'no'],
  ['y', 'n'],
  ['true', 'false'],
  ['t', 'f'],
  ['1', '0'],
];

export interface InferOptions extends ReadOptions {
  seed?: number;
  /**
   * Also propose the rules the rows keep (schema `rules`): a second read keeps at most
   * RULE_MINING_ROWS random rows of at most the columns mining looks at (rules/mine.ts).
   */
  rules?: boolean;
  /**
   * Look for entities (keys whose values repeat, nested keys, columns constant per entity; default
   * true): a second read (the rules' own, when they are asked for too), only when some key column
   * repeats (entity-inference.ts).
   */
  entities?: boolean;
  /** The column the user named as the privacy unit (`--privacy-unit`): a person key whatever its name. */
  personKey?: string;
}

export const RULE_MINING_ROWS = 20_000;

/**
 * Read `file` once and describe every column, then once more for entities and rules when they
 * need it (one read serves both). Memory is bounded whatever the file size.
 */
export async function inferSchema(file: string, options: InferOptions = {}): Promise<Schema> {
  const schema = await describeColumns(file, options);
  const { rules: _r, seed: _s, entities: _e, personKey, ...read } = options;
  const entities = (options.entities ?? true) ? entityScan(schema, personKey) : undefined;
  const mining = options.rules ? miningPlan(schema, options.seed) : undefined;
  const sample = mining && tableLoader(mining.schema, read.displayName ?? path.basename(file), { ...mining.rows, onHeader: read.onHeader });
  if (entities || sample) {
    await readCsv(
      file,
      (fields, line) => {
        entities?.add(fields);
        sample?.add(fields, line);
      },
      { ...read, header: schema.dialect.header, ...(sample ? { onHeader: sample.onHeader } : {}) },
    );
  }
  if (options.entities ?? true) {
    const found = entities?.finish() ?? { entities: [], notes: [] };
    schema.entities = found.entities;
    if (found.notes.length) schema.notes = [...(schema.notes ?? []), ...found.notes];
  }
  if (mining && sample) schema.rules = mineRules({ ...schema, columns: mining.schema.columns }, sample.finish(), options.seed ?? 0);
  return schema;
}

/**
 * The first pass. Its per-column statistics (a sample, distinct counts: some 160 KB a column) are
 * released when it returns, before the entity and rule passes read the file again.
 */
async function describeColumns(file: string, options: InferOptions): Promise<Schema> {
  const random = new Random(options.seed ?? 0);
  let stats: ColumnStats[] | undefined;
  // Rows reach the columns a block at a time, column by column: on a wide file one column's
  // statistics then stay in the processor's caches for the whole block, where row by row the
  // other columns evicted them at every value. Each column still sees its values in file order.
  let block: { fields: string[]; line: number; quoted: boolean[] | undefined }[] = [];
  let blockCells = 0;
  let blockChars = 0;
  const flush = (): void => {
    for (let i = 0; i < stats!.length; i++) {
      const column = stats![i];
      for (const row of block) column.add(row.fields[i], row.quoted ? row.quoted[i] : false, row.line);
    }
    block = [];
    blockCells = 0;
    blockChars = 0;
  };
  const info = await readCsv(
    file,
    (fields, line, quoted) => {
      if (!stats) stats = fields.map(() => new ColumnStats(random.fork()));
      block.push({ fields, line, quoted });
      blockCells += fields.length;
      for (const field of fields) blockChars += field.length;
      if (blockCells >= BLOCK_CELLS || blockChars >= BLOCK_CHARS || block.length >= BLOCK_ROWS) flush();
    },
    { ...options, trackQuoted: true },
  );
  if (block.length) flush();
  return buildSchema(info, stats ?? []);
}

/**
 * A block of rows holds about this many values, at most this much text (long notes), and at most
 * this many rows: on a narrow file 32,768 values had left the processor's caches by the time the
 * later columns read them (the schema pass of an 18-column file took some 15-20 % more time).
 */
const BLOCK_CELLS = 32_768;
const BLOCK_CHARS = 1 << 20;
const BLOCK_ROWS = 512;

/**
 * What the rule pass reads: at most RULE_MINING_ROWS random rows (`rows`, for loading) of the
 * columns mining looks at (candidateColumns; in `schema`, the others are excluded, not loaded); in
 * memory at most RULE_MINING_ROWS x the candidate columns x 8 bytes, whatever the file's width or
 * length.
 */
function miningPlan(schema: Schema, seed = 0): { schema: Schema; rows: Pick<LoadOptions, 'select' | 'selectedRows'> } {
  const needed = candidateColumns(schema).all;
  const narrowed = { ...schema, columns: schema.columns.map((c, i) => (needed.has(i) ? c : { ...c, exclude: true })) };
  const picked = subsampleRows(schema.rowCount, RULE_MINING_ROWS, new Random(seed));
  // Rows come in order and `picked` is sorted: a cursor, not a flag per row of the file.
  let next = 0;
  const select = (row: number): boolean => (picked![next] === row ? (next++, true) : false);
  return { schema: narrowed, rows: picked ? { select, selectedRows: picked.length } : {} };
}

/** The rule pass's sample of `file` (see miningPlan), read on its own. */
export async function miningSample(file: string, schema: Schema, options: InferOptions = {}): Promise<{ schema: Schema; table: Table }> {
  const plan = miningPlan(schema, options.seed);
  const { rules: _rules, seed: _seed, entities: _entities, personKey: _personKey, ...read } = options;
  const table = await loadTable(file, plan.schema, { ...read, ...plan.rows });
  return { schema: plan.schema, table };
}

export function buildSchema(info: CsvFileInfo, stats: ColumnStats[]): Schema {
  const notes = info.notes.slice();
  const columns = info.header.names.map((name, index) => {
    const column = stats[index].finish(name, index, info.rowCount, info.dialect.delimiter);
    const written = info.header.written[index];
    if (written !== undefined && written !== name) column.header = written;
    return column;
  });
  const padded = columns.filter((c) => c.warnings?.some((w) => w.startsWith('values are space-padded')));
  if (padded.length) notes.push(`Values in ${padded.length} column(s) are space-padded; they are read trimmed.`);
  const unit = suggestPrivacyUnit(columns, info.rowCount);
  if (unit.note) notes.push(unit.note);
  return {
    version: SCHEMA_VERSION,
    generator: 'synthetic-csv',
    source: { file: path.basename(info.file), bytes: info.bytes },
    dialect: info.dialect,
    headerQuoted: info.header.quoted,
    rowCount: info.rowCount,
    ...(unit.unit ? { privacyUnit: unit.unit } : {}),
    columns,
    ...(notes.length ? { notes } : {}),
  };
}

/**
 * A value without the spaces around it. A leading tab or CR that defangs a formula (`\t=1+2`) is
 * kept: trimming it would re-arm the formula in the synthetic file.
 */
export function trimValue(raw: string): string {
  const n = raw.length;
  if (n === 0) return raw;
  if (raw.charCodeAt(0) > 32 && raw.charCodeAt(n - 1) > 32) return raw;
  const trimmed = raw.trim();
  if (isFormulaLike(trimmed) && !MISSING_TOKENS.has(trimmed)) {
    const lead = raw.slice(0, raw.length - raw.trimStart().length);
    const guard = /[\t\r]/.exec(lead)?.[0];
    if (guard) return guard + trimmed;
  }
  return trimmed;
}

/** First characters of the missing tokens, by code: most values are ruled out without a set look-up. */
const MISSING_TOKEN_STARTS = new Uint8Array(128);
for (const token of MISSING_TOKENS) if (token) MISSING_TOKEN_STARTS[token.charCodeAt(0)] = 1;
const MISSING_TOKEN_MAX_LENGTH = Math.max(...[...MISSING_TOKENS].map((token) => token.length));

/** Whether a (trimmed) value is one of MISSING_TOKENS. */
export function isMissingToken(value: string): boolean {
  if (value.length === 0) return true;
  const first = value.charCodeAt(0);
  return value.length <= MISSING_TOKEN_MAX_LENGTH && first < 128 && MISSING_TOKEN_STARTS[first] === 1 && MISSING_TOKENS.has(value);
}

/** Whether a value is missing in `column`: a missing token, or a stray the schema reads as missing. */
export function isMissingValue(value: string, column?: Pick<ColumnSchema, 'readAsMissing'>): boolean {
  return isMissingToken(value) || (column?.readAsMissing?.includes(value) ?? false);
}

/** At most this many stray values (`Infinity`, a typo) in a numeric or date column are read as missing. */
const STRAY_MAX = 3;
/** ... and only when the column has at least this many readable values per stray. */
const STRAY_RATIO = 10;
const YYYYMMDD_FIRST = daysFromCivil(1900, 1, 1);
const YYYYMMDD_LAST = daysFromCivil(2099, 12, 31);

interface Example {
  value: string;
  line: number;
}

const quote = (e: Example): string => `${JSON.stringify(e.value.length > 40 ? e.value.slice(0, 40) + '…' : e.value)} on line ${e.line}`;

/** Numbers of a column read with one decimal separator, in a single pass. */
class NumberStats {
  count = 0;
  integral = true;
  leadingZero = false;
  min = Infinity;
  max = -Infinity;
  decimals = 0;
  decimalsFixed = true;
  private firstDecimals = -1;
  exponentValues = 0;
  exponentStyle: NumberFormat['exponent'];
  ascendingByOne = true;
  private previousInteger = NaN;
  firstInteger = NaN;
  readonly groups = new Map<GroupSeparator, number>();
  /** Values of 1,000 or more written with and without grouping. */
  groupedLarge = 0;
  ungroupedLarge = 0;
  readonly prefixes = new Map<string, number>();
  readonly suffixes = new Map<string, number>();
  readonly strays: Example[] = [];
  strayCount = 0;

  constructor(readonly decimal: '.' | ',') {}

  /** `value`, read as `reading`; `exponentAt` is where its exponent letter is (-1: none), `leadingZero` whether it starts like 007. */
  add(value: string, reading: NumberReading, exponentAt: number, leadingZero: boolean): void {
    const x = reading.value;
    this.count++;
    if (leadingZero) this.leadingZero = true; // 007: a code, not a number
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (!Number.isInteger(x)) this.integral = false;
    if (reading.prefix) this.prefixes.set(reading.prefix, (this.prefixes.get(reading.prefix) ?? 0) + 1);
    if (reading.suffix) this.suffixes.set(reading.suffix, (this.suffixes.get(reading.suffix) ?? 0) + 1);
    if (reading.group) this.groups.set(reading.group, (this.groups.get(reading.group) ?? 0) + 1);
    if (Math.abs(x) >= 1000) {
      if (reading.group) this.groupedLarge++;
      else this.ungroupedLarge++;
    }
    if (exponentAt >= 0) {
      this.exponentValues++;
      if (this.exponentStyle && value.charCodeAt(exponentAt + 1) === 43) this.exponentStyle.explicitPlus = true;
      if (!this.exponentStyle) {
        const exp = value.slice(exponentAt + 1);
        this.exponentStyle = {
          upperCase: value[exponentAt] === 'E',
          mantissaDecimals: reading.places,
          exponentDigits: exp.replace(/^[+-]/, '').length,
          explicitPlus: exp.startsWith('+'),
        };
      }
    } else {
      if (reading.places > this.decimals) this.decimals = reading.places;
      if (this.firstDecimals < 0) this.firstDecimals = reading.places;
      else if (reading.places !== this.firstDecimals) this.decimalsFixed = false;
    }
    if (Number.isInteger(x)) {
      if (Number.isNaN(this.previousInteger)) this.firstInteger = x;
      else if (x !== this.previousInteger + 1) this.ascendingByOne = false;
      this.previousInteger = x;
    } else {
      this.ascendingByOne = false;
    }
  }

  /** A value this reading cannot take; false once there are too many to be strays. */
  stray(value: string, line: number): boolean {
    this.strayCount++;
    if (this.strays.length < STRAY_MAX) this.strays.push({ value: detach(value), line });
    return this.strayCount <= STRAY_MAX;
  }

  /** Strays are few enough, among enough numbers, to be read as missing. */
  straysTolerable(): boolean {
    return this.strayCount <= STRAY_MAX && this.count >= STRAY_RATIO * this.strayCount;
  }

  format(nonMissing: number): NumberFormat {
    const format: NumberFormat = { decimals: this.decimals, fixed: this.decimalsFixed };
    if (this.exponentStyle && this.exponentValues * 2 > nonMissing) format.exponent = this.exponentStyle;
    if (this.decimal === ',') format.decimalSeparator = ',';
    const group = mostCommon(this.groups);
    if (group !== undefined && this.groupedLarge >= this.ungroupedLarge) format.groupSeparator = group;
    const prefix = mostCommon(this.prefixes);
    if (prefix !== undefined) format.prefix = prefix;
    const suffix = mostCommon(this.suffixes);
    if (suffix !== undefined) format.suffix = suffix;
    return format;
  }
}

/** `/^[+-]?0\d/`, by hand: asked of every number. */
function startsWithZeroDigit(value: string): boolean {
  const c = value.charCodeAt(0);
  const i = c === 43 || c === 45 ? 1 : 0;
  const d = value.charCodeAt(i + 1);
  return value.charCodeAt(i) === 48 && d >= 48 && d <= 57;
}

/** `value.search(/[eE]/)`, by hand: asked of every number. */
function exponentLetter(value: string): number {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 101 || c === 69) return i;
  }
  return -1;
}

function mostCommon<T>(counts: Map<T, number>): T | undefined {
  let best: T | undefined;
  let bestCount = 0;
  for (const [key, count] of counts) if (count > bestCount) [best, bestCount] = [key, count];
  return best;
}

/** Values sharing the same set of date formats that read them (a bit per format). */
interface DateGroup {
  count: number;
  examples: Example[];
  /** Range of the values under each format that reads them. */
  ranges: Map<DateFormat, { min: number; max: number }>;
  offsets?: Map<string, number>;
}

const MAX_DATE_GROUPS = 64;

/** One column's statistics, gathered value by value in a single pass. */
export class ColumnStats {
  private rows = 0;
  private missing = 0;
  private readonly missingTokens = new Map<string, { count: number; quoted: number }>();
  private quotedValues = 0;
  private padded = 0;

  /** Exact counts up to DISTINCT_TRACK_MAX values; dropped past it, when only the estimate counts. */
  private counts: DistinctCounts | undefined = new DistinctCounts(INFERENCE_RULES.DISTINCT_TRACK_MAX);
  /**
   * Filled only once the exact counts overflow, from their values then from each new one: a
   * register per value (16 KB a column) missed the caches on every value of a wide file, and the
   * estimate, a maximum per register, is the same whether a value is added once or many times.
   */
  private readonly hll = new HyperLogLog();
  private readonly sample: Reservoir<string>;

  // Numbers, read with `.` and with `,` as the decimal separator until the values decide.
  private readonly numbers: Record<'.' | ',', NumberStats | undefined> = { '.': new NumberStats('.'), ',': new NumberStats(',') };
  /** First values that read as different numbers with either separator (`1,234`, `1.234`). */
  private ambiguousComma: Example | undefined;
  private ambiguousDot: Example | undefined;

  // Dates: formats still tried, and values grouped by which formats read them.
  private dateFormats: DateFormat[] = DATE_FORMATS.slice();
  private dateValues = 0;
  /** The value being added, read by each format of its mask (DATE_FORMATS order): kept, not made per value. */
  private readonly dateReads = new Float64Array(DATE_FORMATS.length);
  private readonly dateGroups = new Map<number, DateGroup>();

  // Text
  private maxLength = 0;
  private totalLength = 0;
  private formulaLike = 0;
  private firstFormula: Example | undefined;

  constructor(random: Random) {
    this.sample = new Reservoir<string>(INFERENCE_RULES.SAMPLE_SIZE, random, detach);
  }

  add(raw: string, quoted: boolean, line: number): void {
    this.rows++;
    const value = trimValue(raw);
    if (value.length !== raw.length) this.padded++;
    if (isMissingToken(value)) {
      this.missing++;
      let token = this.missingTokens.get(value);
      if (!token) this.missingTokens.set(value, (token = { count: 0, quoted: 0 }));
      token.count++;
      if (quoted) token.quoted++;
      for (const stats of Object.values(this.numbers)) if (stats) stats.ascendingByOne = false;
      return;
    }
    if (quoted) this.quotedValues++;

    const hash = hash32(value);
    if (!this.counts) this.hll.addHash(hash);
    else if (!this.counts.add(value, hash)) {
      // Past the cap only the estimate counts: the values are let go (5,000 a column).
      for (const counted of this.counts.keys()) this.hll.add(counted);
      this.hll.addHash(hash);
      this.counts = undefined;
    }
    this.sample.add(value);
    if (value.length > this.maxLength) this.maxLength = value.length;
    this.totalLength += value.length;
    if (isFormulaLike(value)) {
      this.formulaLike++;
      this.firstFormula ??= { value: detach(value), line };
    }

    if (this.numbers['.'] || this.numbers[',']) this.addNumber(value, line);
    if (this.dateFormats.length > 0) this.addDate(value, line);
  }

  private addNumber(value: string, line: number): void {
    const dot = this.numbers['.'];
    const comma = this.numbers[','];
    const separated = value.includes(',') || value.includes('.');
    // Without a separator a value reads the same with either: it is read once.
    const dotReading = dot || !separated ? readNumber(value, '.') : undefined;
    const commaReading = !separated ? dotReading : comma ? readNumber(value, ',') : undefined;
    // Facts of the text, the same for both readings.
    const exponentAt = exponentLetter(value);
    const leadingZero = startsWithZeroDigit(value);
    if (dot) this.addReading(dot, value, dotReading, line, exponentAt, leadingZero);
    if (comma) this.addReading(comma, value, commaReading, line, exponentAt, leadingZero);
    if (separated && dot && comma && dotReading && commaReading && dotReading.value !== commaReading.value) {
      if (value.includes(',')) this.ambiguousComma ??= { value: detach(value), line };
      else this.ambiguousDot ??= { value: detach(value), line };
    }
  }

  /** Count `value` in the numbers read with one separator, or as their stray (too many: they are dropped). */
  private addReading(stats: NumberStats, value: string, reading: NumberReading | undefined, line: number, exponentAt: number, leadingZero: boolean): void {
    if (reading) stats.add(value, reading, exponentAt, leadingZero);
    else if (!stats.stray(value, line)) this.numbers[stats.decimal] = undefined;
  }

  private addDate(value: string, line: number): void {
    let mask = 0;
    const c = value.charCodeAt(0);
    const read = this.dateReads;
    if (value.length >= 8 && value.length <= 32 && c >= 48 && c <= 57) {
      for (const format of this.dateFormats) {
        const n = parseDate(value, format);
        if (n === undefined) continue;
        // 8 digits are a date only in a plausible range: 20651890 is a number.
        if (format === 'YYYYMMDD' && (n < YYYYMMDD_FIRST || n > YYYYMMDD_LAST)) continue;
        const index = DATE_FORMATS.indexOf(format);
        mask |= 1 << index;
        read[index] = n;
      }
    }
    let group = this.dateGroups.get(mask);
    if (!group) {
      if (this.dateGroups.size >= MAX_DATE_GROUPS) {
        this.dateFormats = [];
        return;
      }
      this.dateGroups.set(mask, (group = { count: 0, examples: [], ranges: new Map() }));
    }
    group.count++;
    if (group.examples.length < STRAY_MAX) group.examples.push({ value: detach(value), line });
    for (let index = 0, rest = mask; rest !== 0; index++, rest >>>= 1) {
      if (!(rest & 1)) continue;
      const format = DATE_FORMATS[index];
      const n = read[index];
      const range = group.ranges.get(format);
      if (!range) group.ranges.set(format, { min: n, max: n });
      else if (n < range.min) range.min = n;
      else if (n > range.max) range.max = n;
      if (hasUtcOffset(format)) {
        const offset = utcOffsetOf(value)!;
        group.offsets ??= new Map();
        group.offsets.set(offset, (group.offsets.get(offset) ?? 0) + 1);
      }
    }
    if (mask === 0 && group.count > STRAY_MAX) {
      this.dateFormats = []; // more values than strays are no date at all
      return;
    }
    // Formats that read none of the first values are not tried again.
    if (++this.dateValues === STRAY_MAX + 1) {
      const seen = [...this.dateGroups.keys()].reduce((a, b) => a | b, 0);
      this.dateFormats = this.dateFormats.filter((f) => seen & (1 << DATE_FORMATS.indexOf(f)));
    }
  }

  private distinct(): { count: number; exact: boolean } {
    if (this.counts) return { count: this.counts.size, exact: true };
    return { count: Math.max(Math.round(this.hll.estimate()), INFERENCE_RULES.DISTINCT_TRACK_MAX + 1), exact: false };
  }

  finish(name: string, index: number, rowCount: number, delimiter = ','): ColumnSchema {
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

    const kind = this.decideKind(name, nonMissing, distinct, column, warnings, delimiter);
    column.kind = kind;
    if (column.readAsMissing) {
      const strays = nonMissing - this.readableCount;
      column.missingCount += strays;
      column.missingRate = rowCount > 0 ? column.missingCount / rowCount : 0;
    }
    if (this.formulaLike > 0 && !NUMERIC_KINDS.has(kind)) {
      column.formulaLike = this.formulaLike;
      warnings.push(
        `${this.formulaLike} value(s) start like a spreadsheet formula (=, +, -, @, tab), first ${quote(this.firstFormula!)}; ` +
          'a spreadsheet opening the synthetic file may run them: use --neutralise-formulas for files meant for spreadsheets',
      );
    }
    if (column.missingRate >= 0.5 && nonMissing > 0) {
      warnings.push(`${percentForPeople(column.missingRate)} % of values are missing`);
    }
    if (warnings.length) column.warnings = warnings;
    return column;
  }

  /** Values the chosen reading understood (the rest are strays read as missing). */
  private readableCount = 0;

  /**
   * Which decimal separator the column uses. The values decide when one reading fails (`1,5`,
   * `1.5`, `1.234,56`); when both read every value (`1,234`), a `;`-delimited file is taken to
   * write decimal commas and any other thousands separators, and a warning says so.
   */
  private chooseNumbers(delimiter: string, warnings: string[]): NumberStats | undefined {
    const dot = this.numbers['.'];
    const comma = this.numbers[','];
    if (!dot || !comma) return dot ?? comma;
    if (this.ambiguousComma) {
      const useComma = delimiter === ';';
      warnings.push(
        `values such as ${quote(this.ambiguousComma)} could use "," as a decimal or a thousands separator; ` +
          (useComma ? 'read as a decimal comma since the file is ;-delimited' : 'read as a thousands separator') +
          '; set "decimalSeparator" and "groupSeparator" under "number" in the schema to change it',
      );
      return useComma ? comma : dot;
    }
    if (this.ambiguousDot && delimiter === ';') {
      warnings.push(
        `values such as ${quote(this.ambiguousDot)} could use "." as a decimal or a thousands separator; read as a decimal point; ` +
          'set "decimalSeparator": "," and "groupSeparator": "." under "number" in the schema to change it',
      );
    }
    return dot;
  }

  private decideKind(
    name: string,
    nonMissing: number,
    distinct: { count: number; exact: boolean },
    column: ColumnSchema,
    warnings: string[],
    delimiter: string,
  ): ColumnKind {
    if (nonMissing === 0) {
      warnings.push('every value is missing');
      return 'constant';
    }
    if (distinct.exact && distinct.count === 1 && this.missing === 0) {
      column.categories = this.categoryList(undefined);
      return 'constant';
    }

    let numbers = this.chooseNumbers(delimiter, warnings);
    if (numbers && (numbers.prefixes.size > 1 || numbers.suffixes.size > 1)) {
      const units = [...numbers.prefixes.keys(), ...numbers.suffixes.keys()].map((u) => JSON.stringify(u.trim()));
      warnings.push(`numbers carry different units (${units.join(', ')}); they are read as text`);
      numbers = undefined;
    }
    if (numbers && numbers.count === 0) numbers = undefined;
    if (numbers && numbers.strayCount > 0) {
      const examples = numbers.strays.map(quote).join(', ');
      if (numbers.straysTolerable()) {
        warnings.push(`${numbers.strayCount} value(s) are not numbers (${examples}); they are read as missing`);
        column.readAsMissing = [...new Set(numbers.strays.map((s) => s.value))];
      } else {
        warnings.push(`looks numeric but ${numbers.strayCount} value(s) are not numbers (${examples}); it is treated as text-valued`);
        numbers = undefined;
      }
    }
    const numeric = numbers !== undefined && !numbers.leadingZero;
    if (!numeric) column.readAsMissing = undefined;
    this.readableCount = numeric ? numbers!.count : nonMissing;
    const integerColumn = numeric && numbers!.integral;

    // 8-digit numbers that are all real dates from 1900 to 2099 are dates (20240103), not amounts.
    const dates = this.chooseDates(nonMissing);
    if (integerColumn && !column.readAsMissing && dates?.format === 'YYYYMMDD' && dates.unread === 0 && dates.others.length === 0) {
      this.describeDates(column, dates, warnings);
      warnings.push(
        `8-digit values that are all valid dates from 1900 to 2099 (such as ${quote(dates.example)}) are read as dates in the format YYYYMMDD; ` +
          'set "kind": "integer" in the schema to read them as numbers',
      );
      return 'date';
    }

    // Dates are never keys, however distinct (`3-Jan-2000` looks like a code token otherwise).
    const identifier = !numeric && dates ? undefined : detectIdentifier({
      name,
      sample: this.sample.items,
      nonMissing,
      missing: this.missing,
      distinctCount: distinct.count,
      distinctExact: distinct.exact,
      isIntegerColumn: integerColumn,
      isDecimalColumn: numeric && !numbers!.integral,
      sortedAscendingByOne: integerColumn && numbers!.ascendingByOne && this.missing === 0,
      firstIntegerValue: integerColumn && !Number.isNaN(numbers!.firstInteger) ? numbers!.firstInteger : undefined,
    });
    if (identifier) {
      column.identifier = identifier;
      column.readAsMissing = undefined;
      warnings.push(
        identifier.direct
          ? `direct identifier (${identifier.type}): ${identifier.reason}; it is ${identifier.handling === 'drop' ? 'dropped' : 'regenerated'}, never learned`
          : `identifier (${identifier.type}): ${identifier.reason}; it is ${identifier.handling === 'drop' ? 'dropped' : 'regenerated'}, never learned`,
      );
      if (integerColumn) this.describeNumbers(column, numbers!, nonMissing);
      return 'identifier';
    }

    if (numeric) {
      this.describeNumbers(column, numbers!, nonMissing);
      if (numbers!.integral && distinct.exact && distinct.count - (column.readAsMissing?.length ?? 0) <= INFERENCE_RULES.CATEGORICAL_INTEGER_MAX) {
        column.categories = this.categoryList(column);
        return isBooleanPair(column.categories.map((c) => c.value)) ? 'boolean' : 'categorical';
      }
      if (numbers!.integral && distinct.exact && isCodeName(name) && distinct.count <= INFERENCE_RULES.CATEGORICAL_STRING_MAX) {
        // Numeric codes (SNOMED, ICD numbers, FIPS) name categories; their arithmetic means nothing.
        column.categories = this.categoryList(undefined, column.readAsMissing);
        return 'categorical';
      }
      return numbers!.integral ? 'integer' : 'continuous';
    }

    if (dates) {
      this.describeDates(column, dates, warnings);
      if (dates.unread > 0) {
        column.readAsMissing = [...new Set(dates.strays.map((s) => s.value))];
        this.readableCount = nonMissing - dates.unread;
        warnings.push(`${dates.unread} value(s) are not dates (${dates.strays.map(quote).join(', ')}); they are read as missing`);
      }
      return isDatetimeFormat(dates.format) ? 'datetime' : 'date';
    }

    if (distinct.exact) {
      const values = [...(this.counts?.keys() ?? [])];
      if (distinct.count === 2 && isBooleanPair(values)) {
        column.categories = this.categoryList(undefined);
        return 'boolean';
      }
      if (
        distinct.count <= INFERENCE_RULES.CATEGORICAL_STRING_MAX &&
        nonMissing / distinct.count >= INFERENCE_RULES.CATEGORICAL_MIN_MEAN_COUNT
      ) {
        column.categories = this.categoryList(undefined);
        if (numbers?.leadingZero) warnings.push('codes with leading zeros are kept as text categories');
        return 'categorical';
      }
      if (
        distinct.count <= INFERENCE_RULES.CATEGORICAL_CODES_MAX &&
        nonMissing / distinct.count >= INFERENCE_RULES.CODES_MIN_MEAN_COUNT &&
        meanWords(this.sample.items) <= INFERENCE_RULES.CODES_MAX_MEAN_WORDS
      ) {
        column.categories = this.categoryList(undefined);
        warnings.push(
          `${distinct.count} distinct short values, each seen ${(nonMissing / distinct.count).toFixed(1)} times on average: learned as codes; ` +
            'set "kind": "text" in the schema to treat it as free text instead',
        );
        return 'categorical';
      }
    }
    column.text = { maxLength: this.maxLength, meanLength: this.totalLength / nonMissing };
    warnings.push(
      `free text or high-cardinality values (${distinct.exact ? '' : 'about '}${distinct.count} distinct): not learned; the synthetic column is left blank`,
    );
    return 'text';
  }

  /**
   * The date format most values are written in, then the formats that read the rest (mixed
   * columns), or undefined when more than a few values are no date at all.
   */
  private chooseDates(nonMissing: number): ChosenDates | undefined {
    if (this.dateFormats.length === 0 || this.dateGroups.size === 0) return undefined;
    const unreadGroup = this.dateGroups.get(0);
    const unread = unreadGroup?.count ?? 0;
    if (unread > 0 && nonMissing - unread < STRAY_RATIO * unread) return undefined;
    const groups = [...this.dateGroups].filter(([mask]) => mask !== 0);
    const bit = (format: DateFormat): number => 1 << DATE_FORMATS.indexOf(format);
    const coverage = (format: DateFormat, among: [number, DateGroup][]): number =>
      among.reduce((sum, [mask, g]) => sum + (mask & bit(format) ? g.count : 0), 0);
    const best = (among: [number, DateGroup][]): DateFormat => {
      let chosen = DATE_FORMATS[0];
      let most = -1;
      for (const format of DATE_FORMATS) {
        const n = coverage(format, among);
        if (n > most) [chosen, most] = [format, n];
      }
      return chosen;
    };
    const format = best(groups);
    const counts = [{ format, count: coverage(format, groups) }];
    let rest = groups.filter(([mask]) => !(mask & bit(format)));
    const others: DateFormat[] = [];
    const minority: Example[] = rest.flatMap(([, g]) => g.examples).slice(0, STRAY_MAX);
    while (rest.length) {
      const other = best(rest);
      counts.push({ format: other, count: coverage(other, rest) });
      others.push(other);
      rest = rest.filter(([mask]) => !(mask & bit(other)));
    }
    // Each value's number comes from the first format of the reading order that reads it.
    const order = [format, ...others];
    let min = Infinity;
    let max = -Infinity;
    const offsets = new Map<string, number>();
    for (const [mask, g] of groups) {
      const reader = order.find((f) => mask & bit(f))!;
      const range = g.ranges.get(reader)!;
      if (range.min < min) min = range.min;
      if (range.max > max) max = range.max;
      for (const [offset, n] of g.offsets ?? []) offsets.set(offset, (offsets.get(offset) ?? 0) + n);
    }
    const twin = format.includes('DD/MM') ? (format.replace('DD/MM', 'MM/DD') as DateFormat) : undefined;
    return {
      format,
      others,
      counts,
      minority,
      unread,
      strays: unreadGroup?.examples ?? [],
      min,
      max,
      offsets,
      ambiguousDayMonth: twin !== undefined && coverage(twin, groups) === counts[0].count,
      example: groups[0][1].examples[0],
    };
  }

  private describeDates(column: ColumnSchema, dates: ChosenDates, warnings: string[]): void {
    column.dateFormat = dates.format;
    if (dates.others.length) column.otherDateFormats = dates.others;
    const offset = mostCommon(dates.offsets);
    if (offset !== undefined && hasUtcOffset(dates.format)) column.utcOffset = offset;
    column.min = formatDate(dates.min, dates.format, column.utcOffset);
    column.max = formatDate(dates.max, dates.format, column.utcOffset);
    if (dates.ambiguousDayMonth) warnings.push('day and month order is ambiguous (no day above 12); read as dd/mm/yyyy');
    if (dates.others.length) {
      const total = dates.counts.slice(1).reduce((a, b) => a + b.count, 0);
      warnings.push(
        `dates are written in ${dates.counts.length} formats: ${dates.counts.map((c) => `${c.count} as ${c.format}`).join(', ')}; ` +
          `the ${total} not in ${dates.format} (such as ${dates.minority.map(quote).join(', ')}) are read too, and the synthetic file writes ${dates.format}`,
      );
    }
    if (dates.offsets.size > 1) {
      warnings.push(
        `values carry ${dates.offsets.size} UTC offsets (${[...dates.offsets].map(([o, n]) => `${o} ×${n}`).join(', ')}); ` +
          `they are read as instants and written with ${column.utcOffset}`,
      );
    }
  }

  private describeNumbers(column: ColumnSchema, numbers: NumberStats, nonMissing: number): void {
    column.min = numbers.min;
    column.max = numbers.max;
    column.number = numbers.format(nonMissing);
  }

  /** Categories with counts: numeric order for number columns (strays left out), else most frequent first. */
  private categoryList(numeric: ColumnSchema | undefined, leaveOut?: string[]): CategoryCount[] {
    const skip = new Set(leaveOut ?? numeric?.readAsMissing ?? []);
    const list = [...(this.counts ?? [])].filter(([value]) => !skip.has(value)).map(([value, count]) => ({ value, count }));
    if (numeric) list.sort((a, b) => (parseNumber(a.value, numeric.number) ?? 0) - (parseNumber(b.value, numeric.number) ?? 0));
    else list.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    return list;
  }
}

interface ChosenDates {
  format: DateFormat;
  /** Formats that read the values `format` cannot, in reading order. */
  others: DateFormat[];
  counts: { format: DateFormat; count: number }[];
  /** Values not in `format`, for the warning. */
  minority: Example[];
  /** Values no format reads: strays, read as missing. */
  unread: number;
  strays: Example[];
  min: number;
  max: number;
  offsets: Map<string, number>;
  ambiguousDayMonth: boolean;
  example: Example;
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
