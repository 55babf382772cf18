/**
 * The shape of entities (patients, admissions: the rows sharing one key value) in a real and a
 * synthetic file: rows per entity, keys nested in their parent, columns constant within an
 * entity, synthetic keys that are real ones, and the order and spacing of dates within an entity.
 *
 * Key columns are identifiers, which tables do not load, so the columns an entity needs are read
 * from the files themselves as 53-bit hashes (numbers and dates as their values). Memory is a few
 * 8-byte numbers per row; beyond MAX_ENTITY_ROWS rows, whole entities are sampled by the hash of
 * their top-level key, the same way in both files (a synthetic key equal to a real one is kept
 * or left out with it).
 */
import { readCsv } from '../csv/reader';
import { parseNumericValue } from '../schema/format';
import { hash53 } from '../schema/hll';
import { isMissingValue, trimValue } from '../schema/infer';
import type { ColumnSchema, EntitySpec, Schema } from '../schema/types';
import { isNumericColumn } from '../table';
import { ksStatistic } from './quality';
import type { EntitiesResult, EntityEvaluation, EntityShare, EntitySizeSummary } from './types';

/** Rows of each file read for the entity measures; more are sampled by entity. */
export const MAX_ENTITY_ROWS = 2_000_000;

/** A constant column's missing value: a value like any other (an entity with M and blank is not constant). */
const MISSING = -Infinity;
const HASH_RANGE = 2 ** 53;

/** The columns the entity measures need, one number per row. */
export interface EntityRows {
  rowCount: number;
  /** Keys: hashes, NaN when missing. Constants: hashes or numbers, MISSING when missing. Sequences: days or seconds, NaN when missing. */
  columns: Map<string, Float64Array>;
  /** Schema columns the file does not hold (a key dropped from the synthetic file). */
  absent: string[];
}

export interface EntityReadOptions {
  /** Data-row numbers to read (the training rows); all rows otherwise. */
  rows?: Int32Array;
  /** Share of top-level entities kept, chosen by key hash (1: all). */
  fraction?: number;
  displayName?: string;
  signal?: AbortSignal;
}

/** Columns an entity list needs, each with how it is read. */
function neededColumns(schema: Schema, specs: EntitySpec[]): Map<string, { column: ColumnSchema; role: 'key' | 'constant' | 'sequence' }> {
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  const needed = new Map<string, { column: ColumnSchema; role: 'key' | 'constant' | 'sequence' }>();
  const add = (name: string | undefined, role: 'key' | 'constant' | 'sequence', spec: EntitySpec): void => {
    if (name === undefined || needed.has(name)) return;
    const column = byName.get(name);
    if (!column) throw new Error(`the schema's entity "${spec.key}" names a column "${name}" that is not in the schema`);
    needed.set(name, { column, role });
  };
  for (const spec of specs) {
    add(spec.key, 'key', spec);
    add(spec.parent, 'key', spec);
    spec.constant.forEach((c) => add(c, 'constant', spec));
    add(spec.sequence, 'sequence', spec);
  }
  return needed;
}

/** The top-level key of each entity's chain (its parent's parent ...): what sampling goes by. */
function rootKey(specs: EntitySpec[]): string | undefined {
  const parentOf = new Map<string, string | undefined>(specs.map((s) => [s.key, s.parent]));
  let key: string | undefined = specs[0]?.key;
  for (let guard = 0; key !== undefined && guard <= specs.length; guard++) {
    const parent = parentOf.get(key);
    if (parent === undefined) break;
    key = parent;
  }
  return key;
}

