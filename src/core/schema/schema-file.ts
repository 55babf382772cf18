import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import jsonSchema from '../../../schemas/synthetic-csv-schema.json';
import { InputError } from '../csv/errors';
import { checkRules } from '../rules/check';
import { checkEntities } from './entities';
import { parseDate } from './dates';
import { SCHEMA_VERSION, type ColumnSchema, type Schema } from './types';

const validate = new Ajv({ allErrors: true, strict: false }).compile<Schema>(jsonSchema);

export function schemaToJson(schema: Schema): string {
  return JSON.stringify(schema, null, 2) + '\n';
}

/**
 * Check a schema document, typically one a user edited: the JSON Schema first, then the facts
 * a JSON Schema cannot express (a date kind needs a date format, public bounds must parse, ...).
 * Fills in what an edit may leave out (`index`, `inferredKind`).
 */
export function parseSchema(text: string, file = 'schema.json'): Schema {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (e) {
    const match = /position (\d+)/.exec(String((e as Error).message));
    const line = match ? text.slice(0, Number(match[1])).split('\n').length : undefined;
    throw new InputError(`not valid JSON (${(e as Error).message})`, { file, line });
  }
  if (!validate(document)) {
    const first = validate.errors![0];
    const where = first.instancePath || '(top level)';
    throw new InputError(`${where} ${first.message}${first.params && 'allowedValues' in first.params ? `: ${(first.params.allowedValues as unknown[]).join(', ')}` : ''}`, { file });
  }
  const schema = document as Schema;
  if (schema.version !== SCHEMA_VERSION) throw new InputError(`unsupported schema version ${schema.version}`, { file });
  const names = new Set<string>();
  schema.columns.forEach((column, i) => {
    column.index ??= i;
    if (names.has(column.name)) throw new InputError(`two columns are named "${column.name}"`, { file, columnName: column.name });
    names.add(column.name);
    checkColumn(column, file);
  });
  checkRules(schema, file);
  checkEntities(schema, file);
  const unit = schema.privacyUnit;
  if (unit && unit !== 'row' && !names.has(unit.column)) {
    throw new InputError(`privacyUnit names a column "${unit.column}" that the schema does not have`, { file });
  }
  return schema;
}

function checkColumn(column: ColumnSchema, file: string): void {
  const fail = (detail: string): never => {
    throw new InputError(detail, { file, columnName: column.name });
  };
  column.missingCount ??= 0;
  column.missingToken ??= null;
  column.quoting ??= 'as-needed';
  column.distinctCount ??= 0;
  column.distinctExact ??= false;
  if ((column.kind === 'date' || column.kind === 'datetime') && !column.dateFormat) {
    fail(`kind "${column.kind}" needs a "dateFormat"`);
  }
  if (column.number?.groupSeparator && column.number.groupSeparator === (column.number.decimalSeparator ?? '.')) {
    fail(`number: the group separator ${JSON.stringify(column.number.groupSeparator)} is also the decimal separator`);
  }
  const bounds = column.public?.bounds;
  if (bounds) {
    if (column.kind === 'date' || column.kind === 'datetime') {
      const min = typeof bounds.min === 'string' ? parseDate(bounds.min, column.dateFormat!) : undefined;
      const max = typeof bounds.max === 'string' ? parseDate(bounds.max, column.dateFormat!) : undefined;
      if (min === undefined || max === undefined) fail(`public bounds must be dates in the format ${column.dateFormat}`);
      if (min! > max!) fail('public bounds: min is after max');
    } else if (column.kind === 'continuous' || column.kind === 'integer') {
      if (typeof bounds.min !== 'number' || typeof bounds.max !== 'number') fail('public bounds must be numbers');
      if ((bounds.min as number) > (bounds.max as number)) fail('public bounds: min is greater than max');
    } else {
      fail(`public bounds apply to numeric and date columns, not "${column.kind}"`);
    }
  }
  if (column.public?.categories && column.kind !== 'categorical' && column.kind !== 'boolean') {
    fail(`public categories apply to categorical and boolean columns, not "${column.kind}"`);
  }
}

export async function readSchemaFile(file: string): Promise<Schema> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`, { file: path.basename(file) });
  }
  return parseSchema(text, path.basename(file));
}
