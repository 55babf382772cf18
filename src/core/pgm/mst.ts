import { PrivacyLedger } from '../privacy/accountant';
import type { ColumnHistogram, MeasuredPair, ReleaseEntry, PrivateStatistics } from '../release/types';
import { DEFAULT_OTHER_LABEL } from '../privacy/preprocess';
import { Random, type SecureRandom } from '../random';
import { discreteGaussianNoise } from '../privacy/discrete-gaussian';
import type { Schema } from '../schema/types';
import type { Table } from '../table';
import { columnDomain, rowCells, type ColumnDomain } from './domain';
import { estimate, ForestSampler, orientForest, type Measurement } from './forest';
import { domainCells, nodeCells, type PgmState } from './model';
import { plannedRounds, POOL_ROWS, roundCandidates, ROUNDS_SHARE, runRounds, type CliqueMeasurement, type RoundsResult } from './rounds';

/**
 * MST (McKenna, Miklau, Sheldon 2021) on this project's private release:
 *
 * 1. the 1-way marginals are the released column histograms (privacy/preprocess.ts), grouped
 *    into each column's cells (domain.ts);
 * 2. a spanning tree is chosen Kruskal-style in d − 1 rounds of the exponential mechanism, each
 *    scoring the candidate pairs by ‖x_ab − x̂_ab‖₁: the real pair counts against the independent
 *    model of the released 1-way marginals (sensitivity 1 under adding or removing a row);
 * 3. the tree's 2-way marginals are measured with Gaussian noise;
 * 4. a consistent model is estimated from all the noisy marginals (forest.ts) and sampled.
 *
 * The budget is zCDP: the histograms, the selection (the exponential mechanism at ε is
 * ε²/8-zCDP) and the measurements add up in one ledger.
 */

/**
 * Shares of the total rho. MST uses thirds; here the 1-way histograms cost more (a numeric column
 * releases three, and they also set the transformer's facts and the columns' ranges), and the
 * selection needs little to find the strong pairs (their scores are thousands of rows apart).
 * Single runs, quality on adult.csv at ε 1 / 3 / its first 2,000 rows at ε 3: 0.933 / 0.941 /
 * 0.829 with 0.35 / 0.15 / 0.5; 0.931 / 0.944 / 0.852 with 0.5 / 0.1 / 0.4; 0.932 / 0.938 / 0.827
 * with 0.25 / 0.1 / 0.65 (runs of one setting differ by about 0.01).
 */
export const PGM_SHARES = { preprocessing: 0.5, selection: 0.1, measurement: 0.4 };

/** Most cells of a hub column (each pair's table grows by its square). */
export const MAX_HUB_CELLS = 4;

/** Largest 2-way marginal measured (cells): larger pairs are not candidates. */
export const MAX_CLIQUE_CELLS = 4096;

/**
 * Most cells in the tree's pair tables together (with a hub, a pair's table is its cells times the
 * hub's cells squared). Fitting holds at most about 100 bytes a cell (noisy counts and their
 * weights, four copies of the log-potentials, two of the marginals, the sampler's tables), so some
 * 420 MB. Up to 65 modelled columns every pair keeps MAX_CLIQUE_CELLS; on wider files a pair's cap
 * shrinks with the column count (pairCellCap).
 */
export const MAX_TREE_CELLS = 2 ** 22;

/**
 * Largest pair (its own cells) that may join a tree of `treeEdges` pairs, each measured with a hub
 * of `hubCells` cells: a public rule (the column count and the hub's released cells), so the
 * tree's tables stay within MAX_TREE_CELLS whichever pairs are chosen.
 */
export function pairCellCap(treeEdges: number, hubCells = 1): number {
  return Math.min(MAX_CLIQUE_CELLS, Math.floor(MAX_TREE_CELLS / (Math.max(1, treeEdges) * hubCells * hubCells)));
}

/**
 * Most row visits spent scoring candidate pairs (pairs × rows). Beyond it, a data-independent
 * random subset of the pairs (seeded, so public) are the candidates; with 500 columns and 100,000
 * rows that is 5,000 of the 124,750 pairs.
 */
export const MAX_PAIR_WORK = 5e8;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Cells expected to hold fewer rows than this many pair-noise deviations are merged (MST: 3). */
export const COMPRESSION_SIGMAS = 3;

