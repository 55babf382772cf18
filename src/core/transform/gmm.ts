/**
 * One-dimensional variational Bayesian Gaussian mixture with a truncated Dirichlet-process
 * (stick-breaking) prior on the weights. This is the model behind the TVAE/CTGAN
 * "mode-specific normalisation" of continuous columns: each column is described by a few
 * Gaussian modes, and a value is encoded as (mode, offset from the mode's mean).
 *
 * Model, in standardised units z = (x - mean) / std, truncation level K:
 *   v_k ~ Beta(1, gamma) for k < K, v_K = 1        pi_k = v_k prod_{j<k} (1 - v_j)
 *   lambda_k ~ Gamma(a0, b0) (shape-rate)           mu_k | lambda_k ~ N(m0, 1 / (beta0 lambda_k))
 *   c_n ~ Categorical(pi)                           z_n | c_n = k ~ N(mu_k, 1 / lambda_k)
 * with m0 = 0 (the data mean), beta0 = 1, and the 1-D Wishart prior with nu0 = 1 degree of
 * freedom and scale W0^-1 = 1 (the data variance), i.e. a0 = nu0/2 = 1/2, b0 = W0^-1/2 = 1/2.
 *
 * Inference is mean-field coordinate ascent (Bishop, PRML 10.2; Blei & Jordan 2006) with factors
 * q(c_n) categorical, q(v_k) Beta and q(mu_k, lambda_k) Normal-Gamma, maximising the evidence
 * lower bound (ELBO). Three things keep it fast and make it find the right number of modes:
 *
 * - Grouped responsibilities. The sorted sample is cut into runs of nearby values ("groups")
 *   whose members are constrained to share q(c). That is a restriction of the variational family,
 *   so the objective is still a true lower bound, and it depends on a group only through its
 *   count, mean and within-group variance; a pass costs O(groups * K) instead of O(n * K).
 *   Groups are narrow relative to the local spread (and hold only equal values where the data
 *   is discrete), so the restriction costs almost nothing.
 * - Components are relabelled in decreasing size before every update of the stick-breaking
 *   factors, which tightens the bound and pushes empty components to the truncation tail.
 * - Merge moves. Plain coordinate ascent started from K k-means clusters removes redundant
 *   components very slowly. After a short exploratory run, merging each pair of components
 *   adjacent in mean is scored exactly with the responsibilities held fixed; the best few
 *   candidates are then merged and refitted in turn, and a merge is kept as soon as the refitted
 *   lower bound beats the unmerged one. Rounds repeat until no candidate wins, then the chosen
 *   configuration is run to convergence. The ELBO is the
 *   model-selection criterion, so a unimodal column ends with one component, two separated
 *   modes with two, and discrete values keep one narrow component each.
 */
import { Random } from '../random';

/** Only the kept components, weights renormalised to sum 1, sorted by mean ascending. */
export interface Mixture1D {
  means: number[];
  stds: number[];
  weights: number[];
}

export interface FitOptions {
  /** Truncation level of the stick-breaking prior: the most components (default 10). */
  maxComponents?: number;
  /** Components whose expected weight is at or below this are dropped (default 0.005). */
  weightThreshold?: number;
  /** Concentration gamma of the Dirichlet-process prior, v_k ~ Beta(1, gamma) (default 1e-3). */
  concentration?: number;
  /**
   * Most coordinate-ascent iterations of the final run (default 100); the exploratory runs
   * during model selection use at most min(this, 30) each. 0 returns the k-means initialisation.
   */
  maxIterations?: number;
  /**
   * A run has converged when the lower bound per sample changes by less than this and no
   * component mean moves by more than this (in units of the data's standard deviation)
   * (default 1e-3).
   */
  tolerance?: number;
  /** Seed of the subsample drawn when there are more than maxSamples values (default 0). */
  seed?: number;
  /** Fit on a seeded random subset of at most this many values (default 20000). */
  maxSamples?: number;
}

const LOG_2PI = Math.log(2 * Math.PI);
/** exp(-40) ~ 4e-18: below double precision relative to the largest term of the sum. */
const EXP_CUTOFF = -40;
/** Variance floor in standardised units (i.e. relative to the data variance). */
const REL_VAR_FLOOR = 1e-6;
/** Relative spread below which a column is treated as constant (float64 resolution). */
const REL_RESOLUTION = 16 * Number.EPSILON;
/** A group is at most this wide relative to the spread of its k-means cluster. */
const GROUP_WIDTH = 0.1;
/** Widen groups until there are at most this many. */
const MAX_GROUPS = 1024;
/** Most iterations of the exploratory runs (before and during merge moves). */
const EXPLORE_ITERATIONS = 30;
/** Merge candidates refitted per round (best fixed-responsibility scores first). */
const MERGE_TRIALS = 3;

