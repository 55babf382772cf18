import { CsvParser, CsvSyntaxError } from './parser';
import type { Dialect } from '../schema/types';

const CANDIDATE_DELIMITERS = [',', ';', '\t', '|'] as const;
const CANDIDATE_QUOTES = ['"', "'"] as const;
const SNIFF_RECORDS = 50;

/**
 * Guess delimiter, quote character, line ending and header from the start of a file (already
 * decoded, BOM removed). The delimiter is the candidate that splits the sampled records into the
 * most consistent number of fields greater than one; ties go to the earlier candidate, so plain
 * comma-separated files stay comma-separated.
 */
export function sniffDialect(sample: string, bom: boolean, atEnd: boolean, notes: string[] = []): Dialect {
  const lineEnding: Dialect['lineEnding'] = /\r\n/.test(sample.slice(0, 65536)) ? '\r\n' : '\n';
  let best: { delimiter: string; quote: string; score: number; records: string[][] } | undefined;
  for (const quote of CANDIDATE_QUOTES) {
    if (quote === "'" && !looksSingleQuoted(sample)) continue;
    for (const delimiter of CANDIDATE_DELIMITERS) {
      const records = sampleRecords(sample, delimiter, quote, atEnd);
      if (!records) continue;
      const score = consistency(records);
      if (score > 0 && (!best || score > best.score)) best = { delimiter, quote, score, records };
    }
  }
  const delimiter = best?.delimiter ?? ',';
  const quote = best?.quote ?? '"';
  const records = best?.records ?? sampleRecords(sample, ',', '"', atEnd) ?? [];
  return { delimiter, quote, header: hasHeader(records, notes), lineEnding, bom, encoding: 'utf-8' };
}

function looksSingleQuoted(sample: string): boolean {
  // Single quotes only count as a quote character when whole fields are wrapped in them.
  return /(^|[,;\t|])'[^']*'([,;\t|]|\r?\n|$)/m.test(sample.slice(0, 65536)) && !sample.slice(0, 65536).includes('"');
}

function sampleRecords(sample: string, delimiter: string, quote: string, atEnd: boolean): string[][] | undefined {
  const records: string[][] = [];
  const parser = new CsvParser({ delimiter, quote }, (r) => {
    if (records.length < SNIFF_RECORDS) records.push(r.fields);
  });
  try {
    // Cut at the last line break so a record split by the sample's end does not skew the counts.
    const cut = atEnd ? sample : sample.slice(0, Math.max(sample.lastIndexOf('\n') + 1, 0));
    parser.push(cut);
    parser.end();
  } catch (e) {
    if (e instanceof CsvSyntaxError) return undefined;
    throw e;
  }
  return records;
}

/** Higher is better: records agree on a field count above one. */
function consistency(records: string[][]): number {
  if (records.length === 0) return 0;
  const counts = new Map<number, number>();
  for (const r of records) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
  let modeFields = 0;
  let modeCount = 0;
  for (const [fields, count] of counts) {
    if (count > modeCount || (count === modeCount && fields > modeFields)) {
      modeFields = fields;
      modeCount = count;
    }
  }
  if (modeFields < 2) return 0;
  const agreement = modeCount / records.length;
  // Agreement dominates; more fields breaks ties between equally consistent delimiters.
  return agreement * 1000 + Math.min(modeFields, 999);
}

const NUMBER_OR_DATE = /^\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|\d{1,4}[-/]\d{1,2}[-/]\d{1,4}.*)\s*$/;

/**
 * The first record is a header unless it looks like data: a header has no empty or duplicate
 * names and no numbers or dates where the rows below have them... and a file whose every row is
 * text cannot tell, in which case we assume a header, as nearly every CSV has one. A first record
 * of numbers is still a header when they are years in sequence over other values (`2019,2020`),
 * or whole numbers over columns of decimals; what was assumed goes into `notes`.
 */
function hasHeader(records: string[][], notes: string[]): boolean {
  if (records.length === 0) return true;
  const first = records[0];
  const rest = records.slice(1);
  const firstNumeric = first.filter((v) => NUMBER_OR_DATE.test(v)).length;
  if (firstNumeric === 0) return true;
  if (rest.length === 0) return firstNumeric === 0;
  // Columns whose rows are mostly numeric: does the first record hold text there?
  let numericColumns = 0;
  let textInFirst = 0;
  for (let c = 0; c < first.length; c++) {
    let numeric = 0;
    let present = 0;
    for (const r of rest) {
      const v = r[c];
      if (v === undefined || v.trim() === '') continue;
      present++;
      if (NUMBER_OR_DATE.test(v)) numeric++;
    }
    if (present > 0 && numeric / present > 0.9) {
      numericColumns++;
      if (!NUMBER_OR_DATE.test(first[c] ?? '') && (first[c] ?? '').trim() !== '') textInFirst++;
    }
  }
  if (numericColumns > 0 && textInFirst / numericColumns > 0.5) return true;
  const shown = first.slice(0, 4).map((v) => v.trim()).join(', ') + (first.length > 4 ? ', ...' : '');
  const numberHeader = numericHeaderReason(first, rest);
  if (numberHeader) {
    notes.push(
      `The first row (${shown}) is read as the header: ${numberHeader}. If it is data, set "header": false under "dialect" in a schema (schema --no-header --out FILE) and pass it with --schema.`,
    );
    return true;
  }
  notes.push(
    // No values here: this row is data, and notes travel to the metadata card.
    'The first row holds numbers or dates like the rows below, so the file is read as having no header row and the columns are named column_1, column_2, ...; ' +
      'if it is a header, run schema --header --out FILE and pass the schema with --schema.',
  );
  return false;
}

const WHOLE = /^\s*[+-]?\d+\s*$/;
const DECIMAL = /^\s*[+-]?\d*\.\d+\s*$/;

/** Why a first record of numbers is a header after all, or undefined when it looks like data. */
function numericHeaderReason(first: string[], rest: string[][]): string | undefined {
  const numbered = first.map((v, c) => ({ v: v.trim(), c })).filter(({ v }) => NUMBER_OR_DATE.test(v));
  if (numbered.length < 2 || !numbered.every(({ v }) => WHOLE.test(v))) return undefined;
  const values = numbered.map(({ v }) => Number(v));
  if (new Set(values).size !== values.length) return undefined;
  const below = (c: number): string[] => rest.map((r) => (r[c] ?? '').trim()).filter((v) => v !== '');
  const isYear = (x: number): boolean => x >= 1800 && x <= 2100;
  const increasing = values.every((x, i) => i === 0 || x > values[i - 1]);
  const decreasing = values.every((x, i) => i === 0 || x < values[i - 1]);
  if (values.every(isYear) && (increasing || decreasing)) {
    // Years over other values: the rows below are not themselves years.
    const yearsBelow = numbered.filter(({ c }) => below(c).every((v) => WHOLE.test(v) && isYear(Number(v)))).length;
    if (yearsBelow * 2 < numbered.length) return 'its numbers are distinct years in sequence over columns of other values';
  }
  // Whole numbers over columns written with decimals (`1,2,3` over `0.53,1.20,...`).
  const decimalsBelow = numbered.filter(({ c }) => {
    const vs = below(c);
    return vs.length > 0 && vs.filter((v) => DECIMAL.test(v)).length >= 0.9 * vs.length;
  }).length;
  if (decimalsBelow === numbered.length) return 'its numbers are distinct whole numbers over columns written with decimals';
  return undefined;
}
