import { marginals } from './marginals';
import { pgm } from './pgm';
import { tvae } from './tvae';
import { GENERATOR_NAMES } from './catalog';
import type { GeneratorKind, GeneratorName } from './types';

/** Every generator, by name (catalog.ts lists them, with their descriptions). */
export const GENERATORS: Readonly<Record<GeneratorName, GeneratorKind>> = { tvae, pgm, marginals };

export function generatorKind(name: string): GeneratorKind {
  const kind = (GENERATORS as Record<string, GeneratorKind | undefined>)[name];
  if (!kind) throw new Error(`unknown generator "${name}" (generators: ${GENERATOR_NAMES.join(', ')})`);
  return kind;
}
