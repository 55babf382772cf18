/**
 * Common ways of writing numbers and dates (issue 14, defect 7): each is read as what it is, kept
 * in the schema, reproduced cell for cell by `roundtrip`, and written back the same way by
 * `generate --no-dp`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate } from '../../src/core/generate';
import { inferSchema } from '../../src/core/schema/infer';
import { formatNumber, parseNumber, readNumber } from '../../src/core/schema/format';
import { parseSchema, schemaToJson } from '../../src/core/schema/schema-file';
import type { ColumnSchema, Schema } from '../../src/core/schema/types';
import { loadTable } from '../../src/core/table';
import { checkRoundTrip } from '../../src/core/transform/roundtrip';
import { parse as parseCsv } from 'csv-parse/sync';
import { tempDir, tempFile } from '../helpers/files';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const pad2 = (n: number) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function col(schema: Schema, name: string): ColumnSchema {
  const c = schema.columns.find((x) => x.name === name);
  assert.ok(c, `no column ${name}`);
  return c;
}

const grouped = (n: number, sep: string) => String(n).replace(/\B(?=(\d{3})+$)/g, sep);

/** A comma-delimited file with one column per format (values vary so none is an identifier). */
function commaFile(rows = 120): string {
  const header = ['amount', 'spaced', 'pct', 'usd', 'gbp', 'eur', 'offset', 'zulu', 'dotted', 'named', 'dashed', 'compact', 'mixed', 'ratio', 'big'];
  const lines = range(rows).map((i) => {
    const day = (i % 28) + 1;
    const month = (i % 12) + 1;
    return [
      `"${grouped(1000 + ((i * 7919) % 90000), ',')}"`,
      grouped(1000 + ((i * 104729) % 900000), ' '),
      `${((i * 37) % 1000) / 10}%`,
      i % 9 === 0 ? `-$${(i % 50) + 0.25}` : `$${(((i * 13) % 500) + 0.5 + (i % 3) / 100).toFixed(2)}`,
      `"£${grouped(1000 + ((i * 31) % 5000), ',')}.${pad2(i % 100)}"`,
      `${(i * 3) % 400},${pad2(i % 100)} €`.replace(',', '.'),
      `2024-${pad2(month)}-${pad2(day)}T${pad2(i % 24)}:${pad2(i % 60)}:00+01:00`,
      `2024-${pad2(month)}-${pad2(day)}T${pad2(i % 24)}:00:00Z`,
      `${pad2(day)}.${pad2(month)}.${1990 + (i % 30)}`,
      `${pad2(day)} ${MONTHS[month - 1]} ${2000 + (i % 20)}`,
      `${day}-${MONTHS[month - 1]}-${2000 + (i % 20)}`,
      `${2000 + (i % 20)}${pad2(month)}${pad2(day)}`,
      i % 20 === 3 ? `${pad2(day)}/${pad2(month)}/2021` : `2021-${pad2(month)}-${pad2(day)}`,
      i === 17 ? 'Infinity' : ((i * 0.731) % 9).toFixed(3),
      String(20000000 + (i % 40) * 1234567), // 8 digits but not all dates: stays a number
    ].join(',');
  });
  return [header.join(','), ...lines].join('\n') + '\n';
}

/** A semicolon file from a European spreadsheet: decimal commas, dot or space grouping. */
function semicolonFile(rows = 120): string {
  const lines = range(rows).map((i) => [
    `${(i * 17) % 300},${(i * 7) % 10}`,
    `${grouped(1000 + ((i * 7919) % 90000), '.')},${pad2(i % 100)}`,
    `${grouped(1000 + ((i * 104729) % 900000), '\u00a0')},${i % 10}`,
    `${(i * 3) % 25},${pad2((i * 7) % 100)}%`,
  ].join(';'));
  return ['rate;price;total;share', ...lines].join('\n') + '\n';
}

