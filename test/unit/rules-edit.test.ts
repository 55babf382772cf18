/**
 * The rule edits the Schema view makes (core/rules/edit.ts), the rules in words it shows
 * (core/rules/words.ts), and the check of a new rule against the real rows (core/rules/verify.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/csv/errors';
import { addRule, changeRule, columnsFor, findRule, knownValues, removeRule, ruleFromPicks, rulesAfterColumnEdit } from '../../src/core/rules/edit';
import { checkRulesOnFile } from '../../src/core/rules/verify';
import { keptShareInWords, ruleInWords } from '../../src/core/rules/words';
import { inferSchema } from '../../src/core/schema/infer';
import type { Rule, Schema } from '../../src/core/schema/types';
import { tempFile } from '../helpers/files';

/** Admissions: a discharge on or after its admission, a stay that is their difference, a death date only for deaths. */
function admissionsCsv(rows: number, broken: number[] = []): string {
  const lines = ['id,sex,admitted,discharged,stay,died,death_date,age,weight,seen_at,left_at,note'];
  const day = (n: number): string => new Date(Date.UTC(2022, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
  for (let i = 0; i < rows; i++) {
    const admitted = (i * 37) % 600;
    const stay = (i * 7) % 20;
    // A broken row has its discharge before its admission (and a stay to match).
    const discharged = broken.includes(i) ? admitted - 3 : admitted + stay;
    const died = i % 5 === 0 ? 'Yes' : 'No';
    const note = i === 1 ? '"two\nlines"' : 'ok';
    lines.push([i, i % 2 ? 'F' : 'M', day(admitted), day(discharged), discharged - admitted, died, died === 'Yes' ? day(admitted + stay + 1) : '', 20 + (i % 60), (50 + (i % 40)).toFixed(1), `2022-01-01 0${i % 9}:00:00`, `2022-01-01 1${i % 9}:00:00`, note].join(','));
  }
  return lines.join('\n') + '\n';
}

let cached: Schema | undefined;
async function schemaOf(): Promise<Schema> {
  cached ??= await inferSchema(tempFile('a.csv', admissionsCsv(300)), { rules: true });
  return structuredClone(cached);
}

const order = (low: string, high: string, extra: Partial<Rule> = {}): Rule => ({ kind: 'order', low, high, source: 'declared', enforce: true, ...extra }) as Rule;

test('rules in words: dates read "on or after", formulas carry their unit, values are listed plainly', async () => {
  const schema = await schemaOf();
  const kinds = Object.fromEntries(schema.columns.map((c) => [c.name, c.kind]));
  assert.equal(kinds.admitted, 'date');
  assert.equal(kinds.seen_at, 'datetime');
  assert.equal(ruleInWords(order('admitted', 'discharged'), schema), 'discharged is on or after admitted');
  assert.equal(ruleInWords(order('admitted', 'discharged', { strict: true }), schema), 'discharged is after admitted');
  assert.equal(ruleInWords(order('age', 'weight'), schema), 'weight is at least age');
  assert.equal(ruleInWords(order('age', 'weight', { strict: true }), schema), 'weight is greater than age');
  assert.equal(ruleInWords({ kind: 'difference', column: 'stay', of: ['discharged', 'admitted'], source: 'inferred', enforce: true }, schema), 'stay = discharged − admitted (days)');
  assert.equal(ruleInWords({ kind: 'difference', column: 'age', of: ['left_at', 'seen_at'], source: 'inferred', enforce: true }, schema), 'age = left_at − seen_at (seconds)');
  assert.equal(ruleInWords({ kind: 'sum', column: 'weight', of: ['age', 'stay'], source: 'inferred', enforce: true }, schema), 'weight = age + stay');
  assert.equal(ruleInWords({ kind: 'determines', from: 'sex', to: 'died', source: 'inferred', enforce: true }, schema), 'sex determines died');
  assert.equal(ruleInWords({ kind: 'determines', from: 'sex', to: 'died', when: ['F'], source: 'inferred', enforce: true }, schema), 'sex determines died (when sex = F)');
  assert.equal(ruleInWords({ kind: 'missingWhen', column: 'death_date', parent: 'died', presentOnlyWhen: ['Yes'], source: 'inferred', enforce: true }, schema), 'death_date present only when died = Yes');
  assert.equal(
    ruleInWords({ kind: 'missingWhen', column: 'death_date', parent: 'age', presentOnlyWhen: ['1', '2', '3', '4', '5', '6'], source: 'inferred', enforce: true }, schema),
    'death_date present only when age is one of 1, 2, 3, 4, … (6 values)',
  );
  assert.equal(keptShareInWords(order('a', 'b', { realShare: 1 })), 'every row');
  assert.equal(keptShareInWords(order('a', 'b', { realShare: 0.9996 })), '>99.9 % of rows', 'a rule some rows break never reads as 100 %');
  assert.equal(keptShareInWords(order('a', 'b', { realShare: 0.95 })), '95.0 % of rows');
  assert.equal(keptShareInWords(order('a', 'b')), undefined);
});

test('the add-rule form offers only columns that fit: like with like for orders, no dates for determines', async () => {
  const schema = await schemaOf();
  const names = (list: { name: string }[]): string[] => list.map((c) => c.name);
  const lows = names(columnsFor(schema, 'order', 'low'));
  assert.ok(lows.includes('admitted') && lows.includes('age') && lows.includes('seen_at'));
  assert.ok(!lows.includes('sex') && !lows.includes('id') && !lows.includes('note'), `identifiers, text and categories are not ordered: ${lows}`);
  assert.deepEqual(names(columnsFor(schema, 'order', 'high', { low: 'admitted' })), ['discharged', 'death_date'], 'a date is ordered against other dates only, not itself');
  assert.deepEqual(names(columnsFor(schema, 'order', 'high', { low: 'seen_at' })), ['left_at']);
  const determines = names(columnsFor(schema, 'determines', 'from'));
  assert.ok(determines.includes('sex') && determines.includes('died') && !determines.includes('admitted'));
  assert.ok(names(columnsFor(schema, 'missingWhen', 'column')).includes('death_date'));
  assert.ok(!names(columnsFor(schema, 'missingWhen', 'parent', { column: 'death_date' })).includes('admitted'));
  schema.columns.find((c) => c.name === 'weight')!.exclude = true;
  assert.ok(!names(columnsFor(schema, 'sum', 'column')).includes('weight'), 'an excluded column is not offered');
  assert.deepEqual(knownValues(schema.columns.find((c) => c.name === 'died')!).sort(), ['No', 'Yes']);
  assert.deepEqual(ruleFromPicks('order', { low: 'admitted', high: 'discharged' }, { strict: true }), { kind: 'order', low: 'admitted', high: 'discharged', strict: true, source: 'declared', enforce: true });
  assert.deepEqual(ruleFromPicks('missingWhen', { column: 'death_date', parent: 'died' }, { values: ['Yes'] }), {
    kind: 'missingWhen',
    column: 'death_date',
    parent: 'died',
    presentOnlyWhen: ['Yes'],
    source: 'declared',
    enforce: true,
  });
  // No values picked: present only when the parent has a value, whichever.
  assert.deepEqual(ruleFromPicks('missingWhen', { column: 'death_date', parent: 'died' }), { kind: 'missingWhen', column: 'death_date', parent: 'died', source: 'declared', enforce: true });
});

test('adding a rule that contradicts or repeats the list is refused with the rules named', async () => {
  const schema = await schemaOf();
  schema.rules = [order('admitted', 'discharged'), order('discharged', 'death_date', { strict: true })];
  const refused = (rule: Rule, pattern: RegExp): void => {
    assert.throws(() => addRule(schema, rule, 'a.schema.json'), (e: unknown) => e instanceof InputError && e.file === 'a.schema.json' && pattern.test(e.detail));
  };
  refused(order('death_date', 'admitted'), /contradicting orders .*(admitted ≤ discharged|discharged < death_date|death_date ≤ admitted)/);
  refused(order('admitted', 'discharged', { source: 'inferred' }), /rule 1 \(admitted ≤ discharged\) already says this/);
  refused({ kind: 'difference', column: 'stay', of: ['stay', 'admitted'], source: 'declared', enforce: true }, /derived from or compared with itself/);
  refused(order('admitted', 'age'), /two dates, two date-times or two numbers/);
  const added = addRule(schema, { kind: 'difference', column: 'stay', of: ['discharged', 'admitted'], source: 'declared', enforce: true });
  assert.equal(added.length, 3);
  assert.equal(schema.rules.length, 2, 'the schema itself is not changed until the view saves the new list');
  schema.rules = added;
  refused({ kind: 'sum', column: 'stay', of: ['age', 'weight'], source: 'declared', enforce: true }, /rules 3 \(stay = discharged − admitted\) and 4 \(stay = age \+ weight\) both compute "stay"/);
  // As a report only, a second formula for the same column is allowed.
  assert.equal(addRule(schema, { kind: 'sum', column: 'stay', of: ['age', 'weight'], source: 'declared', enforce: false }).length, 4);
});

test('switching enforcement, declaring public and removing change only that rule; enforcing a clash is refused', async () => {
  const schema = await schemaOf();
  schema.rules = [
    { kind: 'difference', column: 'stay', of: ['discharged', 'admitted'], source: 'inferred', enforce: true, realShare: 1 },
    { kind: 'sum', column: 'stay', of: ['age', 'weight'], source: 'inferred', enforce: false },
    order('admitted', 'discharged', { source: 'inferred' }),
  ];
  const soft = changeRule(schema, 2, { enforce: false });
  assert.equal(soft[2].enforce, false);
  assert.equal(schema.rules[2].enforce, true, 'the schema is not changed in place');
  assert.deepEqual(changeRule(schema, 0, { source: 'declared' })[0], { kind: 'difference', column: 'stay', of: ['discharged', 'admitted'], source: 'declared', enforce: true, realShare: 1 });
  assert.throws(() => changeRule(schema, 1, { enforce: true }), /both compute "stay"; keep one enforced/);
  assert.deepEqual(removeRule(schema, 0), schema.rules.slice(1));
  assert.throws(() => removeRule(schema, 5), /no rule 6/);
  // The view finds a clicked rule again in a list read afresh from the file.
  assert.equal(findRule(JSON.parse(JSON.stringify(schema.rules)) as Rule[], schema.rules[2]), 2);
  assert.equal(findRule(undefined, schema.rules[2]), -1);
});

test('excluding a column, or giving it a kind a rule cannot use, drops the rules that name it and keeps the others', async () => {
  const schema = await schemaOf();
  schema.rules = [
    order('admitted', 'discharged'),
    { kind: 'difference', column: 'stay', of: ['discharged', 'admitted'], source: 'inferred', enforce: true },
    { kind: 'missingWhen', column: 'death_date', parent: 'died', presentOnlyWhen: ['Yes'], source: 'inferred', enforce: true },
  ];
  assert.deepEqual(rulesAfterColumnEdit(schema), { kept: schema.rules, dropped: [] });
  schema.columns.find((c) => c.name === 'discharged')!.exclude = true;
  const { kept, dropped } = rulesAfterColumnEdit(schema);
  assert.deepEqual(kept, [schema.rules[2]]);
  assert.deepEqual(dropped, schema.rules.slice(0, 2));
  schema.columns.find((c) => c.name === 'discharged')!.exclude = undefined;
  schema.columns.find((c) => c.name === 'stay')!.kind = 'categorical';
  assert.deepEqual(rulesAfterColumnEdit(schema).dropped, [schema.rules[1]], 'a difference needs a number');
});

test('a rule checked against the real file: how many rows break it and the line of the first', async () => {
  const file = tempFile('b.csv', admissionsCsv(200, [17, 40]));
  const schema = await inferSchema(file);
  const [kept, broken] = await checkRulesOnFile(file, schema, [
    { kind: 'difference', column: 'stay', of: ['discharged', 'admitted'], source: 'declared', enforce: true },
    order('admitted', 'discharged'),
  ]);
  assert.deepEqual(kept, { rule: 'stay = discharged − admitted', rows: 200, broken: 0, share: 1, firstLine: null });
  // Data row 17 is on line 19, one further for the note over two lines in row 1.
  assert.deepEqual(broken, { rule: 'admitted ≤ discharged', rows: 200, broken: 2, share: 0.99, firstLine: 20 });
});
