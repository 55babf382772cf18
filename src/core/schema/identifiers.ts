/**
 * Identifier and direct-identifier (PII) detection, and regeneration of such values in the same
 * format without learning from them.
 *
 * Detection looks at a column's name, a reservoir sample of its trimmed non-missing values and a
 * few counts. It is deliberately conservative: a column wrongly flagged as an identifier is
 * regenerated or dropped, so its information is lost; a column wrongly left alone still goes
 * through the differentially private model. Addresses are not handled here (they have no
 * identifier type; inference calls them free text).
 *
 * Regeneration produces fresh values that only share the sample's shape (lengths, separators,
 * case). It never copies a sample value and draws from ranges reserved for fiction where one
 * exists: NHS numbers starting 999, Ofcom drama telephone numbers, US 555-01xx numbers, SSNs
 * with a 9xx area, example.com/example.org/example.net email domains.
 *
 * Meaning of `IdentifierInfo.pattern`, by type:
 * - nhs-number, ssn, zero-padded, unique-key: `d` a digit, `A` an upper-case letter, `a` a
 *   lower-case letter, anything else literal (`ddd ddd dddd`, `ddd-dd-dddd`, `S dddddddd`).
 * - phone: `d` a digit; UK patterns keep the international/trunk prefix and the first national
 *   digit literal (`07ddd dddddd`, `+44 (0)7ddd dddddd`); US patterns keep a `+1` literal.
 * - postcode: `A` a letter, `9` a digit, in the case of the sample (`AA9 9AA`, `a9a9aa`).
 * - email: `name.name99@example.com`: word case (`name`/`Name`), separator, digit suffix, domain.
 * - person-name: words `Name`/`NAME`/`name` separated by spaces, `999` for a digit suffix.
 * - uuid: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, upper-case `X` for upper-case hex.
 * - row-index: `1..n` or `0..n-1`.
 */
import type { Random } from '../random';
import type { IdentifierInfo } from './types';
import { yieldToEventLoop } from '../event-loop';

// ---------------------------------------------------------------------------------------------
// Value validators

const NHS_RE = /^(\d{3})([ -]?)(\d{3})\2(\d{4})$/;

/** The NHS number check digit for the first nine digits, or undefined when none exists (10). */
export function nhsCheckDigit(first9: string): number | undefined {
  if (!/^\d{9}$/.test(first9)) return undefined;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (first9.charCodeAt(i) - 48) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return undefined;
  return check;
}

/** Ten digits, optionally grouped 3-3-4 by spaces or dashes, with a valid mod-11 check digit. */
export function isValidNhsNumber(s: string): boolean {
  const m = NHS_RE.exec(s.trim());
  if (!m) return false;
  const digits = m[1] + m[3] + m[4];
  return nhsCheckDigit(digits.slice(0, 9)) === digits.charCodeAt(9) - 48;
}

const EMAIL_RE =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$/;

export function isEmail(s: string): boolean {
  const t = s.trim();
  return t.length <= 254 && EMAIL_RE.test(t);
}

/**
 * UK telephone numbers: national `0` + 10 digits where the first national digit is 1 or 2
 * (geographic), 3 (non-geographic) or 7 followed by 1-9 (mobiles), or the same after `+44` /
 * `0044`, optionally with `(0)`. Spaces and single dashes may separate groups (at most four
 * separators); one pair of brackets may hold the area code (`(01632) 960123`) or the `(0)`.
 */
export function isUkPhone(s: string): boolean {
  const t = s.trim();
  if (t.length < 11 || t.length > 22) return false;
  if (!/^[+(\d][\d\s()-]*\d$/.test(t) || /\+/.test(t.slice(1))) return false;
  if (/[\s-]{2,}/.test(t)) return false;
  if ((t.match(/[\s-]+/g) ?? []).length > 4) return false;
  const compact = t.replace(/[\s-]/g, '');
  let national: string | undefined;
  const patterns = [/^\+44\(0\)(\d{10})$/, /^\+44(\d{10})$/, /^0044\(0\)(\d{10})$/, /^0044(\d{10})$/, /^0(\d{10})$/];
  for (const re of patterns) {
    const m = re.exec(compact);
    if (m) {
      national = m[1];
      break;
    }
  }
  if (national === undefined) {
    const m = /^\(0(\d{2,4})\)(\d+)$/.exec(compact);
    if (m && m[1].length + m[2].length === 10) national = m[1] + m[2];
  }
  if (national === undefined) return false;
  return /^(?:[123]\d|7[1-9])\d{8}$/.test(national);
}

const US_PHONE_RES = [
  /^(?:\+?1[ .-]?)?\([2-9]\d{2}\) ?\d{3}[ .-]\d{4}$/,
  /^(?:\+?1[ .-]?)?[2-9]\d{2}([ .-])\d{3}\1\d{4}$/,
  /^\+1[2-9]\d{9}$/,
];

/** US (NANP) numbers written with separators: `555-123-4567`, `(555) 123-4567`, `+1 555.123.4567`. */
export function isUsPhone(s: string): boolean {
  const t = s.trim();
  return US_PHONE_RES.some((re) => re.test(t));
}

const UK_POSTCODE_RE =
  /^(?:GIR ?0AA|[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d|[A-HK-Y]\d[\dABEHMNPRV-Y]|\d[A-HJKPSTUW]) ?\d[ABD-HJLNP-UW-Z]{2})$/i;

/** A full UK postcode (outward and inward code), with or without the space; any case. */
export function isUkPostcode(s: string): boolean {
  return UK_POSTCODE_RE.test(s.trim());
}

/** `ddd-dd-dddd`, the way US social security numbers are written. */
export function isSsnLike(s: string): boolean {
  return /^\d{3}-\d{2}-\d{4}$/.test(s.trim());
}

/** 8-4-4-4-12 hexadecimal, any version or variant, any case. */
export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s.trim());
}

