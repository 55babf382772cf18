import { placeholderText } from './placeholder-text';
import { columnTexts } from './output';
import { Random } from './random';
import { regenerateIdentifiersAsync } from './schema/identifiers';
import type { ColumnSchema, Schema } from './schema/types';
import type { TableTransformer } from './transform/transformer';
import { encodedChunkRows, type ChunkSource, type EncodedRows } from './chunk-source';
import type { RuleLayer } from './rules/layer';
import type { ColumnData, Table } from './table';
import { EntityAssembler, type AssemblyStats } from './entities/assemble';
import { reachObservedRanges, type UnreachedRange } from './observed-range';
import type { EntityModelState } from './entities/model';

/** Output columns in file order: excluded columns and identifiers marked `drop` are absent. */
export function outputColumns(schema: Schema): ColumnSchema[] {
  return schema.columns.filter((c) => !c.exclude && !(c.kind === 'identifier' && c.identifier?.handling === 'drop'));
}

const CHUNK_ROWS = 4096;
/** Chunks requested ahead, so that worker threads sample while this thread decodes. */
const CHUNKS_AHEAD = 4;

/**
 * Regenerated values of the identifier columns among `columns`, `rows` each (unique where the
 * format requires), missing at the schema's rate. Gives the event loop turns while it works, so
 * that `signal` (and Ctrl+C) is honoured promptly even for millions of rows.
 */
export async function regeneratedIdentifiers(columns: ColumnSchema[], rows: number, random: Random, signal?: AbortSignal): Promise<Map<string, (string | null)[]>> {
  const identifiers = new Map<string, (string | null)[]>();
  for (const column of columns) {
    if (column.kind !== 'identifier' || !column.identifier) continue;
    const values: (string | null)[] = await regenerateIdentifiersAsync(column.identifier, rows, random, undefined, signal);
    for (let r = 0; r < rows; r++) if (random.next() < column.missingRate) values[r] = null;
    identifiers.set(column.name, values);
  }
  return identifiers;
}

/**
 * Rows that break a rule the construction could not cover are drawn again, at most this many
 * times per chunk (each time 1.5 times as many rows as are missing, plus 16); rows still broken
 * after that are kept and counted, never silently dropped.
 */
export const REDRAW_LIMIT = 5;

export interface SampleStats {
  /** Rows drawn in all, and rows drawn again because they broke an enforced rule. */
  drawn: number;
  rejected: number;
  /** Rows written although they break an enforced rule (redraws exhausted). */
  stillBroken: number;
  /** Columns declared with an observed range that the rows do not reach, and why (observed-range.ts). */
  observedUnreached?: UnreachedRange[];
  /** With entities: how rows were grouped (entities/assemble.ts). */
  entities?: AssemblyStats & { truncated: boolean; counts: number[] };
}

/** Entities to group the rows into: the model's entity shape, and real keys never to reuse. */
export interface EntityOptions {
  state: EntityModelState;
  avoid?: ReadonlyMap<string, readonly string[]>;
}

/**
 * Sample `rows` rows and hand them out in chunks of text cells (null = missing), in
 * `outputColumns(schema)` order. Memory stays bounded by the chunk size whatever `rows` is, apart
 * from regenerated identifier columns, which must be unique across the whole output.
 *
 * Columns the model does not learn: identifiers are regenerated in the same format (never learned
 * from values), missing at the schema's rate; free-text columns get placeholder text at the
 * model's length distribution (`placeholderLengths`), or are left blank (missing) without one;
 * constants repeat their value.
 */
