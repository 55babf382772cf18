/**
 * A small seeded simulator of hospital admissions, used for the demo file `examples/patients.csv`
 * and for tests. Every row is invented: no real patient data went into it.
 *
 * The aim is not clinical accuracy but a file that *behaves* like a real extract, so the
 * synthesiser is exercised on what real ones contain: skewed numbers, dependencies between
 * columns (age -> diagnosis -> length of stay -> death), several kinds of missingness (random,
 * dependent on other columns, structural), identifiers with a check digit, dates that must stay
 * ordered, and free text that needs CSV quoting.
 *
 * Output is a pure function of the options: every random choice comes from one `Random`, drawn
 * in a fixed order, and no clock, locale or Math.random is consulted.
 */
import { Random } from '../random';

export interface PatientsCsvOptions {
  rows?: number;
  seed?: number;
}

export const DEFAULT_PATIENT_ROWS = 3000;
export const DEFAULT_PATIENT_SEED = 20261123;

export const PATIENT_COLUMNS = [
  'patient_id',
  'age',
  'sex',
  'ethnicity',
  'admission_date',
  'discharge_date',
  'length_of_stay',
  'admission_method',
  'diagnosis_code',
  'systolic_bp',
  'heart_rate',
  'temperature',
  'haemoglobin',
  'crp',
  'hba1c',
  'creatinine',
  'died_in_hospital',
  'discharge_note',
] as const;

type Sex = 'F' | 'M';
type Method = 'Elective' | 'Emergency' | 'Maternity' | 'Transfer';

// ---------------------------------------------------------------------------------------------
// Demographics
// ---------------------------------------------------------------------------------------------

/**
 * Adult inpatients are mostly older, so age is drawn from bands weighted roughly like English
 * admitted-patient activity, then uniformly within the band.
 */
const AGE_BANDS: ReadonlyArray<{ from: number; to: number; weight: number }> = [
  { from: 18, to: 29, weight: 10 },
  { from: 30, to: 44, weight: 14 },
  { from: 45, to: 59, weight: 18 },
  { from: 60, to: 74, weight: 25 },
  { from: 75, to: 84, weight: 21 },
  { from: 85, to: 99, weight: 12 },
];

/** Roughly the census mix for England, with a realistic share of unrecorded ethnicity. */
const ETHNICITIES: ReadonlyArray<{ label: string; weight: number }> = [
  { label: 'White British', weight: 73 },
  { label: 'White Other', weight: 6 },
  { label: 'Asian or Asian British', weight: 8.5 },
  { label: 'Black or Black British', weight: 3.5 },
  { label: 'Mixed', weight: 2 },
  { label: 'Other', weight: 1.5 },
  { label: 'Not stated', weight: 5.5 },
];

// ---------------------------------------------------------------------------------------------
// Diagnoses
// ---------------------------------------------------------------------------------------------

/** How a diagnosis's frequency changes across the age bands 18-39, 40-64, 65-79 and 80+. */
type AgeProfile = 'young' | 'adult' | 'older' | 'elderly' | 'maternity';

const AGE_PROFILE_MULTIPLIERS: Record<AgeProfile, readonly [number, number, number, number]> = {
  young: [3, 1, 0.4, 0.3],
  adult: [1, 1.5, 1, 0.6],
  older: [0.15, 1, 2, 2],
  elderly: [0.05, 0.4, 1.5, 3.5],
  // Only reachable for women under 50 (enforced in diagnosisWeight); rarer in the 40s.
  maternity: [1, 0.12, 0, 0],
};

type Flag = 'infection' | 'diabetes' | 'cancer' | 'bleed' | 'kidney' | 'cardiac' | 'arrhythmia' | 'maternity';

interface Diagnosis {
  code: string;
  /** Plain words, used in discharge notes. */
  label: string;
  /** Relative frequency before the age and sex adjustments. */
  weight: number;
  profile: AgeProfile;
  /** Frequency in women relative to men (men get 1). */
  femaleRatio: number;
  /** Set for codes only one sex can have. */
  sexOnly?: Sex;
  /** Share of (non-maternity) admissions that come in as emergencies rather than elective. */
  emergencyShare: number;
  /** Median length of stay in days for a 60-year-old. */
  medianStay: number;
  /** Chance that an elective admission is a day case (stay 0); default 0. */
  dayCase?: number;
  /** Shortest plausible stay for a patient who is not a day case, e.g. after major surgery. */
  minStay?: number;
  /** In-hospital death risk at age 78 (it doubles every 12 years of age, see drawDied). */
  mortality: number;
  flags: readonly Flag[];
  /** Treatment phrases for the discharge note. */
  treatments: readonly string[];
}

