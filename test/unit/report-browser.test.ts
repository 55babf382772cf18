/**
 * The evaluation report in a real browser (Chromium through playwright-core): the offline HTML file
 * draws every chart under its strict CSP, shows hostile CSV strings as text, and renders in light
 * and dark; the webview variant posts its messages. Screenshots go to test-results/.
 * Needs dist/webview/report.js (`npm test` builds it first). The browser tests run whenever a
 * Chromium is found (test/helpers/chromium.ts) and are skipped, with the command that enables
 * them, when none is; REQUIRE_BROWSER=1 (set by .ci/run) turns that skip into a failure.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildReportData, type ReportData } from '../../src/core/report/data';
import { renderReportHtml, reportScriptPath, reportStylePath } from '../../src/core/report/render';
import type { Evaluation } from '../../src/core/evaluate/types';
import { evaluateQuality } from '../../src/core/evaluate/quality';
import { Random } from '../../src/core/random';
import { daysFromCivil } from '../../src/core/schema/dates';
import type { ColumnKind, ColumnSchema, Schema } from '../../src/core/schema/types';
import { loadTable, type Table } from '../../src/core/table';
import { inferSchema } from '../../src/core/schema/infer';
import { evaluate } from '../../src/core/evaluate/evaluate';
import { tempDir } from '../helpers/files';
import { browserTestOptions, findChromium, requireChromium } from '../helpers/chromium';

const CHROMIUM = findChromium();
const BROWSER = browserTestOptions(CHROMIUM);
const XSS_CATEGORY = '<img src=x onerror=alert(1)>';
const XSS_COLUMN = '<script>alert(2)</script>';
const RESULTS = path.resolve(__dirname, '..', '..', 'test-results');

// ---------------------------------------------------------------------------------------------
// Fixture: a small real and synthetic table with numeric, categorical, date and boolean columns.

const WARDS = ['Cardiology', 'Oncology', 'Renal', XSS_CATEGORY, 'Maternity'];
const DIAGNOSES = Array.from({ length: 26 }, (_, i) => `Diagnosis ${String.fromCharCode(65 + i)} (ICD-10 group ${i + 1})`);

function column(index: number, name: string, kind: ColumnKind, extra: Partial<ColumnSchema> = {}): ColumnSchema {
  return { name, index, kind, missingCount: 0, missingRate: 0, missingToken: null, quoting: 'as-needed', distinctCount: 10, distinctExact: true, ...extra };
}

const schema: Schema = {
  version: 1,
  generator: 'test',
  dialect: { delimiter: ',', quote: '"', header: true, lineEnding: '\n', bom: false, encoding: 'utf-8' },
  rowCount: 600,
  columns: [
    column(0, 'age', 'integer'),
    column(1, XSS_COLUMN, 'continuous'),
    column(2, 'ward', 'categorical'),
    column(3, 'admitted', 'date', { dateFormat: 'YYYY-MM-DD' }),
    column(4, 'readmitted', 'boolean'),
    column(5, 'diagnosis', 'categorical'),
    column(6, 'length_of_stay', 'continuous'),
    column(7, 'nhs_number', 'identifier'),
  ],
};

function makeTable(rows: number, seed: number, drift: number): Table {
  const rng = new Random(seed);
  const age = new Float64Array(rows);
  const lab = new Float64Array(rows);
  const ward = new Int32Array(rows);
  const admitted = new Float64Array(rows);
  const readmitted = new Int32Array(rows);
  const diagnosis = new Int32Array(rows);
  const stay = new Float64Array(rows);
  const start = daysFromCivil(2019, 1, 1);
  for (let i = 0; i < rows; i++) {
    age[i] = Math.max(18, Math.min(99, Math.round(62 + drift * 3 + 16 * rng.normal())));
    lab[i] = rng.next() < 0.04 ? NaN : 4 + 0.03 * age[i] + (1 + drift * 0.2) * rng.normal();
    ward[i] = rng.categorical([0.3, 0.25 + drift * 0.05, 0.2, 0.05, 0.2]);
    admitted[i] = start + Math.floor(rng.next() * 365 * 3 * (1 + drift * 0.02));
    readmitted[i] = rng.next() < 0.15 + drift * 0.03 ? 1 : 0;
    diagnosis[i] = rng.categorical(DIAGNOSES.map((_, k) => 1 / (k + 1.5)));
    stay[i] = Math.exp(1.2 + 0.01 * (age[i] - 60) + 0.6 * rng.normal());
  }
  return {
    rowCount: rows,
    rowIndex: Int32Array.from({ length: rows }, (_, i) => i),
    columns: [
      { type: 'numeric', values: age },
      { type: 'numeric', values: lab },
      { type: 'categorical', codes: ward, levels: WARDS },
      { type: 'numeric', values: admitted },
      { type: 'categorical', codes: readmitted, levels: ['false', 'true'] },
      { type: 'categorical', codes: diagnosis, levels: DIAGNOSES },
      { type: 'numeric', values: stay },
      { type: 'none' },
    ],
  };
}

const evaluation: Evaluation = {
  version: 1,
  realFile: '/data/admissions.csv',
  syntheticFile: '/data/admissions.synthetic.csv',
  holdoutFile: '/data/admissions.holdout.csv',
  realRows: 600,
  syntheticRows: 600,
  holdoutRows: 150,
  quality: {
    score: 0.874,
    columnShapes: 0.912,
    columnPairTrends: 0.836,
    columns: [
      { column: 'age', metric: 'KSComplement', score: 0.93 },
      { column: XSS_COLUMN, metric: 'KSComplement', score: 0.88 },
      { column: 'ward', metric: 'TVComplement', score: 0.95 },
      { column: 'admitted', metric: 'KSComplement', score: 0.97 },
      { column: 'readmitted', metric: 'TVComplement', score: 0.96 },
      { column: 'diagnosis', metric: 'TVComplement', score: 0.72 },
      { column: 'length_of_stay', metric: 'KSComplement', score: 0.9 },
    ],
    pairs: [
      { columns: ['age', 'length_of_stay'], metric: 'CorrelationSimilarity', score: 0.91, realAssociation: 0.55, meetsThreshold: true },
      { columns: ['ward', 'diagnosis'], metric: 'ContingencySimilarity', score: 0.76, realAssociation: 0.34, meetsThreshold: true },
    ],
    pairSummary: { total: 21, computed: 21, sampled: false, counted: 2, listed: 'every pair' },
    // Measured on the tables in before().
    correlationMap: null,
    coverage: [
      { column: 'age', realMissingRate: 0, syntheticMissingRate: 0, missingValueSimilarity: 1, coverage: 0.96, coverageMetric: 'RangeCoverage' },
      { column: 'ward', realMissingRate: 0, syntheticMissingRate: 0, missingValueSimilarity: 1, coverage: 1, coverageMetric: 'CategoryCoverage' },
      { column: 'diagnosis', realMissingRate: 0, syntheticMissingRate: 0, missingValueSimilarity: 1, coverage: 0.88, coverageMetric: 'CategoryCoverage' },
    ],
  },
  privacy: {
    exactCopies: { count: 0, rate: 0 },
    holdoutExactCopies: { count: 0, rate: 0 },
    dcrBaselineProtection: 0.94,
    dcrOverfittingProtection: 0.97,
    medianDcrTrain: 0.21,
    medianDcrHoldout: 0.22,
    medianNndr: 0.81,
    membershipInferenceAuc: 0.52,
    membershipInference: {
      members: 600,
      nonMembers: 150,
      distance: { auc: 0.51, low: 0.46, high: 0.56 },
      densityRatio: { auc: 0.52, low: 0.47, high: 0.57 },
      advantage: 0.04,
    },
    dcrHistogram: {
      edges: [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5],
      train: [2, 18, 60, 110, 130, 120, 80, 45, 25, 10],
      holdout: [1, 4, 14, 27, 33, 30, 20, 12, 6, 3],
    },
    rareCategories: [{ column: 'ward', value: XSS_CATEGORY, realCount: 4, syntheticCount: 2 }],
    identifiersCarried: [],
  },
  utility: {
    target: 'readmitted',
    targetReason: 'last boolean column',
    task: 'classification',
    model: 'logistic regression',
    testSet: 'holdout',
    testRows: 150,
    trainOnReal: { accuracy: 0.86, macroF1: 0.71, rocAuc: 0.79 },
    trainOnSynthetic: { accuracy: 0.84, macroF1: 0.66, rocAuc: 0.74 },
    ratio: 0.937,
    headline: 'rocAuc',
  },
  fairness: {
    column: 'ward',
    groups: WARDS.map((value, i) => ({
      value,
      realRows: 120 - i * 10,
      syntheticRows: 118 - i * 9,
      columnShapes: 0.93 - i * 0.04,
      utility: { accuracy: 0.85 - i * 0.02, macroF1: 0.7 - i * 0.03, rocAuc: 0.78 - i * 0.02 },
    })),
  },
  checklist: [
    { id: 'quality', label: 'Overall quality score', verdict: 'pass', value: '87.4%', threshold: '≥ 80%' },
    { id: 'shapes', label: 'Worst column shape (diagnosis)', verdict: 'warn', value: '72%', threshold: '≥ 75%' },
    { id: 'tstr', label: 'TSTR / TRTR ratio (ROC AUC)', verdict: 'pass', value: '0.94', threshold: '≥ 0.90' },
    { id: 'copies', label: 'Exact copies of training rows', verdict: 'pass', value: '0', threshold: '0' },
    { id: 'dcr', label: 'DCR baseline protection', verdict: 'pass', value: '94%', threshold: '≥ 90%' },
    { id: 'mia', label: 'Membership-inference AUC', verdict: 'pass', value: '0.52', threshold: '≤ 0.60' },
    { id: 'rare', label: `Rare categories reproduced (${XSS_CATEGORY})`, verdict: 'warn', value: '1', threshold: '0' },
    { id: 'dp', label: 'Differential privacy budget ε', verdict: 'pass', value: '3.0', threshold: '≤ 5' },
  ],
  verdicts: { fidelity: 'pass', utility: 'pass', privacy: 'warn' },
  timings: { total: 1234 },
};

const card: Record<string, unknown> = {
  generator: { name: 'DP-TVAE', version: '0.1.0' },
  createdAt: '2026-11-23T10:15:00Z',
  privacy: {
    mechanism: 'DP-SGD (RDP accountant)',
    epsilon: 3,
    delta: 1e-5,
    ledger: [
      { step: 'Column bounds', epsilon: 0.1, note: 'Laplace' },
      { step: 'Category counts', epsilon: 0.2, note: XSS_CATEGORY },
      { step: 'Model training', epsilon: 2.7, note: 'DP-SGD, 40 epochs' },
    ],
  },
  notes: [`${XSS_CATEGORY}: 100 % of its synthetic values are "Other"`, 'Values in 2 column(s) are space-padded; they are read trimmed.'],
  training: {
    history: Array.from({ length: 40 }, (_, i) => ({ epoch: i + 1, loss: 3 * Math.exp(-i / 8) + 0.6 + 0.05 * Math.sin(i), epsilon: 0.3 + 2.7 * Math.sqrt((i + 1) / 40) })),
  },
};

// ---------------------------------------------------------------------------------------------

let browser: Browser | undefined;
let data: ReportData;
let dir: string;

before(() => {
  assert.ok(fs.existsSync(reportScriptPath()), `missing ${reportScriptPath()}: run "npm run build" (npm test does) before this test`);
  assert.ok(fs.existsSync(reportStylePath()), `missing ${reportStylePath()}: run "npm run build"`);
  const real = makeTable(600, 1, 0);
  const synthetic = makeTable(600, 2, 1);
  evaluation.quality.correlationMap = evaluateQuality(schema, real, synthetic).correlationMap;
  data = buildReportData({ schema, real, synthetic, evaluation, card });
  dir = tempDir();
  fs.mkdirSync(RESULTS, { recursive: true });
});

/** Launched by the first browser test, so that the tests without a browser never need one. */
async function launchedBrowser(): Promise<Browser> {
  browser ??= await chromium.launch({
    executablePath: requireChromium(CHROMIUM),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

after(async () => {
  await browser?.close();
});

interface Watch {
  problems: string[];
  dialogs: string[];
}

/** Open a page that records console errors, page errors, CSP violations and dialogs. */
async function openPage(url: string, colorScheme: 'light' | 'dark', init?: string): Promise<{ page: Page; watch: Watch }> {
  const page = await (await launchedBrowser()).newPage({ viewport: { width: 1280, height: 900 }, colorScheme });
  const watch: Watch = { problems: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') watch.problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => watch.problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    watch.dialogs.push(d.message());
    void d.dismiss();
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  if (init) await page.addInitScript(init);
  await page.goto(url);
  await page.waitForSelector('body[data-rendered="true"]', { timeout: 10_000 });
  // Let ResizeObserver-driven chart redraws settle.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return { page, watch };
}

/** Per canvas: its size and how many pixels are not transparent. */
async function canvasInk(page: Page): Promise<{ label: string; width: number; height: number; ink: number }[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('canvas')).map((c) => {
      const ctx = c.getContext('2d')!;
      const pixels = c.width && c.height ? ctx.getImageData(0, 0, c.width, c.height).data : new Uint8ClampedArray();
      let ink = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) ink++;
      return { label: c.getAttribute('aria-label') ?? '', width: c.width, height: c.height, ink };
    }),
  );
}

test('report data is compact aggregates, JSON-safe', () => {
  const json = JSON.stringify(data);
  assert.ok(json.length < 60_000, `report data is ${json.length} bytes`);
  assert.equal(JSON.stringify(JSON.parse(json)), json, 'round-trips through JSON');
  assert.equal(data.columns.length, 7, 'modelled columns only (the identifier is left out)');
  const age = data.columns.find((c) => c.name === 'age')!;
  assert.equal(age.chart?.type, 'histogram');
  const lab = data.columns.find((c) => c.name === XSS_COLUMN)!;
  assert.ok(lab.chart?.type === 'histogram' && lab.chart.edges.length === 31, '30 bins on shared edges');
  assert.ok(lab.missing.real > 0 && lab.missing.real < 0.1, 'missing rate measured');
  const admitted = data.columns.find((c) => c.name === 'admitted')!;
  assert.ok(admitted.chart?.type === 'timeline' && admitted.chart.unit === 'month' && admitted.chart.labels[0] === '2019-01');
  const diagnosis = data.columns.find((c) => c.name === 'diagnosis')!;
  assert.ok(diagnosis.chart?.type === 'categories' && diagnosis.chart.labels.length === 20 && diagnosis.chart.otherReal! > 0, 'top 20 + other');
  assert.deepEqual(data.correlations?.columns, ['age', XSS_COLUMN, 'admitted', 'length_of_stay']);
  assert.ok((data.correlations!.real[0][3] ?? 0) > 0.1, 'age and length of stay correlate');
  assert.equal(data.privacy.dp.status, 'dp');
  assert.equal(data.privacy.dp.epsilon, 3);
  assert.equal(data.training?.length, 40);
  assert.equal(data.ledger?.entries?.rows.length, 3);
});

test('report data edge cases: small integer ranges, constant and empty columns, long date spans, DP status', () => {
  const small: Schema = {
    ...schema,
    rowCount: 6,
    columns: [
      column(0, 'children', 'integer'),
      column(1, 'constant', 'continuous'),
      column(2, 'empty', 'continuous'),
      column(3, 'born', 'datetime', { dateFormat: 'YYYY-MM-DD HH:mm:ss' }),
      column(4, 'sex', 'categorical'),
    ],
  };
  const seconds = (y: number) => daysFromCivil(y, 6, 1) * 86400;
  const table = (levels: string[], codes: number[], children: number[]): Table => ({
    rowCount: 6,
    rowIndex: Int32Array.from([0, 1, 2, 3, 4, 5]),
    columns: [
      { type: 'numeric', values: Float64Array.from(children) },
      { type: 'numeric', values: Float64Array.from([5, 5, 5, 5, 5, 5]) },
      { type: 'numeric', values: Float64Array.from([NaN, NaN, NaN, NaN, NaN, NaN]) },
      { type: 'numeric', values: Float64Array.from([1950, 1960, 1970, 1980, 1990, 2000].map(seconds)) },
      { type: 'categorical', codes: Int32Array.from(codes), levels },
    ],
  });
  const real = table(['F', 'M'], [0, 0, 0, 1, 1, -1], [0, 1, 1, 2, 3, 3]);
  // The synthetic table lists its levels in another order, and has a value outside the real range.
  const synthetic = table(['M', 'F'], [0, 1, 1, 1, 0, 0], [0, 0, 1, 2, 2, 7]);
  const { correlationMap } = evaluateQuality(small, real, synthetic);
  const minimal = { ...evaluation, quality: { ...evaluation.quality, columns: [], coverage: [], pairs: [], correlationMap }, utility: undefined, fairness: undefined };
  const d = buildReportData({ schema: small, real, synthetic, evaluation: minimal });

  const children = d.columns[0].chart;
  assert.ok(children?.type === 'histogram');
  assert.deepEqual(children.edges, [-0.5, 0.5, 1.5, 2.5, 3.5], 'one bin per whole number');
  assert.ok(children.integerBins);
  assert.equal(children.syntheticAbove, round3(1 / 6));
  const constant = d.columns[1].chart;
  assert.ok(constant?.type === 'histogram' && constant.edges.length === 2 && constant.real[0] === 1);
  assert.equal(d.columns[2].chart, null, 'no real values: no chart');
  assert.equal(d.columns[2].missing.real, 1);
  const born = d.columns[3].chart;
  assert.ok(born?.type === 'timeline' && born.unit === 'year' && born.labels[0] === '1950' && born.labels.length === 51);
  const sex = d.columns[4].chart;
  assert.ok(sex?.type === 'categories');
  assert.deepEqual(sex.labels, ['F', 'M']);
  assert.deepEqual(sex.real, [0.6, 0.4], 'shares of non-missing values');
  assert.deepEqual(sex.synthetic, [0.5, 0.5], 'matched by value, not by code');
  assert.equal(d.columns[4].missing.real, round3(1 / 6));
  assert.equal(d.correlations?.columns.length, 4);
  assert.equal(d.correlations?.real[1][1], null, 'a constant column has no correlation');
  assert.equal(d.privacy.dp.status, 'unknown', 'no card');
  assert.equal(d.training, null);
  assert.equal(d.ledger, null);
  const dp = (privacy: Record<string, unknown>) => buildReportData({ schema: small, real, synthetic, evaluation: minimal, card: { privacy } }).privacy.dp;
  assert.equal(dp({ epsilon: 1.5, delta: 1e-6 }).epsilon, 1.5);
  assert.equal(dp({ differentialPrivacy: false }).status, 'none');
  assert.equal(dp({ epsilon: null }).status, 'none');
  assert.equal(dp({ mechanism: 'none' }).status, 'none');
  assert.equal(dp({ note: 'nothing said' }).status, 'unknown');
});

function round3(x: number): number {
  return Number(x.toPrecision(4));
}

test('offline HTML: strict CSP, escaped data, bundle inlined', () => {
  const html = renderReportHtml(data, { mode: 'file' });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)![1];
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  assert.equal(html.match(/<script/g)?.length, 2, 'the data block and the bundle');
  assert.ok(!html.includes(XSS_CATEGORY) && !html.includes(XSS_COLUMN), 'CSV strings never appear raw in the markup');
  assert.ok(html.includes('\\u003cscript>alert(2)\\u003c/script>'));
  assert.ok(!/sourceMappingURL/.test(html));
});

