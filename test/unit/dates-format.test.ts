import { test } from 'node:test';
import assert from 'node:assert/strict';
import { civilFromDays, daysFromCivil, DATE_FORMATS, formatDate, isDatetimeFormat, parseDate, utcOffsetOf } from '../../src/core/schema/dates';
import { formatNumber } from '../../src/core/schema/format';
import { CsvWriter } from '../../src/core/csv/writer';
import type { ColumnSchema, Dialect } from '../../src/core/schema/types';

test('days-from-civil agrees with the JavaScript calendar over four centuries', () => {
  for (let days = -150000; days < 150000; days += 97) {
    const d = new Date(days * 86400000);
    assert.equal(daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()), days);
    assert.deepEqual(civilFromDays(days), { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() });
  }
});

test('every format parses and formats back to the same text', () => {
  const examples: Record<string, string> = {
    'YYYY-MM-DD': '1990-07-04',
    'DD/MM/YYYY': '29/02/2024',
    'MM/DD/YYYY': '12/31/1899',
    'YYYY-MM-DD HH:mm:ss': '2146-07-21 23:59:59',
    'YYYY-MM-DD HH:mm': '2146-07-21 08:05',
    'YYYY-MM-DDTHH:mm:ss': '2022-07-20T07:13:55',
    'YYYY-MM-DDTHH:mm:ssZ': '1936-11-20T04:04:05Z',
    'YYYY-MM-DDTHH:mm:ss.SSS': '2022-07-20T07:13:55.120',
    'YYYY-MM-DDTHH:mm:ss.SSSZ': '2022-07-20T07:13:55.007Z',
    'DD/MM/YYYY HH:mm': '01/02/2003 04:05',
    'DD/MM/YYYY HH:mm:ss': '01/02/2003 04:05:06',
    'MM/DD/YYYY HH:mm': '01/02/2003 04:05',
    'MM/DD/YYYY HH:mm:ss': '01/02/2003 04:05:06',
    'YYYY-MM-DDTHH:mm:ss+HH:mm': '2024-01-03T10:00:00+01:00',
    'YYYY-MM-DDTHH:mm:ss.SSS+HH:mm': '2024-01-03T10:00:00.250-05:30',
    'YYYY-MM-DD HH:mm:ss+HH:mm': '2024-01-03 10:00:00+01',
    'DD.MM.YYYY': '03.01.2000',
    'DD.MM.YYYY HH:mm': '03.01.2000 23:59',
    'DD.MM.YYYY HH:mm:ss': '03.01.2000 23:59:01',
    'DD MMM YYYY': '03 Jan 2000',
    'D MMM YYYY': '3 Dec 2000',
    'DD-MMM-YYYY': '29-Feb-2000',
    'D-MMM-YYYY': '3-Jan-2000',
    YYYYMMDD: '20240103',
  };
  for (const format of DATE_FORMATS) {
    const text = examples[format];
    assert.ok(text, `example for ${format}`);
    const n = parseDate(text, format);
    assert.notEqual(n, undefined, `${format} parses ${text}`);
    assert.equal(formatDate(n!, format, utcOffsetOf(text)), text, format);
  }
});

test('a UTC offset names an instant; output shows it in the column\'s offset; month names read in any case', () => {
  const instant = parseDate('2024-01-03T10:00:00+01:00', 'YYYY-MM-DDTHH:mm:ss+HH:mm');
  assert.equal(instant, parseDate('2024-01-03T09:00:00Z', 'YYYY-MM-DDTHH:mm:ssZ'));
  assert.equal(parseDate('2024-01-03T04:00:00-0500', 'YYYY-MM-DDTHH:mm:ss+HH:mm'), instant);
  assert.equal(formatDate(instant!, 'YYYY-MM-DDTHH:mm:ss+HH:mm', '-05:00'), '2024-01-03T04:00:00-05:00');
  assert.equal(parseDate('03 JAN 2000', 'DD MMM YYYY'), parseDate('03.01.2000', 'DD.MM.YYYY'));
  assert.equal(parseDate('03 Foo 2000', 'DD MMM YYYY'), undefined);
  assert.equal(parseDate('03-Jan-2000', 'D-MMM-YYYY'), undefined, 'an unpadded day has no leading zero');
  assert.equal(parseDate('20240230', 'YYYYMMDD'), undefined);
});

