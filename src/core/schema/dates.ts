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
  time: 'none' | 'hm' | 'hms' | 'hms.sss';
  separator: ' ' | 'T';
  zulu: boolean;
}

const SPECS: FormatSpec[] = [
  { format: 'YYYY-MM-DD', regex: /^(\d{4})-(\d{2})-(\d{2})$/, order: 'ymd', time: 'none', separator: ' ', zulu: false },
  { format: 'DD/MM/YYYY', regex: /^(\d{2})\/(\d{2})\/(\d{4})$/, order: 'dmy', time: 'none', separator: ' ', zulu: false },
  { format: 'MM/DD/YYYY', regex: /^(\d{2})\/(\d{2})\/(\d{4})$/, order: 'mdy', time: 'none', separator: ' ', zulu: false },
  { format: 'YYYY-MM-DD HH:mm:ss', regex: /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/, order: 'ymd', time: 'hms', separator: ' ', zulu: false },
  { format: 'YYYY-MM-DD HH:mm', regex: /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/, order: 'ymd', time: 'hm', separator: ' ', zulu: false },
  { format: 'YYYY-MM-DDTHH:mm:ss', regex: /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/, order: 'ymd', time: 'hms', separator: 'T', zulu: false },
  { format: 'YYYY-MM-DDTHH:mm:ssZ', regex: /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/, order: 'ymd', time: 'hms', separator: 'T', zulu: true },
  { format: 'YYYY-MM-DDTHH:mm:ss.SSS', regex: /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})$/, order: 'ymd', time: 'hms.sss', separator: 'T', zulu: false },
  { format: 'YYYY-MM-DDTHH:mm:ss.SSSZ', regex: /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$/, order: 'ymd', time: 'hms.sss', separator: 'T', zulu: true },
  { format: 'DD/MM/YYYY HH:mm', regex: /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2})$/, order: 'dmy', time: 'hm', separator: ' ', zulu: false },
  { format: 'DD/MM/YYYY HH:mm:ss', regex: /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/, order: 'dmy', time: 'hms', separator: ' ', zulu: false },
  { format: 'MM/DD/YYYY HH:mm', regex: /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2})$/, order: 'mdy', time: 'hm', separator: ' ', zulu: false },
  { format: 'MM/DD/YYYY HH:mm:ss', regex: /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/, order: 'mdy', time: 'hms', separator: ' ', zulu: false },
];

const SPEC_BY_FORMAT = new Map(SPECS.map((s) => [s.format, s]));
export const DATE_FORMATS: readonly DateFormat[] = SPECS.map((s) => s.format);

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
  if (spec.order === 'ymd') {
    y = +match[1];
    m = +match[2];
    d = +match[3];
  } else if (spec.order === 'dmy') {
    d = +match[1];
    m = +match[2];
    y = +match[3];
  } else {
    m = +match[1];
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
  return days * 86400 + hh * 3600 + mm * 60 + ss + ms / 1000;
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;
const pad4 = (n: number): string => String(n).padStart(4, '0');

/** Write a number from `parseDate` back in `format` (rounded to the format's resolution). */
export function formatDate(n: number, format: DateFormat): string {
  const spec = SPEC_BY_FORMAT.get(format)!;
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
  let date: string;
  if (spec.order === 'ymd') date = `${pad4(y)}-${pad2(m)}-${pad2(d)}`;
  else if (spec.order === 'dmy') date = `${pad2(d)}/${pad2(m)}/${pad4(y)}`;
  else date = `${pad2(m)}/${pad2(d)}/${pad4(y)}`;
  if (spec.time === 'none') return date;
  const hh = Math.floor(secondsOfDay / 3600);
  const mi = Math.floor((secondsOfDay % 3600) / 60);
  const ss = secondsOfDay % 60;
  let time = `${pad2(hh)}:${pad2(mi)}`;
  if (spec.time !== 'hm') time += `:${pad2(ss)}`;
  if (spec.time === 'hms.sss') time += '.' + String(ms).padStart(3, '0');
  return date + spec.separator + time + (spec.zulu ? 'Z' : '');
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
