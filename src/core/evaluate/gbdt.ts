/**
 * A histogram-based gradient-boosted decision tree learner (in the style of LightGBM and
 * XGBoost's `hist` method), used to measure the machine-learning utility of synthetic data.
 *
 * - Features are binned once: numbers into at most 254 quantile bins computed on the training
 *   rows, categories one bin each (the 253 most frequent; rarer and unseen ones share an "other"
 *   bin). Bin 0 always holds missing values.
 * - Numeric splits are `bin <= t`, and missing values go to the side learned when the split was
 *   chosen (both directions are tried; with no missing values in the node they follow the larger
 *   child). Categorical splits sort the node's categories by gradient / (hessian + smoothing)
 *   and cut that ordering at its best point (Fisher's grouping; LightGBM's many-vs-many split);
 *   categories the node never saw go right.
 * - Trees grow leaf-wise (best gain first) up to `maxLeaves` leaves and `maxDepth` levels; one
 *   histogram per leaf, the larger child's obtained by subtracting the smaller's from its parent.
 * - Objectives: binary logistic, multiclass softmax (one tree per class per round) and squared
 *   error. Leaf values are -G / (H + lambda) times the learning rate.
 * - Deterministic: the seed only drives row subsampling and the early-stopping validation split.
 */
import { Random } from '../random';
import type { Schema } from '../schema/types';
import type { Table } from '../table';

// ---------------------------------------------------------------------------------------------
// Feature matrices

export type FeatureColumn =
  | { name: string; type: 'numeric'; values: Float64Array } // NaN: missing; dates as numbers
  | { name: string; type: 'categorical'; codes: Int32Array; levels: string[] }; // -1: missing

/** Columns of features, all of length `rows`. Matrices given to one model must share levels. */
export interface FeatureMatrix {
  rows: number;
  columns: FeatureColumn[];
}

/** One dictionary of category texts for a column across several tables, and each table's remap. */
export function sharedLevels(tables: Table[], column: number): { levels: string[]; remaps: Int32Array[] } {
  const index = new Map<string, number>();
  const levels: string[] = [];
  const remaps = tables.map((table) => {
    const data = table.columns[column];
    if (data.type !== 'categorical') throw new Error(`column ${column} is not categorical`);
    const remap = new Int32Array(data.levels.length);
    data.levels.forEach((text, code) => {
      let global = index.get(text);
      if (global === undefined) {
        global = levels.length;
        index.set(text, global);
        levels.push(text);
      }
      remap[code] = global;
    });
    return remap;
  });
  return { levels, remaps };
}

/** Codes of a categorical column translated through `remap` (-1 stays -1). */
export function remapCodes(codes: Int32Array, remap: Int32Array): Int32Array {
  const out = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = codes[i] < 0 ? -1 : remap[codes[i]];
  return out;
}

/**
 * The features of a schema's modelled columns (minus the excluded ones, e.g. the target), with
 * one category dictionary per categorical column built by text from all the given tables, so
 * matrices of tables loaded separately can be used with one model.
 */
export class FeatureSpace {
  private constructor(
    readonly names: string[],
    private readonly columnIndex: number[],
    private readonly tables: Table[],
    private readonly dictionaries: ({ levels: string[]; remaps: Int32Array[] } | null)[],
  ) {}

  static fromTables(schema: Schema, tables: Table[], options: { exclude?: string[] } = {}): FeatureSpace {
    if (tables.length === 0) throw new Error('FeatureSpace needs at least one table');
    const exclude = new Set(options.exclude ?? []);
    const names: string[] = [];
    const columnIndex: number[] = [];
    const dictionaries: ({ levels: string[]; remaps: Int32Array[] } | null)[] = [];
    schema.columns.forEach((column, i) => {
      if (exclude.has(column.name)) return;
      const type = tables[0].columns[i]?.type;
      if (type === undefined || type === 'none') return;
      for (const t of tables) {
        if (t.columns[i].type !== type) throw new Error(`column "${column.name}" is read differently in two tables`);
      }
      names.push(column.name);
      columnIndex.push(i);
      dictionaries.push(type === 'categorical' ? sharedLevels(tables, i) : null);
    });
    return new FeatureSpace(names, columnIndex, tables, dictionaries);
  }

