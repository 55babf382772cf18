import type { Random } from '../random';
import { regenerateIdentifiersAsync } from '../schema/identifiers';
import type { ColumnSchema, Schema } from '../schema/types';
import type { ColumnData, Table } from '../table';
import { spreadQuantile, spreadRank, spreadSampler, type EntityModelState } from './model';
import { yieldToEventLoop } from '../event-loop';

/**
 * Synthetic rows grouped into entities of the real shape, whatever generator drew them:
 *
 * 1. A plan, before any row is drawn: entity after entity, its rows (rows per entity from the
 *    model), its nested entities (how many per parent, how many rows without a nested key, their
 *    rows split in proportion to draws of rows per nested entity), and each row's date offset from
 *    the entity's first date. An entity's rows are written together, in date order.
 * 2. Rows: the generator draws a pool of candidate rows per chunk (POOL_FACTOR times the rows
 *    needed when entities have learned constant columns). An entity's first row (its head) is any
 *    candidate; each later row is a candidate with the same categorical constants as the head
 *    when the pool holds one (conditional sampling by rejection from the pool, so the row's other
 *    columns fit the constants), otherwise the next candidate with the head's constants written
 *    over it (counted as `overwritten`). Numeric constants are always copied from the head.
 * 3. Dates: the head's sequence date anchors the entity; every other row moves to anchor + its
 *    planned offset, together with the row's other non-constant dates (so a row's own date
 *    differences, and the rules on them, stay).
 * 4. Keys: new values per entity, in the column's format, never a real one (numeric keys outside
 *    the real range when it is known; else avoiding the real values given, or by format).
 *
 * A row that breaks an enforced rule after steps 2 and 3 is replaced by another candidate, at most
 * RULE_RETRIES times; rows still broken are counted, never dropped.
 */

export const POOL_FACTOR = 4;
const RULE_RETRIES = 4;

export interface EntityPlan {
  rows: number;
  /** Per level: the entity of each output row (-1: no key at that level). */
  codes: Int32Array[];
  /** Per level: entities planned, and the first output row of each (its head). */
  counts: number[];
  heads: Int32Array[];
  /** Each row's planned offset from its top entity's first date. */
  offset: Float64Array;
  /** An entity cut short by the end of the output (asked for fewer rows than it holds). */
  truncated: boolean;
}

