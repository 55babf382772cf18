import type { Random, SecureRandom } from '../random';
import type { ReleaseEntry } from '../privacy/preprocess';
import { UNIT_SIZE_GRID } from '../privacy/units';
import type { Schema } from '../schema/types';
import type { Table } from '../table';
import type { EntityChain } from '../schema/entities';

/**
 * The shape of the entities, as the model file keeps it: how many rows each entity holds, how many
 * entities nest in each parent, and how far apart their dates are. Generator-agnostic: any
 * generator draws the rows, entities/assemble.ts groups them into entities of this shape.
 *
 * Without privacy the distributions are the training rows' own (at most MAX_POINTS values or
 * equal-mass bins each). With privacy every distribution is a histogram over a fixed public grid
 * released with Gaussian noise, each person (top entity) adding a total weight of 1 to it (spread
 * over their admissions or rows), so its L2 sensitivity is at most 1 under adding or removing a
 * person; the top entity's rows per person reuse the privacy unit's released histogram.
 */

/** A distribution of non-negative numbers: mass `weight[i]` spread uniformly over [lo[i], hi[i]]. */
export interface Spread {
  lo: number[];
  hi: number[];
  weight: number[];
}

export interface EntityLevelModel {
  key: string;
  /** Learned columns constant within each entity of this level. */
  constant: string[];
  /** Identifier columns constant within each entity: one regenerated value per entity. */
  constantIdentifiers: string[];
  /** Rows per entity. */
  rows: Spread;
  /** Below the top: entities of this level per entity of the level above (0 included). */
  perParent?: Spread;
  /** Below the top: share of a parent's rows without a key of this level, when it has some. */
  looseShare?: Spread;
  /** With a sequence: each entity's span, first to last date (days; seconds for date-times). */
  span?: Spread;
  /** With a sequence: where the entity's own rows (in no nested entity) fall within its span, 0 to 1. */
  rowPosition?: Spread;
  /** With a sequence: where each nested entity starts within this entity's span, 0 to 1. */
  childPosition?: Spread;
}

export interface EntityModelState {
  levels: EntityLevelModel[];
  /** The date column whose order and spacing within entities is kept. */
  sequence?: string;
  /** Date columns moved with the sequence (not constant within an entity): a row's date differences stay. */
  shifted: string[];
}

/** Distinct values kept exactly without privacy; beyond, this many equal-mass bins. */
export const MAX_POINTS = 1000;

/** Entity codes per row for each level of the chain (-1: no key at that level), aligned with the table. */
export type EntityCodes = Int32Array[];

