import { readCsv, type ReadOptions } from '../csv/reader';
import { InputError } from '../csv/errors';
import { detach } from '../random';
import { isMissingValue, trimValue } from '../schema/infer';
import type { Schema } from '../schema/types';
import type { EntityCodes } from './model';
import type { EntityChain } from '../schema/entities';

/**
 * Each loaded row's entity at every level of the chain (codes in order of first appearance; -1
 * for a missing key), read in one pass with the same row selection as the table, and the real
 * key values (so new keys never repeat one). A nested key is coded within its parent: the same
 * value under two parents is two entities, as the chain reads it.
 */
export async function readEntityCodes(
  file: string,
  schema: Schema,
  chain: EntityChain,
  options: ReadOptions & { select?: (row: number) => boolean },
): Promise<{ codes: EntityCodes; realKeys: Map<string, string[]> }> {
  const levels = chain.levels;
  const maps = levels.map(() => new Map<string, number>());
  const seen = levels.map(() => new Set<string>());
  let capacity = 1024;
  let codes = levels.map(() => new Int32Array(capacity));
  let loaded = 0;
  let dataRow = 0;
  let positions: number[] = [];
  await readCsv(
    file,
    (fields) => {
      const row = dataRow++;
      // Every real key is avoided, held-out rows' too.
      levels.forEach((level, j) => {
        const raw = trimValue(fields[positions[j]] ?? '');
        if (!isMissingValue(raw, level.key) && !seen[j].has(raw)) seen[j].add(detach(raw));
      });
      if (options.select && !options.select(row)) return;
      if (loaded === capacity) {
        capacity *= 2;
        codes = codes.map((c) => {
          const grown = new Int32Array(capacity);
          grown.set(c);
          return grown;
        });
      }
      let path = '';
      levels.forEach((level, j) => {
        const raw = trimValue(fields[positions[j]] ?? '');
        if (isMissingValue(raw, level.key) || (j > 0 && codes[j - 1][loaded] < 0)) {
          codes[j][loaded] = -1;
          return;
        }
        path += (j ? '\u0001' : '') + raw;
        let code = maps[j].get(path);
        if (code === undefined) maps[j].set(detach(path), (code = maps[j].size));
        codes[j][loaded] = code;
      });
      loaded++;
    },
    {
      ...options,
      header: schema.dialect.header,
      onHeader: (header) => {
        positions = levels.map((l) => {
          const at = header.names.indexOf(l.key.name);
          const position = at >= 0 ? at : header.names.length === schema.columns.length ? l.key.index : -1;
          if (position < 0) throw new InputError(`the entity key "${l.key.name}" is not in this file`, { file: options.displayName ?? file, line: 1 });
          return position;
        });
      },
    },
  );
  const realKeys = new Map(levels.map((l, j) => [l.key.name, [...seen[j]]]));
  return { codes: codes.map((c) => c.slice(0, loaded)), realKeys };
}