export interface PgmBudget {
  preprocessing: number;
  selection: number;
  measurement: number;
}

export function splitPgmBudget(rho: number): PgmBudget {
  return { preprocessing: rho * PGM_SHARES.preprocessing, selection: rho * PGM_SHARES.selection, measurement: rho * PGM_SHARES.measurement };
}

/** The ledger of a pgm run: two Gaussian releases and the exponential mechanism, in zCDP. */
export function pgmLedger(budget: PgmBudget): PrivacyLedger {
  const ledger = new PrivacyLedger();
  if (budget.preprocessing > 0) ledger.addZcdp(budget.preprocessing, 'preprocessing: noisy histograms (Gaussian mechanism)');
  if (budget.selection > 0) ledger.addZcdp(budget.selection, 'selection of the pairs (exponential mechanism)', 'other');
  if (budget.measurement > 0) ledger.addZcdp(budget.measurement, 'pair marginals (Gaussian mechanism)');
  return ledger;
}


export interface PgmFitRequest {
  schema: Schema;
  table: Table;
  stats: PrivateStatistics;
  rhoSelection: number;
  rhoMeasurement: number;
  /**
   * The measurement's ρ when nothing is selected: the ledger is then Gaussian releases alone, which
   * the run's accountant may bound more tightly than with a selection in it (PLD instead of RDP),
   * so more of the target is left to measure. Without it the selection's share is simply added.
   */
  measurementAlone?: () => number;
  /** Noise and selection draws: the secure stream. */
  random: SecureRandom;
  otherLabel?: string;
  iterations?: number;
  /**
   * A column to measure with every pair (a hub), when its release has at most MAX_HUB_CELLS cells:
   * a schema index, or 'auto' for the last categorical column whose release has that few.
   */
  hub?: number | 'auto';
  /**
   * Privacy unit: each person holds at most this many rows of `table` (bounded before), so one
   * person moves a pair's counts by up to k (L1 and L2): the selection's score sensitivity and
   * the measurements' noise scale by k. Default 1: rows.
   */
  maxRowsPerUnit?: number;
  /**
   * Column pairs (schema indices) put in the tree without selection: the pairs the schema's
   * declared rules relate, public by the user's declaration, so that the model measures what the
   * rule layer reads off it. Pairs that would close a cycle, hold the hub or exceed the pair cap
   * are left to the selection.
   */
  forcedPairs?: readonly [number, number][];
  /** Levels kept in cells of their own, by schema index: the categories declared rules name (see columnDomain). */
  apartLevels?: ReadonlyMap<number, ReadonlySet<string>>;
  /**
   * Adaptive rounds after the tree (pgm/rounds.ts), each choosing and measuring the clique the
   * model fits worst; they take ROUNDS_SHARE of the selection and of the measurement budget.
   * Default 0: the tree alone (MST).
   */
  rounds?: number;
}

export interface PgmFit {
  state: PgmState;
  /** The tree's noisy 2-way marginals (releases, in the ledger). */
  measured: MeasuredPair[];
  /** Rows estimated from all the noisy marginals (inverse-variance weighted). */
  rowCount: number;
  releases: ReleaseEntry[];
  /** Chosen pairs by column name, in the order chosen. */
  pairs: [string, string][];
  /** rho actually spent on selection and measurement. */
  spent: { selection: number; measurement: number };
  selectionEpsilonPerRound: number;
  measurementSigma: number;
  /** The adaptive rounds, when there were any: cliques by column name in the order chosen, and their noise. */
  rounds?: { cliques: string[][]; epsilons: number[]; sigmas: number[] };
}

