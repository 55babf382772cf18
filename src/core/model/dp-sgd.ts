import type * as TfCore from '@tensorflow/tfjs-core';
import type { SecureRandom } from '../random';
import type { Tf } from './backend';
import type { BackwardTap } from './layers';
import type { StepLosses, TrainingData, Tvae } from './tvae';
import type { UnitRows } from '../release/types';

/**
 * Exact DP-SGD (Abadi et al. 2016) for the TVAE, with per-example clipping done by book-keeping
 * instead of per-example backward passes (see /work/shared/research/differential-privacy.md §4):
 *
 * - one forward and one backward pass of the summed loss Σ_i L_i, L_i = lossFactor·rec_i + KL_i;
 * - every dense layer's backward tap hands over its input a (B×in) and pre-activation gradient
 *   d (B×out). No layer mixes examples, so row i of d is ∂L_i/∂z_i and example i's gradient of
 *   the layer is the outer product a_i d_iᵀ (weight) and d_i (bias), of squared norm
 *   (|a_i|² + 1)·|d_i|² (Goodfellow 2015). The tap returns `true`, so the layers skip their own
 *   weight products: the clipped ones below replace them, and a DP step costs the same matrix
 *   products as an ordinary one;
 * - the noise scales `sigma` are shared by all rows: the loss is evaluated with a B×V tile of
 *   them (a probe holding the same values), whose gradient has ∂L_i/∂σ in row i;
 * - flat clipping over all parameters: c_i = min(1, C/(|g_i| + 1e-6)); the clipped sums are
 *   aᵀ(c⊙d), Σ_i c_i d_i and Σ_i c_i ∂L_i/∂σ, built in the backend with explicit transposes;
 * - Gaussian noise N(0, (σ_noise·C)²) on every summed coordinate, from the secure stream
 *   (SecureRandom: Node's CSPRNG; Box-Muller on 53-bit uniforms, floating-point noise);
 *   then the sum is divided by the public expected batch size q·N (never by the realised size,
 *   which would leak the sampled count: Opacus issues #571, #819), and Adam takes the step.
 *
 * Sampling is Poisson (`poissonBatch`): each row joins a step independently with probability q,
 * which is what the RDP/PRV accountants assume, with coins from the secure stream. An empty batch
 * still takes a noise-only step. A large batch (q·N of a 250,000-row file is 20,000 rows) is
 * processed in chunks of DP_CHUNK_ROWS whose clipped sums add up: clipping is per example, so the
 * sum is the same as in one pass.
 *
 * With a privacy unit (several rows per person, privacy/units.ts), people are sampled instead
 * (`unitBatch`) and each person's summed gradient g_p = Σ_{i∈p} g_i is clipped: for a dense layer
 * |g_p|² = Σ_{i,j∈p} (a_i·a_j + 1)(d_i·d_j), computed per person on blocks of their rows (people ×
 * their rows × their rows, never a Gram over the whole batch), and the clipped sum is aᵀ(c⊙d) with
 * c_i the factor of row i's person. Chunks then end between people. The accountant is the
 * example-level one at the person rate.
 */

export interface DpSgdOptions {
  /** q: the probability that a row joins a step. */
  samplingRate: number;
  /** σ_noise: noise standard deviation in units of the clipping norm. */
  noiseMultiplier: number;
  /** C: the bound on each example's gradient norm (over all trained parameters). */
  clippingNorm: number;
  /** q·N, the public constant the noisy sum is divided by. */
  expectedBatchSize: number;
  /**
   * true (default): the noise scales `sigma` are trained, their per-example gradients counted in
   * each example's norm and clipped with the rest. false: sigma stays at its initial value (0.1,
   * a public constant) for all of DP training, gets no gradient and no noise; this leaves a
   * little more of the clipping norm to the network weights, at the cost of a fixed output noise.
   * Either way no parameter is ever updated from an unclipped gradient.
   */
  clipSigma?: boolean;
}

export interface DpStepResult extends StepLosses {
  /** Fraction of the batch whose gradient norm exceeded C. Diagnostics only: not private. */
  clippedFraction: number;
  /** Realised batch size. Diagnostics only: not private. */
  batchSize: number;
}

type Tensor2D = TfCore.Tensor2D;
type Tensor1D = TfCore.Tensor1D;
type Scalar = TfCore.Scalar;
type Batch = ReturnType<Tvae['batchTensors']>;

