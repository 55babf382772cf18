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
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /**
   * A generator whose whole 128-bit state comes from the operating system's secure random source.
   * Differential-privacy noise must be unpredictable: from a known seed, anyone holding the data
   * could recompute the noise and remove it.
   */
  static secure(): Random {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bytes = (require('node:crypto') as typeof import('node:crypto')).randomBytes(16);
    const random = new Random(0);
    random.a = bytes.readUInt32LE(0) | 0;
    random.b = bytes.readUInt32LE(4) | 0;
    random.c = bytes.readUInt32LE(8) | 0;
    random.d = bytes.readUInt32LE(12) | 0;
    for (let i = 0; i < 12; i++) random.nextUint32();
    return random;
  }

  /** sfc32: small, fast, passes PractRand; enough for sampling, not for cryptography. */
  nextUint32(): number {
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
 * view into `big` (for 13+ characters), so storing parsed fields for long would pin every 1 MB
 * chunk they were cut from; statistics keep detached copies instead.
 */
export function detach(text: string): string {
  return text.length < 13 ? text : (' ' + text).slice(1);
}