  /** The matrix of one of the tables given to `fromTables`. */
  matrix(table: Table): FeatureMatrix {
    const t = this.tables.indexOf(table);
    if (t < 0) throw new Error('FeatureSpace.matrix: the table was not given to fromTables');
    const columns: FeatureColumn[] = this.columnIndex.map((i, j) => {
      const data = table.columns[i];
      const dictionary = this.dictionaries[j];
      if (data.type === 'categorical' && dictionary) {
        return { name: this.names[j], type: 'categorical', codes: remapCodes(data.codes, dictionary.remaps[t]), levels: dictionary.levels };
      }
      if (data.type === 'numeric') return { name: this.names[j], type: 'numeric', values: data.values };
      throw new Error(`column "${this.names[j]}" has no data`);
    });
    return { rows: table.rowCount, columns };
  }
}

/** Feature matrices for tables loaded separately with one schema, sharing category dictionaries. */
export function buildFeatureMatrices(schema: Schema, tables: Table[], options: { exclude?: string[] } = {}): FeatureMatrix[] {
  const space = FeatureSpace.fromTables(schema, tables, options);
  return tables.map((t) => space.matrix(t));
}

/** The given rows of a matrix, in the given order. */
export function selectMatrixRows(matrix: FeatureMatrix, rows: ArrayLike<number>): FeatureMatrix {
  const n = rows.length;
  const columns: FeatureColumn[] = matrix.columns.map((c) => {
    if (c.type === 'numeric') {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = c.values[rows[i]];
      return { name: c.name, type: 'numeric', values };
    }
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) codes[i] = c.codes[rows[i]];
    return { name: c.name, type: 'categorical', codes, levels: c.levels };
  });
  return { rows: n, columns };
}

// ---------------------------------------------------------------------------------------------
// Options

export type GbdtObjective = 'binary' | 'multiclass' | 'regression';

export interface GbdtOptions {
  objective: GbdtObjective;
  /** Boosting rounds (default 200). */
  rounds?: number;
  /** Shrinkage (default 0.1). */
  learningRate?: number;
  /** Deepest level of a leaf, root = 0 (default 6). */
  maxDepth?: number;
  /** Leaves per tree (default 31). */
  maxLeaves?: number;
  /** Smallest sum of hessians in a child (default 1e-3). */
  minChildWeight?: number;
  /** Fewest training rows in a child (default 20). */
  minChildSamples?: number;
  /** L2 regularisation of leaf values (default 1). */
  lambda?: number;
  /** Smallest gain worth a split (default 0). */
  minSplitGain?: number;
  /** Seeds subsampling and the validation split (default 0). */
  seed?: number;
  /** Multiclass: number of classes (default: largest label + 1). */
  numClasses?: number;
  /** Share of rows drawn (without replacement) for each round (default 1: all). */
  subsample?: number;
  /** Bins per feature including the missing bin, at most 255 (default 255). */
  maxBins?: number;
  /** Smoothing added to the hessian when ordering categories (default 10). */
  catSmooth?: number;
  /** Stop when the validation loss has not improved for this many rounds (default: off). */
  earlyStoppingRounds?: number;
  /** Share of rows held out (seeded) for early stopping (default 0.1). */
  validationFraction?: number;
}

type Resolved = Required<Omit<GbdtOptions, 'numClasses' | 'earlyStoppingRounds'>> & {
  numClasses: number;
  earlyStoppingRounds: number;
};

// ---------------------------------------------------------------------------------------------
// Binning

type BinMapper =
  | { type: 'numeric'; bins: number; uppers: Float64Array } // value bin i+1 holds v <= uppers[i]
  | { type: 'categorical'; bins: number; codeToBin: Int32Array; otherBin: number };

