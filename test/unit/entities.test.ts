import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate } from '../../src/core/generate';
import { inferSchema } from '../../src/core/schema/infer';
import { parseSchema, schemaToJson } from '../../src/core/schema/schema-file';
import { keyCandidates } from '../../src/core/schema/entity-inference';
import { withEntity, withoutEntity } from '../../src/core/schema/entities';
import { apportion, planEntities } from '../../src/core/entities/assemble';
import { exactSpread } from '../../src/core/entities/model';
import { sampleFromModel } from '../../src/core/sample-model';
import { readCsv } from '../../src/core/csv/reader';
import { Random } from '../../src/core/random';
import { describeSchema } from '../../src/cli/describe';
import { privateSplit, seededSplit } from '../../src/core/pipeline/split';
import { tempDir, tempFile } from '../helpers/files';

/**
 * Admissions of patients: each patient (patient_id) has 1 to 4 admissions (admission_id, nested),
 * each of 1 to 5 rows; sex and birth_date are the patient's, admit_date the admission's. ward_id
 * repeats across patients (a code, not an entity); specimen_id is nested but mostly unique.
 */
function admissions(patients = 150, seed = 3): string {
  const random = new Random(seed);
  const lines = ['patient_id,admission_id,ward_id,specimen_id,sex,birth_date,admit_date,drug,dose'];
  let admission = 500000;
  let specimen = 7000000;
  for (let p = 0; p < patients; p++) {
    const sex = random.next() < 0.5 ? 'F' : 'M';
    const birth = `19${30 + random.int(60)}-0${1 + random.int(9)}-1${random.int(10)}`;
    const stays = 1 + random.int(4);
    let day = 1 + random.int(20);
    for (let a = 0; a < stays; a++) {
      admission += 1 + random.int(5);
      day += random.int(5);
      const rows = 1 + random.int(5);
      // The rows of a few admissions share one specimen; most specimens are on one row.
      const shared = random.next() < 0.2;
      if (shared) specimen++;
      for (let r = 0; r < rows; r++) {
        const spec = shared ? specimen : ++specimen;
        lines.push(
          `${10000 + p * 7},${admission},${100 + random.int(120)},${spec},${sex},${birth},2150-0${1 + (a % 9)}-${String(day).padStart(2, '0')},${['Aspirin', 'Heparin', 'Insulin', 'Senna'][random.int(4)]},${1 + random.int(20)}`,
        );
      }
    }
  }
  return lines.join('\n') + '\n';
}

/** A trial file: two rows per patient (recurrence, then death), arm, sex and age per patient. */
function trial(patients = 200, seed = 4): string {
  const random = new Random(seed);
  const lines = ['patient_id,arm,sex,age,event,event_date'];
  for (let p = 0; p < patients; p++) {
    const arm = random.next() < 0.5 ? 'placebo' : 'treatment';
    const sex = random.next() < 0.5 ? 'F' : 'M';
    const age = 40 + random.int(40);
    const day = 1 + random.int(27);
    lines.push(`${20000 + p * 3},${arm},${sex},${age},recurrence,2020-03-${String(day).padStart(2, '0')}`);
    lines.push(`${20000 + p * 3},${arm},${sex},${age},death,2021-0${1 + random.int(9)}-${String(day).padStart(2, '0')}`);
  }
  return lines.join('\n') + '\n';
}

async function readRows(file: string): Promise<Record<string, string>[]> {
  const rows: Record<string, string>[] = [];
  let names: string[] = [];
  await readCsv(file, (fields) => rows.push(Object.fromEntries(names.map((n, i) => [n, fields[i]]))), { onHeader: (h) => (names = h.names) });
  return rows;
}

function groupSizes(rows: Record<string, string>[], key: string): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const r of rows) if (r[key]) sizes.set(r[key], (sizes.get(r[key]) ?? 0) + 1);
  return sizes;
}

