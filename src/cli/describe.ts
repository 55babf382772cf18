import { formatNumber } from '../core/schema/format';
import { percentForPeople } from '../core/percent';
import { describeRule } from '../core/rules/check';
import { keptShareInWords } from '../core/rules/words';
import { describeEntities } from '../core/schema/entities';
import { describePrivacyUnit } from '../core/schema/privacy-unit';
import type { ColumnSchema, Rule, Schema } from '../core/schema/types';

/** Widths that keep every line readable in a terminal, whatever a cell or a name holds. */
const NAME_WIDTH = 40;
const VALUE_WIDTH = 24;
const DETAIL_WIDTH = 80;
const LINE_WIDTH = 200;

/** A schema as a terminal table: one line per column, then warnings and notes. */
export function describeSchema(schema: Schema): string {
  const rows = schema.columns.map((c) => [c.name, c.kind + (c.exclude ? ' (excluded)' : ''), percent(c.missingRate), clip(detail(c), DETAIL_WIDTH)]);
  const header = ['column', 'kind', 'missing', 'details'];
  const widths = header.map((h, i) => Math.min(NAME_WIDTH, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cells: string[]): string => cells.map((cell, i) => (i < cells.length - 1 ? clip(cell, widths[i]).padEnd(widths[i]) : cell)).join('  ').trimEnd();
  let out = `${schema.source?.file ?? 'file'}: ${schema.rowCount} rows, ${schema.columns.length} columns, delimiter ${JSON.stringify(schema.dialect.delimiter)}\n\n`;
  out += line(header) + '\n' + line(widths.map((w) => '-'.repeat(w))) + '\n';
  for (const r of rows) out += line(r) + '\n';
  out += `\n${clip(`Privacy unit: ${describePrivacyUnit(schema.privacyUnit)}`, LINE_WIDTH)}\n`;
  if (typeof schema.privacyUnit === 'object' && schema.privacyUnit.reason) out += `${clip(`  why: ${schema.privacyUnit.reason}`, LINE_WIDTH)}\n`;
  if (schema.entities?.length) {
    out += `\nEntities (${schema.entities.length}; rows sharing a key are kept together; edit or remove them under "entities"):\n`;
    for (const [i, line] of describeEntities(schema).entries()) {
      out += `${clip(`  ${line}`, LINE_WIDTH)}\n`;
      const why = schema.entities[i].why;
      if (why) out += `${clip(`    why: ${why}`, LINE_WIDTH)}\n`;
    }
  }
  const warnings = schema.columns.flatMap((c) => (c.warnings ?? []).map((w) => clip(`  ${clip(c.name, NAME_WIDTH)}: ${w}`, LINE_WIDTH)));
  if (warnings.length) out += `\nWarnings:\n${warnings.join('\n')}\n`;
  if (schema.notes?.length) out += `\nNotes:\n${schema.notes.map((n) => clip(`  ${n}`, LINE_WIDTH)).join('\n')}\n`;
  if (schema.rules?.length) {
    const share = (r: Rule): string => (r.realShare === undefined ? '' : ` (${keptShareInWords(r, 2)})`);
    out += `\nRules (${schema.rules.length}; set "enforce": false to keep one only as a report, or remove it):\n`;
    out += schema.rules.map((r) => clip(`  ${r.enforce ? 'enforced' : 'soft    '}  ${describeRule(r)}  [${r.source}]${share(r)}`, LINE_WIDTH)).join('\n') + '\n';
  }
  return out;
}

function shown(c: ColumnSchema, x: number | string | undefined): string {
  return typeof x === 'number' && !c.number?.exponent ? formatNumber(x, { ...c.number!, fixed: false }, false) : String(x);
}

function percent(rate: number): string {
  return rate === 0 ? '-' : `${percentForPeople(rate, 1)}%`;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : text.slice(0, width - 1) + '…';
}

function detail(c: ColumnSchema): string {
  switch (c.kind) {
    case 'continuous':
    case 'integer':
      // In the column's own look ($2.44, 1.234,5, 12%), so the format read is visible.
      return `${shown(c, c.min)} .. ${shown(c, c.max)}` + (c.number && c.number.decimals > 0 ? `, ${c.number.decimals} dp` : '');
    case 'date':
    case 'datetime':
      return `${c.min} .. ${c.max} (${c.dateFormat})`;
    case 'categorical':
    case 'boolean': {
      const cats = c.categories ?? [];
      const shown = cats.slice(0, 4).map((k) => clip(k.value, VALUE_WIDTH)).join(', ');
      return `${cats.length} categories: ${shown}${cats.length > 4 ? ', ...' : ''}`;
    }
    case 'identifier':
      return `${c.identifier?.type}${c.identifier?.direct ? ', direct identifier' : ''}, ${c.identifier?.handling}`;
    case 'text':
      return `${c.distinctExact ? '' : '~'}${c.distinctCount} distinct, not learned`;
    case 'constant':
      return c.categories?.[0] ? `always ${JSON.stringify(clip(c.categories[0].value, VALUE_WIDTH))}` : 'always missing';
  }
}
