import { nameTokens } from './identifiers';
import type { ColumnSchema, PrivacyUnit, Schema } from './types';

/**
 * The privacy unit: whom the guarantee protects. Hospital extracts (prescriptions, admissions, lab
 * results) hold many rows per patient, and a row-level guarantee says little about a patient with a
 * thousand rows. Inference suggests a person column when the evidence is strong: the column's
 * values repeat AND it is a person key, by name (subject_id, patient_id, person_id, mrn, nhs_number,
 * hospital number, ...) or by content (valid NHS numbers). A repeating code that does not name a
 * person (hadm_id, a drug code) is not enough: the schema notes why the unit stays the row.
 */

/** Name words that make an id-like name a person's key. */
const PERSON_WORDS = new Set(['subject', 'patient', 'person', 'pt', 'participant', 'member', 'client', 'resident', 'individual', 'nhs', 'chi', 'hospital', 'customer', 'user']);
/** Single-word names that are person keys on their own. */
const PERSON_NAMES = new Set(['mrn', 'ptid', 'pid', 'patient', 'patientid', 'personid', 'subjectid', 'subject', 'nhsnumber', 'nhsno', 'nhs', 'person', 'participant', 'userid', 'customerid', 'memberid', 'clientid']);
const KEY_WORDS = new Set(['id', 'key', 'number', 'no', 'num', 'nbr', 'ref', 'code', 'mrn']);

/** Values repeat when the mean number of rows per distinct value is at least this. */
const MIN_ROWS_PER_VALUE = 1.1;

/** Whether a column's name (or its NHS-number content) says it identifies a person. */
export function isPersonKey(column: Pick<ColumnSchema, 'name' | 'identifier'>): boolean {
  if (column.identifier?.type === 'nhs-number') return true;
  const tokens = nameTokens(column.name);
  if (tokens.length === 1) return PERSON_NAMES.has(tokens[0]);
  if (PERSON_NAMES.has(tokens.join(''))) return true;
  const last = tokens[tokens.length - 1];
  return KEY_WORDS.has(last) && tokens.slice(0, -1).some((t) => PERSON_WORDS.has(t));
}

function repeats(column: ColumnSchema, rowCount: number): boolean {
  const present = rowCount - column.missingCount;
  return column.distinctCount > 0 && present / column.distinctCount >= MIN_ROWS_PER_VALUE;
}

/**
 * The unit inference suggests, with its reason, and a note when some column repeats without being
 * a person key (so the user sees why the unit stayed the row, and can change it).
 */
export function suggestPrivacyUnit(columns: ColumnSchema[], rowCount: number): { unit?: PrivacyUnit; note?: string } {
  const repeating = columns.filter((c) => c.kind !== 'constant' && repeats(c, rowCount));
  const people = repeating.filter(isPersonKey);
  if (people.length > 0) {
    // Several person keys (subject_id and an NHS number): the coarsest groups the most rows.
    const chosen = people.reduce((a, b) => (b.distinctCount < a.distinctCount ? b : a));
    const perPerson = (rowCount - chosen.missingCount) / chosen.distinctCount;
    const how = chosen.identifier?.type === 'nhs-number' ? 'holds NHS numbers' : 'is named like a person key';
    return {
      unit: {
        column: chosen.name,
        reason: `${chosen.name} ${how} and its values repeat: ${chosen.distinctExact ? '' : 'about '}${chosen.distinctCount.toLocaleString('en-GB')} values over ${rowCount.toLocaleString('en-GB')} rows, ${perPerson.toFixed(1)} rows each on average`,
      },
    };
  }
  const idLike = repeating.filter((c) => c.kind === 'identifier');
  if (idLike.length === 0) return {};
  const names = idLike.map((c) => c.name).join(', ');
  return {
    note: `Privacy unit: the row. ${names} ${idLike.length > 1 ? 'repeat' : 'repeats'} but ${idLike.length > 1 ? 'do' : 'does'} not name a person; if rows belong to people, set "privacyUnit": { "column": ... } to the column that identifies them (or --privacy-unit COLUMN).`,
  };
}

/** The unit column's name, or undefined when the unit is the row. */
export function unitColumn(schema: Pick<Schema, 'privacyUnit'>): string | undefined {
  const unit = schema.privacyUnit;
  return unit && unit !== 'row' ? unit.column : undefined;
}

/**
 * The schema with its privacy unit set by the user: a column name, or 'row'. `maxRowsPerUnit`
 * fixes the bound (undefined: keep a bound already declared for the same column, else chosen
 * privately). Errors name the column.
 */
export function withPrivacyUnit(schema: Schema, unit: string | undefined, maxRowsPerUnit?: number): Schema {
  const current = schema.privacyUnit;
  const target = unit ?? unitColumn(schema);
  if (unit === 'row' || (target === undefined && maxRowsPerUnit === undefined)) {
    if (maxRowsPerUnit !== undefined) throw new Error('a maximum of rows per unit needs a privacy unit column (--privacy-unit COLUMN)');
    return unit === 'row' ? { ...schema, privacyUnit: 'row' } : schema;
  }
  if (target === undefined) throw new Error('a maximum of rows per unit needs a privacy unit column (--privacy-unit COLUMN)');
  if (!schema.columns.some((c) => c.name === target)) {
    throw new Error(`privacy unit: there is no column "${target}" (columns: ${schema.columns.map((c) => c.name).join(', ')})`);
  }
  if (maxRowsPerUnit !== undefined && !(Number.isInteger(maxRowsPerUnit) && maxRowsPerUnit >= 1)) {
    throw new Error(`the maximum of rows per unit must be a whole number of at least 1 (got ${maxRowsPerUnit})`);
  }
  const same = current && current !== 'row' && current.column === target ? current : undefined;
  const k = maxRowsPerUnit ?? same?.maxRowsPerUnit;
  const reason = unit === undefined || same ? same?.reason : 'set by the user';
  return { ...schema, privacyUnit: { column: target, ...(k !== undefined ? { maxRowsPerUnit: k } : {}), ...(reason ? { reason } : {}) } };
}

/** The unit in words, for summaries and reports. */
export function describePrivacyUnit(unit: PrivacyUnit | undefined): string {
  if (!unit || unit === 'row') return 'each row (add or remove one row)';
  const bound = unit.maxRowsPerUnit !== undefined ? `up to ${unit.maxRowsPerUnit.toLocaleString('en-GB')} of their rows` : 'a bound on their rows chosen privately from the data';
  return `each person identified by ${unit.column}, with ${bound}`;
}
