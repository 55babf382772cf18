/**
 * A category a DECLARED rule names is public knowledge (the user stated it, as a coding scheme):
 * the DP release counts it without the threshold that hides rare categories, while the column's
 * other categories stay thresholded. Inferred rules name nothing public.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { generate } from '../../src/core/generate';
import { privateStatistics } from '../../src/core/privacy/preprocess';
import { declaredRuleCategories } from '../../src/core/rules/check';
import { inferSchema } from '../../src/core/schema/infer';
import type { Rule, Schema } from '../../src/core/schema/types';
import { loadTable } from '../../src/core/table';
import { tempDir, tempFile } from '../helpers/files';
import { seededSecure } from '../helpers/random';

/** Levels A and B common, Rare and Odd held by `rare` rows each; the level fixes its code, colour is unrelated. */
function levelsCsv(common: number, rare: number, odd = rare): string {
  const lines = ['level,code,colour'];
  const add = (level: string, code: string, n: number) => {
    for (let i = 0; i < n; i++) lines.push(`${level},${code},${['red', 'green', 'blue'][i % 3]}`);
  };
  add('A', 'a1', common);
  add('B', 'b2', common);
  add('Rare', 'r3', rare);
  add('Odd', 'o4', odd);
  return lines.join('\n') + '\n';
}

const CODING: Rule = { kind: 'determines', from: 'level', to: 'code', source: 'declared', enforce: true, combinations: [['A', 'a1'], ['B', 'b2'], ['Rare', 'r3']] };
const INFERRED: Rule = { kind: 'determines', from: 'level', to: 'code', source: 'inferred', enforce: true, when: ['Odd'] };

async function fixture(common: number, rare: number, odd?: number): Promise<{ file: string; schema: Schema }> {
  const file = tempFile('levels.csv', levelsCsv(common, rare, odd));
  return { file, schema: await inferSchema(file) };
}

function levelsOf(stats: ReturnType<typeof privateStatistics>, column: number): string[] {
  const facts = stats.facts[column];
  assert.ok(facts && facts.type === 'categorical');
  return facts.type === 'categorical' ? facts.levels : [];
}