const DIAGNOSES: readonly Diagnosis[] = [
  {
    code: 'J18.9', label: 'community-acquired pneumonia', weight: 7, profile: 'elderly', femaleRatio: 0.95,
    emergencyShare: 0.99, medianStay: 6, mortality: 0.07, flags: ['infection'],
    treatments: ['completed IV co-amoxiclav, switched to oral', 'oral doxycycline to complete 5 days', 'weaned off oxygen'],
  },
  {
    code: 'R07.4', label: 'chest pain', weight: 6, profile: 'adult', femaleRatio: 0.9,
    emergencyShare: 0.98, medianStay: 1, mortality: 0.002, flags: [],
    treatments: ['troponin negative x2', 'ACS ruled out', 'outpatient CT coronary angiogram requested'],
  },
  {
    code: 'N39.0', label: 'urinary tract infection', weight: 5, profile: 'elderly', femaleRatio: 1.6,
    emergencyShare: 0.96, medianStay: 4, mortality: 0.015, flags: ['infection'],
    treatments: ['nitrofurantoin to complete course', 'IV gentamicin then oral cefalexin', 'catheter removed before discharge'],
  },
  {
    code: 'R10.4', label: 'abdominal pain', weight: 5, profile: 'young', femaleRatio: 1.3,
    emergencyShare: 0.95, medianStay: 1, mortality: 0.002, flags: [],
    treatments: ['CT abdomen unremarkable', 'pain settled with simple analgesia', 'ultrasound booked as outpatient'],
  },
  {
    code: 'I50.9', label: 'heart failure', weight: 4, profile: 'elderly', femaleRatio: 0.9,
    emergencyShare: 0.95, medianStay: 8, mortality: 0.07, flags: ['cardiac'],
    treatments: ['IV furosemide, now on oral 40 mg OD', 'daily weights advised', 'bisoprolol uptitrated'],
  },
  {
    code: 'I48.9', label: 'atrial fibrillation', weight: 4, profile: 'older', femaleRatio: 0.85,
    emergencyShare: 0.88, medianStay: 3, dayCase: 0.5, mortality: 0.015, flags: ['arrhythmia'],
    treatments: ['rate controlled with bisoprolol', 'started apixaban 5 mg BD', 'DC cardioversion successful'],
  },
  {
    code: 'J44.1', label: 'COPD exacerbation', weight: 4, profile: 'older', femaleRatio: 1,
    emergencyShare: 0.97, medianStay: 5, mortality: 0.035, flags: ['infection'],
    treatments: ['prednisolone 30 mg for 5 days', 'nebulisers weaned', 'referred to pulmonary rehab'],
  },
  {
    code: 'I21.9', label: 'myocardial infarction', weight: 3, profile: 'older', femaleRatio: 0.6,
    emergencyShare: 0.98, medianStay: 4, mortality: 0.06, flags: ['cardiac'],
    treatments: ['PCI to LAD', 'started ticagrelor 90 mg BD and atorvastatin 80 mg', 'referred to cardiac rehab'],
  },
  {
    code: 'I63.9', label: 'ischaemic stroke', weight: 3, profile: 'elderly', femaleRatio: 1,
    emergencyShare: 0.98, medianStay: 10, mortality: 0.1, flags: [],
    treatments: ['thrombolysed on arrival', 'clopidogrel 75 mg OD', 'SALT assessment passed', 'early supported discharge team'],
  },
  {
    code: 'A41.9', label: 'sepsis', weight: 3, profile: 'elderly', femaleRatio: 0.9,
    emergencyShare: 0.99, medianStay: 9, mortality: 0.14, flags: ['infection'],
    treatments: ['IV piperacillin-tazobactam then oral step-down', 'source presumed urinary', 'blood cultures negative'],
  },
  {
    code: 'S72.0', label: 'fractured neck of femur', weight: 3, profile: 'elderly', femaleRatio: 2,
    emergencyShare: 0.99, medianStay: 14, minStay: 2, mortality: 0.07, flags: [],
    treatments: ['hemiarthroplasty', 'DHS fixation', 'started alendronic acid', 'physio: mobilising with frame'],
  },
  {
    code: 'K35.8', label: 'acute appendicitis', weight: 3, profile: 'young', femaleRatio: 0.85,
    emergencyShare: 0.99, medianStay: 2, minStay: 1, mortality: 0.001, flags: ['infection'],
    treatments: ['laparoscopic appendicectomy', 'wounds clean and dry', 'clips to be removed by practice nurse'],
  },
  {
    code: 'K80.2', label: 'gallstones', weight: 3, profile: 'adult', femaleRatio: 2.2,
    emergencyShare: 0.4, medianStay: 1, dayCase: 0.55, mortality: 0.002, flags: [],
    treatments: ['laparoscopic cholecystectomy', 'low-fat diet advice given', 'listed for elective cholecystectomy'],
  },
  {
    code: 'L03.1', label: 'cellulitis', weight: 3, profile: 'older', femaleRatio: 1,
    emergencyShare: 0.93, medianStay: 4, mortality: 0.01, flags: ['infection'],
    treatments: ['IV flucloxacillin then oral', 'leg elevated, redness receding', 'margins marked and improving'],
  },
  {
    code: 'M17.1', label: 'knee osteoarthritis', weight: 3, profile: 'older', femaleRatio: 1.3,
    emergencyShare: 0.02, medianStay: 3, dayCase: 0.03, minStay: 1, mortality: 0.001, flags: [],
    treatments: ['total knee replacement', 'physio exercises taught', 'enoxaparin for 14 days'],
  },
  {
    code: 'M16.1', label: 'hip osteoarthritis', weight: 2, profile: 'older', femaleRatio: 1.3,
    emergencyShare: 0.02, medianStay: 3, dayCase: 0.03, minStay: 1, mortality: 0.001, flags: [],
    treatments: ['total hip replacement', 'hip precautions explained', 'rivaroxaban for 35 days'],
  },
  {
    code: 'E11.9', label: 'type 2 diabetes', weight: 2, profile: 'older', femaleRatio: 0.85,
    emergencyShare: 0.45, medianStay: 3, dayCase: 0.3, mortality: 0.01, flags: ['diabetes'],
    treatments: ['metformin increased to 1 g BD', 'started gliclazide', 'seen by diabetes specialist nurse'],
  },
  {
    code: 'E11.5', label: 'diabetic foot ulcer', weight: 1.5, profile: 'older', femaleRatio: 0.6,
    emergencyShare: 0.75, medianStay: 9, dayCase: 0.1, mortality: 0.02, flags: ['diabetes', 'infection'],
    treatments: ['debridement by podiatry', 'IV antibiotics then oral', 'offloading boot fitted'],
  },
  {
    code: 'K92.2', label: 'upper GI bleed', weight: 2, profile: 'older', femaleRatio: 0.7,
    emergencyShare: 0.97, medianStay: 4, mortality: 0.05, flags: ['bleed'],
    treatments: ['OGD: clipped duodenal ulcer', 'transfused 2 units', 'omeprazole 40 mg BD for 8 weeks'],
  },
  {
    code: 'K57.3', label: 'diverticulitis', weight: 2, profile: 'older', femaleRatio: 1.2,
    emergencyShare: 0.8, medianStay: 4, dayCase: 0.3, mortality: 0.01, flags: ['infection'],
    treatments: ['conservative management with IV antibiotics', 'outpatient colonoscopy in 6 weeks', 'tolerating diet'],
  },
  {
    code: 'N17.9', label: 'acute kidney injury', weight: 2, profile: 'elderly', femaleRatio: 0.9,
    emergencyShare: 0.97, medianStay: 7, mortality: 0.08, flags: ['kidney'],
    treatments: ['IV fluids, creatinine improving', 'ramipril held', 'repeat U&E with GP in 1 week'],
  },
  {
    code: 'C34.9', label: 'lung cancer', weight: 1.5, profile: 'older', femaleRatio: 0.9,
    emergencyShare: 0.45, medianStay: 6, dayCase: 0.4, mortality: 0.1, flags: ['cancer'],
    treatments: ['discussed at lung MDT', 'palliative care team involved', 'first cycle of chemotherapy given'],
  },
  {
    code: 'C18.9', label: 'colon cancer', weight: 1.5, profile: 'older', femaleRatio: 0.9,
    emergencyShare: 0.25, medianStay: 7, minStay: 2, mortality: 0.04, flags: ['cancer'],
    treatments: ['laparoscopic right hemicolectomy', 'histology to follow at MDT', 'stoma nurse review'],
  },
  {
    code: 'S06.0', label: 'concussion', weight: 1.5, profile: 'young', femaleRatio: 0.6,
    emergencyShare: 0.99, medianStay: 1, mortality: 0.003, flags: [],
    treatments: ['CT head normal', 'head injury advice given', 'neuro observations normal'],
  },
  {
    code: 'F10.0', label: 'alcohol intoxication', weight: 1.2, profile: 'young', femaleRatio: 0.5,
    emergencyShare: 0.99, medianStay: 1, mortality: 0.002, flags: [],
    treatments: ['seen by alcohol liaison nurse', 'thiamine prescribed', 'brief intervention given'],
  },
  {
    code: 'O80.9', label: 'spontaneous vaginal delivery', weight: 24, profile: 'maternity', femaleRatio: 1, sexOnly: 'F',
    emergencyShare: 0, medianStay: 1, mortality: 0, flags: ['maternity'],
    treatments: ['baby well, breastfeeding established', 'perineum intact', 'midwife home visit arranged'],
  },
  {
    code: 'O82.0', label: 'elective caesarean section', weight: 10, profile: 'maternity', femaleRatio: 1, sexOnly: 'F',
    emergencyShare: 0, medianStay: 2, minStay: 1, mortality: 0, flags: ['maternity'],
    treatments: ['wound healing well', 'enoxaparin for 10 days', 'baby well, feeding established'],
  },
];

