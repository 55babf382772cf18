import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { generate } from '../../src/core/generate';
import { countBroken, describeRule } from '../../src/core/rules/check';
import { mineFromModel } from '../../src/core/rules/mine';
import { Random } from '../../src/core/random';
import { inferSchema } from '../../src/core/schema/infer';
import type { Rule } from '../../src/core/schema/types';
import { loadTable, type ColumnData } from '../../src/core/table';
import { tempDir, tempFile } from '../helpers/files';

/**
 * Admissions: the ward fixes the wing (A, B North; C, D South); a death date only for those who
 * died; a colour unrelated to the ward.
 */
function wardsCsv(rows: number, seed = 5): string {
  const random = new Random(seed);
  const lines = ['ward,wing,died,death_date,colour'];
  for (let i = 0; i < rows; i++) {
    const ward = ['A', 'B', 'C', 'D'][random.int(4)];
    const died = random.next() < 0.3;
    const date = died ? new Date(Date.UTC(2022, 0, 1) + random.int(700) * 86_400_000).toISOString().slice(0, 10) : '';
    lines.push([ward, ward < 'C' ? 'North' : 'South', died ? 'Yes' : 'No', date, ['red', 'green', 'blue'][random.int(3)]].join(','));
  }
  return lines.join('\n') + '\n';
}

const WING: Rule = { kind: 'determines', from: 'ward', to: 'wing', source: 'inferred', enforce: true };
const DEATH: Rule = { kind: 'missingWhen', column: 'death_date', parent: 'died', presentOnlyWhen: ['Yes'], source: 'inferred', enforce: true };

test('under DP, a determines and a missingWhen rule clear in the released model are read off it and kept in every row, at no privacy cost', async () => {
  const file = tempFile('wards.csv', wardsCsv(20000));
  const schema = await inferSchema(file);
  const run = (rules?: Rule[]) =>
    generate({ input: file, schema: { ...schema, ...(rules ? { rules } : {}) }, out: path.join(tempDir(), 's.csv'), generator: 'pgm', privacy: { epsilon: 3 }, privacyUnit: 'row', evaluate: false });
  const { card, outputs } = await run();
  const wing = card.rules.find((r) => r.kind === 'determines' && /ward/.test(r.rule) && /wing/.test(r.rule) && r.rule.indexOf('ward') < r.rule.indexOf('wing'));
  assert.ok(wing, JSON.stringify(card.rules, null, 1));
  // Two discrete columns: the rule is confirmed after the histograms (a joint histogram, then a
  // count of its breaking rows), or, when that count's noise hid it, read off pgm's released
  // ward × wing counts (its tree), which show the rule before its own rows do.
  if (wing.establishment === 'confirmed privately') assert.match(wing.established, /^confirmed privately, read off the noisy joint histogram of its column pair, then counted/);
  else
    assert.match(
      wing.established,
      /^read off the released model: (the noisy counts of the column pair it measured are consistent with no row breaking the rule|kept by at least 99 % of the rows it binds among 20,000 rows the DP generator sampled).* \(post-processing, no privacy cost\)/,
    );
  assert.match(wing.kept, /dependent column set from its determinant/);
  const death = card.rules.find((r) => r.kind === 'missingWhen' && /death_date/.test(r.rule));
  assert.ok(death && /died/.test(death.rule), JSON.stringify(card.rules, null, 1));
  assert.equal(death.establishment, 'read off the released model');
  assert.match(death.kept, /missing values drawn from the parent column/);
  // The unrelated colour makes no rule.
  assert.ok(!card.rules.some((r) => /colour/.test(r.rule)), JSON.stringify(card.rules.map((r) => r.rule)));
  // Every synthetic row keeps both rules as they hold in the real file.
  const synthetic = await loadTable(outputs.csv, schema);
  assert.equal(countBroken(schema, WING, synthetic).broken, 0);
  assert.equal(countBroken(schema, DEATH, synthetic).broken, 0);
  // Nothing is charged for reading off: `"rules": []` turns rule work off, and beside the
  // confirmations' releases the ledger is the same.
  const off = await run([]);
  assert.ok(!off.card.rules.some((r) => r.establishment === 'read off the released model'));
  const confirmations = new Set(['(rules)', '(rule pairs)']);
  assert.deepEqual(
    card.privacy.budget!.preprocessing.releases.filter((r) => !confirmations.has(r.column)).map((r) => r.rho),
    off.card.privacy.budget!.preprocessing.releases.filter((r) => !confirmations.has(r.column)).map((r) => r.rho),
  );
});

test('a pool where the columns are unrelated, or the dependent column collapsed to one value, makes no rule', () => {
  const file = tempFile('wards.csv', wardsCsv(3000));
  return (async () => {
    const schema = await inferSchema(file);
    const table = await loadTable(file, schema);
    // The real rows as a pool keep both rules; the colour makes none.
    const texts = mineFromModel(schema, table, () => false).map(describeRule);
    assert.ok(texts.includes('ward determines wing'), texts.join('\n'));
    assert.ok(texts.some((t) => /^death_date present only when died/.test(t)), texts.join('\n'));
    assert.ok(!texts.some((t) => /colour/.test(t)), texts.join('\n'));
    // A model that drew each column alone: the wing shuffled against the ward, so no rule.
    const random = new Random(1);
    const shuffled = (data: ColumnData): ColumnData => {
      const order = Array.from({ length: table.rowCount }, (_, i) => i);
      random.shuffle(order);
      return data.type === 'categorical' ? { ...data, codes: Int32Array.from(order, (r) => data.codes[r]) } : data;
    };
    const index = (name: string) => schema.columns.findIndex((c) => c.name === name);
    const unrelated = { ...table, columns: table.columns.map((c, i) => (i === index('wing') || i === index('died') ? shuffled(c) : c)) };
    const none = mineFromModel(schema, unrelated, () => false).map(describeRule);
    assert.ok(!none.some((t) => /wing|died/.test(t)), none.join('\n'));
    // A collapsed wing (always North) is fixed by every column, and so by none: no rule.
    const wing = table.columns[index('wing')] as Extract<ColumnData, { type: 'categorical' }>;
    const collapsed = { ...table, columns: table.columns.map((c, i) => (i === index('wing') ? { ...wing, codes: new Int32Array(table.rowCount).fill(wing.levels.indexOf('North')) } : c)) };
    assert.ok(!mineFromModel(schema, collapsed, () => false).some((r) => describeRule(r).includes('wing')));
    // A column the layer already rewrites is left alone.
    assert.ok(!mineFromModel(schema, table, (c) => c === 'wing').some((r) => describeRule(r).includes('wing')));
  })();
});
