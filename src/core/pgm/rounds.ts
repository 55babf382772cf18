import { Random, type SecureRandom } from '../random';
import { discreteGaussianNoise } from '../privacy/discrete-gaussian';
import { resample } from './rake';

/**
 * AIM-style adaptive rounds after MST's tree (McKenna, Mullins, Sheldon, Miklau 2022): each round
 * the exponential mechanism picks the column pair (or 3-way clique) whose real marginal the
 * current model fits worst, by AIM's score (L1 error less the L1 noise measuring it would add);
 * the clique is measured with Gaussian noise and the model refitted.
 *
 * The model beyond the tree is the tree model tilted by one table per measured clique:
 * p(x) ∝ q_tree(x) · exp(Σ_r θ_r(x_r)). It lives on a pool of rows drawn from the tree: each pool
 * row's weight is the tilt, fitted by entropic mirror descent to every noisy measurement in
 * inverse-variance weighted squared error (Private-PGM's loss), which projects the inconsistent
 * noisy marginals onto one distribution. The model file keeps the tree and the tables; rows are
 * drawn by weighting a fresh pool of the tree's rows by the tilt and resampling (pgm/model.ts).
 *
 * Bounds: at most `MAX_ROUNDS` rounds; pairs up to MAX_CLIQUE_CELLS cells, 3-way cliques up to
 * MAX_TRIPLE_CELLS; the candidates are cut (data-independently) so that scoring them visits at
 * most MAX_ROUND_WORK row-cells and their real counts hold at most MAX_SCORE_CELLS numbers.
 */

/**
 * Adaptive rounds of a pgm run unless asked otherwise: none (MST's tree alone). Sixteen rounds
 * (AIM runs 16·d) did not measure better: three runs each on adult ε 1 / 3, flchain and rhc ε 3,
 * quality within the runs' spread of the tree's on adult and flchain, 0.011 lower on rhc, at about
 * 1.4 times the CPU time (README, "Beyond the tree"). `--pgm-rounds` turns them on.
 */
export const DEFAULT_ROUNDS = 0;
/** Rounds the README's figures used, and a sensible request. */
export const SUGGESTED_ROUNDS = 16;
/** Most rounds a run may ask for. */
export const MAX_ROUNDS = 64;
/** Share of the selection and of the measurement budget the rounds get by default (the tree the rest). */
export const ROUNDS_SHARE = 0.2;
/** Rows in the pool the model is fitted on. */
export const POOL_ROWS = 16_000;
/** Largest 3-way clique measured (cells). */
export const MAX_TRIPLE_CELLS = 1024;
/** Most row visits spent scoring candidates over all rounds (real rows once, pool rows each round). */
export const MAX_ROUND_WORK = 3e8;
/** Most row visits of the pool fit over all rounds (a few seconds on this machine class). */
export const MAX_FIT_WORK = 1.5e9;
/** Most real counts held for scoring (numbers). */
export const MAX_SCORE_CELLS = 1 << 22;
/** Mirror-descent iterations after each round, and at the end. */
export const ROUND_ITERATIONS = 10;
export const FINAL_ITERATIONS = 50;
/** Pool drawn from the tree per row kept when sampling (pgm/model.ts), and its least size. */
export const SAMPLE_POOL_FACTOR = 10;
export const MIN_SAMPLE_POOL = 20_000;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** A measured set of columns (domain indices) and its fitted log-potential per cell (row-major in `domains` order). */
export interface FittedClique {
  domains: number[];
  potential: number[];
}

/** A noisy marginal over a clique of domains (row-major), with 1 / variance per cell (0: not measured). */
export interface CliqueMeasurement {
  domains: number[];
  counts: ArrayLike<number>;
  weights: ArrayLike<number>;
}

export function cliqueSize(domains: readonly number[], sizes: readonly number[]): number {
  return domains.reduce((p, v) => p * sizes[v], 1);
}

