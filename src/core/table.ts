import * as path from 'node:path';
import { readCsv, type CsvHeader, type ReadOptions } from './csv/reader';
import { InputError } from './csv/errors';
import { detach } from './random';
import { parseNumericValue } from './schema/format';
import { isMissingValue, trimValue } from './schema/infer';
import { MODELLED_KINDS, type ColumnSchema, type Schema } from './schema/types';
import { outputColumns } from './sampler';

/** A column held in typed arrays: numbers (dates as days or seconds) or category codes. */
export type ColumnData =
  | { type: 'numeric'; values: Float64Array } // NaN marks a missing value
  | { type: 'categorical'; codes: Int32Array; levels: string[] } // -1 marks a missing value
  | { type: 'none'; lengths?: Int32Array }; // not learned: identifiers, text (value lengths, -1 missing), constants, excluded columns

export interface Table {
  rowCount: number;
  /** Aligned with `schema.columns`. */
  columns: ColumnData[];
  /** Row numbers (0-based, among data rows of the file) that were loaded. */
  rowIndex: Int32Array;
  /**
   * With a privacy unit: each row's unit (0 .. units - 1, in order of first appearance among the
   * loaded rows). Rows without a unit value are taken as one unit together (the cautious reading).
   */
  units?: Int32Array;
}

export interface LoadOptions extends ReadOptions {
  /** Keep only the data rows for which this returns true (0-based data row number; called once per row, in order). */
  select?: (row: number) => boolean;
  /** How many rows `select` keeps, when known: the columns are then allocated once, at that size. */
  selectedRows?: number;
  /** Read this column's values as unit codes (Table.units): the privacy unit. */
  unitColumn?: string;
}

/** Whether the generator learns this column. */
export function isModelled(column: ColumnSchema): boolean {
  return !column.exclude && MODELLED_KINDS.has(column.kind);
}

export function isNumericColumn(column: ColumnSchema): boolean {
  return column.kind === 'continuous' || column.kind === 'integer' || column.kind === 'date' || column.kind === 'datetime';
}

/** Numeric kinds whose values are whole numbers (dates are whole days). */
export function holdsWholeNumbers(column: Pick<ColumnSchema, 'kind'>): boolean {
  return column.kind === 'integer' || column.kind === 'date';
}

/**
 * Read the modelled columns of `file` into typed arrays, as the schema says they should be read.
 * A value that does not fit its column's kind (a user override, or a file that changed since the
 * schema was made) is an error naming the line and column.
 */
export async function loadTable(file: string, schema: Schema, options: LoadOptions = {}): Promise<Table> {
  const loader = tableLoader(schema, options.displayName ?? path.basename(file), options);
  await readCsv(file, loader.add, { header: schema.dialect.header, ...options, onHeader: loader.onHeader });
  return loader.finish();
}

/** What loadTable does with the rows of a read, for a read that serves another pass too. */
export interface TableLoader {
  onHeader: (header: CsvHeader) => void;
  add: (fields: string[], line: number) => void;
  /** The table, once every row is added. */
  finish: () => Table;
}

