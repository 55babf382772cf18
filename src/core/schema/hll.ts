/**
 * HyperLogLog distinct-count estimate (Flajolet et al. 2007) with 2^14 registers (about 0.8 %
 * standard error), so uniqueness of a 10-million-row column can be judged in 16 KB.
 */
const P = 14;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);

export class HyperLogLog {
  private readonly registers = new Uint8Array(M);

  add(value: string): void {
    this.addHash(hash32(value));
  }

  /** Add a value by its hash32 (computed once where it serves elsewhere too). */
  addHash(h: number): void {
    const index = h >>> (32 - P);
    const rest = (h << P) | (1 << (P - 1)); // guard bit bounds the rank
    const rank = Math.clz32(rest) + 1;
    if (rank > this.registers[index]) this.registers[index] = rank;
  }

  estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < M; i++) {
      sum += 2 ** -this.registers[i];
      if (this.registers[i] === 0) zeros++;
    }
    const raw = (ALPHA * M * M) / sum;
    if (raw <= 2.5 * M && zeros > 0) return M * Math.log(M / zeros); // linear counting for small sets
    return raw;
  }
}

/** FNV-1a over UTF-16 code units, then the murmur3 finaliser to spread the bits. */
export function hash32(value: string, basis = 0x811c9dc5): number {
  let h = basis;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 53-bit hash (two independent 32-bit ones): a value's stand-in where millions of distinct
 * values must be compared in typed arrays (collisions: about one pair in 10^15 per pair of values).
 */
export function hash53(value: string): number {
  return (hash32(value) >>> 11) * 2 ** 32 + hash32(value, 0x9e3779b9);
}