export function fitPgm(request: PgmFitRequest): PgmFit {
  const { schema, table, stats, random } = request;
  const other = request.otherLabel ?? DEFAULT_OTHER_LABEL;
  const k = request.maxRowsPerUnit ?? 1;
  // With rounds, the tree gets what they leave (the split is fixed before any row is read).
  const wantsRounds = (request.rounds ?? 0) > 0;
  let treeSelection = wantsRounds ? request.rhoSelection * (1 - ROUNDS_SHARE) : request.rhoSelection;
  let treeMeasurement = wantsRounds ? request.rhoMeasurement * (1 - ROUNDS_SHARE) : request.rhoMeasurement;
  // The pair marginals' noise is known before any of them is chosen (d − 1 of them): cells
  // below COMPRESSION_SIGMAS of it are merged (MST's compression).
  const modelled = stats.histograms.filter((h) => h).length;
  const plannedSigma = modelled > 1 ? k * Math.sqrt((modelled - 1) / (2 * treeMeasurement)) : 0;
  const domains: ColumnDomain[] = [];
  stats.histograms.forEach((h, column) => {
    if (h) domains.push(columnDomain(column, h, COMPRESSION_SIGMAS * plannedSigma, request.apartLevels?.get(column)));
  });
  const sizes = domains.map((d) => d.cells);
  const d = domains.length;
  const cells = domains.map((dom) => rowCells(dom, stats.histograms[dom.column]!, table, other));
  const n = table.rowCount;

  // 1-way measurements: the released histograms summed over each cell's slots.
  const measurements: Measurement[] = [];
  const totals: { value: number; variance: number }[] = [];
  domains.forEach((dom, v) => {
    const h = stats.histograms[dom.column]!;
    const weights = h.type === 'categorical' ? [...h.counts, h.missing] : [...h.counts, h.zero, h.missing];
    const sigma = h.sigma ?? Math.max(...stats.releases.map((r) => r.sigma ?? 0));
    const counts = new Float64Array(dom.cells);
    const slotsIn = new Float64Array(dom.cells);
    weights.forEach((w, slot) => {
      counts[dom.cellOfSlot[slot]] += w;
      slotsIn[dom.cellOfSlot[slot]]++;
    });
    measurements.push({ kind: 'node', index: v, counts, weights: Array.from(slotsIn, (k) => 1 / (sigma * sigma * k)) });
    totals.push({ value: counts.reduce((a, b) => a + b, 0), variance: sigma * sigma * weights.length });
  });
  const independentTotal = inverseVarianceMean(totals) ?? stats.rowCount;

  // With a hub (a column of at most MAX_HUB_CELLS cells, named by the caller from public facts),
  // the tree spans the other columns and every pair is measured together with the hub.
  const hubIndex =
    request.hub === 'auto'
      ? domains.reduce((last, dom, v) => (stats.histograms[dom.column]!.type === 'categorical' && dom.cells >= 2 && dom.cells <= MAX_HUB_CELLS ? v : last), -1)
      : request.hub === undefined
        ? -1
        : domains.findIndex((dom) => dom.column === request.hub);
  let hub = hubIndex >= 0 && sizes[hubIndex] >= 2 && sizes[hubIndex] <= MAX_HUB_CELLS && d >= 3 ? hubIndex : undefined;
  let nodes = domains.map((_, v) => v).filter((v) => v !== hub);
  // A column its compression left in one cell (rhc's `ortho`, 7 rows of 5,735) tells a pair
  // nothing: the pair's table is the other column's 1-way counts. Selected, such pairs joined up
  // to four columns to it and so to nothing (pbc's copper and alk.phos through `sex`: their
  // missingness came apart from trt's). The selection spans the other columns; one-cell columns
  // stand alone, or with a hub hang unmeasured off the first of them (from the domains alone: public).
  const selectable = nodes.filter((v) => sizes[v] > 1);

  // The adaptive rounds' candidates and count follow from public facts only (the domains, the
  // hub, the released row count); with none to run, the tree gets the whole budget.
  const candidates = wantsRounds ? roundCandidates(sizes, hub, stats.rowCount, request.rounds!, POOL_ROWS, MAX_CLIQUE_CELLS) : [];
  const extraRounds = wantsRounds ? plannedRounds(candidates.length, Math.max(0, selectable.length - 1), hub !== undefined, request.rounds!, d) : 0;
  if (extraRounds === 0) {
    treeSelection = request.rhoSelection;
    treeMeasurement = request.rhoMeasurement;
  }

  // Declared pairs first (public), then selection (Kruskal with the exponential mechanism) for the rest of the tree.
  const selectableSizes = selectable.map((v) => sizes[v]);
  const hubSize = hub === undefined ? 1 : sizes[hub];
  const declared = forcedEdges(request.forcedPairs ?? [], selectable.map((v) => domains[v].column), selectableSizes, pairCellCap(Math.max(1, selectable.length - 1), hubSize));
  // The pairs the tree still needs, and the largest table each may have.
  const needed = Math.max(0, selectable.length - 1 - declared.length);
  const pairCap = pairCellCap(Math.max(1, needed), hubSize);
  // When the candidate pairs (from the released domains: public) are no more than the tree still
  // needs, every one of them is in it: there is nothing to choose (two columns, or one beside a hub).
  const open = candidatePairs(selectableSizes, pairCap).filter(([a, b]) => !declared.some(([x, y]) => (x === a && y === b) || (x === b && y === a)));
  const determined = open.length <= needed;
  const forced = determined ? [...declared, ...joiningEdges(selectable.length, declared, open)] : declared;
  const rounds = determined ? 0 : needed;
  // No pair left to choose: the selection's share goes to the measurement instead of being left unspent.
  if (rounds === 0) {
    treeMeasurement = Math.max(treeMeasurement + treeSelection, extraRounds === 0 && request.measurementAlone ? request.measurementAlone() : 0);
    treeSelection = 0;
  }
  // The work bound uses the released row count: which pairs are candidates must not depend on the rows.
  const maxCandidates = Math.max(d, Math.floor(MAX_PAIR_WORK / Math.max(stats.rowCount, 1)));
  const epsilonPerRound = rounds > 0 ? Math.sqrt((8 * treeSelection) / rounds) : 0;
  const selected =
    rounds > 0 && treeSelection > 0
      ? selectTree(
          selectableSizes,
          selectable.map((v) => cells[v]),
          selectable.map((v) => measurements[v]),
          independentTotal,
          n,
          // Score sensitivity k: the exponential mechanism at ε with scores in units of k rows.
          epsilonPerRound / k,
          rounds,
          random,
          plannedSigma,
          maxCandidates,
          pairCap,
          forced,
        )
      : forced.slice();
  const positionOf = new Map(nodes.map((v, k) => [v, k]));
  let chosen = selected.map(([a, b]): [number, number] => [positionOf.get(selectable[a])!, positionOf.get(selectable[b])!]);
  // A hub needs a tree that spans the other columns (else parts would disagree on it).
  if (hub !== undefined && chosen.length < selectable.length - 1) {
    chosen = chosen.map(([a, b]) => [nodes[a], nodes[b]]);
    hub = undefined;
    nodes = domains.map((_, v) => v);
  }
  const oneCell = (k: number): boolean => sizes[nodes[k]] === 1;
  const anchor = Math.max(0, nodes.findIndex((_, k) => !oneCell(k)));
  if (hub !== undefined) {
    nodes.forEach((_, k) => {
      if (oneCell(k) && k !== anchor) chosen.push([anchor, k]);
    });
  }
  const lifted = nodes.map((v) => nodeCells({ domains, hub }, v));
  const forest = orientForest(lifted, chosen);
  // With a hub, a pair with a one-cell column still measures the hub with its other end: the one
  // way to measure it when that end is the only column of more than one cell.
  const hubWithAnchor = hub !== undefined && selectable.length === 1 ? forest.edges.findIndex((edge) => edge.includes(anchor)) : -1;
  const hubCells = hub === undefined ? undefined : cells[hub];
  const liftedCells = (k: number): Int32Array => {
    const own = cells[nodes[k]];
    if (!hubCells) return own;
    const s = sizes[nodes[k]];
    return own.map((x, r) => hubCells[r] * s + x);
  };

  // 2-way measurements on the tree's edges (each with the hub when there is one), parent-major.
  const unmeasured = (e: number): boolean => e !== hubWithAnchor && forest.edges[e].some(oneCell);
  const edgesMeasured = forest.edges.filter((_, e) => !unmeasured(e)).length;
  const sigma2 = edgesMeasured > 0 ? k * Math.sqrt(edgesMeasured / (2 * treeMeasurement)) : 0;
  // Counts get the exact discrete Gaussian, as the column histograms do (same zCDP cost).
  const pairNoise = edgesMeasured > 0 ? discreteGaussianNoise(random, sigma2) : () => 0;
  const releases: ReleaseEntry[] = [];
  if (rounds > 0 && treeSelection > 0) {
    releases.push({
      column: '(pairs)',
      what: `${rounds} rounds of the exponential mechanism (ε ${epsilonPerRound.toPrecision(3)} each, score sensitivity ${k}) choosing a tree of column pairs${declared.length ? ` (its other ${declared.length} pairs are named by declared rules: public, not selected)` : ''}`,
      rho: treeSelection,
    });
  }
  const edgeMasks: (Uint8Array | undefined)[] = [];
  const measuredPairs: MeasuredPair[] = [];
  const hubName = hub === undefined ? '' : ` x ${schema.columns[domains[hub].column].name}`;
  // With a hub, each released 1-way histogram measures its node folded over the hub's cells, and
  // the hub's own the first node folded over that node's cells.
  const measured: Measurement[] =
    hub === undefined
      ? measurements.slice()
      : [
          ...nodes.map((v, k): Measurement => ({ ...measurements[v], index: k, cellOf: Int32Array.from({ length: lifted[k] }, (_, i) => i % sizes[v]) })),
          { ...measurements[hub], index: 0, cellOf: Int32Array.from({ length: lifted[0] }, (_, i) => Math.floor(i / sizes[nodes[0]])) },
        ];
  forest.edges.forEach(([p, c], e) => {
    const sc = lifted[c];
    const length = lifted[p] * sc;
    // With a hub, cells pairing two different hub cells are empty by construction: not released.
    const own = [sizes[nodes[p]], sizes[nodes[c]]];
    const mask = hub === undefined ? undefined : Uint8Array.from({ length }, (_, i) => (Math.floor(Math.floor(i / sc) / own[0]) === Math.floor((i % sc) / own[1]) ? 1 : 0));
    edgeMasks.push(mask);
    // A one-cell end: the table is fixed by the 1-way counts the model already fits.
    if (unmeasured(e)) return;
    const counts = new Float64Array(length);
    const cp = liftedCells(p);
    const cc = liftedCells(c);
    for (let r = 0; r < n; r++) counts[cp[r] * sc + cc[r]]++;
    let released = 0;
    for (let i = 0; i < counts.length; i++) {
      if (mask && !mask[i]) continue;
      counts[i] += pairNoise();
      released++;
    }
    measuredPairs.push(foldedPair(domains[nodes[p]], domains[nodes[c]], stats.histograms, counts, hub === undefined ? 1 : sizes[hub], sigma2));
    measured.push({ kind: 'edge', index: e, counts, weights: Float64Array.from(counts, (_, i) => (mask && !mask[i] ? 0 : 1 / (sigma2 * sigma2))) });
    totals.push({ value: counts.reduce((a, b) => a + b, 0), variance: sigma2 * sigma2 * released });
    releases.push({
      column: `${schema.columns[domains[nodes[p]].column].name} x ${schema.columns[domains[nodes[c]].column].name}${hubName}`,
      what: `joint histogram (${released} cells)`,
      rho: (k * k) / (2 * sigma2 * sigma2),
      sigma: sigma2,
    });
  });
  if (hub !== undefined) measuredPairs.push(...hubPairs(forest.edges, measured, nodes, hub, domains, stats.histograms, sizes, sigma2));
  const total = Math.max(1, inverseVarianceMean(totals) ?? stats.rowCount);
  const marginals = estimate(forest, measured, total, { iterations: request.iterations, edgeMasks });
  const state: PgmState = {
    histograms: stats.histograms,
    domains,
    ...(hub !== undefined ? { hub } : {}),
    edges: forest.edges,
    nodeMarginals: marginals.nodes.map((m) => Array.from(m)),
    edgeMarginals: marginals.edges.map((m) => Array.from(m)),
  };
  const spent = {
    selection: releases.length && rounds > 0 && treeSelection > 0 ? treeSelection : 0,
    measurement: edgesMeasured > 0 ? treeMeasurement : 0,
  };
  const name = (v: number): string => schema.columns[domains[v].column].name;
  let extra: RoundsResult | undefined;
  if (extraRounds > 0) {
    // The tree's measurements as domain cliques: 1-way, and each edge (with the hub first).
    const cliques: CliqueMeasurement[] = measurements.map((m, v) => ({ domains: [v], counts: m.counts, weights: m.weights }));
    const covered: number[][] = [];
    forest.edges.forEach(([p, c], e) => {
      const m = measured.find((x) => x.kind === 'edge' && x.index === e);
      if (!m) return;
      const [a, b] = [nodes[p], nodes[c]];
      if (hub === undefined) {
        cliques.push({ domains: [a, b], counts: m.counts, weights: m.weights });
        covered.push([a, b]);
        return;
      }
      const [sa, sb, sh] = [sizes[a], sizes[b], sizes[hub]];
      const counts = new Float64Array(sh * sa * sb);
      const weights = new Float64Array(sh * sa * sb);
      for (let h = 0; h < sh; h++)
        for (let x = 0; x < sa; x++)
          for (let y = 0; y < sb; y++) {
            const from = (h * sa + x) * (sh * sb) + h * sb + y;
            counts[(h * sa + x) * sb + y] = m.counts[from];
            weights[(h * sa + x) * sb + y] = m.weights[from];
          }
      cliques.push({ domains: [hub, a, b], counts, weights });
      covered.push([a, b], [hub, a, b]);
    });
    // The pool: rows drawn from the tree just fitted (post-processing of released values).
    const poolRandom = new Random(random.nextUint32());
    const sampled = new ForestSampler({ sizes: lifted, edges: forest.edges }, marginals).sample(POOL_ROWS, poolRandom);
    extra = runRounds(
      {
        sizes,
        realCells: cells,
        realRows: n,
        releasedRows: stats.rowCount,
        poolCells: domainCells(state, sampled, POOL_ROWS),
        poolRows: POOL_ROWS,
        measurements: cliques,
        total,
        covered,
        rounds: extraRounds,
        rhoSelection: request.rhoSelection - treeSelection,
        rhoMeasurement: request.rhoMeasurement - treeMeasurement,
        maxRowsPerUnit: k,
        random,
      },
      candidates,
    );
    state.cliques = extra.cliques;
    releases.push({
      column: '(cliques)',
      what: `${extra.measured.length} rounds of the exponential mechanism (ε ${epsilonRange(extra.epsilons)}, score sensitivity ${k}) choosing the column pairs and 3-way cliques the model fitted worst`,
      rho: extra.spent.selection,
    });
    for (const r of extra.measured) releases.push({ column: r.domains.map(name).join(' x '), what: `joint histogram (${r.cells} cells), adaptive round`, rho: r.rho, sigma: r.sigma });
    spent.selection += extra.spent.selection;
    spent.measurement += extra.spent.measurement;
  }
  return {
    state,
    rowCount: Math.round(total),
    measured: measuredPairs,
    releases,
    pairs: forest.edges.map(([p, c]) => [name(nodes[p]), name(nodes[c])]),
    spent,
    selectionEpsilonPerRound: epsilonPerRound,
    measurementSigma: sigma2,
    ...(extra ? { rounds: { cliques: extra.measured.map((r) => r.domains.map(name)), epsilons: extra.epsilons, sigmas: extra.measured.map((r) => r.sigma) } } : {}),
  };
}