// Priors in standardised units.
const PRIOR_MEAN = 0; // m0: the data mean
const PRIOR_MEAN_PRECISION = 1; // beta0
const PRIOR_SHAPE = 0.5; // a0 = nu0 / 2, nu0 = 1
const PRIOR_RATE = 0.5; // b0 = W0^-1 / 2, W0^-1 = data variance = 1

export function fitBayesianMixture(values: ArrayLike<number>, options: FitOptions = {}): Mixture1D {
  const maxComponents = options.maxComponents ?? 10;
  const weightThreshold = options.weightThreshold ?? 0.005;
  const gamma = options.concentration ?? 1e-3;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-3;
  const seed = options.seed ?? 0;
  const maxSamples = options.maxSamples ?? 20000;
  if (!Number.isInteger(maxComponents) || maxComponents < 1) {
    throw new Error(`fitBayesianMixture: maxComponents must be a positive integer, got ${maxComponents}`);
  }
  if (!(weightThreshold >= 0 && weightThreshold < 1)) {
    throw new Error(`fitBayesianMixture: weightThreshold must be in [0, 1), got ${weightThreshold}`);
  }
  if (!(gamma > 0 && Number.isFinite(gamma))) {
    throw new Error(`fitBayesianMixture: concentration must be a positive number, got ${gamma}`);
  }
  if (!Number.isInteger(maxIterations) || maxIterations < 0) {
    throw new Error(`fitBayesianMixture: maxIterations must be a non-negative integer, got ${maxIterations}`);
  }
  if (!(tolerance >= 0)) throw new Error(`fitBayesianMixture: tolerance must be >= 0, got ${tolerance}`);
  if (!Number.isInteger(maxSamples) || maxSamples < 1) {
    throw new Error(`fitBayesianMixture: maxSamples must be a positive integer, got ${maxSamples}`);
  }

  // ---- Finite values, seeded subsample ----------------------------------------------------------
  let finite = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite++;
  if (finite === 0) {
    throw new Error('fitBayesianMixture: no finite values to fit (empty column or only NaN/Infinity)');
  }
  let data = new Float64Array(finite);
  for (let i = 0, j = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) data[j++] = v;
  }
  if (finite > maxSamples) {
    // Partial Fisher-Yates: the first maxSamples slots become a uniform random subset.
    const rng = new Random(seed);
    for (let i = 0; i < maxSamples; i++) {
      const j = i + rng.int(finite - i);
      const t = data[i];
      data[i] = data[j];
      data[j] = t;
    }
    data = data.slice(0, maxSamples);
  }
  const n = data.length;

  // ---- Standardise --------------------------------------------------------------------------------
  let mean = 0; // running mean: no overflow for values near the float64 limit
  for (let i = 0; i < n; i++) mean += (data[i] - mean) / (i + 1);
  // Standard deviation, scaled by the largest deviation so squares neither overflow nor underflow.
  let maxDev = 0;
  for (let i = 0; i < n; i++) maxDev = Math.max(maxDev, Math.abs(data[i] - mean));
  let ss = 0;
  if (maxDev > 0) {
    for (let i = 0; i < n; i++) {
      const d = (data[i] - mean) / maxDev;
      ss += d * d;
    }
  }
  const std = maxDev * Math.sqrt(ss / n);
  const scale = Math.max(Math.abs(mean), Number.isFinite(std) ? std : 0);
  // Absolute floor on any reported std: the resolution of float64 at the column's magnitude.
  const absStdFloor = Math.max(REL_RESOLUTION * scale, Number.MIN_VALUE);
  if (!(std > REL_RESOLUTION * Math.abs(mean)) || !Number.isFinite(std)) {
    // A constant column (or one whose spread is below float64 resolution). Report a small
    // positive std (1e-6 relative to the value, 1e-6 for zero) so offsets stay finite.
    const floor = mean !== 0 ? 1e-6 * Math.abs(mean) : 1e-6;
    return { means: [mean], stds: [Math.max(floor, absStdFloor)], weights: [1] };
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = (data[i] - mean) / std;
  z.sort();

  // ---- Initialisation: quantile centres, then exact 1-D k-means (Lloyd) ---------------------------
  let distinct = 1;
  for (let i = 1; i < n && distinct <= maxComponents; i++) if (z[i] !== z[i - 1]) distinct++;
  const segStart = kMeans1D(z, Math.min(maxComponents, distinct));
  const kInit = segStart.length - 1;
  const segStd = new Float64Array(kInit);
  const vb = new VBState(kInit, gamma);
  for (let k = 0; k < kInit; k++) {
    const lo = segStart[k];
    const hi = segStart[k + 1];
    let s = 0;
    for (let i = lo; i < hi; i++) s += z[i];
    const c = s / (hi - lo);
    let q = 0;
    for (let i = lo; i < hi; i++) {
      const d = z[i] - c;
      q += d * d;
    }
    vb.N[k] = hi - lo;
    vb.XB[k] = c;
    vb.S[k] = q / (hi - lo);
    segStd[k] = Math.sqrt(vb.S[k]);
  }
  vb.setGroups(buildGroups(z, segStart, segStd));
  // The hard k-means assignment plays the part of the first responsibilities.
  vb.update(kInit);

  // ---- Variational fit, then merge moves scored by the lower bound ----------------------------------
  let K = kInit;
  const explore = Math.min(maxIterations, EXPLORE_ITERATIONS);
  let bound = vb.run(K, explore, tolerance * n, tolerance);
  const saveN = new Float64Array(kInit);
  const saveXB = new Float64Array(kInit);
  const saveS = new Float64Array(kInit);
  while (K > 1 && maxIterations > 0) {
    // One more pass, also scoring every adjacent merge with the responsibilities held fixed.
    const candidates = vb.mergeScores(K);
    bound = vb.lastBound;
    saveN.set(vb.N.subarray(0, K));
    saveXB.set(vb.XB.subarray(0, K));
    saveS.set(vb.S.subarray(0, K));
    let accepted = false;
    for (let t = 0; t < Math.min(MERGE_TRIALS, candidates.length); t++) {
      const { i, j } = candidates[t];
      const k1 = vb.loadMerged(saveN, saveXB, saveS, K, i, j);
      vb.update(k1);
      // Stops as soon as the bound beats the unmerged one: the merge is then kept.
      const trial = vb.run(k1, explore, tolerance * n, tolerance, bound);
      if (trial > bound) {
        K = k1;
        bound = trial;
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      vb.N.set(saveN.subarray(0, K));
      vb.XB.set(saveXB.subarray(0, K));
      vb.S.set(saveS.subarray(0, K));
      vb.update(K);
      break;
    }
  }
  // Polish the chosen configuration.
  vb.run(K, maxIterations, tolerance * n, tolerance);

  // ---- Expected weights, pruning, back to data units -----------------------------------------------
  const w = vb.expectedWeights(K);
  let best = 0;
  for (let k = 1; k < K; k++) if (w[k] > w[best]) best = k;
  const kept: { mean: number; std: number; weight: number }[] = [];
  let keptTotal = 0;
  for (let k = 0; k < K; k++) {
    if (w[k] > weightThreshold || (k === best && !(w[best] > weightThreshold))) {
      // The reported variance is 1 / E[lambda] = b / a.
      const varZ = Math.max(vb.b[k] / vb.a[k], REL_VAR_FLOOR);
      kept.push({
        mean: mean + std * vb.m[k],
        std: Math.max(std * Math.sqrt(varZ), absStdFloor),
        weight: w[k],
      });
      keptTotal += w[k];
    }
  }
  kept.sort((p, q) => p.mean - q.mean);
  return {
    means: kept.map((c) => c.mean),
    stds: kept.map((c) => c.std),
    weights: kept.map((c) => c.weight / keptTotal),
  };
}

interface Groups {
  /** Number of groups. */
  G: number;
  count: Float64Array;
  mean: Float64Array;
  /** Within-group variance (population). */
  spread: Float64Array;
}

/**
 * Cut sorted data into runs of nearby values. A run never crosses a k-means cluster boundary and
 * is at most GROUP_WIDTH times that cluster's standard deviation wide (so a cluster of one
 * repeated value is one run, and the runs of a discrete column hold equal values only); widths
 * double until there are at most MAX_GROUPS runs.
 */
function buildGroups(z: Float64Array, segStart: Int32Array, segStd: Float64Array): Groups {
  const K = segStd.length;
  let factor = GROUP_WIDTH;
  for (;;) {
    let G = 0;
    for (let k = 0; k < K; k++) {
      const width = factor * segStd[k];
      let start = z[segStart[k]];
      G++;
      for (let i = segStart[k] + 1; i < segStart[k + 1]; i++) {
        if (z[i] - start > width) {
          start = z[i];
          G++;
        }
      }
    }
    if (G > MAX_GROUPS && factor < 1e6) {
      factor *= 2;
      continue;
    }
    const count = new Float64Array(G);
    const mean = new Float64Array(G);
    const spread = new Float64Array(G);
    let g = -1;
    for (let k = 0; k < K; k++) {
      const width = factor * segStd[k];
      let start = Infinity;
      let first = true;
      for (let i = segStart[k]; i < segStart[k + 1]; i++) {
        if (first || z[i] - start > width) {
          start = z[i];
          first = false;
          g++;
        }
        // Welford's update of the group's mean and sum of squares.
        const c = ++count[g];
        const d = z[i] - mean[g];
        mean[g] += d / c;
        spread[g] += d * (z[i] - mean[g]);
      }
    }
    for (let q = 0; q < G; q++) spread[q] /= count[q];
    return { G, count, mean, spread };
  }
}

/**
 * The variational state: statistics of the responsibilities and the global factors q(v_k),
 * q(mu_k, lambda_k) computed from them, plus the grouped data and the E-step.
 */
class VBState {
  // Statistics: N_k = sum r, XB_k = r-weighted mean, S_k = r-weighted variance.
  readonly N: Float64Array;
  readonly XB: Float64Array;
  readonly S: Float64Array;
  // q(mu, lambda) = N(mu | m, 1/(beta lambda)) Gamma(lambda | a, b); q(v) = Beta(stickA, stickB).
  readonly m: Float64Array;
  readonly beta: Float64Array;
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly stickA: Float64Array;
  readonly stickB: Float64Array;
  readonly eLogPi: Float64Array;
  readonly eLogLam: Float64Array;
  /** Per-component constant of the expected log joint: E ln pi + E ln lambda / 2 - ... */
  readonly logC: Float64Array;
  /** E[lambda] / 2. */
  readonly halfLam: Float64Array;
  /** Lower bound (not per sample) at the responsibilities of the last E-step. */
  lastBound = -Infinity;

  private groups: Groups = { G: 0, count: new Float64Array(0), mean: new Float64Array(0), spread: new Float64Array(0) };
  private readonly order: Int32Array;
  private readonly tmp: Float64Array;
  private readonly prevMeans: Float64Array;
  // E-step scratch.
  private readonly acc0: Float64Array;
  private readonly acc1: Float64Array;
  private readonly acc2: Float64Array;
  private readonly shift: Float64Array;
  private readonly logR: Float64Array;
  private readonly resp: Float64Array;
  private readonly ent: Float64Array;
  private readonly pairLo: Int32Array;
  private readonly pairHi: Int32Array;
  private readonly pairEnt: Float64Array;

  constructor(
    capacity: number,
    private readonly gamma: number,
  ) {
    const f = (): Float64Array => new Float64Array(capacity);
    this.N = f();
    this.XB = f();
    this.S = f();
    this.m = f();
    this.beta = f();
    this.a = f();
    this.b = f();
    this.stickA = f();
    this.stickB = f();
    this.eLogPi = f();
    this.eLogLam = f();
    this.logC = f();
    this.halfLam = f();
    this.order = new Int32Array(capacity);
    this.tmp = f();
    this.prevMeans = f();
    this.acc0 = f();
    this.acc1 = f();
    this.acc2 = f();
    this.shift = f();
    this.logR = f();
    this.resp = f();
    this.ent = f();
    this.pairLo = new Int32Array(capacity);
    this.pairHi = new Int32Array(capacity);
    this.pairEnt = f();
  }

  setGroups(groups: Groups): void {
    this.groups = groups;
  }

  /** Sort the statistics by decreasing N and recompute every factor from them (the M-step). */
  update(K: number): void {
    const { N, order } = this;
    for (let k = 0; k < K; k++) order[k] = k;
    for (let i = 1; i < K; i++) {
      const o = order[i];
      let j = i - 1;
      while (j >= 0 && N[order[j]] < N[o]) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = o;
    }
    let identity = true;
    for (let k = 0; k < K; k++) if (order[k] !== k) identity = false;
    if (!identity) {
      this.permute(this.N, K);
      this.permute(this.XB, K);
      this.permute(this.S, K);
    }
    this.factors(K);
  }

  private permute(arr: Float64Array, K: number): void {
    for (let k = 0; k < K; k++) this.tmp[k] = arr[this.order[k]];
    arr.set(this.tmp.subarray(0, K));
  }

  /** Optimal global factors given the statistics (Bishop 10.60-10.63 in 1-D; Blei & Jordan). */
  private factors(K: number): void {
    const { N, XB, S, m, beta, a, b, stickA, stickB, eLogPi, eLogLam, logC, halfLam, gamma } = this;
    for (let k = 0; k < K; k++) {
      const Nk = N[k];
      const bk = PRIOR_MEAN_PRECISION + Nk;
      beta[k] = bk;
      m[k] = (PRIOR_MEAN_PRECISION * PRIOR_MEAN + Nk * XB[k]) / bk;
      a[k] = PRIOR_SHAPE + 0.5 * Nk;
      const dm = XB[k] - PRIOR_MEAN;
      // Every point counts as smeared by N(0, REL_VAR_FLOOR): that is the variance floor.
      b[k] = PRIOR_RATE + 0.5 * (Nk * (S[k] + REL_VAR_FLOOR) + ((PRIOR_MEAN_PRECISION * Nk) / bk) * dm * dm);
    }
    // q(v_k) = Beta(1 + N_k, gamma + sum_{j>k} N_j) for k < K; v_K = 1 (truncation).
    let tail = 0;
    for (let k = K - 1; k >= 0; k--) {
      stickA[k] = 1 + N[k];
      stickB[k] = gamma + tail;
      tail += N[k];
    }
    let logRest = 0; // sum_{j<k} E ln(1 - v_j)
    for (let k = 0; k < K; k++) {
      if (k < K - 1) {
        const dab = digamma(stickA[k] + stickB[k]);
        eLogPi[k] = digamma(stickA[k]) - dab + logRest;
        logRest += digamma(stickB[k]) - dab;
      } else {
        eLogPi[k] = logRest;
      }
      eLogLam[k] = digamma(a[k]) - Math.log(b[k]);
      halfLam[k] = (0.5 * a[k]) / b[k];
      logC[k] = eLogPi[k] + 0.5 * eLogLam[k] - 0.5 * LOG_2PI - 0.5 / beta[k];
    }
  }

  /** sum_k KL(q(v_k) || Beta(1, gamma)) + KL(q(mu_k, lambda_k) || Normal-Gamma prior). */
  kl(K: number): number {
    const { m, beta, a, b, stickA, stickB, gamma } = this;
    let kl = 0;
    const lgA0 = lgamma(PRIOR_SHAPE);
    const lnB0 = lgamma(gamma) - lgamma(1 + gamma); // ln B(1, gamma)
    for (let k = 0; k < K; k++) {
      if (k < K - 1) {
        // KL(Beta(sa, sb) || Beta(1, gamma)).
        const sa = stickA[k];
        const sb = stickB[k];
        const dab = digamma(sa + sb);
        kl +=
          lnB0 -
          (lgamma(sa) + lgamma(sb) - lgamma(sa + sb)) +
          (sa - 1) * (digamma(sa) - dab) +
          (sb - gamma) * (digamma(sb) - dab);
      }
      const ak = a[k];
      const bk = b[k];
      // KL(Gamma(a, b) || Gamma(a0, b0)), shape-rate parameterisation.
      kl +=
        (ak - PRIOR_SHAPE) * digamma(ak) -
        lgamma(ak) +
        lgA0 +
        PRIOR_SHAPE * (Math.log(bk) - Math.log(PRIOR_RATE)) +
        (ak * (PRIOR_RATE - bk)) / bk;
      // E_lambda KL(N(m, 1/(beta lambda)) || N(m0, 1/(beta0 lambda))).
      const dm = m[k] - PRIOR_MEAN;
      kl +=
        0.5 *
        (Math.log(beta[k] / PRIOR_MEAN_PRECISION) +
          PRIOR_MEAN_PRECISION / beta[k] -
          1 +
          PRIOR_MEAN_PRECISION * (ak / bk) * dm * dm);
    }
    return kl;
  }

  /**
   * E-step over the groups, fused with the accumulation of the statistics (left in N, XB, S in
   * this pass's component order; call update() for the M-step). Sets lastBound, the lower bound
   * at the new responsibilities and the factors they were computed from. With `pairs`, also
   * accumulates the entropy sums needed to score merging components pairLo[p] and pairHi[p].
   */
  private eStep(K: number, pairs: number): void {
    const { m, logC, halfLam, acc0, acc1, acc2, shift, logR, resp, ent, pairLo, pairHi, pairEnt } = this;
    const { G, count, mean, spread } = this.groups;
    for (let k = 0; k < K; k++) {
      acc0[k] = 0;
      acc1[k] = 0;
      acc2[k] = 0;
      ent[k] = 0;
      shift[k] = m[k];
    }
    for (let p = 0; p < pairs; p++) pairEnt[p] = 0;
    let sumLse = 0;
    for (let g = 0; g < G; g++) {
      const x = mean[g];
      // Average over the group's members of E[(z - mu_k)^2] beyond 1/beta: (x - m)^2 + spread
      // (+ the variance floor).
      const v = spread[g] + REL_VAR_FLOOR;
      let max = -Infinity;
      for (let k = 0; k < K; k++) {
        const d = x - m[k];
        const l = logC[k] - halfLam[k] * (d * d + v);
        logR[k] = l;
        if (l > max) max = l;
      }
      let total = 0;
      for (let k = 0; k < K; k++) {
        const diff = logR[k] - max;
        const e = diff > EXP_CUTOFF ? Math.exp(diff) : 0;
        resp[k] = e;
        total += e;
      }
      const logTotal = Math.log(total);
      const c = count[g];
      sumLse += c * (max + logTotal);
      const inv = 1 / total;
      const cv = c * spread[g];
      for (let k = 0; k < K; k++) {
        const e = resp[k];
        if (e !== 0) {
          const r = e * inv;
          resp[k] = r;
          const cr = c * r;
          const d = x - m[k];
          acc0[k] += cr;
          acc1[k] += cr * d;
          acc2[k] += cr * d * d + r * cv;
          if (pairs > 0) ent[k] += cr * (logR[k] - max - logTotal);
        }
      }
      for (let p = 0; p < pairs; p++) {
        const s = resp[pairLo[p]] + resp[pairHi[p]];
        if (s > 0) pairEnt[p] += c * s * Math.log(s);
      }
    }
    this.lastBound = sumLse - this.kl(K);
    for (let k = 0; k < K; k++) {
      const Nk = acc0[k];
      this.N[k] = Nk;
      if (Nk > 0) {
        const mu = acc1[k] / Nk;
        this.XB[k] = shift[k] + mu;
        this.S[k] = Math.max(acc2[k] / Nk - mu * mu, 0);
      } else {
        this.XB[k] = PRIOR_MEAN;
        this.S[k] = 0;
      }
    }
  }

  /**
   * Coordinate ascent until the bound changes by less than boundTol and no mean moves by more
   * than meanTol, or maxIterations passes, or the bound exceeds `target`. Returns the last lower
   * bound.
   */
  run(K: number, maxIterations: number, boundTol: number, meanTol: number, target = Infinity): number {
    let prev = -Infinity;
    for (let iter = 0; iter < maxIterations; iter++) {
      const prevMeans = this.prevMeans;
      for (let k = 0; k < K; k++) prevMeans[k] = this.m[k];
      this.eStep(K, 0);
      this.update(K);
      // update() may relabel; compare each new mean with the nearest old one.
      let moved = 0;
      for (let k = 0; k < K; k++) {
        let best = Infinity;
        for (let j = 0; j < K; j++) best = Math.min(best, Math.abs(this.m[k] - prevMeans[j]));
        if (best > moved) moved = best;
      }
      const bound = this.lastBound;
      if (bound > target) break;
      if (Math.abs(bound - prev) < boundTol && moved < meanTol) break;
      prev = bound;
    }
    return this.lastBound;
  }

  /**
   * One E-step that also scores merging each pair of components adjacent in mean, with the
   * responsibilities held fixed: the merged component's responsibility is r_i + r_j, and the
   * bound of that configuration (factors at their optimum for it) is computed exactly from the
   * pooled statistics and sum (r_i + r_j) ln (r_i + r_j). Leaves the pass's statistics in
   * N, XB, S (pass order, not yet updated). Returns candidate pairs, best score first.
   */
  mergeScores(K: number): { i: number; j: number; gain: number }[] {
    const rank = Array.from({ length: K }, (_, k) => k).sort((p, q) => this.m[p] - this.m[q] || p - q);
    for (let p = 0; p + 1 < K; p++) {
      this.pairLo[p] = rank[p];
      this.pairHi[p] = rank[p + 1];
    }
    this.eStep(K, K - 1);
    const N = Float64Array.from(this.N.subarray(0, K));
    const XB = Float64Array.from(this.XB.subarray(0, K));
    const S = Float64Array.from(this.S.subarray(0, K));
    let entropy = 0;
    for (let k = 0; k < K; k++) entropy -= this.ent[k];
    const out: { i: number; j: number; gain: number }[] = [];
    this.loadMerged(N, XB, S, K, -1, -1);
    const base = this.boundFromStats(K, entropy);
    for (let p = 0; p + 1 < K; p++) {
      const i = this.pairLo[p];
      const j = this.pairHi[p];
      const k1 = this.loadMerged(N, XB, S, K, i, j);
      const h = entropy + this.ent[i] + this.ent[j] - this.pairEnt[p];
      out.push({ i, j, gain: this.boundFromStats(k1, h) - base });
    }
    // Leave the pass's statistics in place, in pass order.
    this.N.set(N);
    this.XB.set(XB);
    this.S.set(S);
    out.sort((u, v) => v.gain - u.gain || u.i - v.i);
    return out;
  }

  /** Load statistics (N, XB, S of K components) with j pooled into i (i < 0: none). */
  loadMerged(N: Float64Array, XB: Float64Array, S: Float64Array, K: number, i: number, j: number): number {
    let c = 0;
    for (let k = 0; k < K; k++) {
      if (k === j) continue;
      if (k === i) {
        const Nt = N[i] + N[j];
        const xb = Nt > 0 ? (N[i] * XB[i] + N[j] * XB[j]) / Nt : PRIOR_MEAN;
        const di = XB[i] - xb;
        const dj = XB[j] - xb;
        this.N[c] = Nt;
        this.XB[c] = xb;
        this.S[c] = Nt > 0 ? (N[i] * (S[i] + di * di) + N[j] * (S[j] + dj * dj)) / Nt : 0;
      } else {
        this.N[c] = N[k];
        this.XB[c] = XB[k];
        this.S[c] = S[k];
      }
      c++;
    }
    return c;
  }

  /**
   * Lower bound for responsibilities summarised by the loaded statistics and their entropy
   * (-sum r ln r), with the global factors at their optimum for them. Calls update().
   */
  private boundFromStats(K: number, entropy: number): number {
    this.update(K);
    const { N, XB, S, m, beta, eLogPi, eLogLam, halfLam } = this;
    let L = entropy - this.kl(K);
    for (let k = 0; k < K; k++) {
      const Nk = N[k];
      if (Nk === 0) continue;
      const d = XB[k] - m[k];
      // sum_n r_nk (E ln pi_k + E ln N(z_n | mu_k, 1/lambda_k)), points smeared by the floor.
      L +=
        Nk * (eLogPi[k] + 0.5 * eLogLam[k] - 0.5 * LOG_2PI - 0.5 / beta[k]) -
        halfLam[k] * Nk * (S[k] + REL_VAR_FLOOR + d * d);
    }
    return L;
  }

  /** E[pi_k] = E[v_k] prod_{j<k} (1 - E[v_j]) (the v_j are independent under q). */
  expectedWeights(K: number): Float64Array {
    const w = new Float64Array(K);
    let rest = 1;
    for (let k = 0; k < K; k++) {
      if (k < K - 1) {
        const ev = this.stickA[k] / (this.stickA[k] + this.stickB[k]);
        w[k] = rest * ev;
        rest *= 1 - ev;
      } else {
        w[k] = rest;
      }
    }
    return w;
  }
}

/**
 * Posterior probability of each component of `m` given the value x:
 * w_k N(x | mu_k, sigma_k^2) / sum_j w_j N(x | mu_j, sigma_j^2), computed in log space.
 * `out`, if given, must have at least as many entries as there are components; its first K
 * entries are overwritten and it is returned. x = -Infinity / +Infinity put all the mass on the
 * lowest / highest mean component; NaN returns the mixture weights.
 */
export function responsibilities(m: Mixture1D, x: number, out?: Float64Array): Float64Array {
  const K = m.means.length;
  if (K === 0) throw new Error('responsibilities: mixture has no components');
  let r: Float64Array;
  if (out === undefined) r = new Float64Array(K);
  else if (out.length < K) {
    throw new Error(`responsibilities: out has ${out.length} entries, need ${K}`);
  } else r = out;
  if (!Number.isFinite(x)) {
    if (Number.isNaN(x)) {
      for (let k = 0; k < K; k++) r[k] = m.weights[k];
      return r;
    }
    // Means are sorted ascending, but do not rely on it for hand-made mixtures.
    let pick = 0;
    for (let k = 1; k < K; k++) {
      if (x > 0 ? m.means[k] > m.means[pick] : m.means[k] < m.means[pick]) pick = k;
    }
    for (let k = 0; k < K; k++) r[k] = k === pick ? 1 : 0;
    return r;
  }
  let max = -Infinity;
  for (let k = 0; k < K; k++) {
    const s = m.stds[k];
    const u = (x - m.means[k]) / s;
    const l = Math.log(m.weights[k]) - Math.log(s) - 0.5 * u * u;
    r[k] = l;
    if (l > max) max = l;
  }
  if (max === -Infinity) {
    // Every weight is zero (a malformed mixture): fall back to uniform.
    for (let k = 0; k < K; k++) r[k] = 1 / K;
    return r;
  }
  let total = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp(r[k] - max);
    r[k] = e;
    total += e;
  }
  const inv = 1 / total;
  for (let k = 0; k < K; k++) r[k] *= inv;
  return r;
}