/** Plan the entity structure of `rows` output rows. */
export function planEntities(state: EntityModelState, rows: number, random: Random): EntityPlan {
  const L = state.levels.length;
  const rowsOf = state.levels.map((l) => spreadSampler(l.rows, true));
  const perParent = state.levels.map((l) => (l.perParent ? spreadSampler(l.perParent, true) : undefined));
  const loose = state.levels.map((l) => (l.looseShare ? spreadSampler(l.looseShare, false) : undefined));
  const spanAt = state.levels.map((l) => (state.sequence && l.span ? spreadQuantile(l.span) : undefined));
  const rank = state.levels.map((l) => spreadRank(l.rows));
  const rowAt = state.levels.map((l) => (state.sequence && l.rowPosition ? spreadSampler(l.rowPosition, false) : undefined));
  const childAt = state.levels.map((l) => (state.sequence && l.childPosition ? spreadSampler(l.childPosition, false) : undefined));
  const codes = state.levels.map(() => new Int32Array(rows).fill(-1));
  const offset = new Float64Array(rows);
  const next = new Array<number>(L).fill(0);
  // A draw that is not a finite number (a damaged or hand-edited model file) reads as `fallback`:
  // an entity of NaN rows would build no row, and the plan would then make entities without end.
  const draw = (sampler: ((r: Random) => number) | undefined, fallback = 0): number => {
    const v = sampler ? sampler(random) : fallback;
    return Number.isFinite(v) ? v : fallback;
  };

  interface Item {
    codes: number[];
    offset: number;
  }
  const build = (j: number, size: number, base: number, above: number[]): Item[] => {
    const own = [...above, next[j]++];
    const items: Item[] = [];
    let children = 0;
    let looseRows = size;
    if (j + 1 < L) {
      children = Math.min(size, Math.max(0, Math.round(draw(perParent[j + 1]))));
      if (children > 0) looseRows = Math.min(size - children, Math.round(Math.min(1, Math.max(0, draw(loose[j + 1]))) * size));
    }
    const pad = new Array<number>(L - own.length).fill(-1);
    // The span follows the entity's size (rank for rank: more rows, a longer stay).
    const span = spanAt[j] && size > 1 ? spanAt[j]!(rank[j](size, random)) : 0;
    for (let i = 0; i < looseRows; i++) items.push({ codes: [...own, ...pad], offset: base + span * draw(rowAt[j]) });
    if (children > 0) {
      const sizes = apportion(size - looseRows, Array.from({ length: children }, () => Math.max(1, draw(rowsOf[j + 1], 1))));
      for (const s of sizes) items.push(...build(j + 1, s, base + span * draw(childAt[j]), own));
    }
    // The entity's first date is its base: its earliest row moves there, the rest with it.
    if (state.sequence && items.length) {
      let min = Infinity;
      for (const item of items) min = Math.min(min, item.offset);
      for (const item of items) item.offset += base - min;
    }
    return items;
  };

  let at = 0;
  let truncated = false;
  while (at < rows) {
    let size = Math.max(1, Math.round(draw(rowsOf[0], 1)));
    if (size > rows - at) {
      size = rows - at;
      truncated = true;
    }
    const items = build(0, size, 0, []);
    // Written in date order; without a sequence, as built (nested entities together).
    if (state.sequence) items.sort((a, b) => a.offset - b.offset);
    for (const item of items) {
      for (let j = 0; j < L; j++) codes[j][at] = item.codes[j];
      offset[at] = item.offset;
      at++;
    }
  }
  const heads = state.levels.map((_, j) => {
    const first = new Int32Array(next[j]).fill(-1);
    for (let r = 0; r < rows; r++) {
      const e = codes[j][r];
      if (e >= 0 && first[e] < 0) first[e] = r;
    }
    return first;
  });
  return { rows, codes, counts: next, heads, offset, truncated };
}

/** Split `total` rows over children in proportion to `weights`, each at least 1 (largest remainders). */
export function apportion(total: number, weights: number[]): number[] {
  const c = weights.length;
  const extra = total - c;
  const sum = weights.reduce((a, b) => a + b, 0);
  const even = !(sum > 0 && Number.isFinite(sum));
  const exact = weights.map((w) => (even ? extra / c : (extra * w) / sum));
  const sizes = exact.map((x) => 1 + Math.floor(x));
  let left = total - sizes.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0; k = (k + 1) % c, left--) sizes[order[k][1]]++;
  return sizes;
}

/**
 * `count` new keys for `column`, none equal to a real key: whole-number keys are drawn outside the
 * real [min, max] when the schema knows it (same width, wider if the width is full), others avoid
 * `avoid` (the real values, when generating from the real file).
 */
export async function freshKeys(column: ColumnSchema, count: number, random: Random, avoid: readonly string[] = [], signal?: AbortSignal): Promise<string[]> {
  const info = column.identifier!;
  const pattern = info.pattern ?? '';
  if ((info.type === 'unique-key' || info.type === 'zero-padded') && typeof column.min === 'number' && typeof column.max === 'number' && /^d+$/.test(pattern) && info.type === 'unique-key') {
    const min = column.min;
    const max = column.max;
    for (let width = pattern.length; width <= 15; width++) {
      const low = 10 ** (width - 1);
      const high = 10 ** width - 1;
      const below = Math.max(0, Math.min(min - 1, high) - low + 1);
      const above = Math.max(0, high - Math.max(max + 1, low) + 1);
      if (below + above < 4 * count) continue;
      const seen = new Set<number>();
      const out: string[] = [];
      for (let attempts = 1; out.length < count; attempts++) {
        // A turn for the event loop now and then, so that cancelling is honoured promptly.
        if (attempts % 4096 === 0) {
          await yieldToEventLoop();
          if (signal?.aborted) throw signal.reason ?? new Error('cancelled');
        }
        const k = random.int(below + above);
        const v = k < below ? low + k : Math.max(max + 1, low) + (k - below);
        if (seen.has(v)) continue;
        seen.add(v);
        out.push(String(v));
      }
      return out;
    }
  }
  return regenerateIdentifiersAsync(info, count, random, { sample: [...avoid] }, signal);
}

