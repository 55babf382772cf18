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

/** A CSV where group decides score and age drives flag: pairs a private model should find. */
export function related(rows: number, seed: number): string {
  const random = new Random(seed);
  const lines = ['id,age,group,score,flag'];
  for (let i = 0; i < rows; i++) {
    const group = ['A', 'B', 'C'][random.int(3)];
    const age = 20 + random.int(60);
    const score = group === 'A' ? 10 + random.int(10) : group === 'B' ? 40 + random.int(10) : 70 + random.int(10);
    const flag = age > 50 ? (random.next() < 0.9 ? 'yes' : 'no') : random.next() < 0.1 ? 'yes' : 'no';
    lines.push(`P${String(i).padStart(5, '0')},${age},${group},${score},${flag}`);
  }
  return lines.join('\n') + '\n';
}