/** Read the columns the entities need from a file (streamed; errors name the file and line). */
export async function readEntityRows(file: string, schema: Schema, specs: EntitySpec[], options: EntityReadOptions = {}): Promise<EntityRows> {
  const needed = [...neededColumns(schema, specs).entries()];
  const root = rootKey(specs);
  const limit = (options.fraction ?? 1) * HASH_RANGE;
  // Rows are matched in one walk through the file: in file order (a table subset may not be).
  const wanted = options.rows && options.rows.some((r, i) => i > 0 && r < options.rows![i - 1]) ? options.rows.slice().sort() : options.rows;
  let capacity = wanted ? wanted.length : Math.max(1024, schema.rowCount);
  if (options.fraction !== undefined && options.fraction < 1) capacity = Math.ceil(capacity * options.fraction * 1.2) + 1024;
  let arrays = needed.map(() => new Float64Array(capacity));
  let positions: number[] = [];
  let rootPosition = -1;
  let loaded = 0;
  let dataRow = 0;
  let next = 0;
  await readCsv(
    file,
    (fields) => {
      const row = dataRow++;
      if (wanted) {
        if (next >= wanted.length || wanted[next] !== row) return;
        next++;
      }
      if (limit < HASH_RANGE && rootPosition >= 0) {
        const value = trimValue(fields[rootPosition] ?? '');
        if (!isMissingValue(value) && hash53(value) >= limit) return;
      }
      if (loaded === capacity) {
        capacity *= 2;
        arrays = arrays.map((a) => {
          const grown = new Float64Array(capacity);
          grown.set(a);
          return grown;
        });
      }
      needed.forEach(([, { column, role }], i) => {
        const position = positions[i];
        const value = position >= 0 ? trimValue(fields[position] ?? '') : '';
        const missing = position < 0 || isMissingValue(value, column);
        let x: number;
        if (role === 'key') x = missing ? NaN : hash53(value);
        else if (role === 'sequence') x = missing ? NaN : (parseNumericValue(column, value) ?? NaN);
        else if (missing) x = MISSING;
        else if (isNumericColumn(column)) x = parseNumericValue(column, value) ?? hash53(value);
        else x = hash53(value);
        arrays[i][loaded] = x;
      });
      loaded++;
    },
    {
      header: schema.dialect.header,
      ...(options.displayName !== undefined ? { displayName: options.displayName } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onHeader: (header) => {
        const index = new Map(header.names.map((n, i) => [n, i]));
        positions = needed.map(([name, { column }]) => index.get(name) ?? index.get(column.header ?? '\u0000') ?? -1);
        rootPosition = root === undefined ? -1 : positions[needed.findIndex(([name]) => name === root)];
      },
    },
  );
  return {
    rowCount: loaded,
    columns: new Map(needed.map(([name], i) => [name, arrays[i].slice(0, loaded)])),
    absent: needed.filter((_, i) => positions[i] < 0).map(([name]) => name),
  };
}

/** Rows grouped by entity: each row's entity number, and the rows of entity e at order[start[e] .. start[e + 1]). */
interface Grouping {
  entityOfRow: Int32Array;
  entities: number;
  /** Distinct key hashes, sorted; entity e has key keys[e]. */
  keys: Float64Array;
  start: Int32Array;
  order: Int32Array;
}

function groupRows(keys: Float64Array): Grouping {
  const present = keys.filter((k) => k === k).sort();
  let distinct = 0;
  for (let i = 0; i < present.length; i++) if (i === 0 || present[i] !== present[i - 1]) present[distinct++] = present[i];
  const unique = present.slice(0, distinct);
  const entityOfRow = new Int32Array(keys.length);
  const counts = new Int32Array(distinct + 1);
  for (let r = 0; r < keys.length; r++) {
    const k = keys[r];
    const e = k === k ? search(unique, k) : -1;
    entityOfRow[r] = e;
    if (e >= 0) counts[e + 1]++;
  }
  const start = new Int32Array(distinct + 1);
  for (let e = 0; e < distinct; e++) start[e + 1] = start[e] + counts[e + 1];
  const fill = start.slice(0, distinct);
  const order = new Int32Array(start[distinct]);
  for (let r = 0; r < keys.length; r++) if (entityOfRow[r] >= 0) order[fill[entityOfRow[r]]++] = r;
  return { entityOfRow, entities: distinct, keys: unique, start, order };
}

function search(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else if (sorted[mid] > x) hi = mid - 1;
    else return mid;
  }
  return -1;
}

function sizesOf(g: Grouping): Float64Array {
  const sizes = new Float64Array(g.entities);
  for (let e = 0; e < g.entities; e++) sizes[e] = g.start[e + 1] - g.start[e];
  return sizes;
}

function summarise(sizes: Float64Array): EntitySizeSummary {
  if (!sizes.length) return { entities: 0, rows: 0, min: null, median: null, mean: null, max: null, single: 0 };
  const sorted = sizes.slice().sort();
  let rows = 0;
  let single = 0;
  for (const s of sorted) {
    rows += s;
    if (s === 1) single++;
  }
  const mid = sorted.length >> 1;
  return {
    entities: sorted.length,
    rows,
    min: sorted[0],
    median: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2,
    mean: rows / sorted.length,
    max: sorted[sorted.length - 1],
    single,
  };
}

/**
 * Bins for rows per entity: one per count up to 10 when the largest entity is small, else
 * 1, 2, 3, 4, 5, 6-10, 11-20, 21-50, 51-100, ... (1-2-5 steps), up to the largest on either side.
 */