// ---------------------------------------------------------------------------------------------
// Detection

export interface IdentifierDetectionInput {
  name: string;
  /** Reservoir sample (up to ~1000) of trimmed non-missing values. */
  sample: string[];
  nonMissing: number;
  /** Distinct non-missing values; a lower bound when `distinctExact` is false. */
  distinctCount: number;
  distinctExact: boolean;
  isIntegerColumn: boolean;
  /** Every value is a number with a fraction in the column's own format (`12,5`, `$12.34`): a measurement. */
  isDecimalColumn?: boolean;
  /** Every value is the previous one plus one, in file order. */
  sortedAscendingByOne?: boolean;
  firstIntegerValue?: number;
  /** Missing values in the column. */
  missing?: number;
}

/** Share of the sample that must match for a direct identifier found by its values. */
const DIRECT_SHARE = 0.9;
/** Share of the sample that must be UUIDs / same-width digit strings. */
const SHAPE_SHARE = 0.95;

/** Lower-case words of a column name, split on `_ - .`, spaces and camelCase. */
export function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_.-]+/)
    .map((t) => t.toLowerCase())
    .filter((t) => t.length > 0);
}

/**
 * Classify a column as an identifier, or return undefined. Rules, first match wins:
 *
 * 1. Row index: an integer column whose values are all distinct, go up by one in file order and
 *    start at 0 or 1 (at least 3 values). Dropped.
 * 2. UUID: >= 95% of the sample is 8-4-4-4-12 hex. Regenerated even when values repeat (a
 *    patient foreign key repeated over encounters is still an identifier).
 * 3. Direct identifiers by value, >= 90% of the sample matching: NHS numbers with a valid check
 *    digit (a random 10-digit number passes about 1 time in 11; at least 5 sampled values unless
 *    the name says `nhs`), SSN-like `ddd-dd-dddd`, email addresses, UK or US telephone numbers,
 *    UK postcodes. Emails, phones and postcodes with very few distinct values (<= 10 and < 5% of
 *    the rows) are left alone: that is a handful of sites or departments, not people.
 *    Regenerated.
 * 4. Person names by column name (see `isPersonNameColumn`), when >= 90% of values look like
 *    names (letters, apostrophes, hyphens, dots, spaces, optionally a digit suffix as in
 *    Synthea's `Alice368`) and cardinality is high (distinct >= 20% of values or >= 50). Dropped.
 * 5. Zero-padded ids: >= 95% of the sample are digit strings of one width >= 4, at least 5% of
 *    them start with 0, distinct >= 50% of values, and the name is not a geographic code (zip,
 *    postal, fips, county, ...). Regenerated with the same width.
 * 6. Unique keys: every value distinct (exactly, or the estimate within 1%), >= 20 values, not
 *    free text (<= 5% contain whitespace, mean length <= 40), not decimal numbers, and one of:
 *    the name ends in a key word (`id`, `key`, `number`, `no`, `num`, `nbr`); an integer column
 *    whose values are dense (count >= half the sampled range, as sequential keys are) or of one
 *    width >= 6 (random ids; all-distinct measurements such as costs vary in width); or short
 *    tokens in a non-integer column (4-32 characters, >= 90% containing a digit, not dates or
 *    times, >= 90% within one character of the median length). Regenerated.
 * 7. Id-named columns that repeat (foreign keys such as `subject_id`, `hadm_id`, Synthea's
 *    `PATIENT`): the name is one of the well-known ones (`ptid`, `mrn`, `row_id`, `subject_id`,
 *    `hadm_id`, `icustay_id`, `patient_id`, `encounter`, `patient`, ...), or ends in the word `id`
 *    (`_id`, `Id`, `ID`, or is `id`) and has distinct >= 50, or >= 10 and >= 20% of values.
 *    Values must be integers or code-like tokens. Type unique-key, regenerated.
 */
