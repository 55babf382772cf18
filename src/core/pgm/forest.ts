import type { Random } from '../random';

/**
 * A graphical model whose cliques are the edges of a forest over the columns (a spanning tree as
 * MST selects, or a forest when some pairs are left out), with exact belief propagation, the
 * Private-PGM estimate from noisy marginals (McKenna, Sheldon, Miklau 2019) and ancestral sampling.
 *
 * Edges are oriented: edges[e] = [parent, child], every child has one parent, and an edge's table
 * is parent-major (cell of the parent × cell of the child).
 */
export interface Forest {
  /** Cells per node. */
  sizes: number[];
  edges: [number, number][];
}

/**
 * A noisy marginal (counts) of a node or of an edge (parent-major), with 1 / variance per cell.
 * With `cellOf`, it measures a coarser marginal: table cell i counts toward measured cell cellOf[i].
 */
export interface Measurement {
  kind: 'node' | 'edge';
  index: number;
  counts: ArrayLike<number>;
  weights: ArrayLike<number>;
  cellOf?: Int32Array;
}

/** Probabilities: each node's marginal, and each edge's joint (parent-major). */
export interface Marginals {
  nodes: Float64Array[];
  edges: Float64Array[];
}

/** Orient undirected edges away from roots (each component's lowest node): a forest as above. */
export function orientForest(sizes: number[], undirected: readonly (readonly [number, number])[]): Forest {
  const neighbours: number[][] = sizes.map(() => []);
  for (const [a, b] of undirected) {
    neighbours[a].push(b);
    neighbours[b].push(a);
  }
  const seen = new Uint8Array(sizes.length);
  const edges: [number, number][] = [];
  for (let root = 0; root < sizes.length; root++) {
    if (seen[root]) continue;
    seen[root] = 1;
    const queue = [root];
    for (let q = 0; q < queue.length; q++) {
      const v = queue[q];
      for (const w of neighbours[v]) {
        if (seen[w]) continue;
        seen[w] = 1;
        edges.push([v, w]);
        queue.push(w);
      }
    }
  }
  if (edges.length !== undirected.length) throw new Error('the chosen pairs do not form a forest');
  return { sizes: sizes.slice(), edges };
}

/** Traversal order of an oriented forest: parents before children. */
class Layout {
  readonly order: number[] = [];
  readonly parentEdge: Int32Array;
  readonly childEdges: number[][];

  constructor(readonly forest: Forest) {
    const n = forest.sizes.length;
    this.parentEdge = new Int32Array(n).fill(-1);
    this.childEdges = forest.sizes.map(() => []);
    forest.edges.forEach(([p, c], e) => {
      if (this.parentEdge[c] >= 0) throw new Error(`node ${c} has two parents`);
      this.parentEdge[c] = e;
      this.childEdges[p].push(e);
    });
    for (let v = 0; v < n; v++) {
      if (this.parentEdge[v] >= 0) continue;
      const stack = [v];
      while (stack.length) {
        const u = stack.pop()!;
        this.order.push(u);
        for (const e of this.childEdges[u]) stack.push(forest.edges[e][1]);
      }
    }
    if (this.order.length !== n) throw new Error('the edges do not form a forest');
  }
}

function normalise(x: Float64Array): void {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  if (s > 0 && Number.isFinite(s)) for (let i = 0; i < x.length; i++) x[i] /= s;
  else x.fill(1 / x.length);
}

function expShifted(theta: Float64Array): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < theta.length; i++) if (theta[i] > max) max = theta[i];
  const out = new Float64Array(theta.length);
  for (let i = 0; i < theta.length; i++) out[i] = Math.exp(theta[i] - max);
  return out;
}

/** Log-potentials: one table per node and per edge; p(x) ∝ exp(Σ θ_v(x_v) + Σ θ_e(x_p, x_c)). */
export interface Potentials {
  nodes: Float64Array[];
  edges: Float64Array[];
}

/** Exact marginals of a model on this forest. */
export function marginalsOf(forest: Forest, theta: Potentials): Marginals {
  return beliefs(new Layout(forest), theta);
}