function numericMapper(values: Float64Array, rows: Int32Array, maxValueBins: number): BinMapper {
  let m = 0;
  const sorted = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = values[rows[i]];
    if (v === v) sorted[m++] = v;
  }
  const xs = sorted.subarray(0, m).sort();
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < m; i++) {
    if (i > 0 && xs[i] === xs[i - 1]) counts[counts.length - 1]++;
    else {
      distinct.push(xs[i]);
      counts.push(1);
    }
  }
  const uppers: number[] = [];
  const cut = (i: number) => {
    const a = distinct[i];
    const b = distinct[i + 1];
    let mid = a + (b - a) / 2;
    if (!(mid >= a && mid < b)) mid = a;
    uppers.push(mid);
  };
  const nd = distinct.length;
  if (nd <= maxValueBins) {
    for (let i = 0; i + 1 < nd; i++) cut(i);
  } else {
    let remaining = m;
    let binsLeft = maxValueBins;
    let acc = 0;
    for (let i = 0; i + 1 < nd && binsLeft > 1; i++) {
      acc += counts[i];
      const target = remaining / binsLeft;
      // Cut when this bin is full, or before a value that is heavy enough to deserve its own bin.
      if (acc >= target || (counts[i + 1] >= target && acc >= target / 2)) {
        cut(i);
        remaining -= acc;
        binsLeft--;
        acc = 0;
      }
    }
  }
  uppers.push(Infinity);
  return { type: 'numeric', bins: uppers.length + 1, uppers: Float64Array.from(uppers) };
}

function categoricalMapper(codes: Int32Array, levelCount: number, rows: Int32Array, maxLevelBins: number): BinMapper {
  const counts = new Float64Array(levelCount);
  for (let i = 0; i < rows.length; i++) {
    const c = codes[rows[i]];
    if (c >= 0 && c < levelCount) counts[c]++;
  }
  const seen: number[] = [];
  for (let c = 0; c < levelCount; c++) if (counts[c] > 0) seen.push(c);
  seen.sort((a, b) => counts[b] - counts[a] || a - b);
  const kept = seen.slice(0, maxLevelBins);
  const otherBin = kept.length + 1;
  const codeToBin = new Int32Array(levelCount).fill(otherBin);
  kept.forEach((code, i) => (codeToBin[code] = i + 1));
  return { type: 'categorical', bins: otherBin + 1, codeToBin, otherBin };
}

function binOf(mapper: BinMapper, column: FeatureColumn, row: number): number {
  if (mapper.type === 'numeric') {
    const v = (column as { values: Float64Array }).values[row];
    if (v !== v) return 0;
    const u = mapper.uppers;
    let lo = 0;
    let hi = u.length - 1; // u[hi] = Infinity
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v <= u[mid]) hi = mid;
      else lo = mid + 1;
    }
    return lo + 1;
  }
  const c = (column as { codes: Int32Array }).codes[row];
  if (c < 0) return 0;
  return c < mapper.codeToBin.length ? mapper.codeToBin[c] : mapper.otherBin;
}

/** Row-major bins: bins[row * F + f]. */
function binMatrix(matrix: FeatureMatrix, mappers: BinMapper[]): Uint8Array {
  const F = mappers.length;
  const n = matrix.rows;
  const bins = new Uint8Array(n * F);
  for (let f = 0; f < F; f++) {
    const mapper = mappers[f];
    const column = matrix.columns[f];
    if (mapper.type === 'numeric' && column.type !== 'numeric') throw new Error(`feature ${column.name} changed type`);
    if (mapper.type === 'categorical' && column.type !== 'categorical') throw new Error(`feature ${column.name} changed type`);
    for (let r = 0; r < n; r++) bins[r * F + f] = binOf(mapper, column, r);
  }
  return bins;
}

// ---------------------------------------------------------------------------------------------
// Trees

interface Tree {
  /** Internal nodes; a child < 0 is leaf ~child. No internal nodes: a single leaf. */
  feature: Int32Array;
  threshold: Int32Array;
  defaultLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  /** Categorical splits: 1 for the bins that go left; null for numeric splits. */
  catLeft: (Uint8Array | null)[];
  leafValues: Float64Array;
}

function treeLeaf(tree: Tree, bins: Uint8Array, base: number): number {
  let node = tree.feature.length > 0 ? 0 : -1;
  while (node >= 0) {
    const b = bins[base + tree.feature[node]];
    const set = tree.catLeft[node];
    let goLeft: boolean;
    if (set !== null) goLeft = set[b] === 1;
    else if (b === 0) goLeft = tree.defaultLeft[node] === 1;
    else goLeft = b <= tree.threshold[node];
    node = goLeft ? tree.left[node] : tree.right[node];
  }
  return ~node;
}

