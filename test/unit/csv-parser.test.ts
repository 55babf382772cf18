import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvParser, CsvSyntaxError, type ParsedRecord } from '../../src/core/csv/parser';

function parseAll(text: string, chunkSize = text.length || 1, delimiter = ','): ParsedRecord[] {
  const records: ParsedRecord[] = [];
  const parser = new CsvParser({ delimiter, quote: '"', trackQuoted: true }, (r) => records.push(r));
  for (let i = 0; i < text.length; i += chunkSize) parser.push(text.slice(i, i + chunkSize));
  parser.end();
  return records;
}

test('quoted fields hold delimiters, doubled quotes and line breaks', () => {
  const text = 'a,b,c\n1,"x, y","say ""hi"""\n2,"two\nlines",z\n';
  const records = parseAll(text);
  assert.deepEqual(
    records.map((r) => r.fields),
    [
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', 'two\nlines', 'z'],
    ],
  );
  assert.deepEqual(records.map((r) => r.line), [1, 2, 3]);
  assert.deepEqual(records[1].quoted, [false, true, true]);
});

test('gives the same records whatever the chunk size, including splits inside quotes and CRLF', () => {
  const text = 'id,note\r\n1,"a ""quoted"", value"\r\n2,"multi\r\nline"\r\n3,plain\r\n4,""\r\n';
  const whole = parseAll(text).map((r) => [r.fields, r.line]);
  for (const size of [1, 2, 3, 5, 7, 11]) {
    assert.deepEqual(parseAll(text, size).map((r) => [r.fields, r.line]), whole, `chunk size ${size}`);
  }
  assert.deepEqual(whole[2], [['2', 'multi\r\nline'], 3]);
  assert.deepEqual(whole[4], [['4', ''], 6]);
});

test('a record longer than the chunks is scanned a few times over, not once per chunk', () => {
  const note = 'a long note, with commas\nand lines '.repeat(20_000); // 700,000 characters
  const text = `id,note\n1,"${note}"\n2,short\n`;
  let scanned = 0;
  const prototype = CsvParser.prototype as unknown as { parse(text: string, final: boolean): unknown };
  const parse = prototype.parse;
  prototype.parse = function (this: unknown, chunk: string, final: boolean) {
    scanned += chunk.length;
    return parse.call(this, chunk, final);
  };
  try {
    const records = parseAll(text, 1024);
    assert.deepEqual(records.map((r) => [r.fields[0], r.line]), [['id', 1], ['1', 2], ['2', 20_003]]);
    assert.equal(records[1].fields[1], note);
  } finally {
    prototype.parse = parse;
  }
  // Once per 1 KB chunk from the record's start would be some 240 million characters.
  assert.ok(scanned < 4 * text.length, `scanned ${scanned} characters of ${text.length}`);
});

test('a last record without a line ending is kept; blank lines are skipped', () => {
  assert.deepEqual(parseAll('a,b\n\n1,2').map((r) => r.fields), [['a', 'b'], ['1', '2']]);
  assert.deepEqual(parseAll('a,b\n1,2\n\n\n').map((r) => r.fields), [['a', 'b'], ['1', '2']]);
});

test('empty fields and trailing delimiters are fields', () => {
  assert.deepEqual(parseAll('a,,c,\n').map((r) => r.fields), [['a', '', 'c', '']]);
});

test('other delimiters', () => {
  assert.deepEqual(parseAll('a;b\n"1;x";2\n', 100, ';').map((r) => r.fields), [['a', 'b'], ['1;x', '2']]);
  assert.deepEqual(parseAll('a\tb\n1\t2\n', 100, '\t').map((r) => r.fields), [['a', 'b'], ['1', '2']]);
});

test('an unclosed quote is an error naming the line and column where the field starts', () => {
  assert.throws(
    () => parseAll('a,b\n1,2\n3,"never closed\nmore\n'),
    (e: unknown) => e instanceof CsvSyntaxError && e.line === 3 && e.column === 3 && /never closed/.test(e.message),
  );
});

test('text after a closing quote is an error with its position', () => {
  assert.throws(
    () => parseAll('a,b\n"x"y,2\n'),
    (e: unknown) => e instanceof CsvSyntaxError && e.line === 2 && e.column === 4,
  );
});
