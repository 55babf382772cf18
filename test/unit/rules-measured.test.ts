import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { generate, type GeneratorName } from '../../src/core/generate';
import { evaluateRules } from '../../src/core/evaluate/rules';
import type { MeasuredPair } from '../../src/core/release/types';
import { describeRule, majorityMapping } from '../../src/core/rules/check';
import { rulesFromMeasurements } from '../../src/core/rules/from-measurements';
import { mineRules } from '../../src/core/rules/mine';
import { Random } from '../../src/core/random';
import type { CategoricalHistogram } from '../../src/core/release/types';
import { inferSchema } from '../../src/core/schema/infer';
import type { DeterminesRule, Rule, Schema } from '../../src/core/schema/types';
import { loadTable, type Table } from '../../src/core/table';
import { tempDir, tempFile } from '../helpers/files';

/**
 * Follow-up of patients, with the kinds of rule rhc holds that a DP generator broke: values of one
 * column fixing another for some values only (no cancer → no malignancy, metastatic → malignancy),
 * the same fact both ways (alive → not dead within 30 days; dead within 30 days → dead), a number
 * fixed by a value (days to death within 30 is 30 for those alive at 30 days), a death date only
 * for the dead, after admission; and a colour unrelated to all.
 */
function followUpCsv(rows: number, seed = 3): string {
  const random = new Random(seed);
  const lines = ['cancer,malignancy,died,died30,days30,admitted,death_date,colour'];
  const day = (n: number): string => new Date(Date.UTC(2020, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
  for (let i = 0; i < rows; i++) {
    const u = random.next();
    const cancer = u < 0.6 ? 'No' : u < 0.85 ? 'Yes' : 'Metastatic';
    const malignancy = cancer === 'No' ? 0 : cancer === 'Metastatic' ? 1 : random.int(2);
    const died = random.next() < 0.6;
    const died30 = died && random.next() < 0.5;
    // Deaths within 30 days come within 20 days, so 30 stands apart from them.
    const days30 = died30 ? 1 + random.int(20) : 30;
    const admitted = random.int(900);
    const death = died ? day(admitted + random.int(400)) : '';
    lines.push([cancer, malignancy, died ? 'Yes' : 'No', died30 ? 'Yes' : 'No', days30, day(admitted), death, ['red', 'green', 'blue'][random.int(3)]].join(','));
  }
  return lines.join('\n') + '\n';
}

/** The rules mined from the whole real file, each determines rule with its real pairs (what the rules bench declares). */
function declaredFrom(schema: Schema, real: Table): { mined: Rule[]; declared: Rule[] } {
  const mined = mineRules(schema, real).filter((r) => r.enforce);
  const index = new Map(schema.columns.map((c, i) => [c.name, i]));
  const declared = mined.map((rule): Rule => {
    if (rule.kind !== 'determines') return { ...rule, source: 'declared' };
    const when = rule.when ? new Set(rule.when) : undefined;
    const pairs = [...majorityMapping(real.columns[index.get(rule.from)!], real.columns[index.get(rule.to)!], real.rowCount)];
    return { ...rule, source: 'declared', combinations: pairs.filter(([f, t]) => t !== null && (!when || when.has(f))) as [string, string][] };
  });
  return { mined, declared };
}

async function fixture(rows: number): Promise<{ file: string; schema: Schema; real: Table; mined: Rule[]; declared: Rule[] }> {
  const file = tempFile('followup.csv', followUpCsv(rows));
  const schema = await inferSchema(file);
  const real = await loadTable(file, schema);
  return { file, schema, real, ...declaredFrom(schema, real) };
}

/** Synthetic rows breaking each rule mined from the real file (only those that some break). */
async function brokenRows(out: string, schema: Schema, real: Table, mined: Rule[]): Promise<Record<string, number>> {
  const synthetic = await loadTable(out, schema);
  const checked = evaluateRules({ ...schema, rules: mined }, real, synthetic);
  return Object.fromEntries(checked.rules.filter((r) => r.synthetic.broken > 0).map((r) => [r.rule, r.synthetic.broken]));
}

test('the fixture holds every kind of rule that broke on rhc', async () => {
  const { mined } = await fixture(4000);
  const texts = mined.map(describeRule);
  for (const expected of [
    'cancer determines malignancy (when cancer is one of "No", "Metastatic")',
    'died determines died30 (when died is "No")',
    'died30 determines died (when died30 is "Yes")',
    'died30 determines days30 (when died30 is "No")',
    'death_date present only when died is "Yes"',
    'admitted ≤ death_date',
  ]) {
    assert.ok(texts.includes(expected), `${expected}\n${texts.join('\n')}`);
  }
});

for (const generator of ['pgm', 'tvae'] as GeneratorName[]) {
  test(`under DP at ε 3 (${generator}), declared rules of every kind are kept in every synthetic row`, async () => {
    const { file, schema, real, mined, declared } = await fixture(4000);
    const out = path.join(tempDir(), 's.csv');
    await generate({ input: file, out, seed: 2, schema: { ...schema, rules: declared }, generator, epochs: 1, privacy: { epsilon: 3 }, evaluate: false });
    assert.deepEqual(await brokenRows(out, schema, real, mined), {});
  });
}

test('without DP the run mines its own rules and keeps them in every synthetic row', async () => {
  const { file, schema, real, mined } = await fixture(3000);
  const out = path.join(tempDir(), 's.csv');
  const { card } = await generate({ input: file, out, seed: 2, schema, epochs: 2, privacy: 'none', evaluate: false });
  assert.ok(card.rules.length >= mined.length, JSON.stringify(card.rules.map((r) => r.rule)));
  assert.deepEqual(await brokenRows(out, schema, real, mined), {});
});

test('under DP with no rule declared, pgm reads partial rules and missingness off the pair counts it released (or joint histograms of discrete columns): at most 1 % of rows break a rule', async () => {
  const { file, schema, real, mined } = await fixture(8000);
  const out = path.join(tempDir(), 's.csv');
  const { card } = await generate({ input: file, out, seed: 2, schema, generator: 'pgm', privacy: { epsilon: 3 }, evaluate: false });
  // Read off pgm's pair counts, or, between discrete columns, confirmed after the histograms off joint histograms of their own.
  const read = card.rules
    .filter((r) => (r.establishment === 'read off the released model' && /noisy counts of the column pair it measured/.test(r.established)) || /^confirmed privately, read off the noisy joint histogram/.test(r.established))
    .map((r) => r.rule);
  assert.ok(read.some((r) => /^cancer determines malignancy/.test(r)), read.join('\n'));
  // died30 is set from died, or from days30 (when pgm's cells keep 30 apart), and then fixes died.
  assert.ok(read.some((r) => /^died determines died30|^died30 determines died|^days30 determines died30/.test(r)), read.join('\n'));
  assert.ok(read.includes('death_date present only when died is "Yes"'), read.join('\n'));
  // The colour is unrelated to everything: no rule names it.
  assert.ok(!card.rules.some((r) => /colour/.test(r.rule)), JSON.stringify(card.rules.map((r) => r.rule)));
  // days30 is left out: pgm's released cells hold 30 together with the last days before it, so a
  // rule on it cannot be read off the counts (declared, it is kept: the tests above).
  const checked = mined.filter((rule) => !describeRule(rule).includes('days30'));
  const synthetic = await loadTable(out, schema);
  const breaking = evaluateRules({ ...schema, rules: checked }, real, synthetic).syntheticRowsBreakingAny;
  assert.ok(breaking.share <= 0.01, JSON.stringify(await brokenRows(out, schema, real, checked)));
});

/**
 * Schooling as adult.csv holds it: each level with its whole-number code (one-to-one), levels of
 * very unequal size (the rarest a few dozen rows), and an age and an hours column beside them.
 */
function schoolingCsv(rows: number, seed = 5): string {
  const random = new Random(seed);
  const levels = ['Preschool', '1st-4th', '5th-6th', '7th-8th', '9th', '10th', '11th', '12th', 'HS-grad', 'Some-college', 'Assoc-voc', 'Assoc-acdm', 'Bachelors', 'Masters', 'Prof-school', 'Doctorate'];
  const weights = [2, 5, 10, 20, 16, 29, 36, 13, 322, 224, 42, 33, 164, 53, 18, 13];
  const total = weights.reduce((a, b) => a + b, 0);
  const lines = ['age,education,education_num,hours'];
  for (let i = 0; i < rows; i++) {
    let u = random.next() * total;
    let level = 0;
    while (u >= weights[level] && level < levels.length - 1) u -= weights[level++];
    lines.push([18 + random.int(60), levels[level], level + 1, 10 + random.int(50)].join(','));
  }
  return lines.join('\n') + '\n';
}

test('under DP with no rule declared, pgm reads a level\'s one-to-one code off the pair it released: at most 1 % of rows break it', async () => {
  const file = tempFile('schooling.csv', schoolingCsv(20_000));
  const schema = await inferSchema(file);
  const real = await loadTable(file, schema);
  const mined = mineRules(schema, real).filter((r) => r.enforce);
  assert.ok(mined.some((r) => describeRule(r) === 'education determines education_num'), mined.map(describeRule).join('\n'));
  const out = path.join(tempDir(), 's.csv');
  await generate({ input: file, out, seed: 2, schema, generator: 'pgm', privacy: { epsilon: 3 }, evaluate: false });
  const synthetic = await loadTable(out, schema);
  const checked = evaluateRules({ ...schema, rules: mined.filter((r) => describeRule(r) === 'education determines education_num') }, real, synthetic);
  assert.ok(checked.syntheticRowsBreakingAny.share <= 0.01, `${checked.syntheticRowsBreakingAny.share} of rows break it`);
});

/** The schema of a measured pair's two categorical columns. */
function twoCategoricals(first: string, second: string): Schema {
  return { columns: [first, second].map((name) => ({ name, kind: 'categorical' })) } as unknown as Schema;
}

/** A measured pair of two categorical columns, with noise of deviation `sigma` already in its counts. */
function pair(levels: [string[], string[]], counts: number[], sigma: number): MeasuredPair {
  const histogram = (ls: string[], totals: number[]): CategoricalHistogram => ({ type: 'categorical', levels: ls, counts: totals, missing: 0, sigma });
  const rowsOf = levels[0].map((_, i) => levels[1].reduce((s, _l, j) => s + counts[i * levels[1].length + j], 0));
  const colsOf = levels[1].map((_, j) => levels[0].reduce((s, _l, i) => s + counts[i * levels[1].length + j], 0));
  return {
    columns: [0, 1],
    cellOfSlot: [levels[0].map((_, i) => i).concat([0]), levels[1].map((_, j) => j).concat([0])],
    histograms: [histogram(levels[0], rowsOf), histogram(levels[1], colsOf)],
    counts,
    sigma,
  };
}

test('a rule is read off measured counts only when its breaks are within the noise and chance would break it often', () => {
  const schema = twoCategoricals('plan', 'cover');
  const read = (p: MeasuredPair): string[] => rulesFromMeasurements(schema, [p], () => false).map(describeRule);
  // "basic" always goes with "none" (its other cell is noise around 0), so "some" goes with
  // "full"; "full" and "none" vary.
  const clean = pair([['basic', 'full'], ['none', 'some']], [2000, -25, 900, 1100], 20);
  // Both directions (here each is the other's contrapositive).
  assert.deepEqual(read(clean).sort(), ['cover determines plan (when cover is "some")', 'plan determines cover (when plan is "basic")']);
  // Of two directions, the one whose breaks are nearer none comes first, not the one binding more
  // rows: the cover fixing the plan ("none" → "basic", "some" and "other" → "full") is broken by
  // 40 rows, within its noise; "basic" → "none" by none. The other is only a fallback.
  const three = pair([['basic', 'full'], ['none', 'some', 'other']], [2000, -5, 3, 40, 600, 500], 20);
  assert.deepEqual(read(three), ['plan determines cover (when plan is "basic")', 'cover determines plan']);
  // A whole rule as near none as the other direction, which it implies, comes first: enforcing it
  // keeps both ("basic" is the plan of "none" alone), where the partial one first would leave the
  // whole one out as setting its column (support2's dzgroup → dzclass beside dzclass "Coma" → "Coma").
  const implied = pair([['basic', 'full'], ['none', 'some', 'other']], [2000, -30, 3, 20, 600, 500], 20);
  assert.deepEqual(read(implied), ['cover determines plan', 'plan determines cover (when plan is "basic")']);
  const [rule] = rulesFromMeasurements(schema, [three], () => false);
  assert.deepEqual((rule as { combinations: unknown }).combinations, [['basic', 'none']]);
  // Broken in 5 % of its rows (100, five noise deviations): not a rule.
  assert.deepEqual(read(pair([['basic', 'full'], ['none', 'some']], [1900, 100, 900, 1100], 20)), []);
  // Too few rows for chance to break it more than the noise could hide: not a rule.
  assert.deepEqual(read(pair([['basic', 'full'], ['none', 'some']], [60, 0, 900, 1100], 20)), []);
  // A column the layer rewrites is never read.
  assert.deepEqual(rulesFromMeasurements(schema, [clean], (c) => c === 'cover'), []);
});

test('a code the release shows clearly, whose level fell under the categories\' threshold, is fixed by "Other" instead of being erased', () => {
  const schema = twoCategoricals('education', 'education_num');
  const sigma = 10;
  // As adult at ε 3: Preschool (40 rows) under the threshold is released as "Other" with no
  // rows, which joins the fullest level's cell; its code 1 stands 4 deviations above the noise.
  const education: CategoricalHistogram = { type: 'categorical', levels: ['HS-grad', 'Bachelors', 'Other'], counts: [3000, 1000, 0], missing: 0, sigma };
  const code: CategoricalHistogram = { type: 'categorical', levels: ['9', '13', '1'], counts: [3003, 998, 40], missing: 0, sigma };
  const measured: MeasuredPair = {
    columns: [0, 1],
    cellOfSlot: [
      [0, 1, 0, 0],
      [0, 1, 2, 0],
    ],
    histograms: [education, code],
    counts: [3000, -5, 41, 3, 1000, -2],
    sigma,
  };
  const rules = rulesFromMeasurements(schema, [measured], () => false, 'Other');
  const rule = rules.find((r) => r.kind === 'determines' && r.from === 'education')!;
  assert.equal(describeRule(rule), 'education determines education_num');
  assert.deepEqual((rule as DeterminesRule).combinations, [
    ['HS-grad', '9'],
    ['Bachelors', '13'],
    ['Other', '1'],
  ]);
  // Without a label for the left-out levels, the code stays orphaned: the rule binds only the
  // levels clear on their own when the code is clear by twice the margin, else every level.
  const plain = rulesFromMeasurements(schema, [measured], () => false).find((r) => r.kind === 'determines' && r.from === 'education') as DeterminesRule;
  assert.ok(!plain.combinations!.some(([, to]) => to === '1'));
  // The left-out levels' slot in a free level's cell: the model draws their code as it is, and
  // "Other" fixes nothing (support2's dzgroup was written "Other", a label no row of the file holds).
  const withMasters: MeasuredPair = {
    columns: [0, 1],
    cellOfSlot: [
      [0, 1, 2, 2, 0],
      [0, 1, 2, 0],
    ],
    histograms: [
      { type: 'categorical', levels: ['HS-grad', 'Bachelors', 'Masters', 'Other'], counts: [3036, 1001, 805, 0], missing: 0, sigma },
      { type: 'categorical', levels: ['9', '13', '1'], counts: [3403, 1395, 44], missing: 0, sigma },
    ],
    counts: [3000, -5, 41, 3, 1000, -2, 400, 400, 5],
    sigma,
  };
  const partial = rulesFromMeasurements(schema, [withMasters], () => false, 'Other').find((r) => r.kind === 'determines' && r.from === 'education') as DeterminesRule;
  assert.deepEqual(partial.when, ['HS-grad', 'Bachelors']);
  assert.ok(!partial.combinations!.some(([from]) => from === 'Other'), JSON.stringify(partial.combinations));
  // In a bound level's cell (HS-grad's, as in adult when a rare level is left out of the rule),
  // the layer would overwrite the code: "Other" fixes it, partial rule or not.
  const inBound = { ...withMasters, cellOfSlot: [[0, 1, 2, 0, 0], withMasters.cellOfSlot[1]] as [number[], number[]] };
  const bound = rulesFromMeasurements(schema, [inBound], () => false, 'Other').find((r) => r.kind === 'determines' && r.from === 'education') as DeterminesRule;
  assert.deepEqual(bound.combinations!.find(([from]) => from === 'Other'), ['Other', '1']);
  // A code with more rows than the left-out levels can hold (80 against 3 deviations of Other's
  // noise, 60) is not theirs either.
  const tooMany: MeasuredPair = { ...measured, histograms: [education, { ...code, counts: [3003, 998, 80] }], counts: [3000, -5, 40, 3, 1000, 40] };
  const whole = rulesFromMeasurements(schema, [tooMany], () => false, 'Other').find((r) => r.kind === 'determines' && r.from === 'education') as DeterminesRule;
  assert.ok(!whole.combinations!.some(([from]) => from === 'Other'), JSON.stringify(whole.combinations));
});

test('a missingness rule is read off a pair whose total differs from its columns\' releases by no more than their noise', () => {
  const schema = twoCategoricals('death', 'ward');
  // ward has 16 values and missing: the dead's rows (3,000) spread over the values, the living's
  // (1,000) all missing. Counts as released at σ 40: the pair's 34 cells sum to 240 rows of noise.
  const wards = Array.from({ length: 16 }, (_, j) => `w${j}`);
  const sigma = 40;
  const noise = [31, -22, 40, -35, 12, 8, -44, 27, 3, -16, 38, -9, 21, -30, 5, 14];
  // Row-major, death x (wards then missing): "Yes" first.
  const counts = [...wards.map((_, j) => 187.5 + noise[j]), -12, ...wards.map((_, j) => noise[15 - j] / 2), 1000 + 25];
  const pairTotal = counts.reduce((a, b) => a + b, 0);
  const histogram = (levels: string[], released: number[], missing: number): CategoricalHistogram => ({ type: 'categorical', levels, counts: released, missing, sigma });
  const measured = (deathRows: [number, number]): MeasuredPair => ({
    columns: [0, 1],
    cellOfSlot: [[0, 1, 0], [...wards.map((_, j) => j), 16]],
    histograms: [histogram(['Yes', 'No'], deathRows, 0), histogram(wards, wards.map(() => 187.5), 1000)],
    counts,
    sigma,
  });
  const read = (p: MeasuredPair): string[] => rulesFromMeasurements(schema, [p], () => false).map(describeRule);
  // death's release counts 6 % more rows than the pair (243 rows): one deviation of the two totals' noise.
  const released: [number, number] = [3000 * 1.08, 1000 * 1.08];
  assert.ok(Math.abs(released[0] + released[1] - pairTotal) / pairTotal > 0.05);
  assert.ok(read(measured(released)).includes('ward present only when death is "Yes"'), read(measured(released)).join('\n'));
  // Twice as many rows as the pair: not the pair's rows (a table bounded per person), so its counts
  // are not used, and the pair's own are too noisy to tell the rule.
  assert.ok(!read(measured([6000, 2000])).includes('ward present only when death is "Yes"'));
});

test('a value\'s noisy count below none tells a rule from chance where chance alone would put few rows outside it', () => {
  const schema = twoCategoricals('dead30', 'days30');
  // rhc's dth30 × t3d30 as one run released it (σ 40 a cell): the living at 30 days all have 30
  // days, 72 % of rows do, so chance puts 779 of the living's 2,837 rows outside, under six
  // deviations of their 13 cells' noise (864); their noisy count there is 175 below none.
  const days = ['2', '3', '4', '5', '6', '7', '8', '9', '11', '13', '14', '18', '19', '30'];
  const alive = [-8, -34, -58, 35, 3, 35, 8, -52, 7, -97, -7, -47, 40, 3012];
  const dead = [93, 113, 87, 164, 63, 123, 35, 45, 153, 20, 192, -29, 272, 40];
  const read = rulesFromMeasurements(schema, [pair([['No', 'Yes'], days], [...alive, ...dead], 40.09)], () => false).map(describeRule);
  assert.ok(read.includes('dead30 determines days30 (when dead30 is "No")'), read.join('\n'));
});
