import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { generate } from '../../src/core/generate';
import { countBroken, describeRule, valueText } from '../../src/core/rules/check';
import { RuleLayer } from '../../src/core/rules/layer';
import { missingnessStructure } from '../../src/core/privacy/rule-confirmation';
import { Random } from '../../src/core/random';
import { inferSchema } from '../../src/core/schema/infer';
import type { MissingWhenRule, Rule, Schema } from '../../src/core/schema/types';
import { loadTable } from '../../src/core/table';
import { tempDir, tempFile } from '../helpers/files';

/**
 * A trial as pbc records it: patients not randomised (a quarter) have no arm and none of the
 * trial's three lab results; `cholesterol` is missing for them and for a few more (a superset);
 * `weight` is missing at random in a fifth of rows, unrelated; `age` is never missing.
 */
function trialCsv(rows: number, seed = 7): string {
  const random = new Random(seed);
  const lines = ['age,sex,arm,lab_a,lab_b,lab_c,cholesterol,weight'];
  for (let i = 0; i < rows; i++) {
    const randomised = random.next() >= 0.25;
    const lab = (centre: number): string => (randomised ? (centre + random.next() * 20).toFixed(1) : '');
    const cholesterol = randomised && random.next() >= 0.1 ? String(150 + random.int(200)) : '';
    const weight = random.next() < 0.2 ? '' : (50 + random.next() * 50).toFixed(1);
    lines.push([30 + random.int(50), random.next() < 0.5 ? 'F' : 'M', randomised ? (random.next() < 0.5 ? 'drug' : 'placebo') : '', lab(10), lab(40), lab(70), cholesterol, weight].join(','));
  }
  return lines.join('\n') + '\n';
}

const BLOCK = ['arm', 'lab_a', 'lab_b', 'lab_c'];
const presentOnlyWhen = (column: string, parent: string): MissingWhenRule => ({ kind: 'missingWhen', column, parent, source: 'inferred', enforce: true });

test('the rules kept for confirmed missingness: a ring for columns missing together, one link to a column missing in more rows, none implied by another', () => {
  const columns = ['a', 'b', 'c', 'd', 'e', 'f'];
  const missing: Record<string, number> = { a: 100, b: 102, c: 98, d: 130, e: 160, f: 140 };
  const confirmed: MissingWhenRule[] = [];
  // a, b and c confirm each other both ways; d is missing wherever they are; e wherever d is (so
  // wherever a, b and c are too); f only one way from a (it does not confirm a back).
  for (const x of ['a', 'b', 'c']) for (const y of ['a', 'b', 'c']) if (x !== y) confirmed.push(presentOnlyWhen(y, x));
  for (const x of ['a', 'b', 'c']) confirmed.push(presentOnlyWhen('d', x), presentOnlyWhen('e', x));
  confirmed.push(presentOnlyWhen('e', 'd'), presentOnlyWhen('f', 'a'));
  const kept = missingnessStructure(columns, confirmed, (c) => missing[c]).map(describeRule);
  // Fewest missing first: c (98), a (100), b (102): each blanked where the one before it is missing, c where b is.
  assert.deepEqual(kept, [
    'c present only when b is present',
    'a present only when c is present',
    'b present only when a is present',
    'd present only when c is present',
    'f present only when a is present',
    'e present only when d is present',
  ]);
});

test('columns that reach each other through confirmed rules form one group, whichever joins first', () => {
  // p (missing in the fewest rows) confirms q and r both ways, and t confirms p, but p does not
  // confirm t: p reaches t through q. Grouped one by one in the order of their missing counts, t
  // was left out once p had joined (pbc's trt behind chol), and kept only one way.
  const missing: Record<string, number> = { p: 98, q: 100, r: 101, t: 102 };
  const confirmed: MissingWhenRule[] = [];
  for (const [x, y] of [['q', 'r'], ['q', 't'], ['r', 't'], ['p', 'q'], ['p', 'r']]) confirmed.push(presentOnlyWhen(y, x), presentOnlyWhen(x, y));
  confirmed.push(presentOnlyWhen('p', 't'));
  const kept = missingnessStructure(['p', 'q', 'r', 't'], confirmed, (c) => missing[c]).map(describeRule);
  assert.deepEqual(kept, ['p present only when t is present', 'q present only when p is present', 'r present only when q is present', 't present only when r is present']);
  // A link between groups the caller does not allow is not kept.
  assert.deepEqual(missingnessStructure(['m', 'w'], [presentOnlyWhen('w', 'm')], (c) => ({ m: 47, w: 14 })[c]!, () => false), []);
});

