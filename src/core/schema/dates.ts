import type { DateFormat } from './types';

/**
 * Dates are numbers on a stable origin: whole days since 1970-01-01 for `date` columns, seconds
 * since 1970-01-01T00:00:00 (UTC, or naive local time treated as UTC) for `datetime` columns.
 * Calendar arithmetic is done by hand (days-from-civil), so any year 0001-9999 works, including
 * MIMIC's shifted years like 2146, and no time zone of the machine leaks in.
 */

interface FormatSpec {
  format: DateFormat;
  regex: RegExp;
  order: 'ymd' | 'dmy' | 'mdy';
  /** Between day, month and year: `2000-01-03`, `03/01/2000`, `03.01.2000`, `03 Jan 2000`, `20000103`. */
  dateSeparator: '-' | '/' | '.' | ' ' | '';
  /** Month as a number or as its English three-letter name (`Jan`). */
  month: 'number' | 'name';
  /** Day written with two digits (`03`) or without padding (`3`). */
  padDay: boolean;
  time: 'none' | 'hm' | 'hms' | 'hms.sss';
  separator: ' ' | 'T';
  /** `Z` for UTC, or a UTC offset such as `+01:00` (read as the instant it names). */
  zone: 'none' | 'Z' | 'offset';
}

const DAY2 = '(\\d{2})';
const DAY1 = '([1-9]|[12]\\d|3[01])';
const MONTH_NAME = '([A-Za-z]{3})';
const OFFSET = '([+-]\\d{2}(?::?\\d{2})?)';
const TIMES = { none: '', hm: '(\\d{2}):(\\d{2})', hms: '(\\d{2}):(\\d{2}):(\\d{2})', 'hms.sss': '(\\d{2}):(\\d{2}):(\\d{2})\\.(\\d{3})' } as const;

function spec(
  format: DateFormat,
  order: FormatSpec['order'],
  dateSeparator: FormatSpec['dateSeparator'],
  time: FormatSpec['time'] = 'none',
  separator: FormatSpec['separator'] = ' ',
  zone: FormatSpec['zone'] = 'none',
  month: FormatSpec['month'] = 'number',
  padDay = true,
): FormatSpec {
  const sep = dateSeparator === '.' ? '\\.' : dateSeparator === '/' ? '\\/' : dateSeparator;
  const day = padDay ? DAY2 : DAY1;
  const mon = month === 'name' ? MONTH_NAME : '(\\d{2})';
  const date = order === 'ymd' ? `(\\d{4})${sep}${mon}${sep}${day}` : order === 'dmy' ? `${day}${sep}${mon}${sep}(\\d{4})` : `${mon}${sep}${day}${sep}(\\d{4})`;
  const clock = time === 'none' ? '' : separator + TIMES[time];
  const tz = zone === 'Z' ? 'Z' : zone === 'offset' ? OFFSET : '';
  return { format, regex: new RegExp(`^${date}${clock}${tz}$`), order, dateSeparator, month, padDay, time, separator, zone };
}

