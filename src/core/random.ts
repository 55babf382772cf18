/**
 * Seeded pseudo-random numbers. Every random choice in the engine goes through one of these so
 * that the same seed, data and backend give the same output.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    // splitmix32 expands one seed into the four words of sfc32's state.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.sfc32();
  }

  /**
   * A cryptographically secure stream (see SecureRandom): for every draw a privacy guarantee
   * depends on. Never reproducible from --seed.
   */
  static secure(): SecureRandom {
    return new SecureRandom();
  }

  nextUint32(): number {
    return this.sfc32();
  }

  /** sfc32: small, fast, passes PractRand; enough for sampling, not for cryptography. */
  private sfc32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  next(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [0, 1) with 32 bits: half the cost of next(), for hot sampling loops. */
  nextFast(): number {
    return this.nextUint32() * 2.3283064365386963e-10;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Marsaglia polar method). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u: number;
    let v: number;
    let s: number;
    // 32-bit uniforms are plenty for a normal deviate and take half the work of next().
    do {
      u = this.nextUint32() * 4.656612873077393e-10 - 1;
      v = this.nextUint32() * 4.656612873077393e-10 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * m;
    return u * m;
  }

  /** Index drawn from unnormalised non-negative weights. */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i];
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** A new generator whose stream does not overlap this one's in practice. */
  fork(): Random {
    return new Random(this.nextUint32() ^ 0x5bd1e995);
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

/** Fills a buffer with random bytes; Node's CSPRNG unless a test supplies a fixed stream. */
export type ByteSource = (buffer: Uint8Array) => void;

const POOL_BYTES = 1 << 16;
const TWO_POW_53 = 9007199254740992;

/**
 * A cryptographically secure random stream with Random's interface: every 32-bit word comes
 * straight from Node's CSPRNG (`crypto.randomFillSync`, which draws on the operating system's
 * source), read from a 64 KiB pool refilled as it empties, so DP-SGD's tens of thousands of
 * normals a step cost one system call per few thousand. Nothing is derived from a seed: a
 * differential-privacy release must not be recomputable by anyone who knows the data and --seed.
 *
 * Differential-privacy code takes this type, not Random (the private pool makes the types
 * distinct), so a seeded generator cannot reach a guarantee by mistake. Tests may pass a fixed
 * ByteSource to make a run repeatable; production code never does.
 */
export class SecureRandom extends Random {
  private readonly pool = new Uint8Array(POOL_BYTES);
  private readonly words = new Uint32Array(this.pool.buffer);
  private position = this.words.length;
  private spare: number | undefined;

  constructor(private readonly fill: ByteSource = cryptoFill) {
    super(0);
  }

  override nextUint32(): number {
    if (this.position === this.words.length) {
      this.fill(this.pool);
      this.position = 0;
    }
    return this.words[this.position++];
  }

  /** Uniform in [0, 1) with 53 random bits: every value is a multiple of 2^-53. */
  override next(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** Full precision here too: a 32-bit uniform has no place near a guarantee. */
  override nextFast(): number {
    return this.next();
  }

  /** Uniform integer in [0, n) without modulo bias (rejection), for n up to 2^53. */
  override int(n: number): number {
    if (!(n >= 1 && n <= TWO_POW_53) || !Number.isInteger(n)) throw new Error(`int(n) needs a whole n from 1 to 2^53, got ${n}`);
    const limit = TWO_POW_53 - (TWO_POW_53 % n);
    for (;;) {
      const r = this.next() * TWO_POW_53;
      if (r < limit) return r % n;
    }
  }

  /**
   * Standard normal by Box-Muller on 53-bit uniforms (u1 in (0, 1], so the log is finite). The
   * result is a floating-point number: its low bits are not exactly Gaussian, the weakness
   * Mironov (2012) showed for floating-point Laplace noise. Counts use discreteGaussian instead.
   */
  override normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    const u1 = 1 - this.next();
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spare = r * Math.sin(angle);
    return r * Math.cos(angle);
  }

  /** Another secure stream (independent: it reads its own bytes from the same source). */
  override fork(): SecureRandom {
    return new SecureRandom(this.fill);
  }
}

function cryptoFill(buffer: Uint8Array): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('node:crypto') as typeof import('node:crypto')).randomFillSync(buffer);
}

/**
 * Reservoir sample of at most `capacity` items (Algorithm R), so a column's sample stays bounded
 * however long the file is.
 */
export class Reservoir<T> {
  readonly items: T[] = [];
  seen = 0;
  constructor(
    readonly capacity: number,
    private readonly random: Random,
    /** Applied to an item when it is kept (e.g. to copy a string out of a large buffer). */
    private readonly keep: (item: T) => T = (item) => item,
  ) {}

  add(item: T): void {
    this.seen++;
    if (this.items.length < this.capacity) {
      this.items.push(this.keep(item));
      return;
    }
    const j = Math.floor(this.random.next() * this.seen);
    if (j < this.capacity) this.items[j] = this.keep(item);
  }
}

/**
 * A copy of `text` that does not keep a larger string alive. V8 represents `big.slice(a, b)` as a
 * view into `big` (for 13+ characters), so storing parsed fields for long would pin every chunk
 * of text they were cut from; statistics keep detached copies instead.
 */
export function detach(text: string): string {
  return text.length < 13 ? text : (' ' + text).slice(1);
}

/**
 * Sorted row numbers of a seeded uniform sample of k of n rows; null when n <= k. The first k
 * steps of a Fisher-Yates shuffle, with only the moved positions stored: memory grows with k,
 * not with the file's rows.
 */
export function subsampleRows(n: number, k: number, random: Random): Int32Array | null {
  if (n <= k) return null;
  const moved = new Map<number, number>();
  const sample = new Int32Array(k);
  for (let i = 0; i < k; i++) {
    const j = i + random.int(n - i);
    sample[i] = moved.get(j) ?? j;
    moved.set(j, moved.get(i) ?? i);
  }
  return sample.sort();
}