/** loadTable's work on the rows of a read; `display` is the file's name in errors. */
export function tableLoader(schema: Schema, display: string, options: Omit<LoadOptions, 'displayName'> = {}): TableLoader {
  const capacity = options.select ? Math.max(options.selectedRows ?? 1024, 1) : Math.max(schema.rowCount, 1);
  const builders = schema.columns.map((c) => new ColumnBuilder(c, capacity, display));
  let rowIndex = new Int32Array(capacity);
  let loaded = 0;
  let dataRow = 0;

  // Columns are matched by name, so a synthetic file without dropped identifiers or excluded
  // columns reads with the schema of its source.
  let positions: number[] = [];
  const unitIndex = options.unitColumn === undefined ? -1 : schema.columns.findIndex((c) => c.name === options.unitColumn);
  if (options.unitColumn !== undefined && unitIndex < 0) throw new InputError(`the privacy unit column "${options.unitColumn}" is not in the schema`, { file: display });
  const unitCodes = new Map<string, number>();
  let units = unitIndex >= 0 ? new Int32Array(capacity) : undefined;
  return {
    onHeader: (header) => {
      positions = matchColumns(schema, header, display);
      if (unitIndex >= 0 && positions[unitIndex] < 0) throw new InputError(`the privacy unit column "${options.unitColumn}" is not in this file`, { file: display, line: 1 });
      options.onHeader?.(header);
    },
    add: (fields, line) => {
      const row = dataRow++;
      if (options.select && !options.select(row)) return;
      if (loaded === rowIndex.length) rowIndex = grow(rowIndex);
      rowIndex[loaded] = row;
      for (let i = 0; i < builders.length; i++) {
        const position = positions[i];
        if (position >= 0) builders[i].add(fields[position], line, position);
      }
      if (units) {
        if (loaded === units.length) units = grow(units);
        // One code for every missing value, read as the column reads them.
        const raw = trimValue(fields[positions[unitIndex]] ?? '');
        const key = isMissingValue(raw, schema.columns[unitIndex]) ? '\u0000missing' : raw;
        let code = unitCodes.get(key);
        if (code === undefined) unitCodes.set(key, (code = unitCodes.size));
        units[loaded] = code;
      }
      loaded++;
    },
    finish: () => ({
      rowCount: loaded,
      columns: builders.map((b) => b.finish(loaded)),
      rowIndex: fitted(rowIndex, loaded),
      ...(units ? { units: fitted(units, loaded) } : {}),
    }),
  };
}

/** Position in the file of each schema column (-1 when absent and not needed). */
function matchColumns(schema: Schema, header: CsvHeader, display: string): number[] {
  const names = header.names;
  // Positional names (a file read without a header, or a schema made that way) match by position.
  const positional = (list: string[]): boolean => list.every((name, i) => name === `column_${i + 1}`);
  if (names.length === schema.columns.length && (positional(names) || positional(schema.columns.map((c) => c.name)))) {
    return schema.columns.map((c) => c.index);
  }
  const index = new Map(names.map((name, i) => [name, i]));
  const positions = schema.columns.map((c) => (isUnnamed(c.header) ? -1 : (index.get(c.name) ?? index.get(c.header ?? '\u0000') ?? -1)));
  matchUnnamedColumns(schema, header, positions);
  const missing = schema.columns.filter((c, i) => positions[i] < 0 && isModelled(c)).map((c) => c.name);
  if (missing.length) {
    throw new InputError(`the schema's column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in this file; was the schema made for another file?`, { file: display, line: 1 });
  }
  const known = new Set(schema.columns.flatMap((c) => [c.name, c.header ?? c.name]));
  const extra = names.filter((n, i) => !positions.includes(i) && !known.has(n));
  if (extra.length) {
    throw new InputError(`the file has column${extra.length > 1 ? 's' : ''} the schema does not describe: ${extra.slice(0, 5).map((m) => `"${m}"`).join(', ')}${extra.length > 5 ? ', ...' : ''}; infer the schema again`, { file: display, line: 1 });
  }
  return positions;
}

function isUnnamed(written: string | undefined): boolean {
  return written !== undefined && written.trim() === '';
}

/**
 * Columns with an empty header cell are named by their position (`unnamed_3`), which shifts when
 * an earlier column is left out of a synthetic file: they are matched by their order among the
 * unnamed columns instead. A source file holds all of them, a synthetic file those it writes.
 */
function matchUnnamedColumns(schema: Schema, header: CsvHeader, positions: number[]): void {
  const inFile = header.written.flatMap((cell, i) => (isUnnamed(cell) ? [i] : []));
  const inSchema = schema.columns.flatMap((c, k) => (isUnnamed(c.header) ? [k] : []));
  const written = new Set(outputColumns(schema));
  const candidates = inFile.length === inSchema.length ? inSchema : inSchema.filter((k) => written.has(schema.columns[k]));
  // Any other count is left unmatched, and reported as missing or extra columns.
  if (candidates.length === inFile.length) candidates.forEach((k, j) => (positions[k] = inFile[j]));
}

