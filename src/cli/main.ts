import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { InputError } from '../core/csv/errors';
import { removeUnfinishedOutputs, writeTextAtomic } from '../core/io/atomic';
import { inferSchema } from '../core/schema/infer';
import { readSchemaFile, schemaToJson } from '../core/schema/schema-file';
import { checkRoundTrip } from '../core/transform/roundtrip';
import { VERSION } from '../core/version';
import { describeSchema } from './describe';

/** Where the demo data lives, relative to the bundled CLI in dist/. */
const DEMO_CSV = path.resolve(__dirname, '..', 'examples', 'patients.csv');

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

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
    .action(async (file: string, options: { out?: string; force?: boolean; summary?: boolean }) => {
      const schema = await inferSchema(file);
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
    .description('run on the demo data shipped with the project (examples/patients.csv)')
    .option('-d, --dir <dir>', 'folder for the outputs', 'synthetic-csv-demo')
    .action(async (options: { dir: string }) => {
      await runDemo(options.dir);
    });

  return program;
}

async function runDemo(dir: string): Promise<void> {
  if (!fs.existsSync(DEMO_CSV)) throw new Error(`demo data not found at ${DEMO_CSV}`);
  fs.mkdirSync(dir, { recursive: true });
  const started = performance.now();
  process.stdout.write(`Demo data: ${path.relative(process.cwd(), DEMO_CSV)}\n\n`);
  const schema = await inferSchema(DEMO_CSV);
  process.stdout.write(describeSchema(schema));
  const schemaPath = path.join(dir, 'patients.schema.json');
  await writeTextAtomic(schemaPath, schemaToJson(schema), { overwrite: true });
  const report = await checkRoundTrip(DEMO_CSV, schema);
  process.stdout.write(
    `\nEncoding check: ${report.cellsChecked} cells encoded into a ${report.width}-wide matrix and decoded back, ` +
      `${report.mismatches} mismatches.\n`,
  );
  process.stdout.write(`Schema written to ${schemaPath} (${((performance.now() - started) / 1000).toFixed(1)} s).\n`);
  if (report.mismatches > 0) process.exitCode = 1;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  // `synthetic-csv schema x.csv | head` closes our stdout early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      removeUnfinishedOutputs();
      process.stderr.write(`synthetic-csv: stopped (${signal}); no partial output was left\n`);
      process.exit(130);
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
