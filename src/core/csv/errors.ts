/**
 * An error in a user's input file. It always names the file and, where known, the line and
 * column, so a person can open the file at the right place.
 */
export class InputError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly columnName: string | undefined;
  readonly detail: string;

  constructor(
    detail: string,
    where: { file: string; line?: number; column?: number; columnName?: string },
  ) {
    super(formatLocation(where) + ': ' + detail);
    this.name = 'InputError';
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
    this.columnName = where.columnName;
    this.detail = detail;
  }
}

function formatLocation(where: { file: string; line?: number; column?: number; columnName?: string }): string {
  let text = where.file;
  if (where.line !== undefined) text += `:${where.line}`;
  if (where.line !== undefined && where.column !== undefined) text += `:${where.column}`;
  if (where.columnName !== undefined) text += ` (column "${where.columnName}")`;
  return text;
}
