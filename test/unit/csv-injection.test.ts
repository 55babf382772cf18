/**
 * CSV injection (issue 14, defect 5): cells a spreadsheet would run as formulas are detected,
 * a defanging leading tab is kept, and `--neutralise-formulas` prefixes OWASP's `'`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { CsvWriter, describeFormulaCells } from '../../src/core/csv/writer';
import { generate } from '../../src/core/generate';
import { sampleFromModel } from '../../src/core/sample-model';
import { inferSchema, trimValue } from '../../src/core/schema/infer';
import type { ColumnSchema, Dialect } from '../../src/core/schema/types';
import { checkRoundTrip } from '../../src/core/transform/roundtrip';
import { tempDir, tempFile } from '../helpers/files';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const DIALECT: Dialect = { delimiter: ',', quote: '"', header: true, lineEnding: '\n', bom: false, encoding: 'utf-8' };
const column = (name: string, kind: ColumnSchema['kind']): ColumnSchema =>
  ({ name, index: 0, kind, missingCount: 0, missingRate: 0, missingToken: null, quoting: 'as-needed', distinctCount: 0, distinctExact: true }) as ColumnSchema;

/** Categories that are formulas, one defanged by a leading tab, and negative numbers. */
function hostileFile(rows = 80): string {
  const names = ['=1+2', '@SUM(A1:A9)', '+cmd|calc', '"\t=2+3"', 'plain', 'other'];
  return ['name,cat,n', ...range(rows).map((i) => `${names[i % names.length]},${i % 4 === 0 ? '"=HYPERLINK(""http://x"")"' : ['a', 'b', 'c'][i % 3]},${-(i % 37) - 1}`)].join('\n') + '\n';
}

test('a leading tab that defangs a formula is kept; other padding is trimmed', () => {
  assert.equal(trimValue('\t=1+2'), '\t=1+2');
  assert.equal(trimValue(' \t@SUM(A1)  '), '\t@SUM(A1)');
  assert.equal(trimValue('\r+cmd'), '\r+cmd');
  assert.equal(trimValue('\t-5'), '-5', 'a number is no formula');
  assert.equal(trimValue('\tplain '), 'plain');
  assert.equal(trimValue('  =1+2'), '=1+2', 'spaces defang nothing');
});

test('formula-like values are flagged in text-valued columns, not negative numbers', async () => {
  const s = await inferSchema(tempFile('hostile.csv', hostileFile()));
  const name = s.columns.find((c) => c.name === 'name')!;
  assert.equal(name.kind, 'categorical');
  assert.ok(name.categories!.some((c) => c.value === '\t=2+3'), 'the tab stays in the category');
  assert.equal(name.formulaLike, 54);
  assert.match(name.warnings!.join(' '), /54 value\(s\) start like a spreadsheet formula .* first "=1\+2" on line 2; .* --neutralise-formulas/);
  const n = s.columns.find((c) => c.name === 'n')!;
  assert.equal(n.kind, 'integer');
  assert.equal(n.formulaLike, undefined);
  assert.equal(n.warnings, undefined);
  assert.equal((await checkRoundTrip(tempFile('hostile.csv', hostileFile()))).mismatches, 0);
});

test('the writer counts formula cells and neutralises them on request, never numbers', () => {
  const columns = [column('name', 'categorical'), column('n', 'integer')];
  const plain = new CsvWriter(DIALECT, columns);
  assert.equal(plain.row(['=1+2', '-5']), '=1+2,-5\n');
  assert.equal(plain.row(['\t=2+3', '-6']), '"\t=2+3",-6\n', 'the defanging tab is written, quoted');
  assert.equal(plain.row(['-7', '-7']), '-7,-7\n', 'a number in a text column is no formula');
  assert.deepEqual(plain.formulaCells(), { count: 2, columns: ['name'], neutralised: false });
  assert.match(describeFormulaCells(plain.formulaCells())!, /^2 cells in "name" start like a spreadsheet formula .* --neutralise-formulas/);
  const safe = new CsvWriter(DIALECT, columns, false, { neutraliseFormulas: true });
  assert.equal(safe.row(['=1+2', '-5']), "'=1+2,-5\n");
  assert.equal(safe.row(['@SUM(A1)', '-5']), "'@SUM(A1),-5\n");
  assert.equal(safe.row(['=HYPERLINK("x")', null]), `"'=HYPERLINK(""x"")",\n`);
  assert.equal(safe.row(['ok', '3']), 'ok,3\n');
  assert.deepEqual(safe.formulaCells(), { count: 3, columns: ['name'], neutralised: true });
  assert.equal(describeFormulaCells({ count: 0, columns: [], neutralised: false }), undefined);
});

test('generate and sample: formulas are reported in the card, the notes and the report, and neutralised with the option', async () => {
  const dir = tempDir();
  const input = path.join(dir, 'hostile.csv');
  fs.writeFileSync(input, hostileFile(90));
  const armed = await generate({ input, out: path.join(dir, 'armed.csv'), epochs: 2, privacy: 'none', evaluate: false, rows: 60, seed: 1 });
  assert.ok(armed.card.output.formulaCells!.count > 0);
  assert.equal(armed.card.output.formulaCells!.neutralised, false);
  assert.match(armed.card.notes.join(' '), /start like a spreadsheet formula/);

  const safe = await generate({ input, out: path.join(dir, 'safe.csv'), epochs: 2, privacy: 'none', rows: 60, seed: 1, neutraliseFormulas: true, holdoutFraction: 0.2 });
  const records = parseCsv(fs.readFileSync(safe.outputs.csv, 'utf8'), { columns: true }) as Record<string, string>[];
  for (const r of records) {
    for (const key of ['name', 'cat']) assert.doesNotMatch(r[key], /^[=+\-@]/, `${key}: ${r[key]}`);
    assert.match(r.n, /^-\d+$/, 'negative numbers are left alone');
  }
  assert.ok(records.some((r) => r.name === "'=1+2"));
  assert.ok(records.some((r) => r.name === "'\t=2+3"));
  assert.equal(safe.card.output.formulaCells!.neutralised, true);
  const report = fs.readFileSync(safe.outputs.report, 'utf8');
  assert.match(report, /formula-cells/);
  assert.match(report, /Cells a spreadsheet would run as formulas/);

  let text = '';
  const sampled = await sampleFromModel({ model: armed.outputs.model, rows: 40, seed: 2, neutraliseFormulas: true }, async (t) => void (text += t));
  assert.ok(sampled.formulaCells!.count > 0);
  assert.doesNotMatch(text, /\n=|\n@|\n\+/);
  await assert.rejects(sampleFromModel({ model: armed.outputs.model, rows: 5, format: 'json', neutraliseFormulas: true }, async () => undefined), /CSV output only/);
});