export function detectIdentifier(input: IdentifierDetectionInput): IdentifierInfo | undefined {
  const sample = input.sample.map((v) => v.trim()).filter((v) => v !== '');
  if (sample.length === 0 || input.nonMissing <= 0) return undefined;
  const tokens = nameTokens(input.name);
  const n = sample.length;
  const share = (pred: (v: string) => boolean): number => sample.filter(pred).length / n;
  const pct = (f: number): string => `${Math.floor(f * 100)}%`;
  const allDistinct = input.distinctExact
    ? input.distinctCount === input.nonMissing
    : input.distinctCount >= 0.99 * input.nonMissing;

  // 1. Row index.
  if (
    input.isIntegerColumn &&
    // Counting up by one with no gaps makes every value distinct, even past the exact-count cap.
    input.nonMissing >= 3 &&
    input.sortedAscendingByOne === true &&
    (input.firstIntegerValue === 0 || input.firstIntegerValue === 1)
  ) {
    return {
      type: 'row-index',
      direct: false,
      handling: 'drop',
      pattern: input.firstIntegerValue === 0 ? '0..n-1' : '1..n',
      reason: `values count up by one from ${input.firstIntegerValue}: a row number`,
    };
  }

  // 2. UUIDs.
  const uuidShare = share(isUuid);
  if (uuidShare >= SHAPE_SHARE) {
    const upper = sample.filter((v) => /[A-F]/.test(v)).length > sample.filter((v) => /[a-f]/.test(v)).length;
    return {
      type: 'uuid',
      direct: false,
      handling: 'regenerate',
      pattern: upper ? 'XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX' : 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx',
      length: 36,
      reason: `${pct(uuidShare)} of values are UUIDs`,
    };
  }

  // 3. Direct identifiers by value.
  const fewDistinct = input.distinctCount <= 10 && input.distinctCount < 0.05 * input.nonMissing;
  const nhsShare = share(isValidNhsNumber);
  if (nhsShare >= DIRECT_SHARE && (n >= 5 || tokens.includes('nhs'))) {
    return {
      type: 'nhs-number',
      direct: true,
      handling: 'regenerate',
      pattern: mostCommon(sample.filter(isValidNhsNumber).map(digitShape)) ?? 'ddd ddd dddd',
      length: 10,
      reason: `${pct(nhsShare)} of values are NHS numbers with a valid check digit`,
    };
  }
  const ssnShare = share(isSsnLike);
  if (ssnShare >= DIRECT_SHARE) {
    return {
      type: 'ssn',
      direct: true,
      handling: 'regenerate',
      pattern: 'ddd-dd-dddd',
      length: 11,
      reason: `${pct(ssnShare)} of values look like US social security numbers (ddd-dd-dddd)`,
    };
  }
  if (!fewDistinct) {
    const emailShare = share(isEmail);
    if (emailShare >= DIRECT_SHARE) {
      return {
        type: 'email',
        direct: true,
        handling: 'regenerate',
        pattern: emailPattern(sample.filter(isEmail)),
        reason: `${pct(emailShare)} of values are email addresses`,
      };
    }
    const ukShare = share(isUkPhone);
    const usShare = share(isUsPhone);
    if (share((v) => isUkPhone(v) || isUsPhone(v)) >= DIRECT_SHARE) {
      const uk = ukShare >= usShare;
      const pattern = uk
        ? mostCommon(sample.filter(isUkPhone).map(ukPhoneShape))
        : mostCommon(sample.filter(isUsPhone).map(usPhoneShape));
      return {
        type: 'phone',
        direct: true,
        handling: 'regenerate',
        pattern: pattern ?? (uk ? '07ddd dddddd' : 'ddd-ddd-dddd'),
        reason: `${pct(uk ? ukShare : usShare)} of values are ${uk ? 'UK' : 'US'} telephone numbers`,
      };
    }
    const postcodeShare = share(isUkPostcode);
    if (postcodeShare >= DIRECT_SHARE) {
      return {
        type: 'postcode',
        direct: true,
        handling: 'regenerate',
        pattern: postcodePattern(sample.filter(isUkPostcode)),
        reason: `${pct(postcodeShare)} of values are full UK postcodes`,
      };
    }
  }

  // 4. Person names.
  if (isPersonNameColumn(tokens)) {
    const nameShare = share(isNameLike);
    const meanLength = sample.reduce((s, v) => s + v.length, 0) / n;
    const highCardinality = input.distinctCount >= 0.2 * input.nonMissing || input.distinctCount >= 50;
    if (nameShare >= DIRECT_SHARE && highCardinality && meanLength >= 2) {
      return {
        type: 'person-name',
        direct: true,
        handling: 'drop',
        pattern: personNamePattern(sample.filter(isNameLike)),
        reason: `the column name suggests a person's name and ${pct(nameShare)} of values look like names`,
      };
    }
  }

  const digitsOnly = sample.filter((v) => /^\d+$/.test(v));
  const freeText = share((v) => /\s/.test(v)) > 0.05 || sample.reduce((s, v) => s + v.length, 0) / n > 40;
  const decimals = input.isDecimalColumn || share((v) => /^[+-]?(?:\d+\.\d*|\.\d+|\d+(?:\.\d*)?[eE][+-]?\d+)$/.test(v)) > 0.5;

  // 5. Zero-padded ids.
  if (digitsOnly.length >= SHAPE_SHARE * n && !tokens.some((t) => GEOGRAPHIC_WORDS.has(t))) {
    const width = Number(mostCommon(digitsOnly.map((v) => String(v.length))));
    const sameWidth = digitsOnly.filter((v) => v.length === width).length;
    const leadingZeros = digitsOnly.filter((v) => v.length === width && v[0] === '0').length;
    if (
      width >= 4 &&
      sameWidth >= SHAPE_SHARE * n &&
      leadingZeros >= Math.max(1, 0.05 * n) &&
      input.distinctCount >= 0.5 * input.nonMissing
    ) {
      return {
        type: 'zero-padded',
        direct: false,
        handling: 'regenerate',
        pattern: 'd'.repeat(width),
        length: width,
        reason: `${pct(sameWidth / n)} of values are ${width}-digit strings padded with leading zeros, mostly distinct`,
      };
    }
  }

  // 6. Unique keys.
  if (allDistinct && input.nonMissing >= 20 && !freeText && !decimals) {
    let why: string | undefined;
    if (KEY_WORDS.has(tokens[tokens.length - 1] ?? '')) why = 'every value is distinct and the column name says key';
    // A key column is filled in on every row; gaps suggest a measurement that happens to differ.
    else if (input.isIntegerColumn && !input.missing && integerKeyLike(sample, input.nonMissing)) why = 'every value is a distinct integer key';
    else if (!input.isIntegerColumn && codeTokenLike(sample)) why = 'every value is a distinct code-like token';
    if (why) return keyInfo(sample, why);
  }

  // 7. Id-named columns, repeating or not.
  const joined = tokens.join('_');
  const strongName = STRONG_ID_NAMES.has(joined) || tokens[tokens.length - 1] === 'mrn';
  const idName = tokens[tokens.length - 1] === 'id';
  if ((strongName || idName) && !freeText && !decimals) {
    const integerValues = input.isIntegerColumn || digitsOnly.length >= SHAPE_SHARE * n;
    const valuesOk = integerValues || codeTokenShare(sample) >= SHAPE_SHARE;
    const enough =
      strongName ||
      input.distinctCount >= 50 ||
      (input.distinctCount >= 10 && input.distinctCount >= 0.2 * input.nonMissing);
    if (valuesOk && enough) return keyInfo(sample, 'the column name says identifier');
  }
  return undefined;
}