/** "0.0219 each" or "0.0219 to 0.0878" (AIM's annealing raises it). */
function epsilonRange(epsilons: number[]): string {
  const lo = Math.min(...epsilons);
  const hi = Math.max(...epsilons);
  return hi - lo <= 1e-12 * hi ? `${lo.toPrecision(3)} each` : `${lo.toPrecision(3)} to ${hi.toPrecision(3)}`;
}

/**
 * The hub with each node of the tree, read off the edges at the node: with a hub every edge
 * measures hub x one end x the other, so its counts summed over the other end are the hub's pair
 * with this one, and the edges' sums are averaged by their noise. Rules such
 * as "chapter present only when death is 1" (flchain, death the hub) are read off these counts
 * (post-processing); without them the hub's pairs were never looked at.
 */
function hubPairs(
  edges: readonly (readonly [number, number])[],
  measured: readonly Measurement[],
  nodes: readonly number[],
  hub: number,
  domains: readonly ColumnDomain[],
  histograms: PrivateStatistics['histograms'],
  sizes: readonly number[],
  sigma: number,
): MeasuredPair[] {
  const h = sizes[hub];
  const pairs: MeasuredPair[] = [];
  for (let k = 0; k < nodes.length; k++) {
    const own = sizes[nodes[k]];
    // Every measured edge at the node holds the hub x node table, folded over its other column's
    // cells (noise σ² per cell times their count): the inverse-variance mean of all of them. One
    // edge alone (the smallest other column) read support2's death x dnr with noise 74 a cell,
    // where 256 rows of the file (death 0 beside a DNR order) hid, and "death 0 → no dnr" was enforced.
    const counts = new Array<number>(h * own).fill(0);
    let precision = 0;
    edges.forEach(([p, c], e) => {
      if (p !== k && c !== k) return;
      const first = p === k;
      const other = sizes[nodes[first ? c : p]];
      const [a, b] = [sizes[nodes[p]], sizes[nodes[c]]];
      const lifted = measured.find((m) => m.kind === 'edge' && m.index === e)?.counts;
      if (!lifted) return;
      const weight = 1 / other;
      for (let x = 0; x < h; x++)
        for (let i = 0; i < a; i++)
          for (let j = 0; j < b; j++) counts[x * own + (first ? i : j)] += weight * lifted[(x * a + i) * (h * b) + x * b + j];
      precision += weight;
    });
    if (!precision) continue;
    for (let i = 0; i < counts.length; i++) counts[i] /= precision;
    const [dh, dv] = [domains[hub], domains[nodes[k]]];
    pairs.push({ columns: [dh.column, dv.column], cellOfSlot: [dh.cellOfSlot, dv.cellOfSlot], histograms: [histograms[dh.column]!, histograms[dv.column]!], counts, sigma: sigma / Math.sqrt(precision) });
  }
  return pairs;
}

