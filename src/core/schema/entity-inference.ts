import { hash32 } from './hll';
import { detach } from '../random';
import { isMissingValue, trimValue } from './infer';
import { isPersonKey } from './privacy-unit';
import type { ColumnSchema, EntitySpec, Schema } from './types';
import { isModelled } from '../table';

/**
 * Entity inference: which keys' values repeat as entities (a patient, an admission), how they nest,
 * and which columns hold one value within every entity. One extra read of the file (shared with rule
 * mining's), and only when some key column repeats: a file whose keys are all unique is not read
 * again for them.
 *
 * Evidence, from strong to weak:
 * - a person key (privacy-unit.ts: subject_id, patient_id, NHS numbers; or the column the user
 *   named as the privacy unit) whose values repeat: an entity;
 * - a key whose values repeat and that is nested in an entity (every hadm_id belongs to one
 *   subject_id): an entity nested in it;
 * - any other repeating key (an admission id with no patient column, a code shared by several
 *   patients, a key whose values mostly appear once): not forced. The schema's notes say why, and
 *   the user can declare it in `entities`.
 *
 * Bounded work: entities are examined on a hash-chosen subset of at most SAMPLE_CELLS / columns
 * (and ENTITY_SAMPLE_MAX) values per key, each with all of its rows, so memory is O(sampled
 * entities x columns) whatever the file or the size of an entity; time is one read of the file.
 * When the subset is not every entity, the `why` says so ("on 2,000 of 50,000 patients").
 */

/** Identifier types that can key an entity (row indexes, names, phones and postcodes cannot). */
const KEY_TYPES = new Set(['unique-key', 'zero-padded', 'nhs-number', 'uuid', 'ssn', 'email']);
/** Rows per value on average for a key to be said to repeat (as the privacy unit's rule). */
const MIN_ROWS_PER_VALUE = 1.1;
/** A key nested in an entity is an entity itself when at least this share of its values repeat. */
const MIN_REPEATING_SHARE = 0.1;
/** Entities examined per key at most, and entity-column cells in all (memory bound). */
export const ENTITY_SAMPLE_MAX = 5000;
const SAMPLE_CELLS = 2_000_000;
/** Entities with at least two rows needed before a column is called constant within entities. */
const MIN_MULTI_ROW_ENTITIES = 3;

export interface EntityInference {
  entities: EntitySpec[];
  notes: string[];
}

/** Repeating key candidates among the schema's columns (no read needed). */
export function keyCandidates(schema: Schema): ColumnSchema[] {
  return schema.columns.filter((c) => {
    if (c.exclude || c.kind !== 'identifier' || !c.identifier || c.identifier.handling !== 'regenerate' || !KEY_TYPES.has(c.identifier.type)) return false;
    const present = schema.rowCount - c.missingCount;
    return c.distinctCount > 0 && present / c.distinctCount >= MIN_ROWS_PER_VALUE;
  });
}

/** What was seen of one sampled entity: its rows, and each column's first value while it holds. */
interface EntityState {
  rows: number;
  first: (string | null)[];
  varies: Uint8Array;
}

interface KeyScan {
  column: ColumnSchema;
  /** Values with hash below this are examined (2^32: all). */
  threshold: number;
  entities: Map<string, EntityState>;
}

const fmt = (n: number): string => n.toLocaleString('en-GB');

/** Entity inference's work on each data row of a read, and what it finds once all rows are seen. */
export interface EntityScan {
  add: (fields: string[]) => void;
  finish: () => EntityInference;
}

/**
 * The entities of the file whose schema is `schema`, from one read of its rows (shared with the
 * rule pass's); undefined when no key column repeats, and the file need not be read again.
 */
export function entityScan(schema: Schema, personKey?: string): EntityScan | undefined {
  const candidates = keyCandidates(schema);
  if (candidates.length === 0) return undefined;
  const width = schema.columns.length;
  const perKey = Math.max(50, Math.min(ENTITY_SAMPLE_MAX, Math.floor(SAMPLE_CELLS / (width * candidates.length))));
  const scans: KeyScan[] = candidates.map((column) => ({
    column,
    threshold: column.distinctCount <= perKey ? 2 ** 32 : Math.floor((perKey / column.distinctCount) * 2 ** 32),
    entities: new Map(),
  }));
  return {
    add: (fields) => {
      let values: (string | null)[] | undefined;
      for (const scan of scans) {
        const raw = trimValue(fields[scan.column.index] ?? '');
        if (isMissingValue(raw, scan.column)) continue;
        let state = scan.entities.get(raw);
        if (!state) {
          // The hash is a fixed, data-independent choice of which entities to examine.
          if (hash32(raw) >= scan.threshold || scan.entities.size >= 2 * perKey) continue;
          values ??= readValues(fields, schema);
          scan.entities.set(detach(raw), { rows: 1, first: values.map((v) => (v === null ? null : detach(v))), varies: new Uint8Array(width) });
          continue;
        }
        values ??= readValues(fields, schema);
        state.rows++;
        for (let c = 0; c < width; c++) if (!state.varies[c] && state.first[c] !== values[c]) state.varies[c] = 1;
      }
    },
    finish: () => decide(schema, scans, personKey),
  };
}

