import type * as TfCore from '@tensorflow/tfjs-core';
import type { Random } from '../random';
import type { Tf } from './backend';

type Tensor2D = TfCore.Tensor2D;
type Tensor1D = TfCore.Tensor1D;
type Save = (tensors: TfCore.Tensor[]) => void;

/**
 * A dense layer whose gradient is written by hand with explicit transposes. TensorFlow.js's own
 * gradient of matMul multiplies with transposeA/transposeB, which the wasm backend runs about ten
 * times slower than transposing first (measured: 0.6 ms against 5.6 ms for 500x139 by 139x128).
 *
 * `onBackward` sees each example's layer input `a` and output gradient `d`: exactly what
 * per-example gradient norms need (|g_i|^2 = |a_i|^2 |d_i|^2 + |d_i|^2 for weights and bias).
 */
export interface DenseParams {
  weight: TfCore.Variable<TfCore.Rank.R2>;
  bias: TfCore.Variable<TfCore.Rank.R1>;
}

/**
 * Called once per dense layer in the backward pass. Returning `true` says the caller computes the
 * layer's parameter gradients itself (DP-SGD clips them per example first): the layer then returns
 * zeros for its weight and bias instead of multiplying a^T d, which saves one matrix product.
 * The tensors are freed after the backward pass: keep a clone of any that must outlive it.
 */
export interface BackwardTap {
  (layer: string, input: Tensor2D, outputGradient: Tensor2D): void | boolean;
}

export function createDense(tf: Tf, name: string, inputs: number, outputs: number, random: Random): DenseParams {
  // He-uniform for ReLU layers (also fine for the linear heads at this size).
  const limit = Math.sqrt(6 / inputs);
  const w = new Float32Array(inputs * outputs);
  for (let i = 0; i < w.length; i++) w[i] = (random.next() * 2 - 1) * limit;
  // tf.variable keeps its own reference to the data: the initial tensors are freed here.
  return tf.tidy(() => ({
    weight: tf.variable(tf.tensor2d(w, [inputs, outputs]), true, `${name}/weight`),
    bias: tf.variable(tf.zeros([outputs]) as Tensor1D, true, `${name}/bias`),
  }));
}

/**
 * y = activation(x W + b), forward by the backend's fused kernel, backward by explicit transposes.
 */
export function dense(
  tf: Tf,
  name: string,
  x: Tensor2D,
  params: DenseParams,
  activation: 'relu' | 'linear',
  tap?: BackwardTap,
): Tensor2D {
  const op = tf.customGrad((input, weight, bias, save) => {
    const xIn = input as Tensor2D;
    const w = weight as Tensor2D;
    const b = bias as Tensor1D;
    const y = tf.fused.matMul({ a: xIn, b: w, bias: b, activation: activation === 'relu' ? 'relu' : 'linear' });
    (save as Save)([xIn, w, y]);
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [a, wSaved, ySaved] = saved as [Tensor2D, Tensor2D, Tensor2D];
        const d = activation === 'relu' ? tf.mul(dy, tf.step(ySaved)) as Tensor2D : (dy as Tensor2D);
        if (tap?.(name, a, d) === true) return [tf.matMul(d, tf.transpose(wSaved)), tf.zerosLike(wSaved), tf.zeros([d.shape[1]])];
        return [tf.matMul(d, tf.transpose(wSaved)), tf.matMul(tf.transpose(a), d), tf.sum(d, 0)];
      },
    };
  });
  return op(x, params.weight, params.bias) as Tensor2D;
}

/** a @ b with the same explicit-transpose gradient, for matrices that are not layer weights. */
export function matMul(tf: Tf, a: Tensor2D, b: Tensor2D): Tensor2D {
  const op = tf.customGrad((x, y, save) => {
    (save as Save)([x as Tensor2D, y as Tensor2D]);
    return {
      value: tf.matMul(x as Tensor2D, y as Tensor2D),
      gradFunc: (dz, saved) => {
        const [xs, ys] = saved as [Tensor2D, Tensor2D];
        return [tf.matMul(dz as Tensor2D, tf.transpose(ys)), tf.matMul(tf.transpose(xs), dz as Tensor2D)];
      },
    };
  });
  return op(a, b) as Tensor2D;
}
