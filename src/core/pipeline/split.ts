import * as path from 'node:path';
import { InputError } from '../csv/errors';
import { discreteGaussianNoise } from '../privacy/discrete-gaussian';
import { Random } from '../random';
import type { ReleaseEntry } from '../release/types';
import { loadTable, type Table } from '../table';
import type { SchemaResult } from './schema';
import type { Stage } from './stage';
import type { GenerateOptions } from './types';
import { DEFAULT_HOLDOUT_FRACTION } from './schema';

export const DEFAULT_MAX_TRAINING_ROWS = 250_000;

export interface SplitResult {
  split: Split;
  /** The training rows (with their privacy unit's codes when there is one). */
  table: Table;
}

/**
 * Split stage: hold rows out for evaluation and choose the training rows (a seeded shuffle without
 * privacy, secure coins with it), then load the training rows.
 */
export async function splitRows(settled: SchemaResult, options: GenerateOptions, random: Random, stage: Stage, groups?: Int32Array): Promise<SplitResult> {
  const { schema, privacy, unitName } = settled;
  const n = schema.rowCount;
  const holdoutFraction = options.holdoutFraction ?? DEFAULT_HOLDOUT_FRACTION;
  const maxTraining = options.maxTrainingRows ?? DEFAULT_MAX_TRAINING_ROWS;
  const splitRandom = random.fork();
  const split = privacy
    ? privateSplit(n, holdoutFraction, maxTraining, Number.isFinite(maxTraining) && !unitName ? privacy.plan.rhoTarget * SAMPLING_COUNT_SHARE : 0, groups)
    : seededSplit(n, holdoutFraction, maxTraining, splitRandom, groups);
  if (split.trainingRows === 0) {
    // With privacy a cap samples each row by a coin: a small cap can draw none, and the holdout is not why.
    const why = split.sampled
      ? `too few rows to train on: the random sample for --max-training-rows ${maxTraining.toLocaleString('en-GB')} drew none of the file's rows; raise --max-training-rows`
      : 'no rows are left to train on after the holdout: lower --holdout';
    throw new InputError(why, { file: path.basename(options.input) });
  }
  stage.phase('load', `Loading ${split.trainingRows} training rows`);
  const table = await stage.time('load', () => loadTable(options.input, schema, { select: (row) => split.training[row] === 1, signal: options.signal, unitColumn: unitName }));
  return { split, table };
}

/** Which rows are held out and which are trained on (the rest are neither, when sampled). */
export interface Split {
  holdout: Uint8Array;
  training: Uint8Array;
  holdoutCount: number;
  trainingRows: number;
  sampled: boolean;
  note?: string;
  /** DP only: the noisy count that set the sampling rate, charged to the ledger. */
  countRelease?: ReleaseEntry;
}

/**
 * Without privacy: a shuffle seeded by --seed, so that a run can be repeated exactly; the first
 * `fraction` of the order is held out, the next rows up to `maxTraining` are trained on. With
 * `groups` (each row's entity, -1 for none) whole entities are held out or trained on, so the
 * training rows keep every entity's full shape.
 */
export function seededSplit(n: number, fraction: number, maxTraining: number, random: Random, groups?: Int32Array): Split {
  const holdout = new Uint8Array(n);
  const training = new Uint8Array(n);
  if (groups) return seededGroupSplit(n, fraction, maxTraining, random, groups);
  const holdoutCount = Math.floor(n * fraction);
  const order = Array.from({ length: n }, (_, i) => i);
  random.shuffle(order);
  for (let i = 0; i < holdoutCount; i++) holdout[order[i]] = 1;
  let trainingRows = 0;
  for (let i = holdoutCount; i < n && trainingRows < maxTraining; i++) {
    training[order[i]] = 1;
    trainingRows++;
  }
  const candidates = n - holdoutCount;
  const sampled = trainingRows < candidates;
  const note = sampled ? `Trained on a random sample of ${trainingRows} of ${candidates} rows (maximum training rows ${maxTraining}).` : undefined;
  return { holdout, training, holdoutCount, trainingRows, sampled, note };
}

/** Each row's unit for the split: its entity, or the row alone (after every entity) when it has none. */
function unitsOf(n: number, groups: Int32Array): { unit: Int32Array; count: number } {
  let entities = 0;
  for (let r = 0; r < n; r++) if (groups[r] + 1 > entities) entities = groups[r] + 1;
  const unit = new Int32Array(n);
  let next = entities;
  for (let r = 0; r < n; r++) unit[r] = groups[r] >= 0 ? groups[r] : next++;
  return { unit, count: next };
}