export function sizeBins(largest: number): { labels: string[]; upper: number[] } {
  const upper: number[] = [];
  if (largest <= 12) for (let k = 1; k <= Math.max(1, largest); k++) upper.push(k);
  else {
    for (let k = 1; k <= 5; k++) upper.push(k);
    for (let scale = 10; upper[upper.length - 1] < largest; scale *= 10) for (const m of [1, 2, 5]) if (upper[upper.length - 1] < largest) upper.push(m * scale);
  }
  const labels = upper.map((u, i) => {
    const low = i === 0 ? 1 : upper[i - 1] + 1;
    return low === u ? String(u) : `${low.toLocaleString('en-GB')}–${u.toLocaleString('en-GB')}`;
  });
  return { labels, upper };
}

function histogram(sizes: Float64Array, upper: number[]): number[] {
  const counts = new Array<number>(upper.length).fill(0);
  for (const s of sizes) {
    let b = 0;
    while (b < upper.length - 1 && s > upper[b]) b++;
    counts[b]++;
  }
  return counts.map((c) => (sizes.length ? c / sizes.length : 0));
}

/** Share of entities (with at least `minRows` rows) for which `holds` is true. */
function shareOf(g: Grouping, minRows: number, holds: (e: number) => boolean): EntityShare {
  let entities = 0;
  let kept = 0;
  for (let e = 0; e < g.entities; e++) {
    if (g.start[e + 1] - g.start[e] < minRows) continue;
    entities++;
    if (holds(e)) kept++;
  }
  return { share: entities ? kept / entities : null, entities, broken: entities - kept };
}

/** Whether the rows of entity e hold one value of `values` (missing as a value unless `skipMissing`). */
function oneValue(g: Grouping, values: Float64Array, e: number, skipMissing: boolean): boolean {
  let first = NaN;
  for (let i = g.start[e]; i < g.start[e + 1]; i++) {
    const x = values[g.order[i]];
    if (skipMissing && x !== x) continue;
    if (first !== first) first = x;
    else if (x !== first) return false;
  }
  return true;
}

function ksComplement(a: Float64Array, b: Float64Array): number | null {
  const d = ksStatistic(a, b);
  return Number.isFinite(d) ? 1 - d : null;
}

interface SequenceFacts {
  ordered: EntityShare;
  spans: Float64Array;
  gaps: Float64Array;
}

/** Dates within each entity of 2+ dated rows: in file order or not, the span, and the gaps between consecutive dates. */
function sequenceFacts(g: Grouping, dates: Float64Array): SequenceFacts {
  const spans: number[] = [];
  const gaps: number[] = [];
  const ordered = shareOf(g, 2, (e) => {
    const own: number[] = [];
    let inOrder = true;
    for (let i = g.start[e]; i < g.start[e + 1]; i++) {
      const x = dates[g.order[i]];
      if (x !== x) continue;
      if (own.length && x < own[own.length - 1]) inOrder = false;
      own.push(x);
    }
    if (own.length < 2) return true;
    const sorted = Float64Array.from(own).sort();
    spans.push(sorted[sorted.length - 1] - sorted[0]);
    for (let i = 1; i < sorted.length; i++) gaps.push(sorted[i] - sorted[i - 1]);
    return inOrder;
  });
  return { ordered, spans: Float64Array.from(spans), gaps: Float64Array.from(gaps) };
}