interface LevelColumns {
  categorical: number[];
  numeric: number[];
}

interface Head {
  categorical: (string | null)[];
  numeric: number[];
}

export interface AssemblyStats {
  /** Rows whose categorical constants were written over (no candidate in the pool matched). */
  overwritten: number;
  /** Rows replaced because they broke an enforced rule after grouping, and rows still broken. */
  replaced: number;
  stillBroken: number;
}

/** Rows, chunk by chunk, grouped into the planned entities. */
export class EntityAssembler {
  readonly plan: EntityPlan;
  readonly stats: AssemblyStats = { overwritten: 0, replaced: 0, stillBroken: 0 };
  private readonly columns: LevelColumns[];
  private readonly keys: Map<string, { level: number; values: string[] }>;
  private readonly constantIdentifiers = new Map<string, number>();
  private readonly heads: Map<number, Head>[];
  private readonly seq: number;
  private readonly shifted: { index: number; factor: number; whole: boolean }[];
  private readonly seqWhole: boolean;
  private topEntity = -1;
  private anchor = NaN;
  private readonly matching: boolean;

  /** An assembler for `rows` rows, its entities planned and their new keys drawn (cancellable by `signal`). */
  static async create(
    state: EntityModelState,
    schema: Schema,
    rows: number,
    random: Random,
    avoid?: ReadonlyMap<string, readonly string[]>,
    signal?: AbortSignal,
  ): Promise<EntityAssembler> {
    const plan = planEntities(state, rows, random.fork());
    const keyRandom = random.fork();
    const keys = new Map<string, { level: number; values: string[] }>();
    for (const [j, l] of state.levels.entries()) {
      const column = schema.columns.find((c) => c.name === l.key)!;
      keys.set(l.key, { level: j, values: await freshKeys(column, plan.counts[j], keyRandom, avoid?.get(l.key), signal) });
    }
    return new EntityAssembler(state, schema, plan, keys);
  }

  private constructor(
    private readonly state: EntityModelState,
    private readonly schema: Schema,
    plan: EntityPlan,
    keys: Map<string, { level: number; values: string[] }>,
  ) {
    this.plan = plan;
    this.keys = keys;
    const index = new Map(schema.columns.map((c, i) => [c.name, i]));
    this.columns = state.levels.map((l) => {
      const cols = l.constant.map((n) => index.get(n)).filter((i): i is number => i !== undefined);
      return {
        categorical: cols.filter((i) => schema.columns[i].kind === 'categorical' || schema.columns[i].kind === 'boolean'),
        numeric: cols.filter((i) => schema.columns[i].kind !== 'categorical' && schema.columns[i].kind !== 'boolean'),
      };
    });
    this.matching = this.columns.some((c) => c.categorical.length > 0);
    state.levels.forEach((l, j) => l.constantIdentifiers.forEach((n) => this.constantIdentifiers.set(n, j)));
    this.heads = state.levels.map(() => new Map());
    const seqColumn = state.sequence === undefined ? undefined : schema.columns[index.get(state.sequence) ?? -1];
    this.seq = seqColumn ? seqColumn.index : -1;
    const seconds = (c: ColumnSchema): number => (c.kind === 'datetime' ? 86400 : 1);
    this.seqWhole = seqColumn?.kind === 'date';
    this.shifted = seqColumn
      ? state.shifted
          .map((n) => schema.columns[index.get(n) ?? -1])
          .filter((c): c is ColumnSchema => c !== undefined && c.index !== this.seq)
          .map((c) => ({ index: c.index, factor: seconds(c) / seconds(seqColumn), whole: c.kind === 'date' }))
      : [];
  }

  /** Whether the assembler writes the column's values: a number constant within entities, the sequence date, or a date shifted with it. */
  setsColumn(index: number): boolean {
    return index === this.seq || this.shifted.some((s) => s.index === index) || this.columns.some((c) => c.numeric.includes(index));
  }

