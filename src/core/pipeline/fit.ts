import type { FitInput, Fitted, GeneratorKind } from '../generators/types';

/** Fit stage: the chosen generator learns from the release and the training rows. */
export function fit(generator: GeneratorKind, input: FitInput): Promise<Fitted> {
  return generator.fit(input);
}
