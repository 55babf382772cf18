import type { ColumnSchema, Dialect, Schema } from '../schema/types';

/**
 * Writes CSV in the source file's dialect: same delimiter, quote character, line ending and BOM;
 * a column whose values were all quoted is quoted again; missing values use the column's token.
 */
export class CsvWriter {
  private readonly needsQuote: RegExp;
  private readonly quoteAll: boolean[];

  constructor(
    private readonly dialect: Dialect,
    private readonly columns: ColumnSchema[],
    private readonly headerQuoted = false,
  ) {
    const d = escapeRegExp(dialect.delimiter);
    const q = escapeRegExp(dialect.quote);
    this.needsQuote = new RegExp(`[${d}${q}\\r\\n]|^\\s|\\s$`);
    this.quoteAll = columns.map((c) => c.quoting === 'always');
  }

  static forSchema(schema: Schema, columns: ColumnSchema[] = schema.columns): CsvWriter {
    return new CsvWriter(schema.dialect, columns, schema.headerQuoted ?? false);
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
