import * as path from 'node:path';
import { InputError } from '../csv/errors';
import { generatorKind } from '../generators/registry';
import { DEFAULT_DP_GENERATOR } from '../generators/catalog';
import type { GeneratorKind, PrivacyRequest } from '../generators/types';
import { DEFAULT_DELTA, planBudget, type BudgetPlan } from '../privacy/budget';
import { releasesSpikes } from '../privacy/preprocess';
import { assertSomethingToLearn } from '../schema/learnable';
import { unitColumn, withPrivacyUnit } from '../schema/privacy-unit';
import type { Schema } from '../schema/types';
import { isModelled, isNumericColumn } from '../table';
import type { GenerateOptions } from './types';

export interface SchemaResult {
  /** The schema with the requested privacy unit. */
  schema: Schema;
  generator: GeneratorKind;
  /** The privacy request and its budget plan, checked; absent without differential privacy. */
  privacy?: { request: PrivacyRequest; plan: BudgetPlan };
  /** The privacy unit's column, with differential privacy. */
  unitName?: string;
  /** Marginals generator: the column pairs released jointly (schema indices). */
  pairs: [number, number][];
}

/** Schema stage: the schema, generator and privacy request checked together, before any row is learned. */
export function settleSchema(given: Schema, options: GenerateOptions): SchemaResult {
  const schema = withPrivacyUnit(given, options.privacyUnit, options.maxRowsPerUnit);
  if (schema.rowCount < 2) throw new InputError('needs at least two data rows to learn from', { file: path.basename(options.input) });
  assertSomethingToLearn(schema, path.basename(options.input));
  const pairs = resolvePairs(schema, options);

  const dp = options.privacy && options.privacy !== 'none' ? options.privacy : undefined;
  const unitName = dp ? unitColumn(schema) : undefined;
  // With a privacy unit the default stays the tvae: pgm bounding people is newer and not measured here.
  const generator = generatorKind(options.generator ?? (dp && !unitName ? DEFAULT_DP_GENERATOR : 'tvae'));
  if (generator.privateOnly && !dp) throw new Error(`the ${generator.name} generator is a differentially private mode: give an epsilon`);
  // Holdout rows are chosen before anything is learned, and never trained on.
  const holdoutFraction = options.holdoutFraction ?? DEFAULT_HOLDOUT_FRACTION;
  if (!(holdoutFraction >= 0 && holdoutFraction < 1)) throw new Error('the holdout fraction must be in [0, 1)');
  const privacy = dp ? { request: dp, plan: planPrivacy(dp, generator, schema) } : undefined;
  // With a privacy unit a row count has no bound on one person's effect, so no count sets a
  // sampling rate: bounding each person to k rows limits the training rows instead.
  if (unitName && options.maxTrainingRows !== undefined) {
    throw new Error('--max-training-rows samples rows, which a person-level guarantee cannot account for: use --max-rows-per-unit to bound the rows of each person');
  }
  return { schema, generator, ...(privacy ? { privacy } : {}), ...(unitName ? { unitName } : {}), pairs };
}

export const DEFAULT_HOLDOUT_FRACTION = 0.2;

/** The privacy request checked and split, before any row is read for learning. */
function planPrivacy(request: PrivacyRequest, generator: GeneratorKind, schema: Schema): BudgetPlan {
  return planBudget({
    epsilon: request.epsilon,
    delta: request.delta ?? DEFAULT_DELTA,
    generator: generator.name,
    // pgm also thresholds the exact values of its non-whole numbers (point masses).
    thresholdedColumns: schema.columns.filter((c) => (isModelled(c) && !isNumericColumn(c) && !c.public?.categories) || releasesSpikes(c, generator.name === 'pgm')).length,
  });
}

/** Column indices of the requested pairs, checked against the schema before any work. */
function resolvePairs(schema: Schema, options: GenerateOptions): [number, number][] {
  const requested = options.pairs ?? [];
  if (requested.length === 0) return [];
  if ((options.generator ?? 'tvae') !== 'marginals' || !options.privacy || options.privacy === 'none') {
    throw new Error('column pairs belong to the marginals generator: add --generator marginals (the tVAE learns every relationship)');
  }
  const used = new Set<number>();
  return requested.map((pair) => {
    if (pair[0] === pair[1]) throw new Error(`pair ${pair.join(':')}: a pair needs two different columns`);
    const indices = pair.map((name) => {
      const index = schema.columns.findIndex((c) => c.name === name);
      if (index < 0) throw new Error(`pair ${pair.join(':')}: there is no column "${name}" (columns: ${schema.columns.map((c) => c.name).join(', ')})`);
      if (!isModelled(schema.columns[index])) throw new Error(`pair ${pair.join(':')}: column "${name}" is ${schema.columns[index].exclude ? 'excluded' : `a ${schema.columns[index].kind} column`}, which is not learned`);
      if (used.has(index)) throw new Error(`pair ${pair.join(':')}: column "${name}" is already in another pair (each column can be in one pair)`);
      used.add(index);
      return index;
    }) as [number, number];
    return indices;
  });
}
