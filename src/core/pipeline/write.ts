import * as path from 'node:path';
import type { EntityModelState } from '../entities/model';
import type { Evaluation } from '../evaluate/types';
import { modelToJson, type ModelFile } from '../generators/model-file';
import type { Fitted, Generator } from '../generators/types';
import type { StagedOutputs } from '../io/atomic';
import { buildReportData } from '../report/data';
import { renderReportHtml } from '../report/render';
import type { Schema } from '../schema/types';
import type { Table } from '../table';
import type { TableTransformer } from '../transform/transformer';
import { VERSION } from '../version';
import type { RulesConfirmed } from './check';
import { redrawn } from './check';
import type { SampleResult } from './sample';
import type { SplitResult } from './split';
import type { SampleStats } from '../sampler';
import type { Stage } from './stage';
import { DEFAULT_HOLDOUT_FRACTION } from './schema';
import type { GenerateOptions, MetadataCard, OutputPaths } from './types';

export interface WriteInput {
  options: GenerateOptions;
  outputs: OutputPaths;
  staged: StagedOutputs;
  seed: number;
  /** The input's schema. */
  schema: Schema;
  /** The schema the generator's release keeps (placeholder lengths of text columns). */
  learnedSchema: Schema;
  generator: Generator;
  fitted: Fitted;
  parameters: Record<string, unknown>;
  transformer: TableTransformer;
  rules: RulesConfirmed;
  split: SplitResult;
  sampled: SampleResult;
  notes: string[];
  evaluated?: { evaluation: Evaluation; synthetic: Table };
  /** When the run started (performance.now()), for the total time. */
  started: number;
  /** The entities' shape, kept in the model file so `sample` keeps it. */
  entities?: EntityModelState;
}

/**
 * Write stage: the model file, the metadata card and (when evaluated) the report, then every
 * staged output committed at once.
 */
export async function write(input: WriteInput, stage: Stage): Promise<MetadataCard> {
  const { options, outputs, staged, seed, schema, fitted, rules, split: loaded, sampled } = input;
  const { split } = loaded;
  const dp = fitted.privacy.differentiallyPrivate;
  stage.phase('write', 'Writing the model and metadata card');
  const modelFile: ModelFile = {
    format: 'synthetic-csv-model',
    version: 1,
    generator: input.generator.name,
    createdAt: new Date().toISOString(),
    software: VERSION,
    backend: fitted.backend.name,
    seed,
    schema: rules.outputSchema,
    transformer: input.transformer.toJSON(),
    ...(rules.layer.isEmpty ? {} : { rules: rules.layer.toJSON() }),
    ...(input.entities ? { entities: input.entities } : {}),
    ...input.generator.save(),
    privacy: { differentiallyPrivate: dp, epsilon: fitted.privacy.epsilon, delta: fitted.privacy.delta },
  };
  await staged.writeText(outputs.model, modelToJson(modelFile));
  const timings = stage.timings;
  timings.total = (performance.now() - input.started) / 1000;
  const card: MetadataCard = {
    format: 'synthetic-csv-card',
    version: 1,
    software: { name: 'synthetic-csv', version: VERSION },
    createdAt: modelFile.createdAt,
    source: { file: path.basename(options.input), ...(dp ? {} : { rows: schema.rowCount }), columns: schema.columns.length },
    output: {
      file: path.basename(outputs.csv),
      rows: sampled.rows,
      columns: sampled.columns.map((c) => c.header ?? c.name),
      modelFile: path.basename(outputs.model),
      ...(sampled.formulaCells.count || sampled.formulaCells.neutralised ? { formulaCells: sampled.formulaCells } : {}),
    },
    generator: { name: input.generator.name, parameters: input.parameters },
    backend: fitted.backend,
    seed,
    training: {
      rows: dp ? fitted.noisyRowCount! : loaded.table.rowCount,
      sampled: split.sampled,
      ...(split.note ? { note: split.note } : {}),
      history: fitted.history,
    },
    holdout: {
      fraction: options.holdoutFraction ?? DEFAULT_HOLDOUT_FRACTION,
      rows: split.holdoutCount,
      ...(dp ? { draw: 'secure coin per row' as const } : { draw: 'seeded shuffle' as const, seed }),
      encoding: 'bitset-base64',
      members: bitset(split.holdout),
    },
    privacy: fitted.privacy,
    // Fine timings would follow the exact row count: a private card keeps whole seconds.
    timings: dp ? Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])) : timings,
    columns: schema.columns.map((c, i) => ({ name: c.name, kind: c.kind, handling: handling({ ...c, placeholderLengths: input.learnedSchema.columns[i]?.placeholderLengths }, dp) })),
    rules: rules.card,
    ...redrawn(sampled.stats),
    notes: [...input.notes, ...observedRangeNote(sampled.stats)],
  };
  if (input.evaluated) {
    card.evaluation = input.evaluated.evaluation;
    const data = buildReportData({ schema: { ...schema, rules: rules.rules }, real: loaded.table, synthetic: input.evaluated.synthetic, evaluation: input.evaluated.evaluation, card: card as unknown as Record<string, unknown> });
    await staged.writeText(outputs.report, renderReportHtml(data, { mode: 'file' }));
  } else {
    // A report of an earlier run must not sit beside outputs it does not describe.
    staged.removeAtCommit(outputs.report);
  }
  await staged.writeText(outputs.card, JSON.stringify(card, null, 2) + '\n');
  await staged.commit();
  return card;
}

function handling(c: Schema['columns'][number], differentiallyPrivate: boolean): string {
  if (c.exclude) return 'excluded';
  if (c.kind === 'identifier') return c.identifier?.handling === 'drop' ? 'dropped' : 'regenerated in the same format, not learned';
  if (c.kind === 'text') return c.placeholderLengths ? 'not learned; placeholder text (neutral filler words, not from the data) at the real length distribution' : 'not learned; left blank';
  if (c.kind === 'constant') return differentiallyPrivate && !(c.public?.categories?.length === 1) ? 'left blank (its value is private unless declared public)' : 'repeated';
  return c.public?.bounds?.observed ? 'learned; reaches its observed range (declared public)' : 'learned';
}

/** Notes naming the columns whose declared observed range the rows do not reach, and why. */
export function observedRangeNote(stats: SampleStats | undefined): string[] {
  const unreached = stats?.observedUnreached ?? [];
  const why = {
    rules: 'no row among the most extreme could take the bound without breaking a rule the rows keep',
    entities: 'grouping the rows into entities sets these values (a value constant within an entity, or a date of its sequence)',
  } as const;
  return (['rules', 'entities'] as const).flatMap((reason) => {
    const columns = unreached.filter((u) => u.reason === reason).map((u) => u.column);
    return columns.length ? [`The synthetic rows do not reach the observed range declared for ${columns.join(', ')}: ${why[reason]}.`] : [];
  });
}

function bitset(mask: Uint8Array): string {
  const bytes = new Uint8Array(Math.ceil(mask.length / 8));
  for (let i = 0; i < mask.length; i++) if (mask[i]) bytes[i >> 3] |= 1 << (i & 7);
  return Buffer.from(bytes).toString('base64');
}
