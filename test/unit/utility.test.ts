import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferSchema } from '../../src/core/schema/infer';
import { loadTable, type Table } from '../../src/core/table';
import { Random } from '../../src/core/random';
import type { Schema } from '../../src/core/schema/types';
import type { ClassificationScores, RegressionScores } from '../../src/core/evaluate/types';
import {
  defaultTarget,
  evaluateFairness,
  evaluateUtility,
  filterRows,
  rocAuc,
  type ArmClassificationScores,
} from '../../src/core/evaluate/utility';
import { tempFile } from '../helpers/files';

interface Person {
  age: number;
  sex: string;
  smoker: string;
  bmi: number | null;
  region: string;
  outcome: string | null;
}

/** A small cohort whose outcome depends on age, smoking, BMI and sex. */
function cohort(n: number, seed: number, missingOutcome = 0): Person[] {
  const random = new Random(seed);
  const regions = ['north', 'south', 'east', 'west', 'centre'];
  const people: Person[] = [];
  for (let i = 0; i < n; i++) {
    const age = 20 + random.int(61);
    const sex = random.next() < 0.5 ? 'M' : 'F';
    const smoker = random.next() < 0.3 ? 'yes' : 'no';
    const bmi = Math.round((27 + 4 * random.normal()) * 10) / 10;
    const logit = -6 + 0.09 * age + 2 * (smoker === 'yes' ? 1 : 0) + 0.15 * (bmi - 27) + (sex === 'M' ? 0.7 : 0);
    const died = random.next() < 1 / (1 + Math.exp(-logit));
    people.push({
      age,
      sex,
      smoker,
      bmi: random.next() < 0.03 ? null : bmi,
      region: regions[random.int(regions.length)],
      outcome: random.next() < missingOutcome ? null : died ? 'died' : 'survived',
    });
  }
  return people;
}

function toCsv(people: Person[]): string {
  const lines = ['age,sex,smoker,bmi,region,outcome'];
  for (const p of people) lines.push([p.age, p.sex, p.smoker, p.bmi ?? '', p.region, p.outcome ?? ''].join(','));
  return lines.join('\n') + '\n';
}

let fixture: Promise<{ schema: Schema; train: Table; test: Table; trainCsv: string; people: Person[] }> | undefined;
function setup() {
  fixture ??= (async () => {
    const people = cohort(1500, 1, 0.02);
    const trainCsv = toCsv(people);
    const trainFile = tempFile('train.csv', trainCsv);
    const schema = await inferSchema(trainFile);
    const train = await loadTable(trainFile, schema);
    const test = await loadTable(tempFile('test.csv', toCsv(cohort(1000, 2))), schema);
    return { schema, train, test, trainCsv, people };
  })();
  return fixture;
}

async function load(schema: Schema, people: Person[]): Promise<Table> {
  return loadTable(tempFile('synthetic.csv', toCsv(people)), schema);
}

const base = { target: 'outcome', targetReason: 'named by the test', testSetName: 'test.csv', rounds: 100 };

test('defaultTarget: last categorical with 2-20 categories, else last numeric', async () => {
  const { schema } = await setup();
  assert.equal(schema.columns.find((c) => c.name === 'outcome')?.kind, 'categorical');
  assert.equal(defaultTarget(schema)?.column, 'outcome');
  const numericOnly = { ...schema, columns: schema.columns.filter((c) => c.name === 'age' || c.name === 'bmi') };
  const fallback = defaultTarget(numericOnly);
  assert.equal(fallback?.column, 'bmi');
  assert.match(fallback!.reason, /numeric/);
  const excluded = { ...schema, columns: schema.columns.map((c) => (c.name === 'outcome' ? { ...c, exclude: true } : c)) };
  assert.equal(defaultTarget(excluded)?.column, 'region');
  // A column named like an outcome wins over the last categorical column; `marital_status` does not.
  const named = {
    ...excluded,
    columns: excluded.columns.map((c) => (c.name === 'smoker' ? { ...c, name: 'status' } : c.name === 'sex' ? { ...c, name: 'marital_status' } : c)),
  };
  const pick = defaultTarget(named);
  assert.equal(pick?.column, 'status');
  assert.match(pick!.reason, /named like an outcome/);
  assert.equal(defaultTarget({ ...schema, columns: schema.columns.slice(0, 1) }), undefined);
});

test('a synthetic copy identical to the training data gives ratio 1', async () => {
  const { schema, train, test, trainCsv } = await setup();
  // Loaded separately, as the evaluator does.
  const synthetic = await loadTable(tempFile('copy.csv', trainCsv), schema);
  const result = evaluateUtility(schema, train, synthetic, test, { ...base, seed: 3 });
  assert.equal(result.task, 'classification');
  assert.equal(result.headline, 'rocAuc');
  assert.equal(result.testRows, 1000);
  assert.deepEqual(result.trainOnReal, result.trainOnSynthetic);
  assert.equal(result.ratio, 1);
  const real = result.trainOnReal as ArmClassificationScores;
  assert.ok(real.rocAuc! > 0.8, `AUC ${real.rocAuc}`);
  assert.ok(real.trainRows < 1500 && real.trainRows > 1400, 'rows with a missing target are dropped');
  assert.equal(real.note, undefined);
});

