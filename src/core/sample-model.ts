import { CsvWriter, type FormulaCells } from './csv/writer';
import { withoutObservedRanges } from './observed-range';
import { FixtureWriter, type FixtureFormat } from './fixtures';
import type { BackendPreference } from './model/backend';
import type { ChunkSource } from './chunk-source';
import { readModelFile } from './generators/model-file';
import { generatorKind } from './generators/registry';
import { outputColumns, regeneratedIdentifiers, sampleRows } from './sampler';
import { compileConditions, type Condition, type RowTest } from './conditions';
import { Random } from './random';
import type { ColumnSchema, Schema } from './schema/types';
import { TableTransformer } from './transform/transformer';
import { RuleLayer } from './rules/layer';

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
  /** Only rows meeting every condition (drawn from the model by rejection). */
  where?: Condition[];
}

/** Candidate rows drawn at most, per requested row and in all, before conditions are given up on. */
const CANDIDATES_PER_ROW = 1000;
const MAX_CANDIDATES = 2_000_000;

/**
 * Sample rows from a saved model file without the original data or retraining, streaming text in
 * the chosen format to `write`.
 */
export async function sampleFromModel(options: SampleModelOptions, write: (text: string) => Promise<void>): Promise<{ formulaCells?: FormulaCells }> {
  const file = await readModelFile(options.model);
  const transformer = TableTransformer.fromJSON(file.transformer);
  const rules = file.rules ? RuleLayer.fromJSON(file.rules) : undefined;
  // The generator learned the schema before the rule layer added its columns.
  const generator = await generatorKind(file.generator ?? 'tvae').load(file, { schema: rules ? rules.learningSchema(file.schema) : file.schema, transformer, backend: options.backend, path: options.model });
  const source = await generator.open(options.rows);
  try {
    const columns = outputColumns(file.schema);
    // Checked before any sampling: an impossible condition is an error, not an empty file.
    const test = options.where?.length ? compileConditions(options.where, file.schema, file.transformer, columns) : undefined;
    const format = options.format ?? 'csv';
    if (options.neutraliseFormulas && format !== 'csv') throw new Error('neutralising formulas applies to CSV output only');
    const csv = format === 'csv' ? CsvWriter.forSchema(file.schema, columns, { neutraliseFormulas: options.neutraliseFormulas }) : undefined;
    const fixture = format === 'csv' ? undefined : new FixtureWriter(format, columns, options.tableName);
    const emit = async (chunk: (string | null)[][]): Promise<void> => {
      if (csv) {
        let text = '';
        for (const row of chunk) text += csv.row(row);
        await write(text);
      } else {
        await write(fixture!.rows(chunk));
      }
    };
    if (test) {
      const rows = await sampleWhere(file.schema, transformer, source, columns, options, test);
      await write(csv ? csv.header() : fixture!.start());
      await emit(rows);
    } else {
      await write(csv ? csv.header() : fixture!.start());
      await sampleRows(file.schema, transformer, source, options.rows, options.seed ?? 0, emit, options.signal, rules, file.entities ? { state: file.entities } : undefined);
    }
    if (fixture) await write(fixture.end());
    return csv ? { formulaCells: csv.formulaCells() } : {};
  } finally {
    await source.close();
    generator.dispose();
  }
}

/**
 * Rows meeting `test`, by rejection from the model: each round draws about as many candidates as
 * the acceptance rate seen so far says are needed (plus a quarter), within a budget of
 * CANDIDATES_PER_ROW per requested row (MAX_CANDIDATES in all). Identifier columns are regenerated
 * once for the kept rows, so they stay unique across rounds.
 */
async function sampleWhere(
  schema: Schema,
  transformer: TableTransformer,
  source: ChunkSource,
  columns: ColumnSchema[],
  options: SampleModelOptions,
  test: RowTest,
): Promise<(string | null)[][]> {
  const wanted = options.rows;
  const budget = Math.min(MAX_CANDIDATES, wanted * CANDIDATES_PER_ROW);
  const random = new Random(options.seed ?? 0);
  const kept: (string | null)[][] = [];
  let drawn = 0;
  while (kept.length < wanted && drawn < budget) {
    const rate = drawn === 0 ? 1 : Math.max(kept.length, 1) / drawn;
    const round = Math.min(budget - drawn, Math.max(256, Math.ceil(((wanted - kept.length) / rate) * 1.25)));
    await sampleRows(withoutObservedRanges(schema), transformer, source, round, random.nextUint32(), (chunk) => {
      for (const row of chunk) if (kept.length < wanted && test(row)) kept.push(row);
    }, options.signal);
    drawn += round;
  }
  const conditions = options.where!.map((c) => c.text).join(' and ');
  if (kept.length < wanted) {
    throw new Error(
      kept.length === 0
        ? `no row met ${conditions} in ${drawn.toLocaleString('en-US')} rows drawn from the model: it (almost) never produces such rows; loosen the conditions`
        : `only ${kept.length} of ${wanted} rows met ${conditions} in ${drawn.toLocaleString('en-US')} rows drawn from the model ` +
            `(about 1 in ${Math.round(drawn / kept.length).toLocaleString('en-US')}); ask for fewer rows or loosen the conditions`,
    );
  }
  const identifiers = await regeneratedIdentifiers(columns, kept.length, random, options.signal);
  columns.forEach((column, c) => {
    const values = identifiers.get(column.name);
    if (values) kept.forEach((row, r) => (row[c] = values[r]));
  });
  return kept;
}