function seededGroupSplit(n: number, fraction: number, maxTraining: number, random: Random, groups: Int32Array): Split {
  const { unit, count } = unitsOf(n, groups);
  const order = Array.from({ length: count }, (_, i) => i);
  random.shuffle(order);
  const rank = new Int32Array(count);
  order.forEach((u, i) => (rank[u] = i));
  const heldUnits = Math.floor(count * fraction);
  const holdout = new Uint8Array(n);
  let holdoutCount = 0;
  for (let r = 0; r < n; r++) if (rank[unit[r]] < heldUnits) (holdout[r] = 1), holdoutCount++;
  // Training rows: whole entities in shuffled order, up to the cap.
  const rows = Array.from({ length: n }, (_, r) => r).filter((r) => !holdout[r]).sort((a, b) => rank[unit[a]] - rank[unit[b]] || a - b);
  const training = new Uint8Array(n);
  let trainingRows = 0;
  for (const r of rows) {
    if (trainingRows >= maxTraining && (training[r - 1] === 0 || unit[r] !== unit[r - 1])) break;
    training[r] = 1;
    trainingRows++;
  }
  const candidates = n - holdoutCount;
  const sampled = trainingRows < candidates;
  const note = sampled ? `Trained on a random sample of ${trainingRows} of ${candidates} rows, whole entities (maximum training rows ${maxTraining}).` : undefined;
  return { holdout, training, holdoutCount, trainingRows, sampled, note };
}

/** Share of the zCDP budget spent on the noisy count that sets --max-training-rows' sampling rate. */
export const SAMPLING_COUNT_SHARE = 0.01;

/**
 * With privacy, the split must not be a function of the row count and a public seed: an adversary
 * who knows every row but one and the seed would recompute both files' splits, which differ in
 * many rows, and tell from the released histograms which file was used. Instead every row gets
 * its own coins from the secure stream (never from --seed): held out with probability `fraction`,
 * otherwise trained on with probability p. Without a given row, the training set is then
 * distributed exactly as with it, minus that row.
 *
 * p = min(1, maxTraining / C), where C is a Gaussian-noised count of the rows not held out (rho
 * `countRho`, charged to the ledger with the preprocessing). Why that is sound: C is itself a
 * zCDP release; given C, p is fixed, and the training set of a file with one more row x is the
 * training set without it, plus x with probability p (kept) or not (1 - p). The release computed
 * from it is a mixture of two outputs, one identical to the output without x and one at most
 * rho-divergent from it; Rényi divergence is quasi-convex, so the mixture is no more divergent than
 * the worse of the two, and the guarantee computed for the training set holds for the file. No
 * amplification by sampling is claimed. Composition with C's rho is adaptive composition. x's
 * holdout coin mixes once more: held out, nothing released depends on x (the holdout itself is
 * listed as not covered); not held out, the argument above applies.
 */
export function privateSplit(n: number, fraction: number, maxTraining: number, countRho: number, groups?: Int32Array): Split {
  const coins = Random.secure();
  const holdout = new Uint8Array(n);
  let holdoutCount = 0;
  // With entities, one coin per entity (a person is held out with all of their rows).
  const units = groups ? unitsOf(n, groups) : undefined;
  const unitCoin = units ? new Int8Array(units.count).fill(-1) : undefined;
  for (let i = 0; i < n; i++) {
    let out: boolean;
    if (units) {
      const u = units.unit[i];
      if (unitCoin![u] < 0) unitCoin![u] = coins.next() < fraction ? 1 : 0;
      out = unitCoin![u] === 1;
    } else out = coins.next() < fraction;
    if (out) {
      holdout[i] = 1;
      holdoutCount++;
    }
  }
  // No cap (countRho 0): nothing to count, every row not held out is trained on.
  const sigma = countRho > 0 ? Math.sqrt(1 / (2 * countRho)) : 0;
  const noisyCandidates = countRho > 0 ? n - holdoutCount + discreteGaussianNoise(coins, sigma)() : Infinity;
  const rate = countRho > 0 ? Math.min(1, maxTraining / Math.max(1, noisyCandidates)) : 1;
  const training = new Uint8Array(n);
  let trainingRows = 0;
  for (let i = 0; i < n; i++) {
    if (!holdout[i] && (rate === 1 || coins.next() < rate)) {
      training[i] = 1;
      trainingRows++;
    }
  }
  const sampled = rate < 1;
  const note = sampled
    ? `Trained on a random sample: each of about ${Math.round(noisyCandidates).toLocaleString('en-GB')} rows (a noisy count) kept with probability ${rate.toPrecision(3)}, for about ${maxTraining.toLocaleString('en-GB')} rows (maximum training rows).`
    : undefined;
  return {
    holdout,
    training,
    holdoutCount,
    trainingRows,
    sampled,
    note,
    ...(countRho > 0 ? { countRelease: { column: '(all)', what: 'count of the rows not held out, which sets the sampling rate of --max-training-rows', rho: countRho, sigma } } : {}),
  };
}

