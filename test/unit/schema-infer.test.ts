import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferSchema } from '../../src/core/schema/infer';
import { nhsCheckDigit } from '../../src/core/schema/identifiers';
import type { ColumnSchema, Schema } from '../../src/core/schema/types';
import { tempFile } from '../helpers/files';

function csv(header: string[], rows: (string | number)[][]): string {
  return [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

function col(schema: Schema, name: string): ColumnSchema {
  const c = schema.columns.find((x) => x.name === name);
  assert.ok(c, `no column ${name}`);
  return c;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('numbers: integer, continuous with decimals, low-cardinality integers become categorical, 0/1 boolean', async () => {
  const rows = range(200).map((i) => [20 + (i % 60), (36 + (i % 30) / 10).toFixed(1), i % 4, i % 2, (i * 1.2345).toFixed(4)]);
  const s = await inferSchema(tempFile('n.csv', csv(['age', 'temp', 'stage', 'flag', 'score'], rows)));
  assert.equal(col(s, 'age').kind, 'integer');
  assert.equal(col(s, 'age').min, 20);
  assert.equal(col(s, 'age').max, 79);
  assert.equal(col(s, 'temp').kind, 'continuous');
  assert.deepEqual(col(s, 'temp').number, { decimals: 1, fixed: true });
  assert.equal(col(s, 'stage').kind, 'categorical');
  assert.deepEqual(col(s, 'stage').categories!.map((c) => c.value), ['0', '1', '2', '3']);
  assert.equal(col(s, 'flag').kind, 'boolean');
  assert.deepEqual(col(s, 'score').number, { decimals: 4, fixed: true });
  assert.equal(s.rowCount, 200);
});

test('missing tokens are recognised, quoted or not, and the token used is recorded', async () => {
  const tokens = ['NA', '"NA"', '', 'NULL', 'N/A', '?', '.', '-', 'NaN', 'null'];
  const rows = range(100).map((i) => [i % 5 === 0 ? 'NA' : String(i), i % 10 === 0 ? '"NA"' : `"v${i % 3}"`, i % 4 === 0 ? tokens[i % tokens.length] : String(i * 2)]);
  const s = await inferSchema(tempFile('m.csv', csv(['x', 'y', 'z'], rows)));
  assert.equal(col(s, 'x').missingToken, 'NA');
  assert.equal(col(s, 'x').missingRate, 0.2);
  assert.equal(col(s, 'x').kind, 'integer');
  assert.equal(col(s, 'y').missingToken, 'NA');
  assert.equal(col(s, 'y').missingQuoted, true);
  assert.equal(col(s, 'y').quoting, 'always');
  assert.equal(col(s, 'z').missingCount, 25);
  assert.equal(col(s, 'z').kind, 'integer');
  assert.match(col(s, 'z').warnings!.join(' '), /missing values are written in/);
});

test('space-padded numbers are trimmed (as in rhc.csv)', async () => {
  const rows = range(50).map((i) => [` ${(i + 10.5).toFixed(5)}`, `${i % 3}  `]);
  const s = await inferSchema(tempFile('p.csv', csv(['age', 'grp'], rows)));
  assert.equal(col(s, 'age').kind, 'continuous');
  assert.equal(col(s, 'age').min, 10.5);
  assert.match(col(s, 'age').warnings!.join(' '), /space-padded/);
});

test('leading zeros keep codes as strings', async () => {
  const rows = range(100).map((i) => [String(i % 7).padStart(5, '0'), i]);
  const s = await inferSchema(tempFile('z.csv', csv(['code', 'n'], rows)));
  assert.equal(col(s, 'code').kind, 'categorical');
  assert.ok(col(s, 'code').categories!.some((c) => c.value === '00003'));
});

test('dates and datetimes in ISO, SQL, T/Z and dd/mm forms', async () => {
  const rows = range(60).map((i) => {
    const day = String((i % 28) + 1).padStart(2, '0');
    const month = String((i % 12) + 1).padStart(2, '0');
    return [`2023-${month}-${day}`, `2146-${month}-${day} 0${i % 10}:15:00`, `2022-${month}-${day}T07:13:55Z`, `${day}/${month}/2020`, `${month}/${day}/2020`];
  });
  const s = await inferSchema(tempFile('d.csv', csv(['iso', 'sql', 'tz', 'uk', 'us'], rows)));
  assert.equal(col(s, 'iso').kind, 'date');
  assert.equal(col(s, 'iso').dateFormat, 'YYYY-MM-DD');
  assert.equal(col(s, 'iso').min, '2023-01-01');
  assert.equal(col(s, 'sql').kind, 'datetime');
  assert.equal(col(s, 'sql').dateFormat, 'YYYY-MM-DD HH:mm:ss');
  assert.equal(col(s, 'tz').dateFormat, 'YYYY-MM-DDTHH:mm:ssZ');
  assert.equal(col(s, 'uk').dateFormat, 'DD/MM/YYYY');
  assert.equal(col(s, 'us').dateFormat, 'MM/DD/YYYY');
});

test('ambiguous dd/mm vs mm/dd reads as dd/mm with a warning; impossible dates are not dates', async () => {
  const rows = range(30).map((i) => [
    `0${(i % 9) + 1}/0${(i % 9) + 1}/2021`,
    i === 7 ? '2021-02-30' : `2021-02-${String((i % 28) + 1).padStart(2, '0')}`,
    i % 5 === 0 ? '2021-02-30' : `2021-02-${String((i % 28) + 1).padStart(2, '0')}`,
  ]);
  const s = await inferSchema(tempFile('a.csv', csv(['when', 'stray', 'bad'], rows)));
  assert.equal(col(s, 'when').dateFormat, 'DD/MM/YYYY');
  assert.match(col(s, 'when').warnings!.join(' '), /ambiguous/);
  // One impossible date among 30 is a stray, read as missing and named with its line.
  assert.equal(col(s, 'stray').kind, 'date');
  assert.deepEqual(col(s, 'stray').readAsMissing, ['2021-02-30']);
  assert.match(col(s, 'stray').warnings!.join(' '), /1 value\(s\) are not dates \("2021-02-30" on line 9\); they are read as missing/);
  assert.equal(col(s, 'stray').missingCount, 1);
  // Six are too many to be strays.
  assert.notEqual(col(s, 'bad').kind, 'date');
});

test('yes/no and true/false columns are boolean, keeping their spelling', async () => {
  const rows = range(40).map((i) => [i % 3 ? 'Yes' : 'No', i % 2 ? 'TRUE' : 'FALSE']);
  const s = await inferSchema(tempFile('b.csv', csv(['died', 'flag'], rows)));
  assert.equal(col(s, 'died').kind, 'boolean');
  assert.deepEqual(col(s, 'died').categories!.map((c) => c.value).sort(), ['No', 'Yes']);
  assert.equal(col(s, 'flag').kind, 'boolean');
});

test('constant and all-missing columns', async () => {
  const rows = range(20).map(() => ['Leeds', '']);
  const s = await inferSchema(tempFile('c.csv', csv(['town', 'empty'], rows)));
  assert.equal(col(s, 'town').kind, 'constant');
  assert.equal(col(s, 'empty').kind, 'constant');
  assert.equal(col(s, 'empty').missingRate, 1);
});

test('high-cardinality strings are free text, not learned, and flagged', async () => {
  const rows = range(300).map((i) => [`"Patient ${i} seen in clinic, felt better on day ${i % 17}"`, ['a', 'b', 'c'][i % 3]]);
  const s = await inferSchema(tempFile('t.csv', csv(['note', 'grp'], rows)));
  assert.equal(col(s, 'note').kind, 'text');
  assert.match(col(s, 'note').warnings!.join(' '), /not learned/);
  assert.equal(col(s, 'note').quoting, 'always');
  assert.equal(col(s, 'grp').kind, 'categorical');
});

test('identifiers: row index, NHS numbers and UUIDs are flagged with a handling', async () => {
  const nhs: string[] = [];
  for (let k = 0; nhs.length < 100; k++) {
    const first9 = String(999000000 + k * 7919);
    const check = nhsCheckDigit(first9);
    if (check !== undefined) nhs.push(first9 + check);
  }
  const rows = range(100).map((i) => [
    i + 1,
    nhs[i],
    `${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}-1c2d-4e5f-8a9b-${String(i).padStart(12, '0')}`,
    i % 50,
  ]);
  const s = await inferSchema(tempFile('id.csv', csv(['', 'nhs_number', 'uuid', 'value'], rows)));
  assert.equal(col(s, 'row_index').kind, 'identifier');
  assert.equal(col(s, 'row_index').identifier!.type, 'row-index');
  assert.equal(col(s, 'nhs_number').identifier!.type, 'nhs-number');
  assert.equal(col(s, 'nhs_number').identifier!.direct, true);
  assert.equal(col(s, 'uuid').identifier!.type, 'uuid');
  assert.equal(col(s, 'value').kind, 'integer');
});

test('scientific notation is recorded so output can use it', async () => {
  const rows = range(30).map((i) => [(i / 40).toExponential(2).toUpperCase().replace(/E([+-])(\d)$/, 'E$10$2')]);
  const s = await inferSchema(tempFile('e.csv', csv(['prg6m'], rows)));
  assert.equal(col(s, 'prg6m').kind, 'continuous');
  assert.deepEqual(col(s, 'prg6m').number!.exponent, { upperCase: true, mantissaDecimals: 2, exponentDigits: 2, explicitPlus: true });
});

test('a stray string in a numeric column is reported with its line', async () => {
  const rows = range(50).map((i) => [i === 20 ? 'unknown' : String(i * 3)]);
  const s = await inferSchema(tempFile('s.csv', csv(['dose'], rows)));
  assert.match(col(s, 'dose').warnings!.join(' '), /"unknown" on line 22/);
});