/** Exact marginals of the model by belief propagation (sum-product, two passes). */
function beliefs(layout: Layout, theta: Potentials): Marginals {
  const { sizes, edges } = layout.forest;
  const phi = theta.nodes.map(expShifted);
  const psi = theta.edges.map(expShifted);
  const local: Float64Array[] = new Array(sizes.length);
  const up: Float64Array[] = new Array(sizes.length);
  // Upward: local(v) = φ_v · Π messages from v's children; message to the parent sums v out.
  for (let i = layout.order.length - 1; i >= 0; i--) {
    const v = layout.order[i];
    const l = Float64Array.from(phi[v]);
    for (const e of layout.childEdges[v]) {
      const m = up[edges[e][1]];
      for (let x = 0; x < l.length; x++) l[x] *= m[x];
    }
    normalise(l);
    local[v] = l;
    const e = layout.parentEdge[v];
    if (e < 0) continue;
    const sp = sizes[edges[e][0]];
    const sc = sizes[v];
    const table = psi[e];
    const m = new Float64Array(sp);
    for (let xp = 0; xp < sp; xp++) {
      let s = 0;
      const row = xp * sc;
      for (let xc = 0; xc < sc; xc++) s += table[row + xc] * l[xc];
      m[xp] = s;
    }
    normalise(m);
    up[v] = m;
  }
  // Downward: what reaches v from outside its subtree, then beliefs.
  const down: Float64Array[] = new Array(sizes.length);
  const nodes: Float64Array[] = new Array(sizes.length);
  const edgeMarginals: Float64Array[] = new Array(edges.length);
  for (const v of layout.order) {
    const sv = sizes[v];
    const inward = Float64Array.from(phi[v]);
    if (down[v]) for (let x = 0; x < sv; x++) inward[x] *= down[v][x];
    const belief = Float64Array.from(local[v]);
    if (down[v]) for (let x = 0; x < sv; x++) belief[x] *= down[v][x];
    normalise(belief);
    nodes[v] = belief;
    const children = layout.childEdges[v];
    if (children.length === 0) continue;
    // Products of the children's messages before and after each child (no division by messages).
    const suffix: Float64Array[] = new Array(children.length + 1);
    suffix[children.length] = new Float64Array(sv).fill(1);
    for (let j = children.length - 1; j >= 0; j--) {
      const m = up[edges[children[j]][1]];
      const s = new Float64Array(sv);
      for (let x = 0; x < sv; x++) s[x] = suffix[j + 1][x] * m[x];
      normalise(s);
      suffix[j] = s;
    }
    const prefix = Float64Array.from(inward);
    normalise(prefix);
    children.forEach((e, j) => {
      const c = edges[e][1];
      const sc = sizes[c];
      const outside = new Float64Array(sv);
      for (let x = 0; x < sv; x++) outside[x] = prefix[x] * suffix[j + 1][x];
      const table = psi[e];
      const joint = new Float64Array(sv * sc);
      const message = new Float64Array(sc);
      const lc = local[c];
      for (let xp = 0; xp < sv; xp++) {
        const o = outside[xp];
        const row = xp * sc;
        for (let xc = 0; xc < sc; xc++) {
          const t = o * table[row + xc];
          message[xc] += t;
          joint[row + xc] = t * lc[xc];
        }
      }
      normalise(joint);
      normalise(message);
      edgeMarginals[e] = joint;
      down[c] = message;
      const m = up[c];
      for (let x = 0; x < sv; x++) prefix[x] *= m[x];
      normalise(prefix);
    });
  }
  return { nodes, edges: edgeMarginals };
}

export interface EstimateOptions {
  /** Most mirror-descent iterations. */
  iterations?: number;
  /** Per edge, cells the model gives no mass whatever the measurements (0 = impossible). */
  edgeMasks?: (Uint8Array | undefined)[];
}

