/**
 * Exact nearest-record search under the SDMetrics DCR distance
 * (`sdmetrics/single_table/privacy/dcr_utils.py::calculate_dcr`).
 *
 * For two rows s (query) and r (reference) and the m compared columns:
 * - numeric / date column: |s - r| / range capped at 1, where range = max - min of the range table
 *   (the real training table); exactly one missing gives 1, both missing give 0;
 * - numeric column whose range is 0 (or that is missing throughout the range table): 1[s != r],
 *   with the same missing rules;
 * - categorical column: 0 when the texts are equal or both are missing, else 1;
 * - distance = sum of the column terms / m.
 * Columns of type 'none' are not compared.
 *
 * `prepareRows` encodes several tables (loaded separately, so with their own category levels) onto
 * one dictionary by text, scales numbers by the range table's min and range, and packs rows into
 * typed arrays. Every term that is 0 or 1 becomes a mismatch of a discrete feature: categorical
 * columns, zero-range numeric columns, and the missingness of each numeric column that has missing
 * values (exactly one missing = a mismatch of that indicator). What is left are the numeric terms
 * between two present values, min(1, |s - r| / range).
 *
 * `nearest` finds, for every query row, the exact nearest reference row(s):
 * 1. Reference rows are sorted by their discrete features (those most likely to differ between two
 *    rows, per distinct value, first) and then by the first numeric column, and a trie is built
 *    over the features. A node with at most BUCKET rows is not split further (a bucket), nor is
 *    any node once the trie has 4n nodes; nodes at full depth are leaves sharing one signature.
 *    Every node keeps, for the next LOOKAHEAD levels, a 32-bit mask of the codes below it (a query
 *    code whose bit is absent is a certain mismatch), and the min and max of the first BOX numeric
 *    columns below it.
 * 2. A query walks the trie depth first, its own code first, carrying the mismatch count. A node is
 *    skipped once mismatches + certain mismatches below + distance to its numeric box reach the
 *    current bound (the best distance so far, or the k-th best).
 * 3. In a full-depth leaf the rows are ordered by the first numeric column: binary search puts the
 *    query between two rows and the scan moves outwards, to the closer side first, and stops once
 *    mismatches + |difference in that column| reach the bound. Buckets are scanned row by row.
 *    Numeric terms are added with an early exit once the partial sum reaches the bound.
 * 4. Queries are processed in trie order and each starts from the distance to the previous query's
 *    nearest rows, which tightens the bound early.
 * The index is built once per reference EncodedRows and cached (WeakMap).
 *
 * Cost: close queries (real or good synthetic rows) visit few nodes; queries far from every
 * reference row in many columns (random rows, or synthetic rows of a generator that kept only the
 * marginals of a wide table) approach the brute-force cost n_query x n_reference x m.
 *
 * Every distance is summed in one fixed order (the integer mismatch count, then the numeric terms
 * in encoded order), so partial sums and node bounds are exact lower bounds of the final sum
 * (floating-point addition is monotone) and the result is exactly the minimum of the sums that
 * `nearestNaive` computes by brute force, bit for bit. Numeric values are stored scaled,
 * (v - min) / range, which can differ from SDMetrics' |s - r| / range in the last bit.
 */
import type { Schema } from '../schema/types';
import type { Table } from '../table';

/** How the compared columns of several tables are packed; shared by all of them. */
export interface Encoding {
  /** Schema indices of the numeric columns with a positive range, in encoded (summation) order. */
  numericColumns: number[];
  /** Min and range (from the range table) of each encoded numeric column. */
  min: Float64Array;
  range: Float64Array;
  /** Stored in place of a missing numeric value, far beyond every stored value. */
  missing: Float64Array;
  /**
   * A difference above this means exactly one value of the pair is missing (two present values
   * never differ by this much): that term is carried by the missingness feature instead.
   */
  gap: Float64Array;
  /**
   * Schema indices of the discrete columns: categorical columns, then numeric columns whose range
   * is 0 in the range table. Code 0 means missing; codes >= 1 index `levels[j][code - 1]`.
   */
  discreteColumns: number[];
  /** Shared dictionary per discrete column, most frequent in the range table first. */
  levels: string[][];
  /**
   * Positions (in `numericColumns`) of the numeric columns with missing values in some table. Each
   * has a missingness feature (1 = missing, 0 = present) after the discrete columns.
   */
  missingness: number[];
  /** Number of compared columns: the divisor of the distance. */
  m: number;
}