/** Fit the entity shape on the training rows. `dp` releases every distribution privately. */
export function fitEntityModel(
  chain: EntityChain,
  schema: Schema,
  table: Table,
  codes: EntityCodes,
  dp?: { rho: number; random: SecureRandom; people: number; topSizes?: { counts: readonly number[]; sigma: number } },
): { state: EntityModelState; releases: ReleaseEntry[]; rho: number } {
  const levels = chain.levels;
  const seqColumn = levels.find((l) => l.sequence)?.sequence;
  const seqIndex = seqColumn ? schema.columns.indexOf(seqColumn) : -1;
  const seq = seqIndex >= 0 && table.columns[seqIndex].type === 'numeric' ? (table.columns[seqIndex] as { values: Float64Array }).values : undefined;
  const n = table.rowCount;
  const topCode = codes[0];
  // Each top entity's weight is spread evenly over its items under DP (sensitivity 1 per person).
  const topRows = countBy(topCode, n);
  const releases: ReleaseEntry[] = [];
  const releasesWanted = levels.length * 5;
  const rhoEach = dp ? dp.rho / Math.max(1, releasesWanted) : 0;
  let rhoUsed = 0;
  // Under DP no count can exceed the largest released top entity: larger bins would hold noise only.
  let largest = Infinity;
  const release = (what: string, column: string, values: number[], weights: number[], full: Grid): Spread => {
    if (!dp) return exactSpread(values, weights);
    const grid = full === SIZE_GRID || full === ROWS_GRID ? capGrid(full, largest) : full;
    const sigma = Math.sqrt(1 / (2 * rhoEach));
    releases.push({ column, what, rho: rhoEach, sigma });
    rhoUsed += rhoEach;
    return noisySpread(values, weights, grid, sigma, dp.random, dp.people);
  };
  const unitDays = seqColumn?.kind === 'datetime' ? 86400 : 1;
  const first = levels.map((_, j) => (seq ? firstDates(codes[j], seq, n) : undefined));
  const out: EntityLevelModel[] = levels.map((level, j) => {
    const key = level.key.name;
    const code = codes[j];
    const counts = countBy(code, n);
    // Per entity at this level: its top entity, for the person weights.
    const topOf = ownerOf(code, topCode, n);
    const perTop = countBy(topOf, topOf.length);
    const entityValues: number[] = [];
    const entityWeights: number[] = [];
    for (let e = 0; e < counts.length; e++) {
      if (counts[e] === 0) continue;
      entityValues.push(counts[e]);
      entityWeights.push(dp ? 1 / perTop[topOf[e]] : 1);
    }
    const model: EntityLevelModel = {
      key,
      constant: level.constant.map((c) => c.name),
      constantIdentifiers: level.constantIdentifiers.map((c) => c.name),
      rows:
        j === 0 && dp?.topSizes
          ? gridSpread(aboveNoise(dp.topSizes.counts, dp.topSizes.sigma, dp.people), ROWS_GRID)
          : release(`rows per ${key}${j > 0 ? ' (each person weighing 1 in all)' : ''}`, key, entityValues, entityWeights, ROWS_GRID),
    };
    if (j > 0) {
      const parentCode = codes[j - 1];
      const parentCounts = countBy(parentCode, n);
      const children = new Map<number, Set<number>>();
      const loose = new Float64Array(parentCounts.length);
      for (let r = 0; r < n; r++) {
        const p = parentCode[r];
        if (p < 0) continue;
        if (code[r] < 0) loose[p]++;
        else {
          let set = children.get(p);
          if (!set) children.set(p, (set = new Set()));
          set.add(code[r]);
        }
      }
      const parentTop = ownerOf(parentCode, topCode, n);
      const parentsPerTop = countBy(parentTop, parentTop.length);
      const perParent: number[] = [];
      const perParentWeights: number[] = [];
      const shares: number[] = [];
      const shareWeights: number[] = [];
      for (let p = 0; p < parentCounts.length; p++) {
        if (parentCounts[p] === 0) continue;
        const w = dp ? 1 / parentsPerTop[parentTop[p]] : 1;
        const c = children.get(p)?.size ?? 0;
        perParent.push(c);
        perParentWeights.push(w);
        if (c > 0) {
          shares.push(loose[p] / parentCounts[p]);
          shareWeights.push(w);
        }
      }
      const parentKey = levels[j - 1].key.name;
      model.perParent = release(`${key} values per ${parentKey}`, key, perParent, perParentWeights, SIZE_GRID);
      model.looseShare = release(`share of a ${parentKey}'s rows without a ${key}`, key, shares, shareWeights, SHARE_GRID);
    }
    if (seq && first[j]) {
      // Dates: each entity's span (first to last date, all its rows), and where its own rows and
      // its nested entities start within that span (0 at the first date, 1 at the last).
      const f = first[j]!;
      const last = lastDates(code, seq, n);
      const spans: number[] = [];
      const spanWeights: number[] = [];
      for (let e = 0; e < counts.length; e++) {
        if (counts[e] === 0 || !Number.isFinite(f[e])) continue;
        spans.push(last[e] - f[e]);
        spanWeights.push(dp ? 1 / perTop[topOf[e]] : 1);
      }
      model.span = release(`span of each ${key}'s ${seqColumn!.name} (first to last)`, seqColumn!.name, spans, spanWeights, offsetGrid(unitDays));
      const deeper = codes[j + 1];
      const positions: number[] = [];
      const owners: number[] = [];
      for (let r = 0; r < n; r++) {
        const e = code[r];
        if (e < 0 || (deeper && deeper[r] >= 0) || !Number.isFinite(seq[r]) || !(last[e] > f[e])) continue;
        positions.push((seq[r] - f[e]) / (last[e] - f[e]));
        owners.push(topCode[r]);
      }
      if (positions.length || dp) model.rowPosition = release(`position of each ${key}'s rows within its span`, seqColumn!.name, positions, personWeights(owners, !!dp), POSITION_GRID);
      if (deeper) {
        const fd = first[j + 1]!;
        const childOwner = ownerOf(deeper, code, n);
        const starts: number[] = [];
        const startOwners: number[] = [];
        for (let c = 0; c < childOwner.length; c++) {
          const e = childOwner[c];
          if (e < 0 || !Number.isFinite(fd[c]) || !(last[e] > f[e])) continue;
          starts.push((fd[c] - f[e]) / (last[e] - f[e]));
          startOwners.push(topOf[e]);
        }
        if (starts.length || dp) model.childPosition = release(`position of each ${levels[j + 1].key.name}'s start within its ${key}'s span`, seqColumn!.name, starts, personWeights(startOwners, !!dp), POSITION_GRID);
      }
    }
    if (j === 0) largest = Math.max(...model.rows.hi);
    return model;
  });
  const seqIndices = new Set(levels.flatMap((l) => l.constant.map((c) => c.name)));
  const shifted = seqColumn
    ? schema.columns.filter((c) => (c.kind === 'date' || c.kind === 'datetime') && !c.exclude && !seqIndices.has(c.name)).map((c) => c.name)
    : [];
  return { state: { levels: out, ...(seqColumn ? { sequence: seqColumn.name } : {}), shifted }, releases, rho: rhoUsed };
}