// ---- 1-D k-means on sorted data -------------------------------------------------------------------

/**
 * Lloyd's algorithm on sorted 1-D data, started from K quantile centres. In one dimension the
 * clusters are contiguous runs of the sorted data separated at the midpoints between centres, so
 * each iteration is K binary searches plus prefix-sum lookups. Returns the run boundaries
 * (length K' + 1, K' <= K non-empty clusters).
 */
function kMeans1D(z: Float64Array, K: number): Int32Array {
  const n = z.length;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + z[i];
  let centres: number[] = [];
  for (let k = 0; k < K; k++) {
    const c = z[Math.min(n - 1, Math.floor(((k + 0.5) / K) * n))];
    if (centres.length === 0 || c !== centres[centres.length - 1]) centres.push(c);
  }
  // Quantiles of data with few distinct values collapse; top up with unused distinct values.
  if (centres.length < K) {
    const have = new Set(centres);
    for (let i = 0; i < n && centres.length < K; i++) {
      if (!have.has(z[i])) {
        have.add(z[i]);
        centres.push(z[i]);
      }
    }
    centres.sort((p, q) => p - q);
  }
  let bounds = new Int32Array(0);
  for (let iter = 0; iter < 100; iter++) {
    const k = centres.length;
    const next = new Int32Array(k + 1);
    next[0] = 0;
    next[k] = n;
    for (let j = 1; j < k; j++) next[j] = upperBound(z, 0.5 * (centres[j - 1] + centres[j]));
    let same = next.length === bounds.length;
    for (let j = 0; same && j <= k; j++) if (next[j] !== bounds[j]) same = false;
    // Drop empty clusters.
    const kept: number[] = [0];
    const newCentres: number[] = [];
    for (let j = 0; j < k; j++) {
      if (next[j + 1] > next[j]) {
        newCentres.push((prefix[next[j + 1]] - prefix[next[j]]) / (next[j + 1] - next[j]));
        kept.push(next[j + 1]);
      }
    }
    bounds = Int32Array.from(kept);
    centres = newCentres;
    if (same) break;
  }
  return bounds;
}

/** First index i with z[i] > v (z sorted ascending). */
function upperBound(z: Float64Array, v: number): number {
  let lo = 0;
  let hi = z.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (z[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---- Special functions ----------------------------------------------------------------------------

/** Digamma for x > 0: recurrence up to x >= 6, then the asymptotic series. */
function digamma(x: number): number {
  let r = 0;
  while (x < 6) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return (
    r + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))))
  );
}

/** ln Gamma(x) for x > 0: recurrence up to x >= 7, then Stirling's series. */
function lgamma(x: number): number {
  let r = 0;
  while (x < 7) {
    r -= Math.log(x);
    x += 1;
  }
  const f = 1 / (x * x);
  return (
    r +
    (x - 0.5) * Math.log(x) -
    x +
    0.5 * LOG_2PI +
    (1 / x) * (1 / 12 - f * (1 / 360 - f * (1 / 1260 - f / 1680)))
  );
}
