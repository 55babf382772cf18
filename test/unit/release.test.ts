import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate } from '../../src/core/generate';
import type { CategoricalHistogram } from '../../src/core/privacy/preprocess';
import { readModelFile } from '../../src/core/model/model-file';
import { Random } from '../../src/core/random';
import { tempDir, tempFile } from '../helpers/files';

/**
 * What a differentially private run releases (the model file, the synthetic CSV and the public
 * part of the card) must not tell two neighbouring files apart beyond what (ε, δ) allows.
 */

const SEED = 0;
const HOLDOUT = 0.2;

/** Smallest k with P(Binomial(n, p) ≥ k) ≤ alpha: a success count above it is not chance. */
function binomialCritical(n: number, p: number, alpha: number): number {
  const logPmf = (k: number): number => {
    let c = 0;
    for (let i = 1; i <= k; i++) c += Math.log((n - k + i) / i);
    return c + k * Math.log(p) + (n - k) * Math.log(1 - p);
  };
  let tail = 0;
  for (let k = n; k >= 0; k--) {
    tail += Math.exp(logPmf(k));
    if (tail > alpha) return k + 1;
  }
  return 0;
}

/** 3,000 rows of one categorical column with 20 levels, every level well above the release threshold. */
function wards(): { rows: string[]; target: number } {
  const random = new Random(11);
  const rows = Array.from({ length: 3000 }, () => `W${String(1 + random.int(20)).padStart(2, '0')}`);
  return { rows, target: 1500 };
}

function csv(rows: string[]): string {
  return ['ward', ...rows].join('\n') + '\n';
}

/** The training rows the pre-fix code derived from the public seed: a seeded shuffle, holdout first. */
function seededTraining(n: number): Uint8Array {
  const splitRandom = new Random(SEED).fork();
  const order = Array.from({ length: n }, (_, i) => i);
  splitRandom.shuffle(order);
  const training = new Uint8Array(n);
  for (let i = Math.floor(n * HOLDOUT); i < n; i++) training[order[i]] = 1;
  return training;
}

function levelCounts(rows: string[], keep: Uint8Array | undefined, levels: string[]): number[] {
  const counts = levels.map(() => 0);
  rows.forEach((r, i) => {
    if (!keep || keep[i]) counts[levels.indexOf(r)]++;
  });
  return counts;
}

test('membership attack on the released histograms stays within the DP bound (adversary knows every other row and the seed)', async (t) => {
  const { rows, target } = wards();
  const without = rows.filter((_, i) => i !== target);
  const files = { in: tempFile('wards.csv', csv(rows)), out: tempFile('wards.csv', csv(without)) };
  const dir = tempDir();
  const trials = 200;
  const guessRandom = new Random(5);
  // The adversary's two attacks, prepared from what it knows.
  const levels = [...new Set(rows)].sort();
  const replay = { in: levelCounts(rows, seededTraining(rows.length), levels), out: levelCounts(without, seededTraining(without.length), levels) };
  const cell = levels.indexOf(rows[target]);
  const othersInTarget = levelCounts(without, undefined, levels)[cell];
  let replayRight = 0;
  let countRight = 0;
  let epsilon = 0;
  let delta = 0;
  for (let trial = 0; trial < trials; trial++) {
    const member = guessRandom.next() < 0.5;
    const out = path.join(dir, `run${trial}.csv`);
    const { card, outputs } = await generate({
      input: member ? files.in : files.out,
      out,
      seed: SEED,
      rows: 1,
      holdoutFraction: HOLDOUT,
      privacy: { epsilon: 1, delta: 1e-6 },
      generator: 'marginals',
      evaluate: false,
    });
    epsilon = card.privacy.epsilon!;
    delta = card.privacy.delta!;
    const model = await readModelFile(outputs.model);
    const h = model.marginals![0] as CategoricalHistogram;
    const released = levels.map((l) => h.counts[h.levels.indexOf(l)] ?? 0);
    // 1. Replay the split from the seed and test which file's training histogram is nearer.
    const distance = (expected: number[]): number => expected.reduce((s, e, k) => s + (released[k] - e) ** 2, 0);
    if (distance(replay.in) < distance(replay.out) === member) replayRight++;
    // 2. The target's own cell: above the midpoint of the two expected counts means "in".
    const midpoint = (1 - HOLDOUT) * (othersInTarget + 0.5);
    if (released[cell] > midpoint === member) countRight++;
    for (const f of Object.values(outputs)) fs.rmSync(f, { force: true });
  }
  // Any test's accuracy on balanced guesses is at most e^ε / (1 + e^ε) + δ; each attack gets half
  // of a one-in-a-million false-alarm chance.
  const bound = Math.exp(epsilon) / (1 + Math.exp(epsilon)) + delta;
  const critical = binomialCritical(trials, bound, 5e-7);
  t.diagnostic(`replay ${replayRight}/${trials}, target cell ${countRight}/${trials}; bound ${bound.toFixed(3)} at ε ${epsilon.toFixed(3)}, failing at ${critical}`);
  assert.ok(replayRight < critical, `replaying the seeded split: ${replayRight}/${trials} right (DP bound ${bound.toFixed(3)}, chance level allows up to ${critical - 1})`);
  assert.ok(countRight < critical, `testing the target's cell: ${countRight}/${trials} right (DP bound ${bound.toFixed(3)}, chance level allows up to ${critical - 1})`);
});
