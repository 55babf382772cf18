/** Number and date formatting for the report (the reader's locale). */

const intFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

export const DASH = '—';

export function int(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? DASH : intFormat.format(n);
}

/** 0.873 → "87.3%". */
export function pct(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  return `${(x * 100).toFixed(digits)}%`;
}

/** A share that may be tiny: 0.0004 → "0.04%", 0 → "0%". */
export function share(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  if (x === 0) return '0%';
  const p = x * 100;
  if (p < 0.01) return '<0.01%';
  if (p < 1) return `${p.toFixed(2)}%`;
  return `${p.toFixed(1)}%`;
}

export function fixed(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  const s = x.toFixed(digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s; // no "-0.00"
}

/** A compact label for an axis value: 3 significant digits, thousands grouped, tiny/huge in e-notation. */
export function compact(x: number): string {
  if (!Number.isFinite(x)) return DASH;
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 1e7 || a < 1e-3) return x.toExponential(1);
  if (a >= 1000) return new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 }).format(x);
  return String(Number(x.toPrecision(3)));
}

export function dateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'long', timeStyle: 'short' });
}

export function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