/** Name words that qualify `name` as a person's (`patient_name`, `next_of_kin_name`). */
const NAME_OWNERS = new Set([
  'patient',
  'pt',
  'person',
  'first',
  'last',
  'full',
  'given',
  'family',
  'maiden',
  'middle',
  'user',
  'customer',
  'member',
  'doctor',
  'nurse',
  'clinician',
  'contact',
  'kin',
  'mother',
  'father',
  'parent',
  'guardian',
]);
/** Words that on their own name a part of a person's name. */
const NAME_PARTS = new Set(['first', 'last', 'given', 'family', 'maiden', 'middle', 'surname', 'forename', 'forenames']);
/** Words that always mean a person's name. */
const PERSON_WORDS = new Set([
  'surname',
  'forename',
  'forenames',
  'firstname',
  'lastname',
  'fullname',
  'givenname',
  'familyname',
  'maidenname',
  'middlename',
  'patientname',
  'fname',
  'lname',
]);

/**
 * Whether a column name (as `nameTokens`) names a person's name: it contains a word like
 * `surname`, `firstname`, `fullname`; or is `name` alone; or has `name` preceded by a person
 * word (`patient_name`, `full_name`, `FirstName`) or followed by a name part (`name_first`); or
 * ends in a name part (`first`, `last`, `maiden`, `surname`) preceded only by person words
 * (`FIRST`, `patient_last`). `drug_name`, `drug_name_poe`, `file_name`, `hospital_name` and
 * `name_of_test` are not person names.
 */
export function isPersonNameColumn(tokens: string[]): boolean {
  if (tokens.length === 0) return false;
  if (tokens.some((t) => PERSON_WORDS.has(t))) return true;
  if (tokens.length === 1 && tokens[0] === 'name') return true;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] !== 'name') continue;
    if (i > 0 && NAME_OWNERS.has(tokens[i - 1])) return true;
    if (i === 0 && tokens.length > 1 && NAME_PARTS.has(tokens[1])) return true;
  }
  const last = tokens[tokens.length - 1];
  return NAME_PARTS.has(last) && tokens.slice(0, -1).every((t) => NAME_OWNERS.has(t));
}

function isNameLike(v: string): boolean {
  return v.length <= 80 && /^\p{L}[\p{L}\p{M}'’ .,-]*?\d*$/u.test(v) && !/[ .,'’-]{2,}/.test(v);
}

const KEY_WORDS = new Set(['id', 'key', 'number', 'no', 'num', 'nbr']);
const STRONG_ID_NAMES = new Set([
  'ptid',
  'pid',
  'mrn',
  'row_id',
  'subject_id',
  'hadm_id',
  'icustay_id',
  'stay_id',
  'patient_id',
  'person_id',
  'encounter_id',
  'admission_id',
  'episode_id',
  'visit_id',
  'encounter',
  'patient',
]);
const GEOGRAPHIC_WORDS = new Set(['zip', 'zipcode', 'postal', 'postcode', 'fips', 'county', 'state', 'region', 'district']);

const DATE_OR_TIME_RE = /^(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}:\d{2})/;

function isCodeToken(v: string): boolean {
  return v.length >= 4 && v.length <= 32 && !/\s/.test(v) && /\d/.test(v) && !DATE_OR_TIME_RE.test(v);
}

function codeTokenShare(sample: string[]): number {
  return sample.filter(isCodeToken).length / sample.length;
}

/** Short code-like tokens of nearly one length (Synthea's `S99962701`, hashes, accession codes). */
function codeTokenLike(sample: string[]): boolean {
  if (codeTokenShare(sample) < 0.9) return false;
  const lengths = sample.map((v) => v.length).sort((a, b) => a - b);
  const median = lengths[Math.floor(lengths.length / 2)];
  return lengths.filter((l) => Math.abs(l - median) <= 1).length >= 0.9 * lengths.length;
}

/** Distinct integers that look like keys: dense over their range, or of one width >= 6. */
function integerKeyLike(sample: string[], nonMissing: number): boolean {
  const ints = sample.filter((v) => /^[+-]?\d+$/.test(v)).map(Number);
  if (ints.length < 0.95 * sample.length || ints.length === 0) return false;
  let min = Infinity;
  let max = -Infinity;
  for (const x of ints) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const range = max - min + 1;
  if (Number.isFinite(range) && nonMissing >= 0.5 * range) return true;
  const widths = sample.map((v) => v.replace(/^[+-]/, '').length);
  const width = Number(mostCommon(widths.map(String)));
  return width >= 6 && widths.filter((w) => w === width).length >= 0.95 * widths.length;
}

function keyInfo(sample: string[], reason: string): IdentifierInfo {
  const lengths = sample.map((v) => v.length).sort((a, b) => a - b);
  return {
    type: 'unique-key',
    direct: false,
    handling: 'regenerate',
    pattern: tokenPattern(sample),
    length: lengths[Math.floor(lengths.length / 2)],
    reason,
  };
}

// ---------------------------------------------------------------------------------------------
// Shapes

