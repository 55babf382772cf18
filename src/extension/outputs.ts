import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Output names, mirroring the engine's `outputPaths` (src/core/generate.ts) without importing the
 * engine into the extension host: `<name>.synthetic.csv` beside the input, and the card, model and
 * report named after the CSV.
 */
export interface OutputSet {
  csv: string;
  card: string;
  model: string;
  report: string;
}

export function outputsFor(csv: string): OutputSet {
  const base = csv.replace(/\.csv$/i, '');
  return { csv, card: `${base}.json`, model: `${base}.model`, report: `${base}.report.html` };
}

export function defaultOutputs(input: string): OutputSet {
  return outputsFor(path.join(path.dirname(input), `${stem(input)}.synthetic.csv`));
}

/** `patients.csv` → `patients`. */
export function stem(file: string): string {
  return path.basename(file).replace(/\.csv$/i, '');
}

export function existingOutputs(set: OutputSet): string[] {
  return Object.values(set).filter((f) => fs.existsSync(f));
}

/** The first of `<name>.synthetic-2.csv`, `-3`, … whose outputs are all free. */
export function numberedOutputs(input: string): OutputSet {
  for (let n = 2; ; n++) {
    const set = outputsFor(path.join(path.dirname(input), `${stem(input)}.synthetic-${n}.csv`));
    if (existingOutputs(set).length === 0) return set;
  }
}

/** `<name>.schema.json` beside the CSV: the schema generate uses when it exists. */
export function schemaFileFor(csv: string): string {
  return path.join(path.dirname(csv), `${stem(csv)}.schema.json`);
}

/** The synthetic CSV a card, model or report belongs to. */
export function csvForOutput(file: string): string {
  return file.replace(/\.(json|model|report\.html)$/i, '.csv');
}
