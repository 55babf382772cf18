import type { Fitted, Phase, Release } from '../generators/types';
import { trainingHistograms } from '../privacy/calibrate';
import type { Random } from '../random';
import type { Schema } from '../schema/types';
import type { Table } from '../table';
import type { TableTransformer } from '../transform/transformer';

export interface Calibrated {
  /** The transformer rows are decoded with (with quantile maps where calibration fitted them). */
  transformer: TableTransformer;
  /** The generator's card parameters, with the columns calibrated. */
  parameters: Record<string, unknown>;
}

/**
 * Calibrate stage: a generator that can drift from the column distributions (the tVAE) is pulled
 * toward them: toward the released histograms with privacy (post-processing, no privacy cost),
 * toward the training columns without. Generators that draw from the histograms need none.
 */
export function calibrate(fitted: Fitted, release: Release, schema: Schema, table: Table, random: Random, phase: Phase): Calibrated {
  const { generator } = fitted;
  if (!generator.calibrate) return { transformer: release.transformer, parameters: fitted.parameters };
  if (release.private) {
    phase('fit', 'Calibrating the model to the released column histograms (post-processing, no privacy cost)');
    const calibrated = generator.calibrate(release.transformer, release.stats.histograms, release.schema.columns.length, random.nextUint32());
    return { transformer: calibrated.transformer, parameters: { ...fitted.parameters, calibratedToRelease: calibrated.calibratedColumns.map((c) => release.schema.columns[c].name) } };
  }
  phase('fit', 'Calibrating the model to the training columns');
  const calibrated = generator.calibrate(release.transformer, trainingHistograms(schema, table), schema.columns.length, random.nextUint32());
  return { transformer: calibrated.transformer, parameters: { ...fitted.parameters, calibratedToTrainingColumns: calibrated.calibratedColumns.map((c) => schema.columns[c].name) } };
}
