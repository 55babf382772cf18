import { InputError } from '../csv/errors';
import { isModelled } from '../table';
import type { ColumnSchema, Schema } from './types';

/** Why a column is not learned, in the words of the schema summary. */
export function notLearnedReason(column: ColumnSchema): string {
  if (column.exclude) return 'excluded in the schema';
  switch (column.kind) {
    case 'constant':
      return 'constant (the same value in every row)';
    case 'identifier':
      return column.identifier?.handling === 'drop' ? 'identifier, dropped' : 'identifier, regenerated in its format';
    case 'text':
      return 'free text, not learned (written as placeholder text)';
    default:
      return `${column.kind}, not learned`;
  }
}

/**
 * Stops a run that has nothing to learn (every column constant, an identifier, free text or
 * excluded) before any work: training would have no input (DP-SGD would fail on a network with
 * nothing to fit) and the output would hold no information from the rows.
 */
export function assertSomethingToLearn(schema: Schema, file: string): void {
  if (schema.columns.some(isModelled)) return;
  const columns = schema.columns.map((c) => `${c.name || '(unnamed)'}: ${notLearnedReason(c)}`);
  const shown = columns.length > 8 ? [...columns.slice(0, 8), `and ${columns.length - 8} more`] : columns;
  throw new InputError(
    `nothing to learn: no column holds values the model can learn (${shown.join('; ')}). ` +
      'A synthetic twin would only repeat constants, regenerate identifiers and fill text with placeholder words. If a column should be learned, ' +
      'write the schema (synthetic-csv schema <file> --out schema.json), set its kind to categorical, integer, ' +
      'continuous, date or boolean (or remove "exclude"), and run again with --schema schema.json.',
    { file },
  );
}