function ageBandIndex(age: number): number {
  if (age < 40) return 0;
  if (age < 65) return 1;
  if (age < 80) return 2;
  return 3;
}

/** Relative chance that a patient of this age and sex is admitted with `d`. */
function diagnosisWeight(d: Diagnosis, age: number, sex: Sex): number {
  if (d.sexOnly && d.sexOnly !== sex) return 0;
  if (d.profile === 'maternity' && age >= 50) return 0;
  const sexFactor = sex === 'F' ? d.femaleRatio : 1;
  return d.weight * AGE_PROFILE_MULTIPLIERS[d.profile][ageBandIndex(age)] * sexFactor;
}

// ---------------------------------------------------------------------------------------------
// Small numeric helpers
// ---------------------------------------------------------------------------------------------

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** Normal draw rounded to an integer and kept inside physiological limits. */
function normalInt(r: Random, mean: number, sd: number, lo: number, hi: number): number {
  return Math.round(clamp(mean + sd * r.normal(), lo, hi));
}

/** Log-normal draw: multiplicative noise around a median, for skewed lab values and stays. */
function logNormal(r: Random, median: number, sigma: number): number {
  return median * Math.exp(sigma * r.normal());
}

function pick<T>(r: Random, items: readonly T[]): T {
  return items[r.int(items.length)];
}

