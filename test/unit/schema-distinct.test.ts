import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DistinctCounts } from '../../src/core/schema/distinct';
import { hash32 } from '../../src/core/schema/hll';
import { Random } from '../../src/core/random';

/** Values short and long, ASCII and not (é, NUL, DEL, emoji), many repeated. */
function values(count: number, random: Random): string[] {
  const alphabet = ['1', '2', '.', '-', 'a', 'é', '\u0000', '\u007f', ' ', '😀'];
  return Array.from({ length: count }, () => {
    const length = 1 + random.int(12);
    let value = '';
    for (let i = 0; i < length; i++) value += alphabet[random.int(random.next() < 0.7 ? 3 : alphabet.length)];
    return value;
  });
}

test('distinct counts match a Map of counts, in the order first seen, up to the limit', () => {
  for (const limit of [3, 200, 5000]) {
    const counts = new DistinctCounts(limit);
    const expected = new Map<string, number>();
    let refused: string | undefined;
    for (const value of values(60_000, new Random(limit))) {
      const known = expected.has(value);
      if (!known && expected.size === limit) {
        assert.equal(counts.add(value, hash32(value)), false, `a new value past ${limit} is refused`);
        refused = value;
        break;
      }
      assert.equal(counts.add(value, hash32(value)), true);
      expected.set(value, (expected.get(value) ?? 0) + 1);
    }
    assert.equal(counts.size, expected.size);
    assert.deepEqual([...counts], [...expected]);
    assert.deepEqual([...counts.keys()], [...expected.keys()]);
    assert.ok(refused !== undefined, `more than ${limit} distinct values were drawn`);
  }
});

test('values that differ only past 7 characters or outside ASCII are counted apart', () => {
  const counts = new DistinctCounts(100);
  for (const value of ['1234567', '12345678', '123456789', '1234567\u0000', 'é', 'e', '\u0000', '\u0000\u0000']) counts.add(value, hash32(value));
  counts.add('12345678', hash32('12345678'));
  assert.deepEqual([...counts], [['1234567', 1], ['12345678', 2], ['123456789', 1], ['1234567\u0000', 1], ['é', 1], ['e', 1], ['\u0000', 1], ['\u0000\u0000', 1]]);
});