export async function sampleRows(
  schema: Schema,
  transformer: TableTransformer,
  source: ChunkSource,
  rows: number,
  seed: number,
  onChunk: (cells: (string | null)[][], done: number) => Promise<void> | void,
  signal?: AbortSignal,
  rules?: RuleLayer,
  entities?: EntityOptions,
): Promise<SampleStats> {
  const stats: SampleStats = { drawn: 0, rejected: 0, stillBroken: 0 };
  const random = new Random(seed);
  const chunkSeeds = random.fork();
  const identifierRandom = random.fork();
  const decodeRandom = random.fork();
  const textRandom = random.fork();
  const columns = outputColumns(schema);
  // Forked after the others, so files without entities draw exactly as before.
  const assembler = entities ? await EntityAssembler.create(entities.state, schema, rows, random.fork(), entities.avoid, signal) : undefined;
  const identifiers = await regeneratedIdentifiers(
    assembler ? columns.filter((c) => !assembler.ownsIdentifier(c.name) || assembler.constantIdentifier(c.name)) : columns,
    rows,
    identifierRandom,
    signal,
  );
  const redrawBroken = async (decoded: ColumnData[], n: number): Promise<void> => {
    const broken = (columns: ColumnData[], rows: number): number[] => {
      const test = rules!.rowTest(schema, { rowCount: rows, columns, rowIndex: new Int32Array(0) });
      const out: number[] = [];
      for (let r = 0; r < rows; r++) if (!test(r)) out.push(r);
      return out;
    };
    let bad = broken(decoded, n);
    for (let attempt = 0; bad.length && attempt < REDRAW_LIMIT; attempt++) {
      stats.rejected += bad.length;
      const m = Math.ceil(bad.length * 1.5) + 16;
      const extra = transformer.decode(await source.sample(m, chunkSeeds.nextUint32()), m, schema.columns.length, decodeRandom);
      stats.drawn += m;
      rules!.inverse(schema, extra, m);
      const good = new Set(Array.from({ length: m }, (_, r) => r));
      for (const r of broken(extra, m)) good.delete(r);
      const replacements = [...good];
      const filled = bad.slice(0, replacements.length);
      filled.forEach((row, k) => copyRow(decoded, row, extra, replacements[k]));
      bad = bad.slice(replacements.length);
    }
    stats.stillBroken += bad.length;
  };
  const chunks: { rows: number; pool: number; matrix: Promise<EncodedRows> }[] = [];
  // On wide files, fewer rows a chunk: the chunks in flight stay within MAX_ENCODED_BYTES.
  const chunkRows = encodedChunkRows(transformer.width, CHUNK_ROWS, CHUNKS_AHEAD);
  let requested = 0;
  const request = (): void => {
    const n = Math.min(chunkRows, rows - requested);
    // Entities pick each row from a pool of candidates (their constants matched).
    const pool = assembler ? assembler.poolSize(n) : n;
    chunks.push({ rows: n, pool, matrix: source.sample(pool, chunkSeeds.nextUint32()) });
    requested += n;
  };
  try {
    for (let done = 0; done < rows; ) {
      while (requested < rows && chunks.length < CHUNKS_AHEAD) request();
      if (signal?.aborted) throw signal.reason ?? new Error('cancelled');
      const chunk = chunks.shift()!;
      const n = chunk.rows;
      const matrix = await chunk.matrix;
      let decoded: ColumnData[] = transformer.decode(matrix, chunk.pool, schema.columns.length, decodeRandom);
      stats.drawn += chunk.pool;
      if (rules && !rules.isEmpty) {
        rules.inverse(schema, decoded, chunk.pool);
        await redrawBroken(decoded, chunk.pool);
      }
      if (assembler) {
        const keep = rules && !rules.isEmpty ? (table: Table) => rules.rowTest(schema, table) : undefined;
        decoded = assembler.assemble(decoded, chunk.pool, done, n, keep);
      }
      if (done === 0 && schema.columns.some((c) => c.public?.bounds?.observed)) {
        const keepsRules = rules && !rules.isEmpty ? rules.rowTest(schema, { rowCount: n, columns: decoded, rowIndex: new Int32Array(0) }) : () => true;
        const unreached = reachObservedRanges(schema, decoded, n, keepsRules, (index) => assembler?.setsColumn(index) ?? false);
        if (unreached.length) stats.observedUnreached = unreached;
      }
      const texts = columns.map((column) => {
        if (assembler?.ownsIdentifier(column.name)) return assembler.identifierTexts(column.name, done, n, identifiers.get(column.name));
        if (column.kind === 'identifier') return identifiers.get(column.name)!.slice(done, done + n);
        const lengths = column.kind === 'text' ? column.placeholderLengths : undefined;
        if (lengths) return Array.from({ length: n }, () => placeholderText(lengths, textRandom));
        return columnTexts(column, decoded[column.index], n) ?? new Array<string | null>(n).fill(null);
      });
      const cells: (string | null)[][] = new Array(n);
      for (let r = 0; r < n; r++) {
        const row = new Array<string | null>(columns.length);
        for (let c = 0; c < columns.length; c++) row[c] = texts[c][r];
        cells[r] = row;
      }
      done += n;
      await onChunk(cells, done);
    }
    if (assembler) stats.entities = { ...assembler.stats, truncated: assembler.plan.truncated, counts: assembler.plan.counts };
    return stats;
  } finally {
    // Settle what is still in flight so no worker reply arrives after we return.
    await Promise.allSettled(chunks.map((c) => c.matrix));
  }
}

/** Copy row `from` of `source` into row `to` of `target` (categories matched by value). */
function copyRow(target: ColumnData[], to: number, source: ColumnData[], from: number): void {
  target.forEach((column, c) => {
    const other = source[c];
    if (column.type === 'numeric' && other.type === 'numeric') column.values[to] = other.values[from];
    else if (column.type === 'categorical' && other.type === 'categorical') {
      const code = other.codes[from];
      if (code < 0) {
        column.codes[to] = -1;
        return;
      }
      let k = column.levels.indexOf(other.levels[code]);
      if (k < 0) {
        // Level lists may be shared with the transformer: extend a copy.
        target[c] = column = { ...column, levels: [...column.levels, other.levels[code]] };
        k = column.levels.length - 1;
      }
      column.codes[to] = k;
    }
  });
}