test('invalid calendar dates and times are rejected', () => {
  assert.equal(parseDate('2023-02-29', 'YYYY-MM-DD'), undefined);
  assert.equal(parseDate('2024-02-29', 'YYYY-MM-DD'), daysFromCivil(2024, 2, 29));
  assert.equal(parseDate('1900-02-29', 'YYYY-MM-DD'), undefined);
  assert.equal(parseDate('31/04/2020', 'DD/MM/YYYY'), undefined);
  assert.equal(parseDate('2020-01-01 24:00:00', 'YYYY-MM-DD HH:mm:ss'), undefined);
  assert.equal(parseDate('2020-1-1', 'YYYY-MM-DD'), undefined);
});

test('datetimes are seconds since 1970 in UTC, dates whole days', () => {
  assert.equal(parseDate('1970-01-02', 'YYYY-MM-DD'), 1);
  assert.equal(parseDate('1970-01-01T00:01:00Z', 'YYYY-MM-DDTHH:mm:ssZ'), 60);
  assert.equal(parseDate('1969-12-31 23:59:59', 'YYYY-MM-DD HH:mm:ss'), -1);
  assert.equal(formatDate(1.4, 'YYYY-MM-DD'), '1970-01-02');
  assert.equal(formatDate(-0.6, 'YYYY-MM-DDTHH:mm:ssZ'), '1969-12-31T23:59:59Z');
});

test('numbers are written with the decimals and notation the source used', () => {
  assert.equal(formatNumber(12, { decimals: 6, fixed: true }, true), '12.000000');
  assert.equal(formatNumber(41.04999, { decimals: 8, fixed: false }, false), '41.04999');
  assert.equal(formatNumber(41.0, { decimals: 8, fixed: false }, false), '41');
  assert.equal(formatNumber(2.4999, { decimals: 0, fixed: true }, true), '2');
  assert.equal(formatNumber(-0.0001, { decimals: 2, fixed: true }, false), '0.00');
  assert.equal(formatNumber(0.25, { decimals: 0, fixed: false, exponent: { upperCase: true, mantissaDecimals: 2, exponentDigits: 2, explicitPlus: true } }, false), '2.50E-01');
  assert.equal(formatNumber(0, { decimals: 0, fixed: false, exponent: { upperCase: true, mantissaDecimals: 2, exponentDigits: 2, explicitPlus: true } }, false), '0.00E+00');
});

test('the writer quotes when needed, or always for columns that were always quoted, and writes missing tokens', () => {
  const column = (name: string, quoting: ColumnSchema['quoting'], missingToken: string | null, missingQuoted = false): ColumnSchema => ({
    name, index: 0, kind: 'text', missingCount: 0, missingRate: 0, missingToken, missingQuoted, quoting, distinctCount: 0, distinctExact: true,
  });
  const dialect: Dialect = { delimiter: ',', quote: '"', header: true, lineEnding: '\r\n', bom: true, encoding: 'utf-8' };
  const writer = new CsvWriter(dialect, [column('a', 'never', 'NA'), column('b', 'always', 'NA', true), column('c', 'as-needed', '')], true);
  assert.equal(writer.header(), '\uFEFF"a","b","c"\r\n');
  assert.equal(writer.row(['x,y', 'plain', 'say "hi"']), '"x,y","plain","say ""hi"""\r\n');
  assert.equal(writer.row([null, null, null]), 'NA,"NA",\r\n');
  assert.equal(writer.row(['two\nlines', '', ' padded']), '"two\nlines","",", padded"\r\n'.replace(', padded', ' padded'));
});

test('a value past years 0001-9999 is written as the nearest date that reads back, in every format', () => {
  // Year -184165 came out of a DP run once; far tails and the double range's ends must not either.
  const days = daysFromCivil(-184165, 7, 18);
  for (const format of DATE_FORMATS) {
    const scale = isDatetimeFormat(format) ? 86400 : 1;
    for (const n of [days * scale, -Number.MAX_VALUE, Number.MAX_VALUE, daysFromCivil(12000, 1, 1) * scale]) {
      const text = formatDate(n, format);
      const back = parseDate(text, format);
      assert.notEqual(back, undefined, `${format}: ${text} does not read back`);
      assert.match(text, n < 0 ? /0001/ : /9999/, `${format}: ${text}`);
    }
  }
});