interface Split {
  gain: number;
  feature: number;
  threshold: number;
  defaultLeft: boolean;
  catLeft: Uint8Array | null;
  leftG: number;
  leftH: number;
  leftCount: number;
  rightG: number;
  rightH: number;
  rightCount: number;
}

interface Leaf {
  start: number;
  end: number;
  G: number;
  H: number;
  depth: number;
  parent: number;
  isLeft: boolean;
  hist: Float64Array | null;
  best: Split | null;
}

/** Grows one tree on given gradients; holds the buffers reused across trees. */
class TreeBuilder {
  private readonly F: number;
  private readonly offsets: Int32Array;
  private readonly featureBins: Int32Array;
  private readonly isCategorical: Uint8Array;
  private readonly totalBins: number;
  private readonly rowBuf: Int32Array;
  private readonly tmp: Int32Array;
  private readonly pool: Float64Array[] = [];
  readonly featureGain: Float64Array;

  constructor(
    private readonly bins: Uint8Array,
    mappers: BinMapper[],
    rowCapacity: number,
    private readonly o: Resolved,
  ) {
    this.F = mappers.length;
    this.offsets = new Int32Array(this.F);
    this.featureBins = new Int32Array(this.F);
    this.isCategorical = new Uint8Array(this.F);
    let total = 0;
    mappers.forEach((m, f) => {
      this.offsets[f] = total;
      this.featureBins[f] = m.bins;
      this.isCategorical[f] = m.type === 'categorical' ? 1 : 0;
      total += m.bins;
    });
    this.totalBins = total;
    this.rowBuf = new Int32Array(rowCapacity);
    this.tmp = new Int32Array(rowCapacity);
    this.featureGain = new Float64Array(this.F);
  }

  private takeHist(): Float64Array {
    const h = this.pool.pop() ?? new Float64Array(this.totalBins * 3);
    h.fill(0);
    return h;
  }

  private fillHist(hist: Float64Array, start: number, end: number, grad: Float64Array, hess: Float64Array): void {
    const { F, offsets, bins, rowBuf } = this;
    for (let i = start; i < end; i++) {
      const r = rowBuf[i];
      const g = grad[r];
      const h = hess[r];
      const base = r * F;
      for (let f = 0; f < F; f++) {
        const k = (offsets[f] + bins[base + f]) * 3;
        hist[k] += g;
        hist[k + 1] += h;
        hist[k + 2] += 1;
      }
    }
  }