/** Rows of a Poisson-sampled batch: each of `rows` independently with probability q. */
export function poissonBatch(rows: number, q: number, random: SecureRandom): Int32Array {
  if (!(q >= 0 && q <= 1)) throw new Error(`sampling rate must be in [0, 1], got ${q}`);
  let out = new Int32Array(Math.max(16, Math.ceil(rows * q * 1.2) + 16));
  let n = 0;
  for (let i = 0; i < rows; i++) {
    if (random.next() < q) {
      if (n === out.length) {
        const grown = new Int32Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      out[n++] = i;
    }
  }
  return out.slice(0, n);
}

/**
 * Rows of a batch that Poisson-samples people: each person joins independently with probability
 * q, with all of their rows; `units` gives each row's person within the batch (0, 1, ...).
 */
export function unitBatch(groups: UnitRows, q: number, random: Parameters<typeof poissonBatch>[2]): { rows: Int32Array; units: Int32Array } {
  const people = poissonBatch(groups.count, q, random);
  let size = 0;
  for (const p of people) size += groups.offsets[p + 1] - groups.offsets[p];
  const rows = new Int32Array(size);
  const units = new Int32Array(size);
  let n = 0;
  people.forEach((p, local) => {
    for (let i = groups.offsets[p]; i < groups.offsets[p + 1]; i++) {
      rows[n] = groups.rows[i];
      units[n++] = local;
    }
  });
  return { rows, units };
}

/** The trained parameters under DP-SGD, in a fixed order that depends on the layout only. */
interface Target {
  /** Dense layer name as its backward tap reports it, or undefined for sigma. */
  layer?: string;
  weight: TfCore.Variable;
  bias?: TfCore.Variable;
}

function targetsOf(model: Tvae, clipSigma: boolean): Target[] {
  const { layers, sigma, values, softs } = model.parameterGroups();
  const targets: Target[] = [];
  for (const [name, params] of layers) {
    // With no value (softmax) positions the head is a placeholder outside the loss.
    if ((name === 'valueHead' && values === 0) || (name === 'softHead' && softs === 0)) continue;
    targets.push({ layer: name, weight: params.weight, bias: params.bias });
  }
  if (clipSigma && values > 0) targets.push({ weight: sigma });
  return targets;
}

interface ClippedSums {
  /** Σ_i c_i g_i · scale, by variable name. */
  grads: TfCore.NamedTensorMap;
  /** Per-example (with units: per-person) gradient norms |g_i| (before clipping). */
  norms: Tensor1D;
  /** Σ_i L_i, Σ_i rec_i, Σ_i KL_i. */
  loss: Scalar;
  reconstruction: Scalar;
  kl: Scalar;
}

/**
 * Sums of per-example clipped gradients for one (non-empty) batch, multiplied by `scale`, from one
 * forward and one backward pass. Call inside tf.tidy: everything returned is tidy-tracked.
 */
function clippedSums(
  tf: Tf,
  model: Tvae,
  batch: Batch,
  targets: Target[],
  clippingNorm: number,
  scale: number,
  units?: Int32Array,
  blockFloats = BLOCK_FLOATS,
): ClippedSums {
  const rows = batch.x.shape[0];
  const sigmaTarget = targets.find((t) => t.layer === undefined);
  const V = sigmaTarget ? sigmaTarget.weight.shape[0] : 0;
  const captured = new Map<string, { a: Tensor2D; d: Tensor2D }>();
  const kept: TfCore.Tensor[] = [];
  const keep = <T extends TfCore.Tensor>(t: T): T => {
    // Clones share the data; the originals are freed with the tape.
    const c = tf.keep(tf.clone(t));
    kept.push(c);
    return c;
  };
  const tap: BackwardTap = (layer, a, d) => {
    captured.set(layer, { a: keep(a), d: keep(d) });
    return true;
  };
  try {
    let parts: { reconstruction: Scalar; kl: Scalar } | undefined;
    const probe = sigmaTarget ? (tf.tile(tf.reshape(sigmaTarget.weight, [1, V]), [rows, 1]) as Tensor2D) : undefined;
    const inputs: TfCore.Tensor[] = probe ? [batch.x, probe] : [batch.x];
    const { value, grads } = tf.valueAndGrads((...args: TfCore.Tensor[]) => {
      const out = model.lossOf(args[0] as Tensor2D, batch.valueMask, batch.segmentMask, batch.epsilon, 1, tap, args[1] as Tensor2D | undefined);
      parts = { reconstruction: keep(out.reconstruction), kl: keep(out.kl) };
      return out.loss;
    })(inputs);
    const sigmaGrads = probe ? (grads[1] as Tensor2D) : undefined;

    // Squared per-example norms, layer by layer; |a_i|² once per distinct input (mu and logvar
    // share one, so do the two heads).
    const inputNorms = new Map<object, Tensor1D>();
    const inputNorm = (a: Tensor2D): Tensor1D => {
      let n = inputNorms.get(a.dataId);
      if (!n) inputNorms.set(a.dataId, (n = tf.add(tf.sum(tf.square(a), 1), 1) as Tensor1D));
      return n;
    };
    // Per person, on chunks of people of similar size, each padded to its largest person and
    // holding at most blockFloats numbers per tensor: time and memory stay bounded whatever one
    // person holds.
    let widest = V;
    for (const { a, d } of captured.values()) widest = Math.max(widest, a.shape[1], d.shape[1]);
    const blocks = units ? personBlocks(tf, units, Math.max(1, Math.floor(blockFloats / widest))) : undefined;
    const padded = new Map<object, Tensor2D>();
    const block = (t: Tensor2D, chunk: PersonChunk): TfCore.Tensor3D => {
      let withZero = padded.get(t.dataId);
      if (!withZero) padded.set(t.dataId, (withZero = tf.concat([t, tf.zeros([1, t.shape[1]])], 0) as Tensor2D));
      return tf.reshape(tf.gather(withZero, chunk.gather), [chunk.people, chunk.width, t.shape[1]]) as TfCore.Tensor3D;
    };
    /** A per-person quantity computed chunk by chunk, back in person order. */
    const perPerson = (f: (chunk: PersonChunk, index: number) => TfCore.Tensor): TfCore.Tensor => {
      const parts = blocks!.chunks.map(f);
      return tf.gather(parts.length === 1 ? parts[0] : tf.concat(parts, 0), blocks!.order);
    };
    const inputGrams = new Map<object, TfCore.Tensor3D[]>();
    const personSquared = (a: Tensor2D, d: Tensor2D): Tensor1D =>
      perPerson((chunk, index) => {
        const bd = block(d, chunk);
        if (chunk.width * chunk.width > a.shape[1] * d.shape[1]) {
          // Many rows: each person's gradient A_pᵀD_p (and Σ d) outright costs less than the Gram.
          const weight = tf.matMul(tf.transpose(block(a, chunk), [0, 2, 1]), bd);
          return tf.add(tf.sum(tf.square(weight), [1, 2]), tf.sum(tf.square(tf.sum(bd, 1)), 1));
        }
        // Σ_{i,j∈p} (a_i·a_j + 1)(d_i·d_j); padding rows have d = 0, so their terms vanish.
        const grams = inputGrams.get(a.dataId) ?? [];
        inputGrams.set(a.dataId, grams);
        if (!grams[index]) {
          const ba = block(a, chunk);
          grams[index] = tf.add(tf.matMul(ba, ba, false, true), 1) as TfCore.Tensor3D;
        }
        return tf.sum(tf.mul(grams[index], tf.matMul(bd, bd, false, true)), [1, 2]);
      }) as Tensor1D;
    let squared: Tensor1D | undefined;
    const accumulate = (t: Tensor1D): void => {
      squared = squared ? (tf.add(squared, t) as Tensor1D) : t;
    };
    for (const target of targets) {
      if (target.layer === undefined) continue;
      const c = captured.get(target.layer);
      if (!c) throw new Error(`DP-SGD: layer ${target.layer} reported no gradient (every trained parameter must be clipped)`);
      accumulate(blocks ? personSquared(c.a, c.d) : (tf.mul(inputNorm(c.a), tf.sum(tf.square(c.d), 1)) as Tensor1D));
    }
    if (captured.size !== targets.filter((t) => t.layer !== undefined).length) {
      throw new Error(`DP-SGD: unexpected layers in the backward pass: ${[...captured.keys()].join(', ')}`);
    }
    if (sigmaGrads) {
      const perUnit = blocks ? (perPerson((chunk) => tf.sum(block(sigmaGrads, chunk), 1)) as Tensor2D) : sigmaGrads;
      accumulate(tf.sum(tf.square(perUnit), 1) as Tensor1D);
    }
    const norms = tf.sqrt(squared!) as Tensor1D;
    // c_i · scale as a 1×B row: Σ_i c_i d_i is then one product, and so is aᵀ(c⊙d) = (c⊙a)ᵀd.
    const unitFactors = tf.mul(tf.minimum(tf.div(clippingNorm, tf.add(norms, 1e-6)), 1), scale);
    const factors = blocks ? tf.gather(unitFactors, blocks.unitOfRow) : unitFactors;
    const row = tf.reshape(factors, [1, rows]) as Tensor2D;
    const column = tf.reshape(factors, [rows, 1]);
    const scaledInputs = new Map<object, Tensor2D>();
    const grads2: TfCore.NamedTensorMap = {};
    for (const target of targets) {
      if (target.layer === undefined) {
        grads2[target.weight.name] = tf.reshape(tf.matMul(row, sigmaGrads!), [V]);
        continue;
      }
      const { a, d } = captured.get(target.layer)!;
      let caT = scaledInputs.get(a.dataId);
      // Transposed explicitly: the wasm backend's transposeA matMul is about ten times slower.
      if (!caT) scaledInputs.set(a.dataId, (caT = tf.transpose(tf.mul(a, column)) as Tensor2D));
      grads2[target.weight.name] = tf.matMul(caT, d);
      grads2[target.bias!.name] = tf.reshape(tf.matMul(row, d), [d.shape[1]]);
    }
    return { grads: grads2, norms, loss: value as Scalar, reconstruction: parts!.reconstruction.clone(), kl: parts!.kl.clone() };
  } finally {
    tf.dispose(kept);
  }
}

/** Most numbers in one padded tensor of people's rows (16 MB of float32). */
const BLOCK_FLOATS = 1 << 22;

/** People of one chunk: `gather` picks person k's s-th row at k·width + s, or the zero row past their last. */
interface PersonChunk {
  gather: TfCore.Tensor1D;
  people: number;
  width: number;
}

/**
 * The batch's people in chunks: sorted by their number of rows, largest first, and cut so that a
 * chunk padded to its largest person holds at most `rowBudget` rows. `order` maps person p to
 * its position in the chunks' concatenated outputs; `unitOfRow` is each row's person.
 */
function personBlocks(tf: Tf, units: Int32Array, rowBudget: number): { chunks: PersonChunk[]; order: TfCore.Tensor1D; unitOfRow: TfCore.Tensor1D } {
  let people = 0;
  for (const u of units) people = Math.max(people, u + 1);
  const offsets = new Int32Array(people + 1);
  for (const u of units) offsets[u + 1]++;
  const size = (p: number): number => offsets[p + 1];
  const sorted = Array.from({ length: people }, (_, p) => p).sort((x, y) => size(y) - size(x));
  for (let p = 0; p < people; p++) offsets[p + 1] += offsets[p];
  const rowsOf = new Int32Array(units.length);
  const next = offsets.slice(0, people);
  units.forEach((u, row) => (rowsOf[next[u]++] = row));
  const order = new Int32Array(people);
  const chunks: PersonChunk[] = [];
  for (let start = 0; start < people; ) {
    const width = Math.max(1, offsets[sorted[start] + 1] - offsets[sorted[start]]);
    const count = Math.max(1, Math.min(people - start, Math.floor(rowBudget / width)));
    const gather = new Int32Array(count * width).fill(units.length);
    for (let k = 0; k < count; k++) {
      const p = sorted[start + k];
      order[p] = start + k;
      gather.set(rowsOf.subarray(offsets[p], offsets[p + 1]), k * width);
    }
    chunks.push({ gather: tf.tensor1d(gather, 'int32'), people: count, width });
    start += count;
  }
  return { chunks, order: tf.tensor1d(order, 'int32'), unitOfRow: tf.tensor1d(units, 'int32') };
}

/**
 * Per-example gradient norms and the sum of per-example clipped gradients (scale 1, no noise) of
 * one batch, read back to JavaScript. For tests and diagnostics. With `units` (each row's person,
 * 0 .. P - 1), the norms are per person and each person's summed gradient is clipped.
 */
export function perExampleGradients(
  tf: Tf,
  model: Tvae,
  batch: Batch,
  options: { clippingNorm?: number; clipSigma?: boolean; units?: Int32Array; blockFloats?: number } = {},
): { norms: Float32Array; clippedSum: Record<string, Float32Array>; loss: number } {
  const targets = targetsOf(model, options.clipSigma ?? true);
  const result = tf.tidy(() => {
    const s = clippedSums(tf, model, batch, targets, options.clippingNorm ?? Infinity, 1, options.units, options.blockFloats);
    return [s.norms, s.loss, ...targets.flatMap((t) => [s.grads[t.weight.name], ...(t.bias ? [s.grads[t.bias.name]] : [])])];
  });
  const [norms, loss, ...grads] = result;
  const names = targets.flatMap((t) => [t.weight.name, ...(t.bias ? [t.bias.name] : [])]);
  const clippedSum: Record<string, Float32Array> = {};
  names.forEach((name, i) => (clippedSum[name] = grads[i].dataSync() as Float32Array));
  const out = { norms: norms.dataSync() as Float32Array, clippedSum, loss: loss.dataSync()[0] };
  tf.dispose(result);
  return out;
}

/**
 * One DP-SGD step on the rows of a Poisson-sampled batch (`poissonBatch`): clipped per-example
 * gradients, Gaussian noise, division by the expected batch size, Adam. The returned losses are
 * means over the realised batch, for progress display only: they are not privatised.
 */
export function dpTrainStep(tf: Tf, model: Tvae, data: TrainingData, rows: ArrayLike<number>, random: SecureRandom, options: DpSgdOptions, units?: Int32Array): DpStepResult {
  const { clippingNorm: C, noiseMultiplier, expectedBatchSize } = options;
  if (!(options.samplingRate > 0 && options.samplingRate <= 1)) throw new Error(`sampling rate must be in (0, 1], got ${options.samplingRate}`);
  if (!(C > 0)) throw new Error(`clipping norm must be positive, got ${C}`);
  if (!(noiseMultiplier >= 0)) throw new Error(`noise multiplier must be non-negative, got ${noiseMultiplier}`);
  if (!(expectedBatchSize > 0)) throw new Error(`expected batch size must be positive, got ${expectedBatchSize}`);
  const targets = targetsOf(model, options.clipSigma ?? true);
  const n = rows.length;
  // Noise for every coordinate in a fixed order, already divided by the expected batch size.
  const noiseScale = (noiseMultiplier * C) / expectedBatchSize;
  const noise = (variable: TfCore.Variable): Float32Array | undefined => {
    if (noiseScale === 0) return undefined;
    const z = new Float32Array(variable.size);
    for (let i = 0; i < z.length; i++) z[i] = random.normal() * noiseScale;
    return z;
  };
  const variables = targets.flatMap((t) => (t.bias ? [t.weight, t.bias] : [t.weight]));
  // Clipped sums over the batch, chunk by chunk, kept outside tidy until the step is taken.
  let sums: TfCore.NamedTensorMap | undefined;
  let summary: TfCore.Tensor1D | undefined;
  try {
    for (let start = 0, end = 0; start < n; start = end) {
      // A person's rows (contiguous, from unitBatch) stay in one chunk: their sum is clipped whole.
      end = Math.min(n, start + DP_CHUNK_ROWS);
      while (units && end < n && units[end] === units[end - 1]) end++;
      const part = Int32Array.from({ length: end - start }, (_, i) => rows[start + i]);
      const partUnits = units ? Int32Array.from(units.subarray(start, end), (u) => u - units[start]) : undefined;
      const batch = model.batchTensors(data, part, random);
      try {
        const [next, nextSummary] = tf.tidy(() => {
          const chunk = clippedSums(tf, model, batch, targets, C, 1 / expectedBatchSize, partUnits);
          const clipped = tf.sum(tf.cast(tf.greater(chunk.norms, C), 'float32'));
          const stats = tf.stack([chunk.loss, chunk.reconstruction, chunk.kl, clipped]) as Tensor1D;
          const added: TfCore.NamedTensorMap = {};
          for (const v of variables) added[v.name] = sums ? tf.add(sums[v.name], chunk.grads[v.name]) : chunk.grads[v.name];
          return [added, summary ? (tf.add(summary, stats) as Tensor1D) : stats] as const;
        });
        if (sums) tf.dispose(Object.values(sums));
        if (summary) summary.dispose();
        sums = next;
        summary = nextSummary;
      } finally {
        tf.dispose([batch.x, batch.valueMask, batch.segmentMask, batch.epsilon]);
      }
    }
    tf.tidy(() => {
      const named: TfCore.NamedTensorMap = {};
      for (const variable of variables) {
        const g = sums ? sums[variable.name] : tf.zeros(variable.shape);
        const z = noise(variable);
        named[variable.name] = z ? tf.add(g, tf.tensor(z, variable.shape)) : g;
      }
      model.applyGradients(named);
    });
    if (!summary) return { loss: 0, reconstruction: 0, kl: 0, clippedFraction: 0, batchSize: 0 };
    const [loss, reconstruction, kl, clipped] = summary.dataSync();
    return { loss: loss / n, reconstruction: reconstruction / n, kl: kl / n, clippedFraction: clipped / (units ? units.reduce((a, u) => Math.max(a, u + 1), 1) : n), batchSize: n };
  } finally {
    if (sums) tf.dispose(Object.values(sums));
    if (summary) summary.dispose();
  }
}

/** Rows per forward/backward pass of a DP step: bounds memory whatever q·N is. */
export const DP_CHUNK_ROWS = 4096;
