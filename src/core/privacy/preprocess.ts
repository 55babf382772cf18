import { InputError } from '../csv/errors';
import { lengthHistogram } from '../placeholder-text';
import type { Random, SecureRandom } from '../random';
import { discreteGaussianNoise } from './discrete-gaussian';
import type { ColumnSchema, Schema } from '../schema/types';
import { holdsWholeNumbers, isModelled, isNumericColumn, type Table } from '../table';
import { DEFAULT_LEVEL_CAP, type ColumnFacts } from '../transform/transformer';
import { valueInBin, type CategoricalHistogram, type ColumnHistogram, type NumericHistogram, type PairHistogram, type PrivateStatistics, type ReleaseEntry } from '../release/types';
import { dateDomain } from '../schema/dates';
import { publicBounds } from '../schema/public-bounds';
import { declaredRuleCategories } from '../rules/check';

/**
 * Private preprocessing: every statistic the transformer (and the marginals generator) takes from
 * the private rows is released by the Gaussian mechanism here, or declared public in the schema.
 *
 * Each modelled column releases one or two noisy histograms. A row falls in exactly one bin of a
 * histogram (missing values have a bin of their own), so each histogram has L2 sensitivity 1 under
 * adding or removing a row, and Gaussian noise of standard deviation sigma costs rho = 1 / (2 sigma^2)
 * in zero-concentrated DP (Bun and Steinke 2016). Counts get discrete Gaussian noise
 * (privacy/discrete-gaussian.ts), which costs the same, drawn from the secure stream. Everything afterwards (levels, bounds, mixture
 * modes, point masses, row count) is post-processing of these histograms.
 *
 * With a privacy unit (a person with up to k rows, privacy/units.ts), every sensitivity is k
 * instead of 1: the noise scales by k for the same rho, and a category must clear k plus the noise
 * threshold, since one person may hold k rows of it (or k categories of their own).
 *
 * - categorical: counts of the categories seen in the data. Which categories exist is itself
 *   private, so only those whose noisy count clears a threshold are released (the "stability"
 *   histogram); the chance that a category held by a single person clears it is at most
 *   `thresholdDelta` per column, which is added to the guarantee's delta. The rest map to an
 *   explicit "other" level, whose count is post-processing of released values (see
 *   remainderCount). With public categories the list is known and nothing is thresholded. The
 *   categories a declared rule names are public too (declaredRuleCategories): counted without the
 *   threshold, the column's other categories still thresholded (and "other" kept).
 * - numeric and dates: bounds come from public bounds, or from a histogram over a fixed grid of
 *   powers of two (data-independent bins); then a histogram of equal bins (one per integer when
 *   the range allows) plus an exact-zero bin gives the shape. A numeric column without public
 *   bounds releases that histogram twice: the second time over narrower bounds when the first
 *   shows the grid was too coarse for the column (zoomedBounds), else over the same bins, and the
 *   two are averaged; the number of releases is fixed by the schema. The number of bins (8 to
 *   128) comes from a noisy row count released first, so that bins hold enough rows to stand
 *   above the noise: the mixture is fitted to a pseudo-sample drawn from it, and bins holding at
 *   least 5 % of the values become point masses.
 * - whether a column gets a missing-value indicator is decided from its released missing count
 *   (at least MISSING_SHARE of the noisy total); without one, the few missing values are encoded
 *   as the most common level or value (post-processing of the same release).
 */

export type { CategoricalHistogram, ColumnHistogram, NumericHistogram, PairHistogram, PrivateStatistics, ReleaseEntry } from '../release/types';
export { binIntegers, valueInBin } from '../release/types';

/** Share of a histogram's mass off a decimal lattice below which its values lie on the lattice. */
const OFF_LATTICE_SHARE = 0.05;

/**
 * The fewest decimal places whose lattice (multiples of 10^-d) holds the values of a released
 * histogram, when its bins are fine enough to tell: bins narrower than the lattice step that
 * contain no lattice point then hold (almost) nothing. creatinine written as 0.9, 1.0, 1.1 over
 * bins 0.04 wide leaves three bins in five empty. Undefined when no coarser lattice shows.
 * Post-processing of the released counts only.
 */
export function latticeDecimals(h: NumericHistogram): number | undefined {
  if (h.integerBins) return 0;
  const bins = h.counts.length;
  const width = (h.edges[bins] - h.edges[0]) / Math.max(1, bins);
  if (!(width > 0)) return undefined;
  for (let d = 0; d <= 6; d++) {
    const scale = 10 ** d;
    if (1 / scale <= 1.5 * width) return undefined;
    // The bins the lattice's points fall in, binned as the rows were (numericSlot): a point on an
    // edge goes where its rows went. Read off the edges, creatinine's 1.2 (778 rows) sat on the
    // edge of 60 bins over 0.5-4, its rows one bin below, and the lattice went unseen.
    const onLattice = new Uint8Array(bins);
    for (let j = Math.ceil(h.min * scale - 1e-9); j / scale <= h.max; j++) {
      const slot = numericSlot(j / scale, h.min, h.max, bins, false);
      if (slot < bins) onLattice[slot] = 1;
    }
    let on = 0;
    let off = 0;
    let offBins = 0;
    for (let k = 0; k < bins; k++) {
      if (onLattice[k]) {
        on += h.counts[k];
      } else {
        off += h.counts[k];
        offBins++;
      }
    }
    // Informative only when values off the lattice would fill a good share of the bins.
    if (offBins >= 0.3 * bins && on > 0 && Math.max(off, 0) <= OFF_LATTICE_SHARE * (on + Math.max(off, 0))) return d;
  }
  return undefined;
}

export interface PreprocessOptions {
  /** zCDP budget of the whole preprocessing. */
  rho: number;
  /** Per-column chance that a category held by one person is released (added to delta). */
  thresholdDelta: number;
  /** Noise source: a cryptographically secure stream, or the guarantee does not hold. */
  random: SecureRandom;
  /**
   * The guarantee's delta, checked against the released row count before anything else is
   * released: a delta of 1/n or more allows publishing a whole record.
   */
  delta?: number;
  /** Whether the generator needs category counts even when categories are public (marginals). */
  needsCounts: boolean;
  /** Column pairs (schema indices, each column in at most one pair) whose joint is released too. */
  pairs?: [number, number][];
  otherLabel?: string;
  /** The file's name, for messages. */
  file?: string;
  /** Release free-text columns' length histograms, for placeholder text. */
  textLengths?: boolean;
  /**
   * Privacy unit: each unit (person) holds at most this many rows of the table (bounded before),
   * so every release's sensitivity, and its noise, is multiplied by it. Default 1: rows.
   */
  maxRowsPerUnit?: number;
  /** Most levels of a thresholded categorical column, "Other" included (DEFAULT_LEVEL_CAP). */
  levelCap?: number;
  /**
   * Detail for a generator that groups bins into coarser cells itself (pgm): keep a numeric
   * column's thin tails (see tailRange) instead of cutting them at the floor, let a whole-number
   * column's bounds reach one octave further toward zero, and give whole numbers one bin each up
   * to MAX_INTEGER_BINS whatever the row count (a spike at 40 hours stays at 40 instead of
   * spreading over its 4-hour bin). Quality metrics bin each file over its own range, so a
   * synthetic age that stops at 72 where the real one reaches 90 shifts every bin of every pair
   * with age.
   */
  fineDetail?: boolean;
  /** The histograms are the generator's whole model (marginals): too few rows is not met by choosing it. */
  histogramsOnly?: boolean;
}

/** Releases privateStatistics makes: fixed by the schema and the options alone (public structure). */
export function releaseCount(schema: Schema, options: Pick<PreprocessOptions, 'needsCounts' | 'pairs' | 'textLengths' | 'fineDetail'>): number {
  const plan = schema.columns.map((column) => (isModelled(column) ? histogramsNeeded(column, options.needsCounts) + (releasesSpikes(column, options.fineDetail) ? SPIKE_RELEASE_SHARE : 0) : 0));
  // One more release first: a noisy row count, which sets the histograms' resolution.
  const texts = schema.columns.filter((column) => options.textLengths && column.kind === 'text' && !column.exclude).length;
  return plan.reduce((a, b) => a + b, 0) + 1 + (options.pairs?.length ?? 0) + texts;
}

/**
 * Whether a column releases its point masses (fine detail only): numbers that are not whole
 * (whole numbers get one bin each already). Decided from the schema alone; such a column is
 * thresholded, so it takes a share of the threshold delta (thresholdedColumns).
 */
export function releasesSpikes(column: ColumnSchema, fineDetail: boolean | undefined): boolean {
  return !!fineDetail && isModelled(column) && isNumericColumn(column) && !holdsWholeNumbers(column);
}

/**
 * The spike release costs this share of a histogram's rho (its noise is 1/√share times larger):
 * spikes worth keeping hold hundreds of rows, so a coarse count finds them, and the histograms
 * every column needs keep their noise (rhc: 16 such columns add 4 histograms' worth to 180).
 */
const SPIKE_RELEASE_SHARE = 0.25;
/** Most point masses kept per column (the largest released counts). */
const MAX_SPIKES = 8;

/**
 * Noisy count above which a value (a category, a point mass) is released: a value held by one
 * person holds up to k rows, and one person may hold up to k values of their own, so each must
 * stay below it with chance 1 - delta/k; by the union bound none shows with chance above delta.
 */
function releaseThreshold(k: number, sigma: number, columnDelta: number): number {
  return k + sigma * normalQuantile(1 - columnDelta / k);
}

export const DEFAULT_OTHER_LABEL = 'Other';
/** Share of a column's released values in "Other" from which the card says so (see mostlyOther). */
export const MOSTLY_OTHER_SHARE = 0.5;
const VALUE_BINS = 128;
const MAX_INTEGER_BINS = 256;
const PSEUDO_SAMPLE = 20000;
const SPIKE_SHARE = 0.05;
export const MISSING_SHARE = 0.01;
/** Noisy counts below this many noise standard deviations are taken as empty. */
export const FLOOR_SIGMAS = 2;
/**
 * A noisy count below FLOOR_SIGMAS noise deviations, taken as empty (post-processing). Without it a
 * column with no missing values gets about one noise deviation of them in every private run (a
 * drug column on 94 patients at ε 3: 4 % of synthetic drugs blank, none in the file).
 */
