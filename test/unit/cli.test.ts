/**
 * End-to-end tests of the command line as a user runs it: each test spawns the built bundle
 * (`node dist/cli.js ...`, built by `npm test` before the tests run) without a TTY, and looks only
 * at what a person would see: exit codes, stdout, stderr and the files left on disk.
 *
 * Runtime: about 20 s plus the demo test (a DP run on 3,000 simulated rows and a --no-dp run on 600).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { tempDir } from '../helpers/files';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

// ---------------------------------------------------------------------------------------------
// Helpers

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The environment a user's shell would give the CLI: no test-runner or loader settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['NODE_OPTIONS', 'NODE_TEST_CONTEXT', 'SYNTHETIC_CSV_DEBUG', 'FORCE_COLOR']) delete env[key];
  return env;
}

function start(args: string[], cwd?: string): ChildProcess {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`node scripts/build.mjs\` (npm test does it) first`);
  return spawn(process.execPath, [CLI, ...args], { cwd: cwd ?? tempDir(), env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Run the CLI to completion; killed (and the test failed) if it outlives `limitMs`. */
function cli(args: string[], options: { cwd?: string; limitMs?: number } = {}): Promise<Run> {
  const started = performance.now();
  const child = start(args, options.cwd);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`synthetic-csv ${args.join(' ')} did not finish within ${options.limitMs ?? 60_000} ms\n${stderr}`));
    }, options.limitMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

function show(run: Run): string {
  return `exit ${run.code}${run.signal ? ` (${run.signal})` : ''}\n--- stdout ---\n${run.stdout.slice(0, 2000)}\n--- stderr ---\n${run.stderr.slice(0, 2000)}`;
}

function assertOk(run: Run): void {
  assert.equal(run.code, 0, show(run));
}

/**
 * A failed run: non-zero exit, nothing on stdout, and the error as exactly one
 * `synthetic-csv: error: ...` line, which is the last line of stderr (progress lines written
 * before the failure may precede it). Returns the message after the prefix.
 */
function assertCliError(run: Run, options: { onlyLine?: boolean } = {}): string {
  assert.notEqual(run.code, 0, show(run));
  assert.equal(run.stdout, '', show(run));
  assert.ok(run.stderr.endsWith('\n'), show(run));
  const lines = run.stderr.slice(0, -1).split('\n');
  const errors = lines.filter((l) => l.startsWith('synthetic-csv: error: '));
  assert.equal(errors.length, 1, show(run));
  assert.equal(lines[lines.length - 1], errors[0], `the error is not the last line\n${show(run)}`);
  if (options.onlyLine ?? true) assert.equal(lines.length, 1, `more than the error line on stderr\n${show(run)}`);
  return errors[0].slice('synthetic-csv: error: '.length);
}

/** A usage error reported by commander: non-zero exit, `error: ...` and a pointer to --help. */
function assertUsageError(run: Run, pattern: RegExp): void {
  assert.notEqual(run.code, 0, show(run));
  assert.equal(run.stdout, '', show(run));
  assert.match(run.stderr, /^error: /, show(run));
  assert.match(run.stderr, pattern, show(run));
  assert.match(run.stderr, /--help/, show(run));
  assert.doesNotMatch(run.stderr, /^(Reading|Training|epoch)/m, `work started despite the usage error\n${show(run)}`);
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function listDir(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

function tempFilesIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));
}

function readCsv(file: string): string[][] {
  return parseCsv(fs.readFileSync(file, 'utf8'), { relax_column_count: false }) as string[][];
}

/** A small admissions-like file: row number, patient key, numbers, categories, dates, gaps. */
const FIXTURE_HEADER = ['row', 'patient_id', 'age', 'sex', 'ward', 'admitted', 'systolic_bp', 'crp'];
/** What the synthetic file keeps: the row number is a row index and is dropped. */
const OUTPUT_HEADER = FIXTURE_HEADER.filter((c) => c !== 'row');
const NUMERIC_COLUMNS = ['age', 'systolic_bp', 'crp'];

function fixtureCsv(rows = 300): string {
  let state = 12345;
  const random = (): number => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const wards = ['Cardiology', 'Respiratory', 'Surgery', 'Oncology'];
  const lines = [FIXTURE_HEADER.join(',')];
  for (let i = 1; i <= rows; i++) {
    const age = 18 + Math.floor(random() * 75);
    const sex = random() < 0.5 ? 'F' : 'M';
    const ward = wards[Math.floor(random() * wards.length)];
    const admitted = new Date(Date.UTC(2023, 0, 1) + Math.floor(random() * 365) * 86_400_000).toISOString().slice(0, 10);
    const bp = 100 + Math.floor(random() * 80);
    const crp = random() < 0.25 ? '' : (random() * 50).toFixed(1);
    const id = `P${10000 + ((i * 7919) % 90000)}`; // unique
    lines.push([i, id, age, sex, ward, admitted, bp, crp].join(','));
  }
  return lines.join('\n') + '\n';
}

/** A fresh folder holding only `admissions.csv` (the fixture). */
function fixtureDir(name = 'admissions.csv'): { dir: string; input: string } {
  const dir = tempDir();
  const input = path.join(dir, name);
  fs.writeFileSync(input, fixtureCsv());
  return { dir, input };
}

const GENERATE_FAST = ['--epochs', '3', '--no-dp', '--seed', '7'];

let model: Promise<{ dir: string; model: string }> | undefined;
/** One model trained on the fixture, shared by the `sample` tests. */
function trainedModel(): Promise<{ dir: string; model: string }> {
  model ??= (async () => {
    const { dir, input } = fixtureDir();
    assertOk(await cli(['generate', input, ...GENERATE_FAST], { cwd: dir }));
    return { dir, model: path.join(dir, 'admissions.synthetic.model') };
  })();
  return model;
}

// ---------------------------------------------------------------------------------------------
// 1. Help