  private findSplit(hist: Float64Array, G: number, H: number, C: number): Split | null {
    const { lambda, minChildSamples, minChildWeight, catSmooth } = this.o;
    const parentScore = (G * G) / (H + lambda);
    let best: Split | null = null;
    let bestGain = this.o.minSplitGain + 1e-12;
    const ok = (c: number, h: number) => c >= minChildSamples && h >= minChildWeight;
    /** A numeric split with the given left-side sums; the right side is the rest of the node. */
    const considerNumeric = (feature: number, threshold: number, lg: number, lh: number, lc: number, defaultLeft: boolean): void => {
      const rg = G - lg;
      const rh = H - lh;
      const rc = C - lc;
      if (!ok(lc, lh) || !ok(rc, rh)) return;
      const gain = (lg * lg) / (lh + lambda) + (rg * rg) / (rh + lambda) - parentScore;
      if (gain <= bestGain) return;
      bestGain = gain;
      best = { gain, feature, threshold, defaultLeft, catLeft: null, leftG: lg, leftH: lh, leftCount: lc, rightG: rg, rightH: rh, rightCount: rc };
    };

    for (let f = 0; f < this.F; f++) {
      const o = this.offsets[f];
      const nb = this.featureBins[f];
      if (!this.isCategorical[f]) {
        const mg = hist[o * 3];
        const mh = hist[o * 3 + 1];
        const mc = hist[o * 3 + 2];
        let lg = 0;
        let lh = 0;
        let lc = 0;
        for (let t = 1; t < nb; t++) {
          const k = (o + t) * 3;
          lg += hist[k];
          lh += hist[k + 1];
          lc += hist[k + 2];
          if (hist[k + 2] === 0 && t < nb - 1) continue; // same partition as t - 1
          // Missing values right, then (when there are any) left.
          considerNumeric(f, t, lg, lh, lc, mc > 0 ? false : lc >= C - lc);
          if (mc > 0) considerNumeric(f, t, lg + mg, lh + mh, lc + mc, true);
        }
        continue;
      }
      // Categorical: order the node's categories (missing included) by G / (H + smoothing).
      const present: number[] = [];
      for (let b = 0; b < nb; b++) if (hist[(o + b) * 3 + 2] > 0) present.push(b);
      if (present.length < 2) continue;
      const key = new Float64Array(nb);
      for (const b of present) key[b] = hist[(o + b) * 3] / (hist[(o + b) * 3 + 1] + catSmooth);
      present.sort((a, b) => key[a] - key[b] || a - b);
      let lg = 0;
      let lh = 0;
      let lc = 0;
      let bestK = -1;
      let bestSplit: Split | null = null;
      for (let i = 0; i + 1 < present.length; i++) {
        const k = (o + present[i]) * 3;
        lg += hist[k];
        lh += hist[k + 1];
        lc += hist[k + 2];
        const rg = G - lg;
        const rh = H - lh;
        const rc = C - lc;
        if (!ok(lc, lh) || !ok(rc, rh)) continue;
        const gain = (lg * lg) / (lh + lambda) + (rg * rg) / (rh + lambda) - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          bestK = i;
          bestSplit = {
            gain,
            feature: f,
            threshold: -1,
            defaultLeft: false,
            catLeft: null,
            leftG: lg,
            leftH: lh,
            leftCount: lc,
            rightG: rg,
            rightH: rh,
            rightCount: rc,
          };
        }
      }
      if (bestSplit) {
        const set = new Uint8Array(nb);
        for (let i = 0; i <= bestK; i++) set[present[i]] = 1;
        bestSplit.catLeft = set;
        best = bestSplit;
      }
    }
    return best;
  }

  private goesLeft(split: Split, row: number): boolean {
    const b = this.bins[row * this.F + split.feature];
    if (split.catLeft) return split.catLeft[b] === 1;
    if (b === 0) return split.defaultLeft;
    return b <= split.threshold;
  }

  build(grad: Float64Array, hess: Float64Array, rows: Int32Array, rowCount: number): Tree {
    const o = this.o;
    const rowBuf = this.rowBuf;
    rowBuf.set(rows.subarray(0, rowCount));
    let G = 0;
    let H = 0;
    for (let i = 0; i < rowCount; i++) {
      G += grad[rowBuf[i]];
      H += hess[rowBuf[i]];
    }
    const feature: number[] = [];
    const threshold: number[] = [];
    const defaultLeft: number[] = [];
    const left: number[] = [];
    const right: number[] = [];
    const catLeft: (Uint8Array | null)[] = [];

    const canSplit = (leaf: Leaf) => leaf.depth < o.maxDepth && leaf.end - leaf.start >= 2 * o.minChildSamples;
    const root: Leaf = { start: 0, end: rowCount, G, H, depth: 0, parent: -1, isLeft: false, hist: null, best: null };
    if (canSplit(root) && o.maxLeaves > 1) {
      root.hist = this.takeHist();
      this.fillHist(root.hist, 0, rowCount, grad, hess);
      root.best = this.findSplit(root.hist, G, H, rowCount);
    }
    const leaves: Leaf[] = [root];
    while (leaves.length < o.maxLeaves) {
      let pick = -1;
      for (let i = 0; i < leaves.length; i++) {
        const b = leaves[i].best;
        if (b && (pick < 0 || b.gain > leaves[pick].best!.gain)) pick = i;
      }
      if (pick < 0) break;
      const leaf = leaves[pick];
      const split = leaf.best!;
      this.featureGain[split.feature] += split.gain;
      const node = feature.length;
      feature.push(split.feature);
      threshold.push(split.threshold);
      defaultLeft.push(split.defaultLeft ? 1 : 0);
      catLeft.push(split.catLeft);
      left.push(-1);
      right.push(-1);
      if (leaf.parent >= 0) {
        if (leaf.isLeft) left[leaf.parent] = node;
        else right[leaf.parent] = node;
      }
      // Partition the leaf's rows: left ones first, order kept.
      let l = leaf.start;
      let rc = 0;
      for (let i = leaf.start; i < leaf.end; i++) {
        const r = rowBuf[i];
        if (this.goesLeft(split, r)) rowBuf[l++] = r;
        else this.tmp[rc++] = r;
      }
      rowBuf.set(this.tmp.subarray(0, rc), l);
      const a: Leaf = { start: leaf.start, end: l, G: split.leftG, H: split.leftH, depth: leaf.depth + 1, parent: node, isLeft: true, hist: null, best: null };
      const b: Leaf = { start: l, end: leaf.end, G: split.rightG, H: split.rightH, depth: leaf.depth + 1, parent: node, isLeft: false, hist: null, best: null };
      const parentHist = leaf.hist!;
      leaf.hist = null;
      const splitA = canSplit(a);
      const splitB = canSplit(b);
      if (splitA || splitB) {
        const [small, large] = a.end - a.start <= b.end - b.start ? [a, b] : [b, a];
        small.hist = this.takeHist();
        this.fillHist(small.hist, small.start, small.end, grad, hess);
        for (let i = 0; i < parentHist.length; i++) parentHist[i] -= small.hist[i];
        large.hist = parentHist;
        for (const child of [a, b]) {
          if (canSplit(child)) child.best = this.findSplit(child.hist!, child.G, child.H, child.end - child.start);
          if (!child.best && child.hist) {
            this.pool.push(child.hist);
            child.hist = null;
          }
        }
      } else {
        this.pool.push(parentHist);
      }
      leaves[pick] = a;
      leaves.push(b);
    }
    const leafValues = new Float64Array(leaves.length);
    leaves.forEach((leaf, j) => {
      leafValues[j] = (-o.learningRate * leaf.G) / (leaf.H + o.lambda);
      if (leaf.parent >= 0) {
        if (leaf.isLeft) left[leaf.parent] = ~j;
        else right[leaf.parent] = ~j;
      }
      if (leaf.hist) this.pool.push(leaf.hist);
      leaf.hist = null;
    });
    return {
      feature: Int32Array.from(feature),
      threshold: Int32Array.from(threshold),
      defaultLeft: Uint8Array.from(defaultLeft),
      left: Int32Array.from(left),
      right: Int32Array.from(right),
      catLeft,
      leafValues,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// The model

const EPS = 1e-16;

export class Gbdt {
  private constructor(
    readonly objective: GbdtObjective,
    /** 1 for binary and regression. */
    readonly numClasses: number,
    private readonly mappers: BinMapper[],
    private readonly featureNames: string[],
    private readonly baseScore: Float64Array,
    /** Round-major, then class: trees[round * K + k]. */
    private readonly trees: Tree[],
    /** Rounds kept (the best round when early stopping stopped the fit). */
    readonly rounds: number,
    /** Total split gain per feature, by name. */
    readonly featureGain: Record<string, number>,
  ) {}

  static fit(features: FeatureMatrix, target: Float64Array | Int32Array, options: GbdtOptions): Gbdt {
    const o: Resolved = {
      objective: options.objective,
      rounds: options.rounds ?? 200,
      learningRate: options.learningRate ?? 0.1,
      maxDepth: options.maxDepth ?? 6,
      maxLeaves: options.maxLeaves ?? 31,
      minChildWeight: options.minChildWeight ?? 1e-3,
      minChildSamples: options.minChildSamples ?? 20,
      lambda: options.lambda ?? 1,
      minSplitGain: options.minSplitGain ?? 0,
      seed: options.seed ?? 0,
      numClasses: 1,
      subsample: options.subsample ?? 1,
      maxBins: Math.max(3, Math.min(255, options.maxBins ?? 255)),
      catSmooth: options.catSmooth ?? 10,
      earlyStoppingRounds: options.earlyStoppingRounds ?? 0,
      validationFraction: options.validationFraction ?? 0.1,
    };
    const n = features.rows;
    if (target.length !== n) throw new Error(`the target has ${target.length} values for ${n} rows`);
    for (const c of features.columns) {
      const len = c.type === 'numeric' ? c.values.length : c.codes.length;
      if (len !== n) throw new Error(`feature ${c.name} has ${len} values for ${n} rows`);
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(target[i])) throw new Error(`the target is missing or not finite at row ${i}`);
    }
    let K = 1;
    if (o.objective === 'multiclass') {
      let max = -1;
      for (let i = 0; i < n; i++) max = Math.max(max, target[i]);
      K = options.numClasses ?? max + 1;
      if (K < 2) K = 2;
      for (let i = 0; i < n; i++) {
        if (target[i] < 0 || target[i] >= K || target[i] !== Math.floor(target[i])) throw new Error(`class label ${target[i]} is not in 0..${K - 1}`);
      }
    } else if (o.objective === 'binary') {
      for (let i = 0; i < n; i++) if (target[i] !== 0 && target[i] !== 1) throw new Error(`binary label ${target[i]} is not 0 or 1`);
    }
    o.numClasses = K;
    const random = new Random(o.seed);

    // Training / validation rows.
    let trainRows: Int32Array;
    let validRows = new Int32Array(0);
    if (o.earlyStoppingRounds > 0 && n >= 20) {
      const order = Array.from({ length: n }, (_, i) => i);
      random.fork().shuffle(order);
      const nv = Math.max(1, Math.min(n - 1, Math.round(n * o.validationFraction)));
      validRows = Int32Array.from(order.slice(0, nv)).sort();
      trainRows = Int32Array.from(order.slice(nv)).sort();
    } else {
      trainRows = new Int32Array(n);
      for (let i = 0; i < n; i++) trainRows[i] = i;
    }

    const mappers = features.columns.map((c) =>
      c.type === 'numeric' ? numericMapper(c.values, trainRows, o.maxBins - 1) : categoricalMapper(c.codes, c.levels.length, trainRows, o.maxBins - 2),
    );
    const bins = binMatrix(features, mappers);
    const builder = new TreeBuilder(bins, mappers, n, o);

    // Base score.
    const baseScore = new Float64Array(K);
    const nt = trainRows.length;
    if (o.objective === 'binary') {
      let s = 0;
      for (let i = 0; i < nt; i++) s += target[trainRows[i]];
      const p = Math.min(1 - 1e-6, Math.max(1e-6, nt ? s / nt : 0.5));
      baseScore[0] = Math.log(p / (1 - p));
    } else if (o.objective === 'multiclass') {
      const counts = new Float64Array(K);
      for (let i = 0; i < nt; i++) counts[target[trainRows[i]]]++;
      for (let k = 0; k < K; k++) baseScore[k] = Math.log(Math.max(1e-6, nt ? counts[k] / nt : 1 / K));
    } else {
      let s = 0;
      for (let i = 0; i < nt; i++) s += target[trainRows[i]];
      baseScore[0] = nt ? s / nt : 0;
    }

    const F = mappers.length;
    const scores = new Float64Array(n * K);
    for (let r = 0; r < n; r++) for (let k = 0; k < K; k++) scores[r * K + k] = baseScore[k];
    const grad = new Float64Array(n);
    const hess = new Float64Array(n);
    const probs = o.objective === 'multiclass' ? new Float64Array(n * K) : null;
    const sample = new Int32Array(nt);
    const trees: Tree[] = [];
    let bestLoss = Infinity;
    let bestRound = 0;
    const sampleRandom = random.fork();

    for (let round = 0; round < o.rounds; round++) {
      let sampleCount = nt;
      if (o.subsample < 1) {
        sampleCount = 0;
        for (let i = 0; i < nt; i++) if (sampleRandom.next() < o.subsample) sample[sampleCount++] = trainRows[i];
        if (sampleCount === 0) sample[sampleCount++] = trainRows[sampleRandom.int(nt)];
      } else sample.set(trainRows);
      if (probs) {
        for (let i = 0; i < nt; i++) softmaxRow(scores, probs, trainRows[i] * K, K);
      }
      for (let k = 0; k < K; k++) {
        for (let i = 0; i < nt; i++) {
          const r = trainRows[i];
          if (o.objective === 'binary') {
            const p = 1 / (1 + Math.exp(-scores[r]));
            grad[r] = p - target[r];
            hess[r] = Math.max(p * (1 - p), EPS);
          } else if (probs) {
            const p = probs[r * K + k];
            grad[r] = p - (target[r] === k ? 1 : 0);
            hess[r] = Math.max((K / (K - 1)) * p * (1 - p), EPS);
          } else {
            grad[r] = scores[r] - target[r];
            hess[r] = 1;
          }
        }
        const tree = builder.build(grad, hess, sample, sampleCount);
        trees.push(tree);
        for (let r = 0; r < n; r++) scores[r * K + k] += tree.leafValues[treeLeaf(tree, bins, r * F)];
      }
      if (validRows.length > 0) {
        const loss = validationLoss(o.objective, scores, target, validRows, K);
        if (loss < bestLoss - 1e-12) {
          bestLoss = loss;
          bestRound = round + 1;
        } else if (round + 1 - bestRound >= o.earlyStoppingRounds) break;
      } else bestRound = round + 1;
    }
    trees.length = bestRound * K;
    const featureGain: Record<string, number> = {};
    features.columns.forEach((c, f) => (featureGain[c.name] = builder.featureGain[f]));
    return new Gbdt(o.objective, K, mappers, features.columns.map((c) => c.name), baseScore, trees, bestRound, featureGain);
  }

  /** Raw scores (log-odds, class scores or values): n × K row-major (K = 1 unless multiclass). */
  predictRaw(features: FeatureMatrix): Float64Array {
    if (features.columns.length !== this.mappers.length) {
      throw new Error(`the model was trained on ${this.mappers.length} features, not ${features.columns.length}`);
    }
    features.columns.forEach((c, f) => {
      if (c.name !== this.featureNames[f]) throw new Error(`feature ${f} is "${c.name}", the model expects "${this.featureNames[f]}"`);
    });
    const n = features.rows;
    const K = this.numClasses;
    const F = this.mappers.length;
    const bins = binMatrix(features, this.mappers);
    const scores = new Float64Array(n * K);
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < K; k++) scores[r * K + k] = this.baseScore[k];
    }
    for (let t = 0; t < this.trees.length; t++) {
      const tree = this.trees[t];
      const k = t % K;
      for (let r = 0; r < n; r++) scores[r * K + k] += tree.leafValues[treeLeaf(tree, bins, r * F)];
    }
    return scores;
  }

  /** Binary: P(class 1) per row; multiclass: n × K probabilities, row-major; regression: values. */
  predict(features: FeatureMatrix): Float64Array {
    const raw = this.predictRaw(features);
    if (this.objective === 'binary') {
      for (let i = 0; i < raw.length; i++) raw[i] = 1 / (1 + Math.exp(-raw[i]));
      return raw;
    }
    if (this.objective === 'multiclass') {
      const K = this.numClasses;
      const out = new Float64Array(raw.length);
      for (let r = 0; r < features.rows; r++) softmaxRow(raw, out, r * K, K);
      return out;
    }
    return raw;
  }

  /** Number of trees kept (rounds × classes). */
  get treeCount(): number {
    return this.trees.length;
  }
}

function softmaxRow(scores: Float64Array, out: Float64Array, base: number, K: number): void {
  let max = -Infinity;
  for (let k = 0; k < K; k++) max = Math.max(max, scores[base + k]);
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp(scores[base + k] - max);
    out[base + k] = e;
    sum += e;
  }
  for (let k = 0; k < K; k++) out[base + k] /= sum;
}

function validationLoss(objective: GbdtObjective, scores: Float64Array, target: Float64Array | Int32Array, rows: Int32Array, K: number): number {
  let loss = 0;
  if (objective === 'binary') {
    for (const r of rows) {
      const s = scores[r];
      // log(1 + exp(-s)) for y = 1, log(1 + exp(s)) for y = 0, computed stably.
      const z = target[r] === 1 ? -s : s;
      loss += z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    }
  } else if (objective === 'multiclass') {
    for (const r of rows) {
      const base = r * K;
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, scores[base + k]);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(scores[base + k] - max);
      loss += max + Math.log(sum) - scores[base + target[r]];
    }
  } else {
    for (const r of rows) loss += (scores[r] - target[r]) ** 2;
  }
  return loss / Math.max(1, rows.length);
}
