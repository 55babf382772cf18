/**
 * The entity measures of the evaluation (#13) on hand-made files with known answers: rows per
 * entity, nested keys, per-entity constants, reused keys, dates within an entity, sampling of
 * whole entities on large files, and `synthetic-csv evaluate` reporting them for any pair of files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluate } from '../../src/core/evaluate/evaluate';
import { evaluateEntities, readEntityRows, sizeBins } from '../../src/core/evaluate/entities';
import { inferSchema } from '../../src/core/schema/infer';
import type { EntitySpec, Schema } from '../../src/core/schema/types';
import { loadTable } from '../../src/core/table';
import { tempDir, tempFile } from '../helpers/files';

const HEADER = 'patient,admission,sex,arm,day,score';

/** Real: patient A has 3 rows (2 admissions), B 1 row, C 2 rows; sex and arm constant per patient. */
const REAL = [
  'A,a1,F,x,2020-01-01,1',
  'A,a1,F,x,2020-01-05,2',
  'A,a2,F,x,2020-02-01,3',
  'B,b1,M,y,2020-03-01,4',
  'C,c1,M,x,2020-04-01,5',
  'C,c1,M,x,2020-04-03,6',
];

/**
 * Synthetic: P1 3 rows, P2 2 rows, A (a real key) 1 row: sizes {3, 2, 1} as real. P1 keeps sex
 * and arm; P2 changes sex. Admission q1 is split across P1 and P2 (nesting broken in 1 of 4).
 * P1's dates are out of file order.
 */
const SYNTHETIC = [
  'P1,q1,F,x,2020-01-10,1',
  'P1,q1,F,x,2020-01-02,2',
  'P1,q2,F,x,2020-01-20,3',
  'P2,q1,M,y,2020-05-01,4',
  'P2,q3,F,y,2020-05-02,5',
  'A,q4,M,x,2020-06-01,6',
];

const ENTITIES: EntitySpec[] = [
  { key: 'patient', constant: ['sex', 'arm'], sequence: 'day', source: 'declared' },
  { key: 'admission', parent: 'patient', constant: [], source: 'declared' },
];

async function files(real = REAL, synthetic = SYNTHETIC): Promise<{ real: string; synthetic: string; schema: Schema }> {
  const realFile = tempFile('real.csv', [HEADER, ...real].join('\n') + '\n');
  const syntheticFile = tempFile('synthetic.csv', [HEADER, ...synthetic].join('\n') + '\n');
  const inferred = await inferSchema(realFile);
  // Entity keys are identifiers (regenerated, never learned); the tiny file's letters read as categories.
  const keys = new Set(ENTITIES.map((e) => e.key));
  const schema = { ...inferred, columns: inferred.columns.map((c) => (keys.has(c.name) ? { ...c, kind: 'identifier' as const, identifier: { type: 'unique-key' as const, direct: false, handling: 'regenerate' as const, reason: 'an entity key' } } : c)), entities: ENTITIES };
  return { real: realFile, synthetic: syntheticFile, schema };
}

