/** The readable schema table (`schema --summary`) and percentages shown to people. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeSchema } from '../../src/cli/describe';
import { percentForPeople } from '../../src/core/percent';
import { inferSchema } from '../../src/core/schema/infer';
import { tempFile } from '../helpers/files';

test('percentages show 100 only when it is all and 0 only when it is none', () => {
  assert.equal(percentForPeople(0.9995), '>99');
  assert.equal(percentForPeople(0.9995, 1), '>99.9');
  assert.equal(percentForPeople(1, 1), '100.0');
  assert.equal(percentForPeople(0.0001, 1), '<0.1');
  assert.equal(percentForPeople(0, 1), '0.0');
  assert.equal(percentForPeople(0.4567, 1), '45.7');
});

test('a column 99.95 % missing is not shown as 100 % missing', async () => {
  const lines = ['id,note', '1,present'];
  for (let i = 2; i <= 2000; i++) lines.push(`${i},`);
  const schema = await inferSchema(tempFile('sparse.csv', lines.join('\n') + '\n'));
  const note = schema.columns.find((c) => c.name === 'note')!;
  assert.equal(note.missingRate, 0.9995);
  assert.ok(note.warnings?.includes('>99 % of values are missing'), JSON.stringify(note.warnings));
  const summary = describeSchema(schema);
  assert.match(summary, /^note\s+\S+\s+>99\.9%/m);
  assert.doesNotMatch(summary, /100(\.0)? ?%/);
});

test('schema --summary keeps lines short whatever a cell or a header holds', async () => {
  const huge = 'x'.repeat(1_000_000);
  const name = 'n'.repeat(500);
  const text = `${name},kind,always\n${huge}-a,a,${huge}\n${huge}-b,b,${huge}\n${huge}-a,a,${huge}\n${huge}-b,b,${huge}\n`;
  const summary = describeSchema(await inferSchema(tempFile('wide.csv', text)));
  const longest = Math.max(...summary.split('\n').map((l) => l.length));
  assert.ok(longest <= 220, `longest line ${longest} characters:\n${summary.slice(0, 2000)}`);
  assert.match(summary, /x…/, 'clipped values are marked');

  const long = 'y'.repeat(20_000);
  const rows = Array.from({ length: 60 }, (_, i) => `${long}${i % 3},${i}`);
  const categories = describeSchema(await inferSchema(tempFile('categories.csv', `ward,n\n${rows.join('\n')}\n`)));
  assert.match(categories, /^ward\s+categorical\s+-\s+3 categories: y+…/m);
  assert.ok(Math.max(...categories.split('\n').map((l) => l.length)) <= 220);
});