// Order matters where two formats read the same text: the first is preferred (dd/mm over mm/dd).
const SPECS: FormatSpec[] = [
  spec('YYYY-MM-DD', 'ymd', '-'),
  spec('DD/MM/YYYY', 'dmy', '/'),
  spec('MM/DD/YYYY', 'mdy', '/'),
  spec('YYYY-MM-DD HH:mm:ss', 'ymd', '-', 'hms'),
  spec('YYYY-MM-DD HH:mm', 'ymd', '-', 'hm'),
  spec('YYYY-MM-DDTHH:mm:ss', 'ymd', '-', 'hms', 'T'),
  spec('YYYY-MM-DDTHH:mm:ssZ', 'ymd', '-', 'hms', 'T', 'Z'),
  spec('YYYY-MM-DDTHH:mm:ss.SSS', 'ymd', '-', 'hms.sss', 'T'),
  spec('YYYY-MM-DDTHH:mm:ss.SSSZ', 'ymd', '-', 'hms.sss', 'T', 'Z'),
  spec('DD/MM/YYYY HH:mm', 'dmy', '/', 'hm'),
  spec('DD/MM/YYYY HH:mm:ss', 'dmy', '/', 'hms'),
  spec('MM/DD/YYYY HH:mm', 'mdy', '/', 'hm'),
  spec('MM/DD/YYYY HH:mm:ss', 'mdy', '/', 'hms'),
  spec('YYYY-MM-DDTHH:mm:ss+HH:mm', 'ymd', '-', 'hms', 'T', 'offset'),
  spec('YYYY-MM-DDTHH:mm:ss.SSS+HH:mm', 'ymd', '-', 'hms.sss', 'T', 'offset'),
  spec('YYYY-MM-DD HH:mm:ss+HH:mm', 'ymd', '-', 'hms', ' ', 'offset'),
  spec('DD.MM.YYYY', 'dmy', '.'),
  spec('DD.MM.YYYY HH:mm', 'dmy', '.', 'hm'),
  spec('DD.MM.YYYY HH:mm:ss', 'dmy', '.', 'hms'),
  spec('DD MMM YYYY', 'dmy', ' ', 'none', ' ', 'none', 'name'),
  spec('D MMM YYYY', 'dmy', ' ', 'none', ' ', 'none', 'name', false),
  spec('DD-MMM-YYYY', 'dmy', '-', 'none', ' ', 'none', 'name'),
  spec('D-MMM-YYYY', 'dmy', '-', 'none', ' ', 'none', 'name', false),
  spec('YYYYMMDD', 'ymd', ''),
];

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_BY_NAME = new Map(MONTH_NAMES.map((name, i) => [name.toLowerCase(), i + 1]));

const SPEC_BY_FORMAT = new Map(SPECS.map((s) => [s.format, s]));
export const DATE_FORMATS: readonly DateFormat[] = SPECS.map((s) => s.format);

/** Whether values in `format` carry a UTC offset (`+01:00`), written back from the column's `utcOffset`. */
export function hasUtcOffset(format: DateFormat): boolean {
  return SPEC_BY_FORMAT.get(format)!.zone === 'offset';
}

/** The UTC offset a value ends with, as written (`+01:00`, `-0500`, `+01`). */
export function utcOffsetOf(value: string): string | undefined {
  return /[+-]\d{2}(?::?\d{2})?$/.exec(value)?.[0];
}

function offsetMinutes(offset: string): number {
  const digits = offset.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return offset[0] === '-' ? -minutes : minutes;
}