function floorNoisyCount(count: number, sigma: number): number {
  return count < FLOOR_SIGMAS * sigma ? 0 : count;
}
/** Chance that noise alone lifts some empty bin of a value histogram to the core threshold. */
const CORE_FALSE_OCCUPANCY = 0.05;
/** Empty bins a histogram's tail may skip and still continue (see cleanHistogram). */
const TAIL_GAP = 2;
/** Chance that noise alone marks some empty cell of a bounds histogram (grid or zoom) as occupied. */
const BOUNDS_FALSE_OCCUPANCY = 1e-3;

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

export function privateStatistics(schema: Schema, table: Table, options: PreprocessOptions): PrivateStatistics {
  const other = options.otherLabel ?? DEFAULT_OTHER_LABEL;
  const releases: ReleaseEntry[] = [];
  const publicFacts: string[] = [];
  // Histograms to release, decided from the schema alone (public structure), before any noise.
  const pairs = options.pairs ?? [];
  const texts = schema.columns.map((column, index) => (options.textLengths && column.kind === 'text' && !column.exclude ? index : -1)).filter((i) => i >= 0);
  const totalHistograms = releaseCount(schema, options);
  const rhoEach = options.rho / totalHistograms;
  if (!(rhoEach > 0) || !Number.isFinite(rhoEach)) throw new Error(`the preprocessing budget must be a positive number (got rho ${options.rho})`);
  // With up to k rows per person, one person moves a histogram by k in L2 (all rows in one bin).
  const k = options.maxRowsPerUnit ?? 1;
  const sigma = k * Math.sqrt(1 / (2 * rhoEach));
  const noise = discreteGaussianNoise(options.random, sigma);
  let thresholdDelta = 0;
  // The one place rule-named values join a column's public facts: a column's own complete list
  // (`public.categories`) wins over them.
  const ruleNamed = declaredRuleCategories(schema);
  const noisyCount = table.rowCount + noise();
  releases.push({ column: '(all)', what: 'row count', rho: rhoEach, sigma });
  // Checks on the released count only (post-processing), before anything else is released.
  const needed = checkReleasedSize(noisyCount, sigma, options.delta, { histograms: totalHistograms, columns: schema.columns.filter(isModelled).length, file: options.file, maxRowsPerUnit: options.maxRowsPerUnit, histogramsOnly: options.histogramsOnly });
  const smallFile = noisyCount < SMALL_FILE_MARGIN * needed ? { rows: Math.round(noisyCount), needed } : undefined;
  // Estimates of the row count, each with its noise variance (a histogram's total carries the
  // noise of every slot), combined by inverse variance at the end.
  const totals: { value: number; variance: number }[] = [{ value: noisyCount, variance: sigma * sigma }];
  const pushTotal = (counts: NoisyValueCounts, variance: number): void => {
    const slots = counts.raw.length + 1 + (hasZeroBin(counts.min, counts.max, counts.integerBins) ? 1 : 0);
    totals.push({ value: counts.total, variance: slots * variance });
  };
  // Enough rows per bin to stand above the noise: about 8 sigma of expected count per bin. The
  // bin count is chosen from the released row count, so it only decides WHICH histogram each
  // column releases next; whichever is chosen, a row still falls in exactly one of its slots
  // (L2 sensitivity 1) and gets noise of the same sigma, fixed by the schema before any data was
  // read. Each release is therefore rhoEach-zCDP whatever came before, and zCDP composes
  // adaptively (Bun and Steinke 2016, Lemma 2.3): the ledger's sum of fixed rhos holds.
  const valueBins = Math.max(8, Math.min(VALUE_BINS, Math.floor(noisyCount / (8 * sigma))));
  const tails = options.fineDetail ?? false;
  // Fine detail: a bin per whole number while the bins would hold half the noise on average (a
  // choice from the released count, as the bin count above); past that, value bins. Lung's 228
  // ages got a bin a year, ~2 rows each under noise of 11, and ages of 93 to 110 were drawn from
  // bins of noise alone, where the real ones stop at 82.
  const integerBinsUpTo = Math.min(MAX_INTEGER_BINS, tails ? Math.max(2 * valueBins, Math.floor((2 * noisyCount) / sigma)) : 2 * valueBins);

  const facts: (ColumnFacts | undefined)[] = [];
  const histograms: (ColumnHistogram | undefined)[] = [];
  const mostlyOther: PrivateStatistics['mostlyOther'] = [];
  schema.columns.forEach((column, index) => {
    if (!isModelled(column)) {
      facts.push(undefined);
      histograms.push(undefined);
      return;
    }
    const data = table.columns[index];
    if (isNumericColumn(column)) {
      if (data.type !== 'numeric') throw new Error(`column ${column.name}: expected numeric data`);
      const integer = holdsWholeNumbers(column);
      const bounds = publicBounds(column);
      let histogram: NumericHistogram;
      if (bounds) {
        publicFacts.push(`${column.name}: bounds ${column.public!.bounds!.min} .. ${column.public!.bounds!.max}${column.public!.bounds!.observed ? ', observed (the synthetic column reaches both)' : ''}`);
        const counts = noisyValueCounts(data.values, bounds, integer, noise, valueBins, integerBinsUpTo);
        releases.push({ column: column.name, what: 'histogram of values within the bounds, with zero and missing bins', rho: rhoEach, sigma });
        pushTotal(counts, sigma * sigma);
        histogram = cleanValueHistogram(counts, sigma, tails);
      } else {
        const octaves = withinDateDomain(octaveBounds(data.values, noise, sigma, tails && integer, column.dateFormat && dateDomain(column.dateFormat), tails), column);
        releases.push({ column: column.name, what: 'histogram over a fixed grid of powers of two (for bounds)', rho: rhoEach, sigma });
        const first = noisyValueCounts(data.values, octaves, integer, noise, valueBins, integerBinsUpTo);
        releases.push({ column: column.name, what: 'histogram of values within those bounds, with zero and missing bins', rho: rhoEach, sigma });
        pushTotal(first, sigma * sigma);
        const zoom = zoomedBounds(first, sigma, tails) ?? (octaves.zeroOnly && !column.dateFormat ? beyondZeroBounds(first, octaves.grid, sigma) : undefined);
        const second = noisyValueCounts(data.values, zoom ?? octaves, integer, noise, valueBins, integerBinsUpTo);
        pushTotal(second, sigma * sigma);
        if (zoom) {
          releases.push({ column: column.name, what: 'histogram of values within bounds chosen from the previous ones (narrowed, or widened from zero alone)', rho: rhoEach, sigma });
          histogram = cleanValueHistogram(second, sigma, tails);
        } else {
          releases.push({ column: column.name, what: 'the same histogram again, averaged with it', rho: rhoEach, sigma });
          const averaged = averageCounts(first, second);
          histogram = cleanValueHistogram(tails ? withGridCounts(averaged, octaves.grid, sigma / Math.SQRT2, sigma) : averaged, sigma / Math.SQRT2, tails, tails ? { noisy: octaves.grid, sigma } : undefined);
        }
      }
      if (releasesSpikes(column, options.fineDetail)) {
        const spikeSigma = sigma / Math.sqrt(SPIKE_RELEASE_SHARE);
        const threshold = releaseThreshold(k, spikeSigma, options.thresholdDelta);
        thresholdDelta += options.thresholdDelta;
        const spikes = noisySpikes(data.values, discreteGaussianNoise(options.random, spikeSigma), threshold);
        releases.push({ column: column.name, what: `counts of each exact value other than 0, values released only above a noisy count of ${threshold.toFixed(0)} (point masses)`, rho: rhoEach * SPIKE_RELEASE_SHARE, sigma: spikeSigma });
        if (spikes.length) histogram = { ...histogram, spikes };
      }
      histograms.push(histogram);
      facts.push(numericFacts(histogram, options.random));
    } else {
      if (data.type !== 'categorical') throw new Error(`column ${column.name}: expected categorical data`);
      const declared = column.public?.categories;
      const counts = new Map<string, number>();
      let missing = 0;
      for (let r = 0; r < data.codes.length; r++) {
        const code = data.codes[r];
        if (code < 0) missing++;
        else counts.set(data.levels[code], (counts.get(data.levels[code]) ?? 0) + 1);
      }
      if (declared) {
        publicFacts.push(`${column.name}: categories ${declared.join(', ')}`);
        const levels = declared.slice();
        if (options.needsCounts) {
          const raw = levels.map((l) => (counts.get(l) ?? 0) + noise());
          const rawMissing = missing + noise();
          releases.push({ column: column.name, what: 'counts of the public categories and of missing values', rho: rhoEach, sigma });
          totals.push({ value: raw.reduce((a, b) => a + b, 0) + rawMissing, variance: (raw.length + 1) * sigma * sigma });
          histograms.push({ type: 'categorical', levels, counts: raw.map((c) => Math.max(0, c)), missing: floorNoisyCount(rawMissing, sigma), sigma });
        } else {
          histograms.push(undefined);
        }
        facts.push(categoricalFacts(levels, histograms[histograms.length - 1] as CategoricalHistogram | undefined, undefined));
        return;
      }
      const columnDelta = options.thresholdDelta;
      thresholdDelta += columnDelta;
      const threshold = releaseThreshold(k, sigma, columnDelta);
      // Levels a declared rule names: public, so counted with noise but no threshold (the slots of
      // one histogram with the thresholded ones: each row still falls in exactly one).
      const named = ruleNamed.get(column.name);
      // A boolean column's two values are named by its kind (the schema you approve): counted
      // without the threshold, so a rare one (rhc's 0/1 histories: 150 of 4,600 rows against a
      // threshold of 164) is not written as "Other" in a column of 0 and 1.
      const pair = column.kind === 'boolean' && column.categories?.length === 2 ? column.categories.map((c) => c.value) : [];
      const publicLevels = [...new Set([...(named?.values ?? []), ...pair])];
      if (named) publicFacts.push(`${column.name}: categories ${publicLevels.join(', ')}, declared public by the rule${named.rules.length > 1 ? 's' : ''} ${named.rules.map((r) => `"${r}"`).join(', ')}`);
      else if (pair.length) publicFacts.push(`${column.name}: categories ${pair.join(', ')}, named by the column's kind (boolean)`);
      const publicCounts = publicLevels.map((level) => (counts.get(level) ?? 0) + noise());
      const levels: string[] = [];
      const noisyCounts: number[] = [];
      // Codes 0..15 of a column of whole-number codes (an ordinal such as 0-7) are counted over
      // that fixed range, so no threshold: which of them hold values is the value histograms'
      // cleaning (cleanHistogram, without fine detail's thin tails: codes 1, 2 and 9 must not
      // gain 3 to 8), post-processing. Thresholded alone, rhc's adld3p kept 0 and 1 and wrote its
      // 2 to 7 (25 % of its values) as "Other".
      const wholeNumbers = holdsWholeNumberCodes(column) ? new Array<number>(WHOLE_NUMBER_CODES).fill(0) : undefined;
      for (const [value, count] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        if (publicLevels.includes(value)) continue;
        const code = wholeNumbers ? wholeNumberCode(value) : -1;
        if (code >= 0) {
          wholeNumbers![code] = count;
          continue;
        }
        const noisy = count + noise();
        if (noisy >= threshold) {
          levels.push(value);
          noisyCounts.push(noisy);
        }
      }
      if (wholeNumbers) {
        const noisy = wholeNumbers.map((c) => c + noise());
        // Codes are kept only when one stands clearly above the noise (as a histogram's bounds
        // must: a 1-in-1,000 chance for noise alone); otherwise (the values lie outside 0-15, or
        // are too few) none is: codes past twice the noise alone were kept, and a score of 30 to
        // 108 wrote some of its rows as a code such as 9 it never holds in 39 % of releases.
        const cleaned = occupiedRange(noisy, sigma, BOUNDS_FALSE_OCCUPANCY, undefined, false) ? cleanHistogram(noisy, sigma) : noisy.map(() => 0);
        cleaned.forEach((c, code) => {
          if (c > 0 && !publicLevels.includes(String(code))) {
            levels.push(String(code));
            noisyCounts.push(c);
          }
        });
      }
      // A code column of thousands of values can clear the threshold thousands of times on a
      // large file: beyond the cap, the values with the smallest released counts are grouped in
      // "Other" (its count is what the kept ones leave, below), which bounds the model's width,
      // its training time and the card. Chosen from released counts: post-processing.
      const cap = Math.max(2, options.levelCap ?? DEFAULT_LEVEL_CAP);
      // Public levels are always kept: the thresholded ones share what room they leave.
      const room = Math.max(0, cap - 1 - publicLevels.length);
      let grouped = 0;
      if (levels.length > room) {
        const byCount = levels.map((_, i) => i).sort((a, b) => noisyCounts[b] - noisyCounts[a] || (levels[a] < levels[b] ? -1 : 1));
        const kept = new Set(byCount.slice(0, room));
        grouped = levels.length - kept.size;
        const keptLevels = levels.filter((_, i) => kept.has(i));
        const keptCounts = noisyCounts.filter((_, i) => kept.has(i));
        levels.splice(0, levels.length, ...keptLevels);
        noisyCounts.splice(0, noisyCounts.length, ...keptCounts);
      }
      levels.unshift(...publicLevels);
      noisyCounts.unshift(...publicCounts);
      const noisyMissing = floorNoisyCount(missing + noise(), sigma);
      // "Other" is always a level: whether anything was suppressed must not show. Its count is
      // NOT a new count of the suppressed rows (that would count such a row twice, once in its
      // own noisy count and again in Other, with fresh noise: two Gaussian releases charged as
      // one; pbc at a stated 0.999 was truly 1.024). It is what the released row count leaves
      // after the released categories and missing values: post-processing, no privacy cost.
      const remainder = remainderCount(noisyCount, noisyCounts, noisyMissing, sigma);
      const otherIndex = levels.indexOf(other);
      if (otherIndex >= 0) noisyCounts[otherIndex] += remainder;
      else {
        levels.push(other);
        noisyCounts.push(remainder);
      }
      const otherLevel = other;
      const capped = grouped
        ? `; ${grouped} more categories cleared it than the cap of ${cap} levels allows: they are grouped in "${other}" with the unreleased ones (the ${room} with the largest released counts are kept; the cap bounds the model's width and training time)`
        : '';
      const wholeNumberText = wholeNumbers ? `whole numbers 0 to ${WHOLE_NUMBER_CODES - 1} counted over that fixed range (kept where the counts show values, as for a histogram of values), other ` : '';
      const publicText = publicLevels.length ? `counts of the ${publicLevels.length} categories named by ${named ? 'declared rules' : "the column's kind (boolean)"} (public, no threshold; none below ${FLOOR_SIGMAS} σ), ` : '';
      releases.push({ column: column.name, what: `${publicText}${wholeNumberText}${publicLevels.length && !wholeNumbers ? 'other ' : ''}category counts, categories released only above a noisy count of ${threshold.toFixed(0)}; "${other}" is the released row count minus the released counts, none when noise alone could reach it with chance ${FALSE_OTHER} (no further release)${capped}`, rho: rhoEach, sigma });
      // A public level's noisy count below the floor is taken as empty, as a missing count is.
      const clipped = noisyCounts.map((c, i) => Math.max(0, i < publicLevels.length ? floorNoisyCount(c, sigma) : c));
      const present = clipped.reduce((a, b) => a + b, 0);
      if (present > 0 && remainder >= MOSTLY_OTHER_SHARE * present) mostlyOther.push({ column: column.name, share: remainder / present, threshold });
      // No row-count estimate from this column: its total is the released row count by construction.
      histograms.push({ type: 'categorical', levels, counts: clipped, missing: noisyMissing, sigma });
      facts.push(categoricalFacts(levels, histograms[histograms.length - 1] as CategoricalHistogram, otherLevel));
    }
  });
  const weight = totals.reduce((a, t) => a + 1 / t.variance, 0);
  const rowCount = Math.max(1, Math.round(totals.reduce((a, t) => a + t.value / t.variance, 0) / weight));
  const pairHistograms = pairs.map(([a, b]): PairHistogram => {
    const ha = histograms[a];
    const hb = histograms[b];
    if (!ha || !hb) throw new Error(`columns ${schema.columns[a].name} and ${schema.columns[b].name}: a pair needs both columns' histograms`);
    const slotsA = slotsOf(ha, table.columns[a], other);
    const slotsB = slotsOf(hb, table.columns[b], other);
    const cellOfSlot: [number[], number[]] = [cellsOf(ha), cellsOf(hb)];
    const cellsB = Math.max(...cellOfSlot[1]) + 1;
    const counts = new Float64Array((Math.max(...cellOfSlot[0]) + 1) * cellsB);
    for (let r = 0; r < table.rowCount; r++) counts[cellOfSlot[0][slotsA[r]] * cellsB + cellOfSlot[1][slotsB[r]]]++;
    releases.push({ column: `${schema.columns[a].name} x ${schema.columns[b].name}`, what: 'joint histogram of the pair', rho: rhoEach, sigma });
    return { columns: [a, b], cellOfSlot, counts: Array.from(counts, (c) => Math.max(0, c + noise())) };
  });
  const textLengths = schema.columns.map((): number[] | undefined => undefined);
  for (const index of texts) {
    const data = table.columns[index];
    const raw = lengthHistogram(data.type === 'none' && data.lengths ? data.lengths : []).map((c) => c + noise());
    releases.push({ column: schema.columns[index].name, what: 'histogram of value lengths (powers of two) and of missing values, for placeholder text', rho: rhoEach, sigma });
    const counts = [...cleanHistogram(raw.slice(0, -1), sigma), Math.max(0, raw[raw.length - 1])];
    if (counts.some((c) => c > 0)) textLengths[index] = counts;
  }
  return { facts, textLengths, histograms, rowCount, releasedRowCount: noisyCount, rho: rhoEach * totalHistograms, thresholdDelta, releases, publicFacts, pairs: pairHistograms, mostlyOther, ...(smallFile ? { smallFile } : {}) };
}