/**
 * A measured edge over its two columns' own cells: with a hub, the lifted counts (hub cell x own
 * cell on each side) summed over the hub's cells, whose noise adds up (σ √hub cells).
 */
function foldedPair(a: ColumnDomain, b: ColumnDomain, histograms: PrivateStatistics['histograms'], lifted: Float64Array, hubCells: number, sigma: number): MeasuredPair {
  const counts = new Array<number>(a.cells * b.cells).fill(0);
  const width = hubCells * b.cells;
  for (let h = 0; h < hubCells; h++) {
    for (let i = 0; i < a.cells; i++) {
      for (let j = 0; j < b.cells; j++) counts[i * b.cells + j] += lifted[(h * a.cells + i) * width + h * b.cells + j];
    }
  }
  return { columns: [a.column, b.column], cellOfSlot: [a.cellOfSlot, b.cellOfSlot], histograms: [histograms[a.column]!, histograms[b.column]!], counts, sigma: sigma * Math.sqrt(hubCells) };
}

function inverseVarianceMean(values: { value: number; variance: number }[]): number | undefined {
  let num = 0;
  let den = 0;
  for (const { value, variance } of values) {
    if (!(variance > 0) || !Number.isFinite(variance)) continue;
    num += value / variance;
    den += 1 / variance;
  }
  return den > 0 ? num / den : undefined;
}