/** How many rows hold each code (codes 0 .. max; -1 ignored). */
function countBy(code: Int32Array, n: number): Float64Array {
  let max = -1;
  for (let r = 0; r < n; r++) if (code[r] > max) max = code[r];
  const counts = new Float64Array(max + 1);
  for (let r = 0; r < n; r++) if (code[r] >= 0) counts[code[r]]++;
  return counts;
}

/** For each code of `inner`, the code of `outer` on its first row (-1 when none). */
function ownerOf(inner: Int32Array, outer: Int32Array, n: number): Int32Array {
  let max = -1;
  for (let r = 0; r < n; r++) if (inner[r] > max) max = inner[r];
  const owner = new Int32Array(max + 1).fill(-1);
  for (let r = 0; r < n; r++) if (inner[r] >= 0 && owner[inner[r]] < 0) owner[inner[r]] = outer[r];
  return owner;
}

/** Weights spreading each owner's (person's) total of 1 over their items; 1 each without DP. */
function personWeights(owners: readonly number[], dp: boolean): number[] {
  if (!dp) return owners.map(() => 1);
  const per = new Map<number, number>();
  for (const o of owners) per.set(o, (per.get(o) ?? 0) + 1);
  return owners.map((o) => 1 / per.get(o)!);
}

function lastDates(code: Int32Array, seq: Float64Array, n: number): Float64Array {
  let max = -1;
  for (let r = 0; r < n; r++) if (code[r] > max) max = code[r];
  const last = new Float64Array(max + 1).fill(-Infinity);
  for (let r = 0; r < n; r++) if (code[r] >= 0 && seq[r] > last[code[r]]) last[code[r]] = seq[r];
  for (let e = 0; e <= max; e++) if (last[e] === -Infinity) last[e] = NaN;
  return last;
}

function firstDates(code: Int32Array, seq: Float64Array, n: number): Float64Array {
  let max = -1;
  for (let r = 0; r < n; r++) if (code[r] > max) max = code[r];
  const first = new Float64Array(max + 1).fill(Infinity);
  for (let r = 0; r < n; r++) if (code[r] >= 0 && seq[r] < first[code[r]]) first[code[r]] = seq[r];
  for (let e = 0; e <= max; e++) if (first[e] === Infinity) first[e] = NaN;
  return first;
}

/** Public bins: lower and upper bounds (inclusive for whole numbers). */
interface Grid {
  lo: number[];
  hi: number[];
}

