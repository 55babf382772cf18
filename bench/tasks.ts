/**
 * One benchmark measurement per process, so that peak memory (maxRSS) belongs to that task
 * alone. Run by bench/run.ts; prints one JSON object on stdout.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Papa from 'papaparse';
import { parse } from 'csv-parse';
import { CsvParser } from '../src/core/csv/parser';
import { inferSchema } from '../src/core/schema/infer';
import { loadTable } from '../src/core/table';
import { TableTransformer } from '../src/core/transform/transformer';
import { checkRoundTrip } from '../src/core/transform/roundtrip';
import { loadTensorflow } from '../src/core/model/backend';
import { trainTvae, trainTvaeDp } from '../src/core/model/train';
import { Random } from '../src/core/random';
import { layoutFromSpans, TrainingData } from '../src/core/model/tvae';
import { defaultDpBatch, DP_DEFAULTS, generate, type GeneratorName } from '../src/core/generate';
import { sampleFromModel } from '../src/core/sample-model';
import { evaluateQuality } from '../src/core/evaluate/quality';
import { evaluate } from '../src/core/evaluate/evaluate';
import { defaultTarget, evaluateUtility } from '../src/core/evaluate/utility';
import { majorityMapping } from '../src/core/rules/check';
import { evaluateRules } from '../src/core/evaluate/rules';
import { mineRules } from '../src/core/rules/mine';
import type { EntitySpec, Rule } from '../src/core/schema/types';
import { evaluateEntities } from '../src/core/evaluate/entities';
import { readModelFile } from '../src/core/generators/model-file';

const peakMb = (): number => process.resourceUsage().maxRSS / 1024;

async function parserThroughput(file: string, parser: string): Promise<Record<string, unknown>> {
  const bytes = fs.statSync(file).size;
  const started = performance.now();
  let fields = 0;
  if (parser === 'synthetic-csv') {
    const p = new CsvParser({ delimiter: ',', quote: '"' }, (r) => (fields += r.fields.length));
    for await (const chunk of fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) p.push(chunk as string);
    p.end();
  } else if (parser === 'papaparse') {
    await new Promise<void>((resolve) =>
      Papa.parse(fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }) as unknown as File, {
        chunk: (result: Papa.ParseResult<string[]>) => {
          for (const row of result.data) fields += row.length;
        },
        complete: () => resolve(),
      }),
    );
  } else {
    for await (const record of fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(parse({ relax_column_count: true }))) fields += (record as string[]).length;
  }
  const seconds = (performance.now() - started) / 1000;
  return { parser, fields, seconds, mbPerSecond: bytes / 1e6 / seconds, peakMb: peakMb() };
}

async function inferThroughput(file: string): Promise<Record<string, unknown>> {
  const bytes = fs.statSync(file).size;
  const started = performance.now();
  const schema = await inferSchema(file);
  const seconds = (performance.now() - started) / 1000;
  return { bytes, rows: schema.rowCount, seconds, mbPerSecond: bytes / 1e6 / seconds, peakMb: peakMb() };
}

/** The schema pass, with or without rule mining (a second read of at most RULE_MINING_ROWS rows). */
async function schemaPass(file: string, mining: boolean): Promise<Record<string, unknown>> {
  const bytes = fs.statSync(file).size;
  const started = performance.now();
  const schema = await inferSchema(file, { rules: mining });
  const seconds = (performance.now() - started) / 1000;
  return { bytes, rows: schema.rowCount, columns: schema.columns.length, rules: schema.rules?.length ?? 0, seconds, mbPerSecond: bytes / 1e6 / seconds, peakMb: peakMb() };
}

async function encodeDecode(file: string): Promise<Record<string, unknown>> {
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  let t = performance.now();
  const transformer = TableTransformer.fit(schema, table, { seed: 1 });
  const fitSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const matrix = transformer.encode(table, { seed: 2 });
  const encodeSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  transformer.decode(matrix, table.rowCount, schema.columns.length);
  const decodeSeconds = (performance.now() - t) / 1000;
  const roundTrip = await checkRoundTrip(file, schema);
  return { rows: table.rowCount, width: transformer.width, fitSeconds, encodeSeconds, decodeSeconds, cellsChecked: roundTrip.cellsChecked, mismatches: roundTrip.mismatches, notEncoded: roundTrip.columnsNotEncoded.length };
}