test('DP release: a rare category named by a declared rule is counted without the threshold, an unnamed one of the same size is not', async () => {
  const { file, schema } = await fixture(300, 5);
  const table = await loadTable(file, schema);
  // 3 categorical columns and the row count: rho 2 gives each release sigma 1, so the threshold
  // (about 8 at a column delta of 1e-12) hides 5 rows, the floor (2 sigma) does not.
  const options = { rho: 2, thresholdDelta: 1e-12, needsCounts: true } as const;
  const plain = privateStatistics(schema, table, { ...options, random: seededSecure(7) });
  assert.deepEqual(levelsOf(plain, 0).sort(), ['A', 'B', 'Other'], 'without rules both rare levels fall under the threshold');
  const ruled = privateStatistics({ ...schema, rules: [CODING, INFERRED] }, table, { ...options, random: seededSecure(7) });
  const levels = levelsOf(ruled, 0);
  assert.ok(levels.includes('Rare'), `the declared level is kept: ${levels}`);
  assert.ok(!levels.includes('Odd'), 'the level named by an inferred rule is still thresholded');
  assert.ok(levels.includes('Other'), 'the unreleased levels still go to Other');
  assert.ok(levelsOf(ruled, 1).includes('r3'), 'the dependent column\'s named value is public too');
  const h = ruled.histograms[0]!;
  assert.equal(h.type, 'categorical');
  if (h.type === 'categorical') {
    const rare = h.counts[h.levels.indexOf('Rare')];
    assert.ok(rare > 0 && rare < 10, `Rare's noisy count ${rare}`);
    // Odd's 5 rows are what Other holds (the released total minus the released counts).
    assert.ok(Math.abs(h.counts[h.levels.indexOf('Other')] - 5) < 8, `Other ${h.counts[h.levels.indexOf('Other')]}`);
  }
  assert.ok(ruled.publicFacts.includes('level: categories A, B, Rare, declared public by the rule "level determines code"'), ruled.publicFacts.join('\n'));
  assert.ok(!ruled.publicFacts.some((f) => f.includes('Odd')), 'nothing inferred is listed as public');
  const release = ruled.releases.find((r) => r.column === 'level')!;
  assert.match(release.what, /^counts of the 3 categories named by declared rules \(public, no threshold/);
  // Same number of releases and the same noise: the public levels are slots of the one histogram.
  assert.equal(ruled.releases.length, plain.releases.length);
  assert.equal(ruled.rho, plain.rho);
});

test('an inferred rule alone makes nothing public', async () => {
  const { file, schema } = await fixture(300, 5);
  const table = await loadTable(file, schema);
  const stats = privateStatistics({ ...schema, rules: [{ ...CODING, source: 'inferred' }, INFERRED] }, table, { rho: 2, thresholdDelta: 1e-12, needsCounts: true, random: seededSecure(7) });
  assert.deepEqual(levelsOf(stats, 0).sort(), ['A', 'B', 'Other']);
  assert.deepEqual(stats.publicFacts, []);
});

test('DP generation (pgm, ε 3): the declared rare level and its dependent value appear, the card lists them as public, an undeclared rare level does not appear', async () => {
  // At ε 3 on 6,000 rows each count gets noise of sigma about 4.7 and the threshold is about 26:
  // 24 rows of Rare stand 3 sigma above the floor (2 sigma) but under the threshold.
  const { file, schema } = await fixture(3000, 24, 2);
  const out = path.join(tempDir(), 'levels.synthetic.csv');
  const { card } = await generate({ input: file, out, schema: { ...schema, rules: [CODING] }, generator: 'pgm', privacy: { epsilon: 3 }, privacyUnit: 'row', evaluate: false, seed: 3, holdoutFraction: 0 });
  const release = card.privacy.budget!.preprocessing.releases.find((r) => r.column === 'level')!;
  const threshold = Number(/above a noisy count of (\d+)/.exec(release.what)![1]);
  assert.ok(threshold > 24, `threshold ${threshold}: Rare would fall under it without its rule`);
  const rows = parse(fs.readFileSync(out, 'utf8'), { columns: true }) as { level: string; code: string }[];
  const rare = rows.filter((r) => r.level === 'Rare');
  assert.ok(rare.length > 0, 'the declared rare level is written');
  assert.ok(rare.every((r) => r.code === 'r3'), 'with its code');
  assert.ok(!rows.some((r) => r.level === 'Odd' || r.code === 'o4'), 'the undeclared rare level is not');
  assert.ok(card.privacy.declaredPublic!.some((f) => /^level: categories A, B, Rare, declared public by the rule "level determines code"/.test(f)), card.privacy.declaredPublic!.join('\n'));
});

test('the values a declared rule names, by column: when values, combinations, missingWhen parents, yes/no columns; not numbers, not inferred rules', () => {
  const schema = {
    columns: [
      { name: 'ward', kind: 'categorical' },
      { name: 'died', kind: 'boolean' },
      { name: 'death_date', kind: 'date', dateFormat: 'YYYY-MM-DD' },
      { name: 'stay', kind: 'integer' },
    ],
    rules: [
      { kind: 'missingWhen', column: 'death_date', parent: 'died', presentOnlyWhen: ['Yes'], source: 'declared', enforce: true },
      { kind: 'determines', from: 'ward', to: 'stay', when: ['ICU'], combinations: [['ICU', '3']], source: 'declared', enforce: true },
      { kind: 'determines', from: 'ward', to: 'died', when: ['Morgue'], source: 'inferred', enforce: true },
    ],
  } as unknown as Schema;
  const named = declaredRuleCategories(schema);
  assert.deepEqual([...named.keys()].sort(), ['died', 'ward']);
  assert.deepEqual(named.get('died'), { values: ['Yes'], rules: ['death_date present only when died is "Yes"'] });
  assert.deepEqual(named.get('ward')!.values, ['ICU'], 'the inferred rule\'s Morgue is not public, nor is the number 3');
});

test('DP release: a boolean column\'s rare value is counted without the threshold (its kind names both values), never written as "Other"', async () => {
  const lines = ['history,colour'];
  for (let i = 0; i < 300; i++) lines.push(`${i < 5 ? 1 : 0},${['red', 'green', 'blue'][i % 3]}`);
  const file = tempFile('history.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  assert.equal(schema.columns[0].kind, 'boolean');
  const table = await loadTable(file, schema);
  // As in the first test: sigma 1, a threshold of about 8 that 5 rows fall under.
  const stats = privateStatistics(schema, table, { rho: 2, thresholdDelta: 1e-12, needsCounts: true, random: seededSecure(7) });
  const h = stats.histograms[0]!;
  assert.ok(h.type === 'categorical');
  if (h.type === 'categorical') {
    const one = h.counts[h.levels.indexOf('1')];
    assert.ok(one > 0 && one < 10, `1's noisy count ${one}`);
    const other = h.levels.indexOf('Other');
    assert.ok(other < 0 || h.counts[other] === 0, `Other holds ${h.counts[other]}`);
  }
  assert.ok(stats.publicFacts.includes("history: categories 0, 1, named by the column's kind (boolean)") || stats.publicFacts.includes("history: categories 1, 0, named by the column's kind (boolean)"), stats.publicFacts.join('\n'));
  assert.match(stats.releases.find((r) => r.column === 'history')!.what, /^counts of the 2 categories named by the column's kind \(boolean\) \(public, no threshold/);
  // The unrelated colour keeps its threshold: nothing else became public.
  assert.equal(stats.publicFacts.length, 1);
});
