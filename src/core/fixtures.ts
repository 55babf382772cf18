import type { ColumnSchema } from './schema/types';

/** Output formats for synthetic rows used as test fixtures. */
export const FIXTURE_FORMATS = ['csv', 'json', 'ndjson', 'sql', 'ts'] as const;
export type FixtureFormat = (typeof FIXTURE_FORMATS)[number];

/**
 * Writes rows of text cells (null = missing) as JSON, NDJSON, SQL INSERT statements or a
 * TypeScript/JavaScript literal. Numeric columns become numbers; everything else stays a string,
 * exactly as it would appear in the CSV. CSV itself is the CsvWriter's job.
 */
export class FixtureWriter {
  private readonly keys: string[];
  private readonly numeric: boolean[];
  private rowsWritten = 0;

  constructor(
    private readonly format: Exclude<FixtureFormat, 'csv'>,
    columns: ColumnSchema[],
    private readonly tableName = 'synthetic_rows',
  ) {
    this.keys = columns.map((c) => c.header ?? c.name);
    this.numeric = columns.map((c) => c.kind === 'continuous' || c.kind === 'integer');
  }

  start(): string {
    if (this.format === 'json') return '[\n';
    if (this.format === 'ts') return 'export const syntheticRows = [\n';
    return '';
  }

  rows(rows: (string | null)[][]): string {
    let out = '';
    for (const row of rows) {
      const first = this.rowsWritten++ === 0;
      switch (this.format) {
        case 'json':
          out += (first ? '  ' : ',\n  ') + JSON.stringify(this.object(row));
          break;
        case 'ts':
          out += `  ${tsObject(this.object(row))},\n`;
          break;
        case 'ndjson':
          out += JSON.stringify(this.object(row)) + '\n';
          break;
        case 'sql':
          out += `INSERT INTO ${sqlTableName(this.tableName)} (${this.keys.map(sqlIdentifier).join(', ')}) VALUES (${row.map((cell, i) => this.sqlValue(cell, i)).join(', ')});\n`;
          break;
      }
    }
    return out;
  }

  end(): string {
    if (this.format === 'json') return this.rowsWritten ? '\n]\n' : ']\n';
    if (this.format === 'ts') return '];\n';
    return '';
  }

  private object(row: (string | null)[]): Record<string, string | number | null> {
    // No prototype: a column named "__proto__" is then an ordinary key, not the object's prototype.
    const o: Record<string, string | number | null> = Object.create(null);
    row.forEach((cell, i) => (o[this.keys[i]] = cell === null ? null : this.numeric[i] && Number.isFinite(Number(cell)) ? Number(cell) : cell));
    return o;
  }

  private sqlValue(cell: string | null, i: number): string {
    if (cell === null) return 'NULL';
    if (this.numeric[i] && Number.isFinite(Number(cell))) return cell;
    return `'${cell.replace(/'/g, "''")}'`;
  }
}

/** A column name as a standard SQL identifier: always quoted, so reserved words (`order`) work. */
function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A table name, possibly qualified (`schema.table`): each part quoted. */
function sqlTableName(name: string): string {
  return name.split('.').map(sqlIdentifier).join('.');
}

function tsObject(o: Record<string, string | number | null>): string {
  const parts = Object.entries(o).map(([k, v]) => `${tsKey(k)}: ${JSON.stringify(v)}`);
  return `{ ${parts.join(', ')} }`;
}

/** `__proto__: x` and `"__proto__": x` in a literal set the prototype; only a computed key is a property. */
function tsKey(key: string): string {
  if (key === '__proto__') return `[${JSON.stringify(key)}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
}