/** The pairs the tree may take: every pair of nodes whose table fits the cap (sizes are public). */
function candidatePairs(sizes: readonly number[], maxPairCells: number): [number, number][] {
  const pairCap = Math.min(maxPairCells, MAX_CLIQUE_CELLS);
  const pairs: [number, number][] = [];
  for (let a = 0; a < sizes.length; a++) for (let b = a + 1; b < sizes.length; b++) if (sizes[a] * sizes[b] <= pairCap) pairs.push([a, b]);
  return pairs;
}

/** Of `pairs`, in order, those that join two parts of the forest `edges` has begun (no cycle). */
function joiningEdges(nodes: number, edges: readonly [number, number][], pairs: readonly [number, number][]): [number, number][] {
  const components = new Components(nodes);
  for (const [a, b] of edges) components.join(a, b);
  return pairs.filter(([a, b]) => components.join(a, b));
}

/**
 * The forced pairs as edges between node positions: each joins two columns of the tree (not the
 * hub) within the pair cap, and none closes a cycle. Public facts only (the schema's declared
 * rules, the domains' sizes).
 */
export function forcedEdges(pairs: readonly [number, number][], columnOfNode: readonly number[], sizes: readonly number[], maxPairCells: number): [number, number][] {
  const position = new Map(columnOfNode.map((column, k) => [column, k]));
  const components = new Components(columnOfNode.length);
  const edges: [number, number][] = [];
  for (const [x, y] of pairs) {
    const a = position.get(x);
    const b = position.get(y);
    if (a === undefined || b === undefined || sizes[a] * sizes[b] > Math.min(maxPairCells, MAX_CLIQUE_CELLS) || !components.join(a, b)) continue;
    edges.push([a, b]);
  }
  return edges;
}