test('the layer blanks a ring of missingness rules to a fixpoint: any of its columns missing leaves all of them missing', async () => {
  const lines = ['x,y,z,w'];
  const random = new Random(3);
  // Each of x, y, z missing on its own in a tenth of rows: a generator that spreads the block's
  // missing values apart.
  for (let i = 0; i < 400; i++) lines.push([0, 1, 2].map((k) => (random.next() < 0.1 ? '' : String(k + random.int(5)))).concat(String(random.int(9))).join(','));
  const file = tempFile('ring.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const rules: Rule[] = [presentOnlyWhen('y', 'x'), presentOnlyWhen('z', 'y'), presentOnlyWhen('x', 'z')];
  const layer = RuleLayer.plan(schema, rules, undefined, { mappingsFromRows: false });
  const columns = layer.forward(schema, table).columns.slice();
  layer.inverse(schema, columns, table.rowCount);
  const missing = (k: number, r: number): boolean => valueText(columns[k], r) === null;
  let any = 0;
  for (let r = 0; r < table.rowCount; r++) {
    const pattern = [0, 1, 2].map((k) => missing(k, r));
    if (pattern.some(Boolean)) any++;
    assert.ok(pattern.every((m) => m === pattern[0]), `row ${r}: ${pattern}`);
  }
  // The first pass hands blanked values on, so the block stays missing in about a tenth of rows
  // (each column's own share), not in the quarter that any of them was.
  assert.ok(any >= 25 && any <= 60, `${any} rows with the block missing`);
});

async function trialRun(generator: 'pgm' | 'marginals' | 'tvae', rules?: Rule[]) {
  const file = tempFile('trial.csv', trialCsv(3000));
  const base = await inferSchema(file);
  const schema: Schema = { ...base, ...(rules ? { rules } : {}) };
  const result = await generate({ input: file, schema: rules ? schema : { ...base, rules: undefined }, out: path.join(tempDir(), 's.csv'), generator, privacy: { epsilon: 3 }, holdoutFraction: 0.2, evaluate: false, ...(generator === 'tvae' ? { epochs: 2 } : {}) });
  return { ...result, schema: base };
}

test('a DP run confirms the missingness block through the ledger and keeps it in every synthetic row, with each generator, within the budget', async () => {
  for (const generator of ['pgm', 'tvae', 'marginals'] as const) {
    const { card, outputs, schema } = await trialRun(generator);
    const confirmed = card.rules.filter((r) => r.kind === 'missingWhen' && r.establishment === 'confirmed privately');
    // The block's four columns and cholesterol, missing wherever the block is; weight joins none.
    const blanked = new Set(confirmed.map((r) => r.rule.split(' present only when ')[0]));
    for (const column of [...BLOCK, 'cholesterol']) assert.ok(blanked.has(column), `${generator}: ${column} ${JSON.stringify(card.rules.map((r) => [r.rule, r.establishment, r.kept]))}`);
    assert.ok(!card.rules.some((r) => /weight|age|sex/.test(r.rule)), JSON.stringify(card.rules.map((r) => r.rule)));
    for (const entry of confirmed) {
      // Each rule kept was counted, or closes a ring the counted ones imply.
      if (entry.noisyBroken !== undefined && entry.noisyBroken <= 3 * entry.noiseSigma!) assert.match(entry.established, /^confirmed privately: about \d+ rows break it by a noisy count \(noise σ \d+\.\d\), consistent with none/);
      else assert.match(entry.established, /^confirmed privately: implied by the missingness rules confirmed between these columns/);
      assert.match(entry.kept, /missing values drawn from the parent column/);
    }
    assert.ok(confirmed.some((entry) => typeof entry.noisyBroken === 'number'));
    // In every synthetic row: the block's columns all present or all missing, cholesterol missing
    // wherever they are. The marginals generator draws each column alone: without the rules most
    // rows of the block would be broken.
    const synthetic = await loadTable(outputs.csv, schema);
    const mined: Rule[] = [...BLOCK.filter((c) => c !== 'arm').flatMap((c) => [presentOnlyWhen(c, 'arm'), presentOnlyWhen('arm', c)]), presentOnlyWhen('cholesterol', 'arm')];
    for (const rule of mined) assert.equal(countBroken(schema, rule, synthetic).broken, 0, `${generator}: ${describeRule(rule)}`);
    // The block is still a block of missing values, not blanked everywhere.
    const index = schema.columns.findIndex((c) => c.name === 'arm');
    const arm = synthetic.columns[index] as { codes: Int32Array };
    const share = arm.codes.filter((c) => c < 0).length / synthetic.rowCount;
    assert.ok(share > 0.15 && share < 0.4, `${generator}: ${share} of rows without an arm`);
    // Two releases in the ledger (the screen, the count), named in the guarantee, inside the budget.
    const releases = card.privacy.budget!.preprocessing.releases.filter((r) => /candidate missingness rules/.test(r.what));
    assert.equal(releases.length, 2);
    assert.match(card.privacy.statement, /counts of rows breaking candidate rules/);
    assert.ok(card.privacy.epsilon! <= 3 + 1e-9, `${card.privacy.epsilon}`);
    // pgm's measurement and DP-SGD's noise take what the target leaves: the whole budget is spent.
    if (generator !== 'marginals') assert.ok(card.privacy.epsilon! > 2.99, `${generator} spends the whole budget: ${card.privacy.epsilon}`);
    assert.ok(card.notes.some((n) => /candidate missingness rules .* were tested privately/.test(n)));
  }
});

test('with rules turned off nothing is tested for missingness and nothing spent on it; pgm still spends the whole budget with no column missing', async () => {
  const off = await trialRun('pgm', []);
  assert.equal(off.card.privacy.budget!.preprocessing.releases.filter((r) => /missingness/.test(r.what)).length, 0);
  assert.ok(off.card.privacy.epsilon! > 2.99 && off.card.privacy.epsilon! <= 3 + 1e-9);
  const lines = ['a,b,c'];
  const random = new Random(2);
  for (let i = 0; i < 2000; i++) lines.push([random.int(9), random.int(5), random.next() < 0.5 ? 'x' : 'y'].join(','));
  const file = tempFile('full.csv', lines.join('\n') + '\n');
  const { card } = await generate({ input: file, out: path.join(tempDir(), 's.csv'), generator: 'pgm', privacy: { epsilon: 3 }, holdoutFraction: 0.2, evaluate: false });
  assert.equal(card.privacy.budget!.preprocessing.releases.filter((r) => /missingness/.test(r.what)).length, 0);
  assert.ok(card.privacy.epsilon! > 2.99 && card.privacy.epsilon! <= 3 + 1e-9, `${card.privacy.epsilon}`);
});

/**
 * Admissions as rhc records them: a death date only for the patients who died (about 60 %), after
 * their admission; `ward` and `sex` unrelated; `weight` missing at random in a fifth of rows.
 */
function deathsCsv(rows: number, seed = 11): string {
  const random = new Random(seed);
  const lines = ['sex,ward,died,admitted,death_date,weight'];
  const day = (n: number): string => new Date(Date.UTC(2020, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
  for (let i = 0; i < rows; i++) {
    const died = random.next() < 0.6;
    const admitted = random.int(700);
    lines.push([random.next() < 0.5 ? 'F' : 'M', `W${1 + random.int(5)}`, died ? 'Yes' : 'No', day(admitted), died ? day(admitted + 1 + random.int(300)) : '', random.next() < 0.2 ? '' : (50 + random.next() * 50).toFixed(1)].join(','));
  }
  return lines.join('\n') + '\n';
}

test('under DP, a date present only for one value of a category is confirmed through the ledger for the marginals generator, which draws the date apart', async () => {
  const file = tempFile('deaths.csv', deathsCsv(4000));
  const schema = await inferSchema(file);
  const rule: MissingWhenRule = { kind: 'missingWhen', column: 'death_date', parent: 'died', presentOnlyWhen: ['Yes'], source: 'inferred', enforce: true };
  const { card, outputs } = await generate({ input: file, out: path.join(tempDir(), 's.csv'), generator: 'marginals', schema, privacy: { epsilon: 3 }, holdoutFraction: 0.2, evaluate: false });
  const entry = card.rules.find((r) => r.rule === describeRule(rule));
  assert.ok(entry, JSON.stringify(card.rules.map((r) => [r.rule, r.establishment])));
  assert.equal(entry.establishment, 'confirmed privately');
  assert.match(entry.established, /^confirmed privately: about -?\d+ rows break it by a noisy count \(noise σ \d+\.\d\), consistent with none/);
  // Nothing unrelated is kept: weight's missing values follow no category.
  assert.ok(!card.rules.some((r) => /weight|ward|sex/.test(r.rule) && r.establishment !== 'not used'), JSON.stringify(card.rules.map((r) => [r.rule, r.establishment])));
  // Drawn apart, 4 survivors in 10 would get a death date (about 24 % of rows).
  const synthetic = await loadTable(outputs.csv, schema);
  assert.equal(countBroken(schema, rule, synthetic).broken, 0);
  const index = schema.columns.findIndex((c) => c.name === 'death_date');
  const dates = synthetic.columns[index] as { values: Float64Array };
  const present = dates.values.filter((x) => !Number.isNaN(x)).length / synthetic.rowCount;
  assert.ok(present > 0.5 && present < 0.7, `${present} of rows with a death date`);
  // Two releases (the screen, the count) in the ledger, named in the guarantee, within ε.
  const releases = card.privacy.budget!.preprocessing.releases.filter((r) => /present only when a category is one value/.test(r.what));
  assert.equal(releases.length, 2, JSON.stringify(card.privacy.budget!.preprocessing.releases.map((r) => r.what)));
  assert.match(card.privacy.statement, /counts of rows breaking candidate rules/);
  assert.ok(card.privacy.epsilon! <= 3 + 1e-9, `${card.privacy.epsilon}`);
  // pgm measures the pair in its own model and reads the rule off it: nothing is spent on these.
  const pgm = await generate({ input: file, out: path.join(tempDir(), 's.csv'), generator: 'pgm', schema, privacy: { epsilon: 3 }, holdoutFraction: 0.2, evaluate: false });
  assert.equal(pgm.card.privacy.budget!.preprocessing.releases.filter((r) => /present only when a category is one value/.test(r.what)).length, 0);
});

test('candidates "present only when a category is one value" that the screen drops cost the screen alone, and the ledger adds up', async () => {
  // A date present in 60 % of rows whatever the category (65 % "Yes"): the candidate "present only
  // when Yes" fits the released counts, and a fifth of the rows break it.
  const random = new Random(13);
  const lines = ['flag,seen'];
  for (let i = 0; i < 4000; i++) lines.push([random.next() < 0.65 ? 'Yes' : 'No', random.next() < 0.6 ? `2021-0${1 + random.int(9)}-1${random.int(10)}` : ''].join(','));
  const file = tempFile('unrelated-dates.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  const { card } = await generate({ input: file, out: path.join(tempDir(), 's.csv'), generator: 'marginals', schema, privacy: { epsilon: 3 }, holdoutFraction: 0.2, evaluate: false });
  assert.ok(!card.rules.some((r) => r.rule.startsWith('seen present only when') && r.establishment !== 'not used'), JSON.stringify(card.rules.map((r) => [r.rule, r.establishment])));
  const releases = card.privacy.budget!.preprocessing.releases;
  const tested = releases.filter((r) => /present only when a category is one value/.test(r.what));
  assert.equal(tested.length, 1, JSON.stringify(releases.map((r) => r.what)));
  assert.ok(Math.abs(releases.reduce((s, r) => s + r.rho, 0) - card.privacy.budget!.preprocessing.rho) < 1e-12, 'the ledger adds up');
});