// ---------------------------------------------------------------------------------------------
// Identifiers and dates
// ---------------------------------------------------------------------------------------------

/**
 * Modulus-11 check digit of an NHS number: weights 10..2 on the first nine digits.
 * Returns undefined when the remainder gives 10, which no valid number can have.
 */
export function nhsCheckDigit(firstNine: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(firstNine[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return undefined;
  return check;
}

/** True when `id` is ten digits whose last digit is the modulus-11 check of the first nine. */
export function isValidNhsNumber(id: string): boolean {
  if (!/^\d{10}$/.test(id)) return false;
  return nhsCheckDigit(id.slice(0, 9)) === Number(id[9]);
}

/**
 * A fresh NHS-number-like identifier. The 999 prefix is the range reserved for testing and never
 * issued to real patients, so a simulated id cannot coincide with a real person's. Simulated ids
 * use 9990-9994; regenerated ones (schema/identifiers.ts) use 9995-9999, so the two never meet.
 */
function drawPatientId(r: Random, used: Set<string>): string {
  for (;;) {
    let body = '999' + String(r.int(5));
    for (let i = 0; i < 5; i++) body += String(r.int(10));
    const check = nhsCheckDigit(body);
    if (check === undefined) continue; // no valid number with these nine digits
    const id = body + String(check);
    if (!used.has(id)) {
      used.add(id);
      return id;
    }
  }
}

const DAY_MS = 86_400_000;
const FIRST_ADMISSION = Date.UTC(2022, 0, 1);
const ADMISSION_DAYS = (Date.UTC(2024, 11, 31) - FIRST_ADMISSION) / DAY_MS + 1;
/** Peak-to-mean excess of admissions in mid-January over the yearly average. */
const WINTER_EXCESS = 0.2;

function isoDate(dayIndex: number): string {
  return new Date(FIRST_ADMISSION + dayIndex * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Day of admission (days since 2022-01-01). Rejection sampling against a yearly cosine gives
 * the winter pressure seen in real emergency activity; elective lists mostly run on weekdays.
 */
function drawAdmissionDay(r: Random, method: Method): number {
  for (;;) {
    const day = r.int(ADMISSION_DAYS);
    const date = new Date(FIRST_ADMISSION + day * DAY_MS);
    const dayOfYear = (date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / DAY_MS;
    const seasonal = 1 + WINTER_EXCESS * Math.cos((2 * Math.PI * (dayOfYear - 15)) / 365.25);
    if (r.next() * (1 + WINTER_EXCESS) > seasonal) continue;
    const weekday = date.getUTCDay();
    if (method === 'Elective' && (weekday === 0 || weekday === 6) && r.next() < 0.9) continue;
    return day;
  }
}

// ---------------------------------------------------------------------------------------------
// Clinical course
// ---------------------------------------------------------------------------------------------

function drawMethod(r: Random, d: Diagnosis): Method {
  if (d.flags.includes('maternity')) return 'Maternity';
  // A small share of acute patients arrive from another hospital.
  if (d.emergencyShare > 0.5 && r.next() < 0.04) return 'Transfer';
  return r.next() < d.emergencyShare ? 'Emergency' : 'Elective';
}

/** Right-skewed stay that lengthens with age; some elective admissions are day cases. */
function drawLengthOfStay(r: Random, d: Diagnosis, age: number, method: Method): number {
  if (method === 'Elective' && r.next() < (d.dayCase ?? 0)) return 0;
  // Older patients take longer to recover and to arrange discharge for; childbirth does not.
  const ageFactor = method === 'Maternity' ? 1 : clamp(1 + (age - 60) / 60, 0.6, 1.7);
  const median = d.medianStay * ageFactor * (method === 'Transfer' ? 1.4 : 1);
  const stay = Math.round(logNormal(r, median, 0.75));
  return clamp(stay, d.minStay ?? 0, 120);
}

/** Death risk doubles every 12 years of age; maternity codes have mortality 0 (too rare to show). */
function drawDied(r: Random, d: Diagnosis, age: number, method: Method): boolean {
  const risk = clamp(d.mortality * Math.pow(2, (age - 78) / 12) * (method === 'Transfer' ? 1.3 : 1), 0, 0.6);
  return r.next() < risk;
}

interface Observations {
  systolic: number | undefined;
  heartRate: number;
  temperature: number | undefined;
  haemoglobin: number;
  crp: number | undefined;
  hba1c: number | undefined;
  creatinine: number | undefined;
}

/** Admission observations and bloods, shifted by diagnosis so the columns correlate. */
function drawObservations(r: Random, d: Diagnosis, age: number, sex: Sex, method: Method): Observations {
  const has = (f: Flag): boolean => d.flags.includes(f);
  const septic = d.code === 'A41.9';

  // Draw every value first and decide missingness afterwards, so the stream of draws (and
  // hence every later row) does not depend on which values happen to be missing.
  const systolic = normalInt(r, 126 + 0.3 * (age - 50) - (septic ? 22 : 0) - (has('bleed') ? 12 : 0), 19, 70, 230);
  const heartRate = has('arrhythmia')
    ? normalInt(r, 118, 22, 50, 185) // fast AF, widely spread
    : normalInt(r, 78 + (septic ? 24 : 0) + (has('infection') ? 10 : 0) + (has('bleed') ? 14 : 0), 13, 38, 175);
  const temperature = clamp(36.8 + (has('infection') ? 1.0 : 0) + (septic ? 0.5 : 0) + 0.4 * r.normal(), 34.5, 41.2);

  let haemoglobin = sex === 'F' ? 128 : 142;
  if (has('bleed')) haemoglobin -= 32;
  if (has('cancer')) haemoglobin -= 14;
  if (has('kidney')) haemoglobin -= 9;
  if (has('maternity')) haemoglobin -= 8;
  if (age >= 75) haemoglobin -= 6;
  haemoglobin = normalInt(r, haemoglobin, 13, 55, 190);

  const crpMedian = has('infection') ? (septic ? 150 : 80) : has('cancer') ? 25 : method === 'Elective' ? 3 : 8;
  const crp = clamp(logNormal(r, crpMedian, 0.75), 0.3, 450);

  const hba1c = has('diabetes') ? normalInt(r, 70, 16, 42, 150) : normalInt(r, 39 + 0.08 * (age - 50), 6, 25, 75);

  const creatinineMedian = (sex === 'F' ? 66 : 84) * (1 + Math.max(0, age - 60) / 120) * (has('kidney') ? 3 : has('cardiac') ? 1.3 : septic ? 1.6 : 1);
  const creatinine = Math.round(clamp(logNormal(r, creatinineMedian, 0.22), 30, 1200));

  // Missingness. Blood pressure and temperature drop out at random (MCAR), CRP is ordered mainly
  // for acutely unwell patients (depends on admission method), HbA1c is only checked for
  // diabetics and some older patients (structural), creatinine is skipped for some elective cases.
  const systolicMissing = r.next() < 0.02;
  const temperatureMissing = r.next() < 0.05;
  const crpMeasured = r.next() < ({ Emergency: 0.88, Transfer: 0.8, Elective: 0.35, Maternity: 0.25 } as const)[method];
  const hba1cMeasured = r.next() < (has('diabetes') ? 0.95 : age >= 65 ? 0.2 : 0.1);
  const creatinineMissing = r.next() < (method === 'Elective' || method === 'Maternity' ? 0.22 : 0.06);

  return {
    systolic: systolicMissing ? undefined : systolic,
    heartRate,
    temperature: temperatureMissing ? undefined : temperature,
    haemoglobin,
    crp: crpMeasured ? crp : undefined,
    hba1c: hba1cMeasured ? hba1c : undefined,
    creatinine: creatinineMissing ? undefined : creatinine,
  };
}

// ---------------------------------------------------------------------------------------------
// Discharge notes
// ---------------------------------------------------------------------------------------------

const DESTINATIONS = [
  'Discharged home',
  'Discharged home',
  'Discharged to usual residence',
  'Discharged home on a package of care',
  'Discharged home to family',
];
const ELDERLY_DESTINATIONS = ['Discharged to care home', 'Discharged to community hospital for rehab', 'Discharged home under the reablement team'];
const FOLLOW_UPS = [
  (r: Random) => `GP review in ${1 + r.int(3)} weeks`,
  (r: Random) => `follow-up in clinic in ${2 + r.int(11)} weeks`,
  (r: Random) => `repeat bloods at GP surgery in ${3 + r.int(12)} days`,
  () => 'no routine follow-up needed',
  () => 'open access to the ward for 48 hours',
  (r: Random) => `telephone clinic in ${4 + r.int(9)} weeks`,
];
const FEELINGS = [
  (p: string) => `${p} reports feeling better`,
  (p: string) => `${p} is mobilising independently`,
  (p: string) => `${p} is eating and drinking normally`,
  (p: string) => `${p} is keen to go home`,
  (p: string) => `${p} understands the safety-netting advice`,
  (p: string) => `pain well controlled, ${p} is comfortable`,
];
/** A few notes quote the patient verbatim, to exercise doubled quotes in CSV. */
const QUOTES = ['"much better now"', '"back to my old self"', '"glad to be going home"', '"still a bit tired"'];

function sentenceCase(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function drawNote(r: Random, d: Diagnosis, age: number, sex: Sex, lengthOfStay: number, died: boolean): string {
  if (r.next() < 0.05) return '';
  const pronoun = sex === 'F' ? 'she' : 'he';
  const treatment = pick(r, d.treatments);
  if (died) {
    const day = lengthOfStay === 0 ? 'on the day of admission' : `on day ${lengthOfStay}`;
    const context = pick(r, ['family present', 'family informed', 'on end of life care pathway', 'DNACPR in place']);
    return `Died in hospital ${day} with ${d.label}, ${context}. ${sentenceCase(treatment)}.`;
  }

  const destination = age >= 80 && r.next() < 0.35 ? pick(r, ELDERLY_DESTINATIONS) : pick(r, DESTINATIONS);
  const followUp = pick(r, FOLLOW_UPS)(r);
  const feeling = pick(r, FEELINGS)(pronoun);
  const style = r.next();
  if (style < 0.04) {
    return `${destination} following admission with ${d.label}. ${sentenceCase(pronoun)} says ${pick(r, QUOTES)}, ${followUp}.`;
  }
  if (style < 0.5) {
    return `${destination} with ${followUp}, ${feeling}. ${sentenceCase(treatment)}.`;
  }
  if (style < 0.8) {
    return `${sentenceCase(d.label)}: ${treatment}. ${destination}; ${followUp}.`;
  }
  return `${destination} ${lengthOfStay === 0 ? 'same day' : `after ${lengthOfStay} ${lengthOfStay === 1 ? 'night' : 'nights'}`} - ${treatment} - ${followUp}`;
}

// ---------------------------------------------------------------------------------------------
// CSV output
// ---------------------------------------------------------------------------------------------

/** RFC 4180: quote only when needed, doubling any quote inside. */
function csvField(value: string): string {
  if (/[",\r\n]/.test(value)) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

function fmt(value: number | undefined, decimals = 0): string {
  return value === undefined ? '' : value.toFixed(decimals);
}

/**
 * The demo admissions file as CSV text: header plus `rows` records, LF line endings (one after
 * the last record too). Same options, same bytes.
 */
export function generatePatientsCsv(options: PatientsCsvOptions = {}): string {
  const rows = options.rows ?? DEFAULT_PATIENT_ROWS;
  const seed = options.seed ?? DEFAULT_PATIENT_SEED;
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`rows must be a non-negative integer, got ${rows}`);
  const r = new Random(seed);
  const usedIds = new Set<string>();
  const lines: string[] = [PATIENT_COLUMNS.join(',')];

  for (let i = 0; i < rows; i++) {
    const patientId = drawPatientId(r, usedIds);
    const band = AGE_BANDS[r.categorical(AGE_BANDS.map((b) => b.weight))];
    const age = band.from + r.int(band.to - band.from + 1);
    const sex: Sex = r.next() < 0.52 ? 'F' : 'M';
    const ethnicity = ETHNICITIES[r.categorical(ETHNICITIES.map((e) => e.weight))].label;
    const diagnosis = DIAGNOSES[r.categorical(DIAGNOSES.map((d) => diagnosisWeight(d, age, sex)))];
    const method = drawMethod(r, diagnosis);
    const admissionDay = drawAdmissionDay(r, method);
    const lengthOfStay = drawLengthOfStay(r, diagnosis, age, method);
    const died = drawDied(r, diagnosis, age, method);
    const obs = drawObservations(r, diagnosis, age, sex, method);
    const note = drawNote(r, diagnosis, age, sex, lengthOfStay, died);

    const fields = [
      patientId,
      String(age),
      sex,
      ethnicity,
      isoDate(admissionDay),
      isoDate(admissionDay + lengthOfStay),
      String(lengthOfStay),
      method,
      diagnosis.code,
      fmt(obs.systolic),
      fmt(obs.heartRate),
      fmt(obs.temperature, 1),
      fmt(obs.haemoglobin),
      fmt(obs.crp, 1),
      fmt(obs.hba1c),
      fmt(obs.creatinine),
      died ? 'Yes' : 'No',
      note,
    ];
    lines.push(fields.map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}