/** Each row's cell in the clique's table (row-major in `domains` order). */
export function cliqueIndex(domains: readonly number[], sizes: readonly number[], cells: readonly Int32Array[], rows: number): Int32Array {
  const out = new Int32Array(rows);
  for (const v of domains) {
    const s = sizes[v];
    const c = cells[v];
    for (let r = 0; r < rows; r++) out[r] = out[r] * s + c[r];
  }
  return out;
}

const keyOf = (domains: readonly number[]): string => [...domains].sort((a, b) => a - b).join(',');

/**
 * Row weights over a pool, fitted to noisy clique marginals: w ∝ exp(Σ_r θ_r(x_r)), one table θ_r
 * per measured clique, moved by mirror descent on ½ Σ_r Σ_c weight_rc (N·μ_r(c) − y_rc)² (the
 * gradient of a row depends only on its cells in the measured cliques, so the entropic step on
 * the rows is a step on the tables).
 */
export class PoolFit {
  private probabilities: Float64Array<ArrayBuffer>;
  private readonly measured: { index: Int32Array; counts: ArrayLike<number>; weights: ArrayLike<number>; cells: number; domains: number[]; theta: Float64Array }[] = [];
  private alpha = 0;

  constructor(
    readonly cells: Int32Array[],
    readonly sizes: number[],
    readonly rows: number,
    readonly total: number,
  ) {
    this.probabilities = new Float64Array(rows).fill(1 / Math.max(rows, 1));
  }

  add(m: CliqueMeasurement): void {
    const cells = cliqueSize(m.domains, this.sizes);
    if (m.counts.length !== cells) throw new Error(`a measurement of ${m.counts.length} cells over a clique of ${cells}`);
    this.measured.push({ index: cliqueIndex(m.domains, this.sizes, this.cells, this.rows), counts: m.counts, weights: m.weights, cells, domains: m.domains.slice(), theta: new Float64Array(cells) });
    this.alpha = 0;
  }

  /** The model's probability of each cell of a clique (`index`: the pool rows' cells, when known). */
  marginal(domains: readonly number[], index?: Int32Array): Float64Array {
    const out = new Float64Array(cliqueSize(domains, this.sizes));
    const p = this.probabilities;
    if (index) {
      for (let r = 0; r < this.rows; r++) out[index[r]] += p[r];
      return out;
    }
    // Without an index, the cells are computed on the way (no pool-sized array per candidate).
    const cells = domains.map((v) => this.cells[v]);
    const sizes = domains.map((v) => this.sizes[v]);
    for (let r = 0; r < this.rows; r++) {
      let i = 0;
      for (let j = 0; j < cells.length; j++) i = i * sizes[j] + cells[j][r];
      out[i] += p[r];
    }
    return out;
  }

  /** Effective pool size (Kish): the pool's own sampling error is that of this many rows. */
  effectiveRows(): number {
    let s = 0;
    for (let r = 0; r < this.rows; r++) s += this.probabilities[r] * this.probabilities[r];
    return s > 0 ? 1 / s : this.rows;
  }

  /** Every measured clique with its fitted table: the tilt that turns the tree into the model. */
  fitted(): FittedClique[] {
    return this.measured.filter((m) => m.theta.some((t) => t !== 0)).map((m) => ({ domains: m.domains, potential: Array.from(m.theta) }));
  }

  /** Loss at `p`, and each measurement's residual (the gradient by cell) written into `into`. */
  private evaluate(p: Float64Array, into: Float64Array[], marginals: Float64Array[]): number {
    const n = this.total;
    let loss = 0;
    this.measured.forEach((m, k) => {
      const mu = marginals[k].fill(0);
      for (let r = 0; r < this.rows; r++) mu[m.index[r]] += p[r];
      const residual = into[k];
      for (let c = 0; c < m.cells; c++) {
        const diff = n * mu[c] - m.counts[c];
        residual[c] = n * m.weights[c] * diff;
        loss += 0.5 * m.weights[c] * diff * diff;
      }
    });
    return loss;
  }