  /** Candidate rows to draw for `n` output rows. */
  poolSize(n: number): number {
    return this.matching ? POOL_FACTOR * n + 16 : n;
  }

  /** Whether `name` is an entity key, or an identifier constant within entities. */
  ownsIdentifier(name: string): boolean {
    return this.keys.has(name) || this.constantIdentifiers.has(name);
  }

  /** Whether `name` is an identifier constant within entities (not a key). */
  constantIdentifier(name: string): boolean {
    return this.constantIdentifiers.has(name);
  }

  /**
   * Texts of an identifier column for output rows [start, start + n): entity keys are the planned
   * entity's new key; identifiers constant within an entity repeat its head row's `perRow` value.
   */
  identifierTexts(name: string, start: number, n: number, perRow: readonly (string | null)[] | undefined): (string | null)[] {
    const key = this.keys.get(name);
    const out = new Array<string | null>(n);
    if (key) {
      const codes = this.plan.codes[key.level];
      for (let i = 0; i < n; i++) out[i] = codes[start + i] >= 0 ? key.values[codes[start + i]] : null;
      return out;
    }
    const level = this.constantIdentifiers.get(name)!;
    const codes = this.plan.codes[level];
    const heads = this.plan.heads[level];
    for (let i = 0; i < n; i++) {
      const e = codes[start + i];
      out[i] = perRow ? perRow[e >= 0 ? heads[e] : start + i] : null;
    }
    return out;
  }

  /**
   * Output rows [start, start + n) from `pool` (m candidate rows, decoded, rules applied).
   * `ruleTest` builds the enforced rules' row test over the output columns.
   */
  assemble(pool: ColumnData[], m: number, start: number, n: number, ruleTest?: (table: Table) => (row: number) => boolean): ColumnData[] {
    const out: ColumnData[] = pool.map((c) => {
      if (c.type === 'numeric') return { type: 'numeric', values: new Float64Array(n) };
      if (c.type === 'categorical') return { type: 'categorical', codes: new Int32Array(n), levels: c.levels.slice() };
      return c;
    });
    const test = ruleTest?.({ rowCount: n, columns: out, rowIndex: new Int32Array(0) });
    const used = new Uint8Array(m);
    let sequential = 0;
    const nextFree = (): number => {
      while (sequential < m && used[sequential]) sequential++;
      return sequential < m ? sequential : -1;
    };
    const indexes = new Map<number, Map<string, number[]>>();
    const tupleOf = (columns: ColumnData[], row: number, which: number[]): string =>
      which
        .map((c) => {
          const col = columns[c] as { codes: Int32Array; levels: string[] };
          return col.codes[row] < 0 ? '\u0000' : col.levels[col.codes[row]];
        })
        .join('\u0001');
    const indexFor = (mask: number, which: number[]): Map<string, number[]> => {
      let index = indexes.get(mask);
      if (!index) {
        index = new Map();
        for (let q = m - 1; q >= 0; q--) {
          const key = tupleOf(pool, q, which);
          const list = index.get(key);
          if (list) list.push(q);
          else index.set(key, [q]);
        }
        indexes.set(mask, index);
      }
      return index;
    };
    const L = this.state.levels.length;
    for (let i = 0; i < n; i++) {
      const p = start + i;
      this.currentRow = p;
      const top = this.plan.codes[0][p];
      if (top !== this.topEntity) {
        // A new top entity: the heads of the last one's entities are done with.
        this.topEntity = top;
        this.anchor = NaN;
        for (const heads of this.heads) heads.clear();
      }
      let mask = 0;
      const required: number[] = [];
      for (let j = 0; j < L; j++) {
        const e = this.plan.codes[j][p];
        if (e >= 0 && this.heads[j].has(e)) {
          mask |= 1 << j;
          required.push(...this.columns[j].categorical);
        }
      }
      let candidate = -1;
      let matched = required.length === 0;
      if (required.length) {
        const want = this.headTuple(mask);
        const list = indexFor(mask, required).get(want);
        while (list?.length && candidate < 0) {
          const q = list.pop()!;
          if (!used[q]) candidate = q;
        }
        matched = candidate >= 0;
      }
      if (candidate < 0) candidate = nextFree();
      if (candidate < 0) throw new Error('entity assembly ran out of candidate rows');
      this.place(pool, candidate, out, i, p, mask);
      used[candidate] = 1;
      if (!matched) this.stats.overwritten++;
      if (test && !test(i)) {
        let fixed = false;
        for (let attempt = 0; attempt < RULE_RETRIES && !fixed; attempt++) {
          const other = nextFree();
          if (other < 0) break;
          used[other] = 1;
          this.place(pool, other, out, i, p, mask);
          this.stats.replaced++;
          fixed = test(i);
        }
        if (!fixed) this.stats.stillBroken++;
      }
      // This row heads the entities it opens: their constants are its values.
      for (let j = 0; j < L; j++) {
        const e = this.plan.codes[j][p];
        if (e >= 0 && !this.heads[j].has(e)) this.heads[j].set(e, this.readHead(out, i, j));
      }
      // The entity's first row with a date anchors it (its planned offset taken back).
      if (this.seq >= 0 && !Number.isFinite(this.anchor)) this.anchor = (out[this.seq] as { values: Float64Array }).values[i] - this.plan.offset[p];
    }
    return out;
  }

