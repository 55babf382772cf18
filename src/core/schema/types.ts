/**
 * The schema: what synthetic-csv knows about a CSV file's columns. A versioned JSON document that
 * the user may edit (override a kind, exclude a column, declare facts public); validated by
 * schema/synthetic-csv-schema.json.
 */

export const SCHEMA_VERSION = 1;

export const COLUMN_KINDS = [
  'continuous',
  'integer',
  'categorical',
  'boolean',
  'datetime',
  'date',
  'identifier',
  'text',
  'constant',
] as const;
export type ColumnKind = (typeof COLUMN_KINDS)[number];

/** Kinds the generator learns; the rest are regenerated, left blank or repeated. */
export const MODELLED_KINDS: ReadonlySet<ColumnKind> = new Set([
  'continuous',
  'integer',
  'categorical',
  'boolean',
  'datetime',
  'date',
]);
export const NUMERIC_KINDS: ReadonlySet<ColumnKind> = new Set(['continuous', 'integer', 'datetime', 'date']);

/** How a column's values were written, so output can be written the same way. */
export interface NumberFormat {
  /** Most decimal places seen. */
  decimals: number;
  /** Every value had exactly `decimals` places (e.g. rhc's `12.000000`): pad to it on output. */
  fixed: boolean;
  /** Values were written in scientific notation, e.g. `2.50E-01`. */
  exponent?: { upperCase: boolean; mantissaDecimals: number; exponentDigits: number; explicitPlus: boolean };
  /** The decimal separator when it is not `.`: `,` as in `1,5` (much of Europe). */
  decimalSeparator?: ',';
  /** Digit grouping from 1,000 up: `,` in `1,234.5`, `.` in `1.234,5`, a space in `1 234`. */
  groupSeparator?: GroupSeparator;
  /** Text before the number, such as a currency symbol (`$`, `£`, `€`); after the sign. */
  prefix?: string;
  /** Text after the number, such as `%` or ` €`. Values are read as written: `12.5%` is 12.5. */
  suffix?: string;
  /**
   * Released point masses (pgm): a value that is exactly one of them (the generator draws and
   * decodes them exactly) is written with every digit kept (rhc's bilirubin 1.00976562 as 1.01
   * would put a third of the rows on the wrong side of the real value).
   */
  points?: number[];
}

export const GROUP_SEPARATORS = [',', '.', ' ', '\u00a0', '\u202f', "'"] as const;
export type GroupSeparator = (typeof GROUP_SEPARATORS)[number];

export type DateFormat =
  | 'YYYY-MM-DD'
  | 'DD/MM/YYYY'
  | 'MM/DD/YYYY'
  | 'YYYY-MM-DD HH:mm:ss'
  | 'YYYY-MM-DD HH:mm'
  | 'YYYY-MM-DDTHH:mm:ss'
  | 'YYYY-MM-DDTHH:mm:ssZ'
  | 'YYYY-MM-DDTHH:mm:ss.SSS'
  | 'YYYY-MM-DDTHH:mm:ss.SSSZ'
  | 'DD/MM/YYYY HH:mm'
  | 'DD/MM/YYYY HH:mm:ss'
  | 'MM/DD/YYYY HH:mm'
  | 'MM/DD/YYYY HH:mm:ss'
  | 'YYYY-MM-DDTHH:mm:ss+HH:mm'
  | 'YYYY-MM-DDTHH:mm:ss.SSS+HH:mm'
  | 'YYYY-MM-DD HH:mm:ss+HH:mm'
  | 'DD.MM.YYYY'
  | 'DD.MM.YYYY HH:mm'
  | 'DD.MM.YYYY HH:mm:ss'
  | 'DD MMM YYYY'
  | 'D MMM YYYY'
  | 'DD-MMM-YYYY'
  | 'D-MMM-YYYY'
  | 'YYYYMMDD';

export type IdentifierType =
  | 'row-index'
  | 'unique-key'
  | 'uuid'
  | 'zero-padded'
  | 'nhs-number'
  | 'email'
  | 'phone'
  | 'postcode'
  | 'person-name'
  | 'ssn';

export interface IdentifierInfo {
  type: IdentifierType;
  /** Direct identifiers name a person (NHS number, email, phone, postcode, name, SSN). */
  direct: boolean;
  /** drop: absent from the output; regenerate: fresh values in the same format, never learned. */
  handling: 'drop' | 'regenerate';
  /** Shape of the values for regeneration, e.g. `ddd-dd-dddd` or a fixed width. */
  pattern?: string;
  /** Typical length (for zero-padded and unique keys). */
  length?: number;
  /** Why this was flagged, in words. */
  reason: string;
}

export interface CategoryCount {
  value: string;
  count: number;
}