/**
 * The values of a column whose noisy count clears the threshold (zero has a slot of its own),
 * at most MAX_SPIKES of them, largest first: the stable-histogram release of the exact values.
 */
function noisySpikes(values: Float64Array, noise: () => number, threshold: number): { value: number; count: number }[] {
  const counts = new Map<number, number>();
  for (const x of values) if (x === x && x !== 0) counts.set(x, (counts.get(x) ?? 0) + 1);
  const kept: { value: number; count: number }[] = [];
  // In value order, so the noise each value gets does not depend on the rows' order.
  for (const value of [...counts.keys()].sort((a, b) => a - b)) {
    const count = counts.get(value)! + noise();
    if (count >= threshold) kept.push({ value, count });
  }
  return kept.sort((a, b) => b.count - a.count || a.value - b.value).slice(0, MAX_SPIKES);
}

/**
 * Whole-number codes 0 to this less one are counted over a fixed range (see
 * holdsWholeNumberCodes): ordinal scales (0-7, 1-5, 3-15) fit, and a short range keeps the chance
 * that noise alone shows a code between two real ones small (codes 1, 2 and 9).
 */
const WHOLE_NUMBER_CODES = 16;

/**
 * A categorical column whose values were read as whole numbers (its number format, schema
 * structure): its codes 0..WHOLE_NUMBER_CODES-1 are counted over that fixed range.
 */
export function holdsWholeNumberCodes(column: ColumnSchema): boolean {
  return column.kind === 'categorical' && column.number?.decimals === 0;
}