  /** The categorical constants of the current row's entities in `mask`, level by level (as `required` lists them). */
  private headTuple(mask: number): string {
    const values: string[] = [];
    for (let j = 0; j < this.state.levels.length; j++) {
      if (mask & (1 << j)) values.push(...this.currentHead(j).categorical.map((v) => (v === null ? '\u0000' : v)));
    }
    return values.join('\u0001');
  }

  private currentRow = -1;

  private currentHead(j: number): Head {
    return this.heads[j].get(this.plan.codes[j][this.currentRow])!;
  }

  /** Copy candidate `q` into output row `i` (plan row `p`), with the constants of the entities in `mask` and the planned date. */
  private place(pool: ColumnData[], q: number, out: ColumnData[], i: number, p: number, mask: number): void {
    this.currentRow = p;
    pool.forEach((c, k) => {
      const o = out[k];
      if (c.type === 'numeric' && o.type === 'numeric') o.values[i] = c.values[q];
      else if (c.type === 'categorical' && o.type === 'categorical') o.codes[i] = c.codes[q];
    });
    for (let j = 0; j < this.state.levels.length; j++) {
      if (!(mask & (1 << j))) continue;
      const head = this.currentHead(j);
      this.columns[j].categorical.forEach((c, k) => {
        const o = out[c] as { codes: Int32Array; levels: string[] };
        const v = head.categorical[k];
        if (v === null) o.codes[i] = -1;
        else {
          let code = o.levels.indexOf(v);
          if (code < 0) code = o.levels.push(v) - 1;
          o.codes[i] = code;
        }
      });
      this.columns[j].numeric.forEach((c, k) => ((out[c] as { values: Float64Array }).values[i] = head.numeric[k]));
    }
    if (this.seq >= 0 && Number.isFinite(this.anchor)) {
      const seq = (out[this.seq] as { values: Float64Array }).values;
      if (Number.isFinite(seq[i])) {
        let delta = this.anchor + this.plan.offset[p] - seq[i];
        if (this.seqWhole) delta = Math.round(delta);
        seq[i] += delta;
        for (const s of this.shifted) {
          const values = (out[s.index] as { values: Float64Array }).values;
          if (Number.isFinite(values[i])) values[i] += s.whole ? Math.round(delta * s.factor) : delta * s.factor;
        }
      }
    }
  }

  private readHead(out: ColumnData[], i: number, j: number): Head {
    return {
      categorical: this.columns[j].categorical.map((c) => {
        const o = out[c] as { codes: Int32Array; levels: string[] };
        return o.codes[i] < 0 ? null : o.levels[o.codes[i]];
      }),
      numeric: this.columns[j].numeric.map((c) => (out[c] as { values: Float64Array }).values[i]),
    };
  }
}

