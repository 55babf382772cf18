import { CsvWriter, type FormulaCells } from './csv/writer';
import { FixtureWriter, type FixtureFormat } from './fixtures';
import { loadTensorflow, type BackendPreference } from './model/backend';
import { readModelFile } from './model/model-file';
import { Tvae } from './model/tvae';
import { chunkSource, type ChunkSource } from './model/parallel';
import { MarginalsSource } from './privacy/marginals';
import { outputColumns, sampleRows } from './sampler';
import { TableTransformer } from './transform/transformer';

export interface SampleModelOptions {
  model: string;
  rows: number;
  seed?: number;
  format?: FixtureFormat;
  tableName?: string;
  backend?: BackendPreference;
  /** CSV only: prefix cells that start like a spreadsheet formula with `'`. */
  neutraliseFormulas?: boolean;
  signal?: AbortSignal;
}

/**
 * Sample rows from a saved model file without the original data or retraining, streaming text in
 * the chosen format to `write`.
 */
export async function sampleFromModel(options: SampleModelOptions, write: (text: string) => Promise<void>): Promise<{ formulaCells?: FormulaCells }> {
  const file = await readModelFile(options.model);
  const transformer = TableTransformer.fromJSON(file.transformer);
  let model: Tvae | undefined;
  let source: ChunkSource;
  if (file.generator === 'marginals') {
    source = new MarginalsSource(file.schema, file.marginals ?? [], transformer, file.marginalPairs ?? []);
  } else {
    const { tf } = await loadTensorflow(options.backend ?? 'auto');
    model = Tvae.fromJSON(tf, file.tvae!);
    source = await chunkSource(model, options.backend ?? 'auto', options.rows);
  }
  try {
    const columns = outputColumns(file.schema);
    const format = options.format ?? 'csv';
    if (options.neutraliseFormulas && format !== 'csv') throw new Error('neutralising formulas applies to CSV output only');
    const csv = format === 'csv' ? CsvWriter.forSchema(file.schema, columns, { neutraliseFormulas: options.neutraliseFormulas }) : undefined;
    const fixture = format === 'csv' ? undefined : new FixtureWriter(format, columns, options.tableName);
    await write(csv ? csv.header() : fixture!.start());
    await sampleRows(
      file.schema,
      transformer,
      source,
      options.rows,
      options.seed ?? 0,
      async (chunk) => {
        if (csv) {
          let text = '';
          for (const row of chunk) text += csv.row(row);
          await write(text);
        } else {
          await write(fixture!.rows(chunk));
        }
      },
      options.signal,
    );
    if (fixture) await write(fixture.end());
    return csv ? { formulaCells: csv.formulaCells() } : {};
  } finally {
    await source.close();
    model?.dispose();
  }
}