test('numbers with separators, currency and percent: read, and written back the same way', () => {
  assert.deepEqual(readNumber('£1,200.00'), { value: 1200, places: 2, exponent: 0, group: ',', prefix: '£', suffix: '' });
  assert.equal(readNumber('1.234,56', ',')?.value, 1234.56);
  assert.equal(readNumber('1,5', '.'), undefined);
  assert.equal(readNumber('0,123', '.'), undefined, 'a first group of 0 groups nothing');
  assert.equal(readNumber('1,23', '.'), undefined, 'groups are three digits');
  assert.equal(readNumber('-$12.34')?.value, -12.34);
  assert.equal(readNumber('$-12.34')?.value, -12.34);
  const euro = { decimals: 2, fixed: true, decimalSeparator: ',', groupSeparator: '.', suffix: ' €' } as const;
  assert.equal(formatNumber(1234567.891, euro, false), '1.234.567,89 €');
  assert.equal(parseNumber('1.234.567,89 €', euro), 1234567.89);
  assert.equal(parseNumber('12 $', euro), undefined, 'another unit is not this column');
  assert.equal(formatNumber(-1200, { decimals: 2, fixed: true, groupSeparator: ',', prefix: '£' }, false), '-£1,200.00');
  assert.equal(formatNumber(999, { decimals: 0, fixed: true, groupSeparator: ' ' }, true), '999');
});