/** Rows of one table packed for distance computations. */
export interface EncodedRows {
  encoding: Encoding;
  n: number;
  /** n x numericColumns.length, row-major: (value - min) / range, or `encoding.missing[c]`. */
  numeric: Float64Array;
  /**
   * n x (discreteColumns.length + missingness.length), row-major: shared category codes (0 =
   * missing), then missingness indicators.
   */
  discrete: Int32Array;
  /** Row numbers (0-based) in the table the rows came from. */
  rows: Int32Array;
}

export interface NearestOptions {
  /** How many nearest reference rows to track (default 1). */
  k?: number;
  /**
   * Query and reference are the same rows: ignore reference row i when searching for query row i
   * (nearest other record).
   */
  excludeSameIndex?: boolean;
}

export interface NearestResult {
  /** Distance to the nearest reference row (Infinity if there is none). */
  d1: Float64Array;
  /** Index (into the reference EncodedRows) of that row; -1 if there is none. */
  index1: Int32Array;
  /** Distance to the second nearest reference row (when k >= 2). */
  d2?: Float64Array;
  /** Distance to the k-th nearest reference row (equal to d1 when k = 1). */
  dk: Float64Array;
}

/**
 * Encode several tables (same schema) onto one shared encoding. Numeric ranges, level order and the
 * choice of summation order come from `tables[rangeFrom]` (default 0: the real training table).
 * Only rows encoded by one call can be compared. `columns` (schema indices) limits the compared
 * columns to those; the others are left out as if of type 'none'.
 */
