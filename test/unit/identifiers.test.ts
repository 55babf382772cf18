import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/core/random';
import {
  detectIdentifier,
  isEmail,
  isPersonNameColumn,
  isSsnLike,
  isUkPhone,
  isUkPostcode,
  isUsPhone,
  isUuid,
  isValidNhsNumber,
  nameTokens,
  nhsCheckDigit,
  regenerateIdentifiers,
  regenerateIdentifiersAsync,
  type IdentifierDetectionInput,
} from '../../src/core/schema/identifiers';
import type { IdentifierInfo } from '../../src/core/schema/types';

// ------------------------------------------------------------------------------------------------
// Fixtures, generated here (tests must not read ../shared/datasets).

function digits(r: Random, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(r.int(10));
  return s;
}

function nhsNumbers(r: Random, n: number): string[] {
  const out = new Set<string>();
  while (out.size < n) {
    const first9 = String(4 + r.int(6)) + digits(r, 8);
    const check = nhsCheckDigit(first9);
    if (check === undefined) continue;
    const d = first9 + check;
    out.add(`${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`);
  }
  return [...out];
}

function uuid(r: Random): string {
  const h = Array.from({ length: 32 }, () => '0123456789abcdef'[r.int(16)]).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const FIRST = ['Alice', 'Lou', 'Lorine', 'Joesph', 'Marta', 'Ben', 'Kizzy', 'Tomas', 'Wendell', 'Sung', 'Ola', 'Deb'];
const LAST = ["O'Keefe", 'Gleason', 'Little', 'Hayes', 'Leannon', 'Smith-Jones', 'McCullough', 'Runolfsdottir'];
const DRUGS = [
  'Pneumococcal Vac Polyvalent',
  'Bisacodyl',
  'Senna',
  'Docusate Sodium',
  'Heparin',
  'Acetaminophen',
  'Insulin',
  'Metoprolol Tartrate',
  'Furosemide',
  'Potassium Chloride',
  'Magnesium Sulfate',
  'Pantoprazole',
  'Vancomycin',
  'Ondansetron',
  'Lorazepam',
];

/** Column summary as schema inference would compute it. */
function column(name: string, values: string[], extra: Partial<IdentifierDetectionInput> = {}): IdentifierDetectionInput {
  const distinct = new Set(values).size;
  const ints = values.every((v) => /^-?\d+$/.test(v));
  const nums = values.map(Number);
  const sortedByOne = ints && nums.every((x, i) => i === 0 || x === nums[i - 1] + 1);
  return {
    name,
    sample: values.slice(0, 1000),
    nonMissing: values.length,
    distinctCount: distinct,
    distinctExact: true,
    isIntegerColumn: ints && !values.some((v) => /^0\d/.test(v)),
    sortedAscendingByOne: sortedByOne,
    firstIntegerValue: ints ? nums[0] : undefined,
    ...extra,
  };
}

// ------------------------------------------------------------------------------------------------

describe('validators', () => {
  it('NHS numbers: mod-11 check digit, 3-3-4 grouping', () => {
    assert.equal(nhsCheckDigit('943476591'), 9);
    for (const good of ['943 476 5919', '9434765919', '943-476-5919', ' 943 476 5919 ']) {
      assert.equal(isValidNhsNumber(good), true, good);
    }
    for (const bad of ['9434765918', '943 476-5919', '943 4765919', '94347659190', '943476591', 'abcdefghij', '']) {
      assert.equal(isValidNhsNumber(bad), false, bad);
    }
    // A prefix whose check digit would be 10 has no valid NHS number at all.
    let prefix = 100000000;
    while (nhsCheckDigit(String(prefix)) !== undefined) prefix++;
    for (let d = 0; d <= 9; d++) assert.equal(isValidNhsNumber(`${prefix}${d}`), false);
  });

  it('emails', () => {
    for (const good of ['jane.doe@example.com', 'a+b@sub.example.co.uk', "o'brien_1@nhs.net", 'X@Y.ORG']) {
      assert.equal(isEmail(good), true, good);
    }
    for (const bad of ['jane@', '@example.com', 'jane doe@example.com', 'jane@example', 'jane..doe@example.com', 'jane@@example.com', 'plain text']) {
      assert.equal(isEmail(bad), false, bad);
    }
  });

  it('UK phone numbers', () => {
    const good = [
      '07700 900123',
      '07700900123',
      '07700-900-123',
      '+44 7700 900123',
      '+447700900123',
      '+44 (0)7700 900123',
      '0044 7700 900123',
      '020 7946 0123',
      '(020) 7946 0123',
      '(01632) 960123',
      '0113 496 0123',
      '0300 123 4567',
    ];
    for (const v of good) assert.equal(isUkPhone(v), true, v);
    const bad = [
      '07700 90012',
      '077009001234',
      '06700 900123',
      '07000 900123',
      '+44 07700 900123',
      '+1 555 123 4567',
      '555-123-4567',
      '12345 678901',
      '00006494300',
      '0(20) 7946 0123',
      '07700 900123 ext',
      '07700--900123',
      '0 7 7 0 0 9 0 0 1 2 3',
    ];
    for (const v of bad) assert.equal(isUkPhone(v), false, v);
  });

  it('US phone numbers', () => {
    for (const v of ['555-123-4567', '(555) 123-4567', '(555)123-4567', '+1 555-123-4567', '1-555-123-4567', '555.123.4567', '+15551234567']) {
      assert.equal(isUsPhone(v), true, v);
    }
    for (const v of ['5551234567', '155-123-4567', '555-1234-567', '555-123-45678', '555-123.4567', '999-49-3983', '07700 900123']) {
      assert.equal(isUsPhone(v), false, v);
    }
  });

  it('UK postcodes', () => {
    for (const v of ['SW1A 1AA', 'EC1A1BB', 'GIR 0AA', 'gir0aa', 'M1 1AE', 'B33 8TH', 'CR2 6XH', 'DN55 1PT', 'W1A 0AX', 'sw1a 1aa', 'ec1a1bb']) {
      assert.equal(isUkPostcode(v), true, v);
    }
    for (const v of ['SW1A 1AAA', 'Q1 1AA', 'SW1A 1CA', 'V1 1AA', '12345', 'ABC 123', 'SW1A-1AA', 'SW1A', 'SW1A  1AA', '']) {
      assert.equal(isUkPostcode(v), false, v);
    }
  });

  it('SSN-like and UUIDs', () => {
    assert.equal(isSsnLike('999-49-3983'), true);
    for (const v of ['999493983', '99-49-3983', '999-49-398a', '999 49 3983']) assert.equal(isSsnLike(v), false, v);
    for (const v of ['982192b6-6843-4011-ef46-32caaf87d8a9', '3C1C5636-2C43-BD4B-6EAB-9EABF5929C55', '00000000-0000-0000-0000-000000000000']) {
      assert.equal(isUuid(v), true, v);
    }
    for (const v of ['not-a-uuid', '982192b668434011ef4632caaf87d8a9', 'g82192b6-6843-4011-ef46-32caaf87d8a9', '982192b6-6843-4011-ef46-32caaf87d8a']) {
      assert.equal(isUuid(v), false, v);
    }
  });
});

describe('column names', () => {
  it('splits on separators and camelCase', () => {
    assert.deepEqual(nameTokens('drug_name_poe'), ['drug', 'name', 'poe']);
    assert.deepEqual(nameTokens('PatientID'), ['patient', 'id']);
    assert.deepEqual(nameTokens('firstName'), ['first', 'name']);
    assert.deepEqual(nameTokens('HADM_ID'), ['hadm', 'id']);
    assert.deepEqual(nameTokens('next-of-kin.name'), ['next', 'of', 'kin', 'name']);
  });

  it('recognises person-name columns but not <thing>_name', () => {
    for (const n of ['FIRST', 'LAST', 'MAIDEN', 'surname', 'Forename', 'name', 'full_name', 'fullname', 'FirstName', 'patient_name', 'next_of_kin_name', 'given_name', 'name_first', 'patient_last']) {
      assert.equal(isPersonNameColumn(nameTokens(n)), true, n);
    }
    for (const n of ['drug_name', 'drug_name_poe', 'drug_name_generic', 'file_name', 'hospital_name', 'name_of_test', 'first_visit_date', 'last_lab', 'drug_last', 'rename', '']) {
      assert.equal(isPersonNameColumn(nameTokens(n)), false, n);
    }
  });
});

describe('detectIdentifier', () => {
  it('finds NHS numbers by their check digits', () => {
    const info = detectIdentifier(column('nhs_no', nhsNumbers(new Random(1), 300)));
    assert.equal(info?.type, 'nhs-number');
    assert.equal(info?.direct, true);
    assert.equal(info?.handling, 'regenerate');
    assert.equal(info?.pattern, 'ddd ddd dddd');
    assert.match(info?.reason ?? '', /NHS numbers with a valid check digit/);
  });

  it('does not call random 10-digit numbers NHS numbers', () => {
    const r = new Random(2);
    const values = [...new Set(Array.from({ length: 400 }, () => String(1 + r.int(9)) + digits(r, 9)))];
    const info = detectIdentifier(column('account', values));
    assert.notEqual(info?.type, 'nhs-number');
    assert.notEqual(info?.direct, true);
    // They are still distinct fixed-width integers: a key.
    assert.equal(info?.type, 'unique-key');
  });

  it('finds Synthea-style person names by column name and values', () => {
    const r = new Random(3);
    const first = Array.from({ length: 200 }, () => FIRST[r.int(FIRST.length)] + String(1 + r.int(999)));
    const info = detectIdentifier(column('FIRST', first));
    assert.equal(info?.type, 'person-name');
    assert.equal(info?.direct, true);
    assert.equal(info?.handling, 'drop');
    assert.equal(info?.pattern, 'Name999');
    const full = Array.from({ length: 200 }, () => `${FIRST[r.int(FIRST.length)]} ${LAST[r.int(LAST.length)]}`);
    assert.equal(detectIdentifier(column('patient_name', full))?.type, 'person-name');
    // A name column whose values are codes is not a person's name.
    assert.equal(detectIdentifier(column('LAST', Array.from({ length: 50 }, (_, i) => `X-${i}-${i}`))), undefined);
    // Low cardinality (e.g. a handful of repeated values) is not flagged.
    const few = Array.from({ length: 500 }, () => FIRST[r.int(3)]);
    assert.equal(detectIdentifier(column('first', few)), undefined);
  });

  it('leaves drug names alone', () => {
    const r = new Random(4);
    const values = Array.from({ length: 600 }, () => DRUGS[r.int(DRUGS.length)]);
    assert.equal(detectIdentifier(column('drug_name', values)), undefined);
    assert.equal(detectIdentifier(column('drug_name_poe', values)), undefined);
    const unique = DRUGS.map((d, i) => `${d} ${i}`);
    assert.equal(detectIdentifier(column('hospital_name', unique)), undefined);
  });

  it('finds UUIDs, unique or repeated', () => {
    const r = new Random(5);
    const ids = Array.from({ length: 300 }, () => uuid(r));
    const info = detectIdentifier(column('Id', ids));
    assert.equal(info?.type, 'uuid');
    assert.equal(info?.direct, false);
    assert.equal(info?.handling, 'regenerate');
    const patients = Array.from({ length: 1000 }, () => ids[r.int(20)]);
    assert.equal(detectIdentifier(column('PATIENT', patients))?.type, 'uuid');
  });

  it('finds a row index', () => {
    const values = Array.from({ length: 250 }, (_, i) => String(i + 1));
    const info = detectIdentifier(column('', values));
    assert.equal(info?.type, 'row-index');
    assert.equal(info?.handling, 'drop');
    assert.equal(info?.pattern, '1..n');
    const zero = detectIdentifier(column('idx', values.map((v) => String(Number(v) - 1))));
    assert.equal(zero?.type, 'row-index');
    assert.equal(zero?.pattern, '0..n-1');
    // Starting elsewhere is a key, not a row number.
    const offset = detectIdentifier(column('row_id', values.map((v) => String(Number(v) + 32599))));
    assert.equal(offset?.type, 'unique-key');
  });

  it('finds unique integer keys', () => {
    const r = new Random(6);
    const keys = r.shuffle(Array.from({ length: 500 }, (_, i) => String(32600 + i)));
    const info = detectIdentifier(column('record', keys));
    assert.equal(info?.type, 'unique-key');
    assert.equal(info?.handling, 'regenerate');
    assert.equal(info?.length, 5);
    // An estimated distinct count within 1% also counts.
    const est = detectIdentifier(column('record', keys, { distinctExact: false, distinctCount: 496 }));
    assert.equal(est?.type, 'unique-key');
    // Too few rows to tell.
    assert.equal(detectIdentifier(column('record', keys.slice(0, 10))), undefined);
  });

  it('finds code-like unique tokens (driver licence numbers)', () => {
    const r = new Random(7);
    const values = [...new Set(Array.from({ length: 80 }, () => `S999${digits(r, 5)}`))];
    const info = detectIdentifier(column('DRIVERS', values));
    assert.equal(info?.type, 'unique-key');
    assert.equal(info?.pattern, 'Sdddddddd');
  });

  it('leaves repeated zero-padded codes (NDC-like) alone but finds zero-padded ids', () => {
    const r = new Random(8);
    const codes = Array.from({ length: 100 }, () => '00' + digits(r, 9));
    const ndc = Array.from({ length: 1500 }, () => codes[r.int(codes.length)]);
    assert.equal(detectIdentifier(column('ndc', ndc)), undefined);
    const ptid = Array.from({ length: 400 }, (_, i) => String(5 + i * 3).padStart(5, '0'));
    const info = detectIdentifier(column('ptid', ptid));
    assert.equal(info?.type, 'zero-padded');
    assert.equal(info?.length, 5);
    assert.equal(info?.handling, 'regenerate');
    // A zip column with one leading zero is not an id.
    const zips = Array.from({ length: 111 }, (_, i) => (i === 3 ? '00000' : String(68000 + r.int(900))));
    assert.equal(detectIdentifier(column('ZIP', zips)), undefined);
  });

  it('does not flag all-distinct measurements or free text', () => {
    const r = new Random(9);
    const lab = Array.from({ length: 500 }, () => (r.normal() * 20 + 100).toFixed(6));
    assert.equal(new Set(lab).size, 500);
    assert.equal(detectIdentifier(column('creatinine', lab)), undefined);
    // Distinct integer costs of varying width, spread thinly over their range.
    const costs = [...new Set(Array.from({ length: 300 }, () => String(Math.round(Math.exp(7 + 2 * r.next() * 3)))))];
    assert.equal(detectIdentifier(column('charges', costs)), undefined);
    const words = ['pain', 'settled', 'overnight', 'review', 'bloods', 'tomorrow', 'patient', 'comfortable', 'plan', 'discharge'];
    const notes = Array.from({ length: 300 }, (_, i) => {
      const n = 6 + r.int(10);
      return Array.from({ length: n }, () => words[r.int(words.length)]).join(' ') + ` (${i})`;
    });
    assert.equal(detectIdentifier(column('notes', notes)), undefined);
    assert.equal(detectIdentifier(column('note_id_text', notes)), undefined);
    const dates = Array.from({ length: 300 }, (_, i) => new Date(Date.UTC(2020, 0, 1) + i * 86400000).toISOString());
    assert.equal(detectIdentifier(column('START', dates)), undefined);
    assert.equal(detectIdentifier(column('x', [], { nonMissing: 0, distinctCount: 0 })), undefined);
  });

  it('finds id-named columns that repeat', () => {
    const r = new Random(10);
    const subjects = Array.from({ length: 94 }, () => String(10000 + r.int(90000)));
    const values = Array.from({ length: 2000 }, () => subjects[r.int(subjects.length)]);
    for (const name of ['subject_id', 'hadm_id', 'patientId', 'PatientID', 'mrn']) {
      const info = detectIdentifier(column(name, values));
      assert.equal(info?.type, 'unique-key', name);
      assert.equal(info?.reason, 'the column name says identifier');
    }
    // A few lookup codes (ward_id with 6 wards) stay categorical; `paid` is not an id.
    const wards = Array.from({ length: 2000 }, () => String(1 + r.int(6)));
    assert.equal(detectIdentifier(column('ward_id', wards)), undefined);
    assert.equal(detectIdentifier(column('paid', values)), undefined);
    // Strong names need no cardinality.
    const few = Array.from({ length: 200 }, () => String(42458 + r.int(3)));
    assert.equal(detectIdentifier(column('subject_id', few))?.type, 'unique-key');
  });

  it('finds emails, phones, postcodes and SSNs by value', () => {
    const r = new Random(11);
    const emails = Array.from({ length: 200 }, (_, i) => `${FIRST[r.int(FIRST.length)].toLowerCase()}.${LAST[r.int(LAST.length)].toLowerCase().replace(/[^a-z]/g, '')}${i}@hospital.nhs.uk`);
    const e = detectIdentifier(column('contact', emails));
    assert.equal(e?.type, 'email');
    assert.equal(e?.direct, true);
    assert.equal(e?.pattern, 'name.name99@example.org');

    const uk = Array.from({ length: 200 }, () => `07${1 + r.int(9)}${digits(r, 2)} ${digits(r, 6)}`);
    const p = detectIdentifier(column('mobile', uk));
    assert.equal(p?.type, 'phone');
    assert.equal(p?.pattern, '07ddd dddddd');
    assert.match(p?.reason ?? '', /UK telephone/);

    const us = Array.from({ length: 200 }, () => `(${2 + r.int(8)}${digits(r, 2)}) ${digits(r, 3)}-${digits(r, 4)}`);
    const q = detectIdentifier(column('phone', us));
    assert.equal(q?.type, 'phone');
    assert.equal(q?.pattern, '(ddd) ddd-dddd');

    const pcs = ['SW1A 1AA', 'EC1A 1BB', 'M1 1AE', 'B33 8TH', 'CR2 6XH', 'DN55 1PT', 'W1A 0AX', 'LS1 4AP', 'G2 1DU', 'NE1 7RU'];
    const postcodes = Array.from({ length: 300 }, (_, i) => (i % 25 === 0 ? 'unknown' : pcs[r.int(pcs.length)].replace('1', String(1 + r.int(9)))));
    const pc = detectIdentifier(column('postcode', postcodes));
    assert.equal(pc?.type, 'postcode');
    assert.equal(pc?.direct, true);

    // The postcodes of three hospital sites are not personal.
    const sites = Array.from({ length: 3000 }, () => pcs[r.int(3)]);
    assert.equal(detectIdentifier(column('site_postcode', sites)), undefined);

    const ssn = Array.from({ length: 111 }, () => `999-${digits(r, 2)}-${digits(r, 4)}`);
    const s = detectIdentifier(column('SSN', ssn));
    assert.equal(s?.type, 'ssn');
    assert.equal(s?.pattern, 'ddd-dd-dddd');
  });
});

describe('regenerateIdentifiers', () => {
  function check(
    info: IdentifierInfo,
    sample: string[],
    valid: (v: string) => boolean,
    opts: { unique: boolean; count?: number; normalise?: (v: string) => string },
  ): string[] {
    const count = opts.count ?? 500;
    const norm = opts.normalise ?? ((v: string) => v);
    const a = regenerateIdentifiers(info, count, new Random(42), { sample });
    const b = regenerateIdentifiers(info, count, new Random(42), { sample });
    const c = regenerateIdentifiers(info, count, new Random(43), { sample });
    assert.equal(a.length, count);
    assert.deepEqual(a, b, 'deterministic for a seed');
    assert.notDeepEqual(a, c, 'differs across seeds');
    const seen = new Set(sample.map(norm));
    for (const v of a) {
      assert.equal(valid(v), true, `${info.type}: ${v}`);
      assert.equal(seen.has(norm(v)), false, `${info.type}: ${v} copies a sample value`);
    }
    if (opts.unique) assert.equal(new Set(a.map(norm)).size, count, `${info.type} values are unique`);
    return a;
  }

  it('NHS numbers: valid, unique, fictitious 999 range, same grouping', () => {
    const sample = nhsNumbers(new Random(1), 300);
    const info = detectIdentifier(column('nhs', sample))!;
    const out = check(info, sample, isValidNhsNumber, { unique: true, normalise: (v) => v.replace(/\D/g, '') });
    for (const v of out) assert.match(v, /^999 \d{3} \d{4}$/);
    const compact = regenerateIdentifiers({ ...info, pattern: 'dddddddddd' }, 50, new Random(1));
    for (const v of compact) assert.match(v, /^\d{10}$/);
  });

  it('SSNs with a 9xx area', () => {
    const r = new Random(2);
    const sample = Array.from({ length: 111 }, () => `999-${digits(r, 2)}-${digits(r, 4)}`);
    const info = detectIdentifier(column('SSN', sample))!;
    const out = check(info, sample, isSsnLike, { unique: true });
    for (const v of out) assert.match(v, /^9\d\d-(?!00)\d\d-(?!0000)\d{4}$/);
  });

  it('emails on reserved domains in the sample style', () => {
    const sample = Array.from({ length: 100 }, (_, i) => `${FIRST[i % FIRST.length].toLowerCase()}.smith${i}@gmail.com`);
    const info = detectIdentifier(column('email', sample))!;
    assert.equal(info.pattern, 'name.name99@example.com');
    const out = check(info, sample, isEmail, { unique: true, normalise: (v) => v.toLowerCase() });
    for (const v of out) assert.match(v, /^[a-z]+\.[a-z]+\d+@example\.com$/);
    // A pattern edited to a real domain still yields a reserved one.
    const edited = regenerateIdentifiers({ ...info, pattern: 'name@nhs.net' }, 20, new Random(3));
    for (const v of edited) assert.match(v, /@example\.com$/);
  });

  it('UK phones in the drama ranges, in the sample format', () => {
    const r = new Random(4);
    const mobiles = Array.from({ length: 200 }, () => `+44 (0)7${1 + r.int(9)}${digits(r, 2)} ${digits(r, 6)}`);
    const info = detectIdentifier(column('tel', mobiles))!;
    assert.equal(info.pattern, '+44 (0)7ddd dddddd');
    const out = check(info, mobiles, isUkPhone, { unique: true, normalise: (v) => v.replace(/\D/g, '') });
    for (const v of out) assert.match(v, /^\+44 \(0\)7700 900\d{3}$/);
    const london = Array.from({ length: 200 }, () => `020 ${digits(r, 4)} ${digits(r, 4)}`);
    const li = detectIdentifier(column('tel', london))!;
    for (const v of check(li, london, isUkPhone, { unique: true, normalise: (v) => v.replace(/\D/g, '') })) {
      assert.match(v, /^020 7946 0\d{3}$/);
    }
    const landline = ['(01632) 960001', '(01234) 567890', '(01865) 123456'];
    const ll = regenerateIdentifiers({ type: 'phone', direct: true, handling: 'regenerate', reason: '' }, 20, new Random(5), { sample: landline });
    for (const v of ll) assert.match(v, /^\(01632\) 960\d{3}$/);
    // More numbers than the 1000-number range still gives the count asked for.
    assert.equal(regenerateIdentifiers(info, 2500, new Random(6)).length, 2500);
  });

  it('US phones in 555-01xx', () => {
    const r = new Random(7);
    const sample = Array.from({ length: 200 }, () => `555-${digits(r, 3)}-${digits(r, 4)}`);
    sample[0] = '555-123-4567';
    const info = detectIdentifier(column('phone', sample))!;
    assert.equal(info.pattern, 'ddd-ddd-dddd');
    const out = check(info, sample, isUsPhone, { unique: true });
    for (const v of out) assert.match(v, /^[2-9]\d\d-555-01\d\d$/);
  });

  it('UK postcodes in the same spacing and case', () => {
    const sample = ['sw1a1aa', 'ec1a1bb', 'm11ae', 'b338th', 'cr26xh', 'dn551pt', 'w1a0ax', 'ls14ap'];
    const info = detectIdentifier(column('pc', sample))!;
    assert.equal(info.type, 'postcode');
    const out = check(info, sample, isUkPostcode, { unique: false, normalise: (v) => v.toUpperCase() });
    for (const v of out) {
      assert.doesNotMatch(v, /[\sA-Z]/);
    }
    const spaced = regenerateIdentifiers({ ...info, pattern: 'AA9 9AA' }, 100, new Random(1));
    for (const v of spaced) {
      assert.equal(isUkPostcode(v), true, v);
      assert.match(v, /^[A-Z0-9]+ [0-9][A-Z]{2}$/);
    }
  });

  it('UUIDs, v4-shaped and unique', () => {
    const r = new Random(8);
    const sample = Array.from({ length: 100 }, () => uuid(r).toUpperCase());
    const info = detectIdentifier(column('Id', sample))!;
    const out = check(info, sample, isUuid, { unique: true, normalise: (v) => v.toLowerCase() });
    for (const v of out) assert.match(v, /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
  });

  it('row index counts from the observed start', () => {
    const info = detectIdentifier(column('', ['0', '1', '2', '3']))!;
    assert.deepEqual(regenerateIdentifiers(info, 5, new Random(1)), ['0', '1', '2', '3', '4']);
    const one = detectIdentifier(column('', ['1', '2', '3', '4']))!;
    assert.deepEqual(regenerateIdentifiers(one, 3, new Random(1)), ['1', '2', '3']);
  });

  it('zero-padded ids keep their width and stay unique', () => {
    const sample = Array.from({ length: 400 }, (_, i) => String(5 + i * 3).padStart(5, '0'));
    const info = detectIdentifier(column('ptid', sample))!;
    check(info, sample, (v) => /^\d{5}$/.test(v), { unique: true, count: 2000 });
    // More values than the width allows: widen rather than repeat.
    const many = regenerateIdentifiers({ ...info, length: 4, pattern: 'dddd' }, 20000, new Random(2));
    assert.equal(new Set(many).size, 20000);
  });

  it('unique keys keep their shape', () => {
    const r = new Random(9);
    const ints = r.shuffle(Array.from({ length: 500 }, (_, i) => String(32600 + i)));
    const info = detectIdentifier(column('row_id', ints))!;
    check(info, ints, (v) => /^[1-9]\d{4}$/.test(v), { unique: true });
    const drivers = [...new Set(Array.from({ length: 80 }, () => `S999${digits(r, 5)}`))];
    const di = detectIdentifier(column('DRIVERS', drivers))!;
    check(di, drivers, (v) => /^S\d{8}$/.test(v), { unique: true });
    // No pattern, no sample: a width.
    const bare = regenerateIdentifiers({ type: 'unique-key', direct: false, handling: 'regenerate', length: 6, reason: '' }, 100, new Random(1));
    for (const v of bare) assert.match(v, /^[1-9]\d{5}$/);
    assert.equal(new Set(bare).size, 100);
  });

  it('person names in the sample style, never a sampled name', () => {
    const r = new Random(10);
    const sample = Array.from({ length: 200 }, () => FIRST[r.int(FIRST.length)] + String(1 + r.int(999)));
    const info = detectIdentifier(column('FIRST', sample))!;
    check(info, sample, (v) => /^[A-Z][a-z]+\d{1,3}$/.test(v), { unique: false });
    const upper = regenerateIdentifiers({ ...info, pattern: 'NAME NAME' }, 20, new Random(1));
    for (const v of upper) assert.match(v, /^[A-Z]+ [A-Z]+$/);
  });
  it('the asynchronous form gives the same values for a seed, and stops when cancelled', async () => {
    const types: IdentifierInfo[] = [
      { type: 'uuid', direct: false, handling: 'regenerate', pattern: 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx', reason: '' },
      { type: 'nhs-number', direct: true, handling: 'regenerate', pattern: 'ddd ddd dddd', reason: '' },
      { type: 'ssn', direct: true, handling: 'regenerate', pattern: 'ddd-dd-dddd', reason: '' },
      { type: 'email', direct: true, handling: 'regenerate', pattern: 'name.name@example.com', reason: '' },
      { type: 'phone', direct: true, handling: 'regenerate', pattern: '07ddd dddddd', reason: '' },
      { type: 'phone', direct: true, handling: 'regenerate', pattern: 'ddd-ddd-dddd', reason: '' },
      { type: 'postcode', direct: true, handling: 'regenerate', pattern: 'AA9 9AA', reason: '' },
      { type: 'person-name', direct: true, handling: 'drop', pattern: 'Name Name', reason: '' },
      { type: 'zero-padded', direct: false, handling: 'regenerate', pattern: 'dddddd', length: 6, reason: '' },
      { type: 'unique-key', direct: false, handling: 'regenerate', pattern: 'Pddddd', reason: '' },
    ];
    // More values than one pause's worth, and a key format that must widen to hold them.
    for (const info of types) {
      const count = info.type === 'unique-key' ? 60_000 : 10_000;
      const sync = regenerateIdentifiers(info, count, new Random(9), { sample: ['P12345'] });
      assert.deepEqual(await regenerateIdentifiersAsync(info, count, new Random(9), { sample: ['P12345'] }), sync, `${info.type} ${info.pattern}`);
    }
    const controller = new AbortController();
    let turns = 0;
    const timer = setInterval(() => {
      if (++turns === 2) controller.abort(new Error('stopped'));
    }, 1);
    // Five million UUIDs would take half a minute: the timer's abort must stop them early.
    await assert.rejects(regenerateIdentifiersAsync(types[0], 5_000_000, new Random(1), undefined, controller.signal), /stopped/);
    clearInterval(timer);
    assert.ok(turns >= 2, 'timers ran while values were drawn');
  });

});