test('a synthetic table with the target shuffled gives TSTR AUC near 0.5', async () => {
  const { schema, train, test, people } = await setup();
  const outcomes = people.map((p) => p.outcome);
  new Random(99).shuffle(outcomes);
  const synthetic = await load(
    schema,
    people.map((p, i) => ({ ...p, outcome: outcomes[i] })),
  );
  const result = evaluateUtility(schema, train, synthetic, test, { ...base, seed: 3 });
  const real = result.trainOnReal as ClassificationScores;
  const synth = result.trainOnSynthetic as ClassificationScores;
  assert.ok(real.rocAuc! > 0.8, `real AUC ${real.rocAuc}`);
  assert.ok(Math.abs(synth.rocAuc! - 0.5) < 0.07, `shuffled AUC ${synth.rocAuc}`);
  assert.ok(result.ratio! < 0.7, `ratio ${result.ratio}`);
});

test('a synthetic target with only one class is predicted as that class', async () => {
  const { schema, train, test, people } = await setup();
  const synthetic = await load(
    schema,
    people.map((p) => ({ ...p, outcome: 'survived' })),
  );
  const result = evaluateUtility(schema, train, synthetic, test, { ...base, seed: 3 });
  const synth = result.trainOnSynthetic as ArmClassificationScores;
  assert.match(synth.note ?? '', /only one class of outcome \("survived"\)/);
  assert.equal(synth.rocAuc, 0.5);
  // Accuracy is the share of test rows that survived.
  const ti = schema.columns.findIndex((c) => c.name === 'outcome');
  const col = test.columns[ti] as { codes: Int32Array; levels: string[] };
  const survived = Array.from(col.codes).filter((c) => col.levels[c] === 'survived').length;
  assert.ok(Math.abs(synth.accuracy - survived / test.rowCount) < 1e-12);
  assert.ok(result.ratio !== null && result.ratio < 0.7);
});

test('regression targets report R^2 and MAE', async () => {
  const { schema, train, test, trainCsv } = await setup();
  const synthetic = await loadTable(tempFile('copy.csv', trainCsv), schema);
  const result = evaluateUtility(schema, train, synthetic, test, { ...base, target: 'age', seed: 1 });
  assert.equal(result.task, 'regression');
  assert.equal(result.headline, 'r2');
  const real = result.trainOnReal as RegressionScores;
  assert.ok(Number.isFinite(real.r2) && real.mae > 0);
  assert.equal(result.ratio, real.r2 > 0 ? 1 : null);
  assert.throws(() => evaluateUtility(schema, train, synthetic, test, { ...base, target: 'nope' }), /no column named "nope"/);
});

test('filterRows keeps the chosen rows of every column', async () => {
  const { train } = await setup();
  const even = filterRows(train, (r) => r % 2 === 0);
  assert.equal(even.rowCount, Math.ceil(train.rowCount / 2));
  assert.deepEqual(Array.from(even.rowIndex.slice(0, 3)), [0, 2, 4]);
  const age = even.columns[0] as { values: Float64Array };
  assert.equal(age.values[1], (train.columns[0] as { values: Float64Array }).values[2]);
  const sex = even.columns[1] as { codes: Int32Array; levels: string[] };
  assert.equal(sex.levels, (train.columns[1] as { levels: string[] }).levels);
});

test('fairness: per-group column shapes and utility of both arms', async () => {
  const { schema, train, test, trainCsv } = await setup();
  const synthetic = await loadTable(tempFile('copy.csv', trainCsv), schema);
  const calls: [number, number][] = [];
  const result = evaluateFairness(schema, train, synthetic, test, {
    column: 'sex',
    target: 'outcome',
    seed: 3,
    rounds: 50,
    columnShapes: (real, synth) => {
      calls.push([real.rowCount, synth.rowCount]);
      return 0.75;
    },
  });
  assert.equal(result.column, 'sex');
  assert.deepEqual(result.groups.map((g) => g.value).sort(), ['F', 'M']);
  assert.equal(result.groups.reduce((s, g) => s + g.realRows, 0), train.rowCount);
  assert.equal(calls.length, 2);
  for (const g of result.groups) {
    assert.equal(g.columnShapes, 0.75);
    assert.equal(g.realRows, g.syntheticRows);
    assert.ok(g.testRows! > 300);
    assert.deepEqual(g.utility, g.realUtility);
    assert.ok((g.utility as ClassificationScores).rocAuc! > 0.7);
  }
  assert.throws(() => evaluateFairness(schema, train, synthetic, test, { column: 'age', columnShapes: () => 1 }), /categorical/);
});

test('rocAuc handles ties and single-class input', () => {
  assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75);
  assert.equal(rocAuc([0.5, 0.5], [false, true]), 0.5);
  assert.equal(rocAuc([0.1, 0.2], [true, true]), null);
});
