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
export function sniffDialect(sample: string, bom: boolean, atEnd: boolean): Dialect {
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
  return { delimiter, quote, header: hasHeader(records), lineEnding, bom, encoding: 'utf-8' };
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
 * text cannot tell, in which case we assume a header, as nearly every CSV has one.
 */
function hasHeader(records: string[][]): boolean {
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
  if (numericColumns === 0) return firstNumeric === 0;
  return textInFirst / numericColumns > 0.5;
}
