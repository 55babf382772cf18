import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { InputError } from '../core/csv/errors';
import { removeUnfinishedOutputs, writeTextAtomic } from '../core/io/atomic';
import { inferSchema } from '../core/schema/infer';
import type { Schema } from '../core/schema/types';
import { readSchemaFile, schemaToJson } from '../core/schema/schema-file';
import { withPrivacyUnit } from '../core/schema/privacy-unit';
import { checkRoundTrip } from '../core/transform/roundtrip';
import { DP_DEFAULTS, generate } from '../core/generate';
import { DEFAULT_DELTA, DEFAULT_EPSILON, MAX_EPSILON, privacyRequestProblem } from '../core/privacy/budget';
import { sampleFromModel } from '../core/sample-model';
import { FIXTURE_FORMATS, type FixtureFormat } from '../core/fixtures';
import type { BackendPreference } from '../core/model/backend';
import { writeFileAtomic } from '../core/io/atomic';
import { describeFormulaCells } from '../core/csv/writer';
import { ProgressReporter, duration } from './progress';
import { VERSION } from '../core/version';
import { describeSchema } from './describe';
import { evaluate } from '../core/evaluate/evaluate';
import type { Evaluation } from '../core/evaluate/types';
import { loadTable } from '../core/table';
import { buildReportData } from '../core/report/data';
import { renderReportHtml } from '../core/report/render';
import { generatePatientsCsv } from '../core/demo/patients';
import { parseCondition, type Condition } from '../core/conditions';
import { DEFAULT_DP_GENERATOR, GENERATOR_INFO, GENERATOR_NAMES, generatorList } from '../core/generators/catalog';
import type { GeneratorName } from '../core/generators/types';
import { DEFAULT_ROUNDS, MAX_ROUNDS, SUGGESTED_ROUNDS } from '../core/pgm/rounds';

/** Simulated admissions in the demo: enough rows for the DP generators to learn through their noise. */
const DEMO_ROWS = 20_000;

function fraction(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError('must be a number from 0 up to (not including) 1');
  return n;
}

function seedValue(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError('must be a whole number from 0 to 4294967295');
  return n;
}

const BACKENDS = ['auto', 'wasm', 'tensorflow', 'cpu'];
function backendValue(value: string): BackendPreference {
  if (!BACKENDS.includes(value)) throw new InvalidArgumentError(`must be one of ${BACKENDS.join(', ')}`);
  return value as BackendPreference;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('must be a number greater than 0');
  return n;
}

/** A number as typed: NaN for anything that is not one ('', 'abc', '1e'). */
function numberValue(value: string): number {
  return value.trim() === '' ? NaN : Number(value);
}

function epsilonValue(value: string): number {
  const n = numberValue(value);
  const problem = privacyRequestProblem(n, DEFAULT_DELTA);
  if (problem) throw new InvalidArgumentError(problem);
  return n;
}

function deltaValue(value: string): number {
  const n = numberValue(value);
  const problem = privacyRequestProblem(DEFAULT_EPSILON, n);
  if (problem) throw new InvalidArgumentError(problem);
  return n;
}

function samplingRateValue(value: string): number {
  const n = numberValue(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('must be a number greater than 0 and at most 1');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function roundCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > MAX_ROUNDS) throw new InvalidArgumentError(`must be a whole number from 0 to ${MAX_ROUNDS}`);
  return n;
}

const PRIVACY_UNIT_HELP = 'whom the guarantee protects: a column identifying people (e.g. subject_id: each person with all of their rows) or row (default: the schema\'s, inferred)';
/** "tvae (neural network), pgm (…) or marginals (…)". */
const GENERATOR_HELP = `${generatorList(GENERATOR_NAMES.map((name) => `${name} (${GENERATOR_INFO[name].summary})`))}; default: ${DEFAULT_DP_GENERATOR} with differential privacy (chosen by measurement), tvae with --no-dp`;
const MAX_ROWS_HELP = 'with a privacy unit column: keep at most k rows per person, dropping the rest at random (default: chosen privately)';