test('a comma file: grouping, currency, %, ISO offsets, dd.mm.yyyy, month names, YYYYMMDD, mixed dates, a stray Infinity', async () => {
  const s = await inferSchema(tempFile('formats.csv', commaFile()));
  assert.equal(col(s, 'amount').kind, 'integer');
  assert.equal(col(s, 'amount').number?.groupSeparator, ',');
  assert.match(col(s, 'amount').warnings!.join(' '), /values such as "\d,\d{3}" on line 2 could use "," as a decimal or a thousands separator; read as a thousands separator/);
  assert.equal(col(s, 'spaced').number?.groupSeparator, ' ');
  assert.equal(col(s, 'spaced').warnings, undefined, 'a space decides: no warning');
  assert.deepEqual(col(s, 'pct').number, { decimals: 1, fixed: false, suffix: '%' });
  assert.equal(col(s, 'pct').max, 99.9);
  assert.equal(col(s, 'usd').kind, 'continuous', '$12.34 is money, not an identifier');
  assert.equal(col(s, 'usd').number?.prefix, '$');
  assert.ok((col(s, 'usd').min as number) < 0);
  assert.deepEqual(col(s, 'gbp').number, { decimals: 2, fixed: true, groupSeparator: ',', prefix: '£' });
  assert.equal(col(s, 'eur').number?.suffix, ' €');
  assert.equal(col(s, 'offset').dateFormat, 'YYYY-MM-DDTHH:mm:ss+HH:mm');
  assert.equal(col(s, 'offset').utcOffset, '+01:00');
  assert.equal(col(s, 'zulu').dateFormat, 'YYYY-MM-DDTHH:mm:ssZ');
  assert.equal(col(s, 'dotted').dateFormat, 'DD.MM.YYYY');
  assert.equal(col(s, 'named').dateFormat, 'DD MMM YYYY');
  assert.equal(col(s, 'dashed').dateFormat, 'D-MMM-YYYY');
  assert.equal(col(s, 'compact').kind, 'date');
  assert.equal(col(s, 'compact').dateFormat, 'YYYYMMDD');
  assert.match(col(s, 'compact').warnings!.join(' '), /8-digit values that are all valid dates from 1900 to 2099 .* set "kind": "integer"/);
  assert.equal(col(s, 'big').kind, 'integer', '8-digit numbers that are not all dates stay numbers');
  assert.equal(col(s, 'mixed').kind, 'date');
  assert.equal(col(s, 'mixed').dateFormat, 'YYYY-MM-DD');
  assert.deepEqual(col(s, 'mixed').otherDateFormats, ['DD/MM/YYYY']);
  assert.match(col(s, 'mixed').warnings!.join(' '), /dates are written in 2 formats: 114 as YYYY-MM-DD, 6 as DD\/MM\/YYYY; the 6 not in YYYY-MM-DD \(such as "04\/04\/2021" on line 5,/);
  assert.equal(col(s, 'ratio').kind, 'continuous');
  assert.deepEqual(col(s, 'ratio').readAsMissing, ['Infinity']);
  assert.equal(col(s, 'ratio').missingCount, 1);
  assert.match(col(s, 'ratio').warnings!.join(' '), /1 value\(s\) are not numbers \("Infinity" on line 19\); they are read as missing/);
  // The schema document carries every format and validates against the JSON Schema.
  assert.deepEqual(parseSchema(schemaToJson(s)).columns.map((c) => c.number ?? c.dateFormat), s.columns.map((c) => c.number ?? c.dateFormat));
  const clash = JSON.parse(schemaToJson(s)) as Schema;
  col(clash, 'amount').number!.decimalSeparator = ',';
  assert.throws(() => parseSchema(JSON.stringify(clash)), /the group separator "," is also the decimal separator/);
});

test('a semicolon file: decimal commas, dot and no-break-space grouping, percent', async () => {
  const s = await inferSchema(tempFile('eu.csv', semicolonFile()));
  assert.equal(s.dialect.delimiter, ';');
  assert.deepEqual(col(s, 'rate').number, { decimals: 1, fixed: true, decimalSeparator: ',' });
  assert.equal(col(s, 'rate').warnings, undefined, '1,5 can only be a decimal comma');
  assert.deepEqual(col(s, 'price').number, { decimals: 2, fixed: true, decimalSeparator: ',', groupSeparator: '.' });
  assert.equal(col(s, 'total').number?.groupSeparator, '\u00a0');
  assert.equal(col(s, 'share').number?.suffix, '%');
  assert.equal(col(s, 'share').number?.decimalSeparator, ',');
});

test('values that do not decide the separator: the delimiter does, and a warning says so', async () => {
  const rows = range(40).map((i) => `${(i % 9) + 1},${String(100 + i * 3).padStart(3, '0')};${i}`);
  const s = await inferSchema(tempFile('amb.csv', ['x;y', ...rows].join('\n') + '\n'));
  assert.equal(col(s, 'x').number?.decimalSeparator, ',');
  assert.match(col(s, 'x').warnings!.join(' '), /read as a decimal comma since the file is ;-delimited/);
});

test('roundtrip reproduces every cell of every format', async () => {
  for (const [name, text] of [['formats.csv', commaFile()], ['eu.csv', semicolonFile()]]) {
    const report = await checkRoundTrip(tempFile(name, text));
    assert.equal(report.mismatches, 0, `${name}: ${JSON.stringify(report.examples.slice(0, 3))}`);
    assert.ok(report.cellsChecked >= 4 * 120, `${name}: ${report.cellsChecked} cells checked`);
  }
});

test('generate --no-dp writes every format back as the source wrote it', async () => {
  const dir = tempDir();
  for (const [name, text] of [['formats.csv', commaFile(150)], ['eu.csv', semicolonFile(150)]]) {
    const input = path.join(dir, name);
    fs.writeFileSync(input, text);
    const schema = await inferSchema(input);
    const { outputs } = await generate({ input, epochs: 2, privacy: 'none', evaluate: false, rows: 200, seed: 3 });
    const written = fs.readFileSync(outputs.csv, 'utf8');
    assert.equal(written.split('\n')[0], text.split('\n')[0], 'the header as written');
    const records = parseCsv(written, { delimiter: schema.dialect.delimiter, raw: true }) as unknown as { raw: string; record: string[] }[];
    // The synthetic file reads with the source's own schema: every value is in the column's format.
    const table = await loadTable(outputs.csv, schema);
    assert.equal(table.rowCount, 200);
    const cells = (column: string): string[] => {
      const index = records[0].record.indexOf(column);
      return records.slice(1).map((r) => r.record[index]);
    };
    if (name === 'formats.csv') {
      for (const v of cells('amount')) assert.match(v, /^\d{1,3}(,\d{3})*$/);
      assert.match(written, /\n"\d{1,3},\d{3}",/, 'grouped values are quoted in a comma file');
      for (const v of cells('pct')) assert.match(v, /^\d+(\.\d)?%$/);
      for (const v of cells('usd')) assert.match(v, /^-?\$\d+(\.\d{1,2})?$/);
      for (const v of cells('gbp')) assert.match(v, /^£\d{1,3}(,\d{3})*\.\d{2}$/);
      for (const v of cells('offset')) assert.match(v, /^2024-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+01:00$/);
      for (const v of cells('dotted')) assert.match(v, /^\d{2}\.\d{2}\.\d{4}$/);
      for (const v of cells('named')) assert.match(v, /^\d{2} [A-Z][a-z]{2} \d{4}$/);
      for (const v of cells('compact')) assert.match(v, /^20[01]\d[01]\d[0-3]\d$/);
      for (const v of cells('mixed')) assert.match(v, /^2021-\d{2}-\d{2}$/);
    } else {
      for (const v of cells('rate')) assert.match(v, /^\d+,\d$/);
      for (const v of cells('price')) assert.match(v, /^\d{1,3}(\.\d{3})*,\d{2}$/);
      for (const v of cells('share')) assert.match(v, /^\d+(,\d{1,2})?%$/);
    }
  }
});

test('a header of years is a header, said in a note; rows of years are data; either can be overridden', async () => {
  const years = ['2019,2020,2021', ...range(40).map((i) => `${(i * 0.37).toFixed(2)},${(i * 1.1).toFixed(2)},${((i % 7) + 0.5).toFixed(2)}`)].join('\n') + '\n';
  const file = tempFile('years.csv', years);
  const s = await inferSchema(file);
  assert.equal(s.dialect.header, true);
  assert.deepEqual(s.columns.map((c) => c.name), ['2019', '2020', '2021']);
  assert.equal(s.rowCount, 40);
  assert.match(s.notes!.join(' '), /The first row \(2019, 2020, 2021\) is read as the header: its numbers are distinct years in sequence.*"header": false/);
  // Mixed: a text column beside the years (the World Bank layout).
  const wide = tempFile('wide.csv', ['country,2019,2020', ...range(30).map((i) => `${['FR', 'DE', 'UK'][i % 3]},${i * 2},${(i * 7) % 50}`)].join('\n') + '\n');
  assert.deepEqual((await inferSchema(wide)).columns.map((c) => c.name), ['country', '2019', '2020']);
  // Years above years are data, and the note says how to read the first row as a header instead.
  const data = tempFile('spans.csv', range(30).map((i) => `${1950 + i},${2000 + (i % 20)}`).join('\n') + '\n');
  const d = await inferSchema(data);
  assert.equal(d.dialect.header, false);
  assert.equal(d.rowCount, 30);
  assert.match(d.notes!.join(' '), /The first row holds numbers .* no header row .* schema --header/);
  assert.doesNotMatch(d.notes!.join(' '), /1950/, 'a data row stays out of the notes');
  // The override: read the years as data, and the schema keeps reading (and generating) that way.
  const asData = await inferSchema(file, { header: false });
  assert.equal(asData.rowCount, 41);
  assert.equal((await loadTable(file, asData)).rowCount, 41);
  assert.equal((await loadTable(file, s)).rowCount, 40);
});

test('generate --no-dp keeps a header of years', async () => {
  const dir = tempDir();
  const input = path.join(dir, 'years.csv');
  fs.writeFileSync(input, ['2019,2020,2021', ...range(60).map((i) => `${(i * 0.37).toFixed(2)},${(i * 1.1).toFixed(2)},${((i % 7) + 0.5).toFixed(2)}`)].join('\n') + '\n');
  const { outputs } = await generate({ input, epochs: 2, privacy: 'none', evaluate: false, rows: 10 });
  const lines = fs.readFileSync(outputs.csv, 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], '2019,2020,2021');
  assert.equal(lines.length, 11);
});
