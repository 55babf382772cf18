import * as path from 'node:path';
import { readCsv } from '../csv/reader';
import { columnTexts } from '../output';
import { inferSchema, isMissingValue, trimValue } from '../schema/infer';
import { parseNumericValue, readNumber } from '../schema/format';
import type { ColumnSchema, Schema } from '../schema/types';
import { isModelled, loadTable } from '../table';
import { TableTransformer } from './transformer';

export interface RoundTripMismatch {
  line: number;
  column: string;
  original: string;
  decoded: string | null;
}

export interface RoundTripReport {
  file: string;
  rows: number;
  /** Cells compared: every cell of every modelled or constant column. */
  cellsChecked: number;
  /** Columns not encoded (identifiers, free text), which the generator regenerates or blanks. */
  columnsNotEncoded: string[];
  width: number;
  mismatches: number;
  examples: RoundTripMismatch[];
  encodeMs: number;
  decodeMs: number;
  fitMs: number;
}

/**
 * Encode every row of `file` and decode it again, then compare each cell with the file: the
 * check that the column encoding loses nothing. Numbers must agree within the precision they
 * were written with; dates, categories and missing values exactly.
 */
export async function checkRoundTrip(file: string, schema?: Schema): Promise<RoundTripReport> {
  schema ??= await inferSchema(file);
  const table = await loadTable(file, schema);
  let t = performance.now();
  // Every level kept: the check is of the encoding itself. The model's level cap pools rare values
  // on purpose (they come back by frequency, not row by row).
  const transformer = TableTransformer.fit(schema, table, { levelCap: Infinity });
  const fitMs = performance.now() - t;
  t = performance.now();
  const matrix = transformer.encode(table, { component: 'sample', seed: 1 });
  const encodeMs = performance.now() - t;
  t = performance.now();
  const decoded = transformer.decode(matrix, table.rowCount, schema.columns.length);
  const texts = schema.columns.map((c, i) => columnTexts(c, decoded[i], table.rowCount));
  const decodeMs = performance.now() - t;

  const checked = schema.columns.map((c, i) => (texts[i] !== undefined && (isModelled(c) || c.kind === 'constant') ? i : -1)).filter((i) => i >= 0);
  const report: RoundTripReport = {
    file: path.basename(file),
    rows: table.rowCount,
    cellsChecked: 0,
    columnsNotEncoded: schema.columns.filter((_, i) => !checked.includes(i)).map((c) => c.name),
    width: transformer.width,
    mismatches: 0,
    examples: [],
    encodeMs,
    decodeMs,
    fitMs,
  };
  let row = 0;
  await readCsv(file, (fields, line) => {
    for (const i of checked) {
      report.cellsChecked++;
      const original = trimValue(fields[i]);
      const decodedText = texts[i]![row];
      if (!sameCell(schema!.columns[i], original, decodedText)) {
        report.mismatches++;
        if (report.examples.length < 10) report.examples.push({ line, column: schema!.columns[i].name, original, decoded: decodedText });
      }
    }
    row++;
  }, { header: schema.dialect.header });
  return report;
}

function sameCell(column: ColumnSchema, original: string, decoded: string | null): boolean {
  const originalMissing = isMissingValue(original, column);
  if (originalMissing || decoded === null) return originalMissing && decoded === null;
  if (column.kind === 'continuous' || column.kind === 'integer') {
    // Equal within half a unit in the last place the original was written with.
    const a = parseNumericValue(column, original);
    const b = parseNumericValue(column, decoded);
    const written = readNumber(original, column.number?.decimalSeparator ?? '.');
    if (a === undefined || b === undefined || !written) return false;
    const tolerance = 0.5 * 10 ** (written.exponent - written.places) + Math.abs(a) * 1e-12;
    return Math.abs(a - b) <= tolerance;
  }
  if (original === decoded) return true;
  // Mixed date formats and UTC offsets are written in one format: the same instant is the same cell.
  if (column.kind === 'date' || column.kind === 'datetime') {
    const a = parseNumericValue(column, original);
    return a !== undefined && a === parseNumericValue(column, decoded);
  }
  return false;
}
