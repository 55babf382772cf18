import * as path from 'node:path';
import { Random } from './random';
import { calibrate } from './pipeline/calibrate';
import { confirmChecks, planChecks, supersededNote } from './pipeline/check';
import { evaluate } from './pipeline/evaluate';
import { fit } from './pipeline/fit';
import { read } from './pipeline/read';
import { exactRelease, releaseNotes, privateRelease } from './pipeline/release';
import { sample } from './pipeline/sample';
import { settleSchema } from './pipeline/schema';
import { splitRows } from './pipeline/split';
import { stageContext } from './pipeline/stage';
import type { GenerateOptions, GenerateResult } from './pipeline/types';
import { write } from './pipeline/write';
import { entityNote, exactEntities, readEntities, trainingEntities } from './pipeline/entities';
import { rulesBudget } from './privacy/rule-confirmation';
import { combineLater } from './rules/plan';

export type { GenerateOptions, GenerateResult, MetadataCard, OutputPaths } from './pipeline/types';
export type { GeneratePhase, GeneratorName, PrivacyRequest, ReleasedEpoch } from './generators/types';
export type { PrivacyStatement, PrivacyUnitStatement } from './release/types';
export { outputPaths } from './pipeline/read';
export { DEFAULT_HOLDOUT_FRACTION } from './pipeline/schema';
export { DEFAULT_MAX_TRAINING_ROWS, SAMPLING_COUNT_SHARE } from './pipeline/split';
export { decimalsForResolution, UNIT_SIZES_SHARE } from './pipeline/release';
export { ENTITY_SHARE } from './pipeline/entities';
export { defaultDpBatch, defaultLatentDim, DP_DEFAULTS, SMALL_FOR_DP_SGD } from './generators/tvae';
export { DEFAULT_DP_GENERATOR } from './generators/catalog';
export { TrainingCancelled } from './model/train';

/**
 * Train on a CSV and write the synthetic CSV, its metadata card and the model file, all or
 * nothing. The input is only ever read. Each stage is a module of pipeline/ with a typed result:
 * read, schema, split, check (rules planned), release, fit, calibrate, check (rules confirmed),
 * sample, evaluate, write.
 */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  const stage = stageContext(options.onPhase);
  const { outputs, staged, schema: given } = await read(options, stage);
  const seed = options.seed ?? 0;
  const random = new Random(seed);

  const settled = settleSchema(given, options);
  const { schema, generator, privacy } = settled;
  // Entities (schema `entities`): each row's entity, read only when there are some; whole
  // entities are then held out, so the training rows keep each entity's shape.
  const allEntities = await readEntities(schema, options, stage);
  const loaded = await splitRows(settled, options, random, stage, allEntities?.codes[0]);
  const entities = allEntities && trainingEntities(allEntities, loaded.split);
  const notes = [...(schema.notes ?? []), ...(loaded.split.note ? [loaded.split.note] : [])];
  if (entities) notes.push(...entities.chain.notes);
  // Rules are kept by construction around any generator: it learns the rewritten table.
  // Under DP, rules are confirmed with a share of the budget taken from preprocessing (privacy/rule-confirmation.ts).
  const privateBudget = privacy ? rulesBudget(privacy.plan) : undefined;
  const planned = await planChecks(schema, loaded.table, { input: options.input, differentiallyPrivate: !!privacy, seed, privateBudget }, stage);
  notes.push(...planned.plan.notes);

  const learning = { schema: planned.learningSchema, table: planned.learningTable, random, phase: stage.phase };
  const { release, fitted, transformer, parameters } = await stage.time('learn', async () => {
    const release = privacy
      ? privateRelease(
          { ...learning, generator, options },
          privacy,
          [...(loaded.split.countRelease ? [loaded.split.countRelease] : []), ...planned.plan.releases],
          settled.pairs,
          entities,
          // Missingness and determines rules are confirmed once the histograms are released.
          planned.plan.establishFromModel ? { eligible: (column) => planned.plan.layer.leavesAsDrawn(column.name), blankable: (column) => planned.plan.layer.blankable(column.name) } : undefined,
        )
      : exactRelease({ ...learning, generator, options });
    const fitted = await fit(generator, { ...learning, release, options });
    return { release, fitted, ...calibrate(fitted, release, learning.schema, learning.table, random, stage.phase) };
  });

  if (release.private) notes.push(...releaseNotes(release.stats));
  const afterHistograms = release.private ? release.afterHistograms : [];
  for (const confirmation of afterHistograms) notes.push(confirmation.confirmation.note);
  const entityModel = entities ? (release.private ? release.entities?.state : exactEntities(entities, schema, loaded.table)) : undefined;
  if (release.private && release.entities) notes.push(release.entities.note);

  try {
    const rules = await confirmChecks(planned, schema, release.schema, fitted.generator, transformer, random, fitted.measuredPairs, combineLater(afterHistograms));
    if (rules.superseded.length) notes.push(supersededNote(rules.superseded));
    const rows = options.rows ?? (privacy ? (fitted.estimatedRows ?? fitted.noisyRowCount!) : schema.rowCount);
    const sampled = await sample(
      { generator: fitted.generator, transformer, outputSchema: rules.outputSchema, layer: rules.layer, rows, staged, file: outputs.csv, neutraliseFormulas: options.neutraliseFormulas, signal: options.signal,
        // Under DP new keys take the neutral shape, drawn without looking at the real ones.
        ...(entityModel ? { entities: { state: entityModel, ...(privacy ? {} : { avoid: entities!.realKeys }) } } : {}) },
      random,
      stage,
    );
    if (sampled.note) notes.push(sampled.note);
    const grouped = entityNote(entityModel, sampled.stats);
    if (grouped) notes.push(grouped);
    const evaluated =
      (options.evaluate ?? true)
        ? await evaluate({ schema, rules: rules.rules, table: loaded.table, split: loaded.split, outputs, staged, privacy: fitted.privacy, seed }, options, stage)
        : undefined;
    const card = await write(
      { options, outputs, staged, seed, schema, learnedSchema: release.schema, generator: fitted.generator, fitted, parameters, transformer, rules, split: loaded, sampled, notes, evaluated, started, ...(entityModel ? { entities: entityModel } : {}) },
      stage,
    );
    stage.phase('done', `Wrote ${path.basename(outputs.csv)}`);
    return { outputs, card };
  } catch (error) {
    await staged.discard();
    throw error;
  } finally {
    fitted.generator.dispose();
  }
}
