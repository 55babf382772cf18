import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { CsvParser, CsvSyntaxError } from './parser';
import { sniffDialect } from './dialect';
import { InputError } from './errors';
import type { Dialect } from '../schema/types';

export interface CsvHeader {
  /** Unique, non-empty column names used everywhere in the engine. */
  names: string[];
  /** The header cells as written (empty when the file has no header row). */
  written: string[];
  quoted: boolean;
}

export interface CsvFileInfo {
  file: string;
  bytes: number;
  dialect: Dialect;
  header: CsvHeader;
  rowCount: number;
  /** Repairs made while reading, in words (unnamed or duplicate columns). */
  notes: string[];
}

export interface ReadOptions {
  /** Report which fields were quoted (schema inference wants it; training does not). */
  trackQuoted?: boolean;
  /** Stop reading as soon as this is aborted; the read rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Whether the first record is a header, overriding the sniffed answer (a schema's dialect.header). */
  header?: boolean;
  /** Called once with the header, before any row. */
  onHeader?: (header: CsvHeader) => void;
  /** The name errors give the file (default: its base name), e.g. an output for its staged copy. */
  displayName?: string;
  /** Called as bytes are consumed, for progress bars. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** One data row: raw field texts (untrimmed), the line it starts on, which fields were quoted. */
export type RowHandler = (fields: string[], line: number, quoted: boolean[] | undefined) => void;

const SNIFF_BYTES = 64 * 1024;
/**
 * Node's own default. Larger chunks decode to strings V8 keeps outside its young generation (an
 * external string per megabyte read, a second copy when the parser joins it to the carried
 * record), freed only by a full collection: reading in 1 MB chunks left 60-110 MB of such garbage
 * at the schema pass's peak on a 64 MB file. At 64 KB each chunk dies young.
 */
const CHUNK_BYTES = 64 * 1024;

/**
 * Stream a CSV file once, calling `onRow` for every data row. Memory is bounded by the chunk size
 * and the longest record, whatever the file size. Errors name the file, line and column.
 */
export async function readCsv(file: string, onRow: RowHandler, options: ReadOptions = {}): Promise<CsvFileInfo> {
  const display = options.displayName ?? path.basename(file);
  const stat = await statFile(file, display);
  if (stat.size === 0) throw new InputError('the file is empty', { file: display });

  const head = await readHead(file, Math.min(SNIFF_BYTES, stat.size));
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new InputError('the file is UTF-16 encoded; save it as UTF-8 (CSV UTF-8 in Excel)', { file: display, line: 1 });
  }
  checkNotBinary(head, display);
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  const headText = new StringDecoder('utf8').write(head.subarray(bom ? 3 : 0));
  const notes: string[] = [];
  const sniffNotes: string[] = [];
  const dialect = sniffDialect(headText, bom, stat.size <= SNIFF_BYTES, sniffNotes);
  if (options.header !== undefined && options.header !== dialect.header) {
    dialect.header = options.header;
    notes.push(options.header ? 'The first row is read as the header, as requested.' : 'The first row is read as data, as requested; columns are named column_1, column_2, ...');
  } else {
    notes.push(...sniffNotes);
  }

  let header: CsvHeader | undefined;
  let rowCount = 0;
  let expectedFields = -1;
  /** Whether any cell, header included, holds more than white space (checked until one does). */
  let sawText = false;

  const parser = new CsvParser({ delimiter: dialect.delimiter, quote: dialect.quote, trackQuoted: true }, (record) => {
    sawText ||= record.fields.some((field) => field.trim() !== '');
    if (!header) {
      expectedFields = record.fields.length;
      if (dialect.header) {
        header = buildHeader(record.fields, record.quoted?.every(Boolean) ?? false, notes);
        options.onHeader?.(header);
        return;
      }
      header = {
        names: record.fields.map((_, i) => `column_${i + 1}`),
        written: [],
        quoted: false,
      };
      if (!notes.length) notes.push('The file has no header row; columns are named column_1, column_2, ...');
      options.onHeader?.(header);
    }
    if (record.fields.length !== expectedFields) {
      const got = record.fields.length;
      throw new InputError(
        `this row has ${got} field${got === 1 ? '' : 's'} but the header has ${expectedFields}` +
          (got > expectedFields
            ? ' (an unquoted delimiter inside a value? quote values that contain the delimiter)'
            : ' (a missing delimiter, or a line break inside an unquoted value?)'),
        {
          file: display,
          line: record.line,
          column: Math.min(got, expectedFields) + 1,
          columnName: got > expectedFields ? undefined : header.names[got],
        },
      );
    }
    rowCount++;
    onRow(record.fields, record.line, options.trackQuoted ? record.quoted : undefined);
  });

  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let bytesRead = 0;
  const stream = fs.createReadStream(file, { highWaterMark: CHUNK_BYTES, start: bom ? 3 : 0 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      // The head was checked for binary content; a NUL byte further on is still not CSV text.
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        const at = await positionOf(file, (bom ? 3 : 0) + bytesRead + nul);
        throw new InputError('a NUL byte (character code 0) is not CSV text: is the file corrupted, or partly binary?', { file: display, ...at });
      }
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw await encodingError(file, display, (bom ? 3 : 0) + bytesRead + firstInvalidUtf8(chunk));
      }
      bytesRead += chunk.length;
      parseChunk(parser, text, display, header);
      options.onProgress?.(bytesRead, stat.size);
    }
    let tail: string;
    try {
      tail = decoder.decode();
    } catch {
      throw await encodingError(file, display, stat.size - 1);
    }
    parseChunk(parser, tail, display, header);
    try {
      parser.end();
    } catch (e) {
      throw syntaxToInput(e, display, header);
    }
  } finally {
    stream.destroy();
  }

  if (!header) throw new InputError('the file holds only blank lines', { file: display });
  if (!sawText) throw new InputError('the file holds only white space: no header and no data', { file: display });
  if (rowCount === 0) {
    throw new InputError(dialect.header ? 'the file has a header row but no data rows' : 'the file has no data rows', {
      file: display,
      line: 2,
    });
  }
  return { file, bytes: stat.size, dialect, header, rowCount, notes };
}