test('--help describes the program and every subcommand, with exit code 0', async (t) => {
  const program = await cli(['--help']);
  assertOk(program);
  assert.match(program.stdout, /^Usage: synthetic-csv /);
  for (const sub of ['schema', 'generate', 'sample', 'roundtrip', 'demo']) assert.match(program.stdout, new RegExp(`^  ${sub} `, 'm'), sub);

  const expected: Record<string, string[]> = {
    schema: ['<file>', '--out', '--force', '--summary'],
    generate: ['<file>', '--schema', '--rows', '--epochs', '--seed', '--out', '--no-dp', '--holdout', '--max-training-rows', '--backend', '--force'],
    sample: ['<model>', '--rows', '--seed', '--format', '--table', '--out', '--force', '--backend'],
    roundtrip: ['<file>', '--schema'],
    demo: ['--dir'],
  };
  for (const [sub, options] of Object.entries(expected)) {
    await t.test(`${sub} --help`, async () => {
      const run = await cli([sub, '--help']);
      assertOk(run);
      assert.equal(run.stderr, '');
      assert.match(run.stdout, new RegExp(`^Usage: synthetic-csv ${sub} `));
      for (const option of options) assert.ok(run.stdout.includes(option), `${sub} --help does not mention ${option}\n${run.stdout}`);
    });
  }

  await t.test('help <subcommand> is the same as <subcommand> --help', async () => {
    const [a, b] = await Promise.all([cli(['help', 'sample']), cli(['sample', '--help'])]);
    assertOk(a);
    assert.equal(a.stdout, b.stdout);
  });

  await t.test('--version prints the package version', async () => {
    const run = await cli(['--version']);
    assertOk(run);
    assert.equal(run.stdout.trim(), PKG.version);
  });

  await t.test('sample --help lists every fixture format', async () => {
    const run = await cli(['sample', '--help']);
    for (const format of ['csv', 'json', 'ndjson', 'sql', 'ts']) assert.match(run.stdout, new RegExp(`\\b${format}\\b`));
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Errors

test('errors are one line on stderr, "synthetic-csv: error: ...", with a non-zero exit', async (t) => {
  await t.test('a missing input file', async () => {
    const dir = tempDir();
    for (const args of [['schema', 'nope.csv'], ['schema', 'nope.csv', '--summary'], ['roundtrip', 'nope.csv']]) {
      const message = assertCliError(await cli(args, { cwd: dir }));
      assert.match(message, /nope\.csv/, args.join(' '));
      assert.match(message, /no such file/i, args.join(' '));
    }
    // generate prints its first progress line before it opens the file; the error is the last line.
    const run = await cli(['generate', 'nope.csv', '--no-dp'], { cwd: dir });
    assert.match(assertCliError(run, { onlyLine: false }), /nope\.csv.*no such file/i);
    assert.deepEqual(listDir(dir), [], 'generate left files behind');
  });

  await t.test('a ragged CSV names the file, the line and the column', async () => {
    const { dir } = fixtureDir();
    const lines = fixtureCsv(40).split('\n');
    lines[17] = lines[17].split(',').slice(0, 6).join(','); // line 18 of the file: 6 of 8 fields
    const file = path.join(dir, 'ragged.csv');
    fs.writeFileSync(file, lines.join('\n'));
    const schema = assertCliError(await cli(['schema', file]));
    assert.match(schema, /^ragged\.csv:18:\d+/, 'file:line:column');
    assert.match(schema, /column "\w+"/);
    assert.match(schema, /6 fields.*header has 8/);

    const before = listDir(dir);
    const generate = await cli(['generate', file, '--no-dp', '--epochs', '2'], { cwd: dir });
    assert.match(assertCliError(generate, { onlyLine: false }), /^ragged\.csv:18:\d+/);
    assert.deepEqual(listDir(dir), before, 'a failed generate left files behind');
  });

  await t.test('--no-dp cannot be mixed with a privacy budget', async () => {
    const { dir, input } = fixtureDir();
    const message = assertCliError(await cli(['generate', input, '--no-dp', '--epsilon', '1'], { cwd: dir }));
    assert.match(message, /--no-dp cannot be combined with --epsilon/);
    assert.deepEqual(listDir(dir), ['admissions.csv']);
  });

  await t.test('an impossible delta is refused before training', async () => {
    const { dir, input } = fixtureDir();
    const run = await cli(['generate', input, '--epsilon', '1', '--delta', '0.5'], { cwd: dir });
    const message = assertCliError(run, { onlyLine: false });
    assert.match(message, /delta 0\.5 is not below 1\/n/);
    assert.doesNotMatch(run.stderr, /^epoch/m);
    assert.deepEqual(listDir(dir), ['admissions.csv']);
  });

  await t.test('privacy requests the accountants cannot honour are refused, never printed as Infinity or NaN', async () => {
    const { dir, input } = fixtureDir();
    const cases: [string[], RegExp][] = [
      [['--epsilon', '1000'], /--epsilon <e>' argument '1000' is invalid\. epsilon 1000 is above the maximum of 50/],
      [['--epsilon', '1e5'], /argument '1e5' is invalid\. epsilon 100000 is above the maximum of 50/],
      [['--epsilon', '1e9'], /argument '1e9' is invalid\. epsilon 1000000000 is above the maximum of 50/],
      [['--epsilon', 'NaN'], /argument 'NaN' is invalid\. epsilon must be a number/],
      [['--epsilon', 'Infinity'], /argument 'Infinity' is invalid\. epsilon Infinity is above the maximum of 50/],
      [['--epsilon', 'lots'], /argument 'lots' is invalid\. epsilon must be a number/],
      [['--epsilon', '0'], /argument '0' is invalid\. epsilon must be greater than 0/],
      [['--delta', '0'], /--delta <d>' argument '0' is invalid\. delta must be greater than 0/],
      [['--delta', '1'], /argument '1' is invalid\. delta must be greater than 0 and below 1\/n/],
      [['--sampling-rate', '0'], /--sampling-rate <q>' argument '0' is invalid/],
    ];
    for (const [args, pattern] of cases) {
      const run = await cli(['generate', input, ...args], { cwd: dir });
      assertUsageError(run, pattern);
      assert.doesNotMatch(run.stderr + run.stdout, /ε = (Infinity|NaN)|"epsilon": null/);
    }
    // A delta that passes the syntax but not the file: checked against the noisy row count.
    const message = assertCliError(await cli(['generate', input, '--generator', 'marginals', '--delta', '0.01'], { cwd: dir }), { onlyLine: false });
    assert.match(message, /delta 0\.01 is not below 1\/n for a file of about [\d,]+ rows \(a noisy count\)/);
    assert.match((await cli(['generate', '--help'])).stdout, /at most 50/);
    assert.deepEqual(listDir(dir), ['admissions.csv']);
  });

  await t.test('a file too small for the privacy budget is refused before training, naming the rows needed', async () => {
    const { dir, input } = fixtureDir();
    fs.writeFileSync(input, fixtureCsv(25));
    for (const args of [[], ['--generator', 'marginals', '--epsilon', '0.5']]) {
      const run = await cli(['generate', input, ...args], { cwd: dir });
      const message = assertCliError(run, { onlyLine: false });
      // The marginals generator is suggested to a run that does not use it already.
      const advice = args.length ? 'Use a larger file or a larger --epsilon\\.' : 'Use a larger file, a larger --epsilon, or --generator marginals';
      assert.match(message, new RegExp(`too few rows for this privacy budget: the file has about \\d+ training rows \\(a noisy count\\).* at least [\\d,]+ rows\\. ${advice}`));
      assert.doesNotMatch(run.stderr, /^epoch/m);
    }
    fs.writeFileSync(input, fixtureCsv());
    assert.match(assertCliError(await cli(['generate', input, '--max-training-rows', '5'], { cwd: dir }), { onlyLine: false }), /too few rows/);
    assert.deepEqual(listDir(dir), ['admissions.csv']);
  });

  await t.test('bad option values are rejected by commander before any work', async () => {
    const { dir, input } = fixtureDir();
    const cases: [string[], RegExp][] = [
      [['generate', input, '--no-dp', '--rows', '-3'], /option '-r, --rows <n>' argument '-3' is invalid.*positive whole number/],
      [['generate', input, '--no-dp', '--rows', '2.5'], /--rows <n>' argument '2\.5' is invalid/],
      [['generate', input, '--no-dp', '--epochs', '0'], /--epochs <n>' argument '0' is invalid/],
      [['generate', input, '--no-dp', '--holdout', '1.5'], /option '--holdout <fraction>' argument '1\.5' is invalid/],
      [['generate', input, '--no-dp', '--holdout', 'half'], /--holdout <fraction>' argument 'half' is invalid/],
      [['generate', input, '--no-dp', '--backend', 'gpu'], /option '--backend <name>' argument 'gpu' is invalid.*auto, wasm, tensorflow, cpu/],
      [['generate', input, '--no-dp', '--seed', '-1'], /--seed <n>' argument '-1' is invalid/],
      [['generate', input, '--no-dp', '--max-training-rows', 'lots'], /--max-training-rows <n>' argument 'lots' is invalid/],
      [['generate', input, '--no-dp', '--wat'], /unknown option '--wat'/],
      [['generate'], /missing required argument 'file'/],
      [['sample', 'x.model'], /required option '-r, --rows <n>' not specified/],
      [['sample', 'x.model', '--rows', '5', '--format', 'xml'], /--format <format>' argument 'xml' is invalid.*csv, json, ndjson, sql, ts/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [args, pattern] of cases) assertUsageError(await cli(args, { cwd: dir }), pattern);
    assert.deepEqual(listDir(dir), ['admissions.csv']);
  });

  await t.test('sample on a file that is not a model', async () => {
    const { dir, input } = fixtureDir();
    fs.writeFileSync(path.join(dir, 'other.json'), '{"format":"something-else","version":1}\n');
    assert.match(assertCliError(await cli(['sample', input, '--rows', '5'])), /admissions\.csv.*not a synthetic-csv model file/);
    assert.match(assertCliError(await cli(['sample', path.join(dir, 'other.json'), '--rows', '5'])), /other\.json.*not a synthetic-csv model file/);
    assert.match(assertCliError(await cli(['sample', path.join(dir, 'missing.model'), '--rows', '5'])), /missing\.model.*cannot be read/);
    const out = path.join(dir, 'rows.json');
    assertCliError(await cli(['sample', input, '--rows', '5', '--format', 'json', '--out', out]));
    assert.deepEqual(listDir(dir), ['admissions.csv', 'other.json'], 'a failed sample --out left files behind');
  });
});

// ---------------------------------------------------------------------------------------------
// 3. schema

test('schema prints JSON, a --summary table, or writes --out (never overwriting without --force)', async (t) => {
  const { dir, input } = fixtureDir();
  const hash = sha256(input);

  await t.test('JSON on stdout with rowCount and columns', async () => {
    const run = await cli(['schema', input]);
    assertOk(run);
    assert.equal(run.stderr, '');
    const schema = JSON.parse(run.stdout) as { rowCount: number; columns: { name: string; kind: string; missingRate: number }[] };
    assert.equal(schema.rowCount, 300);
    assert.deepEqual(schema.columns.map((c) => c.name), FIXTURE_HEADER);
    const kind = Object.fromEntries(schema.columns.map((c) => [c.name, c.kind]));
    assert.deepEqual(kind, {
      row: 'identifier',
      patient_id: 'identifier',
      age: 'integer',
      sex: 'categorical',
      ward: 'categorical',
      admitted: 'date',
      systolic_bp: 'integer',
      crp: 'continuous',
    });
    assert.ok(schema.columns.find((c) => c.name === 'crp')!.missingRate > 0.1);
  });

  await t.test('--summary prints a readable table', async () => {
    const run = await cli(['schema', input, '--summary']);
    assertOk(run);
    assert.doesNotMatch(run.stdout, /^\s*\{/, 'printed JSON instead of a table');
    assert.match(run.stdout, /^admissions\.csv: 300 rows, 8 columns, delimiter ","/);
    assert.match(run.stdout, /^column\s+kind\s+missing\s+details$/m);
    for (const name of FIXTURE_HEADER) assert.match(run.stdout, new RegExp(`^${name}\\s+\\w+`, 'm'), name);
    assert.match(run.stdout, /^crp\s+continuous\s+2\d\.\d%/m);
    assert.match(run.stdout, /^row\s+identifier\s+.*row-index, drop/m);
  });

  await t.test('--out writes the file and refuses to replace it without --force', async () => {
    const out = path.join(dir, 'admissions.schema.json');
    const first = await cli(['schema', input, '--out', out]);
    assertOk(first);
    assert.equal(first.stdout, '');
    assert.match(first.stderr, /300 rows x 8 columns written to .*admissions\.schema\.json/);
    assert.equal((JSON.parse(fs.readFileSync(out, 'utf8')) as { rowCount: number }).rowCount, 300);

    fs.writeFileSync(out, 'my edited schema\n');
    const again = await cli(['schema', input, '--out', out]);
    assert.match(assertCliError(again), /admissions\.schema\.json already exists.*--force/);
    assert.equal(fs.readFileSync(out, 'utf8'), 'my edited schema\n', 'replaced without --force');

    assertOk(await cli(['schema', input, '--out', out, '--force']));
    assert.equal((JSON.parse(fs.readFileSync(out, 'utf8')) as { rowCount: number }).rowCount, 300);
    assert.deepEqual(tempFilesIn(dir), []);
  });

  await t.test('roundtrip on the same file reports 0 mismatches', async () => {
    const run = await cli(['roundtrip', input]);
    assertOk(run);
    assert.match(run.stdout, /300 rows, \d+ cells checked, .* 0 mismatches/);
    assert.match(run.stdout, /not encoded .*: row, patient_id/);
  });

  assert.equal(sha256(input), hash, 'the input file changed');
});

// ---------------------------------------------------------------------------------------------
// 4. generate

test('generate writes the synthetic CSV, card and model beside the input, all or nothing', { timeout: 90_000 }, async (t) => {
  const { dir, input } = fixtureDir();
  const hash = sha256(input);
  const csv = path.join(dir, 'admissions.synthetic.csv');
  const card = path.join(dir, 'admissions.synthetic.json');
  const modelFile = path.join(dir, 'admissions.synthetic.model');
  const outputs = [csv, card, modelFile];

  const first = await cli(['generate', input, ...GENERATE_FAST, '--rows', '120'], { cwd: dir });
  assertOk(first);
  const firstCsv = sha256(csv);

  await t.test('the four outputs appear beside the input, with no temporary files', () => {
    assert.deepEqual(listDir(dir), ['admissions.csv', 'admissions.synthetic.csv', 'admissions.synthetic.json', 'admissions.synthetic.model', 'admissions.synthetic.report.html']);
  });

  await t.test('stdout names the outputs and warns there is no DP; stderr has plain progress lines', () => {
    assert.ok(first.stdout.includes(`Synthetic data: ${csv} (120 rows)`), first.stdout);
    assert.ok(first.stdout.includes(`Metadata card:  ${card}`), first.stdout);
    assert.ok(first.stdout.includes(`Model:          ${modelFile}`), first.stdout);
    assert.match(first.stdout, /^Trained 3 epochs on 240 rows with \w+/m);
    assert.match(first.stdout, /^WARNING: NO differential privacy/m);
    for (let epoch = 1; epoch <= 3; epoch++) assert.match(first.stderr, new RegExp(`^epoch ${epoch}/3: loss \\d`, 'm'));
    assert.doesNotMatch(first.stderr, /[\r\x1b]/, 'terminal control characters without a TTY');
    assert.doesNotMatch(first.stdout, /Notes/, 'no notes on this file, so no heading');
  });

  await t.test('the CSV has the input header minus the dropped row index, and --rows rows', () => {
    const records = readCsv(csv);
    assert.deepEqual(records[0], OUTPUT_HEADER);
    assert.equal(records.length - 1, 120);
    const column = (name: string) => records.slice(1).map((r) => r[OUTPUT_HEADER.indexOf(name)]);
    const ids = column('patient_id');
    assert.ok(ids.every((v) => /^P\d{5}$/.test(v)), 'patient_id keeps its format');
    assert.equal(new Set(ids).size, ids.length, 'patient_id stays unique');
    assert.ok(column('age').every((v) => /^\d+$/.test(v)), 'age stays an integer');
    assert.ok(column('sex').every((v) => v === 'F' || v === 'M'));
    assert.ok(column('ward').every((v) => ['Cardiology', 'Respiratory', 'Surgery', 'Oncology'].includes(v)));
    assert.ok(column('admitted').every((v) => /^2023-\d\d-\d\d$/.test(v)), 'dates keep their format and range');
    assert.ok(column('crp').every((v) => v === '' || /^\d+\.\d$/.test(v)), 'crp keeps one decimal place, or is missing');
  });

  await t.test('the metadata card: no DP, seed, backend, epochs, rows', () => {
    const c = JSON.parse(fs.readFileSync(card, 'utf8'));
    assert.equal(c.format, 'synthetic-csv-card');
    assert.equal(c.privacy.differentiallyPrivate, false);
    assert.match(c.privacy.statement, /^NO differential privacy/);
    assert.equal(c.seed, 7);
    assert.equal(typeof c.backend.name, 'string');
    assert.ok(['wasm', 'tensorflow', 'cpu'].includes(c.backend.name), c.backend.name);
    assert.match(first.stdout, new RegExp(`with ${c.backend.name};`));
    assert.equal(c.generator.parameters.epochs, 3);
    assert.equal(c.generator.parameters.epochsRun, 3);
    assert.equal(c.training.history.length, 3);
    assert.deepEqual(c.source, { file: 'admissions.csv', rows: 300, columns: 8 });
    assert.deepEqual(c.output, { file: 'admissions.synthetic.csv', rows: 120, columns: OUTPUT_HEADER, modelFile: 'admissions.synthetic.model' });
    assert.equal(c.holdout.fraction, 0.2);
    assert.equal(c.holdout.rows, 60);
    assert.equal(c.training.rows, 240);
    const handling = Object.fromEntries(c.columns.map((x: { name: string; handling: string }) => [x.name, x.handling]));
    assert.equal(handling.row, 'dropped');
    assert.match(handling.patient_id, /regenerated/);
    assert.equal(handling.age, 'learned');
  });

  await t.test('the model file is a synthetic-csv model without DP', () => {
    const m = JSON.parse(fs.readFileSync(modelFile, 'utf8'));
    assert.equal(m.format, 'synthetic-csv-model');
    assert.equal(m.seed, 7);
    assert.deepEqual(m.privacy, { differentiallyPrivate: false });
  });

  await t.test('the input file is byte-identical afterwards', () => {
    assert.equal(sha256(input), hash);
  });

  await t.test('a second run without --force fails before training and leaves the outputs alone', async () => {
    const before = outputs.map((f) => ({ hash: sha256(f), mtime: fs.statSync(f).mtimeMs }));
    const run = await cli(['generate', input, ...GENERATE_FAST], { cwd: dir });
    const message = assertCliError(run);
    assert.match(message, /admissions\.synthetic\.csv, admissions\.synthetic\.json, admissions\.synthetic\.model, admissions\.synthetic\.report\.html already exist/);
    assert.match(message, /--force/);
    assert.doesNotMatch(run.stderr, /^(Reading|Loading|Training|epoch)/m, 'work started before the check');
    assert.ok(run.ms < 5000, `took ${run.ms.toFixed(0)} ms`);
    assert.deepEqual(outputs.map((f) => ({ hash: sha256(f), mtime: fs.statSync(f).mtimeMs })), before);
    assert.deepEqual(tempFilesIn(dir), []);
  });

  await t.test('a single existing output is enough to refuse', async () => {
    const other = path.join(dir, 'lonely.csv');
    fs.writeFileSync(path.join(dir, 'lonely.model'), 'precious');
    const run = await cli(['generate', input, ...GENERATE_FAST, '--out', other], { cwd: dir });
    assert.match(assertCliError(run), /lonely\.model already exists/);
    assert.equal(fs.readFileSync(path.join(dir, 'lonely.model'), 'utf8'), 'precious');
    assert.ok(!fs.existsSync(other));
    fs.rmSync(path.join(dir, 'lonely.model'));
  });

  await t.test('--force replaces the outputs', async () => {
    const run = await cli(['generate', input, '--epochs', '3', '--no-dp', '--seed', '8', '--rows', '50', '--force'], { cwd: dir });
    assertOk(run);
    assert.equal(readCsv(csv).length - 1, 50);
    assert.notEqual(sha256(csv), firstCsv);
    const c = JSON.parse(fs.readFileSync(card, 'utf8'));
    assert.equal(c.seed, 8);
    assert.equal(c.output.rows, 50);
    assert.equal(JSON.parse(fs.readFileSync(modelFile, 'utf8')).seed, 8);
    assert.deepEqual(listDir(dir), ['admissions.csv', 'admissions.synthetic.csv', 'admissions.synthetic.json', 'admissions.synthetic.model', 'admissions.synthetic.report.html']);
  });

  await t.test('the same seed gives a byte-identical synthetic CSV', async () => {
    assertOk(await cli(['generate', input, ...GENERATE_FAST, '--rows', '120', '--force'], { cwd: dir }));
    assert.equal(sha256(csv), firstCsv, 'rerun with --force');
    const a = path.join(dir, 'twin-a.csv');
    const b = path.join(dir, 'twin-b.csv');
    assertOk(await cli(['generate', input, ...GENERATE_FAST, '--rows', '120', '--out', a], { cwd: dir }));
    assertOk(await cli(['generate', input, ...GENERATE_FAST, '--rows', '120', '--out', b], { cwd: dir }));
    assert.equal(sha256(a), firstCsv);
    assert.equal(sha256(b), firstCsv);
    for (const f of ['twin-a', 'twin-b']) for (const ext of ['.csv', '.json', '.model']) fs.rmSync(path.join(dir, f + ext));
  });

  await t.test('--out elsewhere names every output after it and writes nothing beside the input', async () => {
    const elsewhere = tempDir();
    const out = path.join(elsewhere, 'twin.csv');
    const before = listDir(dir);
    const run = await cli(['generate', input, ...GENERATE_FAST, '--out', out], { cwd: dir });
    assertOk(run);
    assert.deepEqual(listDir(elsewhere), ['twin.csv', 'twin.json', 'twin.model', 'twin.report.html']);
    assert.deepEqual(listDir(dir), before);
    assert.ok(run.stdout.includes(`Synthetic data: ${out} (300 rows)`), 'rows default to the input row count');
    assert.ok(run.stdout.includes(`Metadata card:  ${path.join(elsewhere, 'twin.json')}`));
    assert.ok(run.stdout.includes(`Model:          ${path.join(elsewhere, 'twin.model')}`));
    const c = JSON.parse(fs.readFileSync(path.join(elsewhere, 'twin.json'), 'utf8'));
    assert.equal(c.output.file, 'twin.csv');
    assert.equal(c.output.modelFile, 'twin.model');
    assert.equal(readCsv(out).length - 1, 300);
  });

  await t.test('--out equal to the input is refused', async () => {
    const run = await cli(['generate', input, ...GENERATE_FAST, '--out', input, '--force'], { cwd: dir });
    assert.match(assertCliError(run), /would replace the input/);
    assert.equal(sha256(input), hash);
  });

  await t.test('--schema uses an edited schema: an excluded column is left out', async () => {
    const schemaFile = path.join(dir, 'admissions.schema.json');
    assertOk(await cli(['schema', input, '--out', schemaFile]));
    const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
    schema.columns.find((c: { name: string }) => c.name === 'ward').exclude = true;
    fs.writeFileSync(schemaFile, JSON.stringify(schema, null, 2));
    const out = path.join(tempDir(), 'no-ward.csv');
    assertOk(await cli(['generate', input, ...GENERATE_FAST, '--rows', '10', '--schema', schemaFile, '--out', out], { cwd: dir }));
    const records = readCsv(out);
    assert.deepEqual(records[0], OUTPUT_HEADER.filter((c) => c !== 'ward'));
    assert.equal(records.length - 1, 10);
  });

  await t.test('no temporary files remain and the input is unchanged', () => {
    assert.deepEqual(tempFilesIn(dir), []);
    assert.equal(sha256(input), hash);
  });
});

// ---------------------------------------------------------------------------------------------
// 5. sample

test('sample writes rows from a saved model in csv, json, ndjson, sql and ts', { timeout: 60_000 }, async (t) => {
  const { dir, model } = await trainedModel();
  const sample = (...args: string[]) => cli(['sample', model, '--rows', '25', '--seed', '3', ...args], { cwd: dir });

  function checkObjects(rows: Record<string, unknown>[]): void {
    assert.equal(rows.length, 25);
    for (const row of rows) {
      assert.deepEqual(Object.keys(row), OUTPUT_HEADER);
      for (const name of NUMERIC_COLUMNS) assert.ok(row[name] === null || typeof row[name] === 'number', `${name} is ${JSON.stringify(row[name])}`);
      assert.equal(typeof row.age, 'number', 'age is never missing in the fixture');
      for (const name of ['patient_id', 'sex', 'ward', 'admitted']) assert.equal(typeof row[name], 'string', name);
    }
  }

  await t.test('csv (the default)', async () => {
    const run = await sample();
    assertOk(run);
    assert.equal(run.stderr, '');
    const records = parseCsv(run.stdout) as string[][];
    assert.deepEqual(records[0], OUTPUT_HEADER);
    assert.equal(records.length - 1, 25);
    const explicit = await sample('--format', 'csv');
    assert.equal(explicit.stdout, run.stdout);
  });

  await t.test('json: one array, numeric columns as numbers', async () => {
    const run = await sample('--format', 'json');
    assertOk(run);
    const rows = JSON.parse(run.stdout) as Record<string, unknown>[];
    assert.ok(Array.isArray(rows));
    checkObjects(rows);
  });

  await t.test('ndjson: one JSON object per line', async () => {
    const run = await sample('--format', 'ndjson');
    assertOk(run);
    assert.ok(run.stdout.endsWith('\n'));
    const lines = run.stdout.slice(0, -1).split('\n');
    checkObjects(lines.map((l) => JSON.parse(l) as Record<string, unknown>));
  });

  await t.test('sql: one INSERT per row; --table names the table', async () => {
    const run = await sample('--format', 'sql');
    assertOk(run);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 25);
    for (const line of lines) {
      assert.match(line, new RegExp(`^INSERT INTO "synthetic_rows" \\(${OUTPUT_HEADER.map((h) => `"${h}"`).join(', ')}\\) VALUES \\('P\\d+', \\d+, '[FM]', '\\w+', '2023-\\d\\d-\\d\\d', \\d+, (\\d+\\.\\d|NULL)\\);$`));
    }
    const named = await sample('--format', 'sql', '--table', 'admissions');
    assert.equal(named.stdout, run.stdout.replaceAll('INSERT INTO "synthetic_rows" ', 'INSERT INTO "admissions" '));
  });

  await t.test('ts: an exported array literal of the same rows', async () => {
    const run = await sample('--format', 'ts');
    assertOk(run);
    assert.match(run.stdout, /^export const syntheticRows = \[\n/);
    const rows = new Function(run.stdout.replace(/^export const syntheticRows = /, 'return '))() as Record<string, unknown>[];
    checkObjects(rows);
    const json = JSON.parse((await sample('--format', 'json')).stdout);
    assert.deepEqual(rows, json);
  });

  await t.test('the same seed gives the same rows; another seed gives others', async () => {
    const [a, b, c] = await Promise.all([sample('--format', 'ndjson'), sample('--format', 'ndjson'), cli(['sample', model, '--rows', '25', '--seed', '4', '--format', 'ndjson'])]);
    assert.equal(a.stdout, b.stdout);
    assert.notEqual(a.stdout, c.stdout);
  });

  await t.test('--out writes the file atomically and never replaces it without --force', async () => {
    const outDir = tempDir();
    const out = path.join(outDir, 'rows.sql');
    const run = await sample('--format', 'sql', '--out', out);
    assertOk(run);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^25 rows written to .*rows\.sql\n$/);
    assert.equal(fs.readFileSync(out, 'utf8'), (await sample('--format', 'sql')).stdout);
    assert.deepEqual(listDir(outDir), ['rows.sql']);

    fs.writeFileSync(out, '-- mine\n');
    assert.match(assertCliError(await sample('--format', 'sql', '--out', out)), /rows\.sql already exists.*--force/);
    assert.equal(fs.readFileSync(out, 'utf8'), '-- mine\n');
    assertOk(await sample('--format', 'sql', '--out', out, '--force'));
    assert.equal(fs.readFileSync(out, 'utf8').trimEnd().split('\n').length, 25);
    assert.deepEqual(listDir(outDir), ['rows.sql']);
  });

  await t.test('piping into a reader that stops early (| head) is not an error', async () => {
    const child = start(['sample', model, '--rows', '200000', '--seed', '1'], dir);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout!.once('data', () => child.stdout!.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
  });
});

// ---------------------------------------------------------------------------------------------
// 6. Cancellation

interface Interrupted {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the signal to the exit. */
  exitMs: number;
}

/** Start the CLI, send `signal` once `ready` says so (checked on output and on a timer). */
async function interrupt(args: string[], cwd: string, signal: NodeJS.Signals, ready: (output: string) => boolean): Promise<Interrupted> {
  const child = start(args, cwd);
  let output = '';
  let stdout = '';
  let stderr = '';
  let sentAt = 0;
  const check = (): void => {
    if (!sentAt && ready(output)) {
      sentAt = performance.now();
      child.kill(signal);
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => ((stdout += d), (output += d), check()));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => ((stderr += d), (output += d), check()));
  const poll = setInterval(check, 10);
  const giveUp = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const { code, exitedAt } = await new Promise<{ code: number | null; exitedAt: number }>((resolve) => {
    let exitedAt = 0;
    child.on('exit', () => (exitedAt = performance.now()));
    child.on('close', (code) => resolve({ code, exitedAt }));
  });
  clearInterval(poll);
  clearTimeout(giveUp);
  assert.ok(sentAt > 0, `never got ready to send ${signal}\n${output}`);
  return { code, stdout, stderr, exitMs: exitedAt - sentAt };
}

test('Ctrl-C, SIGTERM or a closed terminal (SIGHUP) during training stops within 2 s and leaves no output or temporary file', { timeout: 90_000 }, async (t) => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    await t.test(signal, async () => {
      const { dir, input } = fixtureDir();
      const run = await interrupt(['generate', input, '--epochs', '500', '--no-dp', '--seed', '7'], dir, signal, (out) => /^epoch \d+\/500/m.test(out));
      assert.ok(run.exitMs < 2000, `exited ${run.exitMs.toFixed(0)} ms after ${signal}`);
      assert.equal(run.code, 128 + os.constants.signals[signal], 'the shell convention: 128 + the signal number');
      assert.match(run.stderr, new RegExp(`stopped \\(${signal}\\); no partial output was left`));
      assert.doesNotMatch(run.stdout, /Synthetic data:/);
      assert.deepEqual(listDir(dir), ['admissions.csv'], 'outputs or temporary files were left');
    });
  }
});

test('Ctrl-C while sample --out is writing leaves neither the output nor its temporary file', { timeout: 60_000 }, async () => {
  const { model } = await trainedModel();
  const dir = tempDir();
  const out = path.join(dir, 'many.csv');
  const writing = (): boolean => tempFilesIn(dir).some((f) => (fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.size ?? 0) > 0);
  // Rows are flushed in 1 MB writes: wait until the temporary file holds some, then interrupt.
  const run = await interrupt(['sample', model, '--rows', '1000000', '--out', out], dir, 'SIGINT', writing);
  assert.ok(run.exitMs < 2000, `exited ${run.exitMs.toFixed(0)} ms after SIGINT`);
  assert.equal(run.code, 130);
  assert.deepEqual(listDir(dir), []);
});

// ---------------------------------------------------------------------------------------------
// 7. demo

test('demo simulates admissions, makes a DP twin at the default ε, and --no-dp is one flag away', { timeout: 240_000 }, async () => {
  const shipped = path.join(ROOT, 'examples', 'patients.csv');
  const hash = sha256(shipped);
  const cwd = tempDir();
  const dir = path.join(tempDir(), 'demo out'); // does not exist yet; a space in the name
  // Fewer rows than the default 20,000 keep the test short; the default is measured by hand (README).
  const run = await cli(['demo', '--dir', dir, '--rows', '3000'], { cwd, limitMs: 230_000 });
  assertOk(run);

  assert.deepEqual(listDir(dir), ['patients.csv', 'patients.schema.json', 'patients.synthetic.csv', 'patients.synthetic.json', 'patients.synthetic.model', 'patients.synthetic.report.html']);
  assert.deepEqual(listDir(cwd), [], 'the demo wrote into the current folder');

  // The schema summary of the simulated data.
  assert.ok(run.stdout.includes(`Demo data: ${path.join(dir, 'patients.csv')} (3,000 simulated hospital admissions, no real person)`), run.stdout);
  assert.match(run.stdout, /^patients\.csv: 3000 rows, 18 columns, delimiter ","/m);
  assert.match(run.stdout, /^patient_id\s+identifier\s+.*nhs-number/m);
  // The outputs, with differential privacy at the default ε.
  assert.ok(run.stdout.includes(`Metadata card:  ${path.join(dir, 'patients.synthetic.json')}`), run.stdout);
  assert.match(run.stdout, /^Privacy: \(ε = 3\.00, δ = [^)]+\)-differentially private/m);
  assert.doesNotMatch(run.stdout, /NO differential privacy/);
  assert.match(run.stdout, /npm run demo -- --no-dp/);
  const card = JSON.parse(fs.readFileSync(path.join(dir, 'patients.synthetic.json'), 'utf8'));
  assert.equal(card.privacy.differentiallyPrivate, true);
  assert.ok(card.privacy.epsilon <= 3);
  assert.equal(card.evaluation.checklist[0].id, 'dp');
  assert.equal(card.generator.name, 'pgm');
  // The simulator's rules are declared, so the DP rows keep them: no discharge before admission,
  // length of stay equal to the date difference, no man admitted for maternity.
  assert.ok(card.rules.filter((r: { source: string }) => r.source === 'declared').length >= 3, JSON.stringify(card.rules));
  // Any other rule was read off the released model (no privacy cost), never off the private rows.
  assert.ok(card.rules.every((r: { source: string; establishment: string }) => r.source === 'declared' || r.establishment === 'read off the released model'), JSON.stringify(card.rules));
  assert.equal(card.evaluation.rules.syntheticRowsBreakingAny.count, 0);
  // The card's notes (here: the rules tested privately) are printed too, not only filed.
  assert.ok(card.notes.length > 0);
  assert.ok(run.stdout.includes(`Notes (also in the metadata card):\n${card.notes.map((n: string) => `  - ${n}`).join('\n')}\n`), run.stdout);
  const records = readCsv(path.join(dir, 'patients.synthetic.csv'));
  assert.equal(records.length - 1, card.output.rows);
  assert.equal(sha256(shipped), hash, 'the shipped demo data changed');

  // One flag away: the same demo without privacy, rerun into the same folder.
  const plain = await cli(['demo', '--dir', dir, '--rows', '600', '--no-dp'], { cwd, limitMs: 120_000 });
  assertOk(plain);
  assert.match(plain.stdout, /^WARNING: NO differential privacy/m);
  assert.match(plain.stdout, /Without the flag the demo trains with differential privacy at ε 3/);
  const plainCard = JSON.parse(fs.readFileSync(path.join(dir, 'patients.synthetic.json'), 'utf8'));
  assert.equal(plainCard.privacy.differentiallyPrivate, false);
  assert.equal(plainCard.evaluation.rules.syntheticRowsBreakingAny.count, 0);
});

// ---------------------------------------------------------------------------------------------
// Given schemas, output folders and interruption: the behaviour a user should get.

test('generate --out into a folder that does not exist fails before training', async () => {
  const { dir, input } = fixtureDir();
  const run = await cli(['generate', input, ...GENERATE_FAST, '--out', path.join(dir, 'missing', 'twin.csv')], { cwd: dir });
  const message = assertCliError(run);
  assert.doesNotMatch(message, /\.tmp/);
  assert.doesNotMatch(run.stderr, /^epoch/m);
});

test('generate --schema made for a different file says so', async () => {
  const { dir, input } = fixtureDir();
  const schemaFile = path.join(dir, 'admissions.schema.json');
  assertOk(await cli(['schema', input, '--out', schemaFile]));
  const other = path.join(dir, 'other.csv');
  fs.writeFileSync(other, 'x,y\n1,a\n2,b\n3,a\n4,b\n5,a\n');
  const message = assertCliError(await cli(['generate', other, ...GENERATE_FAST, '--schema', schemaFile], { cwd: dir }), { onlyLine: false });
  assert.match(message, /other\.csv.*columns.*schema/);
});

test('generate --schema from a larger file still counts the rows of the file it reads', async () => {
  const { dir, input } = fixtureDir();
  const schemaFile = path.join(dir, 'admissions.schema.json');
  assertOk(await cli(['schema', input, '--out', schemaFile]));
  const smaller = path.join(dir, 'smaller.csv');
  fs.writeFileSync(smaller, fixtureCsv(40));
  const run = await cli(['generate', smaller, ...GENERATE_FAST, '--schema', schemaFile], { cwd: dir });
  assertOk(run);
  const card = JSON.parse(fs.readFileSync(path.join(dir, 'smaller.synthetic.json'), 'utf8'));
  assert.equal(card.source.rows, 40);
  assert.ok(card.holdout.rows + card.training.rows <= 40, `holdout ${card.holdout.rows} + training ${card.training.rows}`);
  assert.equal(card.output.rows, 40);
});

test('Ctrl-C is honoured promptly while sample prepares a large output', { timeout: 60_000 }, async () => {
  const { model } = await trainedModel();
  const dir = tempDir();
  // The temporary file appears before the model is loaded; two seconds later the run is past
  // loading and busy preparing its 2,000,000 rows (identifiers first), which is what Ctrl-C must interrupt.
  let firstSeen = 0;
  const busy = (): boolean => {
    if (!firstSeen && tempFilesIn(dir).length > 0) firstSeen = performance.now();
    return firstSeen > 0 && performance.now() - firstSeen >= 2000;
  };
  const run = await interrupt(['sample', model, '--rows', '2000000', '--out', path.join(dir, 'many.csv')], dir, 'SIGINT', busy);
  assert.equal(run.code, 130);
  assert.deepEqual(listDir(dir), []);
  assert.ok(run.exitMs < 2000, `exited ${run.exitMs.toFixed(0)} ms after SIGINT`);
});

// ---------------------------------------------------------------------------------------------
// Hostile files and outputs (issue 14).

test('empty header names: generate writes them back empty and evaluate reads the outputs', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const input = path.join(dir, 'unnamed.csv');
  // A pandas-style index (dropped from the output), then unnamed columns after it.
  const lines = [',ward,,sex,'];
  for (let i = 0; i < 200; i++) lines.push(`${i},${['A', 'B', 'C'][i % 3]},${((i * 37) % 100) / 10},${i % 2 ? 'F' : 'M'},${(i * 7) % 9}`);
  fs.writeFileSync(input, lines.join('\n') + '\n');
  assertOk(await cli(['generate', input, ...GENERATE_FAST], { cwd: dir }));
  const synthetic = path.join(dir, 'unnamed.synthetic.csv');
  assert.equal(fs.readFileSync(synthetic, 'utf8').split('\n')[0], 'ward,,sex,', 'the header as written, without the row index');
  const run = await cli(['evaluate', input, synthetic, '--json', path.join(dir, 'evaluation.json')], { cwd: dir });
  assertOk(run);
  const evaluation = JSON.parse(fs.readFileSync(path.join(dir, 'evaluation.json'), 'utf8'));
  assert.deepEqual(evaluation.quality.columns.map((c: { column: string }) => c.column), ['ward', 'unnamed_3', 'sex', 'unnamed_5']);
});

test('generate --force --no-evaluate removes the report of the earlier run', { timeout: 60_000 }, async () => {
  const { dir, input } = fixtureDir();
  assertOk(await cli(['generate', input, ...GENERATE_FAST], { cwd: dir }));
  assert.ok(listDir(dir).includes('admissions.synthetic.report.html'));
  const run = await cli(['generate', input, ...GENERATE_FAST, '--force', '--no-evaluate'], { cwd: dir });
  assertOk(run);
  assert.deepEqual(listDir(dir), ['admissions.csv', 'admissions.synthetic.csv', 'admissions.synthetic.json', 'admissions.synthetic.model']);
  assert.doesNotMatch(run.stdout, /Report:/);
});

test('evaluate --json and --html write through a device or FIFO and never replace it', { timeout: 60_000 }, async (t) => {
  const { dir, input } = fixtureDir();
  const fifo = path.join(dir, 'evaluation.pipe');
  spawnSyncOk('mkfifo', [fifo]);
  const reader = new Promise<string>((resolve, reject) => {
    let text = '';
    fs.createReadStream(fifo, 'utf8')
      .on('data', (d) => (text += d))
      .on('end', () => resolve(text))
      .on('error', reject);
  });
  assertOk(await cli(['evaluate', input, input, '--json', fifo, '--force'], { cwd: dir }));
  assert.equal(JSON.parse(await reader).realRows, 300);
  assert.ok(fs.lstatSync(fifo).isFIFO(), 'still a FIFO');

  const device = path.join(dir, 'null');
  if (!spawnSyncOk('mknod', [device, 'c', '1', '3'], true)) return t.skip('mknod needs root');
  assertOk(await cli(['evaluate', input, input, '--json', device, '--html', device, '--force'], { cwd: dir }));
  assert.ok(fs.lstatSync(device).isCharacterDevice(), 'still a device');
  assert.deepEqual(listDir(dir), ['admissions.csv', 'evaluation.pipe', 'null']);
});

function spawnSyncOk(command: string, args: string[], mayFail = false): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  if (result.status !== 0 && !mayFail) throw new Error(`${command} ${args.join(' ')} failed`);
  return result.status === 0;
}

test('evaluate: an existing --json is refused with a hint that names only flags evaluate has', async () => {
  const { dir, input } = fixtureDir();
  const json = path.join(dir, 'evaluation.json');
  fs.writeFileSync(json, '{}');
  const message = assertCliError(await cli(['evaluate', input, input, '--json', json], { cwd: dir }));
  assert.match(message, /evaluation\.json already exists \(use --force to replace, or choose another name\)/);
  assert.doesNotMatch(message, /--out/);
});

test('a file too small to score says so instead of printing NaN', async () => {
  const dir = tempDir();
  const tiny = path.join(dir, 'tiny.csv');
  fs.writeFileSync(tiny, 'a,b\n1,F\n2,M\n3,F\n');
  const run = await cli(['evaluate', tiny, tiny, '--json', path.join(dir, 'e.json')], { cwd: dir });
  assertOk(run);
  assert.match(run.stderr, /fidelity \w+ \(not enough rows to score\)/);
  assert.doesNotMatch(run.stderr + run.stdout, /NaN/);
});

test('an unwritable output folder fails before training, naming the folder', { timeout: 30_000 }, async () => {
  const { dir, input } = fixtureDir();
  // A "folder" that is a file: the same check catches read-only and permission errors (test/unit/atomic.test.ts).
  const run = await cli(['generate', input, ...GENERATE_FAST, '--out', path.join(input, 'twin.csv')], { cwd: dir });
  const message = assertCliError(run);
  assert.match(message, /admissions\.csv is not a folder/);
  assert.doesNotMatch(message, /\.tmp|EROFS|EACCES|ENOTDIR/);
  assert.doesNotMatch(run.stderr, /^epoch/m);

  const ro = tempDir();
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,ro', 'tmpfs', ro], { stdio: 'ignore' });
  if (mount.status !== 0) return;
  try {
    const readOnly = await cli(['generate', input, ...GENERATE_FAST, '--out', path.join(ro, 'twin.csv')], { cwd: dir });
    assert.match(assertCliError(readOnly), new RegExp(`the output folder ${ro.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is on a read-only file system: choose another output folder`));
    assert.doesNotMatch(readOnly.stderr, /^epoch/m);
  } finally {
    spawnSync('umount', [ro]);
  }
});

test('a temporary file left by a killed run is removed by the next run in that folder', { timeout: 60_000 }, async () => {
  const { dir, input } = fixtureDir();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  const leftover = `.admissions.synthetic.csv.synthetic-csv-${dead}-0badf00d.tmp`;
  fs.writeFileSync(path.join(dir, leftover), 'x'.repeat(100_000));
  assertOk(await cli(['generate', input, ...GENERATE_FAST, '--no-evaluate'], { cwd: dir }));
  assert.deepEqual(listDir(dir), ['admissions.csv', 'admissions.synthetic.csv', 'admissions.synthetic.json', 'admissions.synthetic.model']);
});

test('a file with nothing to learn is refused before training, with and without DP', async () => {
  const dir = tempDir();
  const write = (name: string, text: string): string => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const identical = write('identical.csv', 'age,sex,admitted\n' + '54,F,2020-01-01\n'.repeat(60));
  const idText = write('id-text.csv', 'id,note\n' + Array.from({ length: 60 }, (_, i) => `${i + 1},"seen in clinic on visit ${i}, pain ${i % 7} of 10"\n`).join(''));
  const plain = write('plain.csv', 'age,sex\n' + Array.from({ length: 60 }, (_, i) => `${20 + i},${i % 2 ? 'F' : 'M'}\n`).join(''));
  const schemaFile = path.join(dir, 'excluded.schema.json');
  assertOk(await cli(['schema', plain, '--out', schemaFile]));
  const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
  for (const column of schema.columns) column.exclude = true;
  fs.writeFileSync(schemaFile, JSON.stringify(schema));

  const cases: [string, string[], RegExp][] = [
    ['identical', [identical], /age: constant.*sex: constant.*admitted: constant/],
    ['id-text', [idText], /id: identifier.*note: free text/],
    ['excluded', [plain, '--schema', schemaFile], /age: excluded in the schema; sex: excluded in the schema/],
  ];
  for (const [name, args, reasons] of cases) {
    for (const dp of [[], ['--no-dp']]) {
      const run = await cli(['generate', ...args, ...dp, '--epochs', '1', '--out', path.join(dir, `${name}${dp.length ? '-nodp' : ''}.synthetic.csv`)], { cwd: dir });
      const message = assertCliError(run, { onlyLine: false });
      assert.match(message, /nothing to learn/, `${name} ${dp.join(' ')}`);
      assert.match(message, reasons, `${name} ${dp.join(' ')}`);
      assert.doesNotMatch(message, /\.tmp|gradient/);
      assert.doesNotMatch(run.stderr, /^epoch/m, 'refused before training');
    }
  }
  assert.deepEqual(fs.readdirSync(dir).sort(), ['excluded.schema.json', 'id-text.csv', 'identical.csv', 'plain.csv'], 'no output written');
});

test('sample --where draws only rows meeting every condition, and refuses impossible ones before sampling', { timeout: 60_000 }, async () => {
  const { dir, model } = await trainedModel();
  const run = await cli(['sample', model, '--rows', '40', '--where', 'ward=Oncology', '--where', 'age>=60', '--where', 'admitted>=2023-07-01'], { cwd: dir });
  assertOk(run);
  const records = parseCsv(run.stdout, { columns: true }) as Record<string, string>[];
  assert.equal(records.length, 40);
  for (const row of records) {
    assert.equal(row.ward, 'Oncology');
    assert.ok(Number(row.age) >= 60, `age ${row.age}`);
    assert.ok(row.admitted >= '2023-07-01', `admitted ${row.admitted}`);
  }
  assert.equal(new Set(records.map((r) => r.patient_id)).size, 40, 'identifiers stay unique across rejection rounds');

  const refused: [string, RegExp][] = [
    ['wardx=Oncology', /there is no column "wardx"/],
    ['ward=Paediatrics', /"Paediatrics" is not a category of "ward".*Cardiology/],
    ['age>=500', /"age" ranges from .* to .* in the model: no row can meet this/],
    ['patient_id=P10001', /"patient_id" is not learned by the model \(identifier/],
    ['ward>=Oncology', /use = or != with one of its categories/],
    ['age', /write a column, an operator/],
  ];
  for (const [where, message] of refused) {
    const failed = await cli(['sample', model, '--rows', '5', '--where', where], { cwd: dir });
    assert.match(assertCliError(failed), message, where);
  }
});
