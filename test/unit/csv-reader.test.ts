import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCsv } from '../../src/core/csv/reader';
import { InputError } from '../../src/core/csv/errors';
import { tempFile } from '../helpers/files';

async function read(name: string, content: string | Buffer) {
  const rows: { fields: string[]; line: number }[] = [];
  const info = await readCsv(tempFile(name, content), (fields, line) => rows.push({ fields, line }));
  return { info, rows };
}

async function rejectsWith(content: string | Buffer, check: (e: InputError) => boolean, name = 'bad.csv') {
  await assert.rejects(read(name, content), (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.ok(check(e), `unexpected error: ${e.message}`);
    return true;
  });
}

test('sniffs comma, semicolon, tab and pipe delimiters', async () => {
  for (const d of [',', ';', '\t', '|']) {
    const text = ['name', 'age', 'city'].join(d) + '\n' + ['Ann', '34', 'Leeds'].join(d) + '\n' + ['Bob', '51', 'York'].join(d) + '\n';
    const { info, rows } = await read('d.csv', text);
    assert.equal(info.dialect.delimiter, d);
    assert.deepEqual(rows[1].fields, ['Bob', '51', 'York']);
  }
});

test('semicolon files with decimal commas are not mistaken for comma files', async () => {
  const { info, rows } = await read('eu.csv', 'name;weight;height\nAnn;61,5;1,62\nBob;80,2;1,80\nCy;70,0;1,75\n');
  assert.equal(info.dialect.delimiter, ';');
  assert.deepEqual(rows[0].fields, ['Ann', '61,5', '1,62']);
});

test('UTF-8 BOM and CRLF are detected and the BOM is not part of the first name', async () => {
  const { info, rows } = await read('bom.csv', '\uFEFFid,value\r\n1,a\r\n2,b\r\n');
  assert.equal(info.dialect.bom, true);
  assert.equal(info.dialect.lineEnding, '\r\n');
  assert.deepEqual(info.header.names, ['id', 'value']);
  assert.deepEqual(rows.map((r) => r.fields), [['1', 'a'], ['2', 'b']]);
});

test('a file without a header gets positional names', async () => {
  const { info, rows } = await read('noheader.csv', '1,2.5,3\n4,5.5,6\n7,8.5,9\n');
  assert.equal(info.dialect.header, false);
  assert.deepEqual(info.header.names, ['column_1', 'column_2', 'column_3']);
  assert.equal(rows.length, 3);
  assert.match(info.notes.join(' '), /no header row/);
});

test('unnamed and duplicate header names are repaired and noted', async () => {
  const { info } = await read('names.csv', ',age,age,\n1,30,31,x\n2,40,41,y\n');
  assert.deepEqual(info.header.names, ['row_index', 'age', 'age_2', 'unnamed_4']);
  assert.deepEqual(info.header.written, ['', 'age', 'age', '']);
  assert.equal(info.notes.length, 3);
});

test('a ragged row names the file, line and column', async () => {
  await rejectsWith('a,b,c\n1,2,3\n4,5\n', (e) => e.file === 'bad.csv' && e.line === 3 && e.column === 3 && e.columnName === 'c' && /2 fields but the header has 3/.test(e.message));
  await rejectsWith('a,b\n1,2\n3,4,5\n', (e) => e.line === 3 && /3 fields but the header has 2/.test(e.message));
});

test('line numbers count line breaks inside quoted fields', async () => {
  await rejectsWith('a,b\n1,"x\ny\nz"\n2\n', (e) => e.line === 5);
});

test('empty, blank-only and header-only files are clear errors', async () => {
  await rejectsWith('', (e) => /empty/.test(e.message));
  await rejectsWith('\n\n', (e) => /only blank lines/.test(e.message));
  await rejectsWith('a,b,c\n', (e) => e.line === 2 && /header row but no data rows/.test(e.message));
});

test('a file of white space only is refused: no header and no data', async () => {
  await rejectsWith('   \n  \n \t \n', (e) => /only white space: no header and no data/.test(e.message));
  // White space in data cells is only missing values once the header names something.
  const { info } = await read('ok.csv', 'a,b\n , \n1,2\n');
  assert.equal(info.rowCount, 2);
});

test('a NUL byte anywhere, past the sniffed head too, is refused with its line and column', async () => {
  const lines = ['id,name', ...Array.from({ length: 6000 }, (_, i) => `${i},name ${i}`)];
  lines[5000] = '4999,é\u0000x';
  const text = lines.join('\n') + '\n';
  assert.ok(text.indexOf('\u0000') > 64 * 1024, 'beyond the 64 KB head');
  await rejectsWith(text, (e) => e.line === 5001 && e.column === 7 && /NUL byte/.test(e.message));
});

test('a binary file is refused', async () => {
  const bytes = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]);
  await rejectsWith(bytes, (e) => /binary file/.test(e.message), 'archive.csv');
});

test('a non-UTF-8 file names the line and column of the first bad byte', async () => {
  const latin1 = Buffer.concat([Buffer.from('name,town\nAnn,Leeds\nZo'), Buffer.from([0xeb]), Buffer.from(',Paris\n')]);
  await rejectsWith(latin1, (e) => e.line === 3 && e.column === 3 && /not valid UTF-8.*0xEB/.test(e.message));
});

test('UTF-16 files are refused with advice', async () => {
  await rejectsWith(Buffer.from('\uFEFFa,b\n1,2\n', 'utf16le'), (e) => /UTF-16/.test(e.message));
});

test('a missing file is a clear error', async () => {
  await assert.rejects(readCsv('/nonexistent/dir/x.csv', () => undefined), (e: unknown) => e instanceof InputError && /x\.csv: no such file/.test(e.message));
});

test('large files stream in chunks with correct line numbers across chunk boundaries', async () => {
  const lines = ['id,text'];
  for (let i = 0; i < 60000; i++) lines.push(i % 1000 === 0 ? `${i},"multi\nline ""${i}"""` : `${i},value number ${i}`);
  const { info, rows } = await read('big.csv', lines.join('\n') + '\n');
  assert.equal(info.rowCount, 60000);
  assert.equal(rows[1000].fields[1], 'multi\nline "1000"');
  // Rows 0 and 1000 each add one extra physical line before row 1001.
  assert.equal(rows[1001].line, 1001 + 2 + 2);
});

test('errors can name a file by the name the user knows (an output read back from its temporary file)', async () => {
  const staged = tempFile('.twin.csv.synthetic-csv-1-00000000.tmp', 'a,b\n1\n');
  await assert.rejects(readCsv(staged, () => undefined, { displayName: 'twin.csv' }), (e: unknown) => e instanceof InputError && e.file === 'twin.csv' && !e.message.includes('.tmp'));
});
