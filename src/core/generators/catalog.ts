import type { GeneratorName } from './types';

/**
 * What each generator is, in words, for every place that offers the choice: the CLI's help, the
 * extension's quick pick and its setting (package.nls.json holds the same descriptions, which a
 * test keeps equal). No code here, so the extension can import it without the engine.
 */
export interface GeneratorInfo {
  /** A few words, for the CLI's help. */
  summary: string;
  /** One line, for the quick pick and the setting. */
  description: string;
  /** Runs only with differential privacy. */
  privateOnly: boolean;
}

export const GENERATOR_INFO: Readonly<Record<GeneratorName, GeneratorInfo>> = {
  tvae: {
    summary: 'neural network',
    description: 'A neural network (tVAE) trained on all columns together, with DP-SGD under differential privacy: best statistics; minutes.',
    privateOnly: false,
  },
  pgm: {
    summary: 'DP graphical model of privately chosen column pairs, seconds',
    description: 'Column pairs chosen and measured with differential privacy (MST), fitted as one graphical model: keeps the strongest relationships; seconds.',
    privateOnly: true,
  },
  marginals: {
    summary: 'independent columns, seconds',
    description: 'Low fidelity: each column drawn from its own noisy histogram, independently of the others; seconds.',
    privateOnly: true,
  },
};

/** Every generator, in the order the CLI and the extension list them. */
export const GENERATOR_NAMES = Object.keys(GENERATOR_INFO) as GeneratorName[];

/** "tvae, pgm or marginals" (or the given words, one per generator). */
export function generatorList(words: readonly string[] = GENERATOR_NAMES): string {
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** The extension's privacy modes are `dp-<generator>`, and `none`: the tVAE without privacy. */
export function generatorOfMode(mode: 'none' | `dp-${GeneratorName}`): GeneratorName {
  return mode === 'none' ? 'tvae' : (mode.slice('dp-'.length) as GeneratorName);
}