export const DEFAULT_ITERATIONS = 3000;
const STALL_ITERATIONS = 200;
/** Below this relative gain over STALL_ITERATIONS, further iterations change the samples by far less than the noise. */
const STALL_GAIN = 1e-3;

/**
 * The Private-PGM estimate: the model (on this forest) whose marginals, scaled to `total` rows,
 * are closest to the noisy measurements in inverse-variance weighted squared error. Mirror descent
 * in log-potential space with exact beliefs; the step grows while the loss falls enough (Armijo)
 * and halves otherwise. Consistent, non-negative measurements are reproduced exactly (in the limit).
 */
export function estimate(forest: Forest, measurements: readonly Measurement[], total: number, options: EstimateOptions = {}): Marginals {
  const layout = new Layout(forest);
  const { sizes, edges } = forest;
  // Every table lives in one flat buffer (nodes, then edges), so a step is one loop.
  const lengths = [...sizes, ...edges.map(([p, c]) => sizes[p] * sizes[c])];
  const offsets: number[] = [];
  let size = 0;
  for (const l of lengths) {
    offsets.push(size);
    size += l;
  }
  const views = (buffer: Float64Array): Potentials => ({
    nodes: sizes.map((_, v) => buffer.subarray(offsets[v], offsets[v] + lengths[v])),
    edges: edges.map((_, e) => buffer.subarray(offsets[sizes.length + e], offsets[sizes.length + e] + lengths[sizes.length + e])),
  });
  let theta = new Float64Array(size);
  let candidate = new Float64Array(size);
  let gradient = new Float64Array(size);
  let nextGradient = new Float64Array(size);
  const thetaViews = (): Potentials => views(theta);
  // Start from the independent model of the 1-way measurements.
  for (const m of measurements) {
    if (m.kind !== 'node' || m.cellOf) continue;
    const t = thetaViews().nodes[m.index];
    let sum = 0;
    for (let x = 0; x < t.length; x++) sum += Math.max(m.counts[x], 0);
    for (let x = 0; x < t.length; x++) t[x] = Math.log(Math.max(m.counts[x], 0) / Math.max(sum, 1e-12) + 1e-6);
  }
  options.edgeMasks?.forEach((mask, e) => {
    if (!mask) return;
    const t = thetaViews().edges[e];
    for (let i = 0; i < t.length; i++) if (!mask[i]) t[i] = -Infinity;
  });
  if (measurements.length === 0) return beliefs(layout, thetaViews());
  let maxWeight = 0;
  for (const m of measurements) for (let i = 0; i < m.weights.length; i++) maxWeight = Math.max(maxWeight, m.weights[i]);
  const scale = Math.max(total, 1);
  const tableOffset = (m: Measurement): number => offsets[m.kind === 'node' ? m.index : sizes.length + m.index];

  /** Loss of the marginals, and its gradient (by table cell) written into `into`. */
  const evaluate = (marginals: Marginals, into: Float64Array): number => {
    into.fill(0);
    let loss = 0;
    for (const m of measurements) {
      const mu = m.kind === 'node' ? marginals.nodes[m.index] : marginals.edges[m.index];
      const o = tableOffset(m);
      if (m.cellOf) {
        const folded = new Float64Array(m.counts.length);
        for (let i = 0; i < mu.length; i++) folded[m.cellOf[i]] += mu[i];
        const residual = folded.map((f, j) => m.weights[j] * (scale * f - m.counts[j]));
        for (let j = 0; j < folded.length; j++) loss += (0.5 * residual[j] * (scale * folded[j] - m.counts[j]));
        for (let i = 0; i < mu.length; i++) into[o + i] += residual[m.cellOf[i]];
        continue;
      }
      for (let i = 0; i < mu.length; i++) {
        const r = scale * mu[i] - m.counts[i];
        loss += 0.5 * m.weights[i] * r * r;
        into[o + i] += m.weights[i] * r;
      }
    }
    return loss;
  };
  // Gradient · (μ − μ'), scaled to counts: the decrease a small step promises.
  const promised = (g: Float64Array, a: Marginals, b: Marginals): number => {
    let s = 0;
    const add = (o: number, x: Float64Array, y: Float64Array): void => {
      for (let i = 0; i < x.length; i++) s += g[o + i] * (x[i] - y[i]);
    };
    sizes.forEach((_, v) => add(offsets[v], a.nodes[v], b.nodes[v]));
    edges.forEach((_, e) => add(offsets[sizes.length + e], a.edges[e], b.edges[e]));
    return s * scale;
  };

  let marginals = beliefs(layout, thetaViews());
  let loss = evaluate(marginals, gradient);
  // A step that changes a cell holding all rows by about its own relative error.
  let alpha = 1 / (maxWeight * scale);
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  let checkpoint = loss;
  for (let it = 0; it < iterations; it++) {
    // Converged when a stretch of iterations gains less than STALL_GAIN of the loss.
    if (it > 0 && it % STALL_ITERATIONS === 0) {
      if (checkpoint - loss < STALL_GAIN * loss) break;
      checkpoint = loss;
    }
    let accepted = false;
    for (let tries = 0; tries < 30; tries++) {
      for (let i = 0; i < size; i++) candidate[i] = theta[i] - alpha * gradient[i];
      const next = beliefs(layout, views(candidate));
      const nextLoss = evaluate(next, nextGradient);
      if (nextLoss <= loss - 0.5 * promised(gradient, marginals, next) && nextLoss <= loss) {
        const relative = (loss - nextLoss) / Math.max(loss, 1e-300);
        [theta, candidate] = [candidate, theta];
        [gradient, nextGradient] = [nextGradient, gradient];
        marginals = next;
        loss = nextLoss;
        alpha *= 1.1;
        accepted = true;
        if (relative < 1e-10) it = iterations;
        break;
      }
      alpha *= 0.5;
    }
    if (!accepted) break;
  }
  return marginals;
}