async function trainThroughput(file: string, epochs: number): Promise<Record<string, unknown>> {
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const transformer = TableTransformer.fit(schema, table, { seed: 1 });
  const matrix = transformer.encode(table, { seed: 2 });
  const data = new TrainingData(matrix, table.rowCount, layoutFromSpans(transformer.spans, transformer.width));
  const { tf, backend } = await loadTensorflow();
  const result = await trainTvae(tf, data, { epochs, seed: 3 });
  // The first epoch includes warm-up (kernel compilation, allocation): report the rest.
  const steady = result.history.slice(1);
  const secondsPerEpoch = steady.reduce((s, h) => s + h.seconds, 0) / steady.length;
  result.model.dispose();
  return { backend, rows: data.rows, width: transformer.width, epochs, secondsPerEpoch, rowsPerSecond: data.rows / secondsPerEpoch, peakMb: peakMb() };
}

async function endToEnd(file: string, epochs?: number): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const out = path.join(dir, path.basename(file).replace(/\.csv$/, '.synthetic.csv'));
  const started = performance.now();
  const result = await generate({ input: file, out, seed: 1, epochs });
  const seconds = (performance.now() - started) / 1000;
  const schema = await inferSchema(file);
  const real = await loadTable(file, schema);
  const synthetic = await loadTable(out, schema);
  const quality = evaluateQuality(schema, real, synthetic);
  // Full evaluation of the whole real file against the synthetic one, utility on a test file
  // beside it when there is one (adult_test.csv for adult.csv).
  const testFile = file.replace(/\.csv$/, '_test.csv');
  const evalStarted = performance.now();
  const full = await evaluate(
    {
      schema,
      real,
      synthetic,
      test: fs.existsSync(testFile) ? await loadTable(testFile, schema) : undefined,
      names: { real: path.basename(file), synthetic: path.basename(out), test: path.basename(testFile) },
    },
    {},
  );
  const evaluateSeconds = (performance.now() - evalStarted) / 1000;
  const utility = full.utility as { trainOnReal: { rocAuc?: number | null }; trainOnSynthetic: { rocAuc?: number | null }; target: string } | undefined;
  const modelFile = result.outputs.model;
  const sampleRows = 1_000_000;
  const sampleStarted = performance.now();
  let sampledBytes = 0;
  await sampleFromModel({ model: modelFile, rows: sampleRows, seed: 2 }, async (text) => {
    sampledBytes += text.length;
  });
  const sampleSeconds = (performance.now() - sampleStarted) / 1000;
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    seconds,
    trainSeconds: result.card.timings.learn,
    epochs: result.card.generator.parameters.epochsRun,
    trainingRows: result.card.training.rows,
    quality: quality.score,
    columnShapes: quality.columnShapes,
    columnPairTrends: quality.columnPairTrends,
    evaluateSeconds,
    utilityTarget: utility?.target ?? '-',
    rocAucReal: utility?.trainOnReal.rocAuc ?? NaN,
    rocAucSynthetic: utility?.trainOnSynthetic.rocAuc ?? NaN,
    sampleRows,
    sampleSeconds,
    sampleRowsPerSecond: sampleRows / sampleSeconds,
    sampledMb: sampledBytes / 1e6,
    peakMb: peakMb(),
  };
}

/** The file's inferred schema with each column's real range (observed) and categories declared public, as MST had its domain. */
async function withPublicDomain(file: string): Promise<Awaited<ReturnType<typeof inferSchema>>> {
  const schema = await inferSchema(file);
  return {
    ...schema,
    columns: schema.columns.map((column) => {
      if (column.min !== undefined && column.max !== undefined && ['continuous', 'integer', 'date', 'datetime'].includes(column.kind)) return { ...column, public: { bounds: { min: column.min, max: column.max, observed: true } } };
      if (column.kind === 'categorical' && column.categories) return { ...column, public: { categories: column.categories.map((c) => c.value) } };
      return column;
    }),
  };
}

/**
 * Fidelity of a private (or non-private) run, against the whole real file; with `rows`, the run
 * learns from the file's first `rows` rows only (and is compared with them). Utility (train on
 * synthetic, test on real) when a `<name>_test.csv` lies beside the file.
 */