export function prepareRows(schema: Schema, tables: Table[], options: { rangeFrom?: number; columns?: readonly number[] } = {}): EncodedRows[] {
  if (tables.length === 0) return [];
  const ref = tables[options.rangeFrom ?? 0];
  if (!ref) throw new Error('prepareRows: rangeFrom does not name one of the tables');
  const numericCandidates: { column: number; min: number; range: number }[] = [];
  const categoricalColumns: number[] = [];
  const constantColumns: number[] = [];
  const only = options.columns ? new Set(options.columns) : undefined;
  for (let i = 0; i < schema.columns.length; i++) {
    if (only && !only.has(i)) continue;
    const type = ref.columns[i]?.type ?? 'none';
    for (const t of tables) {
      if ((t.columns[i]?.type ?? 'none') !== type) {
        throw new Error(`prepareRows: column "${schema.columns[i].name}" has different types in the tables`);
      }
    }
    if (type === 'categorical') categoricalColumns.push(i);
    else if (type === 'numeric') {
      const values = numericValues(ref, i);
      let min = Infinity;
      let max = -Infinity;
      for (let r = 0; r < values.length; r++) {
        const v = values[r];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const range = max - min;
      if (range > 0 && Number.isFinite(range)) numericCandidates.push({ column: i, min, range });
      else constantColumns.push(i);
    }
  }

  // Summation order: numeric columns whose terms are largest on average first, so partial sums
  // reach the bound early; the first one also orders the rows of each leaf.
  const weight = numericCandidates.map((c) => meanPresentTerm(numericValues(ref, c.column), c.range));
  const orderIdx = numericCandidates.map((_, j) => j).sort((a, b) => weight[b] - weight[a] || a - b);
  const numCols = orderIdx.map((j) => numericCandidates[j].column);
  const min = Float64Array.from(orderIdx.map((j) => numericCandidates[j].min));
  const range = Float64Array.from(orderIdx.map((j) => numericCandidates[j].range));
  const p = numCols.length;

  // Sentinel for missing numbers: present values lie within [-maxAbs, maxAbs], so two present
  // values differ by at most 2 maxAbs < gap, and a present value and the sentinel by more.
  const missing = new Float64Array(p);
  const gap = new Float64Array(p);
  const missingness: number[] = [];
  for (let c = 0; c < p; c++) {
    let maxAbs = 1;
    let anyMissing = false;
    for (const t of tables) {
      const values = numericValues(t, numCols[c]);
      for (let r = 0; r < values.length; r++) {
        const v = values[r];
        if (v !== v) anyMissing = true;
        else {
          const x = Math.abs((v - min[c]) / range[c]);
          if (x > maxAbs) maxAbs = x;
        }
      }
    }
    missing[c] = 5 * maxAbs + 4;
    gap[c] = 2.5 * maxAbs + 1;
    if (!Number.isFinite(missing[c])) {
      throw new Error(`prepareRows: values of column "${schema.columns[numCols[c]].name}" are too large to compare`);
    }
    if (anyMissing) missingness.push(c);
  }

  // Shared dictionaries, most frequent in the range table first (text order breaks ties).
  const discreteColumns = [...categoricalColumns, ...constantColumns];
  const levels: string[][] = [];
  const dictionaries: Map<string, number>[] = [];
  for (const col of discreteColumns) {
    const counts = new Map<string, number>();
    for (const key of discreteKeys(ref, col)) if (key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
    const sorted = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
    const dict = new Map<string, number>();
    sorted.forEach((key, j) => dict.set(key, j + 1));
    dictionaries.push(dict);
    levels.push(sorted);
  }
  const qd = discreteColumns.length;
  const f = qd + missingness.length;

  const encoding: Encoding = {
    numericColumns: numCols,
    min,
    range,
    missing,
    gap,
    discreteColumns,
    levels,
    missingness,
    m: p + qd,
  };

  return tables.map((t) => {
    const n = t.rowCount;
    const numeric = new Float64Array(n * p);
    for (let c = 0; c < p; c++) {
      const values = numericValues(t, numCols[c]);
      const lo = min[c];
      const width = range[c];
      const sentinel = missing[c];
      for (let r = 0; r < n; r++) {
        const v = values[r];
        numeric[r * p + c] = v === v ? (v - lo) / width : sentinel;
      }
    }
    const discrete = new Int32Array(n * f);
    for (let j = 0; j < qd; j++) {
      const dict = dictionaries[j];
      const keys = discreteKeys(t, discreteColumns[j]);
      for (let r = 0; r < n; r++) {
        const key = keys[r];
        let code = 0;
        if (key !== null) {
          const known = dict.get(key);
          if (known !== undefined) code = known;
          else {
            code = levels[j].length + 1;
            levels[j].push(key);
            dict.set(key, code);
          }
        }
        discrete[r * f + j] = code;
      }
    }
    missingness.forEach((c, j) => {
      const sentinel = missing[c];
      for (let r = 0; r < n; r++) discrete[r * f + qd + j] = numeric[r * p + c] === sentinel ? 1 : 0;
    });
    const rows = new Int32Array(n);
    for (let r = 0; r < n; r++) rows[r] = r;
    return { encoding, n, numeric, discrete, rows };
  });
}

function numericValues(t: Table, col: number): Float64Array {
  return (t.columns[col] as { values: Float64Array }).values;
}

/** Mean term min(1, |a - b| / range) over a fixed sample of pairs of present values. */
function meanPresentTerm(values: Float64Array, range: number): number {
  const n = values.length;
  if (n < 2) return 0;
  let state = 0x2545f491;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
  let sum = 0;
  const pairs = 2048;
  for (let i = 0; i < pairs; i++) {
    const a = values[next()];
    const b = values[next()];
    if (a === a && b === b) sum += Math.min(1, Math.abs(a - b) / range);
  }
  return sum / pairs;
}

/** Text of each row's value in a discrete column (null = missing). */
function discreteKeys(t: Table, col: number): (string | null)[] {
  const data = t.columns[col];
  const out: (string | null)[] = new Array(t.rowCount);
  if (data.type === 'categorical') {
    for (let r = 0; r < t.rowCount; r++) {
      const code = data.codes[r];
      out[r] = code < 0 ? null : data.levels[code];
    }
  } else if (data.type === 'numeric') {
    // Zero-range numeric column: compare numbers exactly (String() is injective on numbers, -0 = 0).
    for (let r = 0; r < t.rowCount; r++) {
      const v = data.values[r];
      out[r] = v === v ? String(v) : null;
    }
  } else {
    out.fill(null);
  }
  return out;
}

function featureCount(enc: Encoding): number {
  return enc.discreteColumns.length + enc.missingness.length;
}

/** The given rows (indices into `rows`) as a new EncodedRows with the same encoding. */
export function subsetRows(rows: EncodedRows, indices: ArrayLike<number>): EncodedRows {
  const { encoding } = rows;
  const p = encoding.numericColumns.length;
  const f = featureCount(encoding);
  const n = indices.length;
  const numeric = new Float64Array(n * p);
  const discrete = new Int32Array(n * f);
  const source = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = indices[i];
    if (!(r >= 0 && r < rows.n)) throw new RangeError(`subsetRows: row ${r} out of range`);
    numeric.set(rows.numeric.subarray(r * p, r * p + p), i * p);
    discrete.set(rows.discrete.subarray(r * f, r * f + f), i * f);
    source[i] = rows.rows[r];
  }
  return { encoding, n, numeric, discrete, rows: source };
}

/** Distance between query row i and reference row j, exactly as `nearest` computes it. */
export function rowDistance(query: EncodedRows, i: number, reference: EncodedRows, j: number): number {
  const enc = checkEncoding(query, reference);
  const p = enc.numericColumns.length;
  const f = featureCount(enc);
  const gap = enc.gap;
  let s = 0;
  for (let c = 0; c < f; c++) if (query.discrete[i * f + c] !== reference.discrete[j * f + c]) s += 1;
  for (let c = 0; c < p; c++) {
    let t = Math.abs(query.numeric[i * p + c] - reference.numeric[j * p + c]);
    if (t > 1) t = t > gap[c] ? 0 : 1;
    s += t;
  }
  return enc.m > 0 ? s / enc.m : 0;
}

function checkEncoding(query: EncodedRows, reference: EncodedRows): Encoding {
  if (query.encoding !== reference.encoding) {
    throw new Error('nearest: query and reference rows must come from one prepareRows call');
  }
  return query.encoding;
}

/** A trie node with at most this many rows is not split further. */
const BUCKET = 8;
/** Levels below a node covered by its code masks. */
const LOOKAHEAD = 16;
/** Numeric columns (the first ones) covered by the node boxes. */
const BOX = 8;

/** Sorted rows and a trie over their discrete features, built once per reference set. */
interface Index {
  /** Sorted position -> row in the reference. */
  order: Int32Array;
  /** Numeric values in sorted order (row-major). */
  numeric: Float64Array;
  /** Features in sorted order, in trie-level order (row-major). */
  discrete: Int32Array;
  /** Feature examined at each trie level. */
  levelFeatures: Int32Array;
  nodeCode: Int32Array;
  depth: Int32Array;
  /** Children of node x are nodes childStart[x] .. childEnd[x] - 1, sorted by code. */
  childStart: Int32Array;
  childEnd: Int32Array;
  /** Rows (sorted positions) under node x. */
  rowStart: Int32Array;
  rowEnd: Int32Array;
  /** Per node, levels depth .. depth + LOOKAHEAD - 1: bit (code mod 32) of every code below. */
  codeMask: Int32Array;
  /** Per node, first BOX numeric columns: min and max of the present values below. */
  boxLo: Float64Array;
  boxHi: Float64Array;
  /** Per node and box column: 1 if some row below is missing there (the box is then unused). */
  boxMissing: Uint8Array;
}

const indexCache = new WeakMap<EncodedRows, Index>();

function buildIndex(reference: EncodedRows): Index {
  const cached = indexCache.get(reference);
  if (cached) return cached;
  const enc = reference.encoding;
  const p = enc.numericColumns.length;
  const f = featureCount(enc);
  const pb = Math.min(p, BOX);
  const n = reference.n;
  const disc = reference.discrete;
  const num = reference.numeric;
  const sentinel = enc.missing;

  // Trie levels: features most likely to differ between two rows (Gini impurity) per unit of
  // fan-out first, so that far branches are cut high up; near-constant features go last.
  const score: number[] = [];
  for (let c = 0; c < f; c++) {
    const counts = new Map<number, number>();
    for (let r = 0; r < n; r++) counts.set(disc[r * f + c], (counts.get(disc[r * f + c]) ?? 0) + 1);
    let gini = 1;
    for (const x of counts.values()) gini -= (x / n) ** 2;
    score.push(gini / Math.log(1 + counts.size));
  }
  const levelFeatures = Int32Array.from(
    [...Array(f).keys()].sort((a, b) => score[b] - score[a] || a - b),
  );

  const order = trieOrder(disc, num, n, f, p, levelFeatures);
  const numeric = new Float64Array(n * p);
  for (let s = 0; s < n; s++) numeric.set(num.subarray(order[s] * p, order[s] * p + p), s * p);
  const discrete = new Int32Array(n * f);
  for (let s = 0; s < n; s++) for (let l = 0; l < f; l++) discrete[s * f + l] = disc[order[s] * f + levelFeatures[l]];

  // Breadth-first, so every node's children get consecutive ids and larger ids than their parent.
  // Splitting stops at BUCKET rows, and everywhere once the node count reaches a budget.
  const budget = 4 * n + 1024;
  const nodeCode: number[] = [0];
  const depth: number[] = [0];
  const childStart: number[] = [0];
  const childEnd: number[] = [0];
  const rowStart: number[] = [0];
  const rowEnd: number[] = [n];
  let frontier: number[] = [0];
  for (let level = 0; level < f && frontier.length > 0; level++) {
    const next: number[] = [];
    for (const node of frontier) {
      childStart[node] = childEnd[node] = nodeCode.length;
      if (rowEnd[node] - rowStart[node] <= BUCKET || nodeCode.length >= budget) continue;
      let s = rowStart[node];
      const end = rowEnd[node];
      while (s < end) {
        const code = discrete[s * f + level];
        let e = s + 1;
        while (e < end && discrete[e * f + level] === code) e++;
        next.push(nodeCode.length);
        nodeCode.push(code);
        depth.push(level + 1);
        childStart.push(0);
        childEnd.push(0);
        rowStart.push(s);
        rowEnd.push(e);
        s = e;
      }
      childEnd[node] = nodeCode.length;
    }
    frontier = next;
  }
  const nodes = nodeCode.length;

  // Masks and boxes, children before parents (backwards over ids).
  const codeMask = new Int32Array(nodes * LOOKAHEAD);
  const boxLo = new Float64Array(nodes * pb).fill(Infinity);
  const boxHi = new Float64Array(nodes * pb).fill(-Infinity);
  const boxMissing = new Uint8Array(nodes * pb);
  for (let x = nodes - 1; x >= 0; x--) {
    const d = depth[x];
    const width = Math.min(LOOKAHEAD, f - d);
    if (childEnd[x] > childStart[x]) {
      for (let y = childStart[x]; y < childEnd[x]; y++) {
        codeMask[x * LOOKAHEAD] |= 1 << (nodeCode[y] & 31);
        for (let j = 1; j < width; j++) codeMask[x * LOOKAHEAD + j] |= codeMask[y * LOOKAHEAD + j - 1];
        for (let c = 0; c < pb; c++) {
          if (boxLo[y * pb + c] < boxLo[x * pb + c]) boxLo[x * pb + c] = boxLo[y * pb + c];
          if (boxHi[y * pb + c] > boxHi[x * pb + c]) boxHi[x * pb + c] = boxHi[y * pb + c];
          boxMissing[x * pb + c] |= boxMissing[y * pb + c];
        }
      }
    } else {
      for (let r = rowStart[x]; r < rowEnd[x]; r++) {
        for (let j = 0; j < width; j++) codeMask[x * LOOKAHEAD + j] |= 1 << (discrete[r * f + d + j] & 31);
        for (let c = 0; c < pb; c++) {
          const v = numeric[r * p + c];
          if (v === sentinel[c]) boxMissing[x * pb + c] = 1;
          else {
            if (v < boxLo[x * pb + c]) boxLo[x * pb + c] = v;
            if (v > boxHi[x * pb + c]) boxHi[x * pb + c] = v;
          }
        }
      }
    }
  }
  const index: Index = {
    order,
    numeric,
    discrete,
    levelFeatures,
    nodeCode: Int32Array.from(nodeCode),
    depth: Int32Array.from(depth),
    childStart: Int32Array.from(childStart),
    childEnd: Int32Array.from(childEnd),
    rowStart: Int32Array.from(rowStart),
    rowEnd: Int32Array.from(rowEnd),
    codeMask,
    boxLo,
    boxHi,
    boxMissing,
  };
  indexCache.set(reference, index);
  return index;
}

/**
 * For each query row, the exact nearest reference row(s) under the DCR distance. Ties are broken
 * arbitrarily but deterministically (the distances are exact; `index1` is one of the tied rows).
 */
export function nearest(query: EncodedRows, reference: EncodedRows, options: NearestOptions = {}): NearestResult {
  const enc = checkEncoding(query, reference);
  const k = Math.max(1, Math.floor(options.k ?? 1));
  const exclude = options.excludeSameIndex === true;
  if (exclude && query.n !== reference.n) throw new Error('nearest: excludeSameIndex needs query and reference of equal size');
  const p = enc.numericColumns.length;
  const f = featureCount(enc);
  const pb = Math.min(p, BOX);
  const m = enc.m;
  const nq = query.n;
  const gap = enc.gap;
  const sentinel = enc.missing;

  const d1 = new Float64Array(nq);
  const dk = k === 1 ? d1 : new Float64Array(nq);
  const d2 = k >= 2 ? (k === 2 ? dk : new Float64Array(nq)) : undefined;
  const index1 = new Int32Array(nq);

  const idx = buildIndex(reference);
  const { order, levelFeatures, nodeCode, childStart, childEnd, rowStart, rowEnd, codeMask, boxLo, boxHi, boxMissing } = idx;
  const refNum = idx.numeric;
  const refDisc = idx.discrete;
  const qNum = query.numeric;
  const qDisc = query.discrete;

  // Per-query state, shared by the closures below.
  const best = new Float64Array(k);
  const bestPos = new Int32Array(k);
  let bound = Infinity;
  let qi = 0;
  let qBase = 0;
  const qCodes = new Int32Array(f);
  const qBits = new Int32Array(f);
  const qBoxed = new Uint8Array(pb); // query value present in a box column

  const insert = (s: number, pos: number): void => {
    for (let j = 0; j < k; j++) if (bestPos[j] === pos) return; // already a candidate (seeded)
    let j = k - 1;
    while (j > 0 && best[j - 1] > s) {
      best[j] = best[j - 1];
      bestPos[j] = bestPos[j - 1];
      j--;
    }
    best[j] = s;
    bestPos[j] = pos;
    bound = best[k - 1];
  };

  /** Adds the numeric terms (from column `from`) of the row at `pos` to `s`; -1 once >= bound. */
  const addNumeric = (s: number, pos: number, from: number): number => {
    const base = pos * p;
    for (let c = from; c < p; c++) {
      let t = qNum[qBase + c] - refNum[base + c];
      if (t < 0) t = -t;
      if (t > 1) t = t > gap[c] ? 0 : 1; // beyond the gap: one side missing, counted as a feature
      s += t;
      if (s >= bound) return -1;
    }
    return s;
  };

  /** Rows scanned one by one: remaining features from level `depth`, then numeric terms. */
  const scanRows = (node: number, depth: number, mism: number): void => {
    for (let pos = rowStart[node], end = rowEnd[node]; pos < end; pos++) {
      if (exclude && order[pos] === qi) continue;
      let s = mism;
      const db = pos * f;
      let l = depth;
      for (; l < f; l++) if (refDisc[db + l] !== qCodes[l] && ++s >= bound) break;
      if (l < f) continue;
      s = addNumeric(s, pos, 0);
      if (s >= 0) insert(s, pos);
    }
  };

  /** A full-depth leaf: every row has `mism` mismatches; rows ordered by numeric column 0. */
  const scanLeaf = (node: number, mism: number): void => {
    const start = rowStart[node];
    const end = rowEnd[node];
    if (p === 0) {
      for (let pos = start; pos < end && mism < bound; pos++) {
        if (exclude && order[pos] === qi) continue;
        insert(mism, pos);
      }
      return;
    }
    const q0 = qNum[qBase];
    if (q0 === sentinel[0] || refNum[start * p] === sentinel[0]) {
      // Column 0 is missing on one side (the same for all rows here): no order to exploit.
      scanRows(node, f, mism);
      return;
    }
    // First position whose value in column 0 is >= q0.
    let lo = start;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (refNum[mid * p] < q0) lo = mid + 1;
      else hi = mid;
    }
    let left = lo - 1;
    let right = lo;
    for (;;) {
      const dl = left >= start ? q0 - refNum[left * p] : Infinity;
      const dr = right < end ? refNum[right * p] - q0 : Infinity;
      let pos: number;
      let t0: number;
      if (dl <= dr) {
        if (dl === Infinity) break;
        pos = left--;
        t0 = dl;
      } else {
        pos = right++;
        t0 = dr;
      }
      if (t0 > 1) t0 = 1;
      const s = mism + t0;
      if (s >= bound) break; // the closer side reaches the bound: so does every row left
      if (exclude && order[pos] === qi) continue;
      const total = addNumeric(s, pos, 1);
      if (total >= 0) insert(total, pos);
    }
  };

  const visit = (node: number, depth: number, mism: number): void => {
    // Lower bound: mismatches so far, certain mismatches below, distance to the numeric box;
    // summed in the order of a row distance, so it cannot exceed any row's distance below.
    let lb = mism;
    const mb = node * LOOKAHEAD - depth;
    const end = depth + LOOKAHEAD < f ? depth + LOOKAHEAD : f;
    for (let l = depth; l < end; l++) {
      if ((codeMask[mb + l] & qBits[l]) === 0 && ++lb >= bound) return;
    }
    const b = node * pb;
    for (let c = 0; c < pb; c++) {
      if (qBoxed[c] === 0 || boxMissing[b + c] === 1) continue;
      const x = qNum[qBase + c];
      let t = boxLo[b + c] - x;
      if (t < 0) {
        t = x - boxHi[b + c];
        if (t < 0) continue;
      }
      if (t > 1) t = 1;
      lb += t;
    }
    if (lb >= bound) return;
    const cs = childStart[node];
    const ce = childEnd[node];
    if (cs === ce) {
      if (depth === f) scanLeaf(node, mism);
      else scanRows(node, depth, mism);
      return;
    }
    const code = qCodes[depth];
    // Children are sorted by code: binary search for the query's code, visited first.
    let lo = cs;
    let hi = ce;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (nodeCode[mid] < code) lo = mid + 1;
      else hi = mid;
    }
    const match = lo < ce && nodeCode[lo] === code ? lo : -1;
    if (match >= 0) visit(match, depth + 1, mism);
    const next = mism + 1;
    for (let child = cs; child < ce && next < bound; child++) {
      if (child !== match) visit(child, depth + 1, next);
    }
  };

  // Queries in trie order, so that consecutive queries are alike and the previous query's nearest
  // rows give a good starting bound (they are real rows, so the search stays exact).
  const queryOrder = trieOrder(qDisc, qNum, nq, f, p, levelFeatures);
  const seeds = new Int32Array(k).fill(-1);
  const toDistance = (sum: number): number => (m > 0 ? sum / m : sum === Infinity ? Infinity : 0);

  for (let t = 0; t < nq; t++) {
    qi = queryOrder[t];
    qBase = qi * p;
    for (let l = 0; l < f; l++) {
      qCodes[l] = qDisc[qi * f + levelFeatures[l]];
      qBits[l] = 1 << (qCodes[l] & 31);
    }
    for (let c = 0; c < pb; c++) qBoxed[c] = qNum[qBase + c] === sentinel[c] ? 0 : 1;
    best.fill(Infinity);
    bestPos.fill(-1);
    bound = Infinity;
    for (let j = 0; j < k; j++) {
      const pos = seeds[j];
      if (pos < 0 || (exclude && order[pos] === qi)) continue;
      let s = 0;
      for (let l = 0; l < f; l++) if (refDisc[pos * f + l] !== qCodes[l]) s += 1;
      s = addNumeric(s, pos, 0);
      if (s >= 0) insert(s, pos);
    }
    if (reference.n > 0) visit(0, 0, 0);
    seeds.set(bestPos);
    d1[qi] = toDistance(best[0]);
    index1[qi] = bestPos[0] >= 0 ? order[bestPos[0]] : -1;
    if (k > 1) {
      dk[qi] = toDistance(best[k - 1]);
      if (d2 && k > 2) d2[qi] = toDistance(best[1]);
    }
  }
  return d2 ? { d1, index1, d2, dk } : { d1, index1, dk };
}