/** Cumulative sums of a probability vector, for drawing by binary search. */
function cumulative(p: ArrayLike<number>, offset = 0, length = p.length): Float64Array {
  const out = new Float64Array(length);
  let s = 0;
  for (let i = 0; i < length; i++) out[i] = s += p[offset + i];
  return out;
}

function draw(cdf: Float64Array, u: number): number {
  const target = u * cdf[cdf.length - 1];
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Ancestral sampling: each root from its marginal, each child from its edge given its parent. */
export class ForestSampler {
  private readonly layout: Layout;
  private readonly roots: (Float64Array | undefined)[];
  /** Per child node: per parent cell, the child's conditional CDF. */
  private readonly conditionals: (Float64Array[] | undefined)[];

  constructor(
    readonly forest: Forest,
    marginals: Marginals,
  ) {
    this.layout = new Layout(forest);
    const { sizes, edges } = forest;
    this.roots = sizes.map((_, v) => (this.layout.parentEdge[v] < 0 ? cumulative(marginals.nodes[v]) : undefined));
    this.conditionals = sizes.map((sc, c) => {
      const e = this.layout.parentEdge[c];
      if (e < 0) return undefined;
      const sp = sizes[edges[e][0]];
      const joint = marginals.edges[e];
      return Array.from({ length: sp }, (_, xp) => {
        const cdf = cumulative(joint, xp * sc, sc);
        // A parent cell the model gives no mass: the child's own marginal.
        return cdf[sc - 1] > 0 ? cdf : cumulative(marginals.nodes[c]);
      });
    });
  }

  /** Cells of `rows` rows, one array per node. */
  sample(rows: number, random: Random): Int32Array[] {
    const out = this.forest.sizes.map(() => new Int32Array(rows));
    for (const v of this.layout.order) {
      const cells = out[v];
      const root = this.roots[v];
      if (root) {
        for (let r = 0; r < rows; r++) cells[r] = draw(root, random.next());
        continue;
      }
      const parent = out[this.forest.edges[this.layout.parentEdge[v]][0]];
      const conditional = this.conditionals[v]!;
      for (let r = 0; r < rows; r++) cells[r] = draw(conditional[parent[r]], random.next());
    }
    return out;
  }
}
