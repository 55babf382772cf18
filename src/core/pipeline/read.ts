import * as path from 'node:path';
import { InputError } from '../csv/errors';
import { readCsv } from '../csv/reader';
import { StagedOutputs } from '../io/atomic';
import { inferSchema } from '../schema/infer';
import type { Schema } from '../schema/types';
import type { Stage } from './stage';
import type { GenerateOptions, OutputPaths } from './types';

export interface ReadResult {
  outputs: OutputPaths;
  /** Every output is written here first and committed all at once, or not at all. */
  staged: StagedOutputs;
  /** The schema given or inferred, with this file's row count. */
  schema: Schema;
}

/** `<name>.synthetic.csv` beside the input unless `out` says otherwise; the rest follow the CSV. */
export function outputPaths(input: string, out?: string): OutputPaths {
  const csv = out ?? path.join(path.dirname(input), `${path.basename(input).replace(/\.csv$/i, '')}.synthetic.csv`);
  const base = csv.replace(/\.csv$/i, '');
  return { csv, card: `${base}.json`, model: `${base}.model`, report: `${base}.report.html` };
}

/** Read stage: the outputs checked before any long work, then the input read for its schema. */
export async function read(options: GenerateOptions, stage: Stage): Promise<ReadResult> {
  const outputs = outputPaths(options.input, options.out);
  if (path.resolve(outputs.csv) === path.resolve(options.input)) {
    throw new InputError('the output would replace the input file; choose another --out', { file: path.basename(options.input) });
  }
  const staged = new StagedOutputs(options.force ?? false);
  // Before any long work: the folder is writable, and no output is in the way.
  staged.checkTargets(Object.values(outputs));
  stage.phase('schema', `Reading ${path.basename(options.input)}`);
  // A given schema may come from another file: the row count is this file's own.
  const schema = options.schema
    ? { ...options.schema, rowCount: (await readCsv(options.input, () => undefined, { signal: options.signal, header: options.schema.dialect.header })).rowCount }
    : await stage.time('schema', () => inferSchema(options.input, { signal: options.signal, ...(options.privacyUnit && options.privacyUnit !== 'row' ? { personKey: options.privacyUnit } : {}) }));
  return { outputs, staged, schema };
}
