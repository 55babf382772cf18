import type { SecureRandom } from '../random';

/**
 * The discrete Gaussian N_Z(0, σ²): P(x) ∝ exp(-x² / (2σ²)) on the integers, sampled exactly
 * (Canonne, Kamath and Steinke 2020, "The Discrete Gaussian for Differential Privacy",
 * Algorithms 1-3). Every decision is an exact Bernoulli trial on rationals, drawn from uniform
 * integers with BigInt arithmetic where a denominator passes 2^53, so no floating-point rounding
 * shapes the output (the weakness Mironov 2012 exploited in floating-point noise). Adding it to a
 * count of L2 sensitivity Δ gives Δ²/(2σ²)-zCDP, the same as the continuous Gaussian (CKS Thm 4),
 * so the ledger's arithmetic is unchanged.
 */

/** σ² as an exact fraction num/den. */
export interface RationalVariance {
  num: bigint;
  den: bigint;
}

/** Denominator of the variance's fraction: σ² is rounded up to a multiple of 2^-20. */
const VARIANCE_DENOMINATOR = 2 ** 20;

/**
 * The smallest multiple of 2^-20 at or above σ². Rounding up adds noise, never removes it, so a
 * release charged at σ is at least as private as the ledger says.
 */
export function rationalVariance(sigma: number): RationalVariance {
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new Error(`the discrete Gaussian needs a positive finite sigma, got ${sigma}`);
  const scaled = Math.ceil(sigma * sigma * VARIANCE_DENOMINATOR);
  if (!Number.isSafeInteger(scaled)) throw new Error(`sigma ${sigma} is too large for the discrete Gaussian`);
  return { num: BigInt(scaled), den: BigInt(VARIANCE_DENOMINATOR) };
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER) + 1n; // 2^53

/** Uniform integer in [0, d), exactly. */
function uniformBelow(random: SecureRandom, d: bigint): bigint {
  if (d <= SAFE) return BigInt(random.int(Number(d)));
  const bits = d.toString(2).length;
  const words = Math.ceil(bits / 32);
  const mask = (1n << BigInt(bits)) - 1n;
  for (;;) {
    let r = 0n;
    for (let i = 0; i < words; i++) r = (r << 32n) | BigInt(random.nextUint32());
    r &= mask;
    if (r < d) return r;
  }
}

/** Bernoulli(n/d) for 0 ≤ n ≤ d. */
function bernoulli(random: SecureRandom, n: bigint, d: bigint): boolean {
  return uniformBelow(random, d) < n;
}

/** Bernoulli(exp(-n/d)) for n ≥ 0, d > 0 (CKS Algorithm 1). */
export function bernoulliExpNeg(random: SecureRandom, n: bigint, d: bigint): boolean {
  if (n <= d) {
    // Stops at the first K where Bernoulli(γ/K) fails; P(K odd) = exp(-γ).
    let k = 1n;
    while (bernoulli(random, n, d * k)) k++;
    return k % 2n === 1n;
  }
  for (let i = n / d; i > 0n; i--) if (!bernoulliExpNeg(random, 1n, 1n)) return false;
  return bernoulliExpNeg(random, n % d, d);
}

/** Discrete Laplace with P(x) ∝ exp(-|x|/t), t a positive integer (CKS Algorithm 2, s = 1). */
function discreteLaplace(random: SecureRandom, t: bigint): bigint {
  for (;;) {
    const u = uniformBelow(random, t);
    if (!bernoulliExpNeg(random, u, t)) continue;
    let v = 0n;
    while (bernoulliExpNeg(random, 1n, 1n)) v++;
    const x = u + t * v;
    const negative = (random.nextUint32() & 1) === 1;
    if (negative && x === 0n) continue;
    return negative ? -x : x;
  }
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/** One draw of N_Z(0, σ²), σ² = num/den (CKS Algorithm 3). */
export function discreteGaussian(random: SecureRandom, variance: RationalVariance): number {
  const { num, den } = variance;
  // t = floor(σ) + 1, and floor(sqrt(x)) = floor(sqrt(floor(x))).
  const t = isqrt(num / den) + 1n;
  const gammaDen = 2n * t * t * den * num;
  for (;;) {
    const y = discreteLaplace(random, t);
    // Accept with exp(-(|y| - σ²/t)² / (2σ²)) = exp(-(|y|·t·den - num)² / (2·t²·den·num)).
    const a = (y < 0n ? -y : y) * t * den - num;
    if (bernoulliExpNeg(random, a * a, gammaDen)) return Number(y);
  }
}

/** A source of discrete Gaussian noise of standard deviation (at least) sigma. */
export function discreteGaussianNoise(random: SecureRandom, sigma: number): () => number {
  const variance = rationalVariance(sigma);
  return () => discreteGaussian(random, variance);
}
