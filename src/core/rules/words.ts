/**
 * Rules for people, as the Schema view lists them ("discharge_date is on or after admission_date",
 * "length_of_stay = discharge_date − admission_date (days)"). `describeRule` in check.ts stays the
 * compact form that messages, the card and the report match rules by.
 */
import { percentForPeople } from '../percent';
import type { ColumnSchema, Rule, Schema } from '../schema/types';

/** A rule in plain words; the schema gives the columns' kinds (dates read "on or after", formulas their unit). */
export function ruleInWords(rule: Rule, schema: Pick<Schema, 'columns'>): string {
  const kind = (name: string): ColumnSchema['kind'] | undefined => schema.columns.find((c) => c.name === name)?.kind;
  const isDate = (name: string): boolean => kind(name) === 'date' || kind(name) === 'datetime';
  switch (rule.kind) {
    case 'order':
      if (isDate(rule.low) && isDate(rule.high)) return `${rule.high} is ${rule.strict ? 'after' : 'on or after'} ${rule.low}`;
      return `${rule.high} is ${rule.strict ? 'greater than' : 'at least'} ${rule.low}`;
    case 'difference':
    case 'sum': {
      const names = [rule.column, ...rule.of];
      // Dates count in days, date-times in seconds (check.ts unitClass); a number stays as it is.
      const unit = names.some((n) => kind(n) === 'datetime') ? ' (seconds)' : names.some((n) => kind(n) === 'date') ? ' (days)' : '';
      return `${rule.column} = ${rule.of[0]} ${rule.kind === 'sum' ? '+' : '−'} ${rule.of[1]}${unit}`;
    }
    case 'determines':
      return `${rule.from} determines ${rule.to}${rule.when ? ` (when ${rule.from} ${valuesInWords(rule.when)})` : ''}`;
    case 'missingWhen':
      return `${rule.column} present only when ${rule.parent} ${rule.presentOnlyWhen ? valuesInWords(rule.presentOnlyWhen) : 'is present'}`;
  }
}

function valuesInWords(values: string[]): string {
  if (values.length === 1) return `= ${values[0]}`;
  const shown = values.slice(0, 4).join(', ');
  return `is one of ${shown}${values.length > 4 ? `, … (${values.length} values)` : ''}`;
}

/** The share of real rows that keep a rule, for people ("every row", "99.9 % of rows"), or undefined when not measured. */
export function keptShareInWords(rule: Rule, digits = 1): string | undefined {
  if (rule.realShare === undefined) return undefined;
  return rule.realShare === 1 ? 'every row' : `${percentForPeople(rule.realShare, digits)} % of rows`;
}
