import { Random, SecureRandom } from '../../src/core/random';

/**
 * A SecureRandom reading a fixed byte stream (from a seeded generator), so a test of DP code is
 * repeatable. Production code never builds one: it uses Random.secure().
 */
export function seededSecure(seed: number): SecureRandom {
  const bytes = new Random(seed);
  return new SecureRandom((buffer) => {
    const words = new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength >>> 2);
    for (let i = 0; i < words.length; i++) words[i] = bytes.nextUint32();
  });
}