/** Counts: 0, then the privacy unit's rows-per-person grid (two bins per octave). */
const SIZE_GRID: Grid = {
  lo: [0, ...UNIT_SIZE_GRID],
  hi: [0, ...UNIT_SIZE_GRID.map((g, i) => (i + 1 < UNIT_SIZE_GRID.length ? UNIT_SIZE_GRID[i + 1] - 1 : g * 2))],
};
/** Counts of at least 1: the rows-per-person grid alone. */
const ROWS_GRID: Grid = { lo: SIZE_GRID.lo.slice(1), hi: SIZE_GRID.hi.slice(1) };

/** Shares: exactly 0, tenths, exactly 1. */
const SHARE_GRID: Grid = {
  lo: [0, 1e-9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
  hi: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1 - 1e-9, 1],
};

/** Positions within a span: exactly 0, twentieths, exactly 1. */
const POSITION_GRID: Grid = {
  lo: [0, ...Array.from({ length: 20 }, (_, i) => (i === 0 ? 1e-9 : i / 20)), 1],
  hi: [0, ...Array.from({ length: 20 }, (_, i) => (i === 19 ? 1 - 1e-9 : (i + 1) / 20)), 1],
};

/** Offsets: exactly 0, then powers of two from an hour to about 180 years (in days x unit). */
function offsetGrid(unit: number): Grid {
  const lo = [0, 0];
  const hi = [0, unit / 24];
  for (let p = -4; p <= 16; p++) {
    lo.push(hi[hi.length - 1]);
    hi.push(unit * 2 ** p);
  }
  return { lo, hi };
}

/** The spread of exact values: each distinct value a point, or equal-mass bins beyond MAX_POINTS values. */
export function exactSpread(values: readonly number[], weights: readonly number[]): Spread {
  const totals = new Map<number, number>();
  values.forEach((v, i) => totals.set(v, (totals.get(v) ?? 0) + weights[i]));
  const sorted = [...totals].sort((a, b) => a[0] - b[0]);
  if (sorted.length <= MAX_POINTS) return { lo: sorted.map((p) => p[0]), hi: sorted.map((p) => p[0]), weight: sorted.map((p) => p[1]) };
  const total = sorted.reduce((s, p) => s + p[1], 0);
  const spread: Spread = { lo: [], hi: [], weight: [] };
  let at = 0;
  let mass = 0;
  for (let b = 0; b < MAX_POINTS && at < sorted.length; b++) {
    const target = (total * (b + 1)) / MAX_POINTS;
    const lo = sorted[at][0];
    let w = 0;
    while (at < sorted.length && (w === 0 || mass + w + sorted[at][1] <= target + 1e-9)) w += sorted[at++][1];
    mass += w;
    spread.lo.push(lo);
    spread.hi.push(sorted[at - 1][0]);
    spread.weight.push(w);
  }
  return spread;
}

/** A spread from histogram counts over a grid (negative noisy counts read as empty). */
function gridSpread(counts: readonly number[], grid: Grid): Spread {
  const spread: Spread = { lo: [], hi: [], weight: [] };
  counts.forEach((c, b) => {
    if (c > 0 && b < grid.lo.length) {
      spread.lo.push(grid.lo[b]);
      spread.hi.push(grid.hi[b]);
      spread.weight.push(c);
    }
  });
  if (spread.weight.length === 0) return { lo: [grid.lo[0]], hi: [grid.hi[0]], weight: [1] };
  return spread;
}

/** Weighted values binned on `grid`, with Gaussian noise of `sigma` per bin (secure stream). */
function noisySpread(values: readonly number[], weights: readonly number[], grid: Grid, sigma: number, random: SecureRandom, people: number): Spread {
  const counts = new Array<number>(grid.lo.length).fill(0);
  values.forEach((v, i) => (counts[binOf(v, grid)] += weights[i]));
  // Noise on every bin, occupied or not: the grid is public.
  return gridSpread(aboveNoise(counts.map((c) => c + sigma * random.normal()), sigma, people), grid);
}

