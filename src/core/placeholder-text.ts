import type { Random } from './random';

/**
 * Placeholder text for free-text columns: neutral filler words written for this project (never
 * words from the data), at lengths drawn from the real column's length histogram. The histogram's
 * bins are fixed in advance (powers of two), so only their counts come from the private rows.
 */
export const LENGTH_BIN_EDGES: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];

/**
 * Counts of values per length bin [edge k, edge k+1), then one last count of missing values
 * (a length below 0; an empty value counts as missing too).
 */
export function lengthHistogram(lengths: Iterable<number>): number[] {
  const bins = LENGTH_BIN_EDGES.length - 1;
  const counts = new Array<number>(bins + 1).fill(0);
  for (const length of lengths) counts[length < 1 ? bins : lengthBin(length)]++;
  return counts;
}

function lengthBin(length: number): number {
  let k = 0;
  while (k < LENGTH_BIN_EDGES.length - 2 && length >= LENGTH_BIN_EDGES[k + 1]) k++;
  return k;
}

export const PLACEHOLDER_WORDS: readonly string[] = [
  'lorem', 'ipsum', 'dolor', 'sit', 'amet', 'varo', 'tesil', 'mondra', 'pelto', 'quarn', 'vellis', 'orado',
  'sume', 'plinta', 'dastro', 'kelvo', 'miran', 'tolva', 'resto', 'vanda', 'nulo', 'ferra', 'cadis', 'opal',
  'sentra', 'lumo', 'bravis', 'elto', 'gamra', 'hesto', 'iuva', 'jorra', 'kalis', 'morva', 'nesti', 'oltra',
  'prava', 'quilo', 'ruvas', 'salta', 'tenno', 'ulvo', 'vesca', 'wendo', 'xilra', 'yanto', 'zerva', 'ambo',
];

/** Filler text of exactly `length` characters: words joined by spaces, sentences ended by a full stop. */
export function placeholderOfLength(length: number, random: Random): string {
  let text = '';
  let wordsInSentence = 0;
  while (text.length < length) {
    const word = PLACEHOLDER_WORDS[Math.floor(random.next() * PLACEHOLDER_WORDS.length)];
    const start = wordsInSentence === 0 ? word[0].toUpperCase() + word.slice(1) : word;
    wordsInSentence++;
    const end = wordsInSentence >= 8 && random.next() < 0.3 ? '.' : '';
    if (end) wordsInSentence = 0;
    text += (text ? ' ' : '') + start + end;
  }
  return text.slice(0, length).trimEnd().padEnd(length, '.');
}

/** One placeholder value from a lengthHistogram: a bin drawn by count, a length uniform within it; null when missing. */
export function placeholderText(counts: readonly number[], random: Random): string | null {
  const k = random.categorical(counts);
  if (k >= LENGTH_BIN_EDGES.length - 1) return null;
  const lo = LENGTH_BIN_EDGES[k];
  const hi = LENGTH_BIN_EDGES[k + 1];
  return placeholderOfLength(lo + Math.floor(random.next() * (hi - lo)), random);
}