/** The code a category's text stands for in that range, written as such ("3", not "03"), else -1. */
function wholeNumberCode(value: string): number {
  const code = Number(value);
  return Number.isInteger(code) && code >= 0 && code < WHOLE_NUMBER_CODES && String(code) === value ? code : -1;
}

/**
 * Chance that noise alone gives "Other" rows to a column with no value beyond its released ones.
 * Such rows are a category the file never holds, beside values a reader knows (rhc's yes/no
 * `death` written "Other" in 137 rows, support2's ADL codes in 161 to 196): at a floor of two
 * deviations this befell about 1 % of yes/no columns and more of wider ones: support2's adlp in
 * 2 of 17 runs, rhc's death in the one rhc run looked at.
 */
const FALSE_OTHER = 1e-3;

/**
 * The count of a thresholded column's "Other" level: the released row count minus the released
 * category counts and the released missing count. A function of released values only. As a
 * difference of noisy counts it carries all their noise (standard deviation sigma √(levels + 2)),
 * so it is positive by noise alone about half the time: it is taken as none unless noise alone
 * would reach it with chance FALSE_OTHER at most. "Other" then holds rows only where the release
 * shows mass outside the released levels (a 0/1 column got 33 rows of "Other" in 5,735 at ε 3
 * without a floor). Unreleased values under that margin are drawn as released ones (pgm/domain.ts:
 * empty slots join the fullest cell), where a spurious "Other" would be seen.
 */
export function remainderCount(noisyRows: number, releasedCounts: readonly number[], releasedMissing: number, sigma: number): number {
  const remainder = noisyRows - releasedCounts.reduce((a, b) => a + b, 0) - releasedMissing;
  return remainder >= normalQuantile(1 - FALSE_OTHER) * sigma * Math.sqrt(releasedCounts.length + 2) ? remainder : 0;
}

/** How far above the noise a column held in one octave stands, to be located by the bounds grid. */
const LOCATE_MARGIN_SIGMAS = 3;

/**
 * Rows the preprocessing needs at noise sigma: enough that a numeric column whose values all lie
 * in one octave clears the bounds grid's threshold by LOCATE_MARGIN_SIGMAS noise deviations.
 * Below it the bounds are decided by noise (ages in the hundreds of billions, every date in 1970).
 * Depends on sigma only, which the budget and the schema fix before any data is read.
 */
/**
 * Files with fewer rows than this many times the rows the budget needs are run, with a card note
 * that the output will be rough (lung's 228 rows at ε 3 are 2.3 times, pbc's 418 are 2.8 times;
 * a few more rows than needed gave mimic3demo's 70 people quality 0.05-0.15).
 */
export const SMALL_FILE_MARGIN = 3;

export function rowsNeeded(sigma: number): number {
  return Math.ceil(gridThreshold(sigma) + LOCATE_MARGIN_SIGMAS * sigma);
}

/**
 * Too few rows for the budget, or a delta too large for the file: said before any work, naming the
 * file. Returns the rows the budget needs. The budget is shared by every released count, so the rows needed grow with the square root
 * of the columns: the message says so, with the rows a quarter of the columns would need.
 */
function checkReleasedSize(noisyRows: number, sigma: number, delta: number | undefined, shared: { histograms: number; columns: number; file?: string; maxRowsPerUnit?: number; histogramsOnly?: boolean }): number {
  const needed = rowsNeeded(sigma);
  const about = Math.max(0, Math.round(noisyRows)).toLocaleString('en-GB');
  const fail = (detail: string): never => {
    throw shared.file ? new InputError(detail, { file: shared.file }) : new Error(detail);
  };
  // A delta too large even for the smallest workable file is the request's fault; otherwise too
  // few rows is the clearer message (the count of a tiny file is mostly noise).
  if (delta !== undefined && (delta >= 1 / needed || (noisyRows >= needed && delta >= 1 / noisyRows))) {
    fail(
      `delta ${delta} is not below 1/n for a file of about ${about} rows (a noisy count): a guarantee that weak allows releasing whole records; use a delta well below ${(1 / Math.max(needed, noisyRows)).toExponential(1)}, e.g. the default 1e-6.`,
    );
  }
  if (noisyRows < needed) {
    // The noise grows with √(counts released) and the rows needed with the noise: fewer columns need
    // fewer rows. Said from the budget and the schema alone, not from the noisy count.
    const quarter = Math.floor(shared.columns / 4);
    const columns = shared.columns.toLocaleString('en-GB');
    fail(
      `too few rows for this privacy budget: ${shared.maxRowsPerUnit === undefined ? `the file has about ${about} training rows (a noisy count)` : `about ${about} training rows are left once each person keeps at most ${shared.maxRowsPerUnit.toLocaleString('en-GB')} of their rows (a noisy count; the privacy unit is the person)`}, and its ${columns} modelled column${shared.columns === 1 ? '' : 's'} share the budget (${shared.histograms.toLocaleString('en-GB')} noisy counts), so each released count carries noise of standard deviation ${sigma.toFixed(1)} and the column statistics need at least ${needed.toLocaleString('en-GB')} rows. Use a larger file${shared.histogramsOnly ? ' or a larger --epsilon' : ', a larger --epsilon, or --generator marginals (it spends the whole budget on these counts)'}` +
        (quarter >= 2
          ? `; or fewer columns: the rows needed grow with the square root of the columns (${quarter.toLocaleString('en-GB')} columns would need about ${rowsNeeded(sigma * Math.sqrt(quarter / shared.columns)).toLocaleString('en-GB')} rows; exclude columns in a schema)`
          : '') +
        (shared.maxRowsPerUnit === undefined ? '.' : '; or protect rows rather than people (--privacy-unit row), a weaker guarantee when people have many rows.'),
    );
  }
  return needed;
}

/** Neighbouring value bins of a numeric column grouped into at most this many joint cells. */
export const PAIR_VALUE_CELLS = 16;

/** The cell of each slot of a released histogram (see PairHistogram): public structure only. */
function cellsOf(h: ColumnHistogram): number[] {
  if (h.type === 'categorical') return Array.from({ length: h.levels.length + 1 }, (_, i) => i);
  // Cells cover the bins the column's own release shows values in (the bounds may be wider, and
  // public bounds often are); bins outside join the nearest end cell.
  const bins = h.counts.length;
  let first = h.counts.findIndex((c) => c > 0);
  let last = bins - 1 - [...h.counts].reverse().findIndex((c) => c > 0);
  if (first < 0) [first, last] = [0, bins - 1];
  const span = last - first + 1;
  const groups = Math.min(PAIR_VALUE_CELLS, span);
  const cell = (i: number): number => Math.floor((Math.min(Math.max(i - first, 0), span - 1) * groups) / span);
  return [...Array.from({ length: bins }, (_, i) => cell(i)), groups, groups + 1];
}

/** Each row's slot in a released histogram, binned exactly as the histogram was. */
export function slotsOf(h: ColumnHistogram, data: Table['columns'][number], other: string): Int32Array {
  const rows = data.type === 'numeric' ? data.values.length : data.type === 'categorical' ? data.codes.length : 0;
  const slots = new Int32Array(rows);
  if (h.type === 'categorical') {
    if (data.type !== 'categorical') throw new Error('expected categorical data');
    const index = new Map(h.levels.map((l, i) => [l, i]));
    const otherIndex = index.get(other) ?? 0;
    const levelSlot = data.levels.map((l) => index.get(l) ?? otherIndex);
    for (let r = 0; r < rows; r++) slots[r] = data.codes[r] < 0 ? h.levels.length : levelSlot[data.codes[r]];
    return slots;
  }
  if (data.type !== 'numeric') throw new Error('expected numeric data');
  for (let r = 0; r < rows; r++) slots[r] = numericSlot(data.values[r], h.min, h.max, h.counts.length, h.integerBins);
  return slots;
}

/** Continuous histograms set exact zeros apart when 0 lies within the bounds. */
function hasZeroBin(min: number, max: number, integerBins: boolean): boolean {
  return min <= 0 && 0 <= max && !integerBins;
}

/**
 * Slot of a value in a numeric histogram over [min, max]: its value bin (values outside the bounds
 * are clamped in), `bins` for an exact zero (continuous histograms only), `bins + 1` if missing.
 */
export function numericSlot(x: number, min: number, max: number, bins: number, integerBins: boolean): number {
  if (Number.isNaN(x)) return bins + 1;
  if (x === 0 && hasZeroBin(min, max, integerBins)) return bins;
  const clamped = Math.min(Math.max(x, min), max);
  // Halves first: max - min overflows for bounds at both ends of the double range.
  return integerBins ? Math.round(clamped) - Math.round(min) : Math.min(bins - 1, Math.floor(((clamped / 2 - min / 2) / (max / 2 - min / 2)) * bins));
}

/** With counts, missingness is kept only when the release shows enough of it. */
function categoricalFacts(levels: string[], h: CategoricalHistogram | undefined, otherLevel: string | undefined): ColumnFacts {
  const base = { type: 'categorical' as const, levels, ...(otherLevel !== undefined ? { otherLevel } : {}) };
  if (!h) return { ...base, hasMissing: true };
  const total = h.counts.reduce((a, b) => a + b, 0) + h.missing;
  if (total > 0 && h.missing >= MISSING_SHARE * total) return { ...base, hasMissing: true };
  const top = h.counts.indexOf(Math.max(...h.counts));
  return { ...base, hasMissing: false, imputeLevel: levels[Math.max(0, top)] };
}

/** Histograms a column releases: the plan depends only on the schema, never on the data. */
function histogramsNeeded(column: ColumnSchema, needsCounts: boolean): number {
  if (isNumericColumn(column)) return column.public?.bounds ? 1 : 3;
  if (column.public?.categories) return needsCounts ? 1 : 0;
  return 1;
}

/**
 * Date columns keep to the years their format can write (dateDomain, public structure): the grid
 * spans every double, and bounds its noise stretched to ±2^1023 gave birth dates in year -184165.
 */
