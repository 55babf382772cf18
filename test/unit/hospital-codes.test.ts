/**
 * Hospital-shaped columns: drug-like codes with hundreds of values are learned, not blanked, and
 * free-text notes get neutral placeholder text at the real length distribution.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { evaluate } from '../../src/core/evaluate/evaluate';
import { generate } from '../../src/core/generate';
import { buildReportData } from '../../src/core/report/data';
import { LENGTH_BIN_EDGES, lengthHistogram, placeholderText, PLACEHOLDER_WORDS } from '../../src/core/placeholder-text';
import { softmaxTargets, trainingHistograms } from '../../src/core/privacy/calibrate';
import { Random } from '../../src/core/random';
import { inferSchema } from '../../src/core/schema/infer';
import { loadTable } from '../../src/core/table';
import { DEFAULT_LEVEL_CAP, TableTransformer } from '../../src/core/transform/transformer';
import { tempDir } from '../helpers/files';

const CODES = 600;
const NOTE_WORDS = ['patient', 'stable', 'discharged', 'home', 'review', 'clinic', 'bloods', 'normal', 'follow', 'weeks', 'pain', 'improved'];

/** 3,000 rows: a Zipf-like drug code over 600 values (each seen at least twice), a ward and a note. */
function fixture(dir: string): { file: string; drugs: string[]; notes: string[] } {
  const random = new Random(7);
  const weights = Array.from({ length: CODES }, (_, i) => 1 / (i + 1));
  const drugs: string[] = [];
  for (let i = 0; i < CODES; i++) drugs.push(`DRUG${i}`, `DRUG${i}`);
  while (drugs.length < 3000) drugs.push(`DRUG${random.categorical(weights)}`);
  const notes = drugs.map(() => {
    const words = 1 + Math.floor(random.next() * (random.next() < 0.5 ? 6 : 40));
    return Array.from({ length: words }, () => NOTE_WORDS[Math.floor(random.next() * NOTE_WORDS.length)]).join(' ');
  });
  const lines = ['drug,ward,note'];
  drugs.forEach((d, i) => lines.push(`${d},${i % 3 === 0 ? 'A' : 'B'},${i % 10 === 0 ? '' : notes[i]}`));
  const file = path.join(dir, 'prescriptions.csv');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return { file, drugs, notes: notes.filter((_, i) => i % 10 !== 0) };
}

function totalVariationComplement(a: readonly string[], b: readonly string[]): number {
  const count = (xs: readonly string[]): Map<string, number> => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
  const ca = count(a);
  const cb = count(b);
  let sum = 0;
  for (const key of new Set([...ca.keys(), ...cb.keys()])) sum += Math.abs((ca.get(key) ?? 0) / a.length - (cb.get(key) ?? 0) / b.length);
  return 1 - sum / 2;
}

test('a 600-level code column is inferred categorical and a notes column stays text', async () => {
  const dir = tempDir();
  const { file } = fixture(dir);
  const schema = await inferSchema(file);
  const drug = schema.columns.find((c) => c.name === 'drug')!;
  const note = schema.columns.find((c) => c.name === 'note')!;
  assert.equal(drug.kind, 'categorical');
  assert.equal(drug.categories?.length, CODES);
  assert.ok(drug.warnings?.some((w) => w.includes('learned as codes')));
  assert.equal(note.kind, 'text');
});

test('a partly numeric dose column keeps its common values as categories', async () => {
  const dir = tempDir();
  const doses = ['1', '0.5', '1-2', '2', '10', '100', '250', '0.25', '5-10'];
  const extra = Array.from({ length: 300 }, (_, i) => String(i + 1000));
  const values = [...extra, ...extra, ...extra, ...Array.from({ length: 900 }, (_, i) => doses[i % doses.length])];
  const file = path.join(dir, 'doses.csv');
  fs.writeFileSync(file, 'dose_val_rx\n' + values.join('\n') + '\n');
  const schema = await inferSchema(file);
  const dose = schema.columns[0];
  assert.equal(dose.kind, 'categorical');
  for (const d of doses) assert.ok(dose.categories?.some((c) => c.value === d), d);
});

test('beyond the level cap, rare codes are pooled and decoded back to real rare values by frequency', async () => {
  const dir = tempDir();
  const { file, drugs } = fixture(dir);
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const transformer = TableTransformer.fit(schema, table);
  const index = schema.columns.findIndex((c) => c.name === 'drug');
  const span = transformer.spans.find((s) => s.column === index && s.kind === 'category')!;
  assert.equal(span.size, DEFAULT_LEVEL_CAP);
  const decoded = transformer.decode(transformer.encode(table), table.rowCount, schema.columns.length, new Random(3));
  const column = decoded[index];
  assert.equal(column.type, 'categorical');
  if (column.type !== 'categorical') return;
  const values = Array.from(column.codes, (c) => column.levels[c]);
  assert.ok(values.every((v) => drugs.includes(v)), 'every decoded code is a real value');
  assert.ok(new Set(values).size > DEFAULT_LEVEL_CAP, 'rare values come back, not one pooled value');
  // Calibration to the training columns reaches the capped column too (its pooled level included).
  const targets = softmaxTargets(transformer, trainingHistograms(schema, table));
  const target = targets[transformer.spans.filter((s) => s.kind !== 'value').indexOf(span)];
  assert.ok(target, 'the capped column is calibrated');
  const pooledShare = 1 - Array.from(target.subarray(0, DEFAULT_LEVEL_CAP - 1)).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(target[DEFAULT_LEVEL_CAP - 1] - pooledShare) < 1e-9 && pooledShare > 0.3);
  const tv = totalVariationComplement(values, drugs);
  assert.ok(tv > 0.85, String(tv)); // the pooled tail is redrawn, so only its sampling noise is lost
});

