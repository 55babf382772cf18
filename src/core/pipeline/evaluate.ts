import * as path from 'node:path';
import { evaluate as evaluateRows } from '../evaluate/evaluate';
import type { Evaluation } from '../evaluate/types';
import type { StagedOutputs } from '../io/atomic';
import type { PrivacyStatement } from '../release/types';
import type { Rule, Schema } from '../schema/types';
import { loadTable, type Table } from '../table';
import type { Split } from './split';
import type { Stage } from './stage';
import type { GenerateOptions, OutputPaths } from './types';

export interface EvaluateInput {
  /** The input's schema, with the rules as the evaluation checks them. */
  schema: Schema;
  rules: Rule[];
  /** The training rows. */
  table: Table;
  split: Split;
  outputs: OutputPaths;
  staged: StagedOutputs;
  privacy: PrivacyStatement;
  seed: number;
}

export interface EvaluateResult {
  evaluation: Evaluation;
  /** The synthetic rows as read back, for the report. */
  synthetic: Table;
}

/** Evaluate stage: fidelity, utility and privacy of the synthetic rows against the real ones. */
export async function evaluate(input: EvaluateInput, options: GenerateOptions, stage: Stage): Promise<EvaluateResult> {
  const { schema, table, split, outputs, staged, privacy } = input;
  stage.phase('evaluate', 'Evaluating fidelity, utility and privacy');
  return stage.time('evaluate', async () => {
    // Read back from its temporary file, but errors name the output, not the temporary file.
    const synthetic = await loadTable(staged.stagedPath(outputs.csv), schema, { displayName: path.basename(outputs.csv) });
    const holdoutTable = split.holdoutCount > 0 ? await loadTable(options.input, schema, { select: (row) => split.holdout[row] === 1 }) : undefined;
    const test = options.testFile ? await loadTable(options.testFile, { ...schema, rowCount: 0 }) : undefined;
    const evaluation = await evaluateRows(
      {
        schema: { ...schema, rules: input.rules },
        real: table,
        synthetic,
        holdout: holdoutTable,
        test,
        names: {
          real: path.basename(options.input),
          synthetic: path.basename(outputs.csv),
          ...(holdoutTable ? { holdout: `${split.holdoutCount} holdout rows of ${path.basename(options.input)}` } : {}),
          ...(options.testFile ? { test: path.basename(options.testFile) } : {}),
        },
        files: { real: options.input, synthetic: staged.stagedPath(outputs.csv) },
        privacy: { differentiallyPrivate: privacy.differentiallyPrivate, epsilon: privacy.epsilon, delta: privacy.delta },
      },
      { target: options.target, protected: options.protectedColumn, seed: input.seed },
    );
    return { evaluation, synthetic };
  });
}