/** Union-find over the tree's nodes: which pairs would join two parts, and which a cycle. */
class Components {
  private readonly parent: Int32Array;

  constructor(nodes: number) {
    this.parent = Int32Array.from({ length: nodes }, (_, i) => i);
  }

  find(x: number): number {
    const parent = this.parent;
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  }

  /** Joins the parts of a and b; false when they were one part already (the edge would close a cycle). */
  join(a: number, b: number): boolean {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra === rb) return false;
    this.parent[ra] = rb;
    return true;
  }
}

/**
 * Kruskal-style spanning tree: each round the exponential mechanism picks one of the pairs that
 * join two components, with probability ∝ exp(ε · score / 2). A score is the L1 distance between
 * the pair's real counts and the independent model of the released 1-way marginals, so one row
 * moves it by at most 1. Returns undirected pairs of node indices.
 */
export function selectTree(
  sizes: number[],
  cells: Int32Array[],
  oneWay: readonly Measurement[],
  total: number,
  rows: number,
  epsilonPerRound: number,
  rounds: number,
  /** The exponential mechanism's draws: the secure stream, as every draw the guarantee depends on. */
  random: SecureRandom,
  measurementSigma = 0,
  /** Most candidate pairs (from released figures only: the candidates must not depend on the rows). */
  maxCandidates = Infinity,
  /** Largest pair (cells) that is a candidate (pairCellCap). */
  maxPairCells = MAX_CLIQUE_CELLS,
  /** Edges already in the tree (public, see forcedEdges): returned first, and never closed into a cycle. */
  forced: readonly [number, number][] = [],
): [number, number][] {
  const d = sizes.length;
  const probabilities = oneWay.map((m) => {
    const p = Array.from(m.counts as ArrayLike<number>, (c) => Math.max(c, 0));
    const s = p.reduce((a, b) => a + b, 0);
    return p.map((x) => (s > 0 ? x / s : 1 / p.length));
  });
  const pairCap = Math.min(maxPairCells, MAX_CLIQUE_CELLS);
  let candidates = candidatePairs(sizes, maxPairCells);
  if (candidates.length > maxCandidates) candidates = new Random(0x5eed).shuffle(candidates).slice(0, maxCandidates);
  const scores = new Float64Array(candidates.length);
  const buffer = new Float64Array(pairCap);
  candidates.forEach(([a, b], k) => {
    const sb = sizes[b];
    const size = sizes[a] * sb;
    buffer.fill(0, 0, size);
    const ca = cells[a];
    const cb = cells[b];
    for (let r = 0; r < rows; r++) buffer[ca[r] * sb + cb[r]]++;
    const pa = probabilities[a];
    const pb = probabilities[b];
    // The L1 distance less what it would be for independent columns through sampling alone
    // (about √(2x̂/π) per cell), and less the L1 noise that measuring the pair would add (AIM's
    // penalty): both depend on released values only, so the sensitivity stays 1, and large pairs
    // no longer win on their size.
    let score = -SQRT_2_OVER_PI * measurementSigma * size;
    for (let i = 0; i < sizes[a]; i++) {
      for (let j = 0; j < sb; j++) {
        const expected = total * pa[i] * pb[j];
        score += Math.abs(buffer[i * sb + j] - expected) - SQRT_2_OVER_PI * Math.sqrt(expected);
      }
    }
    scores[k] = score;
  });
  const components = new Components(d);
  const chosen: [number, number][] = [];
  for (const [a, b] of forced) {
    components.join(a, b);
    chosen.push([a, b]);
  }
  // One buffer of each for all d − 1 rounds (a round's weights were 0.8 MB at 100,000 candidates).
  const logits = new Float64Array(candidates.length);
  const weights = new Float64Array(candidates.length);
  for (let round = 0; round < rounds; round++) {
    let max = -Infinity;
    for (let k = 0; k < candidates.length; k++) {
      const [a, b] = candidates[k];
      logits[k] = components.find(a) === components.find(b) ? -Infinity : (epsilonPerRound * scores[k]) / 2;
      if (logits[k] > max) max = logits[k];
    }
    if (max === -Infinity) break;
    for (let k = 0; k < candidates.length; k++) weights[k] = Math.exp(logits[k] - max);
    const pick = random.categorical(weights);
    const [a, b] = candidates[pick];
    components.join(a, b);
    chosen.push([a, b]);
  }
  return chosen;
}
