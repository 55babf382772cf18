import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CsvParser } from '../../src/core/csv/parser';
import { generatePatientsCsv, isValidNhsNumber, PATIENT_COLUMNS } from '../../src/core/demo/patients';

function parse(text: string): string[][] {
  const rows: string[][] = [];
  const parser = new CsvParser({ delimiter: ',', quote: '"' }, (rec) => rows.push(rec.fields));
  parser.push(text);
  parser.end();
  return rows;
}

/** Independent of the generator's own helper, so a bug there cannot hide itself. */
function mod11Ok(id: string): boolean {
  if (!/^\d{10}$/.test(id)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(id[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === Number(id[9]);
}

const text = generatePatientsCsv();
const [header, ...rows] = parse(text);
const col = (name: string): number => {
  const i = header.indexOf(name);
  assert.ok(i >= 0, `missing column ${name}`);
  return i;
};

test('same seed gives byte-identical output', () => {
  assert.equal(generatePatientsCsv({ rows: 200, seed: 7 }), generatePatientsCsv({ rows: 200, seed: 7 }));
  assert.equal(generatePatientsCsv(), text);
});

test('a different seed gives different output', () => {
  assert.notEqual(generatePatientsCsv({ rows: 200, seed: 7 }), generatePatientsCsv({ rows: 200, seed: 8 }));
});

test('examples/patients.csv is exactly what the simulator produces (run `npm run examples`)', () => {
  const committed = readFileSync(join(__dirname, '..', '..', 'examples', 'patients.csv'), 'utf8');
  assert.ok(committed === text, 'examples/patients.csv has drifted from generatePatientsCsv(); run `npm run examples`');
});

test('shape: header, default row count, constant column count, LF endings', () => {
  assert.deepEqual(header, [...PATIENT_COLUMNS]);
  assert.equal(rows.length, 3000);
  for (const [i, row] of rows.entries()) assert.equal(row.length, header.length, `row ${i + 1}`);
  assert.ok(!text.includes('\r'));
  assert.ok(text.endsWith('\n'));
  assert.equal(parse(generatePatientsCsv({ rows: 5, seed: 1 })).length, 6);
});

test('patient ids pass the modulus-11 check and are unique', () => {
  const ids = rows.map((r) => r[col('patient_id')]);
  for (const id of ids) {
    assert.ok(mod11Ok(id), `invalid id ${id}`);
    assert.ok(isValidNhsNumber(id));
  }
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(!isValidNhsNumber('9434765918'), 'wrong check digit must fail'); // valid is 9434765919
  assert.ok(isValidNhsNumber('9434765919'));
});

test('discharge date = admission date + length of stay', () => {
  for (const r of rows) {
    const admitted = Date.parse(`${r[col('admission_date')]}T00:00:00Z`);
    const discharged = Date.parse(`${r[col('discharge_date')]}T00:00:00Z`);
    const stay = Number(r[col('length_of_stay')]);
    assert.ok(Number.isInteger(stay) && stay >= 0);
    assert.ok(admitted >= Date.UTC(2022, 0, 1) && admitted <= Date.UTC(2024, 11, 31), r[col('admission_date')]);
    assert.equal((discharged - admitted) / 86_400_000, stay, r[col('patient_id')]);
  }
});

test('maternity admissions are women under 50', () => {
  const maternity = rows.filter((r) => r[col('admission_method')] === 'Maternity');
  assert.ok(maternity.length > 0);
  for (const r of maternity) {
    assert.equal(r[col('sex')], 'F');
    assert.ok(Number(r[col('age')]) < 50);
  }
});

test('hba1c is mostly missing, and present mainly for diabetes codes', () => {
  const missing = rows.filter((r) => r[col('hba1c')] === '').length / rows.length;
  assert.ok(missing >= 0.6 && missing <= 0.95, `hba1c missing rate ${missing}`);
  const diabetic = rows.filter((r) => r[col('diagnosis_code')].startsWith('E11.'));
  const present = diabetic.filter((r) => r[col('hba1c')] !== '').length / diabetic.length;
  assert.ok(present > 0.8, `hba1c present for ${present} of diabetics`);
});

test('free text exercises quoting; values are in range', () => {
  const notes = rows.map((r) => r[col('discharge_note')]);
  assert.ok(notes.some((n) => n.includes(',')));
  assert.ok(notes.some((n) => n.includes('"')));
  assert.ok(notes.some((n) => n === ''));
  for (const r of rows) {
    const age = Number(r[col('age')]);
    assert.ok(Number.isInteger(age) && age >= 18 && age <= 99);
    assert.ok(['F', 'M'].includes(r[col('sex')]));
    assert.ok(['Yes', 'No'].includes(r[col('died_in_hospital')]));
    const t = r[col('temperature')];
    assert.ok(t === '' || /^\d{2}\.\d$/.test(t), t);
  }
});
