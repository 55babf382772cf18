import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decimalsForResolution, generate } from '../../src/core/generate';
import type { CategoricalHistogram, NumericHistogram } from '../../src/core/privacy/preprocess';
import { readModelFile } from '../../src/core/generators/model-file';
import { Random } from '../../src/core/random';
import { neutralIdentifier, regenerateIdentifiers } from '../../src/core/schema/identifiers';
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

/**
 * A file whose last row alone sets several format facts: a blank cell (missing-value token), a
 * quoted value in a column written without quotes, four decimals where the rest have one, a
 * longer identifier; without that row, none of these shows.
 */
function clinic(): { rows: string[]; header: string } {
  const random = new Random(21);
  const rows: string[] = [];
  for (let i = 0; i < 299; i++) {
    const age = 20 + random.int(60);
    const weight = (50 + random.next() * 40).toFixed(1);
    rows.push(`P${String(100000 + i * 7)},${age},${weight},"${random.next() < 0.5 ? 'F' : 'M'}",${['A', 'B', 'C'][random.int(3)]}`);
  }
  rows.push('P12345678901,47,71.2345,,"B"');
  return { header: 'patient_id,age,weight,sex,ward', rows };
}

/** Drop the fields a release may change from run to run (noisy numbers and what follows from them). */
function withoutReleased(value: Record<string, unknown>, paths: string[]): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  for (const p of paths) {
    const keys = p.split('.');
    let node: Record<string, unknown> | undefined = copy;
    for (const k of keys.slice(0, -1)) node = node?.[k] as Record<string, unknown> | undefined;
    if (node) delete node[keys[keys.length - 1]];
  }
  return copy;
}