  /** Row probabilities of the tables (softmax of Σ_r θ_r). */
  private probabilitiesOf(thetas: Float64Array[], into: Float64Array): void {
    into.fill(0);
    this.measured.forEach((m, k) => {
      const t = thetas[k];
      for (let r = 0; r < this.rows; r++) into[r] += t[m.index[r]];
    });
    let max = -Infinity;
    for (let r = 0; r < this.rows; r++) if (into[r] > max) max = into[r];
    let s = 0;
    for (let r = 0; r < this.rows; r++) s += into[r] = Math.exp(into[r] - max);
    for (let r = 0; r < this.rows; r++) into[r] /= s;
  }

  /** Mirror descent with a growing step, halved when the loss does not fall as promised (Armijo). */
  fit(iterations: number): number {
    const tables = () => this.measured.map((m) => new Float64Array(m.cells));
    let gradient = tables();
    let nextGradient = tables();
    let marginals = tables();
    let nextMarginals = tables();
    const candidate = tables();
    let next: Float64Array<ArrayBuffer> = new Float64Array(this.rows);
    let loss = this.evaluate(this.probabilities, gradient, marginals);
    if (!(this.alpha > 0)) {
      let maxWeight = 0;
      for (const m of this.measured) for (let c = 0; c < m.cells; c++) maxWeight = Math.max(maxWeight, m.weights[c]);
      // A step that moves a cell holding every row by about its own relative error.
      this.alpha = 1 / Math.max(maxWeight * this.total * this.total, 1e-300);
    }
    for (let it = 0; it < iterations; it++) {
      let accepted = false;
      for (let tries = 0; tries < 30; tries++) {
        this.measured.forEach((m, k) => {
          for (let c = 0; c < m.cells; c++) candidate[k][c] = m.theta[c] - this.alpha * gradient[k][c];
        });
        this.probabilitiesOf(candidate, next);
        const nextLoss = this.evaluate(next, nextGradient, nextMarginals);
        let promised = 0;
        gradient.forEach((g, k) => {
          for (let c = 0; c < g.length; c++) promised += g[c] * (marginals[k][c] - nextMarginals[k][c]);
        });
        if (nextLoss <= loss - 0.5 * promised && nextLoss <= loss) {
          this.measured.forEach((m, k) => m.theta.set(candidate[k]));
          [this.probabilities, next] = [next, this.probabilities];
          [gradient, nextGradient] = [nextGradient, gradient];
          [marginals, nextMarginals] = [nextMarginals, marginals];
          const gain = (loss - nextLoss) / Math.max(loss, 1e-300);
          loss = nextLoss;
          this.alpha *= 1.1;
          accepted = true;
          if (gain < 1e-9) it = iterations;
          break;
        }
        this.alpha *= 0.5;
      }
      if (!accepted) break;
    }
    return loss;
  }
}

export interface RoundsRequest {
  /** Cells per domain, and each real row's cell per domain. */
  sizes: number[];
  realCells: Int32Array[];
  realRows: number;
  /** The released row count (public): sets the candidate cut, which must not depend on the rows. */
  releasedRows: number;
  /** A pool of rows drawn from the tree model (cells per domain). */
  poolCells: Int32Array[];
  poolRows: number;
  /** The measurements already made (1-way and the tree's), in domain cliques. */
  measurements: CliqueMeasurement[];
  /** Estimated rows (from the measurements so far). */
  total: number;
  /** Cliques measured already (the tree's pairs, with the hub when there is one): not candidates. */
  covered: number[][];
  rounds: number;
  rhoSelection: number;
  rhoMeasurement: number;
  /** Privacy unit: rows per person (score sensitivity and noise scale). */
  maxRowsPerUnit: number;
  random: SecureRandom;
}

export interface RoundRelease {
  domains: number[];
  cells: number;
  sigma: number;
  rho: number;
}

export interface RoundsResult {
  cliques: FittedClique[];
  /** Each round's measurement (σ and ρ), and its selection's ε. */
  measured: RoundRelease[];
  epsilons: number[];
  spent: { selection: number; measurement: number };
}