function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  let best: string | undefined;
  let bestCount = 0;
  for (const v of values) {
    const c = (counts.get(v) ?? 0) + 1;
    counts.set(v, c);
    if (c > bestCount) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

function digitShape(v: string): string {
  return v.replace(/\d/g, 'd');
}

/**
 * A token's shape in the `d`/`A`/`a` notation. The most common shape of the sample is kept,
 * with letters that are the same in every sampled value of that shape kept literally (the `S`
 * of `S99962701`); constant digits are not kept.
 */
function tokenPattern(sample: string[]): string | undefined {
  const shapes = sample.map((v) => v.replace(/[A-Z]/g, 'A').replace(/[a-z]/g, 'a').replace(/\d/g, 'd'));
  const best = mostCommon(shapes);
  if (best === undefined) return undefined;
  const members = sample.filter((_, i) => shapes[i] === best);
  let out = '';
  for (let i = 0; i < best.length; i++) {
    const c = best[i];
    if (c === 'A' || c === 'a') {
      const first = members[0][i];
      const constant = members.every((m) => m[i] === first);
      out += constant && first !== 'A' && first !== 'a' && first !== 'd' ? first : c;
    } else {
      out += c;
    }
  }
  return out;
}

/** Digits of a UK number before (and including) the first national digit. */
function ukPrefixDigits(v: string): number {
  const compact = v.replace(/[\s-]/g, '');
  const trunk = /\(0\)/.test(compact) ? 1 : 0;
  if (compact.startsWith('+44')) return 3 + trunk;
  if (compact.startsWith('0044')) return 5 + trunk;
  return 2;
}

function ukPhoneShape(v: string): string {
  const keep = ukPrefixDigits(v);
  let seen = 0;
  let out = '';
  for (const c of v) {
    if (c >= '0' && c <= '9') {
      seen++;
      out += seen <= keep ? c : 'd';
    } else {
      out += c;
    }
  }
  return out;
}

function usPhoneShape(v: string): string {
  const m = /^(\+?1)([ .-]?)(.*)$/.exec(v);
  const digits = v.replace(/\D/g, '');
  if (m && digits.length === 11) return m[1] + m[2] + m[3].replace(/\d/g, 'd');
  return v.replace(/\d/g, 'd');
}

function postcodePattern(sample: string[]): string {
  const lower = sample.filter((v) => /[a-z]/.test(v)).length > sample.length / 2;
  const shapes = sample.map((v) => {
    const s = v.replace(/[A-Za-z]/g, 'A').replace(/\d/g, '9');
    return lower ? s.toLowerCase() : s;
  });
  return mostCommon(shapes) ?? 'AA9 9AA';
}

function emailPattern(sample: string[]): string {
  const locals = sample.map((v) => v.slice(0, v.lastIndexOf('@')));
  const domains = sample.map((v) => v.slice(v.lastIndexOf('@') + 1).toLowerCase());
  const sep = mostCommon(
    locals.map((l) => {
      const m = /[A-Za-z]([._-])[A-Za-z]/.exec(l);
      return m ? m[1] : '';
    }),
  );
  const digits = locals.filter((l) => /\d$/.test(l)).length > locals.length / 2;
  const capital = locals.filter((l) => /^[A-Z]/.test(l)).length > locals.length / 2;
  const word = capital ? 'Name' : 'name';
  const orgs = domains.filter((d) => /\.(?:org|ac|gov|nhs|edu)(?:\.[a-z]{2})?$/.test(d)).length;
  const nets = domains.filter((d) => /\.net$/.test(d)).length;
  const domain =
    orgs > domains.length / 2 ? 'example.org' : nets > domains.length / 2 ? 'example.net' : 'example.com';
  return `${word}${sep ? sep + word : ''}${digits ? '99' : ''}@${domain}`;
}

function personNamePattern(sample: string[]): string {
  const shapes = sample.map((v) => {
    const m = /^(.*?)(\d*)$/.exec(v);
    const text = m ? m[1] : v;
    const suffix = m && m[2] ? '999' : '';
    const words = text.trim().split(/\s+/).filter(Boolean).slice(0, 4);
    const letters = text.replace(/[^\p{L}]/gu, '');
    const style =
      letters.length > 1 && letters === letters.toUpperCase()
        ? 'NAME'
        : letters === letters.toLowerCase()
          ? 'name'
          : 'Name';
    return words.map(() => style).join(' ') + suffix;
  });
  return mostCommon(shapes) ?? 'Name';
}

/**
 * The identifier as a differentially private release keeps it: its type and handling (the schema
 * structure the user reviews), with a shape that is the same for every file of that type. The
 * detected shape (lengths, case, email domain style, the row index's first value) is a fact of the
 * private values, and one row can change it; the reason's shares are exact counts.
 */
export function neutralIdentifier(info: IdentifierInfo): IdentifierInfo {
  const shape = ((): Pick<IdentifierInfo, 'pattern' | 'length'> => {
    switch (info.type) {
      case 'row-index':
        return { pattern: '1..n' };
      case 'uuid':
        return { pattern: 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx', length: 36 };
      case 'nhs-number':
        return { pattern: 'ddd ddd dddd', length: 10 };
      case 'ssn':
        return { pattern: 'ddd-dd-dddd', length: 11 };
      case 'email':
        return { pattern: emailPattern([]) };
      case 'phone':
        return { pattern: info.pattern && /^(?:\+44|0044|0)/.test(info.pattern) ? '07ddd dddddd' : 'ddd-ddd-dddd' };
      case 'postcode':
        return { pattern: postcodePattern([]) };
      case 'person-name':
        return { pattern: personNamePattern([]) };
      case 'zero-padded':
        return { pattern: 'd'.repeat(NEUTRAL_KEY_LENGTH), length: NEUTRAL_KEY_LENGTH };
      case 'unique-key':
        return { pattern: 'd'.repeat(NEUTRAL_KEY_LENGTH), length: NEUTRAL_KEY_LENGTH };
    }
  })();
  return {
    type: info.type,
    direct: info.direct,
    handling: info.handling,
    ...shape,
    reason: `a ${info.type} identifier; regenerated in a standard shape, since its values' shape is private`,
  };
}

/** Width of regenerated keys and zero-padded numbers when their own width is private. */
const NEUTRAL_KEY_LENGTH = 10;

// ---------------------------------------------------------------------------------------------
// Regeneration

/**
 * `count` fresh values in the format of `info` (and of `context.sample`, used only for shape and
 * to avoid ever emitting a sampled value). Types that are keys (NHS numbers, SSNs, emails, UUIDs,
 * unique keys, zero-padded ids, row indexes) are unique; telephone numbers are unique while the
 * 1000-number drama range lasts; postcodes and names may repeat. Deterministic for a seed.
 */
export function regenerateIdentifiers(
  info: IdentifierInfo,
  count: number,
  random: Random,
  context?: { sample?: string[] },
): string[] {
  const steps = regenerationSteps(info, count, random, context);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * `regenerateIdentifiers`, giving the event loop a turn every PAUSE_EVERY values drawn so that a
 * cancellation (`signal`, Ctrl+C) is honoured promptly however many values are wanted. The same
 * values, in the same order, for the same random state.
 */
export async function regenerateIdentifiersAsync(
  info: IdentifierInfo,
  count: number,
  random: Random,
  context?: { sample?: string[] },
  signal?: AbortSignal,
): Promise<string[]> {
  const steps = regenerationSteps(info, count, random, context);
  for (;;) {
    if (signal?.aborted) throw signal.reason ?? new Error('cancelled');
    const step = steps.next();
    if (step.done) return step.value;
    await yieldToEventLoop();
  }
}

/** Values drawn between two pauses of the asynchronous regeneration (a few milliseconds' work). */
const PAUSE_EVERY = 4096;

/** Regeneration that pauses (yields) every PAUSE_EVERY values drawn and returns the values. */
type Steps<T> = Generator<void, T, void>;

function* regenerationSteps(info: IdentifierInfo, count: number, random: Random, context?: { sample?: string[] }): Steps<string[]> {
  const sample = (context?.sample ?? []).map((v) => v.trim()).filter((v) => v !== '');
  if (count <= 0) return [];
  switch (info.type) {
    case 'row-index':
      return regenerateRowIndex(info, count, sample);
    case 'uuid':
      return yield* regenerateUuids(info, count, random, sample);
    case 'nhs-number':
      return yield* regenerateNhsNumbers(info, count, random, sample);
    case 'ssn':
      return yield* regenerateSsns(count, random, sample);
    case 'email':
      return yield* regenerateEmails(info, count, random, sample);
    case 'phone':
      return yield* regeneratePhones(info, count, random, sample);
    case 'postcode':
      return yield* regeneratePostcodes(info, count, random, sample);
    case 'person-name':
      return yield* regenerateNames(info, count, random, sample);
    case 'zero-padded':
      return yield* regenerateZeroPadded(info, count, random, sample);
    case 'unique-key':
      return yield* regenerateKeys(info, count, random, sample);
  }
}

/**
 * Draw `count` distinct values with `draw`, none of whose `key` is in `avoid`. Returns undefined
 * when the space (`capacity` values) is too small for rejection sampling to be quick.
 */
function* drawUnique(
  count: number,
  capacity: number,
  avoid: Set<string>,
  draw: () => string,
  key: (v: string) => string = (v) => v,
): Steps<string[] | undefined> {
  if (capacity < 2 * (count + avoid.size)) return undefined;
  const seen = new Set<string>();
  const out: string[] = [];
  let attempts = 0;
  while (out.length < count) {
    if (++attempts > 50 * count + 1000) return undefined;
    if (attempts % PAUSE_EVERY === 0) yield;
    const v = draw();
    const k = key(v);
    if (seen.has(k) || avoid.has(k)) continue;
    seen.add(k);
    out.push(v);
  }
  return out;
}

function digits(random: Random, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(random.int(10));
  return s;
}

function fillDigits(pattern: string, digitString: string): string {
  let i = 0;
  return pattern.replace(/d/g, () => digitString[i++] ?? '0');
}

function regenerateRowIndex(info: IdentifierInfo, count: number, sample: string[]): string[] {
  let start = 1;
  if (info.pattern?.startsWith('0')) start = 0;
  else if (!info.pattern && sample.includes('0')) start = 0;
  return Array.from({ length: count }, (_, i) => String(start + i));
}

function* regenerateUuids(info: IdentifierInfo, count: number, random: Random, sample: string[]): Steps<string[]> {
  const upper = info.pattern ? info.pattern.startsWith('X') : sample.some((v) => /[A-F]/.test(v));
  const hex = '0123456789abcdef';
  const draw = (): string => {
    let s = '';
    for (let i = 0; i < 32; i++) {
      if (i === 12) s += '4';
      else if (i === 16) s += hex[8 + random.int(4)];
      else s += hex[random.int(16)];
    }
    const u = `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
    return upper ? u.toUpperCase() : u;
  };
  const avoid = new Set(sample.map((v) => v.toLowerCase()));
  return (yield* drawUnique(count, 2 ** 122, avoid, draw, (v) => v.toLowerCase())) ?? [];
}

function* regenerateNhsNumbers(info: IdentifierInfo, count: number, random: Random, sample: string[]): Steps<string[]> {
  const pattern = info.pattern && (info.pattern.match(/d/g) ?? []).length === 10 ? info.pattern : 'ddd ddd dddd';
  const avoid = new Set(sample.map((v) => v.replace(/\D/g, '')));
  // 999 is the range NHS England keeps for test numbers; its upper half 9995-9999 (the lower half
  // is the demo simulator's); widen only for very large outputs.
  for (const prefix of ['999', '99', '9', '']) {
    const free = 9 - prefix.length;
    const upperHalf = prefix === '999';
    const draw = (): string => {
      for (;;) {
        const first9 = upperHalf ? prefix + String(5 + random.int(5)) + digits(random, free - 1) : prefix + digits(random, free);
        const check = nhsCheckDigit(first9);
        if (check !== undefined) return first9 + String(check);
      }
    };
    const values = yield* drawUnique(count, ((upperHalf ? 10 ** free / 2 : 10 ** free) * 10) / 11, avoid, draw);
    if (values) return values.map((d) => fillDigits(pattern, d));
  }
  throw new Error(`cannot make ${count} distinct NHS numbers`);
}

function* regenerateSsns(count: number, random: Random, sample: string[]): Steps<string[]> {
  const avoid = new Set(sample);
  const draw = (): string =>
    `9${digits(random, 2)}-${String(1 + random.int(99)).padStart(2, '0')}-${String(1 + random.int(9999)).padStart(4, '0')}`;
  const values = yield* drawUnique(count, 100 * 99 * 9999, avoid, draw);
  if (!values) throw new Error(`cannot make ${count} distinct SSN-like values`);
  return values;
}

const CONSONANTS = 'bcdfghjklmnprstvz';
const VOWELS = 'aeiou';

/** A pronounceable made-up word of 2-3 syllables. */
function pseudoWord(random: Random): string {
  const syllables = 2 + random.int(2);
  let w = '';
  for (let i = 0; i < syllables; i++) w += CONSONANTS[random.int(CONSONANTS.length)] + VOWELS[random.int(VOWELS.length)];
  if (random.next() < 0.4) w += CONSONANTS[random.int(CONSONANTS.length)];
  return w;
}

function styleWord(word: string, style: string): string {
  if (style === style.toUpperCase() && style.length > 1) return word.toUpperCase();
  if (style === style.toLowerCase()) return word;
  return word[0].toUpperCase() + word.slice(1);
}

const RESERVED_EMAIL_DOMAIN = /(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid)$/i;

function* regenerateEmails(info: IdentifierInfo, count: number, random: Random, sample: string[]): Steps<string[]> {
  const pattern = info.pattern && info.pattern.includes('@') ? info.pattern : emailPattern(sample.filter(isEmail));
  const at = pattern.lastIndexOf('@');
  let local = pattern.slice(0, at);
  let domain = pattern.slice(at + 1);
  if (!RESERVED_EMAIL_DOMAIN.test(domain)) domain = 'example.com';
  const withDigits = /\d+$/.test(local);
  local = local.replace(/\d+$/, '');
  const sepMatch = /[._-]/.exec(local);
  const sep = sepMatch ? sepMatch[0] : '';
  const styles = (sep ? local.split(sep) : [local]).filter(Boolean);
  if (styles.length === 0) styles.push('name');
  const avoid = new Set(sample.map((v) => v.toLowerCase()));
  const draw = (): string => {
    const words = styles.map((s) => styleWord(pseudoWord(random), s));
    const suffix = withDigits || styles.length === 1 ? String(random.int(10000)) : '';
    return `${words.join(sep)}${suffix}@${domain}`;
  };
  const values = yield* drawUnique(count, 1e12, avoid, draw, (v) => v.toLowerCase());
  if (values) return values;
  // Astronomically unlikely; fall back to numbered addresses.
  return Array.from({ length: count }, (_, i) => `user${i + 1}@${domain}`);
}

/** Ofcom's drama ranges: the national number after the first digit, 3 digits left to fill. */
const UK_DRAMA: Record<string, string> = { '7': '700900', '1': '632960', '2': '079460', '3': '069990' };

function* regeneratePhones(info: IdentifierInfo, count: number, random: Random, sample: string[]): Steps<string[]> {
  let pattern = info.pattern;
  if (!pattern || !/d/.test(pattern)) {
    const uk = sample.filter(isUkPhone).map(ukPhoneShape);
    const us = sample.filter(isUsPhone).map(usPhoneShape);
    pattern = (uk.length >= us.length ? mostCommon(uk) : mostCommon(us)) ?? '07ddd dddddd';
  }
  const isUk = /^(?:\+44|0044|\(?0)/.test(pattern);
  const avoid = new Set(sample.map((v) => v.replace(/\D/g, '')));
  const out: string[] = [];
  if (isUk) {
    let p = pattern;
    const literal = p.slice(0, p.indexOf('d')).replace(/\D/g, '');
    let first = literal.slice(-1);
    if ((p.match(/d/g) ?? []).length !== 9 || !(first in UK_DRAMA)) {
      p = '07ddd dddddd';
      first = '7';
    }
    const lines = random.shuffle(Array.from({ length: 1000 }, (_, i) => i));
    let i = 0;
    let skipped = 0;
    while (out.length < count) {
      const v = fillDigits(p, UK_DRAMA[first] + String(lines[i % 1000]).padStart(3, '0'));
      if (++i % PAUSE_EVERY === 0) yield;
      if (avoid.has(v.replace(/\D/g, '')) && skipped < 1000) {
        skipped++;
        continue;
      }
      out.push(v);
    }
    return out;
  }
  let p = pattern;
  const prefix = /^\+?1(?=[ .-]?[(d])/.exec(p)?.[0] ?? '';
  if ((p.slice(prefix.length).match(/d/g) ?? []).length !== 10) p = 'ddd-ddd-dddd';
  const body = p.slice(prefix.length);
  const draw = (): string => {
    let area: string;
    do area = String(2 + random.int(8)) + digits(random, 2);
    while (area.endsWith('11'));
    return prefix + fillDigits(body, `${area}55501${digits(random, 2)}`);
  };
  const unique = yield* drawUnique(count, 792 * 100, avoid, draw, (v) => v.replace(/\D/g, ''));
  if (unique) return unique;
  for (let k = 0; k < count; k++) {
    if ((k + 1) % PAUSE_EVERY === 0) yield;
    let v = draw();
    for (let tries = 0; tries < 100 && avoid.has(v.replace(/\D/g, '')); tries++) v = draw();
    out.push(v);
  }
  return out;
}

/** Real postcode areas whose letters fit the postcode grammar. */
const POSTCODE_AREAS = (
  'AB B BA BD BH BL BN BR BS CB CF CH CM CO CR CT CV CW DA DE DH DN DY E EH EX G GL GU HA HD HP HU IP KT L ' +
  'LE LS LU M ME MK N NE NG NN NR NW OL OX PE PL PO PR RG RM S SE SG SK SL SN SO SR SS ST SW TN TS WA WD WF WR YO'
).split(' ');
const INWARD_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';

function* regeneratePostcodes(info: IdentifierInfo, count: number, random: Random, sample: string[]): Steps<string[]> {
  const pattern = info.pattern ?? postcodePattern(sample.filter(isUkPostcode));
  const spaced = pattern.includes(' ');
  const lower = /[a-z]/.test(pattern) && !/[A-Z]/.test(pattern);
  const avoid = new Set(sample.map((v) => v.replace(/\s/g, '').toUpperCase()));
  const out: string[] = [];
  for (let attempts = 1; out.length < count; attempts++) {
    if (attempts % PAUSE_EVERY === 0) yield;
    const area = POSTCODE_AREAS[random.int(POSTCODE_AREAS.length)];
    const outward = area + String(1 + random.int(area.length === 1 ? 20 : 29));
    const inward =
      String(random.int(10)) + INWARD_LETTERS[random.int(INWARD_LETTERS.length)] + INWARD_LETTERS[random.int(INWARD_LETTERS.length)];
    if (avoid.has(outward + inward)) continue;
    const v = spaced ? `${outward} ${inward}` : outward + inward;
    out.push(lower ? v.toLowerCase() : v);
  }
  return out;
}

function* regenerateNames(info: IdentifierInfo, count: number, random: Random, sample: string[]): Steps<string[]> {
  const pattern = info.pattern ?? personNamePattern(sample.filter(isNameLike));
  const withDigits = /9+$/.test(pattern);
  const styles = pattern.replace(/9+$/, '').trim().split(/\s+/).filter(Boolean);
  if (styles.length === 0) styles.push('Name');
  const avoid = new Set(sample.map((v) => v.toLowerCase()));
  const out: string[] = [];
  for (let attempts = 1; out.length < count; attempts++) {
    if (attempts % PAUSE_EVERY === 0) yield;
    const v = styles.map((s) => styleWord(pseudoWord(random), s)).join(' ') + (withDigits ? String(1 + random.int(999)) : '');
    if (!avoid.has(v.toLowerCase())) out.push(v);
  }
  return out;
}

function* regenerateZeroPadded(info: IdentifierInfo, count: number, random: Random, sample: string[]): Steps<string[]> {
  let width = info.length ?? info.pattern?.length ?? (sample[0]?.length || 8);
  const avoid = new Set(sample);
  for (;;) {
    const w = width;
    const values = yield* drawUnique(count, 10 ** w, avoid, () => digits(random, w));
    if (values) return values;
    width++;
  }
}

function patternCapacity(pattern: string, nonZeroFirst: boolean): number {
  let c = 1;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === 'd') c *= i === 0 && nonZeroFirst ? 9 : 10;
    else if (ch === 'A' || ch === 'a') c *= 26;
  }
  return c;
}

function fillToken(pattern: string, random: Random, nonZeroFirst: boolean): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === 'd') out += String(i === 0 && nonZeroFirst ? 1 + random.int(9) : random.int(10));
    else if (ch === 'A') out += letters[random.int(26)];
    else if (ch === 'a') out += letters[random.int(26)].toLowerCase();
    else out += ch;
  }
  return out;
}

function* regenerateKeys(info: IdentifierInfo, count: number, random: Random, sample: string[]): Steps<string[]> {
  let pattern = info.pattern && /[dAa]/.test(info.pattern) ? info.pattern : tokenPattern(sample);
  if (!pattern) pattern = 'd'.repeat(Math.max(info.length ?? 8, 1));
  // Integer keys (all digits, no leading zeros seen) keep a non-zero first digit.
  const allDigits = /^d+$/.test(pattern);
  const nonZeroFirst = allDigits && !sample.some((v) => /^0\d/.test(v));
  const avoid = new Set(sample);
  for (;;) {
    const p = pattern;
    const values = yield* drawUnique(count, patternCapacity(p, nonZeroFirst), avoid, () => fillToken(p, random, nonZeroFirst));
    if (values) return values;
    pattern += 'd';
  }
}
