/** Replaced at build time from package.json; the fallback serves tests run from source. */
declare const __SYNTHETIC_CSV_VERSION__: string | undefined;
export const VERSION: string = typeof __SYNTHETIC_CSV_VERSION__ === 'string' ? __SYNTHETIC_CSV_VERSION__ : '0.0.0-dev';
