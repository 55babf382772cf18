import { marginals } from './marginals';
import { pgm } from './pgm';
import { tvae } from './tvae';
import type { GeneratorKind, GeneratorName } from './types';

/** Every generator, in the order the CLI and the extension list them. */
export const GENERATORS: Readonly<Record<GeneratorName, GeneratorKind<any>>> = { tvae, pgm, marginals };

export const GENERATOR_NAMES = Object.keys(GENERATORS) as GeneratorName[];

export function generatorKind(name: string): GeneratorKind {
  const kind = (GENERATORS as Record<string, GeneratorKind | undefined>)[name];
  if (!kind) throw new Error(`unknown generator "${name}" (generators: ${GENERATOR_NAMES.join(', ')})`);
  return kind;
}