for (const generator of ['marginals', 'tvae'] as const) {
  test(`neighbouring files (${generator}): the model file and the public card differ only in released values`, async () => {
    const { header, rows } = clinic();
    const files = [tempFile('clinic.csv', [header, ...rows].join('\n') + '\n'), tempFile('clinic.csv', [header, ...rows.slice(0, -1)].join('\n') + '\n')];
    const runs = [];
    for (const input of files) {
      const { card, outputs } = await generate({
        input,
        out: path.join(tempDir(), 'clinic.synthetic.csv'),
        seed: SEED,
        // RDP: the faster accountant, enough here.
        privacy: { epsilon: 2, delta: 1e-6, accountant: 'rdp' },
        generator,
        epochs: 1,
        evaluate: false,
      });
      const model = await readModelFile(outputs.model);
      const synthetic = fs.readFileSync(outputs.csv, 'utf8');
      runs.push({ card, model, synthetic });
    }
    for (const { card, model, synthetic } of runs) {
      assert.equal(card.source.rows, undefined, 'no exact row count');
      assert.equal(model.schema.source?.bytes, undefined, 'no exact byte size');
      assert.equal(card.holdout.seed, undefined, 'the holdout is not drawn from the seed');
      for (const c of model.schema.columns) {
        assert.equal(c.missingToken, '', `${c.name}: a neutral missing-value token`);
        assert.equal(c.quoting, 'as-needed', `${c.name}: quoting only where needed`);
      }
      const weight = model.schema.columns.find((c) => c.name === 'weight')!;
      assert.ok(weight.number!.decimals <= 3, `weight: decimals from the released histogram, not the one row with four (${weight.number!.decimals})`);
      if (model.marginals) assert.equal(weight.number!.decimals, decimalsForResolution(model.marginals[weight.index] as NumericHistogram), 'weight: decimals from the bins');
      assert.doesNotMatch(JSON.stringify(model.schema.columns[0].identifier), /12345678901|\d+(\.\d+)?%/, 'identifier shape and reason hold nothing from the values');
      for (const h of card.training.history) assert.deepEqual(Object.keys(h).sort(), ['epoch', 'epsilon'], 'per-epoch sizes and times are not released');
      for (const v of Object.values(card.timings)) assert.ok(Number.isInteger(v), 'timings in whole seconds');
      assert.match(card.privacy.statement, /upper bound/);
      assert.doesNotMatch(card.privacy.statement, /exactly/);
      assert.deepEqual(card.privacy.about, { file: 'clinic.csv', neighbours: 'any file that differs from it by one row, added or removed' });
      assert.equal(synthetic.split('\n')[0], header, 'the header is written as in the file');
      assert.doesNotMatch(synthetic, /"/, 'no value needs quotes, so none is quoted (the file quoted every sex)');
    }
    // Fields that follow from noisy releases: counts, histograms, the transformer fitted to them,
    // the weights, the decimals read from the histogram's bins, and (DP-SGD) the sampling rate
    // set from the noisy count and the ε spent at it. The holdout and the evaluation are listed
    // as not covered; createdAt is the clock.
    const released = {
      // The raked tVAE's measured pairs (chosen and counted with noise) and the model fitted to them.
      model: ['createdAt', 'marginals', 'marginalPairs', 'transformer', 'tvae', 'raking', 'schema.rowCount'],
      card: ['createdAt', 'output.rows', 'training.rows', 'holdout', 'timings', 'generator.parameters.batchSize', 'generator.parameters.raking'],
      privacy: ['epsilon', 'statement', 'samplingRate', 'expectedBatchSize', 'steps', 'noiseMultiplier', 'budget.training', 'budget.model', 'budget.preprocessing.epsilonAlone'],
    };
    const stripped = runs.map(({ card, model }) => {
      const columns = model.schema.columns.map((c) => withoutReleased(c as unknown as Record<string, unknown>, c.number ? ['number.decimals'] : []));
      const privacy = withoutReleased(card.privacy as unknown as Record<string, unknown>, generator === 'tvae' ? released.privacy : []);
      // Whether a column's second histogram narrows the bounds is decided by its first release.
      const ledger = (privacy.budget as { preprocessing: { releases: { what: string }[] } }).preprocessing;
      ledger.releases = ledger.releases.map((r) => ({ ...r, what: r.what.replace(/^(the same histogram again|histogram of values within bounds (narrowed|chosen)).*/, 'second histogram') }));
      const history = card.training.history.map((h) => h.epoch);
      const strippedModel = withoutReleased(model as unknown as Record<string, unknown>, [...released.model, ...(generator === 'tvae' ? ['privacy.epsilon'] : [])]);
      return {
        model: { ...strippedModel, schema: { ...(strippedModel.schema as Record<string, unknown>), columns } },
        // Notes read off released counts (a file near the budget's size, columns mostly "Other"):
        // whether they show and what they say follow from noisy values; every other note must match.
        card: {
          ...withoutReleased(card as unknown as Record<string, unknown>, released.card),
          privacy,
          training: { sampled: card.training.sampled, history },
          notes: card.notes.filter((n) => !/^About [\d,]+ training rows \(a noisy count\), fewer than|of (its|their) synthetic values (are|in) "Other"/.test(n)),
        },
      };
    });
    assert.deepEqual(stripped[1].model, stripped[0].model, 'the model file');
    assert.deepEqual(stripped[1].card, stripped[0].card, 'the public card');
  });
}

test('with privacy, --max-training-rows keeps each row with a rate set from a charged noisy count, and the holdout is not the seed\'s', async () => {
  const { rows } = wards();
  const input = tempFile('wards.csv', csv(rows));
  const runs = [];
  for (let i = 0; i < 2; i++) {
    const { card } = await generate({
      input,
      out: path.join(tempDir(), 'wards.synthetic.csv'),
      seed: SEED,
      rows: 1,
      maxTrainingRows: 600,
      privacy: { epsilon: 1, delta: 1e-6 },
      generator: 'marginals',
      evaluate: false,
    });
    runs.push(card);
  }
  for (const card of runs) {
    assert.equal(card.training.sampled, true);
    assert.match(card.training.note!, /^Trained on a random sample: each of about [\d,]+ rows \(a noisy count\) kept with probability 0\.2\d+/);
    // The noisy count's noise is small next to 2,400: about 600 rows are trained on.
    assert.ok(Math.abs(card.training.rows - 600) < 120, `about 600 training rows, released ${card.training.rows}`);
    const count = card.privacy.budget!.preprocessing.releases[0];
    assert.match(count.what, /rows not held out/);
    assert.ok(card.privacy.epsilon! <= 1 + 1e-9, 'the count is inside the budget');
    assert.ok(Math.abs(card.holdout.rows - 600) < 120, `about a fifth held out (${card.holdout.rows})`);
  }
  assert.notEqual(runs[0].holdout.members, runs[1].holdout.members, 'the same seed does not give the same holdout');
});

test('neutral identifier shapes hold nothing of the values and still regenerate', () => {
  const detected = [
    { type: 'email', pattern: 'Name.Name99@example.org' },
    { type: 'zero-padded', pattern: 'dddddd', length: 6 },
    { type: 'unique-key', pattern: 'Pdddddd', length: 7 },
    { type: 'row-index', pattern: '0..n-1' },
    { type: 'phone', pattern: '+44 (0)7ddd dddddd' },
    { type: 'uuid', pattern: 'XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX', length: 36 },
  ] as const;
  for (const d of detected) {
    const info = neutralIdentifier({ ...d, direct: false, handling: 'regenerate', reason: '97.5% of values are such' });
    assert.notEqual(info.pattern, d.pattern, `${d.type}: the detected shape is replaced`);
    assert.doesNotMatch(info.reason, /\d/, `${d.type}: no shares in the reason`);
    const values = regenerateIdentifiers(info, 50, new Random(1));
    assert.equal(new Set(values).size, 50, `${d.type}: 50 distinct values`);
  }
});