function withinDateDomain<T extends { min: number; max: number }>(bounds: T, column: ColumnSchema): T {
  if (!column.dateFormat) return bounds;
  const domain = dateDomain(column.dateFormat);
  const min = Math.min(domain.max - 1, Math.max(domain.min, bounds.min));
  const max = Math.max(min + 1, Math.min(domain.max, bounds.max));
  return { ...bounds, min, max };
}

/**
 * Fixed grid: (-inf, -2^1023], ..., (-2^-8, 0), [0, 0], (0, 2^-8), ..., [2^1023, inf): every
 * finite double lies inside a bin, so no value is clamped to the grid (epoch milliseconds and
 * 18-digit identifiers included). One bin per power of two up to 2^64, then one per 64 powers:
 * every bin is a chance for noise to pass the occupancy threshold, so 2,000 bins of one octave
 * would raise it by half a noise deviation for every column; magnitudes past 2^64 are located
 * coarsely. Values nearer zero than 2^-8 share the bins next to zero, whose edges contain them.
 */
const GRID_POWERS = [
  ...Array.from({ length: 73 }, (_, i) => i - 8), // 2^-8 .. 2^64, one octave each
  ...Array.from({ length: 14 }, (_, i) => 128 + 64 * i), // 2^128 .. 2^960
  1023,
];
const GRID_BINS = 2 * GRID_POWERS.length + 3;

export function gridBin(x: number): number {
  const powers = GRID_POWERS.length;
  if (x === 0) return powers + 1;
  const magnitude = Math.abs(x);
  // k = number of grid powers at or below |x| (binary search).
  let lo = 0;
  let hi = powers;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (magnitude >= 2 ** GRID_POWERS[mid]) lo = mid + 1;
    else hi = mid;
  }
  const k = lo;
  // k = index of the first power above |x|: positive bins above zero, negative below.
  return x > 0 ? powers + 2 + k : powers - k;
}

export function gridEdges(bin: number): [number, number] {
  const powers = GRID_POWERS.length;
  if (bin === powers + 1) return [0, 0];
  if (bin > powers + 1) {
    const k = bin - powers - 2;
    return [k === 0 ? 0 : 2 ** GRID_POWERS[k - 1], k < powers ? 2 ** GRID_POWERS[k] : Infinity];
  }
  const k = powers - bin;
  return [k < powers ? -(2 ** GRID_POWERS[k]) : -Infinity, k === 0 ? 0 : -(2 ** GRID_POWERS[k - 1])];
}

/**
 * Narrower bounds from a value histogram over the power-of-two bounds, or undefined to keep them.
 * The grid locates a column only to within a factor of two. That is fine for values that spread
 * from near zero over several octaves (lab values, counts, money), where a tail far out is real and
 * Pearson correlations lean on it. It is not for values far from zero with a small spread: a year
 * of dates around 2023 (day 19,000) sits in [16384, 32768), 45 years, one bin every half year; a
 * year column sits in [1024, 2048). So when the bounds lie within two octaves on one side of zero
 * and the bins are not already one per integer, the bounds shrink to the histogram's occupied bins
 * (core and tails, as cleanHistogram finds them, with the bounds grid's stricter core). Values
 * beyond are clamped to the new bounds, as DP-SGD clips its inputs.
 */
function zoomedBounds(counts: NoisyValueCounts, sigma: number, keepTails = false): { min: number; max: number } | undefined {
  const { min, max, edges } = counts;
  const narrowBand = (min > 0 && max <= 4 * min) || (max < 0 && min >= 4 * max);
  if (!narrowBand || counts.integerBins) return undefined;
  const core = occupiedRange(counts.raw, sigma, BOUNDS_FALSE_OCCUPANCY, undefined, !keepTails);
  const range = core && keepTails ? tailRange(counts.raw, sigma, core).range : core;
  if (!range) return undefined;
  let lo = edges[range[0]];
  let hi = edges[range[1] + 1];
  if (counts.integerValues) {
    lo = Math.floor(lo);
    hi = Math.ceil(hi);
  }
  return hi > lo ? { min: lo, max: hi } : undefined;
}

/** The threshold above which a bounds-grid bin counts as occupied (see octaveBounds). */
export function gridThreshold(sigma: number): number {
  return sigma * normalQuantile(1 - BOUNDS_FALSE_OCCUPANCY / GRID_BINS);
}

/** The threshold for a bounds-grid bin next to the occupied ones: two chances per column (see octaveBounds). */
function adjacentThreshold(sigma: number): number {
  return sigma * normalQuantile(1 - BOUNDS_FALSE_OCCUPANCY / 2);
}

/**
 * Chance that noise alone stretches a column's bounds away from its bulk (see gridRange): a run of
 * empty octaves apart from the occupied ones must stand this far above its noise.
 */
const FAR_FALSE_STRETCH = 1e-5;
/** Unoccupied octaves between two occupied ones that still leave them one group (see gridRange). */
const GRID_GAP = 1;
/** Most octaves pooled in one run of thin octaves (see gridRange). */
const GRID_POOL_OCTAVES = 16;

/**
 * The grid bins [lo, hi] that a column's bounds span, from its noisy grid counts (-Infinity where
 * no value can lie). Post-processing of the grid release alone: no extra budget.
 *
 * Occupied bins (above gridThreshold: noise alone puts some empty bin there with chance 1e-3)
 * form groups, two occupied bins at most GRID_GAP empty ones apart being one group, and the exact
 * zero a group of its own. The bounds span the group of largest noisy mass (the bulk), the zero
 * bin when occupied (0 is never an absurd bound), and any other group only when its pooled count
 * stands FAR_FALSE_STRETCH's margin above its noise: one false bin 40 octaves from the bulk gave
 * age a lower bound of -3.8e15 and education_num values near 1e16 (about one column in a thousand).
 * A far group of two bins or more clears that margin whenever each bin clears the threshold.
 *
 * The values of a column may also spread thinly over many octaves, none above the threshold
 * (adult's first 2,000 rows: capital_gain's 176 non-zero values over 9 octaves, at most 50 in one,
 * against a threshold of 55): the bounds then held the zero alone and every non-zero value was
 * written as 1. So runs of up to GRID_POOL_OCTAVES adjacent octaves outside the bulk and the zero
 * are pooled (a lone occupied octave too thin to keep alone may be part of one), and the run
 * whose pooled count stands furthest above its noise (sigma √octaves) joins the groups when
 * it clears the same margin. That margin is set for every run tried (a union bound over each
 * start and length: 5.8 noise deviations; counting one chance per doubling of the length, as
 * tailRange does, let noise through 3 times in 60,000 simulated columns), so noise alone
 * stretches the bounds away from the bulk with chance under FAR_FALSE_STRETCH per column (1e-3
 * before); within GRID_GAP of the bulk, with chance about 1e-5, by at most two octaves. On
 * 2,000 rows this margin seldom finds capital_gain's values (a margin of 5.6 found them in
 * about one run in three): where the zero is left alone, beyondZeroBounds widens the next
 * release's bounds.
 */
export function gridRange(noisy: readonly number[], sigma: number): [number, number] {
  const threshold = gridThreshold(sigma);
  const margin = normalQuantile(1 - FAR_FALSE_STRETCH / (noisy.length * GRID_POOL_OCTAVES));
  const zeroBin = GRID_POWERS.length + 1;
  const occupied = noisy.map((c) => c > threshold);
  const groups: { lo: number; hi: number; sum: number; bins: number }[] = [];
  let open: (typeof groups)[number] | undefined;
  noisy.forEach((c, bin) => {
    if (!occupied[bin]) return;
    if (bin !== zeroBin && open && bin - open.hi - 1 <= GRID_GAP) {
      open.hi = bin;
      open.sum += c;
      open.bins++;
      return;
    }
    const group = { lo: bin, hi: bin, sum: c, bins: 1 };
    groups.push(group);
    open = bin === zeroBin ? undefined : group;
  });
  // No bin clearly above the noise (values spread thinly over several octaves, or mostly
  // missing): the fullest noisy bin is still the likeliest place of the values (pbc at ε 1:
  // cholesterol's fullest octave holds 4 sigma), unless a run of them pools above the margin.
  const fullest = noisy.indexOf(Math.max(...noisy));
  const bulk = groups.length ? groups.reduce((g, h) => (h.sum > g.sum ? h : g)) : { lo: fullest, hi: fullest, sum: noisy[fullest], bins: 1 };
  // The thin run outside the bulk that stands furthest above its noise (occupied bins of groups
  // too small to keep alone may be part of it).
  const best = thinRun(noisy, (bin) => (bin < bulk.lo || bin > bulk.hi) && bin !== zeroBin);
  const clearsMargin = (g: (typeof groups)[number]): boolean => g.sum >= margin * sigma * Math.sqrt(g.bins);
  if (best && clearsMargin(best)) groups.push(best);
  if (!groups.includes(bulk)) groups.push(bulk);
  const kept = groups.filter((g) => g === bulk || g.lo === zeroBin || clearsMargin(g));
  return [Math.min(...kept.map((g) => g.lo)), Math.max(...kept.map((g) => g.hi))];
}

/**
 * The run of up to GRID_POOL_OCTAVES adjacent grid bins, all `allowed` and finite, whose pooled
 * noisy count stands furthest above its noise (the sum over √bins).
 */
function thinRun(noisy: readonly number[], allowed: (bin: number) => boolean): { lo: number; hi: number; sum: number; bins: number } | undefined {
  let best: { lo: number; hi: number; sum: number; bins: number } | undefined;
  for (let start = 0; start < noisy.length; start++) {
    let sum = 0;
    for (let end = start; end < noisy.length && end - start < GRID_POOL_OCTAVES; end++) {
      if (!allowed(end) || !Number.isFinite(noisy[end])) break;
      sum += noisy[end];
      const bins = end - start + 1;
      if (!best || sum / Math.sqrt(bins) > best.sum / Math.sqrt(best.bins)) best = { lo: start, hi: end, sum, bins };
    }
  }
  return best;
}

