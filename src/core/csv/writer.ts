import { isFormulaLike } from '../schema/format';
import { NUMERIC_KINDS, type ColumnSchema, type Dialect, type Schema } from '../schema/types';

export interface CsvWriterOptions {
  /** Prefix cells that start like a spreadsheet formula with `'` (OWASP), for files meant for spreadsheets. */
  neutraliseFormulas?: boolean;
}

/** Cells written that start like a spreadsheet formula (=, +, -, @, tab, CR), per column name. */
export interface FormulaCells {
  count: number;
  columns: string[];
  neutralised: boolean;
}

/** The formula-like cells written, in words for a person (the CLI, the card's notes, the report). */
export function describeFormulaCells(f: FormulaCells): string | undefined {
  if (f.count === 0) return undefined;
  const where = `${f.count} cell${f.count === 1 ? '' : 's'} in ${f.columns.map((c) => JSON.stringify(c)).join(', ')}`;
  return f.neutralised
    ? `${where} started like a spreadsheet formula (=, +, -, @, tab) and were prefixed with ' so that spreadsheets show them as text.`
    : `${where} start like a spreadsheet formula (=, +, -, @, tab): a spreadsheet may run them when the file is opened. ` +
        'For files meant for spreadsheets, write them with --neutralise-formulas (the syntheticCsv.neutraliseFormulas setting in VS Code), which prefixes \' (OWASP).';
}

/**
 * Writes CSV in the source file's dialect: same delimiter, quote character, line ending and BOM;
 * a column whose values were all quoted is quoted again; missing values use the column's token.
 * Cells that a spreadsheet would run as formulas are counted, and neutralised on request.
 */
export class CsvWriter {
  private readonly needsQuote: RegExp;
  private readonly quoteAll: boolean[];
  /** Numbers and dates are written by us, never formulas (`-5`, `-$12.00`). */
  private readonly textual: boolean[];
  private readonly formulaCounts: number[];

  constructor(
    private readonly dialect: Dialect,
    private readonly columns: ColumnSchema[],
    private readonly headerQuoted = false,
    private readonly options: CsvWriterOptions = {},
  ) {
    const d = escapeRegExp(dialect.delimiter);
    const q = escapeRegExp(dialect.quote);
    this.needsQuote = new RegExp(`[${d}${q}\\r\\n]|^\\s|\\s$`);
    this.quoteAll = columns.map((c) => c.quoting === 'always');
    this.textual = columns.map((c) => !NUMERIC_KINDS.has(c.kind));
    this.formulaCounts = columns.map(() => 0);
  }

  static forSchema(schema: Schema, columns: ColumnSchema[] = schema.columns, options: CsvWriterOptions = {}): CsvWriter {
    return new CsvWriter(schema.dialect, columns, schema.headerQuoted ?? false, options);
  }

  /** What was written that a spreadsheet could run as a formula. */
  formulaCells(): FormulaCells {
    return {
      count: this.formulaCounts.reduce((a, b) => a + b, 0),
      columns: this.columns.filter((_, i) => this.formulaCounts[i] > 0).map((c) => c.header ?? c.name),
      neutralised: this.options.neutraliseFormulas ?? false,
    };
  }

  header(): string {
    const cells = this.columns.map((c) => this.quote(c.header ?? c.name, this.headerQuoted));
    return (this.dialect.bom ? '\uFEFF' : '') + cells.join(this.dialect.delimiter) + this.dialect.lineEnding;
  }

  /** One record; `null` is a missing value. */
  row(cells: ReadonlyArray<string | null>): string {
    let out = '';
    for (let i = 0; i < cells.length; i++) {
      if (i > 0) out += this.dialect.delimiter;
      const cell = cells[i];
      if (cell === null) {
        const column = this.columns[i];
        out += this.quote(column.missingToken ?? '', column.missingQuoted ?? false);
      } else if (this.textual[i] && isFormulaLike(cell)) {
        this.formulaCounts[i]++;
        out += this.quote(this.options.neutraliseFormulas ? "'" + cell : cell, this.quoteAll[i]);
      } else {
        out += this.quote(cell, this.quoteAll[i]);
      }
    }
    return out + this.dialect.lineEnding;
  }

  private quote(text: string, always: boolean): string {
    if (!always && !this.needsQuote.test(text)) return text;
    const q = this.dialect.quote;
    return q + text.split(q).join(q + q) + q;
  }
}


function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|-]/g, '\\$&');
}