function readValues(fields: string[], schema: Schema): (string | null)[] {
  return schema.columns.map((c) => {
    const v = trimValue(fields[c.index] ?? '');
    return isMissingValue(v, c) ? null : v;
  });
}

interface KeyFacts {
  column: ColumnSchema;
  sampled: number;
  multiRow: number;
  minRows: number;
  maxRows: number;
  /** Columns (by index) holding one value within every examined multi-row entity. */
  constant: Set<number>;
  exhaustive: boolean;
}

function facts(scan: KeyScan, width: number): KeyFacts {
  let multiRow = 0;
  let minRows = Infinity;
  let maxRows = 0;
  const varies = new Uint8Array(width);
  for (const state of scan.entities.values()) {
    minRows = Math.min(minRows, state.rows);
    maxRows = Math.max(maxRows, state.rows);
    if (state.rows < 2) continue;
    multiRow++;
    for (let c = 0; c < width; c++) varies[c] |= state.varies[c];
  }
  const constant = new Set<number>();
  if (multiRow >= MIN_MULTI_ROW_ENTITIES) for (let c = 0; c < width; c++) if (!varies[c] && c !== scan.column.index) constant.add(c);
  return { column: scan.column, sampled: scan.entities.size, multiRow, minRows, maxRows, constant, exhaustive: scan.threshold >= 2 ** 32 && scan.column.distinctExact };
}

function decide(schema: Schema, scans: KeyScan[], personKey?: string): EntityInference {
  const all = scans.map((s) => facts(s, schema.columns.length));
  const notes: string[] = [];
  const entities: EntitySpec[] = [];
  const accepted = new Map<number, KeyFacts>();
  const weak: { f: KeyFacts; nested: boolean }[] = [];
  // Coarsest first, so a parent is decided before the keys nested in it.
  const order = [...all].sort((a, b) => a.column.distinctCount - b.column.distinctCount);
  const sizeWords = (f: KeyFacts): string =>
    `${f.exhaustive ? '' : `on ${fmt(f.sampled)} of about ${fmt(f.column.distinctCount)} values examined, `}${fmt(f.column.distinctCount)} values, ${f.minRows === f.maxRows ? fmt(f.minRows) : `${fmt(f.minRows)} to ${fmt(f.maxRows)}`} rows each, ${Math.round((100 * f.multiRow) / Math.max(1, f.sampled))} % of them on several rows`;
  for (const f of order) {
    const name = f.column.name;
    const share = f.multiRow / Math.max(1, f.sampled);
    // The finest accepted entity constant within every entity of this key: its parent.
    const parents = [...accepted.values()].filter((p) => f.constant.has(p.column.index) && p.column.distinctCount < f.column.distinctCount);
    const parent = parents.sort((a, b) => b.column.distinctCount - a.column.distinctCount)[0];
    // A column the user named as the privacy unit is a person key, whatever its name.
    const named = name === personKey;
    const person = named || isPersonKey(f.column);
    let why: string | undefined;
    if (f.multiRow < MIN_MULTI_ROW_ENTITIES) {
      notes.push(`Entities: ${name} repeats, but only ${f.multiRow} of its values examined hold several rows: not treated as an entity (too little evidence); declare it under "entities" if rows sharing a ${name} belong together.`);
      continue;
    }
    if (person && !parent) why = `${name} ${named ? 'is the privacy unit' : 'is named like a person key'} and its values repeat: ${sizeWords(f)}`;
    else if (parent && share >= MIN_REPEATING_SHARE) why = `${name} repeats and every ${name} belongs to one ${parent.column.name}: ${sizeWords(f)}`;
    if (!why) {
      weak.push({ f, nested: parent !== undefined });
      continue;
    }
    accepted.set(f.column.index, f);
    const keyIndices = new Set(all.map((k) => k.column.index));
    const constantNames = schema.columns.filter((c, i) => f.constant.has(i) && !keyIndices.has(i) && isModelled(c) && !inheritedConstant(parent, i)).map((c) => c.name);
    const sequence = schema.columns.find((c, i) => (c.kind === 'date' || c.kind === 'datetime') && isModelled(c) && !f.constant.has(i));
    entities.push({
      key: name,
      ...(parent ? { parent: parent.column.name } : {}),
      constant: constantNames,
      ...(sequence ? { sequence: sequence.name } : {}),
      source: 'inferred',
      why: `${why}${constantNames.length ? `; constant within each ${name}: ${constantNames.join(', ')}` : ''}${sequence ? `; rows ordered by ${sequence.name}` : ''}`,
    });
  }
  // Explained once every entity is known: a code shared across patients is told apart.
  for (const { f, nested } of weak) {
    const name = f.column.name;
    const crossing = [...accepted.values()].find((p) => !f.constant.has(p.column.index));
    notes.push(
      `Entities: ${name} repeats (${sizeWords(f)}) but is not treated as an entity: ` +
        (nested
          ? 'most of its values appear once'
          : crossing
            ? `its values are shared across ${crossing.column.name} values, as a code's are, not owned by one`
            : 'it is neither a person key nor nested in one, which is weak evidence') +
        `; declare it under "entities" to keep rows sharing a ${name} together.`,
    );
  }
  return { entities, notes };
}

/** A column constant within the parent is kept constant there already: not listed again. */
function inheritedConstant(parent: KeyFacts | undefined, column: number): boolean {
  return parent !== undefined && parent.constant.has(column);
}
