import type { EntityModelState } from '../entities/model';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../csv/errors';
import type { Schema } from '../schema/types';
import type { TransformerState } from '../transform/transformer';
import type { TvaeWeights } from '../model/tvae';
import type { GeneratorName } from './types';
import type { RuleLayerState } from '../rules/layer';
import type { ColumnHistogram, PairHistogram } from '../release/types';
import type { PgmState } from '../pgm/model';

/**
 * A trained model in one file: the schema (formats and kinds needed to write rows), the column
 * transformer's fitted state and the network weights. Enough to sample more rows later without
 * the original data or retraining.
 */
export interface ModelFile {
  format: 'synthetic-csv-model';
  version: 1;
  generator: GeneratorName;
  createdAt: string;
  software: string;
  backend: string;
  seed: number;
  /** Schema the rows are written with (structure only for private models). */
  schema: Schema;
  transformer: TransformerState;
  /** The network, for the tvae generator. */
  tvae?: TvaeWeights;
  /** Released noisy histograms, for the marginals generator. */
  marginals?: (ColumnHistogram | undefined)[];
  /** Released joint histograms of the marginals generator's column pairs. */
  marginalPairs?: PairHistogram[];
  /** The fitted graphical model, for the pgm generator. */
  pgm?: PgmState;
  /**
   * DP tvae: the model fitted to the privately measured pairs, whose marginals the network's rows
   * are raked to (calibrate/marginals-rake.ts); `sample` applies it too.
   */
  raking?: PgmState;
  /** The rule layer: rules kept by construction, with their mappings, so `sample` keeps them too. */
  rules?: RuleLayerState;
  /** The entities' shape (rows per entity, nesting, date spacing), so `sample` keeps it too. */
  entities?: EntityModelState;
  /** Differential-privacy statement carried with the model, as in the metadata card. */
  privacy: { differentiallyPrivate: boolean; epsilon?: number; delta?: number };
}

export function modelToJson(model: ModelFile): string {
  return JSON.stringify(model);
}

export async function readModelFile(file: string): Promise<ModelFile> {
  const display = path.basename(file);
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`, { file: display });
  }
  let model: ModelFile;
  try {
    model = JSON.parse(text) as ModelFile;
  } catch {
    throw new InputError('is not a synthetic-csv model file (not JSON)', { file: display });
  }
  if (model?.format !== 'synthetic-csv-model') throw new InputError('is not a synthetic-csv model file', { file: display });
  if (model.version !== 1) throw new InputError(`model file version ${model.version} is not supported by this version`, { file: display });
  return model;
}
