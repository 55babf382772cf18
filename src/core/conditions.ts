/**
 * Conditions on sampled rows (`sample --where "died_in_hospital=Yes" --where "age>=80"`): parsed,
 * checked against what the model can produce (its schema and transformer) before any sampling,
 * and applied to the text cells the sampler writes.
 */
import { daysFromCivil } from './schema/dates';
import type { ColumnSchema, Schema } from './schema/types';
import { isModelled, isNumericColumn } from './table';
import type { TransformerState } from './transform/transformer';
import { notLearnedReason } from './schema/learnable';

export type ConditionOperator = '=' | '!=' | '>=' | '<=' | '>' | '<';

export interface Condition {
  column: string;
  operator: ConditionOperator;
  value: string;
  /** As the user wrote it, for messages. */
  text: string;
}

/** Cells of one row, in the order of `columns`; null is missing. */
export type RowTest = (row: readonly (string | null)[]) => boolean;

const OPERATORS: ConditionOperator[] = ['!=', '>=', '<=', '=', '>', '<'];

/** "age>=80" -> { column: 'age', operator: '>=', value: '80' }; the first operator found splits. */
export function parseCondition(text: string): Condition {
  let best: { at: number; operator: ConditionOperator } | undefined;
  for (const operator of OPERATORS) {
    const at = text.indexOf(operator);
    if (at > 0 && (!best || at < best.at)) best = { at, operator };
  }
  if (!best) throw new Error(`--where "${text}": write a column, an operator (=, !=, >=, <=, >, <) and a value, e.g. "age>=80"`);
  const column = text.slice(0, best.at).trim();
  const value = text.slice(best.at + best.operator.length).trim();
  if (!value) throw new Error(`--where "${text}": the value after ${best.operator} is missing`);
  return { column, operator: best.operator, value, text };
}

/** ISO date "YYYY-MM-DD" (optionally with a time) as days; NaN when it is not one. */
function isoDays(value: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  return m ? daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3])) : NaN;
}

/**
 * One test for all conditions (all must hold), in the order of `columns` (the sampler's output
 * columns). Throws, naming the condition, when one is impossible under the model: an unknown or
 * unlearned column, an unknown category, a value outside the column's range, an operator that
 * does not apply.
 */
export function compileConditions(conditions: Condition[], schema: Schema, transformer: TransformerState, columns: ColumnSchema[]): RowTest {
  const tests = conditions.map((condition): RowTest => {
    const fail = (why: string): never => {
      throw new Error(`--where "${condition.text}": ${why}`);
    };
    const column = schema.columns.find((c) => c.name === condition.column);
    if (!column) fail(`there is no column "${condition.column}" (columns: ${schema.columns.map((c) => c.name).join(', ')})`);
    if (!isModelled(column!)) fail(`"${column!.name}" is not learned by the model (${notLearnedReason(column!)}), so no condition can select on it`);
    const position = columns.indexOf(column!);
    const state = transformer.columns.find((s) => s.column === column!.index);
    if (position < 0 || !state) fail(`"${column!.name}" is not in the model's output`);
    const { operator, value } = condition;

    if (state!.type === 'categorical') {
      if (operator !== '=' && operator !== '!=') fail(`"${column!.name}" is ${column!.kind}: use = or != with one of its categories`);
      const levels = state!.levels as string[];
      if (!levels.includes(value)) {
        const shown = levels.length > 20 ? `${levels.slice(0, 20).join(', ')}, ...` : levels.join(', ');
        fail(`"${value}" is not a category of "${column!.name}" the model knows (categories: ${shown})`);
      }
      return operator === '=' ? (row) => row[position] === value : (row) => row[position] !== null && row[position] !== value;
    }

    if (!isNumericColumn(column!)) fail(`"${column!.name}" cannot be compared`);
    const isDate = column!.kind === 'date' || column!.kind === 'datetime';
    const min = state!.min as number;
    const max = state!.max as number;
    let target: number;
    let read: (cell: string) => number;
    if (isDate) {
      const format = column!.dateFormat ?? '';
      if (!format.startsWith('YYYY-MM-DD')) fail(`conditions on dates need values written YYYY-MM-DD; "${column!.name}" is written ${format || 'in another format'}`);
      const days = isoDays(value);
      if (Number.isNaN(days)) fail(`"${value}" is not a date written YYYY-MM-DD`);
      // Date columns are modelled in days, datetime columns in seconds.
      const scale = column!.kind === 'datetime' ? 86400 : 1;
      target = days * scale;
      read = (cell) => isoDays(cell) * scale;
      if (column!.kind === 'datetime') {
        const m = /[T ](\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
        if (m) target += Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
        read = (cell) => {
          const t = /[T ](\d{2}):(\d{2})(?::(\d{2}))?/.exec(cell);
          return isoDays(cell) * 86400 + (t ? Number(t[1]) * 3600 + Number(t[2]) * 60 + Number(t[3] ?? 0) : 0);
        };
      }
    } else {
      target = Number(value);
      if (value === '' || !Number.isFinite(target)) fail(`"${value}" is not a number`);
      read = Number;
    }
    const possible =
      operator === '=' ? target >= min && target <= max
      : operator === '>=' ? target <= max
      : operator === '>' ? target < max
      : operator === '<=' ? target >= min
      : operator === '<' ? target > min
      : true;
    if (!possible) {
      const shown = (x: number): string => (isDate ? (value.length > 10 ? String(x) : dayText(x / (column!.kind === 'datetime' ? 86400 : 1))) : String(Number(x.toPrecision(6))));
      fail(`"${column!.name}" ranges from ${shown(min)} to ${shown(max)} in the model: no row can meet this`);
    }
    const holds = (x: number): boolean =>
      operator === '=' ? x === target
      : operator === '!=' ? x !== target
      : operator === '>=' ? x >= target
      : operator === '<=' ? x <= target
      : operator === '>' ? x > target
      : x < target;
    return (row) => {
      const cell = row[position];
      if (cell === null) return false;
      const x = read(cell);
      return !Number.isNaN(x) && holds(x);
    };
  });
  return (row) => tests.every((test) => test(row));
}

function dayText(days: number): string {
  const date = new Date(Math.floor(days) * 86400000);
  return date.toISOString().slice(0, 10);
}