/**
 * Bounds for a column whose grid bounds hold the exact zero alone ([0, 1]) although its first value
 * histogram shows values clamped into its top bin: a zero-heavy column whose other values spread
 * too thinly over the grid for it to locate them with confidence (adult's capital_gain on 2,000
 * rows: 176 values over 9 octaves). The clamped count, less the grid's own count of the top bin's
 * octave, measures the values beyond the bounds with noise σ√2 (ten noise deviations for 176
 * rows), tested once per column at BOUNDS_FALSE_OCCUPANCY. Given they exist, the grid's
 * positive run of the largest pooled count above the bounds locates them (no margin is needed to
 * locate what is known to be there). Bounds widened where no values lie beyond (to wherever the
 * grid's noise peaks, 1e-3 of zero-only columns) write no value there unless a bin of the next
 * histogram also clears its core threshold by noise alone (1e-3 again: 1e-6 together). Fewer
 * values beyond than the test needs (about 4.4 noise deviations) are still clamped to 1. The bounds become 0 to that run's top, for the next release (values
 * beyond are clamped in, as everywhere). Post-processing of the grid and the first histogram;
 * values below zero are clamped into the zero bin and stay out. Undefined otherwise.
 */
function beyondZeroBounds(first: NoisyValueCounts, grid: readonly number[], sigma: number): { min: number; max: number } | undefined {
  const last = first.raw.length - 1;
  const excess = first.raw[last] - grid[gridBin(first.edges[last])];
  if (excess < normalQuantile(1 - BOUNDS_FALSE_OCCUPANCY) * sigma * Math.SQRT2) return undefined;
  const run = thinRun(grid, (bin) => gridEdges(bin)[0] >= first.max);
  if (!run) return undefined;
  const max = gridEdges(run.hi)[1];
  return Number.isFinite(max) ? { min: 0, max } : undefined;
}

/** A whole-number column whose bounds start at most here reaches down to 1 (see octaveBounds). */
const REACH_TO_ONE_FROM = 8;

function octaveBounds(
  values: Float64Array,
  noise: () => number,
  sigma: number,
  reachTowardZero = false,
  domain?: { min: number; max: number },
  extendTails = false,
): { min: number; max: number; grid: number[]; zeroOnly: boolean } {
  const bins = GRID_BINS;
  const counts = new Float64Array(bins);
  for (const x of values) if (!Number.isNaN(x)) counts[gridBin(x)]++;
  const noisy = Array.from(counts, (c) => c + noise());
  // Bins outside a public domain (dates past year 9999) cannot hold values: noise there is ignored.
  const possible = noisy.map((c, bin) => {
    const [a, b] = gridEdges(bin);
    return !domain || (b >= domain.min && a <= domain.max) ? c : -Infinity;
  });
  let [lo, hi] = gridRange(possible, sigma);
  // The bins just beyond the occupied ones hold a column's thin tails (rhc's creatinine from 8 to
  // 16: 100 of 5,735 rows, under the threshold above). Outwards from each end, a bin is taken in
  // while it clears a lower threshold: each side stops at its first bin that does not, so noise
  // gets one chance per side to extend into an empty bin (two per column, against the ~180 empty
  // bins above), and the lower threshold keeps the chance of any false extension at
  // BOUNDS_FALSE_OCCUPANCY. The value histograms' tails then decide where inside it values end.
  if (extendTails) {
    const adjacent = adjacentThreshold(sigma);
    while (lo > 0 && possible[lo - 1] > adjacent) lo--;
    while (hi < bins - 1 && possible[hi + 1] > adjacent) hi++;
  }
  // A whole-number column's smallest values may sit alone in the octaves below (education 1 in
  // [1, 2), 51 of 32,561 rows: far under the grid's threshold). Bounds that start at most at 8
  // reach down to 1 (a count, a level, a score): a few bins of the value histogram, whose tails
  // then decide (tailRange); larger ones reach one octave.
  const zeroBin = GRID_POWERS.length + 1;
  // Only while the new edge is a whole number (the octave below [1, 2) holds none).
  if (reachTowardZero) {
    const toOneBelow = gridEdges(lo)[0] <= REACH_TO_ONE_FROM;
    const toOneAbove = gridEdges(hi)[1] >= -REACH_TO_ONE_FROM;
    if (lo > zeroBin + 1 && gridEdges(lo - 1)[0] >= 1) lo--;
    while (toOneBelow && lo > zeroBin + 1 && gridEdges(lo - 1)[0] >= 1) lo--;
    if (hi < zeroBin - 1 && gridEdges(hi + 1)[1] <= -1) hi++;
    while (toOneAbove && hi < zeroBin - 1 && gridEdges(hi + 1)[1] <= -1) hi++;
  }
  let [min] = gridEdges(lo);
  let [, max] = gridEdges(hi);
  if (!Number.isFinite(min)) min = -Number.MAX_VALUE;
  if (!Number.isFinite(max)) max = Number.MAX_VALUE;
  if (min === max) max = min + 1;
  return { min, max, grid: noisy, zeroOnly: lo === zeroBin && hi === zeroBin };
}

/**
 * Whole-number bins that the bounds grid also counted alone (0, and 1 in [1, 2)) combined with
 * that count: two independent measurements of one count, weighted by inverse variance. The
 * smallest values of a count or a level are often rare and decide the column's range (adult's
 * education 1, 51 rows: its noise falls from 25 to 21 at ε 1). Post-processing.
 */
function withGridCounts(counts: NoisyValueCounts, grid: readonly number[], sigmaBins: number, sigmaGrid: number): NoisyValueCounts {
  if (!counts.integerBins) return counts;
  const raw = counts.raw.slice();
  const binSigmas = counts.raw.map(() => sigmaBins);
  const first = counts.edges[0];
  const last = counts.edges[counts.edges.length - 2];
  grid.forEach((g, bin) => {
    const [a, b] = gridEdges(bin);
    // The whole numbers of the octave [a, b) ({0} for the zero bin), all within the bounds.
    const lo = Math.ceil(a);
    const hi = a === b ? a : Math.ceil(b) - 1;
    // Octaves of one whole number only ({0}, [1, 2)): spread over several bins, a correction
    // would shift them all alike, and tail tests take bins' noise as independent.
    if (lo !== hi || lo < first || hi > last) return;
    let sum = 0;
    for (let v = lo; v <= hi; v++) sum += raw[v - first];
    const m = hi - lo + 1;
    const share = (sigmaBins * sigmaBins) / (m * sigmaBins * sigmaBins + sigmaGrid * sigmaGrid);
    const shift = (g - sum) * share;
    // The least-squares estimate of one bin: variance σ²(1 − share).
    const variance = sigmaBins * sigmaBins * (1 - share);
    for (let v = lo; v <= hi; v++) {
      raw[v - first] += shift;
      binSigmas[v - first] = Math.sqrt(variance);
    }
  });
  return { ...counts, raw, binSigmas };
}

/** A value histogram as released: noisy counts of its bins, of exact zeros and of missing values. */
interface NoisyValueCounts {
  min: number;
  max: number;
  edges: number[];
  integerBins: boolean;
  integerValues: boolean;
  raw: number[];
  zero: number;
  missing: number;
  /** Sum of every slot: an estimate of the row count. */
  total: number;
  /** Noise deviation of each value bin when bins differ (withGridCounts); else the release's. */
  binSigmas?: number[];
}

/** One release: equal bins over the bounds (one per integer when the range allows). */
function noisyValueCounts(
  values: Float64Array,
  bounds: { min: number; max: number },
  integer: boolean,
  noise: () => number,
  maxBins: number,
  /** Default: while that at most halves the rows per bin (see below). */
  integerBinsUpTo = Math.min(MAX_INTEGER_BINS, 2 * maxBins),
): NoisyValueCounts {
  const { min, max } = bounds;
  // One bin per whole number while that at most halves the rows per bin: wider bins would merge a
  // spike (day 30 of a 30-day follow-up) with its neighbour, and the bin cannot say which holds it.
  const integerBins = integer && max - min + 1 <= integerBinsUpTo;
  const bins = integerBins ? Math.round(max - min) + 1 : maxBins;
  const width = integerBins ? 1 : max / bins - min / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (integerBins ? Math.round(min) + i : i === bins ? max : min + i * width));
  // Slots: value bins, then the exact-zero bin, then missing (numericSlot).
  const slots = new Float64Array(bins + 2);
  const zeroBin = hasZeroBin(min, max, integerBins);
  for (const x of values) slots[numericSlot(x, min, max, bins, integerBins)]++;
  const raw = Array.from(slots.subarray(0, bins), (c) => c + noise());
  const zero = zeroBin ? slots[bins] + noise() : 0;
  const missing = slots[bins + 1] + noise();
  return { min, max, edges, integerBins, integerValues: integer, raw, zero, missing, total: raw.reduce((a, b) => a + b, 0) + zero + missing };
}

/** The mean of two releases of the same histogram: noise of standard deviation sigma / sqrt 2. */
function averageCounts(a: NoisyValueCounts, b: NoisyValueCounts): NoisyValueCounts {
  return { ...a, raw: a.raw.map((c, i) => (c + b.raw[i]) / 2), zero: (a.zero + b.zero) / 2, missing: (a.missing + b.missing) / 2, total: (a.total + b.total) / 2 };
}

/** The bounds grid as released: a noisy count per power-of-two octave, and their noise. */
interface ReleasedGrid {
  noisy: readonly number[];
  sigma: number;
}

/** Independent noisy estimates of one count, weighted by the inverse of their variance: the count and its deviation. */
function weighedCount(estimates: readonly { count: number; variance: number }[]): { count: number; deviation: number } {
  let precision = 0;
  let weighted = 0;
  for (const { count, variance } of estimates) {
    precision += 1 / variance;
    weighted += count / variance;
  }
  return { count: weighted / precision, deviation: 1 / Math.sqrt(precision) };
}