/** The entity measures, from the columns read for each file. */
export function measureEntities(schema: Schema, specs: EntitySpec[], real: EntityRows, synthetic: EntityRows): EntityEvaluation[] {
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  return specs.map((spec): EntityEvaluation => {
    const base = { key: spec.key, ...(spec.parent !== undefined ? { parent: spec.parent } : {}), ...(spec.sequence !== undefined ? { sequence: spec.sequence } : {}) };
    const needed = [spec.key, ...(spec.parent !== undefined ? [spec.parent] : [])];
    const absent = needed.filter((c) => real.absent.includes(c) || synthetic.absent.includes(c));
    if (absent.length) {
      const where = absent.map((c) => `${c} (${real.absent.includes(c) ? 'real' : 'synthetic'} file)`).join(', ');
      return { ...base, unavailable: `the key column${absent.length > 1 ? 's' : ''} ${where} ${absent.length > 1 ? 'are' : 'is'} not in the file` };
    }
    const r = groupRows(real.columns.get(spec.key)!);
    const s = groupRows(synthetic.columns.get(spec.key)!);
    const realSizes = sizesOf(r);
    const syntheticSizes = sizesOf(s);
    const bins = sizeBins(Math.max(realSizes.reduce((a, b) => Math.max(a, b), 0), syntheticSizes.reduce((a, b) => Math.max(a, b), 0)));

    let reused = 0;
    for (let e = 0; e < s.entities; e++) if (search(r.keys, s.keys[e]) >= 0) reused++;

    const result: EntityEvaluation = {
      ...base,
      rowsPerEntity: {
        real: summarise(realSizes),
        synthetic: summarise(syntheticSizes),
        ksComplement: ksComplement(realSizes, syntheticSizes),
        histogram: { labels: bins.labels, real: histogram(realSizes, bins.upper), synthetic: histogram(syntheticSizes, bins.upper) },
      },
      keysReused: { count: reused, share: s.entities ? reused / s.entities : 0 },
      constants: [],
      constantsKept: { real: { share: null, entities: 0, broken: 0 }, synthetic: { share: null, entities: 0, broken: 0 } },
    };

    if (spec.parent !== undefined) {
      // A missing parent says nothing against the nesting; two parent values break it. Over
      // entities of two rows or more: a one-row admission is nested whatever the generator does.
      const nested = (g: Grouping, rows: EntityRows) => shareOf(g, 2, (e) => oneValue(g, rows.columns.get(spec.parent!)!, e, true));
      result.nesting = { parent: spec.parent, real: nested(r, real), synthetic: nested(s, synthetic) };
    }

    // Constant columns are measured over entities of two rows or more: a one-row entity keeps any column.
    const present = spec.constant.filter((c) => !synthetic.absent.includes(c) && !real.absent.includes(c));
    result.constants = present.map((column) => ({
      column,
      real: shareOf(r, 2, (e) => oneValue(r, real.columns.get(column)!, e, false)),
      synthetic: shareOf(s, 2, (e) => oneValue(s, synthetic.columns.get(column)!, e, false)),
    }));
    if (present.length) {
      const all = (g: Grouping, rows: EntityRows) => shareOf(g, 2, (e) => present.every((c) => oneValue(g, rows.columns.get(c)!, e, false)));
      result.constantsKept = { real: all(r, real), synthetic: all(s, synthetic) };
    }
    const notCompared = spec.constant.filter((c) => !present.includes(c));
    if (notCompared.length) result.notes = [`constant column${notCompared.length > 1 ? 's' : ''} ${notCompared.join(', ')} not in both files, not compared`];

    if (spec.sequence !== undefined && !real.absent.includes(spec.sequence) && !synthetic.absent.includes(spec.sequence)) {
      // In days, date-times included (they are read as seconds).
      const scale = byName.get(spec.sequence)?.kind === 'datetime' ? 1 / 86400 : 1;
      const days = (values: Float64Array) => (scale === 1 ? values : values.map((x) => x * scale));
      const a = sequenceFacts(r, days(real.columns.get(spec.sequence)!));
      const b = sequenceFacts(s, days(synthetic.columns.get(spec.sequence)!));
      const median = (xs: Float64Array): number | null => (xs.length ? summarise(xs).median : null);
      result.sequenceShape = {
        column: spec.sequence,
        inFileOrder: { real: a.ordered, synthetic: b.ordered },
        spanKsComplement: ksComplement(a.spans, b.spans),
        gapKsComplement: ksComplement(a.gaps, b.gaps),
        medianSpan: { real: median(a.spans), synthetic: median(b.spans) },
        medianGap: { real: median(a.gaps), synthetic: median(b.gaps) },
      };
    }
    return result;
  });
}

export interface EntityFiles {
  real: string;
  synthetic: string;
  /** Data-row numbers of the real file the synthetic one was learned from (all rows otherwise). */
  realRows?: Int32Array;
  /** Row counts, to choose the sampling fraction before reading. */
  realRowCount: number;
  syntheticRowCount: number;
  names?: { real: string; synthetic: string };
  signal?: AbortSignal;
}

/** Entity shape of a real and a synthetic file, for the schema's entities (undefined when it lists none). */
export async function evaluateEntities(schema: Schema, files: EntityFiles): Promise<EntitiesResult | undefined> {
  const specs = schema.entities ?? [];
  if (!specs.length) return undefined;
  const largest = Math.max(files.realRowCount, files.syntheticRowCount);
  const fraction = largest > MAX_ENTITY_ROWS ? MAX_ENTITY_ROWS / largest : 1;
  const read = (file: string, rows: Int32Array | undefined, name: string | undefined) =>
    readEntityRows(file, schema, specs, { rows, fraction: fraction < 1 ? fraction : undefined, displayName: name, signal: files.signal });
  const real = await read(files.real, files.realRows, files.names?.real);
  const synthetic = await read(files.synthetic, undefined, files.names?.synthetic);
  return {
    entities: measureEntities(schema, specs, real, synthetic),
    ...(fraction < 1
      ? {
          sampled: {
            fraction,
            note: `measured on about ${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)} % of the ${rootKey(specs)} entities (chosen by key, whole entities), to bound time and memory on files of more than ${MAX_ENTITY_ROWS.toLocaleString('en-GB')} rows`,
          },
        }
      : {}),
  };
}
