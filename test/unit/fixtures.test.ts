/** Fixture formats with hostile column and table names: SQL reserved words, quotes, `__proto__`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FixtureWriter } from '../../src/core/fixtures';
import type { ColumnKind, ColumnSchema } from '../../src/core/schema/types';

function column(index: number, name: string, kind: ColumnKind): ColumnSchema {
  return { name, index, kind, missingCount: 0, missingRate: 0, missingToken: null, quoting: 'as-needed', distinctCount: 2, distinctExact: true };
}

const COLUMNS = [column(0, 'order', 'integer'), column(1, '__proto__', 'categorical'), column(2, 'say "hi"', 'categorical'), column(3, 'group', 'continuous')];
const ROWS = [
  ['1', 'polluted', "it's", '2.5'],
  ['2', null, 'x', null],
];

function written(format: 'json' | 'ndjson' | 'sql' | 'ts', table?: string): string {
  const writer = new FixtureWriter(format, COLUMNS, table);
  return writer.start() + writer.rows(ROWS) + writer.end();
}

test('sql quotes every identifier, so reserved words and quotes in names are valid', () => {
  const lines = written('sql', 'select').trimEnd().split('\n');
  assert.deepEqual(lines, [
    `INSERT INTO "select" ("order", "__proto__", "say ""hi""", "group") VALUES (1, 'polluted', 'it''s', 2.5);`,
    `INSERT INTO "select" ("order", "__proto__", "say ""hi""", "group") VALUES (2, NULL, 'x', NULL);`,
  ]);
  assert.match(written('sql', 'staging.order'), /^INSERT INTO "staging"\."order" \(/, 'a qualified name is quoted part by part');
});

test('a column named __proto__ is kept as an ordinary key in json, ndjson and ts', () => {
  assert.equal(
    written('json'),
    '[\n  {"order":1,"__proto__":"polluted","say \\"hi\\"":"it\'s","group":2.5},\n  {"order":2,"__proto__":null,"say \\"hi\\"":"x","group":null}\n]\n',
  );
  const json = JSON.parse(written('json')) as Record<string, unknown>[];
  assert.equal(Object.getOwnPropertyDescriptor(json[0], '__proto__')?.value, 'polluted');
  const ndjson = written('ndjson').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(Object.keys(ndjson[1]), ['order', '__proto__', 'say "hi"', 'group']);
  const ts = written('ts');
  assert.match(ts, /\["__proto__"\]: "polluted"/);
  const rows = new Function(ts.replace(/^export const syntheticRows = /, 'return '))() as Record<string, unknown>[];
  assert.deepEqual(Object.keys(rows[0]), ['order', '__proto__', 'say "hi"', 'group']);
  assert.equal(Object.getOwnPropertyDescriptor(rows[0], '__proto__')?.value, 'polluted');
  assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype, 'the prototype was not replaced');
});