test('entity measures on hand-made files: rows per entity, nesting, constants, reused keys, dates', async () => {
  const f = await files();
  const result = await evaluateEntities(f.schema, { real: f.real, synthetic: f.synthetic, realRowCount: 6, syntheticRowCount: 6 });
  assert.ok(result);
  assert.equal(result.sampled, undefined);
  const [patient, admission] = result.entities;

  const rows = patient.rowsPerEntity!;
  assert.deepEqual([rows.real.entities, rows.real.min, rows.real.median, rows.real.max, rows.real.single], [3, 1, 2, 3, 1]);
  assert.deepEqual([rows.synthetic.entities, rows.synthetic.median, rows.synthetic.max], [3, 2, 3]);
  assert.equal(rows.ksComplement, 1, 'the same sizes {1, 2, 3}');
  assert.deepEqual(rows.histogram.labels, ['1', '2', '3']);
  assert.deepEqual(rows.histogram.real.map((x) => +x.toFixed(4)), [0.3333, 0.3333, 0.3333]);

  // Sex: real A and C constant (B has one row); synthetic P1 yes, P2 no. Arm: constant everywhere.
  const sex = patient.constants!.find((c) => c.column === 'sex')!;
  assert.deepEqual(sex.real, { share: 1, entities: 2, broken: 0 });
  assert.deepEqual(sex.synthetic, { share: 0.5, entities: 2, broken: 1 });
  assert.deepEqual(patient.constants!.find((c) => c.column === 'arm')!.synthetic, { share: 1, entities: 2, broken: 0 });
  assert.deepEqual(patient.constantsKept!.synthetic, { share: 0.5, entities: 2, broken: 1 });

  assert.deepEqual(patient.keysReused, { count: 1, share: 1 / 3 }, 'synthetic patient A is a real key');
  assert.deepEqual(admission.keysReused, { count: 0, share: 0 });

  // Admissions of 2+ rows: real a1 and c1 each in one patient; synthetic q1 in P1 and P2.
  assert.deepEqual(admission.nesting, {
    parent: 'patient',
    real: { share: 1, entities: 2, broken: 0 },
    synthetic: { share: 0, entities: 1, broken: 1 },
  });

  // Dates: real rows in order within A and C; synthetic P1 out of order, P2 in order.
  const seq = patient.sequenceShape!;
  assert.deepEqual(seq.inFileOrder.real, { share: 1, entities: 2, broken: 0 });
  assert.deepEqual(seq.inFileOrder.synthetic, { share: 0.5, entities: 2, broken: 1 });
  // Spans: real A 31 days, C 2; synthetic P1 18, P2 1. Gaps: real 4, 27, 2; synthetic 8, 10, 1.
  assert.deepEqual(seq.medianSpan, { real: 16.5, synthetic: 9.5 });
  assert.deepEqual(seq.medianGap, { real: 4, synthetic: 8 });
  assert.equal(seq.spanKsComplement, 0.5);
});

test('the evaluation reports entities, and the checklist fails broken nesting and lost constants', async () => {
  const f = await files();
  const real = await loadTable(f.real, f.schema);
  const synthetic = await loadTable(f.synthetic, f.schema);
  const e = await evaluate({ schema: f.schema, real, synthetic, names: { real: 'real.csv', synthetic: 'synthetic.csv' }, files: { real: f.real, synthetic: f.synthetic } });
  assert.equal(e.entities?.entities.length, 2);
  const item = (id: string) => e.checklist.find((c) => c.id === id);
  // Patients match ({1, 2, 3} rows); admissions do not (real {1, 1, 2, 2}, synthetic {1, 1, 1, 3}).
  assert.match(item('entity-rows')!.value, /^patient: 1\.000 .*; admission: 0\.750 /);
  assert.equal(item('entity-rows')?.verdict, 'warn');
  assert.equal(item('entity-nesting')?.verdict, 'fail');
  assert.match(item('entity-nesting')!.value, /admission in patient: 0\.0 % of 1 \(1 split across parents; real 100\.0 %\)/);
  assert.equal(item('entity-constants')?.verdict, 'fail');
  assert.equal(item('entity-keys')?.verdict, 'warn');
  assert.equal(e.verdicts.fidelity, 'fail');

  // The real file against itself keeps everything (its keys are all "reused", as they must be).
  const same = await evaluate({ schema: f.schema, real, synthetic: real, names: { real: 'real.csv', synthetic: 'real.csv' }, files: { real: f.real, synthetic: f.real } });
  for (const id of ['entity-rows', 'entity-nesting', 'entity-constants']) assert.equal(same.checklist.find((c) => c.id === id)?.verdict, "pass", `${id}: ${JSON.stringify(same.checklist.find((c) => c.id === id))}`);

  // Without entities in the schema, nothing is measured.
  const none = await evaluate({ schema: { ...f.schema, entities: [] }, real, synthetic, names: { real: 'r', synthetic: 's' }, files: { real: f.real, synthetic: f.synthetic } });
  assert.equal(none.entities, undefined);
  assert.ok(!none.checklist.some((c) => c.id.startsWith('entity-')));
});

