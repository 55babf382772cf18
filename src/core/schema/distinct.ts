import { detach } from '../random';
import { hash32 } from './hll';

/** Values of at most this many ASCII characters are stored as a number that spells them exactly. */
const PACKED_MAX_LENGTH = 7;
const LENGTH_UNIT = 2 ** 49; // 7 characters of 7 bits below it

/**
 * `value` as an exact number (its length, then 7 bits a character) when it is at most 7 ASCII
 * characters, else -1. Packed numbers are at least 2^49, so no two values share one.
 */
function pack(value: string): number {
  const n = value.length;
  if (n > PACKED_MAX_LENGTH) return -1;
  let code = 0;
  let unit = 1;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c > 127) return -1;
    code += c * unit;
    unit *= 128;
  }
  return n * LENGTH_UNIT + code;
}

function unpack(code: number): string {
  const n = Math.floor(code / LENGTH_UNIT);
  let rest = code - n * LENGTH_UNIT;
  let value = '';
  for (let i = 0; i < n; i++) {
    value += String.fromCharCode(rest % 128);
    rest = Math.floor(rest / 128);
  }
  return value;
}

/**
 * Exact counts of a column's first `limit` distinct values, in the order first seen. A Map of
 * strings per column made the schema pass of wide files slow: with hundreds of columns, every look-up
 * missed the processor's caches several times (the map's table, then each candidate key's string).
 * Here a value is found by its hash in one typed array holding each slot's value code and count side
 * by side, and compared as a number when it is short (most values: numbers, codes, labels), so
 * counting a value seen before reads one or two neighbouring slots; a longer value is compared as a
 * string only when its hash matches.
 */
export class DistinctCounts {
  /** Per slot: the value's code (0 when free; packed, or -1 - hash32 for a longer value), its count. */
  private table = new Float64Array(2 * 64);
  /** Per slot: its entry (read only to find a longer value's text). */
  private slotEntry = new Int32Array(64);
  /** Per entry, in the order first seen: its slot and its hash32. */
  private entrySlot: Int32Array = new Int32Array(16);
  private entryHash: Int32Array = new Int32Array(16);
  /**
   * Per entry up to the last longer one: a longer value's text ('' for a short one, unpacked from
   * its code). An array, not a map: it is read at every repeat of a longer value (dates, labels).
   * Empty while every value is short, as in most columns of numbers.
   */
  private readonly long: string[] = [];
  private count = 0;

  constructor(readonly limit: number) {}

  get size(): number {
    return this.count;
  }

  /**
   * Count one more `value` (whose hash32 is `hash`); false, and nothing counted, when it is new and
   * `limit` values are counted already.
   */
  add(value: string, hash: number): boolean {
    const packed = pack(value);
    const code = packed >= 0 ? packed : -1 - hash;
    const table = this.table;
    const mask = this.slotEntry.length - 1;
    let slot = hash & mask;
    for (;;) {
      const stored = table[2 * slot];
      if (stored === 0) break;
      if (stored === code && (packed >= 0 || this.long[this.slotEntry[slot]] === value)) {
        table[2 * slot + 1]++;
        return true;
      }
      slot = (slot + 1) & mask;
    }
    if (this.count >= this.limit) return false;
    const entry = this.count++;
    if (entry === this.entrySlot.length) {
      this.entrySlot = grow(this.entrySlot);
      this.entryHash = grow(this.entryHash);
    }
    table[2 * slot] = code;
    table[2 * slot + 1] = 1;
    this.slotEntry[slot] = entry;
    this.entrySlot[entry] = slot;
    this.entryHash[entry] = hash;
    if (packed < 0) {
      while (this.long.length < entry) this.long.push('');
      this.long.push(detach(value));
    }
    if (4 * this.count > 3 * this.slotEntry.length) this.rehash();
    return true;
  }

  private rehash(): void {
    const size = 2 * this.slotEntry.length;
    const table = new Float64Array(2 * size);
    const slotEntry = new Int32Array(size);
    const mask = size - 1;
    for (let entry = 0; entry < this.count; entry++) {
      const old = this.entrySlot[entry];
      let slot = this.entryHash[entry] & mask;
      while (table[2 * slot] !== 0) slot = (slot + 1) & mask;
      table[2 * slot] = this.table[2 * old];
      table[2 * slot + 1] = this.table[2 * old + 1];
      slotEntry[slot] = entry;
      this.entrySlot[entry] = slot;
    }
    this.table = table;
    this.slotEntry = slotEntry;
  }

  private value(entry: number): string {
    const code = this.table[2 * this.entrySlot[entry]];
    return code > 0 ? unpack(code) : this.long[entry];
  }

  /** The values with their counts, in the order first seen. */
  *[Symbol.iterator](): IterableIterator<[string, number]> {
    for (let entry = 0; entry < this.count; entry++) yield [this.value(entry), this.table[2 * this.entrySlot[entry] + 1]];
  }

  *keys(): IterableIterator<string> {
    for (let entry = 0; entry < this.count; entry++) yield this.value(entry);
  }
}

function grow(array: Int32Array): Int32Array {
  const grown = new Int32Array(2 * array.length);
  grown.set(array);
  return grown;
}