/**
 * The noisy counts with the far tail cut (post-processing): scanning up, bins are kept until the
 * positive noisy mass below reaches the released number of people (`total`) within two noise
 * deviations; beyond, the bins hold noise only, and one far out (a million rows per person) would
 * otherwise be drawn now and then. Within that range a bin counts when it stands
 * SHAPE_FLOOR_SIGMAS deviations clear of its noise; if none does, the largest alone. A false bin
 * here moves whole entities, not single values: at one deviation each empty bin passed one time in
 * six, at two (the column histograms' floor) one time in 44, and patients with no admission, whose
 * rows then lack the admission key every real row has, made 12-17 % of a DP run's rows (1 run in
 * 12 at two deviations); at three, one time in 740.
 */
const SHAPE_FLOOR_SIGMAS = 3;

function aboveNoise(noisy: readonly number[], sigma: number, total: number): number[] {
  let below = 0;
  let end = noisy.length;
  for (let b = 0; b < noisy.length; b++) {
    below += Math.max(0, noisy[b]);
    if (below >= total - 2 * sigma) {
      end = b + 1;
      break;
    }
  }
  const kept: number[] = noisy.map((c, b) => (b < end && c > SHAPE_FLOOR_SIGMAS * sigma ? c : 0));
  if (!kept.some((c) => c > 0)) {
    let best = 0;
    for (let b = 1; b < end; b++) if (noisy[b] > noisy[best]) best = b;
    kept[best] = 1;
  }
  return kept;
}

/** The bins of `grid` that start at or below `max`. */
function capGrid(grid: Grid, max: number): Grid {
  const keep = grid.lo.filter((lo) => lo <= max).length;
  return { lo: grid.lo.slice(0, Math.max(1, keep)), hi: grid.hi.slice(0, Math.max(1, keep)) };
}

function binOf(v: number, grid: Grid): number {
  for (let b = 0; b < grid.lo.length; b++) if (v <= grid.hi[b]) return b;
  return grid.lo.length - 1;
}

/** A bin's weight as drawn: negative noisy counts, and anything not a finite number, weigh nothing. */
function usableWeight(w: number): number {
  return Number.isFinite(w) && w > 0 ? w : 0;
}

/** A sampler for a spread: cumulative weights and a binary search. */
export function spreadSampler(spread: Spread, integral: boolean): (random: Random) => number {
  const cumulative: number[] = [];
  let total = 0;
  for (const w of spread.weight) cumulative.push((total += usableWeight(w)));
  return (random) => {
    if (total <= 0) return spread.lo[0] ?? 0;
    const r = random.next() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    const a = spread.lo[lo];
    const b = spread.hi[lo];
    if (a === b) return a;
    return integral ? a + random.int(Math.floor(b) - Math.ceil(a) + 1) + Math.ceil(a) - a : a + random.next() * (b - a);
  };
}

/** The quantile function of a spread (u in [0, 1)), interpolating within bins. */
export function spreadQuantile(spread: Spread): (u: number) => number {
  const weights = spread.weight.map(usableWeight);
  const total = weights.reduce((a, b) => a + b, 0);
  return (u) => {
    let r = u * total;
    for (let i = 0; i < weights.length; i++) {
      if (r < weights[i] || i === weights.length - 1) return spread.lo[i] + (spread.hi[i] - spread.lo[i]) * Math.min(1, r / Math.max(weights[i], 1e-300));
      r -= weights[i];
    }
    return spread.lo[0] ?? 0;
  };
}

/** Where `x` ranks in a spread, in [0, 1): the mass below it plus a random share of the mass at it. */
export function spreadRank(spread: Spread): (x: number, random: Random) => number {
  const weights = spread.weight.map(usableWeight);
  const total = weights.reduce((a, b) => a + b, 0);
  return (x, random) => {
    if (!(total > 0)) return random.next();
    let below = 0;
    let at = 0;
    for (let i = 0; i < weights.length; i++) {
      const lo = spread.lo[i];
      const hi = spread.hi[i];
      if (x > hi) below += weights[i];
      else if (x >= lo) at += hi === lo ? weights[i] : weights[i] * Math.min(1, (x - lo + 1) / (hi - lo + 1));
    }
    return Math.min(0.999999, (below + at * random.next()) / total);
  };
}