test('inference finds patients and admissions nested in them, and does not force a shared or mostly unique code', async () => {
  const file = tempFile('admissions.csv', admissions());
  const schema = await inferSchema(file);
  const entities = schema.entities ?? [];
  assert.deepEqual(
    entities.map((e) => [e.key, e.parent]),
    [
      ['patient_id', undefined],
      ['admission_id', 'patient_id'],
    ],
  );
  const patient = entities[0];
  assert.deepEqual([...patient.constant].sort(), ['birth_date', 'sex']);
  assert.equal(patient.sequence, 'admit_date');
  assert.match(patient.why!, /person key/);
  assert.match(entities[1].why!, /every admission_id belongs to one patient_id/);
  // The shared ward code and the mostly unique specimen are explained, not forced.
  const notes = (schema.notes ?? []).join('\n');
  assert.match(notes, /ward_id repeats .* shared across/);
  assert.match(notes, /specimen_id repeats .* most of its values appear once/);
  // The person entity is the privacy unit.
  assert.equal(typeof schema.privacyUnit === 'object' && schema.privacyUnit.column, 'patient_id');
  const summary = describeSchema(schema);
  assert.match(summary, /Entities \(2;/);
  assert.match(summary, /admission_id in patient_id \[inferred\]/);
  assert.match(summary, /why: .*belongs to one patient_id/);
});

test('a file whose keys are all unique has no entities and no key to examine', async () => {
  const lines = ['patient_id,age,sex'];
  for (let i = 0; i < 300; i++) lines.push(`${30000 + i},${20 + (i % 50)},${i % 2 ? 'F' : 'M'}`);
  const file = tempFile('unique.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  assert.deepEqual(keyCandidates(schema), []);
  assert.deepEqual(schema.entities, []);
});

test('an entity of tens of thousands of rows is inferred in bounded work', async () => {
  const lines = ['subject_id,sex,value'];
  for (let i = 0; i < 30000; i++) lines.push(`1001,F,${i % 97}`);
  for (let p = 0; p < 40; p++) for (let i = 0; i < 3; i++) lines.push(`${2000 + p},${p % 2 ? 'F' : 'M'},${i}`);
  const file = tempFile('heavy.csv', lines.join('\n') + '\n');
  const schema = await inferSchema(file);
  assert.equal(schema.entities?.[0]?.key, 'subject_id');
  assert.deepEqual(schema.entities?.[0]?.constant, ['sex']);
  assert.match(schema.entities![0].why!, /3 to 30,000 rows each/);
});

test('edited entities are checked: the key exists, the parent is an entity, no cycles; errors name the file and key', async () => {
  const file = tempFile('admissions.csv', admissions(40));
  const schema = await inferSchema(file);
  const edit = (entities: unknown[]): string => schemaToJson({ ...schema, entities } as never);
  assert.throws(() => parseSchema(edit([{ key: 'patient', constant: [], source: 'declared' }]), 'a.schema.json'), /a\.schema\.json.*entities: the key "patient" is not a column/s);
  assert.throws(() => parseSchema(edit([{ key: 'admission_id', parent: 'patient_id', constant: [], source: 'declared' }]), 'a.schema.json'), /the parent "patient_id" of admission_id is not an entity/);
  assert.throws(
    () =>
      parseSchema(
        edit([
          { key: 'admission_id', parent: 'patient_id', constant: [], source: 'declared' },
          { key: 'patient_id', parent: 'admission_id', constant: [], source: 'declared' },
        ]),
        'a.schema.json',
      ),
    /cycle/,
  );
  assert.throws(() => parseSchema(edit([{ key: 'sex', constant: [], source: 'declared' }]), 'a.schema.json'), /must be an identifier column/);
  assert.throws(() => parseSchema(edit([{ key: 'patient_id', constant: ['nope'], source: 'declared' }]), 'a.schema.json'), /"nope", listed as constant within patient_id, is not a column/);
  // The Schema view's actions: declare an entity nested in another, remove one (its children move up).
  const declared = withEntity({ ...schema, entities: [] }, 'patient_id');
  const nested = withEntity(declared, 'admission_id', 'patient_id');
  assert.deepEqual(nested.entities!.map((e) => [e.key, e.parent, e.source]), [['patient_id', undefined, 'declared'], ['admission_id', 'patient_id', 'declared']]);
  assert.deepEqual(withoutEntity(nested, 'patient_id').entities!.map((e) => [e.key, e.parent]), [['admission_id', undefined]]);
  assert.throws(() => withEntity(declared, 'admission_id', 'ward_id'), /the parent "ward_id" of admission_id is not an entity/);
  // Removing them is allowed: rows then stand alone.
  assert.deepEqual(parseSchema(edit([]), 'a.schema.json').entities, []);
});

test('the plan gives each entity its drawn rows, nested entities inside their parent, dates in order', () => {
  const state = {
    levels: [
      { key: 'p', constant: [], constantIdentifiers: [], rows: exactSpread([2, 6], [1, 1]), span: exactSpread([10], [1]), childPosition: exactSpread([0, 0.5], [1, 1]) },
      { key: 'a', constant: [], constantIdentifiers: [], rows: exactSpread([1, 3], [1, 1]), perParent: exactSpread([1, 2], [1, 1]), looseShare: exactSpread([0], [1]), span: exactSpread([3], [1]), rowPosition: exactSpread([0, 1], [1, 1]) },
    ],
    sequence: 'd',
    shifted: ['d'],
  };
  const plan = planEntities(state, 1000, new Random(1));
  const sizes = new Map<number, number>();
  for (let r = 0; r < 1000; r++) sizes.set(plan.codes[0][r], (sizes.get(plan.codes[0][r]) ?? 0) + 1);
  const counts = [...sizes.values()];
  // Every patient but a possibly truncated last one holds 2 or 6 rows.
  assert.ok(counts.slice(0, -1).every((c) => c === 2 || c === 6));
  const parentOf = new Map<number, number>();
  for (let r = 0; r < 1000; r++) {
    const a = plan.codes[1][r];
    assert.ok(a >= 0);
    if (parentOf.has(a)) assert.equal(parentOf.get(a), plan.codes[0][r], 'an admission stays in one patient');
    parentOf.set(a, plan.codes[0][r]);
    if (r > 0 && plan.codes[0][r] === plan.codes[0][r - 1]) assert.ok(plan.offset[r] >= plan.offset[r - 1], 'dates in order');
  }
  assert.deepEqual(apportion(10, [1, 1, 2]), [3, 3, 4]);
  assert.deepEqual(apportion(3, [5, 1, 1]), [1, 1, 1]);
});

test('a damaged entity shape (sizes not finite numbers) still plans every row, each entity holding rows', () => {
  // A model file edited by hand, or written by a fault, can carry NaN or null where a size should be.
  // Such a draw built an entity of no rows, so the plan made entities without end and the key
  // generator failed after minutes ("Set maximum size exceeded").
  const broken = { lo: [Number.NaN, 2], hi: [Number.NaN, 2], weight: [1, Number.NaN] };
  const state = {
    levels: [
      { key: 'p', constant: [], constantIdentifiers: [], rows: broken },
      { key: 'a', constant: [], constantIdentifiers: [], rows: { lo: [null as unknown as number], hi: [Number.NaN], weight: [1] }, perParent: exactSpread([2], [1]), looseShare: { lo: [Number.NaN], hi: [1], weight: [1] } },
    ],
    shifted: [],
  };
  const plan = planEntities(state, 500, new Random(2));
  for (let j = 0; j < 2; j++) {
    assert.ok(plan.counts[j] <= 500, `level ${j}: ${plan.counts[j]} entities for 500 rows`);
    const held = new Set(plan.codes[j]);
    for (let e = 0; e < plan.counts[j]; e++) assert.ok(held.has(e), `level ${j}: entity ${e} holds a row`);
  }
  assert.deepEqual(apportion(4, [Number.NaN, 1]), [2, 2]);
});

test('the holdout takes whole entities, with and without DP', () => {
  const groups = Int32Array.from({ length: 600 }, (_, r) => (r % 7 === 0 ? -1 : r % 50));
  for (const split of [seededSplit(600, 0.2, Infinity, new Random(3), groups), privateSplit(600, 0.2, Infinity, 0, groups)]) {
    const held = new Map<number, Set<number>>();
    for (let r = 0; r < 600; r++) if (groups[r] >= 0) held.set(groups[r], (held.get(groups[r]) ?? new Set()).add(split.holdout[r]));
    assert.ok([...held.values()].every((s) => s.size === 1), 'each entity wholly held out or wholly trained on');
    assert.ok(split.holdoutCount > 0 && split.trainingRows > 0);
    assert.equal(split.holdoutCount + split.trainingRows, 600);
  }
});

test('a trial file of two rows per patient: two rows per synthetic patient, per-patient columns constant, keys new', async () => {
  const input = tempFile('trial.csv', trial());
  const dir = tempDir();
  const out = path.join(dir, 'trial.synthetic.csv');
  const { card } = await generate({ input, out, epochs: 5, privacy: 'none', evaluate: false, seed: 2, holdoutFraction: 0 });
  const real = await readRows(input);
  const synthetic = await readRows(out);
  assert.equal(synthetic.length, real.length);
  const sizes = groupSizes(synthetic, 'patient_id');
  assert.ok([...sizes.values()].every((s) => s === 2), 'every synthetic patient has two rows, as every real one');
  const realKeys = new Set(real.map((r) => r.patient_id));
  assert.ok(synthetic.every((r) => !realKeys.has(r.patient_id)), 'no synthetic key is a real one');
  for (const column of ['arm', 'sex', 'age']) {
    const values = new Map<string, Set<string>>();
    for (const r of synthetic) values.set(r.patient_id, (values.get(r.patient_id) ?? new Set()).add(r[column]));
    const constant = [...values.values()].filter((v) => v.size === 1).length / values.size;
    assert.ok(constant >= 0.95, `${column} constant within ${Math.round(constant * 100)} % of synthetic patients`);
  }
  assert.ok(card.notes.some((n) => /Entities: 200 patient_id made/.test(n)), card.notes.join('\n'));
});

test('nested keys stay nested in every synthetic row, with and without DP, and sample keeps the shape', async () => {
  const input = tempFile('admissions.csv', admissions(300));
  const real = await readRows(input);
  const realKeys = new Set(real.flatMap((r) => [r.patient_id, r.admission_id]));
  const dir = tempDir();
  for (const run of [
    { name: 'exact', privacy: 'none' as const, generator: 'tvae' as const, epochs: 3 },
    { name: 'private', privacy: { epsilon: 3 }, generator: 'marginals' as const },
  ]) {
    const out = path.join(dir, `${run.name}.csv`);
    const { card } = await generate({ input, out, ...run, evaluate: false, seed: 1 });
    const synthetic = await readRows(out);
    const parent = new Map<string, string>();
    // Every real row has both keys; under DP the shares of patients without an admission and of
    // rows without one are released with noise: a noise bin passes the floor now and then (12-16 %
    // of rows lacked an admission in one run of three when bins counted at one deviation).
    const both = synthetic.filter((r) => r.patient_id && r.admission_id).length / synthetic.length;
    assert.ok(run.name === 'exact' ? both === 1 : both >= 0.95, `${run.name}: ${Math.round(both * 100)} % of rows have both keys`);
    for (const r of synthetic) {
      if (!r.admission_id) continue;
      assert.ok(!realKeys.has(r.patient_id) && !realKeys.has(r.admission_id), 'keys are new');
      if (parent.has(r.admission_id)) assert.equal(parent.get(r.admission_id), r.patient_id, `admission ${r.admission_id} in one patient`);
      parent.set(r.admission_id, r.patient_id);
    }
    const patients = groupSizes(synthetic, 'patient_id');
    assert.ok(patients.size < synthetic.length / 2, `${run.name}: ${patients.size} patients for ${synthetic.length} rows: patients hold several rows`);
    if (run.name === 'private') {
      const releases = card.privacy.budget!.preprocessing.releases.map((r) => r.what);
      assert.ok(releases.some((w) => /admission_id values per patient_id/.test(w)), releases.join('\n'));
    } else {
      const sampled = path.join(dir, 'sampled.csv');
      let text = '';
      await sampleFromModel({ model: out.replace(/\.csv$/, '.model'), rows: 200, seed: 3 }, async (t) => void (text += t));
      fs.writeFileSync(sampled, text);
      const rows = await readRows(sampled);
      assert.ok(groupSizes(rows, 'patient_id').size < 100, 'sampled rows are grouped into patients too');
    }
  }
});

test('no entities: the model file carries none and rows are drawn as before', async () => {
  const lines = ['id,age,sex'];
  for (let i = 0; i < 200; i++) lines.push(`${i + 1},${20 + (i % 50)},${i % 2 ? 'F' : 'M'}`);
  const input = tempFile('single.csv', lines.join('\n') + '\n');
  const { outputs, card } = await generate({ input, epochs: 2, privacy: 'none', evaluate: false, seed: 1 });
  const model = JSON.parse(fs.readFileSync(outputs.model, 'utf8'));
  assert.equal(model.entities, undefined);
  assert.ok(!card.notes.some((n) => n.startsWith('Entities')));
});

test('a key named only "id" is an entity once the user names it as the privacy unit, and generate keeps its rows together', async () => {
  const input = tempFile('trial-id.csv', trial(120).replace(/^patient_id,/, 'id,'));
  const plain = await inferSchema(input);
  assert.deepEqual(plain.entities, [], 'a bare id is weak evidence on its own');
  assert.ok(plain.notes?.some((n) => /Entities: id repeats .* weak evidence/.test(n)), plain.notes?.join('\n'));
  const named = await inferSchema(input, { personKey: 'id' });
  assert.deepEqual(named.entities?.map((e) => e.key), ['id']);
  assert.match(named.entities![0].why ?? '', /id is the privacy unit and its values repeat/);
  const out = path.join(tempDir(), 'trial-id.synthetic.csv');
  await generate({ input, out, epochs: 2, privacy: 'none', privacyUnit: 'id', evaluate: false, seed: 2, holdoutFraction: 0 });
  const sizes = groupSizes(await readRows(out), 'id');
  assert.ok([...sizes.values()].every((s) => s === 2), 'every synthetic patient has two rows, as every real one');
});