export interface ColumnSchema {
  name: string;
  /** The header text in the file when it differs from `name` (unnamed or duplicate headers). */
  header?: string;
  /** 0-based position in the file. */
  index: number;
  kind: ColumnKind;
  /** The kind inference chose, kept when the user overrides `kind`. */
  inferredKind?: ColumnKind;
  /** Leave the column out of the synthetic file. */
  exclude?: boolean;
  missingCount: number;
  missingRate: number;
  /** The token that marked missing values in this column (`''`, `NA`, `NULL`, ...); null if none. */
  missingToken: string | null;
  missingQuoted?: boolean;
  /** How values were quoted in the file: always (every value quoted), never, or only when needed. */
  quoting: 'always' | 'never' | 'as-needed';
  /** Distinct non-missing values; a lower bound when `distinctExact` is false. */
  distinctCount: number;
  distinctExact: boolean;
  /** Numeric and date kinds: smallest and largest value (dates as ISO strings). */
  min?: number | string;
  max?: number | string;
  number?: NumberFormat;
  dateFormat?: DateFormat;
  /** Other date formats some values were written in: read too, written in `dateFormat`. */
  otherDateFormats?: DateFormat[];
  /** Formats with a UTC offset: the offset written in output, as the file wrote it (`+01:00`). */
  utcOffset?: string;
  /** Stray values (such as `Infinity` in a numeric column) read as missing, with a warning. */
  readAsMissing?: string[];
  /** How many values start like a spreadsheet formula (`=`, `+`, `-`, `@`, tab, CR), numbers aside. */
  formulaLike?: number;
  /** Categorical and boolean kinds: every category with its count, most frequent first. */
  categories?: CategoryCount[];
  identifier?: IdentifierInfo;
  /** Text kind: length statistics of the values. */
  text?: { maxLength: number; meanLength: number };
  /**
   * Text kind, in a model's schema: counts of values per length bin and of missing values
   * (placeholder-text.ts), exact or released privately. Absent: the column is left blank.
   */
  placeholderLengths?: number[];
  /**
   * Facts the user declares public knowledge (not learned from the private rows), so they cost no
   * privacy budget. `bounds` applies to numeric and date kinds, `categories` to categorical ones.
   * `observed` bounds are the data's own smallest and largest values (a published range, as a data
   * dictionary gives it): the synthetic column then reaches both (observed-range.ts).
   */
  public?: { bounds?: { min: number | string; max: number | string; observed?: boolean }; categories?: string[] };
  warnings?: string[];
}

export interface Dialect {
  delimiter: string;
  quote: string;
  header: boolean;
  lineEnding: '\n' | '\r\n';
  bom: boolean;
  encoding: 'utf-8';
}

/**
 * Whom the differential-privacy guarantee protects: each row, or each unit (a person) identified by
 * a column, with all of their rows. A unit contributes at most `maxRowsPerUnit` rows (the rest are
 * dropped at random); without it the bound is chosen privately from the data.
 */
export type PrivacyUnit = 'row' | { column: string; maxRowsPerUnit?: number; reason?: string };

export interface Schema {
  $schema?: string;
  version: number;
  generator: string;
  /** The file the schema was inferred from; `bytes` is left out of private releases (an exact fact). */
  source?: { file: string; bytes?: number };
  dialect: Dialect;
  /** Whether the header names were quoted in the file. */
  headerQuoted?: boolean;
  rowCount: number;
  /** Absent means "row". */
  privacyUnit?: PrivacyUnit;
  columns: ColumnSchema[];
  /** Repairs and observations made while reading, in words. */
  notes?: string[];
  /**
   * Logical rules every row should keep (dates in order, computed columns, codes that fix their
   * chapter). Absent: not yet looked for (generation mines them from the training rows); an
   * empty list: none. See src/core/rules/.
   */
  rules?: Rule[];
  /**
   * Keys whose values repeat: each value is one entity (a patient, an admission) owning several
   * rows. Absent: not yet looked for; an empty list: every row stands alone. See src/core/entities/.
   */
  entities?: EntitySpec[];
}

/**
 * An entity: the rows sharing one value of `key`. `parent` names the entity this one is nested in
 * (every admission belongs to one patient). `constant` lists the columns that hold one value within
 * each entity in the real rows (sex, date of birth, treatment arm), kept constant in synthetic ones.
 */
export interface EntitySpec {
  key: string;
  parent?: string;
  constant: string[];
  /** A date or date-time column whose order and spacing within the entity are kept. */
  sequence?: string;
  source: 'inferred' | 'declared';
  /** Why inference chose (or would not force) this structure, in words. */
  why?: string;
}

export const RULE_KINDS = ['determines', 'order', 'difference', 'sum', 'missingWhen'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

interface RuleCommon {
  /** `inferred`: proposed by schema inference from the rows; `declared`: stated by the user (public). */
  source: 'inferred' | 'declared';
  /** true: kept by construction in every synthetic row; false: soft, only reported. */
  enforce: boolean;
  /** Share of the real rows that keep the rule (when it was measured). */
  realShare?: number;
}

/**
 * `from` fixes `to`: each value of `from` (or each value in `when`) goes with one value of `to`
 * (education → education_num, a code → its chapter, admission method Maternity → sex F).
 * `combinations` lists the pairs when declared; otherwise they are learned with the model.
 */
export interface DeterminesRule extends RuleCommon {
  kind: 'determines';
  from: string;
  to: string;
  when?: string[];
  combinations?: [string, string][];
}

/** `low` ≤ `high` (< when strict) wherever both are present. */
export interface OrderRule extends RuleCommon {
  kind: 'order';
  low: string;
  high: string;
  strict?: boolean;
}

/** `column` = of[0] − of[1] (difference) or of[0] + of[1] (sum); date differences in days (seconds for date-times). */
export interface ArithmeticRule extends RuleCommon {
  kind: 'difference' | 'sum';
  column: string;
  of: [string, string];
}

/**
 * `column` is missing unless `parent` has one of `presentOnlyWhen` (death date only when died =
 * Yes); without `presentOnlyWhen`, unless `parent` has a value (support2's dnrday wherever dnr is
 * missing), which no value of the parent can break, a DP run's "Other" included.
 */
export interface MissingWhenRule extends RuleCommon {
  kind: 'missingWhen';
  column: string;
  parent: string;
  presentOnlyWhen?: string[];
}

export type Rule = DeterminesRule | OrderRule | ArithmeticRule | MissingWhenRule;