test('one row per synthetic patient: rows per entity fail, constants are not measurable (not "kept")', async () => {
  const flat = SYNTHETIC.map((line, i) => line.replace(/^[^,]+,[^,]+/, `S${i},s${i}`));
  const f = await files(REAL, flat);
  const result = (await evaluateEntities(f.schema, { real: f.real, synthetic: f.synthetic, realRowCount: 6, syntheticRowCount: 6 }))!;
  const patient = result.entities[0];
  assert.equal(patient.rowsPerEntity!.synthetic.single, 6);
  assert.ok(patient.rowsPerEntity!.ksComplement! < 0.7);
  assert.deepEqual(patient.constantsKept!.synthetic, { share: null, entities: 0, broken: 0 });
  const real = await loadTable(f.real, f.schema);
  const synthetic = await loadTable(f.synthetic, f.schema);
  const e = await evaluate({ schema: f.schema, real, synthetic, names: { real: 'r', synthetic: 's' }, files: { real: f.real, synthetic: f.synthetic } });
  assert.equal(e.checklist.find((c) => c.id === 'entity-rows')?.verdict, 'fail');
  assert.match(e.checklist.find((c) => c.id === 'entity-constants')!.value, /not measurable/);
  // One-row admissions are nested trivially: not counted as kept.
  const nesting = e.checklist.find((c) => c.id === 'entity-nesting')!;
  assert.equal(nesting.verdict, 'warn');
  assert.match(nesting.value, /admission in patient: not measurable, no synthetic admission has two rows or more/);
});

test('a key missing from the synthetic file is reported, not guessed', async () => {
  const f = await files();
  const dropped = tempFile('dropped.csv', ['sex,arm,day,score', ...SYNTHETIC.map((l) => l.split(',').slice(2).join(','))].join('\n') + '\n');
  const result = (await evaluateEntities(f.schema, { real: f.real, synthetic: dropped, realRowCount: 6, syntheticRowCount: 6 }))!;
  assert.match(result.entities[0].unavailable ?? '', /patient \(synthetic file\)/);
  assert.equal(result.entities[0].rowsPerEntity, undefined);
});

test('large files: whole entities are sampled by key, the same keys in both files', async () => {
  const lines = [HEADER];
  for (let p = 0; p < 400; p++) for (let k = 0; k <= p % 5; k++) lines.push(`K${p},h${p},F,x,2020-01-0${k + 1},${k}`);
  const file = tempFile('many.csv', lines.join('\n') + '\n');
  const schema = { ...(await inferSchema(file)), entities: ENTITIES };
  const all = await readEntityRows(file, schema, ENTITIES);
  const half = await readEntityRows(file, schema, ENTITIES, { fraction: 0.5 });
  assert.equal(all.rowCount, lines.length - 1);
  assert.ok(half.rowCount > 0.3 * all.rowCount && half.rowCount < 0.7 * all.rowCount, `${half.rowCount} of ${all.rowCount}`);
  // Every kept patient has all its rows: sizes are 1..5 by construction (p % 5 + 1).
  const counts = new Map<number, number>();
  for (const key of half.columns.get('patient')!) counts.set(key, (counts.get(key) ?? 0) + 1);
  const allCounts = new Map<number, number>();
  for (const key of all.columns.get('patient')!) allCounts.set(key, (allCounts.get(key) ?? 0) + 1);
  for (const [key, n] of counts) assert.equal(n, allCounts.get(key));
  // The same fraction on another read keeps the same keys.
  const again = await readEntityRows(file, schema, ENTITIES, { fraction: 0.5 });
  assert.deepEqual([...again.columns.get('patient')!], [...half.columns.get('patient')!]);
  // Only the training rows of the real file are read when given.
  const some = await readEntityRows(file, schema, ENTITIES, { rows: Int32Array.from([5, 0, 2]) });
  assert.equal(some.rowCount, 3, 'in any order');
});

test('rows-per-entity bins: one per size for small entities, 1-2-5 steps beyond', () => {
  assert.deepEqual(sizeBins(4).labels, ['1', '2', '3', '4']);
  assert.deepEqual(sizeBins(1158).labels, ['1', '2', '3', '4', '5', '6–10', '11–20', '21–50', '51–100', '101–200', '201–500', '501–1,000', '1,001–2,000']);
});

test('synthetic-csv evaluate reports entities for any pair of files given a schema with entities', async () => {
  const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error('build first: npm run build');
  const f = await files();
  const dir = tempDir();
  const schemaFile = path.join(dir, 'schema.json');
  fs.writeFileSync(schemaFile, JSON.stringify(f.schema));
  const run = spawnSync(process.execPath, [cli, 'evaluate', f.real, f.synthetic, '--schema', schemaFile, '--html', path.join(dir, 'report.html')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const json = JSON.parse(run.stdout);
  assert.equal(json.entities.entities[0].key, 'patient');
  assert.equal(json.entities.entities[1].nesting.synthetic.broken, 1);
  const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
  assert.match(html, /"entities":\{/);
});
