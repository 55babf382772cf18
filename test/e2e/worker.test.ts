/**
 * The extension's worker client against the real bundled worker (dist/worker.js), in plain Node:
 * the parts of cancellation and crash handling that the UI test cannot provoke on demand.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { finishGenerate, JobCancelled, runCheckRules, runInferSchema, runSample, startGenerate, WorkerCrashed, WorkerFailure, type WorkerJob } from '../../src/extension/workerClient';
import type { GenerateParams } from '../../src/protocol/messages';
import { ROOT, waitFor } from './harness';

const quiet = (): void => undefined;

function workspace(): { dir: string; input: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthetic-csv-worker-'));
  const input = path.join(dir, 'patients.csv');
  fs.copyFileSync(path.join(ROOT, 'examples', 'patients.csv'), input);
  return { dir, input };
}

function params(input: string, extra: Partial<GenerateParams> = {}): GenerateParams {
  return { input, force: false, mode: 'none', seed: 0, backend: 'auto', holdoutFraction: 0.2, epochs: 2, ...extra };
}

const alive = (pid: number | undefined): boolean => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const leftovers = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f !== 'patients.csv');

describe('worker client with the bundled worker', { timeout: 180_000 }, () => {
  test('a file of identifiers and free text is refused before training, naming the file and its columns', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthetic-csv-worker-'));
    const input = path.join(dir, 'notes.csv');
    fs.writeFileSync(input, 'patient_id,note\n' + Array.from({ length: 60 }, (_, i) => `P${1000 + i},"seen in clinic on visit ${i}, pain ${i % 7} of 10"\n`).join(''));
    const job = startGenerate(ROOT, params(input), { log: quiet });
    await assert.rejects(finishGenerate(job), (error: unknown) => {
      assert.ok(error instanceof WorkerFailure, String(error));
      assert.match(error.message, /nothing to learn/);
      assert.match(error.message, /patient_id: identifier.*note: free text/);
      assert.equal(error.detail.file, 'notes.csv', 'the Problems panel entry points at the file');
      return true;
    });
    assert.deepEqual(fs.readdirSync(dir), ['notes.csv'], 'no output written');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a run writes the four outputs and the process exits', async () => {
    const { dir, input } = workspace();
    const job = startGenerate(ROOT, params(input, { rows: 100 }), { log: quiet });
    const summary = await finishGenerate(job);
    assert.equal(summary.rows, 100);
    assert.equal(summary.differentiallyPrivate, false);
    assert.deepEqual(leftovers(dir).sort(), ['patients.synthetic.csv', 'patients.synthetic.json', 'patients.synthetic.model', 'patients.synthetic.report.html']);
    await waitFor('the worker to exit', () => !alive(job.pid), 6_000);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('sampling from the model: text to insert (TS literal) and a fixture file (SQL)', async () => {
    const { dir, input } = workspace();
    const { outputs } = await finishGenerate(startGenerate(ROOT, params(input, { rows: 20 }), { log: quiet }));
    const literal = await runSample(ROOT, { model: outputs.model, rows: 3, seed: 1, format: 'ts', backend: 'auto', literalOnly: true }, undefined, quiet);
    assert.match(literal.text!, /^\[\n  \{ patient_id: /);
    assert.match(literal.text!, /\]\n$/);
    assert.equal(literal.text!.includes('export const'), false);
    const fixture = path.join(dir, 'patients.fixture.sql');
    await runSample(ROOT, { model: outputs.model, rows: 4, seed: 1, format: 'sql', tableName: 'patients', backend: 'auto', out: fixture }, undefined, quiet);
    const sql = fs.readFileSync(fixture, 'utf8').trim().split('\n');
    assert.equal(sql.length, 4);
    assert.match(sql[0], /^INSERT INTO "patients" \("patient_id", "age", /);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the schema proposes the rules; rules are checked against the file, with the first line that breaks one', async () => {
    const { dir, input } = workspace();
    const schema = await runInferSchema(ROOT, input, () => undefined, undefined, quiet);
    assert.ok(schema.rules?.some((r) => r.kind === 'order' && r.low === 'admission_date' && r.high === 'discharge_date'), 'the date order is proposed');
    const common = { source: 'declared', enforce: true } as const;
    const [kept, broken] = await runCheckRules(
      ROOT,
      input,
      schema,
      [
        { kind: 'order', low: 'admission_date', high: 'discharge_date', ...common },
        { kind: 'order', low: 'discharge_date', high: 'admission_date', ...common },
      ],
      undefined,
      quiet,
    );
    assert.equal(kept.broken, 0);
    assert.equal(kept.share, 1);
    assert.ok(broken.broken > 0 && broken.broken < broken.rows, `${broken.broken} of ${broken.rows}`);
    assert.ok(broken.firstLine !== null && broken.firstLine >= 2);
    // A file the schema does not fit: the worker's error names the line.
    fs.writeFileSync(input, 'patient_id,admission_date,discharge_date\n1,2024-01-01,not a date\n');
    await assert.rejects(
      runCheckRules(ROOT, input, schema, [{ kind: 'order', low: 'admission_date', high: 'discharge_date', ...common }], undefined, quiet),
      (error: unknown) => error instanceof WorkerFailure && error.detail.line === 2,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('cancel during training: no files, no process, within 2 s', async () => {
    const { dir, input } = workspace();
    let training = false;
    const job: WorkerJob = startGenerate(ROOT, params(input, { epochs: 500 }), { log: quiet, onMessage: (m) => (training ||= m.type === 'training') });
    await waitFor('training to start', () => training, 60_000, 50);
    const t = Date.now();
    job.cancel();
    await assert.rejects(finishGenerate(job), JobCancelled);
    assert.ok(Date.now() - t < 2_000, `stopped in ${Date.now() - t} ms`);
    assert.equal(alive(job.pid), false);
    assert.deepEqual(leftovers(dir), []);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a worker killed while writing (crash, OOM) is reported, and its temporary files are removed', async () => {
    const { dir, input } = workspace();
    let sampling = false;
    const job = startGenerate(ROOT, params(input, { epochs: 1, rows: 400_000 }), {
      log: quiet,
      onMessage: (m) => (sampling ||= m.type === 'phase' && m.phase === 'sample'),
    });
    await waitFor('sampling to start', () => sampling, 60_000, 20);
    await waitFor('a temporary output', () => fs.readdirSync(dir).some((f) => f.endsWith('.tmp')), 10_000, 20);
    execFileSync('kill', ['-KILL', String(job.pid)]);
    await assert.rejects(finishGenerate(job), (error: unknown) => error instanceof WorkerCrashed && /stopped unexpectedly \(signal SIGKILL\)/.test(error.message));
    assert.deepEqual(leftovers(dir), [], 'no temporary files');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('SIGTERM mid-write: the worker removes its own temporary files', async () => {
    const { dir, input } = workspace();
    let sampling = false;
    const job = startGenerate(ROOT, params(input, { epochs: 1, rows: 400_000 }), {
      log: quiet,
      outputDirs: [],
      onMessage: (m) => (sampling ||= m.type === 'phase' && m.phase === 'sample'),
    });
    await waitFor('sampling to start', () => sampling, 60_000, 20);
    await waitFor('a temporary output', () => fs.readdirSync(dir).some((f) => f.endsWith('.tmp')), 10_000, 20);
    process.kill(job.pid!, 'SIGTERM');
    await assert.rejects(finishGenerate(job), WorkerCrashed);
    assert.deepEqual(leftovers(dir), [], 'no temporary files');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