async function privateRun(file: string, generator: string, epsilon: string, rows?: number): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const out = path.join(dir, 'synthetic.csv');
  const testFile = file.replace(/\.csv$/, '_test.csv');
  if (rows) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const head = path.join(dir, path.basename(file));
    fs.writeFileSync(head, lines.slice(0, rows + 1).join('\n') + '\n');
    file = head;
  }
  // 'pgm-public': pgm run as MST was for issue 15: every column's range (observed) and categories
  // declared public, taken here from the real file (a comparison, not a private run of it), and
  // every row trained on (MST held none out; our runs hold out a fifth for the privacy report).
  const declared = generator === 'pgm-public' ? await withPublicDomain(file) : undefined;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await generate({
    input: file,
    out,
    seed: 1,
    evaluate: false,
    // 'tvae-raw': the DP tvae without raking to measured pairs.
    generator: (generator === 'tvae-raw' ? 'tvae' : generator === 'pgm-public' ? 'pgm' : generator) as 'tvae' | 'marginals' | 'pgm',
    ...(generator === 'tvae-raw' ? { raking: false } : {}),
    ...(declared ? { schema: declared, holdoutFraction: 0 } : {}),
    privacy: epsilon === 'none' ? 'none' : { epsilon: Number(epsilon) },
  });
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSince(cpu);
  const schema = await inferSchema(file);
  const real = await loadTable(file, schema);
  const synthetic = await loadTable(out, schema);
  const quality = evaluateQuality(schema, real, synthetic);
  const target = defaultTarget(schema);
  const utility =
    fs.existsSync(testFile) && target
      ? evaluateUtility(schema, real, synthetic, await loadTable(testFile, { ...schema, rowCount: 0 }), { target: target.column, targetReason: target.reason, testSetName: path.basename(testFile) })
      : undefined;
  fs.rmSync(dir, { recursive: true, force: true });
  const auc = (scores: unknown): number => ((scores as { rocAuc?: number | null }).rocAuc ?? NaN);
  return {
    seconds,
    cpuSeconds,
    epsilon: result.card.privacy.epsilon ?? NaN,
    delta: result.card.privacy.delta ?? NaN,
    quality: quality.score,
    columnShapes: quality.columnShapes,
    columnPairTrends: quality.columnPairTrends ?? NaN,
    tstrRocAuc: utility ? auc(utility.trainOnSynthetic) : NaN,
    trtrRocAuc: utility ? auc(utility.trainOnReal) : NaN,
  };
}

/**
 * Rules mined from the whole real file (exact ones: kept by every real row, rarely by chance):
 * share of synthetic rows that break at least one, and quality, with the rule layer off (`rules`
 * an empty list) and on. Without DP the run mines its own rules from the training rows; with DP
 * the same mined rules are passed as declared by the user, determines rules with their pairs
 * (a user stating public facts such as a coding scheme), since DP never uses rules from the rows.
 */
/**
 * One run of the rules comparison. `mode`: `off` (no rules), `on` (without DP the run mines its
 * own; with DP the rules mined from the real file passed as declared), `found` (DP only: no rules
 * in the schema, so the run uses only those it confirms privately or reads off its model).
 */
async function rulesRun(file: string, mode: string, epsilon: string, epochs?: number, seed = 1, generator?: GeneratorName): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const out = path.join(dir, 'synthetic.csv');
  const schema = await inferSchema(file);
  const real = await loadTable(file, schema);
  const mined = mineRules(schema, real).filter((r) => r.enforce);
  const index = new Map(schema.columns.map((c, i) => [c.name, i]));
  const declared: Rule[] = mined.map((rule) => {
    if (rule.kind !== 'determines') return { ...rule, source: 'declared' };
    const pairs = [...majorityMapping(real.columns[index.get(rule.from)!], real.columns[index.get(rule.to)!], real.rowCount)];
    const when = rule.when ? new Set(rule.when) : undefined;
    const combinations = pairs.filter(([f, t]) => t !== null && (!when || when.has(f))) as [string, string][];
    return { ...rule, source: 'declared', combinations };
  });
  const dp = epsilon !== 'none';
  const rules = mode === 'off' ? [] : dp && mode === 'on' ? declared : undefined;
  const started = performance.now();
  const result = await generate({ input: file, out, seed, evaluate: false, epochs, generator, schema: { ...schema, rules }, privacy: dp ? { epsilon: Number(epsilon) } : 'none' });
  const seconds = (performance.now() - started) / 1000;
  const synthetic = await loadTable(out, schema);
  const quality = evaluateQuality(schema, real, synthetic);
  const checked = evaluateRules({ ...schema, rules: mined }, real, synthetic);
  // The rules the run kept (its model's rule layer), checked on the whole real file: a rule read off
  // noisy counts that the real rows break moves synthetic rows away from them.
  const own = (await readModelFile(result.outputs.model)).rules?.rules ?? [];
  const realBreakingOwn = own.length ? evaluateRules({ ...schema, rules: own }, real, real).syntheticRowsBreakingAny.share : 0;
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    seconds,
    rules: mined.length,
    quality: quality.score,
    breakingShare: checked.syntheticRowsBreakingAny.share,
    // Each rule some synthetic rows break, with the share that break it.
    broken: Object.fromEntries(checked.rules.filter((r) => r.synthetic.broken > 0).map((r) => [r.rule, 1 - r.synthetic.share])),
    redrawnShare: result.card.redrawn?.share ?? 0,
    // How many rules the run kept, and how many of those it read off the released model (DP).
    rulesKept: result.card.rules.filter((r) => r.enforce && r.kept !== 'not used' && !r.kept.startsWith('not kept')).length,
    readOff: result.card.rules.filter((r) => r.establishment === 'read off the released model').length,
    realBreakingOwn,
    epsilon: result.card.privacy.epsilon ?? NaN,
  };
}