function cleanValueHistogram(counts: NoisyValueCounts, sigma: number, keepTails = false, grid?: ReleasedGrid): NumericHistogram {
  const { min, max, edges, integerBins, integerValues } = counts;
  return {
    type: 'numeric',
    edges,
    integerBins,
    integerValues,
    counts: cleanHistogram(
      counts.raw,
      sigma,
      keepTails,
      counts.binSigmas,
      integerBins
        ? (tails, core) => withTheBottomOne(counts, sigma, grid ? { ...tails, range: tailsTheGridAllows(counts, sigma, grid, tails.range, core) } : tails)
        : (tails) => heldTailOctaves(counts, sigma, grid, tails),
    ),
    zero: floorNoisyCount(counts.zero, sigma),
    missing: floorNoisyCount(counts.missing, sigma),
    min,
    max,
    sigma,
  };
}

/**
 * Post-processing of a noisy histogram: which bins hold values. Bins below twice the noise are
 * empty, so that noise in the many empty bins of a wide range does not spread values across it.
 * That floor alone still lets through about 2 % of empty bins, and one such bin far out in a tail
 * (an age of 122) stretches the synthetic column's range, which every range-based comparison
 * (binning, scaling) of the column then pays for. So the range is the core of bins clearly above
 * the noise (the chance that any empty bin reaches the core threshold is 5 %), extended outwards
 * bin by bin over gaps of at most TAIL_GAP bins while bins clear the floor: a real tail thins out
 * gradually, an isolated noise bin is left out.
 */
export function cleanHistogram(
  raw: readonly number[],
  sigma: number,
  keepTails = false,
  binSigmas?: readonly number[],
  /** Narrows or widens the tails tailRange kept, given the core (tailsTheGridAllows, heldTailOctaves, withTheBottomOne). */
  adjustTails?: (tails: Tails, core: [number, number]) => Tails,
): number[] {
  const floor = FLOOR_SIGMAS * sigma;
  // With tails kept, a core as strict as the bounds grid's, without the floor's reach: tailRange
  // then extends it with a known chance of error. The 5 % core and the reach (three empty bins at
  // 2 % each) let noise stretch a side about once in ten (education 20 to 32 in adult's synthetic
  // rows, where the real ones stop at 16, and every pair with it losing its bins).
  const range = occupiedRange(raw, sigma, keepTails ? BOUNDS_FALSE_OCCUPANCY : CORE_FALSE_OCCUPANCY, binSigmas, !keepTails);
  if (!range) return raw.map((c) => (c < floor ? 0 : c));
  if (keepTails) {
    const tails = tailRange(raw, sigma, range, binSigmas);
    const {
      range: [lo, hi],
      fitted,
    } = adjustTails ? adjustTails(tails, range) : tails;
    // Within the range a thin bin keeps its (non-negative) count: the model groups bins into
    // cells, over which the noise averages out, where zeroing thin bins would take their rows away.
    return raw.map((c, i) => (i < lo || i > hi ? 0 : i >= range[0] && i <= range[1] ? Math.max(c, 0) : fitted[i]));
  }
  const [lo, hi] = range;
  return raw.map((c, i) => (i >= lo && i <= hi && c >= floor ? c : 0));
}

/**
 * A whole-number column's value 1, alone in its octave, when the kept values reach down to 2: kept
 * when its count (the bin's and the grid's together, withGridCounts) stands BOTTOM_ONE_Z deviations
 * above none, where a tail's test asks for about 2.3. adult's `education_num` 1 (Preschool, 41 of
 * the training rows at ε 1, a count's noise about 21) was kept in about half the runs; without it
 * the report bins every pair with the column over 2 to 16 against the real 1 to 16, and quality
 * fell from 0.977 to 0.943 (pair trends 0.966 to 0.899). Simulated at that noise (the test), it is
 * now kept in 91 % of releases (51 % before), and a column holding no 1 beneath as many 2s gets
 * one in 18 % (2.5 % before), as rhc's `t3d30` (2 to 30 days) may: a smallest code of 1 below a
 * run of 2s is the likelier case, as the bounds' reach down to 1 assumes (octaveBounds), and as
 * declared bounds from 1 say (there, without the grid, the count is the bins' alone). At 1.5
 * deviations: 76 % and 6.5 %. Post-processing of released counts only.
 */
function withTheBottomOne(counts: NoisyValueCounts, sigma: number, tails: Tails): Tails {
  const [lo, hi] = tails.range;
  if (lo !== 1 || counts.edges[0] !== 1) return tails;
  const bottom = counts.raw[0];
  if (!(bottom >= BOTTOM_ONE_Z * (counts.binSigmas?.[0] ?? sigma))) return tails;
  const fitted = tails.fitted.slice();
  fitted[0] = bottom;
  return { range: [0, hi], fitted };
}

/** Deviations by which the count of a whole-number column's value 1 must stand above none (withTheBottomOne). */
const BOTTOM_ONE_Z = 1;

/** Noise deviations by which a whole octave of a tail must stand above none, the two releases combined (tailsTheGridAllows). */
const GRID_TAIL_Z = 2;

/**
 * The range of a whole-number histogram's tails, less the octaves beyond its core that the bounds
 * grid does not show held. tailRange keeps a run of thin bins when their pooled count stands above
 * its noise, and noise alone does so with chance TAIL_FALSE_EXTENSION a side: 5 % of runs on
 * adult's first 2,000 rows wrote ages 11-16 (the real ones start at 17), each of the run's bins at
 * the pooled mean. The grid counted each octave once more, independently: an octave whose every
 * value lies beyond the core (ages 8-15) is kept only when its value bins' sum and its grid count,
 * weighted by the inverse of their noise, stand GRID_TAIL_Z deviations above none; from the
 * outside in, each octave failing it is cut, up to the first that passes. Octaves of one value (0,
 * and 1 in [1, 2)) are left as they are: withGridCounts has combined them already. Post-processing
 * of released counts only.
 */
function tailsTheGridAllows(counts: NoisyValueCounts, sigma: number, grid: ReleasedGrid, range: [number, number], core: [number, number]): [number, number] {
  const first = counts.edges[0];
  const bins = counts.raw.length;
  /** The octave holding bin k's value, as bins [from, to], when whole, of at least two values, and above 0. */
  const octaveOf = (k: number): { from: number; to: number; grid: number } | undefined => {
    const value = first + k;
    if (value < 1) return undefined;
    const g = gridBin(value);
    const [a, b] = gridEdges(g);
    const from = Math.ceil(a) - first;
    const to = Math.ceil(b) - 1 - first;
    if (to - from < 1 || from < 0 || to >= bins) return undefined;
    return { from, to, grid: g };
  };
  const supported = (o: { from: number; to: number; grid: number }): boolean => {
    let sum = 0;
    let variance = 0;
    for (let k = o.from; k <= o.to; k++) {
      sum += counts.raw[k];
      variance += (counts.binSigmas?.[k] ?? sigma) ** 2;
    }
    const { count, deviation } = weighedCount([
      { count: sum, variance },
      { count: grid.noisy[o.grid], variance: grid.sigma * grid.sigma },
    ]);
    return count >= GRID_TAIL_Z * deviation;
  };
  let [lo, hi] = range;
  for (let o = octaveOf(lo); o && lo < core[0] && o.to < core[0] && !supported(o); o = octaveOf(lo)) lo = o.to + 1;
  for (let o = octaveOf(hi); o && hi > core[1] && o.from > core[1] && !supported(o); o = octaveOf(hi)) hi = o.from - 1;
  return [Math.min(lo, core[0]), Math.max(hi, core[1])];
}

/**
 * The tails of a histogram of continuous values, widened by the octaves of the bounds grid that
 * the grid and the bins show held (within declared bounds, with no grid released, the bins alone). Bins of a few hundredths sink under the noise long before the values end:
 * flchain's creatinine, written to 0.1, holds about 100 rows from 2 to 4, a few per bin, and its
 * synthetic values stopped at 1.8 in some runs (a real row in 50 lies beyond) although the grid
 * counted the octave [2, 4) at twelve noise deviations; rhc's crea1 stopped at 8 with 100 rows
 * from 8 to 16. Every range-based comparison of the column then pays for the cut (SDMetrics bins
 * each file over its own range: crea1 against renalhx scored 0.46). From each end of the tails
 * outwards, octave by octave (an octave's bins are those whose middles fall in it), the rows
 * beyond the kept bins are estimated from the bins' sum and the grid's count less the kept bins
 * in the octave, weighted by the inverse of their noise. Within declared bounds no grid is
 * released and the bins alone decide, a weaker test: rhc with every range declared scored
 * 0.931-0.933, against 0.934-0.941 with private bounds and the grid. When they stand GRID_OCTAVE_Z deviations
 * above none they are spread over those bins (geometricTail); the first octave that does not ends
 * the side. Post-processing of released counts only.
 */
function heldTailOctaves(counts: NoisyValueCounts, sigma: number, grid: ReleasedGrid | undefined, tails: Tails): Tails {
  const { edges, raw } = counts;
  const bins = raw.length;
  const octaveOf = (k: number): number => gridBin((edges[k] + edges[k + 1]) / 2);
  const fitted = tails.fitted.slice();
  const [lo, hi] = tails.range;
  const kept = (k: number): number => Math.max(0, fitted[k] > 0 ? fitted[k] : raw[k]);
  /** Extends one side outwards from `end` (`step` +1 upwards, −1 downwards); returns the new end. */
  const extend = (end: number, step: 1 | -1): number => {
    let reached = end;
    for (let k = end + step; k >= 0 && k < bins; ) {
      const octave = octaveOf(k);
      const beyond: number[] = [];
      for (let j = k; j >= 0 && j < bins && octaveOf(j) === octave; j += step) beyond.push(j);
      const outward = beyond.map((j) => raw[j]);
      const estimates = [{ count: outward.reduce((a, b) => a + b, 0), variance: beyond.length * sigma * sigma }];
      if (grid) {
        // In the octave the tail ends in, the grid's count less the bins kept there is what lies beyond.
        let gridRows = grid.noisy[octave];
        let gridVariance = grid.sigma * grid.sigma;
        for (let j = k - step; j >= 0 && j < bins && octaveOf(j) === octave; j -= step) {
          gridRows -= kept(j);
          gridVariance += sigma * sigma;
        }
        estimates.push({ count: gridRows, variance: gridVariance });
      }
      const { count: rows, deviation } = weighedCount(estimates);
      if (!(rows >= GRID_OCTAVE_Z * deviation)) break;
      geometricTail(outward, rows).forEach((c, i) => (fitted[beyond[i]] = c));
      reached = beyond[beyond.length - 1];
      k = reached + step;
    }
    return reached;
  };
  return { range: [extend(lo, -1), extend(hi, 1)], fitted };
}