export function isDatetimeFormat(format: DateFormat): boolean {
  return SPEC_BY_FORMAT.get(format)!.time !== 'none';
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): { y: number; m: number; d: number } {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * Parse `value` in `format`: days since the epoch for date formats, seconds for datetime formats.
 * Returns undefined when the text does not match or is not a real calendar date or time.
 */
export function parseDate(value: string, format: DateFormat): number | undefined {
  const spec = SPEC_BY_FORMAT.get(format)!;
  const match = spec.regex.exec(value);
  if (!match) return undefined;
  let y: number;
  let m: number;
  let d: number;
  const month = (text: string): number => (spec.month === 'name' ? MONTH_BY_NAME.get(text.toLowerCase()) ?? 0 : +text);
  if (spec.order === 'ymd') {
    y = +match[1];
    m = month(match[2]);
    d = +match[3];
  } else if (spec.order === 'dmy') {
    d = +match[1];
    m = month(match[2]);
    y = +match[3];
  } else {
    m = month(match[1]);
    d = +match[2];
    y = +match[3];
  }
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return undefined;
  const days = daysFromCivil(y, m, d);
  if (spec.time === 'none') return days;
  const hh = +match[4];
  const mm = +match[5];
  const ss = spec.time === 'hm' ? 0 : +match[6];
  const ms = spec.time === 'hms.sss' ? +match[7] : 0;
  if (hh > 23 || mm > 59 || ss > 59) return undefined;
  let seconds = days * 86400 + hh * 3600 + mm * 60 + ss + ms / 1000;
  if (spec.zone === 'offset') {
    const offset = match[spec.time === 'hm' ? 6 : spec.time === 'hms' ? 7 : 8];
    const minutes = offsetMinutes(offset);
    if (Math.abs(minutes) > 18 * 60 || +offset.slice(-2) > 59) return undefined;
    seconds -= minutes * 60;
  }
  return seconds;
}

/**
 * The values a date format can write and read back: 0001-01-01 .. 9999-12-31 (end of day for
 * datetimes), in parseDate's units. Public structure of the date kind, not a fact of any file.
 */
export function dateDomain(format: DateFormat): { min: number; max: number } {
  const first = daysFromCivil(1, 1, 1);
  const last = daysFromCivil(9999, 12, 31);
  // 23:59:00, not :59: formats in minutes round 23:59:59 up into year 10000.
  return isDatetimeFormat(format) ? { min: first * 86400, max: last * 86400 + 86340 } : { min: first, max: last };
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;
const pad4 = (n: number): string => String(n).padStart(4, '0');

/**
 * Write a number from `parseDate` back in `format` (rounded to the format's resolution); formats
 * with a UTC offset show the instant in `utcOffset` (as written in the source, default `+00:00`).
 */
export function formatDate(n: number, format: DateFormat, utcOffset = '+00:00'): string {
  const spec = SPEC_BY_FORMAT.get(format)!;
  if (spec.zone === 'offset') n += offsetMinutes(utcOffset) * 60;
  // Last guard: a value past the domain (a model's tail) would print a year no reader accepts.
  const domain = dateDomain(format);
  n = Number.isNaN(n) ? n : Math.min(domain.max, Math.max(domain.min, n));
  let days: number;
  let secondsOfDay = 0;
  let ms = 0;
  if (spec.time === 'none') {
    days = Math.round(n);
  } else {
    const resolution = spec.time === 'hms.sss' ? 1000 : spec.time === 'hm' ? 1 / 60 : 1;
    const units = Math.round(n * resolution);
    const totalSeconds = spec.time === 'hm' ? units * 60 : spec.time === 'hms.sss' ? Math.floor(units / 1000) : units;
    if (spec.time === 'hms.sss') ms = units - totalSeconds * 1000;
    days = Math.floor(totalSeconds / 86400);
    secondsOfDay = totalSeconds - days * 86400;
  }
  const { y, m, d } = civilFromDays(days);
  const sep = spec.dateSeparator;
  const month = spec.month === 'name' ? MONTH_NAMES[m - 1] : pad2(m);
  const day = spec.padDay ? pad2(d) : String(d);
  let date: string;
  if (spec.order === 'ymd') date = `${pad4(y)}${sep}${month}${sep}${day}`;
  else if (spec.order === 'dmy') date = `${day}${sep}${month}${sep}${pad4(y)}`;
  else date = `${month}${sep}${day}${sep}${pad4(y)}`;
  if (spec.time === 'none') return date;
  const hh = Math.floor(secondsOfDay / 3600);
  const mi = Math.floor((secondsOfDay % 3600) / 60);
  const ss = secondsOfDay % 60;
  let time = `${pad2(hh)}:${pad2(mi)}`;
  if (spec.time !== 'hm') time += `:${pad2(ss)}`;
  if (spec.time === 'hms.sss') time += '.' + String(ms).padStart(3, '0');
  return date + spec.separator + time + (spec.zone === 'Z' ? 'Z' : spec.zone === 'offset' ? utcOffset : '');
}

/**
 * Which formats a value could be in. dd/mm and mm/dd share a shape: `a/b/yyyy` with a > 12 can only
 * be dd/mm, with b > 12 only mm/dd; inference narrows the candidates over the whole column.
 */
export function candidateFormats(value: string): DateFormat[] {
  const out: DateFormat[] = [];
  for (const spec of SPECS) if (parseDate(value, spec.format) !== undefined) out.push(spec.format);
  return out;
}