test('placeholder text follows a length histogram and uses only the shipped vocabulary', () => {
  const lengths = [...Array(500).fill(5), ...Array(300).fill(100), ...Array(200).fill(-1)];
  const counts = lengthHistogram(lengths);
  const random = new Random(1);
  const texts = Array.from({ length: 2000 }, () => placeholderText(counts, random));
  const missing = texts.filter((t) => t === null).length;
  assert.ok(Math.abs(missing / 2000 - 0.2) < 0.04);
  const present = texts.filter((t): t is string => t !== null);
  const short = present.filter((t) => t.length >= 4 && t.length < 8).length;
  const long = present.filter((t) => t.length >= 64 && t.length < 128).length;
  assert.equal(short + long, present.length, 'every length falls in an occupied bin');
  assert.ok(Math.abs(short / present.length - 0.625) < 0.05);
  assert.equal(LENGTH_BIN_EDGES[0], 1);
  const words = new Set(PLACEHOLDER_WORDS);
  for (const t of present.filter((x) => x.length > 64)) {
    const full = t.split(/[ .]+/).filter(Boolean).slice(0, -1); // the last word may be cut
    for (const w of full) assert.ok(words.has(w.toLowerCase()), w);
  }
});

test('generation fills codes and placeholder text (never real words); --blank-text keeps text blank', async () => {
  const dir = tempDir();
  const { file, drugs, notes } = fixture(dir);
  const out = path.join(dir, 'synthetic.csv');
  await generate({ input: file, out, epochs: 2, privacy: 'none', evaluate: false, seed: 2 });
  const rows = parseCsv(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, 3000);
  assert.ok(rows.every((r) => drugs.includes(r.drug)), 'every synthetic row has a real drug code');
  assert.ok(new Set(rows.map((r) => r.drug)).size > 100);
  const synthetic = rows.map((r) => r.note).filter(Boolean);
  assert.ok(Math.abs(synthetic.length / rows.length - 0.9) < 0.03, 'missing notes at the real rate');
  const realWords = new Set(notes.flatMap((n) => n.split(' ')));
  for (const text of synthetic) for (const word of text.toLowerCase().split(/[ .]+/)) assert.ok(!realWords.has(word), `real word ${word}`);
  // Lengths: the share of short notes (under 32 characters) is the real one.
  const shortShare = (xs: string[]): number => xs.filter((x) => x.length < 32).length / xs.length;
  assert.ok(Math.abs(shortShare(synthetic) - shortShare(notes)) < 0.05, `${shortShare(synthetic)} vs ${shortShare(notes)}`);
  const card = JSON.parse(fs.readFileSync(path.join(dir, 'synthetic.json'), 'utf8'));
  assert.match(JSON.stringify(card), /placeholder text/);

  // The report's chart of the code column: the top values and the rest, compact whatever the levels.
  const schema = await inferSchema(file);
  const real = await loadTable(file, schema);
  const syntheticTable = await loadTable(out, schema);
  const evaluation = await evaluate({ schema, real, synthetic: syntheticTable, names: { real: 'real', synthetic: 'synthetic' } });
  const data = buildReportData({ schema, real, synthetic: syntheticTable, evaluation });
  const chart = data.columns.find((c) => c.name === 'drug')?.chart;
  assert.ok(chart?.type === 'categories');
  assert.equal(chart.labels.length, 20);
  assert.equal(chart.realCategories, CODES);
  assert.ok(chart.otherReal !== null && chart.otherReal > 0.3 && chart.otherSynthetic !== null && chart.otherSynthetic > 0.3);
  assert.ok(JSON.stringify(chart).length < 2000, 'the chart carries 21 bars, not 600');

  const blankOut = path.join(dir, 'blank.csv');
  await generate({ input: file, out: blankOut, epochs: 1, privacy: 'none', evaluate: false, seed: 2, blankText: true });
  const blank = parseCsv(fs.readFileSync(blankOut, 'utf8'), { columns: true }) as Record<string, string>[];
  assert.ok(blank.every((r) => r.note === ''));
  assert.match(fs.readFileSync(path.join(dir, 'blank.json'), 'utf8'), /left blank/);
});