/**
 * Most bins pooled in one step of a tail (see tailRange), unless one block of the fit is longer:
 * enough for a thin tail of a few rows per bin (ages past 75 at ε 1), few enough that the rows of
 * a real tail rarely carry the empty bins beyond it in (ages past 90: 2 % of runs with 16 bins,
 * 7 % with 32).
 */
const TAIL_POOL_BINS = 16;

/** Chance that noise alone extends a side of a histogram by a tail run (see tailRange). */
const TAIL_FALSE_EXTENSION = 0.02;

/**
 * Chance that noise alone passes an empty octave beyond the tails (heldTailOctaves). Lower than a
 * tail run's: the rows of a passed octave are spread over it, far past the real values, and a file
 * has several continuous columns with two sides each. At 0.02, flchain's `futime` (real maximum
 * 5,215 days) was written to 5,875-8,078 days in 3 of 16 runs, and the report, which bins each
 * file over its own range, scored them 0.849-0.885 against 0.90-0.93; at 0.002, none in 16 (mean
 * quality 0.922 against 0.911), with rhc, adult and its first 2,000 rows unchanged (README).
 */
const OCTAVE_FALSE_EXTENSION = 0.002;

/**
 * Deviations an octave beyond the tails must stand above none (OCTAVE_FALSE_EXTENSION). The octave
 * lies within the bounds, which the grid's own count there has already let through.
 */
const GRID_OCTAVE_Z = normalQuantile(1 - OCTAVE_FALSE_EXTENSION);

/**
 * `rows` spread over a run of bins (listed outwards) as a geometric tail, r^0, r^1, ..., whose
 * ratio r (0.01 to 1, evenly at 1) fits the bins' noisy counts best in squared error: the rows
 * stay near the kept ones when the bins show them there (futime's last 40 rows within 200 days of
 * the kept ones, where an even spread over its octave wrote 6,172 days against a real 5,215), and
 * spread out when the bins show a long thin tail.
 */
function geometricTail(noisy: readonly number[], rows: number): number[] {
  let best: number[] = [];
  let bestError = Infinity;
  for (let step = 1; step <= 100; step++) {
    const ratio = step / 100;
    const weights = noisy.map((_, i) => ratio ** i);
    const sum = weights.reduce((a, b) => a + b, 0);
    const shape = weights.map((w) => (rows * w) / sum);
    const error = shape.reduce((e, c, i) => e + (noisy[i] - c) ** 2, 0);
    if (error < bestError) {
      bestError = error;
      best = shape;
    }
  }
  return best;
}

/** The bins a histogram's tails keep beyond its core, and the count each kept bin gets. */
export interface Tails {
  range: [number, number];
  fitted: Float64Array;
}

/**
 * The thin tails beyond a noisy histogram's occupied range: bins one by one sink under the noise
 * long before the values end (ages 80 to 90 hold 20 rows or fewer each), but a run of them stands
 * above the noise of its mean. Outwards from the range, counts are fitted non-increasing (pool
 * adjacent violators) into blocks; from the inside out, the shortest run of blocks whose pooled
 * count stands above its noise (sigma √bins) by a margin is kept, then the next run from there,
 * until none clears it. Noise alone reaches the margin with chance TAIL_FALSE_EXTENSION per side
 * over every run length the side allows (the first block is the best of many prefixes, so a
 * margin for one run would pass noise too often). Kept bins get their block's mean.
 * Post-processing of released counts only.
 */
export function tailRange(raw: readonly number[], sigma: number, core: [number, number], binSigmas?: readonly number[]): Tails {
  const fitted = new Float64Array(raw.length);
  const side = (indices: number[]): number => {
    // Standardised prefix sums of noise are strongly correlated: about one independent chance per
    // doubling of the run length (checked in test/unit/pgm.test.ts).
    const z = normalQuantile(1 - TAIL_FALSE_EXTENSION / (1 + Math.log2(Math.max(1, indices.length))));
    // Pool adjacent violators (non-increasing outwards): blocks of [sum, bins, noise variance of the sum].
    const blocks: [number, number, number][] = [];
    for (const i of indices) {
      blocks.push([raw[i], 1, (binSigmas?.[i] ?? sigma) ** 2]);
      while (blocks.length > 1 && blocks[blocks.length - 1][0] / blocks[blocks.length - 1][1] > blocks[blocks.length - 2][0] / blocks[blocks.length - 2][1]) {
        const [s, n, v] = blocks.pop()!;
        blocks[blocks.length - 1][0] += s;
        blocks[blocks.length - 1][1] += n;
        blocks[blocks.length - 1][2] += v;
      }
    }
    // From the last kept block outwards, the shortest run of blocks whose pooled sum clears the
    // margin is kept, then the next from there: a tail of thin blocks each under the margin
    // (education 2 and 3 on 2,000 rows: 10 and 15 rows at noise 9) is kept as a whole, and no run
    // reaches past the first point where its rows suffice, so a real tail's rows do not carry
    // the empty bins beyond it in. Runs pool at most TAIL_POOL_BINS bins.
    let kept = 0;
    let next = 0;
    while (next < blocks.length) {
      let sum = 0;
      let variance = 0;
      let pooled = 0;
      let end = -1;
      for (let b = next; b < blocks.length && (b === next || pooled + blocks[b][1] <= TAIL_POOL_BINS); b++) {
        pooled += blocks[b][1];
        sum += blocks[b][0];
        variance += blocks[b][2];
        if (sum >= z * Math.sqrt(variance)) {
          end = b;
          break;
        }
      }
      if (end < 0) break;
      for (let b = next; b <= end; b++) {
        const [blockSum, width] = blocks[b];
        for (let j = kept; j < kept + width; j++) fitted[indices[j]] = Math.max(0, blockSum / width);
        kept += width;
      }
      next = end + 1;
    }
    return kept;
  };
  const below = Array.from({ length: core[0] }, (_, j) => core[0] - 1 - j);
  const above = Array.from({ length: raw.length - 1 - core[1] }, (_, j) => core[1] + 1 + j);
  return { range: [core[0] - side(below), core[1] + side(above)], fitted };
}

/**
 * The bins of a noisy histogram that hold values (see cleanHistogram): from the first to the last
 * bin above a core threshold that noise alone reaches in some empty bin with chance
 * `falseOccupancy`, extended outwards while bins clear the floor with gaps of at most TAIL_GAP.
 * Undefined when no bin reaches the core.
 */
function occupiedRange(raw: readonly number[], sigma: number, falseOccupancy: number, binSigmas?: readonly number[], reachFloor = true): [number, number] | undefined {
  const floor = (k: number): number => FLOOR_SIGMAS * (binSigmas?.[k] ?? sigma);
  const core = sigma * normalQuantile(1 - falseOccupancy / Math.max(1, raw.length));
  const lo = raw.findIndex((c) => c >= core);
  if (lo < 0) return undefined;
  const hi = raw.length - 1 - [...raw].reverse().findIndex((c) => c >= core);
  if (!reachFloor) return [lo, hi];
  const reach = (from: number, direction: 1 | -1): number => {
    let edge = from;
    for (let step = 1; step <= TAIL_GAP + 1; step++) {
      const k = edge + direction * step;
      if (k < 0 || k >= raw.length) break;
      if (raw[k] >= floor(k)) {
        edge = k;
        step = 0;
      }
    }
    return edge;
  };
  return [reach(lo, -1), reach(hi, 1)];
}

/** Transformer facts from a released histogram: pure post-processing. */
function numericFacts(h: NumericHistogram, random: Random): ColumnFacts {
  const present = h.counts.reduce((a, b) => a + b, 0) + h.zero;
  const spikes: number[] = [];
  const weights = h.counts.slice();
  if (h.zero >= SPIKE_SHARE * present && present > 0) spikes.push(0);
  if (h.integerBins) {
    h.counts.forEach((c, i) => {
      if (present > 0 && c >= SPIKE_SHARE * present) {
        spikes.push(h.edges[i]);
        weights[i] = 0;
      }
    });
  }
  // Released point masses (pgm's fine detail) are components of their own: a value drawn there
  // decodes to exactly that value, every digit kept.
  for (const spike of h.spikes ?? []) if (!spikes.includes(spike.value)) spikes.push(spike.value);
  spikes.sort((a, b) => a - b);
  const total = weights.reduce((a, b) => a + b, 0);
  // When noise hides every bin (small data, small budget) the only knowledge left is the bounds:
  // spread the pseudo-sample evenly over them rather than pretend to know more.
  if (!(total > 0)) weights.fill(1);
  const values = new Float64Array(total > 0 || spikes.length === 0 ? PSEUDO_SAMPLE : 0);
  for (let i = 0; i < values.length; i++) {
    const bin = random.categorical(weights);
    values[i] = valueInBin(h, bin, random.next());
  }
  const hasMissing = present + h.missing > 0 && h.missing >= MISSING_SHARE * (present + h.missing);
  // Without an indicator, the rare missing values are encoded as the fullest bin's value.
  const fullest = h.counts.indexOf(Math.max(...h.counts));
  const impute = h.zero >= Math.max(...h.counts) ? 0 : valueInBin(h, fullest, 0.5);
  return {
    type: 'numeric',
    values,
    spikes,
    min: h.min,
    max: h.max,
    hasMissing,
    ...(hasMissing ? {} : { impute }),
  };
}