/** CPU seconds of this process (every thread) since `from`. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
}

/**
 * The default DP run as a user starts it (ε 3, the default generator), end to end: the evaluation
 * with TSTR on the test file beside the input and the HTML report included.
 */
async function dpDefaultRun(file: string): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const out = path.join(dir, 'synthetic.csv');
  const testFile = file.replace(/\.csv$/, '_test.csv');
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await generate({ input: file, out, seed: 1, privacy: { epsilon: 3 }, ...(fs.existsSync(testFile) ? { testFile } : {}) });
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSince(cpu);
  const reportWritten = fs.existsSync(result.outputs.report);
  fs.rmSync(dir, { recursive: true, force: true });
  return { seconds, cpuSeconds, generator: result.card.generator.name, quality: result.card.evaluation?.quality.score ?? NaN, reportWritten: reportWritten ? 1 : 0 };
}

/** Seconds per epoch of ordinary and of DP-SGD training on the same data, in one process. */
async function dpEpochRatio(file: string): Promise<Record<string, unknown>> {
  const schema = await inferSchema(file);
  const table = await loadTable(file, schema);
  const transformer = TableTransformer.fit(schema, table, { seed: 1 });
  const data = new TrainingData(transformer.encode(table, { seed: 2 }), table.rowCount, layoutFromSpans(transformer.spans, transformer.width));
  const { tf } = await loadTensorflow();
  const epochs = 4;
  const plain = await trainTvae(tf, data, { epochs, seed: 3 });
  plain.model.dispose();
  const q = 500 / data.rows;
  const dp = await trainTvaeDp(tf, data, { epochs, seed: 3, samplingRate: q, expectedBatchSize: 500, noiseMultiplier: 1, clippingNorm: 1, noiseRandom: Random.secure() });
  dp.model.dispose();
  const batch = defaultDpBatch(data.rows);
  const dpDefault = await trainTvaeDp(tf, data, {
    epochs,
    seed: 3,
    model: DP_DEFAULTS.model,
    samplingRate: DP_DEFAULTS.samplingRate,
    expectedBatchSize: batch,
    noiseMultiplier: 1,
    clippingNorm: 1,
    noiseRandom: Random.secure(),
  });
  dpDefault.model.dispose();
  const steady = (h: { seconds: number }[]): number => h.slice(1).reduce((s, e) => s + e.seconds, 0) / (h.length - 1);
  const plainSeconds = steady(plain.history);
  const dpSeconds = steady(dp.history);
  return { plainSeconds, dpSeconds, ratio: dpSeconds / plainSeconds, dpDefaultSeconds: steady(dpDefault.history) };
}

/**
 * The evaluation of a wide file (`columns` x `rows`, two thirds numeric, real and synthetic drawn
 * alike): seconds, peak memory and the size of its JSON, which must not grow with the pairs.
 */