/** Candidate cliques: pairs (not with the hub), then 3-way cliques, each list in a public shuffled order. */
export function roundCandidates(sizes: readonly number[], hub: number | undefined, releasedRows: number, rounds: number, poolRows: number, maxPairCells: number): number[][] {
  const d = sizes.length;
  const pairs: number[][] = [];
  const triples: number[][] = [];
  for (let a = 0; a < d; a++)
    for (let b = a + 1; b < d; b++) {
      if (a !== hub && b !== hub && sizes[a] * sizes[b] <= maxPairCells && sizes[a] > 1 && sizes[b] > 1) pairs.push([a, b]);
      for (let c = b + 1; c < d && sizes[a] * sizes[b] <= MAX_TRIPLE_CELLS; c++) {
        if (sizes[c] > 1 && sizes[a] > 1 && sizes[b] > 1 && sizes[a] * sizes[b] * sizes[c] <= MAX_TRIPLE_CELLS) triples.push([a, b, c]);
      }
    }
  const shuffle = new Random(0xa1a5);
  const all = [...shuffle.shuffle(pairs), ...shuffle.shuffle(triples)];
  const byWork = Math.floor(MAX_ROUND_WORK / Math.max(1, releasedRows + rounds * poolRows));
  const out: number[][] = [];
  let held = 0;
  for (const c of all) {
    if (out.length >= byWork) break;
    const cells = cliqueSize(c, sizes);
    if (held + cells > MAX_SCORE_CELLS) continue;
    held += cells;
    out.push(c);
  }
  return out;
}

/** The rounds a request can run: never more than candidates left once the tree covers its cliques. */
export function plannedRounds(candidates: number, treeEdges: number, hub: boolean, wanted: number, domains: number): number {
  const rounds = Math.max(0, Math.min(wanted, MAX_ROUNDS, candidates - (hub ? 2 : 1) * treeEdges));
  // The fit visits every measured clique's pool cells about twice per try, some 1.3 tries an
  // iteration: wide files, whose fit would exceed MAX_FIT_WORK, keep the tree alone.
  const work = (measurements: number): number => 2 * 1.3 * measurements * POOL_ROWS * (rounds * ROUND_ITERATIONS + FINAL_ITERATIONS);
  // (The fit holds one measurement per column, one per tree edge and one per round.)
  return work(2 * domains + rounds) <= MAX_FIT_WORK ? rounds : 0;
}

/**
 * The adaptive rounds: each one private selection (exponential mechanism at ε, score sensitivity
 * k: ε²/8-zCDP) and one Gaussian measurement (σ: k²/(2σ²)-zCDP), the model refitted after each.
 * Which round costs what depends on earlier released values only, and the rounds together spend
 * the two budgets exactly (zCDP composes adaptively within a budget fixed in advance, as AIM's).
 */