test('offline HTML in Chromium: charts drawn, no CSP errors, hostile strings shown as text, light and dark', { timeout: 60_000, ...BROWSER }, async () => {
  // Kept in test-results/ (gitignored) next to the screenshots, to open by hand.
  const file = path.join(RESULTS, 'admissions.synthetic.report.html');
  fs.writeFileSync(file, renderReportHtml(data, { mode: 'file' }));
  const url = pathToFileURL(file).href;
  const backgrounds: string[] = [];

  for (const scheme of ['light', 'dark'] as const) {
    const { page, watch } = await openPage(url, scheme);
    await page.screenshot({ path: path.join(RESULTS, `report-${scheme}.png`), fullPage: true });

    const canvases = await canvasInk(page);
    // 7 columns + DCR + loss + epsilon.
    assert.equal(canvases.length, 10, JSON.stringify(canvases));
    for (const c of canvases) {
      assert.ok(c.width > 100 && c.height > 100, `canvas "${c.label}" has a size (${c.width}x${c.height})`);
      assert.ok(c.ink > 500, `canvas "${c.label}" is drawn (${c.ink} inked pixels)`);
    }

    const page_ = await page.evaluate(() => ({
      text: document.body.innerText,
      images: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('script').length,
      title: document.title,
      background: getComputedStyle(document.body).backgroundColor,
      buttonsShown: Array.from(document.querySelectorAll('vscode-button')).filter((b) => (b as HTMLElement).offsetParent !== null).length,
      heatmapCells: document.querySelectorAll('.heatmap .cell').length,
    }));
    assert.ok(page_.text.includes(XSS_CATEGORY), 'category value displayed literally');
    assert.ok(page_.text.includes(XSS_COLUMN), 'column name displayed literally');
    assert.equal(page_.images, 0, 'no <img> element was created');
    assert.equal(page_.scripts, 2, 'no <script> element was created');
    assert.match(page_.text, /Fidelity[\s\S]*Utility[\s\S]*Privacy/i, 'three verdict cards');
    assert.ok(page_.text.includes('ε 3.00'), 'epsilon headline');
    assert.ok(page_.text.includes('Release checklist'));
    // Beside a holdout the real rows compared are those the generator learned from, and it says so.
    assert.match(page_.text, /Real rows trained on\s*600[\s\S]*Holdout rows\s*150/);
    // The card's notes, shown as text after the checklist.
    assert.match(page_.text, new RegExp(`Release checklist[\\s\\S]*Notes from the run[\\s\\S]*${XSS_CATEGORY.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 100 % of its synthetic values are "Other"[\\s\\S]*space-padded`));
    assert.equal(page_.buttonsShown, 0, 'webview buttons hidden in file mode');
    assert.equal(page_.heatmapCells, 3 * 16, 'three 4x4 heatmaps');
    backgrounds.push(page_.background);

    assert.deepEqual(watch.dialogs, [], 'no dialog opened');
    assert.deepEqual(watch.problems, [], 'no console errors, page errors or CSP violations');
    await page.close();
  }
  assert.notEqual(backgrounds[0], backgrounds[1], `light and dark backgrounds differ (${backgrounds.join(' vs ')})`);
});

