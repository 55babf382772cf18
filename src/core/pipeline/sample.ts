import { CsvWriter, describeFormulaCells, type FormulaCells } from '../csv/writer';
import type { Generator } from '../generators/types';
import type { StagedOutputs } from '../io/atomic';
import type { Random } from '../random';
import type { RuleLayer } from '../rules/layer';
import { outputColumns, sampleRows, type EntityOptions, type SampleStats } from '../sampler';
import type { ColumnSchema, Schema } from '../schema/types';
import type { TableTransformer } from '../transform/transformer';
import type { Stage } from './stage';

export interface SampleInput {
  generator: Generator;
  transformer: TableTransformer;
  /** The schema the rows are written with, and the rule layer sampling keeps. */
  outputSchema: Schema;
  layer: RuleLayer;
  rows: number;
  /** The staged path of the synthetic CSV. */
  staged: StagedOutputs;
  file: string;
  neutraliseFormulas?: boolean;
  signal?: AbortSignal;
  /** Entities to group the rows into (sampler.ts). */
  entities?: EntityOptions;
}

export interface SampleResult {
  rows: number;
  columns: ColumnSchema[];
  stats?: SampleStats;
  formulaCells: FormulaCells;
  /** Said of formula-like cells, if any. */
  note?: string;
}

/** Sample stage: draw the rows, decode them and write the synthetic CSV (staged). */
export async function sample(input: SampleInput, random: Random, stage: Stage): Promise<SampleResult> {
  const { generator, transformer, outputSchema, layer, rows } = input;
  // Written with the schema the model keeps: with privacy, its formats are neutral or declared.
  const columns = outputColumns(outputSchema);
  stage.phase('sample', `Sampling ${rows} rows`);
  const writer = CsvWriter.forSchema(outputSchema, columns, { neutraliseFormulas: input.neutraliseFormulas });
  const source = await generator.open(rows);
  let stats: SampleStats | undefined;
  try {
    await stage.time('sample', () =>
      input.staged.write(input.file, async (write) => {
        await write(writer.header());
        stats = await sampleRows(
          outputSchema,
          transformer,
          source,
          rows,
          random.nextUint32(),
          async (chunk) => {
            let text = '';
            for (const row of chunk) text += writer.row(row);
            await write(text);
          },
          input.signal,
          layer,
          input.entities,
        );
      }),
    );
  } finally {
    await source.close();
  }
  const formulaCells = writer.formulaCells();
  const note = describeFormulaCells(formulaCells);
  return { rows, columns, ...(stats ? { stats } : {}), formulaCells, ...(note ? { note } : {}) };
}