export function runRounds(request: RoundsRequest, candidates: number[][]): RoundsResult {
  const { sizes, realCells, realRows, random, rounds } = request;
  const k = request.maxRowsPerUnit;
  const fit = new PoolFit(request.poolCells, sizes, request.poolRows, request.total);
  for (const m of request.measurements) fit.add(m);
  const covered = new Set(request.covered.map(keyOf));
  let open = candidates.filter((c) => !covered.has(keyOf(c)));
  // Real counts once (the rows do not change); the model's each round.
  const real = open.map((c) => {
    const index = cliqueIndex(c, sizes, realCells, realRows);
    const counts = new Float64Array(cliqueSize(c, sizes));
    for (let r = 0; r < realRows; r++) counts[index[r]]++;
    return counts;
  });
  const measured: RoundRelease[] = [];
  const n = request.total;
  // Each round's share starts at 1 / rounds of each budget; AIM's annealing quadruples it when a
  // measurement barely moved the model (σ halves, ε doubles), and a round that would leave less
  // than one more round's share takes all that is left. The budgets are spent exactly.
  let selectionLeft = request.rhoSelection;
  let measurementLeft = request.rhoMeasurement;
  let share = rounds > 0 ? 1 / rounds : 0;
  const epsilons: number[] = [];
  while (rounds > 0 && open.length > 0 && measurementLeft > 0 && measured.length < rounds) {
    let rhoSelection = share * request.rhoSelection;
    let rhoMeasurement = share * request.rhoMeasurement;
    const last = measurementLeft < 2 * rhoMeasurement * (1 + 1e-9) || measured.length === rounds - 1 || open.length === 1;
    if (last) {
      rhoSelection = selectionLeft;
      rhoMeasurement = measurementLeft;
    }
    const epsilon = Math.sqrt(8 * rhoSelection);
    const sigma = k * Math.sqrt(1 / (2 * rhoMeasurement));
    const poolRows = fit.effectiveRows();
    const scores = new Float64Array(open.length);
    const models = open.map((c, j) => {
      const model = fit.marginal(c);
      const counts = real[j];
      // AIM's penalty (the L1 noise measuring it adds), and the L1 that sampling alone leaves
      // between rows and model (real rows and the finite pool): both from released values, so the
      // score's sensitivity stays k.
      let score = -SQRT_2_OVER_PI * sigma * counts.length;
      for (let i = 0; i < counts.length; i++) {
        const expected = n * model[i];
        score += Math.abs(counts[i] - expected) - SQRT_2_OVER_PI * Math.sqrt(expected * (1 + n / poolRows));
      }
      scores[j] = score;
      return model;
    });
    let max = -Infinity;
    const logits = Float64Array.from(scores, (s) => ((epsilon / k) * s) / 2);
    for (const l of logits) if (l > max) max = l;
    const pick = random.categorical(logits.map((l) => Math.exp(l - max)));
    const clique = open[pick];
    const noise = discreteGaussianNoise(random, sigma);
    const counts = real[pick].map((c) => c + noise());
    fit.add({ domains: clique, counts, weights: new Float64Array(counts.length).fill(1 / (sigma * sigma)) });
    fit.fit(ROUND_ITERATIONS);
    measured.push({ domains: clique, cells: counts.length, sigma, rho: rhoMeasurement });
    epsilons.push(epsilon);
    selectionLeft -= rhoSelection;
    measurementLeft -= rhoMeasurement;
    if (last) break;
    // Moved by less than the noise it carried: the remaining cliques need finer measurements.
    const before = models[pick];
    const after = fit.marginal(clique);
    let moved = 0;
    for (let i = 0; i < after.length; i++) moved += n * Math.abs(after[i] - before[i]);
    if (moved <= SQRT_2_OVER_PI * sigma * after.length) share *= 4;
    open = open.filter((_, j) => j !== pick);
    real.splice(pick, 1);
  }
  fit.fit(FINAL_ITERATIONS);
  const spent = measured.length > 0 ? { selection: request.rhoSelection, measurement: request.rhoMeasurement } : { selection: 0, measurement: 0 };
  return { cliques: fit.fitted(), measured, epsilons, spent };
}

/**
 * Rows of the model beyond the tree: a pool of `poolRows` drawn from the tree (its cells per
 * domain), each weighted by the fitted tilt exp(Σ_r θ_r), and `rows` of them kept by systematic
 * resampling (importance resampling: the kept rows follow the tilted model as the pool grows).
 * Returns the kept rows' pool indices.
 */
export function tiltedRows(cliques: readonly FittedClique[], sizes: readonly number[], poolCells: readonly Int32Array[], poolRows: number, rows: number, random: Random): Int32Array {
  const log = new Float64Array(poolRows);
  for (const c of cliques) {
    const index = cliqueIndex(c.domains, sizes, poolCells, poolRows);
    for (let r = 0; r < poolRows; r++) log[r] += c.potential[index[r]];
  }
  let max = -Infinity;
  for (let r = 0; r < poolRows; r++) if (log[r] > max) max = log[r];
  const weights = log.map((l) => Math.exp(l - max));
  return resample(weights, rows, random);
}