/** `array` itself when it holds exactly `rows` values, else a copy of its first `rows`. */
function fitted<T extends Int32Array | Float64Array>(array: T, rows: number): T {
  return (array.length === rows ? array : array.slice(0, rows)) as T;
}

function grow<T extends Int32Array | Float64Array>(array: T): T {
  const next = new (array.constructor as { new (n: number): T })(array.length * 2);
  next.set(array);
  return next;
}

class ColumnBuilder {
  private readonly mode: 'numeric' | 'date' | 'categorical' | 'lengths' | 'none';
  private numbers: Float64Array | undefined;
  private codes: Int32Array | undefined;
  private readonly levelIndex = new Map<string, number>();
  private readonly levels: string[] = [];
  private size = 0;

  constructor(
    private readonly column: ColumnSchema,
    capacity: number,
    private readonly file: string,
  ) {
    // Free text is not learned, only its lengths are kept (for placeholder text).
    if (column.kind === 'text' && !column.exclude) this.mode = 'lengths';
    else if (!isModelled(column)) this.mode = 'none';
    else if (column.kind === 'date' || column.kind === 'datetime') this.mode = 'date';
    else if (isNumericColumn(column)) this.mode = 'numeric';
    else this.mode = 'categorical';
    if (this.mode === 'numeric' || this.mode === 'date') this.numbers = new Float64Array(capacity);
    if (this.mode === 'lengths') this.codes = new Int32Array(capacity);
    if (this.mode === 'categorical') {
      this.codes = new Int32Array(capacity);
      for (const category of column.public?.categories ?? column.categories?.map((c) => c.value) ?? []) {
        this.levelIndex.set(category, this.levels.length);
        this.levels.push(category);
      }
    }
    if (this.mode === 'date' && !column.dateFormat) {
      throw new InputError(`the schema gives kind "${column.kind}" but no dateFormat`, {
        file: this.file,
        columnName: column.name,
      });
    }
  }

  add(raw: string, line: number, position: number): void {
    if (this.mode === 'none') return;
    const value = trimValue(raw);
    const missing = isMissingValue(value, this.column);
    if (this.mode === 'lengths') {
      if (this.size === this.codes!.length) this.codes = grow(this.codes!);
      this.codes![this.size++] = missing ? -1 : value.length;
      return;
    }
    if (this.mode === 'categorical') {
      if (this.size === this.codes!.length) this.codes = grow(this.codes!);
      let code = -1;
      if (!missing) {
        const known = this.levelIndex.get(value);
        if (known !== undefined) code = known;
        else {
          code = this.levels.length;
          const level = detach(value);
          this.levelIndex.set(level, code);
          this.levels.push(level);
        }
      }
      this.codes![this.size++] = code;
      return;
    }
    if (this.size === this.numbers!.length) this.numbers = grow(this.numbers!);
    let x = NaN;
    if (!missing) {
      const n = parseNumericValue(this.column, value);
      if (n === undefined) {
        const formats = [this.column.dateFormat, ...(this.column.otherDateFormats ?? [])].join(' or ');
        this.fail(value, line, position, this.mode === 'date' ? `is not a date in the format ${formats}` : 'is not a number');
      }
      x = n!;
    }
    this.numbers![this.size++] = x;
  }

  private fail(value: string, line: number, position: number, why: string): never {
    throw new InputError(`${JSON.stringify(value)} ${why} (the schema gives this column kind "${this.column.kind}")`, {
      file: this.file,
      line,
      column: position + 1,
      columnName: this.column.name,
    });
  }

  /** The column, trimmed to `rows`. Called once: the builder lets go of its arrays, so the table is never held twice. */
  finish(rows: number): ColumnData {
    const codes = this.codes && fitted(this.codes, rows);
    const numbers = this.numbers && fitted(this.numbers, rows);
    this.codes = this.numbers = undefined;
    if (this.mode === 'none') return { type: 'none' };
    if (this.mode === 'lengths') return { type: 'none', lengths: codes! };
    if (this.mode === 'categorical') return { type: 'categorical', codes: codes!, levels: this.levels };
    return { type: 'numeric', values: numbers! };
  }
}