function parseChunk(parser: CsvParser, text: string, display: string, header: CsvHeader | undefined): void {
  try {
    parser.push(text);
  } catch (e) {
    throw syntaxToInput(e, display, header);
  }
}

function syntaxToInput(e: unknown, display: string, _header: CsvHeader | undefined): unknown {
  if (e instanceof CsvSyntaxError) return new InputError(e.detail, { file: display, line: e.line, column: e.column });
  return e;
}

/**
 * Unnamed columns get a positional name and duplicates a numeric suffix; both are noted, and the
 * written header is kept so output files carry the original header text.
 */
function buildHeader(cells: string[], quoted: boolean, notes: string[]): CsvHeader {
  const written = cells.slice();
  const names: string[] = [];
  const used = new Set<string>();
  cells.forEach((cell, i) => {
    let name = cell.trim();
    if (name === '') {
      name = i === 0 ? 'row_index' : `unnamed_${i + 1}`;
      notes.push(`Column ${i + 1} has no name in the header; it is called "${name}".`);
    }
    if (used.has(name)) {
      let k = 2;
      while (used.has(`${name}_${k}`)) k++;
      notes.push(`Column ${i + 1} repeats the name "${name}"; it is called "${name}_${k}".`);
      name = `${name}_${k}`;
    }
    used.add(name);
    names.push(name);
  });
  return { names, written, quoted };
}

async function statFile(file: string, display: string): Promise<fs.Stats> {
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) throw new InputError('is not a file', { file: display });
    return stat;
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(e)})`, { file: display });
  }
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function checkNotBinary(head: Buffer, display: string): void {
  const limit = Math.min(head.length, 8192);
  let controls = 0;
  for (let i = 0; i < limit; i++) {
    const b = head[i];
    if (b === 0) {
      const line = countLines(head, i);
      throw new InputError(`this is a binary file, not CSV text (a NUL byte at byte ${i + 1})`, { file: display, line });
    }
    if (b < 9 || (b > 13 && b < 32 && b !== 27)) controls++;
  }
  if (limit > 0 && controls / limit > 0.1) {
    throw new InputError('this looks like a binary file, not CSV text (many control bytes)', { file: display, line: 1 });
  }
}

function countLines(buffer: Buffer, end: number): number {
  let line = 1;
  for (let i = 0; i < end; i++) if (buffer[i] === 10) line++;
  return line;
}

/** Byte offset, within `chunk`, of the first byte that breaks UTF-8 (chunk start counts as 0). */
function firstInvalidUtf8(chunk: Buffer): number {
  let i = 0;
  while (i < chunk.length) {
    const b = chunk[i];
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    if (i + need >= chunk.length) return i; // sequence cut by the chunk end: decoder carries it
    for (let k = 1; k <= need; k++) if ((chunk[i + k] & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return Math.max(0, chunk.length - 1);
}

async function encodingError(file: string, display: string, offset: number): Promise<InputError> {
  const handle = await fs.promises.open(file, 'r');
  const bad = Buffer.alloc(1);
  try {
    await handle.read(bad, 0, 1, offset);
  } finally {
    await handle.close();
  }
  return new InputError(
    `the file is not valid UTF-8 (byte 0x${bad[0].toString(16).toUpperCase().padStart(2, '0')}); ` +
      'it may be Latin-1 or Windows-1252: re-save it as UTF-8 (e.g. `iconv -f WINDOWS-1252 -t UTF-8`)',
    { file: display, ...(await positionOf(file, offset)) },
  );
}

/**
 * Line and column of a byte offset. Only on error paths: it re-reads the file up to the offset.
 * The column counts characters when the line so far is valid UTF-8, bytes otherwise.
 */
async function positionOf(file: string, offset: number): Promise<{ line: number; column: number }> {
  const handle = await fs.promises.open(file, 'r');
  try {
    let line = 1;
    let lineStart = 0;
    const buffer = Buffer.alloc(1024 * 1024);
    for (let pos = 0; pos < offset; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, offset - pos), pos);
      if (bytesRead === 0) break;
      for (let i = 0; i < bytesRead; i++) {
        if (buffer[i] === 10) {
          line++;
          lineStart = pos + i + 1;
        }
      }
      pos += bytesRead;
    }
    const before = Buffer.alloc(Math.min(offset - lineStart, 1 << 20));
    await handle.read(before, 0, before.length, offset - before.length);
    let column = offset - lineStart + 1;
    if (before.length === offset - lineStart) {
      try {
        column = new TextDecoder('utf-8', { fatal: true }).decode(before).length + 1;
      } catch {
        // Invalid UTF-8 before the offset: count bytes.
      }
    }
    return { line, column };
  } finally {
    await handle.close();
  }
}