test('no differential privacy is stated loudly', { timeout: 30_000, ...BROWSER }, async () => {
  const noDp = buildReportData({
    schema,
    real: makeTable(200, 3, 0),
    synthetic: makeTable(200, 4, 0),
    evaluation: { ...evaluation, utility: undefined, fairness: undefined, verdicts: { fidelity: 'pass', utility: null, privacy: 'fail' } },
    card: { generator: 'TVAE (non-private)', privacy: { differentialPrivacy: false, epsilon: null } },
  });
  assert.equal(noDp.privacy.dp.status, 'none');
  const file = path.join(dir, 'nodp.report.html');
  fs.writeFileSync(file, renderReportHtml(noDp, { mode: 'file' }));
  const { page, watch } = await openPage(pathToFileURL(file).href, 'light');
  await page.locator('.summary').screenshot({ path: path.join(RESULTS, 'report-no-dp.png') });
  const alert = await page.locator('.no-dp').innerText();
  assert.match(alert, /NO differential privacy/i);
  assert.match(await page.locator('.overall').innerText(), /Not ready for release/);
  assert.deepEqual(watch.problems, []);
  await page.close();
});

test('webview mode: nonce CSP, buttons post typed messages', { timeout: 30_000, ...BROWSER }, async () => {
  const scriptUri = pathToFileURL(reportScriptPath()).href;
  const styleUri = pathToFileURL(reportStylePath()).href;
  const html = renderReportHtml(data, { mode: 'webview', cspSource: 'file:', nonce: 'abc123XYZ', scriptUri, styleUri });
  assert.match(html, /script-src 'nonce-abc123XYZ'/);
  assert.match(html, /<script nonce="abc123XYZ" src="file:/);
  const file = path.join(dir, 'webview.html');
  fs.writeFileSync(file, html);
  const init = `window.__posted = []; window.__state = undefined;
    window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => window.__state, setState: (s) => { window.__state = s; } });`;
  const { page, watch } = await openPage(pathToFileURL(file).href, 'dark', init);
  await page.evaluate(() => document.body.classList.add('vscode-dark'));
  for (const label of ['Open synthetic CSV', 'Export HTML report', 'Copy metadata card']) {
    await page.locator('vscode-button', { hasText: label }).click();
  }
  const posted = await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
  assert.deepEqual(posted, [{ type: 'openSynthetic' }, { type: 'exportReport' }, { type: 'copyCard' }]);
  const canvases = await canvasInk(page);
  assert.ok(canvases.every((c) => c.ink > 500));
  assert.deepEqual(watch.problems, []);
  await page.close();
});

test('entities section and a code column of hundreds of values, in Chromium', { timeout: 60_000, ...BROWSER }, async () => {
  // Real: 40 patients of 1 to 4 rows, sex constant per patient; synthetic: one row per patient.
  // The drug column has 100 values in the 100 real rows: its top 20 hold a fifth of them.
  const realLines = ['patient,admission,sex,drug'];
  const syntheticLines = [...realLines];
  let row = 0;
  for (let p = 0; p < 40; p++) {
    for (let k = 0; k <= p % 4; k++) realLines.push(`P${p},A${p}-${k % 2},${p % 2 ? 'F' : 'M'},drug ${(row++ * 7) % 300}`);
  }
  for (let r = 0; r < row; r++) syntheticLines.push(`S${r},B${r},${r % 3 ? 'F' : 'M'},drug ${(r * 11) % 300}`);
  const realFile = path.join(dir, 'entities.csv');
  const syntheticFile = path.join(dir, 'entities.synthetic.csv');
  fs.writeFileSync(realFile, realLines.join('\n') + '\n');
  fs.writeFileSync(syntheticFile, syntheticLines.join('\n') + '\n');
  const inferred = await inferSchema(realFile);
  const entitySchema: Schema = {
    ...inferred,
    columns: inferred.columns.map((c) => (c.name === 'drug' ? { ...c, kind: 'categorical' as const } : c)),
    entities: [
      { key: 'patient', constant: ['sex'], source: 'declared' },
      { key: 'admission', parent: 'patient', constant: [], source: 'declared' },
    ],
  };
  const real = await loadTable(realFile, entitySchema);
  const synthetic = await loadTable(syntheticFile, entitySchema);
  const e = await evaluate({ schema: entitySchema, real, synthetic, names: { real: 'entities.csv', synthetic: 'entities.synthetic.csv' }, files: { real: realFile, synthetic: syntheticFile } });
  const report = buildReportData({ schema: entitySchema, real, synthetic, evaluation: e });
  assert.equal(report.entities?.entities.length, 2);
  const file = path.join(RESULTS, 'entities.report.html');
  fs.writeFileSync(file, renderReportHtml(report, { mode: 'file' }));
  const { page, watch } = await openPage(pathToFileURL(file).href, 'light');
  await page.screenshot({ path: path.join(RESULTS, 'report-entities.png'), fullPage: true });
  const section = await page.locator('section', { hasText: 'Keys whose values repeat' }).innerText();
  assert.match(section, /patient/);
  assert.match(section, /admission \(within patient\)/);
  assert.match(section, /Within one patient\s+100\.0% of \d+\s+— \(none with 2\+ rows\)/);
  assert.match(section, /Constant: sex\s+100\.0% of 30\s+— \(none with 2\+ rows\)/);
  const entityCanvases = (await canvasInk(page)).filter((c) => c.label.startsWith('Rows per'));
  assert.equal(entityCanvases.length, 2);
  for (const c of entityCanvases) assert.ok(c.ink > 500, `canvas "${c.label}" is drawn`);
  assert.match(await page.locator('tr', { hasText: 'Rows per entity (patient' }).innerText(), /^Fail/);
  // The drug chart: top 20 drawn, the other 80 values stated beside it rather than as a bar.
  const drug = await page.locator('article.column-card', { hasText: 'drug' }).innerText();
  assert.match(drug, /Top 20 shown; the other 80 values \d+(\.\d)?% real · \d+(\.\d)?% synthetic/);
  assert.deepEqual(watch.problems, []);
  await page.close();
});