export function buildProgram(): Command {
  const program = new Command('synthetic-csv')
    .description('Differentially private synthetic twins of CSV files, with an evaluation report.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command('schema')
    .description('infer the schema of a CSV file: column kinds, missing values, formats, identifiers')
    .argument('<file>', 'CSV file to read (it is never modified)')
    .option('-o, --out <file>', 'write the schema JSON to this file instead of printing it')
    .option('-f, --force', 'replace --out if it exists')
    .option('--summary', 'print a readable table instead of JSON')
    .option('--header', 'the first row is the header (default: detected)')
    .option('--no-header', 'the first row is data, not a header')
    .option('--privacy-unit <column|row>', PRIVACY_UNIT_HELP)
    .option('--max-rows-per-unit <k>', MAX_ROWS_HELP, positiveInt)
    .action(async (file: string, options: { out?: string; force?: boolean; summary?: boolean; header?: boolean; privacyUnit?: string; maxRowsPerUnit?: number }) => {
      const schema = withPrivacyUnit(await inferSchema(file, { header: options.header, rules: true, ...(options.privacyUnit && options.privacyUnit !== 'row' ? { personKey: options.privacyUnit } : {}) }), options.privacyUnit, options.maxRowsPerUnit);
      if (options.out) {
        await writeTextAtomic(options.out, schemaToJson(schema), { overwrite: options.force });
        process.stderr.write(`Schema of ${schema.rowCount} rows x ${schema.columns.length} columns written to ${options.out}\n`);
      } else if (options.summary) {
        process.stdout.write(describeSchema(schema));
      } else {
        process.stdout.write(schemaToJson(schema));
      }
    });

  program
    .command('generate')
    .description('train on a CSV and write a synthetic twin, its metadata card and the model beside it')
    .argument('<file>', 'CSV file to learn from (it is never modified)')
    .option('-s, --schema <file>', 'schema JSON to use (from `synthetic-csv schema`, possibly edited)')
    .option('-r, --rows <n>', 'synthetic rows to write (default: as many as the input; with differential privacy a noisy count of its rows, the exact count being private)', positiveInt)
    .option('-e, --epochs <n>', 'training epochs (default: chosen from the data size)', positiveInt)
    .option('--seed <n>', 'random seed: the same seed, data and backend give the same file', seedValue, 0)
    .option('-o, --out <file>', 'synthetic CSV path; the card, model and report are named after it')
    .option('--epsilon <e>', `privacy budget epsilon, above 0 and at most ${MAX_EPSILON} (default ${DEFAULT_EPSILON}); smaller is more private`, epsilonValue)
    .option('--delta <d>', `privacy delta (default ${DEFAULT_DELTA.toExponential(0)}, the same for every file); must be well below 1/n for n rows`, deltaValue)
    .option('--sampling-rate <q>', `DP-SGD: chance that a row joins each training step (default ${DP_DEFAULTS.samplingRate})`, samplingRateValue)
    .option('--generator <name>', GENERATOR_HELP, (v: string) => {
      if (!(GENERATOR_NAMES as string[]).includes(v)) throw new InvalidArgumentError(`must be ${generatorList()}`);
      return v;
    })
    .option('--no-raking', 'DP tvae: do not measure column pairs to rake its rows to (their share of the budget goes back to the histograms and DP-SGD)')
    .option('--pgm-rounds <n>', `pgm: adaptive rounds after the tree (AIM-style), each measuring the column pair or 3-way clique the model fits worst, e.g. ${SUGGESTED_ROUNDS} (default ${DEFAULT_ROUNDS}: the tree alone, as MST, which measured as well)`, roundCount)
    .option('--privacy-unit <column|row>', PRIVACY_UNIT_HELP)
    .option('--max-rows-per-unit <k>', MAX_ROWS_HELP, positiveInt)
    .option('--pairs <list>', 'with --generator marginals: column pairs drawn jointly from a DP joint histogram, e.g. age:los,sex:ward', parsePairs)
    .option('--accountant <name>', 'pld (tighter, default) or rdp', (v: string) => {
      if (v !== 'pld' && v !== 'rdp') throw new InvalidArgumentError('must be pld or rdp');
      return v;
    }, 'pld')
    .option('--clip <norm>', 'DP-SGD per-example clipping norm', positiveNumber)
    .option('--no-dp', 'train WITHOUT differential privacy, for data that is not sensitive (the outputs say so loudly)')
    .option('--holdout <fraction>', 'share of rows kept out of training for evaluation', fraction, 0.2)
    .option('--max-training-rows <n>', 'train on a random sample of at most this many rows', positiveInt)
    .option('--backend <name>', `TensorFlow.js backend: ${BACKENDS.join(', ')}`, backendValue, 'auto')
    .option('--target <column>', 'column whose prediction measures utility (default: an outcome-like column, stated in the report)')
    .option('--protected <column>', 'column (e.g. sex, ethnicity) to compare fidelity and utility per group')
    .option('--test <file>', 'real test CSV for utility (default: the holdout rows)')
    .option('--no-evaluate', 'skip the evaluation and the HTML report')
    .option('--neutralise-formulas', "prefix cells that start like a spreadsheet formula (=, +, -, @) with ' (for files meant for spreadsheets)")
    .option('--blank-text', 'leave free-text columns blank instead of placeholder text at the real length distribution')
    .option('-f, --force', 'replace existing outputs')
    .action(async (file: string, options: GenerateCliOptions) => {
      await runGenerate(file, options);
    });

  program
    .command('sample')
    .description('sample rows from a saved model file, e.g. as test fixtures')
    .argument('<model>', 'model file written by `generate` (<name>.synthetic.model)')
    .requiredOption('-r, --rows <n>', 'rows to sample', positiveInt)
    .option('--seed <n>', 'random seed', seedValue, 0)
    .option('--format <format>', `output format: ${FIXTURE_FORMATS.join(', ')}`, (v: string) => {
      if (!(FIXTURE_FORMATS as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${FIXTURE_FORMATS.join(', ')}`);
      return v as FixtureFormat;
    }, 'csv')
    .option('--table <name>', 'table name for --format sql, quoted as given (schema.table for a qualified name)', 'synthetic_rows')
    .option('-o, --out <file>', 'write to this file instead of standard output')
    .option('-f, --force', 'replace --out if it exists')
    .option('--backend <name>', `TensorFlow.js backend: ${BACKENDS.join(', ')}`, backendValue, 'auto')
    .option('--neutralise-formulas', "CSV: prefix cells that start like a spreadsheet formula (=, +, -, @) with ' (for files meant for spreadsheets)")
    .option(
      '--where <condition>',
      'only rows meeting a condition, e.g. "died_in_hospital=Yes" or "age>=80" (=, !=, >=, <=, >, <; repeat for several, all must hold)',
      (value: string, previous: Condition[]) => [...previous, parseCondition(value)],
      [] as Condition[],
    )
    .action(async (model: string, options: { rows: number; seed: number; format: FixtureFormat; table: string; out?: string; force?: boolean; backend: BackendPreference; neutraliseFormulas?: boolean; where: Condition[] }) => {
      if (options.neutraliseFormulas && options.format !== 'csv') throw new Error('--neutralise-formulas applies to --format csv only');
      const sample = { model, rows: options.rows, seed: options.seed, format: options.format, tableName: options.table, backend: options.backend, neutraliseFormulas: options.neutraliseFormulas, where: options.where };
      let written: Awaited<ReturnType<typeof sampleFromModel>> = {};
      if (options.out) {
        await writeFileAtomic(options.out, async (write) => void (written = await sampleFromModel(sample, write)), { overwrite: options.force });
        process.stderr.write(`${options.rows} rows written to ${options.out}\n`);
      } else {
        written = await sampleFromModel(sample, async (text) => {
          if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once('drain', resolve));
        });
      }
      const formulas = written.formulaCells && describeFormulaCells(written.formulaCells);
      if (formulas) process.stderr.write(`${written.formulaCells!.neutralised ? 'Note' : 'WARNING'}: ${formulas}\n`);
    });

  program
    .command('evaluate')
    .description('compare a synthetic CSV with the real one: fidelity, utility, privacy, and an HTML report')
    .argument('<real>', 'real CSV (the data the generator learned from)')
    .argument('<synthetic>', 'synthetic CSV')
    .option('-s, --schema <file>', 'schema JSON (default: inferred from the real file)')
    .option('--holdout <file>', 'real rows NOT used for training: enables overfitting and membership-inference checks')
    .option('--test <file>', 'real test CSV for utility (default: the holdout)')
    .option('--target <column>', 'column whose prediction measures utility')
    .option('--protected <column>', 'column to compare fidelity and utility per group')
    .option('--json <file>', 'write the evaluation JSON here (default: print it)')
    .option('--html <file>', 'write the HTML report here')
    .option('--seed <n>', 'random seed', seedValue, 0)
    .option('-f, --force', 'replace --json/--html if they exist')
    .action(async (real: string, synthetic: string, options: EvaluateCliOptions) => {
      await runEvaluate(real, synthetic, options);
    });

  program
    .command('roundtrip')
    .description('check that encoding a CSV for the model and decoding it again reproduces every cell')
    .argument('<file>', 'CSV file to check')
    .option('-s, --schema <file>', 'schema JSON to use instead of inferring one')
    .action(async (file: string, options: { schema?: string }) => {
      const schema = options.schema ? await readSchemaFile(options.schema) : undefined;
      const report = await checkRoundTrip(file, schema);
      process.stdout.write(
        `${report.file}: ${report.rows} rows, ${report.cellsChecked} cells checked, matrix width ${report.width}, ` +
          `${report.mismatches} mismatches (fit ${report.fitMs.toFixed(0)} ms, encode ${report.encodeMs.toFixed(0)} ms, decode ${report.decodeMs.toFixed(0)} ms)\n`,
      );
      if (report.columnsNotEncoded.length) {
        process.stdout.write(`not encoded (regenerated or blank by design): ${report.columnsNotEncoded.join(', ')}\n`);
      }
      for (const m of report.examples) {
        process.stdout.write(`  line ${m.line}, ${m.column}: ${JSON.stringify(m.original)} came back as ${JSON.stringify(m.decoded)}\n`);
      }
      if (report.mismatches > 0) process.exitCode = 1;
    });

  program
    .command('demo')
    .description(`simulate ${DEMO_ROWS.toLocaleString('en-US')} hospital admissions and make a differentially private twin (ε ${DEFAULT_EPSILON}) with its report`)
    .option('-d, --dir <dir>', 'folder for the simulated data and the outputs', 'synthetic-csv-demo')
    .option('--rows <n>', 'simulated admissions', positiveInt, DEMO_ROWS)
    .option('--no-dp', 'train WITHOUT differential privacy, as for data that is not sensitive')
    .action(async (options: { dir: string; rows: number; dp: boolean }) => {
      await runDemo(options);
    });

  return program;
}

interface GenerateCliOptions {
  schema?: string;
  rows?: number;
  epochs?: number;
  seed: number;
  out?: string;
  dp: boolean;
  holdout: number;
  maxTrainingRows?: number;
  backend: BackendPreference;
  force?: boolean;
  target?: string;
  protected?: string;
  test?: string;
  evaluate?: boolean;
  epsilon?: number;
  delta?: number;
  generator?: GeneratorName;
  raking?: boolean;
  pgmRounds?: number;
  pairs?: [string, string][];
  accountant?: 'pld' | 'rdp';
  clip?: number;
  neutraliseFormulas?: boolean;
  samplingRate?: number;
  blankText?: boolean;
  privacyUnit?: string;
  maxRowsPerUnit?: number;
}

/** "a:b,c:d" -> [["a", "b"], ["c", "d"]]. */
function parsePairs(value: string): [string, string][] {
  return value.split(',').map((item) => {
    const names = item.split(':').map((name) => name.trim());
    if (names.length !== 2 || !names[0] || !names[1]) throw new InvalidArgumentError(`"${item}" is not a pair: write two column names as first:second`);
    return names as [string, string];
  });
}

async function runGenerate(file: string, options: GenerateCliOptions): Promise<void> {
  if (!options.dp && (options.epsilon !== undefined || options.delta !== undefined || options.samplingRate !== undefined)) {
    throw new Error('--no-dp cannot be combined with --epsilon, --delta or --sampling-rate');
  }
  if (!options.dp && options.generator && GENERATOR_INFO[options.generator].privateOnly) throw new Error(`the ${options.generator} generator is differentially private: drop --no-dp`);
  const progress = new ProgressReporter();
  const started = performance.now();
  try {
    const schema = options.schema ? await readSchemaFile(options.schema) : undefined;
    const result = await generate({
      input: file,
      schema,
      rows: options.rows,
      epochs: options.epochs,
      seed: options.seed,
      out: options.out,
      force: options.force,
      backend: options.backend,
      holdoutFraction: options.holdout,
      maxTrainingRows: options.maxTrainingRows,
      evaluate: options.evaluate ?? true,
      privacy: options.dp
        ? { epsilon: options.epsilon ?? DEFAULT_EPSILON, delta: options.delta, accountant: options.accountant, clippingNorm: options.clip, samplingRate: options.samplingRate }
        : 'none',
      generator: options.generator,
      raking: options.raking,
      pgmRounds: options.pgmRounds,
      privacyUnit: options.privacyUnit,
      maxRowsPerUnit: options.maxRowsPerUnit,
      pairs: options.pairs,
      target: options.target,
      protectedColumn: options.protected,
      testFile: options.test,
      neutraliseFormulas: options.neutraliseFormulas,
      blankText: options.blankText,
      onPhase: (_phase, message) => progress.phase(message),
      onProgress: (p) => progress.training(p),
    });
    progress.clear();
    const { outputs, card } = result;
    process.stdout.write(
      `\nSynthetic data: ${outputs.csv} (${card.output.rows} rows)\n` +
        `Metadata card:  ${outputs.card}\n` +
        `Model:          ${outputs.model}\n` +
        (card.evaluation ? `Report:         ${outputs.report}\n${verdictLine(card.evaluation)}\n` : '') +
        (card.generator.name === 'tvae'
          ? `Trained ${card.generator.parameters.epochsRun} epochs on ${card.privacy.differentiallyPrivate ? 'about ' : ''}${card.training.rows} rows with ${card.backend.name}${
              card.generator.parameters.raking ? `, rows raked to ${(card.generator.parameters.raking as { pairs: unknown[] }).pairs.length} privately measured column pairs` : ''
            }; `
          : card.generator.name === 'pgm'
            ? `Graphical model of ${(card.generator.parameters.pairs as unknown[]).length} privately chosen column pairs (pgm generator); `
            : `Column histograms${card.generator.parameters.pairs ? ' and chosen pairs' : ', columns independent'} (marginals generator); `) +
        `total ${duration((performance.now() - started) / 1000)}.\n` +
        (card.privacy.differentiallyPrivate ? `Privacy: ${card.privacy.statement}\n` : `WARNING: ${card.privacy.statement}\n`) +
        (card.output.formulaCells?.count ? `${card.output.formulaCells.neutralised ? 'Note' : 'WARNING'}: ${describeFormulaCells(card.output.formulaCells)}\n` : '') +
        (card.notes.length ? `Notes (also in the metadata card):\n${card.notes.map((n) => `  - ${n}`).join('\n')}\n` : ''),
    );
  } finally {
    progress.clear();
  }
}

function verdictLine(e: Evaluation): string {
  const mark = (v: string | null): string => (v === null ? 'n/a' : v.toUpperCase());
  return (
    `Evaluation: fidelity ${mark(e.verdicts.fidelity)} (${Number.isFinite(e.quality.score) ? `quality ${e.quality.score.toFixed(3)}` : 'not enough rows to score'}), ` +
    `utility ${mark(e.verdicts.utility)}${e.utility?.ratio != null ? ` (${(e.utility.ratio * 100).toFixed(0)} % of real)` : ''}, ` +
    `privacy ${mark(e.verdicts.privacy)}`
  );
}

interface EvaluateCliOptions {
  schema?: string;
  holdout?: string;
  test?: string;
  target?: string;
  protected?: string;
  json?: string;
  html?: string;
  seed: number;
  force?: boolean;
}

async function runEvaluate(realFile: string, syntheticFile: string, options: EvaluateCliOptions): Promise<void> {
  const schema = options.schema ? await readSchemaFile(options.schema) : await inferSchema(realFile);
  const real = await loadTable(realFile, schema);
  const synthetic = await loadTable(syntheticFile, schema);
  const holdout = options.holdout ? await loadTable(options.holdout, schema) : undefined;
  const test = options.test ? await loadTable(options.test, schema) : undefined;
  const evaluation = await evaluate(
    {
      schema,
      real,
      synthetic,
      holdout,
      test,
      names: {
        real: path.basename(realFile),
        synthetic: path.basename(syntheticFile),
        ...(options.holdout ? { holdout: path.basename(options.holdout) } : {}),
        ...(options.test ? { test: path.basename(options.test) } : {}),
      },
      files: { real: realFile, synthetic: syntheticFile },
      privacy: await privacyFromCard(syntheticFile),
    },
    { target: options.target, protected: options.protected, seed: options.seed },
  );
  const json = JSON.stringify(evaluation, null, 2) + '\n';
  if (options.json) await writeTextAtomic(options.json, json, { overwrite: options.force });
  if (options.html) {
    const data = buildReportData({ schema, real, synthetic, evaluation });
    await writeTextAtomic(options.html, renderReportHtml(data, { mode: 'file' }), { overwrite: options.force });
  }
  if (!options.json) process.stdout.write(json);
  process.stderr.write(`${verdictLine(evaluation)}\n`);
}

/** The privacy statement of a synthetic file's metadata card, when the card sits beside it. */
async function privacyFromCard(syntheticFile: string): Promise<{ differentiallyPrivate: boolean; epsilon?: number; delta?: number } | undefined> {
  const cardFile = syntheticFile.replace(/\.csv$/i, '') + '.json';
  try {
    const card = JSON.parse(await fs.promises.readFile(cardFile, 'utf8')) as { privacy?: { differentiallyPrivate?: boolean; epsilon?: number; delta?: number } };
    if (typeof card.privacy?.differentiallyPrivate !== 'boolean') return undefined;
    return { differentiallyPrivate: card.privacy.differentiallyPrivate, epsilon: card.privacy.epsilon, delta: card.privacy.delta };
  } catch {
    return undefined;
  }
}

/**
 * The product's main mode on data large enough for DP to work well: simulated admissions (no real
 * person) written to the demo folder, then a DP run at the default ε. The shipped
 * examples/patients.csv is the small sample of the same simulator, for the extension.
 */
async function runDemo(options: { dir: string; rows: number; dp: boolean }): Promise<void> {
  const { dir, rows, dp } = options;
  fs.mkdirSync(dir, { recursive: true });
  const data = path.join(dir, 'patients.csv');
  await writeTextAtomic(data, generatePatientsCsv({ rows }), { overwrite: true });
  process.stdout.write(`Demo data: ${data} (${rows.toLocaleString('en-US')} simulated hospital admissions, no real person)\n\n`);
  const inferred = await inferSchema(data, { rules: true });
  // The rules are the simulator's own (a discharge follows its admission, the length of stay is
  // their difference, ...): public knowledge, so the demo declares them, as a user declares the
  // rules of their own data that are public. Under DP only declared rules are used.
  const schema: Schema = { ...inferred, rules: inferred.rules?.map((rule) => ({ ...rule, source: 'declared' as const })) };
  process.stdout.write(describeSchema(schema) + '\n');
  const schemaFile = path.join(dir, 'patients.schema.json');
  await writeTextAtomic(schemaFile, schemaToJson(schema), { overwrite: true });
  // With DP the demo runs the graphical model: on these admissions it keeps the age -> outcome link
  // that the DP tVAE reverses (utility 93 % of real against 38 %, one run each at ε 3).
  await runGenerate(data, { schema: schemaFile, seed: 0, dp, ...(dp ? { generator: 'pgm' as const } : {}), holdout: 0.2, backend: 'auto', out: path.join(dir, 'patients.synthetic.csv'), force: true });
  process.stdout.write(
    dp
      ? `\nThis was the main mode: differential privacy at the default ε ${DEFAULT_EPSILON}, with the graphical-model generator (--generator pgm). Open the report for the release checklist.\n` +
          `The simulator's rules are declared in ${schemaFile} ("source": "declared"), so every synthetic row keeps them; for your own data, review the rules \`synthetic-csv schema\` proposes and declare those that are public knowledge.\n` +
          'For data that is not sensitive, `npm run demo -- --no-dp` (or `synthetic-csv demo --no-dp`) trains without privacy.\n'
      : `\nThis run had NO privacy guarantee (--no-dp). Without the flag the demo trains with differential privacy at ε ${DEFAULT_EPSILON}.\n`,
  );
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  // `synthetic-csv schema x.csv | head` closes our stdout early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  // A closed terminal (SIGHUP) stops a run like Ctrl+C does; kill -9 cannot be caught, and its
  // leftovers are removed by the next run that writes in the same folder.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      removeUnfinishedOutputs();
      process.stderr.write(`synthetic-csv: stopped (${signal}); no partial output was left\n`);
      process.exit(128 + os.constants.signals[signal]);
    });
  }
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      process.exitCode = error.exitCode;
      return;
    }
    const message = error instanceof InputError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`synthetic-csv: error: ${message.split('\n')[0]}\n`);
    if (process.env.SYNTHETIC_CSV_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  }
}