/**
 * The same result by brute force: every query row against every reference row, O(n * n * m).
 * For tests and tiny inputs.
 */
export function nearestNaive(query: EncodedRows, reference: EncodedRows, options: NearestOptions = {}): NearestResult {
  const enc = checkEncoding(query, reference);
  const k = Math.max(1, Math.floor(options.k ?? 1));
  const exclude = options.excludeSameIndex === true;
  const p = enc.numericColumns.length;
  const f = featureCount(enc);
  const gap = enc.gap;
  const nq = query.n;
  const d1 = new Float64Array(nq);
  const dk = new Float64Array(nq);
  const d2 = new Float64Array(nq);
  const index1 = new Int32Array(nq);
  const all = new Float64Array(reference.n);
  for (let i = 0; i < nq; i++) {
    let count = 0;
    let bestS = Infinity;
    let bestJ = -1;
    for (let j = 0; j < reference.n; j++) {
      if (exclude && i === j) continue;
      let s = 0;
      for (let c = 0; c < f; c++) if (query.discrete[i * f + c] !== reference.discrete[j * f + c]) s += 1;
      for (let c = 0; c < p; c++) {
        let t = Math.abs(query.numeric[i * p + c] - reference.numeric[j * p + c]);
        if (t > 1) t = t > gap[c] ? 0 : 1;
        s += t;
      }
      all[count++] = s;
      if (s < bestS) {
        bestS = s;
        bestJ = j;
      }
    }
    const sorted = all.slice(0, count).sort();
    const at = (r: number): number => (r < count ? (enc.m > 0 ? sorted[r] / enc.m : 0) : Infinity);
    d1[i] = at(0);
    d2[i] = at(1);
    dk[i] = at(k - 1);
    index1[i] = bestJ;
  }
  return k >= 2 ? { d1, index1, d2, dk } : { d1, index1, dk: d1 };
}

/**
 * Row numbers sorted as the trie stores rows: by the discrete features in `levelFeatures` order,
 * then by the first numeric column, then by row number (a total order, so results are stable).
 */
function trieOrder(disc: ArrayLike<number>, num: ArrayLike<number>, rows: number, f: number, p: number, levelFeatures: Int32Array): Int32Array {
  const order = new Int32Array(rows);
  for (let r = 0; r < rows; r++) order[r] = r;
  return order.sort((a, b) => {
    for (let l = 0; l < f; l++) {
      const c = levelFeatures[l];
      const d = disc[a * f + c] - disc[b * f + c];
      if (d !== 0) return d;
    }
    if (p > 0) {
      const d = num[a * p] - num[b * p];
      if (d !== 0) return d;
    }
    return a - b;
  });
}
