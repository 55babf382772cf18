import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, CHECKLIST_THRESHOLDS } from '../../src/core/evaluate/evaluate';
import { inferSchema } from '../../src/core/schema/infer';
import { loadTable } from '../../src/core/table';
import { Random } from '../../src/core/random';
import { tempFile } from '../helpers/files';

function admissions(rows: number, seed: number, id0 = 0): string {
  const random = new Random(seed);
  const lines = ['id,age,sex,ward,los,died'];
  for (let i = 0; i < rows; i++) {
    const age = 20 + random.int(70);
    const died = random.next() < age / 300 ? 'Yes' : 'No';
    lines.push(`${String(id0 + i).padStart(7, '0')},${age},${random.next() < 0.5 ? 'F' : 'M'},${['A', 'B', 'C', 'D'][random.int(4)]},${Math.round(age / 10 + random.next() * 5)},${died}`);
  }
  return lines.join('\n') + '\n';
}

async function setup(syntheticText: string) {
  const trainFile = tempFile('train.csv', admissions(800, 1));
  const holdoutFile = tempFile('holdout.csv', admissions(300, 2, 5000));
  const syntheticFile = tempFile('synthetic.csv', syntheticText);
  const schema = await inferSchema(trainFile);
  const [real, holdout, synthetic] = await Promise.all([trainFile, holdoutFile, syntheticFile].map((f) => loadTable(f, schema)));
  return { schema, real, holdout, synthetic, trainFile, syntheticFile };
}

test('a copy of the training data passes fidelity but fails privacy checks', async () => {
  const train = admissions(800, 1);
  const { schema, real, holdout, synthetic, trainFile, syntheticFile } = await setup(train);
  const e = await evaluate({ schema, real, synthetic, holdout, names: { real: 'train.csv', synthetic: 'synthetic.csv', holdout: 'holdout.csv' }, files: { real: trainFile, synthetic: syntheticFile }, privacy: { differentiallyPrivate: false } });
  assert.ok(e.quality.score > 0.99);
  assert.equal(e.verdicts.fidelity, 'pass');
  assert.equal(e.verdicts.privacy, 'fail');
  const byId = new Map(e.checklist.map((c) => [c.id, c]));
  assert.equal(byId.get('exact-copies')!.verdict, 'fail');
  assert.equal(byId.get('membership')!.verdict, 'fail');
  assert.equal(byId.get('dp')!.verdict, 'fail');
  // The zero-padded id column is an identifier: its real values reappear.
  assert.equal(byId.get('identifiers')!.verdict, 'fail');
  assert.equal(e.utility?.target, 'died');
});

test('fresh rows from the same distribution pass the privacy checks', async () => {
  const { schema, real, holdout, synthetic } = await setup(admissions(800, 3, 90000));
  const e = await evaluate({ schema, real, synthetic, holdout, names: { real: 'train.csv', synthetic: 'synthetic.csv' } });
  const byId = new Map(e.checklist.map((c) => [c.id, c]));
  assert.equal(byId.get('exact-copies')!.verdict, 'pass');
  assert.equal(byId.get('membership')!.verdict, 'pass');
  assert.equal(byId.get('dcr-overfitting')!.verdict, 'pass');
  assert.ok(!byId.has('dp'), 'no DP line when the privacy status is unknown');
  assert.ok(e.quality.score > 0.85);
  for (const item of e.checklist) assert.ok(item.threshold.length > 0 && item.value.length > 0);
});

test('an unknown target or protected column is a clear error', async () => {
  const { schema, real, holdout, synthetic } = await setup(admissions(200, 3));
  await assert.rejects(evaluate({ schema, real, synthetic, holdout, names: { real: 'a', synthetic: 'b' } }, { target: 'nope' }), /--target: there is no column "nope"/);
  await assert.rejects(evaluate({ schema, real, synthetic, holdout, names: { real: 'a', synthetic: 'b' } }, { protected: 'nope' }), /--protected/);
});

test('fairness compares groups of the protected column', async () => {
  const { schema, real, holdout, synthetic } = await setup(admissions(800, 4, 70000));
  const e = await evaluate({ schema, real, synthetic, holdout, names: { real: 'a', synthetic: 'b' } }, { protected: 'sex' });
  assert.deepEqual(e.fairness!.groups.map((g) => g.value).sort(), ['F', 'M']);
  assert.ok(CHECKLIST_THRESHOLDS.quality.pass > CHECKLIST_THRESHOLDS.quality.warn);
});

test('distance checks are judged against unseen real rows, and the DP guarantee comes first', async () => {
  // Crowded data: few columns of few values, so unseen real people sit on top of training rows.
  const crowded = (rows: number, seed: number): string => {
    const random = new Random(seed);
    const lines = ['sex,ward,lab,died'];
    for (let i = 0; i < rows; i++) lines.push(`${random.next() < 0.5 ? 'F' : 'M'},${'ABC'[random.int(3)]},${(5 + random.normal() * (random.next() < 0.05 ? 8 : 1)).toFixed(2)},${random.next() < 0.2 ? 'Yes' : 'No'}`);
    return lines.join('\n') + '\n';
  };
  const files = [tempFile('train.csv', crowded(1500, 1)), tempFile('holdout.csv', crowded(400, 2)), tempFile('synthetic.csv', crowded(1500, 3))];
  const schema = await inferSchema(files[0]);
  const [real, holdout, synthetic] = await Promise.all(files.map((f) => loadTable(f, schema)));
  const e = await evaluate({
    schema,
    real,
    synthetic,
    holdout,
    names: { real: 'train.csv', synthetic: 'synthetic.csv', holdout: 'holdout.csv' },
    privacy: { differentiallyPrivate: true, epsilon: 2.99485350819493, delta: 1e-5 },
  });
  const unseen = e.privacy.holdoutDcrBaselineProtection!;
  assert.ok(unseen < CHECKLIST_THRESHOLDS.dcrBaseline.warn, `holdout rows score ${unseen}: the absolute bar would fail real people`);
  const dcr = e.checklist.find((c) => c.id === 'dcr-baseline')!;
  assert.equal(dcr.verdict, 'pass', `${dcr.value} / ${dcr.threshold}`);
  assert.match(dcr.value, /holdout rows: \d\.\d{3}\)$/);
  assert.equal(e.verdicts.privacy, 'pass');
  assert.equal(e.checklist[0].id, 'dp', 'the formal guarantee is the first line');
  assert.equal(e.checklist[0].value, 'ε 2.99, δ 1.0e-5');

  // Copies of the training rows of wider data are closer than unseen people are: still a failure.
  const train = admissions(800, 1);
  const copy = await setup(train);
  const copied = await evaluate({ ...copy, names: { real: 'train.csv', synthetic: 'synthetic.csv', holdout: 'holdout.csv' } });
  assert.ok(copied.privacy.holdoutDcrBaselineProtection! > 0.05);
  assert.equal(copied.checklist.find((c) => c.id === 'dcr-baseline')!.verdict, 'fail');
});
