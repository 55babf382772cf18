import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate } from '../../src/core/generate';
import { evaluate } from '../../src/core/evaluate/evaluate';
import { Random } from '../../src/core/random';
import { countBroken, describeRule } from '../../src/core/rules/check';
import { RuleLayer } from '../../src/core/rules/layer';
import { candidateColumns, MINING_LIMITS, mineRules, newMiningWork, type MiningWork } from '../../src/core/rules/mine';
import { sampleFromModel } from '../../src/core/sample-model';
import { inferSchema, miningSample, RULE_MINING_ROWS } from '../../src/core/schema/infer';
import { parseSchema, schemaToJson } from '../../src/core/schema/schema-file';
import type { DeterminesRule, Rule, Schema } from '../../src/core/schema/types';
import { loadTable, type Table } from '../../src/core/table';
import { tempDir, tempFile } from '../helpers/files';
import { describeSchema } from '../../src/cli/describe';

const CODES: [string, string][] = [
  ['C34.9', 'C'],
  ['C50.9', 'C'],
  ['I21.4', 'I'],
  ['I50.0', 'I'],
  ['J18.9', 'J'],
  ['J44.1', 'J'],
  ['O80.9', 'O'],
  ['E11.5', 'E'],
];

/** Admissions: dates in order, a stay that is their difference, maternity only for women, a code that fixes its chapter, a death date only for deaths. */
function hospitalCsv(rows: number, seed = 1): string {
  const random = new Random(seed);
  const lines = ['age,sex,method,code,chapter,admitted,discharged,stay,died,death_date,weight'];
  const day = (n: number): string => new Date(Date.UTC(2022, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
  for (let i = 0; i < rows; i++) {
    const maternity = random.next() < 0.15;
    const method = maternity ? 'Maternity' : random.next() < 0.6 ? 'Emergency' : 'Elective';
    const sex = maternity || random.next() < 0.5 ? 'F' : 'M';
    const [code, chapter] = maternity ? CODES[6] : CODES[random.int(CODES.length)];
    const admitted = random.int(700);
    const stay = random.int(maternity ? 3 : 30);
    const died = random.next() < 0.2 ? 'Yes' : 'No';
    const death = died === 'Yes' ? day(admitted + stay + random.int(60)) : '';
    lines.push([20 + random.int(70), sex, method, code, chapter, day(admitted), day(admitted + stay), stay, died, death, (50 + random.next() * 50).toFixed(1)].join(','));
  }
  return lines.join('\n') + '\n';
}

async function load(file: string, schema?: Schema): Promise<{ schema: Schema; table: Table }> {
  const s = schema ?? (await inferSchema(file));
  return { schema: s, table: await loadTable(file, s) };
}

const has = (rules: Rule[], text: string): boolean => rules.some((r) => describeRule(r) === text);

test('mining proposes the rules a hospital file keeps, each with its share, and none that would hold by chance', async () => {
  const { schema, table } = await load(tempFile('h.csv', hospitalCsv(800)));
  const rules = mineRules(schema, table);
  const texts = rules.map(describeRule);
  assert.ok(has(rules, 'admitted ≤ discharged'), texts.join('\n'));
  assert.ok(has(rules, 'discharged ≤ death_date'), texts.join('\n'));
  assert.ok(has(rules, 'stay = discharged − admitted'), texts.join('\n'));
  assert.ok(has(rules, 'code determines chapter'), texts.join('\n'));
  assert.ok(has(rules, 'method determines sex (when method is "Maternity")'), texts.join('\n'));
  assert.ok(has(rules, 'death_date present only when died is "Yes"'), texts.join('\n'));
  // age (20-89) is always below weight (50-100) only sometimes; age ≤ a column of thousands would
  // hold in every row yet say nothing: neither is proposed.
  assert.ok(!texts.some((t) => t.includes('age') && t.includes('weight')), texts.join('\n'));
  for (const rule of rules) {
    assert.equal(rule.source, 'inferred');
    assert.equal(rule.realShare, 1);
    assert.equal(rule.enforce, true);
  }
});

test('a relation that holds because the ranges do not overlap is not proposed', async () => {
  const random = new Random(3);
  const lines = ['small,large'];
  for (let i = 0; i < 300; i++) lines.push(`${random.int(100)},${1000 + random.int(5000)}`);
  const { schema, table } = await load(tempFile('r.csv', lines.join('\n') + '\n'));
  assert.deepEqual(mineRules(schema, table).map(describeRule), []);
});

test('inferSchema with rules lists them; schema --summary style files round-trip through the JSON Schema', async () => {
  const file = tempFile('h.csv', hospitalCsv(400));
  const schema = await inferSchema(file, { rules: true });
  assert.ok(schema.rules && schema.rules.length >= 5);
  const again = parseSchema(schemaToJson(schema));
  assert.deepEqual(again.rules, schema.rules);
  const summary = describeSchema(schema);
  assert.match(summary, /Rules \(\d+; set "enforce": false/);
  assert.match(summary, /enforced  admitted ≤ discharged  \[inferred\] \(every row\)/);
});

function withRules(schema: Schema, rules: unknown[]): string {
  return JSON.stringify({ ...schema, rules });
}

test('bad rules: a missing field, an unknown column, a column from itself, a circle of strict orders, a circle of formulas', async () => {
  const { schema } = await load(tempFile('h.csv', hospitalCsv(100)));
  const common = { source: 'declared', enforce: true };
  assert.throws(() => parseSchema(withRules(schema, [{ kind: 'order', low: 'admitted', ...common }])), /rules\/0 .*high/);
  assert.throws(() => parseSchema(withRules(schema, [{ kind: 'order', low: 'admitted', high: 'leaving', ...common }])), /rule 1 \(admitted ≤ leaving\): there is no column "leaving"/);
  assert.throws(() => parseSchema(withRules(schema, [{ kind: 'difference', column: 'stay', of: ['stay', 'admitted'], ...common }])), /derived from or compared with itself/);
  assert.throws(
    () =>
      parseSchema(
        withRules(schema, [
          { kind: 'order', low: 'admitted', high: 'discharged', ...common },
          { kind: 'order', low: 'discharged', high: 'death_date', strict: true, ...common },
          { kind: 'order', low: 'death_date', high: 'admitted', ...common },
        ]),
      ),
    /contradicting orders .*discharged < death_date.*death_date ≤ admitted.*admitted ≤ discharged|contradicting orders .*admitted ≤ discharged/,
  );
  // a ≤ b ≤ a only says they are equal: allowed.
  parseSchema(withRules(schema, [{ kind: 'order', low: 'admitted', high: 'discharged', ...common }, { kind: 'order', low: 'discharged', high: 'admitted', ...common }]));
  assert.throws(
    () =>
      parseSchema(
        withRules(schema, [
          { kind: 'sum', column: 'stay', of: ['age', 'weight'], ...common },
          { kind: 'difference', column: 'age', of: ['stay', 'weight'], ...common },
        ]),
      ),
    /derived from each other in a circle: stay = age \+ weight; age = stay − weight/,
  );
  assert.throws(() => parseSchema(withRules(schema, [{ kind: 'order', low: 'admitted', high: 'age', ...common }])), /two dates, two date-times or two numbers/);
});

test('the rule layer keeps every rule whatever the generator returns (offsets, derived columns, mappings, missingness)', async () => {
  const { schema, table } = await load(tempFile('h.csv', hospitalCsv(500)));
  const rules = mineRules(schema, table);
  const layer = RuleLayer.plan(schema, rules, table, { mappingsFromRows: true });
  const learning = layer.learningSchema(schema, table);
  assert.equal(learning.columns.find((c) => c.name === 'stay')!.exclude, true);
  assert.equal(learning.columns.find((c) => c.name === 'discharged')!.kind, 'integer');
  const forward = layer.forward(schema, table);
  const offsets = (forward.columns[schema.columns.findIndex((c) => c.name === 'discharged')] as { values: Float64Array }).values;
  assert.ok([...offsets].every((x) => x >= 0 && x < 30));
  // A generator that learned nothing: every column shuffled on its own, offsets made negative at times.
  const random = new Random(9);
  const scrambled = forward.columns.map((column) => {
    const order = random.shuffle(Array.from({ length: table.rowCount }, (_, i) => i));
    if (column.type === 'numeric') return { type: 'numeric' as const, values: Float64Array.from(order, (i) => column.values[i] - (random.next() < 0.3 ? 5 : 0)) };
    if (column.type === 'categorical') return { ...column, codes: Int32Array.from(order, (i) => column.codes[i]) };
    return column;
  });
  const broken = rules.filter((r) => r.kind === 'determines').map((rule) => countBroken(schema, rule, { ...table, columns: scrambled }).broken);
  assert.ok(broken.some((b) => b > 0));
  layer.inverse(schema, scrambled, table.rowCount);
  for (const rule of rules) assert.equal(countBroken(schema, rule, { ...table, columns: scrambled }).broken, 0, describeRule(rule));
});

test('generate keeps declared rules with any generator, and sample keeps them from the model file', async () => {
  const file = tempFile('h.csv', hospitalCsv(1500));
  const base = await inferSchema(file);
  const declared: Rule[] = [
    { kind: 'order', low: 'admitted', high: 'discharged', source: 'declared', enforce: true },
    { kind: 'order', low: 'discharged', high: 'death_date', source: 'declared', enforce: true },
    { kind: 'difference', column: 'stay', of: ['discharged', 'admitted'], source: 'declared', enforce: true },
    { kind: 'determines', from: 'method', to: 'sex', when: ['Maternity'], combinations: [['Maternity', 'F']], source: 'declared', enforce: true },
    { kind: 'determines', from: 'code', to: 'chapter', combinations: CODES, source: 'declared', enforce: true },
    { kind: 'missingWhen', column: 'death_date', parent: 'died', presentOnlyWhen: ['Yes'], source: 'declared', enforce: true },
  ];
  const schema = { ...base, rules: declared };
  const dir = tempDir();
  // The marginals generator draws every column on its own: without the layer nearly every row would break a rule.
  const { outputs, card } = await generate({ input: file, schema, out: path.join(dir, 's.csv'), generator: 'marginals', privacy: { epsilon: 5 }, holdoutFraction: 0.2 });
  const synthetic = await loadTable(outputs.csv, base);
  for (const rule of declared) assert.equal(countBroken(base, rule, synthetic).broken, 0, describeRule(rule));
  assert.equal(card.evaluation!.rules!.syntheticRowsBreakingAny.count, 0);
  assert.equal(card.evaluation!.checklist.find((c) => c.id === 'rules')!.verdict, 'pass');
  assert.deepEqual(
    card.rules.filter((r) => r.source === 'declared').map((r) => r.established),
    declared.map(() => 'declared in the schema (public knowledge, no privacy cost)'),
  );
  // Beside them, the private test may confirm an order they imply (admitted ≤ death_date, about
  // one run in two): it is listed as such, never as declared.
  for (const extra of card.rules.filter((r) => r.source !== 'declared')) assert.equal(extra.establishment, 'confirmed privately', extra.rule);
  assert.match(card.rules[0].kept, /discharged learned as an offset from admitted/);
  assert.match(card.rules[2].kept, /derived from its inputs/);

  let text = '';
  await sampleFromModel({ model: outputs.model, rows: 700, seed: 4 }, async (t) => {
    text += t;
  });
  const sampledFile = tempFile('sampled.csv', text);
  const sampled = await loadTable(sampledFile, base);
  assert.equal(sampled.rowCount, 700);
  for (const rule of declared) assert.equal(countBroken(base, rule, sampled).broken, 0, describeRule(rule));
});

test('under DP a rule inferred from the private rows is not used, and the card says so', async () => {
  const file = tempFile('h.csv', hospitalCsv(600));
  const schema = await inferSchema(file, { rules: true });
  const { card } = await generate({ input: file, schema, out: path.join(tempDir(), 's.csv'), generator: 'marginals', privacy: { epsilon: 5 }, evaluate: false });
  assert.ok(card.rules.length > 0);
  // Each is used only where the ledger confirmed it (the marginals generator's pairs may show
  // "method determines sex (when method is Maternity)"), never because the schema lists it.
  for (const entry of card.rules) {
    if (entry.establishment === 'confirmed privately') {
      assert.match(entry.established, /^confirmed privately, read off the noisy joint histogram of its column pair, then counted/);
      continue;
    }
    assert.match(entry.established, /NOT used under differential privacy/, JSON.stringify(card.rules, null, 1));
    assert.equal(entry.kept, 'not used');
  }
  assert.ok(card.rules.some((entry) => entry.kept === 'not used'));
});

test('a declared rule the real rows break stops the run before training, with the count and the first line', async () => {
  const text = hospitalCsv(300).split('\n');
  // Line 6 of the file: a discharge before the admission.
  const fields = text[5].split(',');
  [fields[5], fields[6]] = [fields[6], '2021-01-01'];
  text[5] = fields.join(',');
  const file = tempFile('bad.csv', text.join('\n'));
  const base = await inferSchema(file);
  const schema = { ...base, rules: [{ kind: 'order', low: 'admitted', high: 'discharged', source: 'declared', enforce: true } as Rule] };
  const phases: string[] = [];
  await assert.rejects(
    generate({ input: file, schema, out: path.join(tempDir(), 's.csv'), holdoutFraction: 0, epochs: 1, onPhase: (p) => phases.push(p) }),
    /the declared rule "admitted ≤ discharged" is broken by 1 of 300 training rows, the first on line 6\. Fix the data, remove the rule from the schema, or set its "enforce" to false/,
  );
  assert.ok(!phases.includes('train'));
  // Kept as soft: the run goes ahead and the evaluation reports it.
  const soft = { ...base, rules: [{ ...schema.rules[0], enforce: false }] };
  const { card } = await generate({ input: file, schema: soft, out: path.join(tempDir(), 's.csv'), generator: 'marginals', privacy: { epsilon: 5 }, holdoutFraction: 0 });
  const score = card.evaluation!.rules!.rules[0];
  assert.equal(score.enforce, false);
  assert.equal(score.real.broken, 1);
});

test('evaluate on any pair of files mines the rules from the real file and fails the checklist when the synthetic file breaks them', async () => {
  const real = tempFile('real.csv', hospitalCsv(600, 1));
  const lines = hospitalCsv(600, 2).split('\n');
  // Another tool's output: a tenth of the rows discharged before admission.
  for (let i = 1; i < 60; i++) {
    const f = lines[i].split(',');
    [f[5], f[6]] = [f[6], f[5]];
    lines[i] = f.join(',');
  }
  const syntheticFile = tempFile('other-tool.csv', lines.join('\n'));
  const schema = await inferSchema(real);
  const evaluation = await evaluate({
    schema,
    real: await loadTable(real, schema),
    synthetic: await loadTable(syntheticFile, schema),
    names: { real: 'real.csv', synthetic: 'other-tool.csv' },
  });
  assert.equal(evaluation.rules!.mined, true);
  const order = evaluation.rules!.rules.find((r) => r.rule === 'admitted ≤ discharged')!;
  assert.equal(order.real.share, 1);
  assert.ok(order.synthetic.broken > 0 && order.synthetic.broken <= 59);
  const item = evaluation.checklist.find((c) => c.id === 'rules')!;
  assert.equal(item.verdict, 'fail');
  assert.match(item.value, /enforced rules broken/);
  assert.equal(evaluation.verdicts.fidelity, 'fail');
  fs.rmSync(syntheticFile);
});

test('a sum is mined and derived; a strict order keeps a gap of one step', async () => {
  const random = new Random(5);
  const lines = ['first,second,total,start,end'];
  for (let i = 0; i < 400; i++) {
    const a = random.int(50);
    const b = random.int(50);
    const start = random.int(100);
    lines.push(`${a},${b},${a + b},${start},${start + 1 + random.int(20)}`);
  }
  const { schema, table } = await load(tempFile('s.csv', lines.join('\n') + '\n'));
  const mined = mineRules(schema, table);
  assert.ok(has(mined, 'total = first + second'), mined.map(describeRule).join('\n'));
  const rules: Rule[] = [
    { kind: 'sum', column: 'total', of: ['first', 'second'], source: 'declared', enforce: true },
    { kind: 'order', low: 'start', high: 'end', strict: true, source: 'declared', enforce: true },
  ];
  const layer = RuleLayer.plan(schema, rules, table, { mappingsFromRows: true });
  const forward = layer.forward(schema, table);
  const columns = forward.columns.map((c) => (c.type === 'numeric' ? { type: 'numeric' as const, values: c.values.map(() => -3) } : c));
  layer.inverse(schema, columns, table.rowCount);
  const at = (name: string): Float64Array => (columns[schema.columns.findIndex((c) => c.name === name)] as { values: Float64Array }).values;
  // Every offset came back negative: the end is one step after the start, and the total the sum.
  assert.ok(at('end').every((e, r) => e === at('start')[r] + 1));
  assert.ok(at('total').every((t, r) => t === at('first')[r] + at('second')[r]));
  for (const rule of rules) assert.equal(countBroken(schema, rule, { ...table, columns }).broken, 0, describeRule(rule));
});

test('a released point mass in a column a rule keeps is written exactly, not rounded to the column\'s decimals', async () => {
  const spike = 1.00976562;
  const random = new Random(5);
  const lines = ['low,high'];
  for (let i = 0; i < 300; i++) {
    const low = i % 3 === 0 ? spike : 0.5 + random.int(300) / 100;
    lines.push(`${low},${(low + 0.01 + random.int(100) / 100).toFixed(2)}`);
  }
  const { schema: inferred, table } = await load(tempFile('p.csv', lines.join('\n') + '\n'));
  // As a DP release writes it: two decimals, the point mass with all of its own.
  const schema: Schema = { ...inferred, columns: inferred.columns.map((c) => (c.name === 'low' ? { ...c, number: { decimals: 2, fixed: false, points: [spike] } } : c)) };
  const rule: Rule = { kind: 'order', low: 'low', high: 'high', source: 'declared', enforce: true };
  const layer = RuleLayer.plan(schema, [rule], table, { mappingsFromRows: true });
  const columns = layer.forward(schema, table).columns.slice();
  layer.inverse(schema, columns, table.rowCount);
  const low = (columns[0] as { values: Float64Array }).values;
  assert.equal(low.filter((x) => x === spike).length, 100, 'every point-mass row keeps 1.00976562, none rounded to 1.01');
});

test('under DP a declared determines rule without combinations takes its pairs from the generator only when they are clear', async () => {
  const file = tempFile('h.csv', hospitalCsv(3000));
  const base = await inferSchema(file);
  const rule: DeterminesRule = { kind: 'determines', from: 'code', to: 'chapter', source: 'declared', enforce: true };
  const schema = { ...base, rules: [rule] };
  // Drawn jointly (a DP joint histogram of the pair): the pairs read off its rows are the real ones.
  const joint = await generate({ input: file, schema, out: path.join(tempDir(), 's.csv'), generator: 'marginals', pairs: [['code', 'chapter']], privacy: { epsilon: 5 }, holdoutFraction: 0.2 });
  assert.match(joint.card.rules[0].kept, /pairs the DP generator's own rows hold/);
  const synthetic = await loadTable(joint.outputs.csv, base);
  assert.equal(countBroken(base, { ...rule, combinations: CODES }, synthetic).broken, 0);
  // Drawn independently: every code would get the commonest chapter; the rule is reported, not kept.
  const apart = await generate({ input: file, schema, out: path.join(tempDir(), 's.csv'), generator: 'marginals', privacy: { epsilon: 5 }, holdoutFraction: 0.2 });
  assert.match(apart.card.rules[0].kept, /not kept: its pairs are not declared/);
  assert.equal(apart.card.evaluation!.rules!.rules[0].enforce, false);
});

test('the rule layer keeps each column’s distribution: values overwritten go to free rows, numbers in order are exchanged', async () => {
  // surv6 ≤ surv2 (two readings of one thing), a class that fixes a flag for one value only, a
  // cost recorded only for some plans.
  const random = new Random(11);
  const lines = ['surv6,surv2,class,flag,plan,cost'];
  for (let i = 0; i < 2000; i++) {
    const s6 = random.next() * 0.9;
    const cls = ['cancer', 'heart', 'lung'][random.int(3)];
    const flag = cls === 'cancer' ? 'metastatic' : ['no', 'yes', 'metastatic'][random.int(3)];
    const plan = ['basic', 'full', 'none'][random.int(3)];
    const cost = plan === 'none' || random.next() < 0.2 ? '' : String(100 + random.int(900));
    lines.push([s6.toFixed(3), (s6 + random.next() * 0.1).toFixed(3), cls, flag, plan, cost].join(','));
  }
  const { schema, table } = await load(tempFile('k.csv', lines.join('\n') + '\n'));
  const rules: Rule[] = [
    { kind: 'order', low: 'surv6', high: 'surv2', source: 'declared', enforce: true },
    { kind: 'determines', from: 'class', to: 'flag', when: ['cancer'], combinations: [['cancer', 'metastatic']], source: 'declared', enforce: true },
    { kind: 'missingWhen', column: 'cost', parent: 'plan', presentOnlyWhen: ['basic', 'full'], source: 'declared', enforce: true },
  ];
  const layer = RuleLayer.plan(schema, rules, table, { mappingsFromRows: true });
  assert.match(layer.describe()[0].how, /values exchanged/);
  // Numbers in order are learned as they are.
  assert.deepEqual(layer.learningSchema(schema, table).columns.map((c) => c.kind), schema.columns.map((c) => c.kind));
  // A generator that learned each column but no relation between them.
  const scrambled = table.columns.map((column) => {
    const order = random.shuffle(Array.from({ length: table.rowCount }, (_, i) => i));
    if (column.type === 'numeric') return { type: 'numeric' as const, values: Float64Array.from(order, (i) => column.values[i]) };
    if (column.type === 'categorical') return { ...column, codes: Int32Array.from(order, (i) => column.codes[i]) };
    return column;
  });
  const at = (name: string): number => schema.columns.findIndex((c) => c.name === name);
  const values = (columns: typeof scrambled, name: string): (string | null)[] => {
    const data = columns[at(name)];
    return Array.from({ length: table.rowCount }, (_, r) => (data.type === 'numeric' ? (Number.isNaN(data.values[r]) ? null : String(data.values[r])) : data.type === 'categorical' && data.codes[r] >= 0 ? data.levels[data.codes[r]] : null));
  };
  const counts = (list: (string | null)[]): Map<string | null, number> => list.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<string | null, number>());
  const before = Object.fromEntries(['surv2', 'flag', 'cost'].map((name) => [name, counts(values(scrambled, name))]));
  for (const rule of rules) assert.ok(countBroken(schema, rule, { ...table, columns: scrambled }).broken > 100, describeRule(rule));
  layer.inverse(schema, scrambled, table.rowCount);
  for (const rule of rules) assert.equal(countBroken(schema, rule, { ...table, columns: scrambled }).broken, 0, describeRule(rule));
  // The same values in each column, only in other rows: the flag's share of "metastatic" and the
  // cost's missing share are what the generator drew, and surv2 holds the very same numbers.
  for (const name of ['surv2', 'flag', 'cost']) assert.deepEqual(counts(values(scrambled, name)), before[name], name);
});

test('missingness that follows a column which itself follows another is kept whatever order the rules come in', async () => {
  const random = new Random(12);
  const lines = ['plan,cost,refund,reason'];
  for (let i = 0; i < 1000; i++) {
    const plan = ['basic', 'full', 'none'][random.int(3)];
    const cost = plan === 'none' || random.next() < 0.3 ? '' : ['low', 'mid', 'high'][random.int(3)];
    const refund = cost === '' || random.next() < 0.4 ? '' : ['yes', 'no'][random.int(2)];
    const reason = refund === '' || random.next() < 0.4 ? '' : ['late', 'broken', 'other'][random.int(3)];
    lines.push([plan, cost, refund, reason].join(','));
  }
  const { schema, table } = await load(tempFile('m.csv', lines.join('\n') + '\n'));
  // Children before their parents: each parent must be settled before the columns that follow it.
  const rules: Rule[] = [
    { kind: 'missingWhen', column: 'reason', parent: 'refund', presentOnlyWhen: ['yes', 'no'], source: 'declared', enforce: true },
    { kind: 'missingWhen', column: 'refund', parent: 'cost', presentOnlyWhen: ['low', 'mid', 'high'], source: 'declared', enforce: true },
    { kind: 'missingWhen', column: 'cost', parent: 'plan', presentOnlyWhen: ['basic', 'full'], source: 'declared', enforce: true },
  ];
  const layer = RuleLayer.plan(schema, rules, table, { mappingsFromRows: true });
  for (let seed = 0; seed < 5; seed++) {
    const shuffle = new Random(seed);
    const scrambled = table.columns.map((column) => {
      const order = shuffle.shuffle(Array.from({ length: table.rowCount }, (_, i) => i));
      if (column.type === 'categorical') return { ...column, codes: Int32Array.from(order, (i) => column.codes[i]) };
      return column;
    });
    layer.inverse(schema, scrambled, table.rowCount);
    for (const rule of rules) assert.equal(countBroken(schema, rule, { ...table, columns: scrambled }).broken, 0, describeRule(rule));
  }
});

test('a column missing exactly where its parent is missing is mined as the parent\'s presence, which a value the real file never held keeps', async () => {
  // As support2: dnrday is missing only where dnr is. Listing dnr's three values made every DP
  // row whose dnr was written "Other" (a value under the categories' threshold) break the rule.
  const random = new Random(21);
  const lines = ['dnr,dnrday,plan,cost'];
  for (let i = 0; i < 1500; i++) {
    const dnr = random.next() < 0.05 ? '' : ['no dnr', 'dnr after sadm', 'dnr before sadm'][random.int(3)];
    const plan = ['basic', 'full', 'none'][random.int(3)];
    lines.push([dnr, dnr === '' ? '' : String(random.int(40)), plan, plan === 'none' ? '' : String(100 + random.int(900))].join(','));
  }
  const { schema, table } = await load(tempFile('dnr.csv', lines.join('\n') + '\n'));
  const rules = mineRules(schema, table);
  const texts = rules.map(describeRule).join('\n');
  const presence = rules.find((r) => r.kind === 'missingWhen' && r.column === 'dnrday');
  assert.deepEqual(presence && { ...presence, realShare: undefined }, { kind: 'missingWhen', column: 'dnrday', parent: 'dnr', source: 'inferred', enforce: true, realShare: undefined }, texts);
  assert.equal(describeRule(presence!), 'dnrday present only when dnr is present');
  // A parent whose values do not all allow the column keeps its list.
  const cost = rules.find((r) => r.kind === 'missingWhen' && r.column === 'cost');
  assert.deepEqual(cost?.kind === 'missingWhen' && cost.presentOnlyWhen?.slice().sort(), ['basic', 'full'], texts);
  // The schema file takes the rule without a list.
  assert.deepEqual(parseSchema(schemaToJson({ ...schema, rules: [presence!] })).rules, [presence]);
  // Rows with a value the real file never held keep it; a value beside a missing parent breaks it.
  const other = await load(tempFile('other.csv', 'dnr,dnrday,plan,cost\nOther,12,basic,300\n,,none,\n,7,full,200\n'), schema);
  assert.deepEqual(countBroken(schema, presence!, other.table), { broken: 1, firstBroken: 2, share: 1 - 1 / 3 });
  // Kept by construction: a generator that drew dnrday beside a missing dnr gets it blanked, and
  // the column stays present beside every value, new or not.
  const layer = RuleLayer.plan(schema, [presence!], table, { mappingsFromRows: true });
  const scrambled = table.columns.map((column) => {
    const order = random.shuffle(Array.from({ length: table.rowCount }, (_, i) => i));
    if (column.type === 'numeric') return { type: 'numeric' as const, values: Float64Array.from(order, (i) => column.values[i]) };
    if (column.type === 'categorical') return { ...column, codes: Int32Array.from(order, (i) => column.codes[i]) };
    return column;
  });
  assert.ok(countBroken(schema, presence!, { ...table, columns: scrambled }).broken > 20);
  layer.inverse(schema, scrambled, table.rowCount);
  assert.equal(countBroken(schema, presence!, { ...table, columns: scrambled }).broken, 0);
  const otherColumns = other.table.columns.slice();
  layer.inverse(schema, otherColumns, other.table.rowCount);
  const dnrday = otherColumns[1];
  assert.ok(dnrday.type === 'numeric' && dnrday.values[0] === 12 && Number.isNaN(dnrday.values[2]), 'present beside "Other", blanked beside a missing dnr');
});

test('in a small file a value that fixes another column is proposed when chance cannot explain it, and not otherwise', async () => {
  // As synthea's 89 training rows: "Mr." on 19 rows, all men, cleared a fixed bar of 20 rows and
  // 10 expected breaks only in the whole file, so runs never kept it.
  const random = new Random(7);
  const lines = ['prefix,gender,chance'];
  const prefixes = [...Array(19).fill('Mr.'), ...Array(29).fill('Mrs.'), ...Array(13).fill('Ms.'), ...Array(28).fill('')];
  for (const prefix of prefixes) {
    const gender = prefix === 'Mr.' ? 'M' : prefix === '' ? (random.next() < 0.5 ? 'M' : 'F') : 'F';
    lines.push(`${prefix},${gender},${['a', 'b', 'c'][random.int(3)]}`);
  }
  const { schema, table } = await load(tempFile('people.csv', lines.join('\n') + '\n'));
  const rules = mineRules(schema, table);
  const texts = rules.map(describeRule).join('\n');
  const rule = rules.find((r): r is DeterminesRule => r.kind === 'determines' && r.from === 'prefix' && r.to === 'gender');
  assert.ok(rule?.when?.includes('Mr.') && rule.when.includes('Mrs.'), texts);
  assert.ok(!rules.some((r) => describeRule(r).includes('chance')), texts);
});

/** `columns` unrelated columns: numbers, small integers, categories, every 4th with missing values. */
function wideCsv(columns: number, rows: number): string {
  const random = new Random(5);
  const lines = [Array.from({ length: columns }, (_, j) => `c${j}`).join(',')];
  for (let i = 0; i < rows; i++) {
    const cells = Array.from({ length: columns }, (_, j) => {
      if (j % 4 === 3 && random.next() < 0.2) return '';
      return j % 3 === 0 ? (random.normal() * 10).toFixed(2) : j % 3 === 1 ? String(random.int(6)) : 'abcd'[random.int(4)];
    });
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}

test('mining a wide file examines a bounded number of column pairs, the same at 500 and 1,000 columns', async () => {
  const works: MiningWork[] = [];
  for (const columns of [500, 1_000]) {
    const { schema, table } = await load(tempFile(`wide${columns}.csv`, wideCsv(columns, 60)));
    const work = newMiningWork();
    mineRules(schema, table, 0, work);
    works.push(work);
  }
  const { numericColumns: n, keyColumns: k, missingTargets } = MINING_LIMITS;
  // At 500 columns: 167 numbers, 333 keys, 125 columns with missing values; every limit is reached.
  assert.equal(works[0].orderPairs, (n * (n - 1)) / 2);
  assert.equal(works[0].determinesPairs, k * (k - 1));
  assert.ok(works[0].formulasTried <= n * (n - 1) * (n - 2) * 1.5, String(works[0].formulasTried));
  assert.ok(works[0].missingParents <= missingTargets * k && works[0].missingParents > 0);
  assert.deepEqual(works[1], works[0]);
});

test('the schema pass mines a long file on a sample of its rows and columns, and finds the rules the whole file gives', async () => {
  const long = tempFile('long.csv', hospitalCsv(RULE_MINING_ROWS + 5_000));
  const schema = await inferSchema(long);
  const sample = await miningSample(long, schema);
  assert.equal(sample.table.rowCount, RULE_MINING_ROWS);
  // The rows kept are read exactly as a full read gives them.
  const full = await loadTable(long, sample.schema);
  const at = sample.table.rowIndex[RULE_MINING_ROWS - 1];
  sample.table.columns.forEach((column, i) => {
    const whole = full.columns[i];
    if (column.type === 'numeric' && whole.type === 'numeric') assert.ok(Object.is(column.values[RULE_MINING_ROWS - 1], whole.values[at]));
    if (column.type === 'categorical' && whole.type === 'categorical') assert.equal(column.levels[column.codes[RULE_MINING_ROWS - 1]], whole.levels[whole.codes[at]]);
  });
  const mined = (await inferSchema(long, { rules: true })).rules!.map(describeRule).sort();
  assert.deepEqual(mined, mineRules(schema, await loadTable(long, schema)).map(describeRule).sort());
  assert.ok(mined.includes('stay = discharged − admitted'), mined.join('\n'));

  const wide = tempFile('wide.csv', wideCsv(300, 60));
  const wideSchema = await inferSchema(wide);
  const { table } = await miningSample(wide, wideSchema);
  const loaded = table.columns.filter((c) => c.type !== 'none').length;
  assert.equal(loaded, candidateColumns(wideSchema).all.size);
  assert.ok(loaded <= MINING_LIMITS.numericColumns + MINING_LIMITS.keyColumns + MINING_LIMITS.missingTargets, String(loaded));
});

test('under DP a declared rule naming its values keeps every one: a rare value the model spreads takes the value its clear ones share', async () => {
  // Rows as a DP model draws them: O80.9 clearly maternity; O82.0 rare and spread by the noise
  // (its majority, Elective with 3 of 7, is noise); other codes free.
  const lines = ['code,method'];
  const add = (code: string, method: string, n: number): void => {
    for (let i = 0; i < n; i++) lines.push(`${code},${method}`);
  };
  add('O80.9', 'Maternity', 90);
  add('O80.9', 'Elective', 5);
  add('O82.0', 'Elective', 3);
  add('O82.0', 'Emergency', 2);
  add('O82.0', 'Maternity', 2);
  add('J18.9', 'Emergency', 45);
  add('J18.9', 'Elective', 40);
  add('J18.9', 'Maternity', 15);
  const { schema, table } = await load(tempFile('pool.csv', lines.join('\n') + '\n'));
  const named: DeterminesRule = { kind: 'determines', from: 'code', to: 'method', when: ['O80.9', 'O82.0'], source: 'declared', enforce: true };
  const kept = RuleLayer.plan(schema, [named], undefined, { mappingsFromRows: false }).withPairsFrom(schema, table.columns, table.rowCount);
  assert.deepEqual(kept.state.notKept, []);
  assert.deepEqual(Object.fromEntries(kept.state.mappings[0].pairs), { 'O80.9': 'Maternity', 'O82.0': 'Maternity' });
  // Without a list of values the rule binds every code: J18.9 is spread too, under 90 % of the
  // rows are clear, and a model that did not learn the link would distort the column: not kept.
  const every: DeterminesRule = { kind: 'determines', from: 'code', to: 'method', source: 'declared', enforce: true };
  const notKept = RuleLayer.plan(schema, [every], undefined, { mappingsFromRows: false }).withPairsFrom(schema, table.columns, table.rowCount);
  assert.deepEqual(notKept.state.mappings, []);
  assert.deepEqual(notKept.state.notKept, [describeRule(every)]);
  // A mined rule naming its values still needs 90 % of its rows clear.
  const inferred = RuleLayer.plan(schema, [{ ...named, source: 'inferred' }], undefined, { mappingsFromRows: false }).withPairsFrom(schema, table.columns, table.rowCount);
  assert.equal(inferred.state.mappings[0].pairs.find(([code]) => code === 'O82.0')![1], 'Elective', 'its rows are 93 % clear: kept with the majorities');
  // A majority in the model's rows can be the noise's: when the released pair counts do not tell
  // O82.0's commonest method from the next, it takes the shared one too.
  const lines2 = lines.filter((l) => !l.startsWith('O82.0')).concat(Array(6).fill('O82.0,Emergency'), Array(3).fill('O82.0,Maternity'));
  const { schema: schema2, table: table2 } = await load(tempFile('pool2.csv', lines2.join('\n') + '\n'));
  const byRows = RuleLayer.plan(schema2, [named], undefined, { mappingsFromRows: false }).withPairsFrom(schema2, table2.columns, table2.rowCount);
  assert.equal(Object.fromEntries(byRows.state.mappings[0].pairs)['O82.0'], 'Emergency', 'two thirds of its rows: a majority');
  const byCounts = RuleLayer.plan(schema2, [named], undefined, { mappingsFromRows: false }).withPairsFrom(schema2, table2.columns, table2.rowCount, (_rule, value) => value === 'O82.0');
  assert.deepEqual(Object.fromEntries(byCounts.state.mappings[0].pairs), { 'O80.9': 'Maternity', 'O82.0': 'Maternity' });
});

test('a code whose only level the model never drew keeps its rows: they take that level, and every row keeps the rule', async () => {
  const lines = ['education,education_num'];
  for (let i = 0; i < 300; i++) lines.push(i % 3 === 0 ? 'Bachelors,13' : 'HS-grad,9');
  lines.push('Preschool,1');
  const { schema, table } = await load(tempFile('codes.csv', lines.join('\n') + '\n'));
  const whole: Rule = { kind: 'determines', from: 'education', to: 'education_num', combinations: [['HS-grad', '9'], ['Bachelors', '13'], ['Preschool', '1']], source: 'inferred', enforce: true };
  const sampled = (): Table['columns'] => {
    // The model's rows: no Preschool, but code 1 beside HS-grad in every tenth row.
    const education = table.columns[0] as { type: 'categorical'; levels: string[]; codes: Int32Array };
    const codes = Int32Array.from({ length: table.rowCount }, (_, r) => education.levels.indexOf(r % 3 === 0 ? 'Bachelors' : 'HS-grad'));
    const values = Float64Array.from({ length: table.rowCount }, (_, r) => (r % 10 === 1 ? 1 : r % 3 === 0 ? 13 : 9));
    return [{ ...education, codes }, { type: 'numeric', values }];
  };
  const columns = sampled();
  // The layer learns from the model's own rows which levels it never draws.
  const withUndrawn = (rule: Rule): RuleLayer => RuleLayer.plan(schema, [rule], table, { mappingsFromRows: false }).withUndrawnSources(schema, sampled(), table.rowCount);
  withUndrawn(whole).inverse(schema, columns, table.rowCount);
  const text = (r: number): string => `${(columns[0] as { levels: string[]; codes: Int32Array }).levels[(columns[0] as { codes: Int32Array }).codes[r]]},${(columns[1] as { values: Float64Array }).values[r]}`;
  const rows = Array.from({ length: table.rowCount }, (_, r) => text(r));
  assert.equal(rows.filter((r) => r === 'Preschool,1').length, rows.filter((_, r) => r % 10 === 1).length);
  assert.equal(countBroken(schema, whole, { ...table, columns }).broken, 0);
  // Under a rule binding some levels only, rows of a free level keep the code; bound rows take
  // the level that fixes it.
  const partial = { ...whole, when: ['Bachelors', 'Preschool'], combinations: [['Bachelors', '13'], ['Preschool', '1']] } as Rule;
  const free = sampled();
  withUndrawn(partial).inverse(schema, free, table.rowCount);
  const levels = (free[0] as { levels: string[] }).levels;
  const education = Array.from((free[0] as { codes: Int32Array }).codes, (c) => levels[c]);
  const code = (free[1] as { values: Float64Array }).values;
  assert.deepEqual(
    education.flatMap((e, r) => (e === 'Preschool' ? [r] : [])),
    education.flatMap((_, r) => (r % 10 === 1 && r % 3 === 0 ? [r] : [])),
  );
  assert.equal(education.filter((e, r) => e === 'HS-grad' && code[r] === 1).length, education.filter((_, r) => r % 10 === 1 && r % 3 !== 0).length);
  assert.equal(countBroken(schema, partial, { ...table, columns: free }).broken, 0);
  // A layer that has not seen the model's rows moves nothing: the code is set from the level.
  const plain = sampled();
  RuleLayer.plan(schema, [whole], table, { mappingsFromRows: false }).inverse(schema, plain, table.rowCount);
  assert.equal((plain[1] as { values: Float64Array }).values.filter((v) => v === 1).length, 0);
});

/**
 * Prescriptions as MIMIC's demo holds them: each patient's dates shifted to a random century, so
 * the dates spread over a century; a course of 0-20 days, and in 1 row in 200 an end written
 * before its start.
 */
function prescriptionsCsv(rows: number, seed = 4): string {
  const random = new Random(seed);
  const lines = ['drug,startdate,enddate,dose'];
  const day = (n: number): string => new Date(Date.UTC(2100, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
  const drugs = ['Heparin', 'Insulin', 'Furosemide', 'Vancomycin'];
  for (let i = 0; i < rows; i++) {
    const start = random.int(36_500);
    const course = i % 200 === 7 ? -1 - random.int(5) : random.int(21);
    lines.push([drugs[random.int(drugs.length)], day(start), day(start + course), (1 + random.next() * 9).toFixed(1)].join(','));
  }
  return lines.join('\n') + '\n';
}

test('an order between dates that a few rows break is mined as soft, and its later date learned as a signed difference: rows break it at most as often as the real ones', async () => {
  const file = tempFile('prescriptions.csv', prescriptionsCsv(4000));
  const { schema, table } = await load(file);
  const order = mineRules(schema, table).find((r) => describeRule(r) === 'startdate ≤ enddate');
  assert.ok(order, JSON.stringify(mineRules(schema, table).map(describeRule)));
  assert.equal(order.enforce, false);
  assert.equal(order.realShare, 1 - 20 / 4000);
  // The layer learns the difference, negative ones included, and restores no more of them than the real share.
  const layer = RuleLayer.plan(schema, [order], table, { mappingsFromRows: true });
  const at = schema.columns.findIndex((c) => c.name === 'enddate');
  const forward = layer.forward(schema, table);
  const differences = (forward.columns[at] as { values: Float64Array }).values;
  assert.equal([...differences].filter((x) => x < 0).length, 20);
  assert.ok([...differences].every((x) => x >= -5 && x <= 20));
  const drawn = forward.columns.slice();
  drawn[at] = { type: 'numeric', values: differences.map((x, r) => (r % 10 === 0 ? -3 : x)) };
  layer.inverse(schema, drawn, table.rowCount);
  assert.equal(countBroken(schema, order, { ...table, columns: drawn }).broken, 20);
  // A run without DP: the end dates follow their starts, and the card says how.
  const { card, outputs } = await generate({ input: file, out: path.join(tempDir(), 's.csv'), privacy: 'none', epochs: 5, evaluate: false });
  const entry = card.rules.find((r) => r.rule === 'startdate ≤ enddate');
  assert.match(entry?.kept ?? '', /^soft: only reported; enddate learned as a signed difference from startdate, not enforced: at most as many rows break it as in the training rows \(0\.\d+ %\)/);
  const synthetic = await loadTable(outputs.csv, schema);
  // Drawn as two dates a century wide, about half would end before they start.
  assert.ok(countBroken(schema, order, synthetic).broken <= 0.005 * synthetic.rowCount + 1, `${countBroken(schema, order, synthetic).broken} of ${synthetic.rowCount}`);
});