async function wideEvaluation(columns: number, rows: number): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthetic-csv-wide-'));
  const write = (name: string, seed: number): string => {
    const random = new Random(seed);
    const lines = [Array.from({ length: columns }, (_, j) => `c${j}`).join(',')];
    for (let i = 0; i < rows; i++) {
      const base = random.normal();
      lines.push(Array.from({ length: columns }, (_, j) => (j % 3 === 2 ? 'abc'[random.int(3)] : (base * (j % 5) + random.normal()).toFixed(2))).join(','));
    }
    const file = path.join(dir, name);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    return file;
  };
  try {
    const realFile = write('real.csv', 1);
    const syntheticFile = write('synthetic.csv', 2);
    const schema = await inferSchema(realFile);
    const real = await loadTable(realFile, schema);
    const synthetic = await loadTable(syntheticFile, schema);
    const started = performance.now();
    const e = await evaluate({ schema, real, synthetic, names: { real: 'real.csv', synthetic: 'synthetic.csv' } });
    const seconds = (performance.now() - started) / 1000;
    return { columns, rows, seconds, pairs: e.quality.pairSummary.total, pairsScored: e.quality.pairSummary.computed, jsonMb: JSON.stringify(e).length / 1e6, peakMb: peakMb() };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * pbc.csv as a file of two rows per patient: a "recurrence" row at a third of the follow-up time
 * and a "death" (or end of follow-up) row at its end, bilirubin 1.5 times higher by then; the
 * treatment arm, sex and age are the same in both rows. Deterministic.
 */
export function pbcTwoRows(pbcFile: string, out: string): void {
  const lines = fs.readFileSync(pbcFile, 'utf8').trim().split('\n');
  const header = lines[0].split(',').map((h) => h.replace(/"/g, ''));
  const at = (name: string) => header.indexOf(name);
  const rows = ['id,event,day,status,trt,sex,age,bili,albumin,protime,stage'];
  for (const line of lines.slice(1)) {
    const f = line.split(',').map((v) => v.replace(/"/g, ''));
    const get = (name: string) => f[at(name)];
    const bili = Number(get('bili'));
    const common = [get('trt'), get('sex'), Number(get('age')).toFixed(1)];
    const rest = (b: string) => [b, get('albumin'), get('protime'), get('stage')];
    rows.push([get('id'), 'recurrence', Math.floor(Number(get('time')) / 3), 0, ...common, ...rest(get('bili'))].join(','));
    rows.push([get('id'), 'death', get('time'), get('status'), ...common, ...rest(Number.isFinite(bili) ? (bili * 1.5).toFixed(1) : get('bili'))].join(','));
  }
  fs.writeFileSync(out, rows.join('\n') + '\n');
}

/** The true entity structure of the bench's files, declared: what the synthetic file is measured against. */
const REFERENCE_ENTITIES: Record<string, { unit: string; nameTheUnit?: boolean; entities: EntitySpec[] }> = {
  prescriptions: {
    unit: 'subject_id',
    entities: [
      { key: 'subject_id', constant: [], source: 'declared' },
      { key: 'hadm_id', parent: 'subject_id', constant: [], sequence: 'startdate', source: 'declared' },
    ],
  },
  pbc2: { unit: 'id', nameTheUnit: true, entities: [{ key: 'id', constant: ['trt', 'sex', 'age'], sequence: 'day', source: 'declared' }] },
};

/**
 * A hospital-shaped file generated as a new user would (schema inferred, entities as inference
 * finds them), then measured against the file's true structure: the drug column, rows per
 * patient, admissions nested in patients, per-patient constants, keys reused.
 */
async function entitiesRun(kind: string, file: string, epsilon: string, epochs?: number): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  try {
    if (kind === 'pbc2') {
      const made = path.join(dir, 'pbc_two_rows.csv');
      pbcTwoRows(file, made);
      file = made;
    }
    const reference = REFERENCE_ENTITIES[kind];
    const out = path.join(dir, 'synthetic.csv');
    const dp = epsilon !== 'none';
    const started = performance.now();
    // pbc's key is a bare `id`, which inference leaves to the user (a weak key): the user names it
    // as the person, as its schema note says, with or without DP.
    const unit = dp || reference.nameTheUnit ? reference.unit : undefined;
    const settings = { input: file, out, seed: 1, evaluate: false, epochs, privacy: dp ? { epsilon: Number(epsilon) } : ('none' as const), ...(unit ? { privacyUnit: unit } : {}) };
    // A file too small for the DP tVAE is refused with advice to use marginals: the user follows it.
    let generator = 'tvae';
    const result = await generate(settings).catch((error: Error) => {
      if (!dp || !/too few rows for this privacy budget/.test(error.message)) throw error;
      generator = 'marginals';
      return generate({ ...settings, generator: 'marginals' });
    });
    const seconds = (performance.now() - started) / 1000;
    const inferred = await inferSchema(file, unit ? { personKey: unit } : {});
    const schema = { ...inferred, entities: reference.entities };
    const real = await loadTable(file, schema);
    const synthetic = await loadTable(out, schema);
    const quality = evaluateQuality(schema, real, synthetic);
    const measured = (await evaluateEntities(schema, { real: file, synthetic: out, realRowCount: real.rowCount, syntheticRowCount: synthetic.rowCount }))!.entities;
    const patient = measured[0];
    const admission = measured.find((e) => e.parent !== undefined);
    const drugIndex = schema.columns.findIndex((c) => c.name === 'drug');
    const filled = (t: typeof real): number => {
      const column = t.columns[drugIndex];
      if (!column || column.type !== 'categorical') return NaN;
      let n = 0;
      for (const code of column.codes) if (code >= 0) n++;
      return t.rowCount ? n / t.rowCount : NaN;
    };
    return {
      seconds,
      generator,
      unitNamed: unit ?? '',
      learnSeconds: result.card.timings.learn ?? NaN,
      sampleSeconds: result.card.timings.sample ?? NaN,
      epsilon: result.card.privacy.epsilon ?? NaN,
      rows: synthetic.rowCount,
      inferredEntities: inferred.entities === undefined ? 'not looked for' : inferred.entities.map((e) => e.key).join(' ') || 'none',
      quality: quality.score,
      drugKind: drugIndex >= 0 ? schema.columns[drugIndex].kind : '-',
      drugTv: drugIndex >= 0 ? (quality.columns.find((c) => c.column === 'drug')?.score ?? NaN) : NaN,
      drugFilledReal: drugIndex >= 0 ? filled(real) : NaN,
      drugFilledSynthetic: drugIndex >= 0 ? filled(synthetic) : NaN,
      unavailable: patient.unavailable ?? '',
      realPatients: patient.rowsPerEntity?.real.entities ?? NaN,
      syntheticPatients: patient.rowsPerEntity?.synthetic.entities ?? NaN,
      rowsKs: patient.rowsPerEntity?.ksComplement ?? NaN,
      nested: admission?.nesting?.synthetic.share ?? NaN,
      nestedEntities: admission?.nesting?.synthetic.entities ?? NaN,
      constantsKept: patient.constantsKept?.synthetic.share ?? NaN,
      constantsEntities: patient.constantsKept?.synthetic.entities ?? NaN,
      keysReused: patient.keysReused?.count ?? NaN,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Training and sampling time of a single-row file without DP (5 epochs, seed 1): with the schema
 * as inferred (`inferred`), or with entities switched off (`off`: `"entities": []`, today's path).
 */
async function entitiesTiming(file: string, mode: string): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  try {
    const schema = mode === 'off' ? { ...(await inferSchema(file)), entities: [] } : undefined;
    const result = await generate({ input: file, out: path.join(dir, 'synthetic.csv'), seed: 1, epochs: 5, evaluate: false, privacy: 'none', ...(schema ? { schema } : {}) });
    const t = result.card.timings;
    return { learnSeconds: t.learn, sampleSeconds: t.sample, seconds: (t.learn ?? 0) + (t.sample ?? 0) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [task, ...args] = process.argv.slice(2);
  let result: Record<string, unknown>;
  switch (task) {
    case 'parse':
      result = await parserThroughput(args[0], args[1]);
      break;
    case 'infer':
      result = await inferThroughput(args[0]);
      break;
    case 'schema':
      result = await schemaPass(args[0], args[1] === 'mining');
      break;
    case 'encode':
      result = await encodeDecode(args[0]);
      break;
    case 'train':
      result = await trainThroughput(args[0], Number(args[1] ?? 4));
      break;
    case 'private':
      result = await privateRun(args[0], args[1], args[2], args[3] ? Number(args[3]) : undefined);
      break;
    case 'rules':
      result = await rulesRun(args[0], args[1], args[2], args[3] ? Number(args[3]) : undefined, args[4] ? Number(args[4]) : undefined, (args[5] || undefined) as GeneratorName | undefined);
      break;
    case 'dpdefault':
      result = await dpDefaultRun(args[0]);
      break;
    case 'dpratio':
      result = await dpEpochRatio(args[0]);
      break;
    case 'generate':
      result = await endToEnd(args[0], args[1] ? Number(args[1]) : undefined);
      break;
    case 'entities':
      result = await entitiesRun(args[0], args[1], args[2], args[3] ? Number(args[3]) : undefined);
      break;
    case 'entities-timing':
      result = await entitiesTiming(args[0], args[1]);
      break;
    case 'wide':
      result = await wideEvaluation(Number(args[0]), Number(args[1]));
      break;
    default:
      throw new Error(`unknown task ${task}`);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
  process.exit(1);
});
