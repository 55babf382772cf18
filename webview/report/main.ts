/**
 * The evaluation report page, for both the offline HTML file and the VS Code webview. It reads the
 * precomputed ReportData from <script type="application/json" id="report-data"> and builds the page
 * with DOM calls: every string from the CSV goes into a Text node or an attribute value, never
 * into markup.
 */
import './report.css';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { ReportColumn, ReportData, ReportEntity, ReportEntityShare } from '../../src/core/report/data';
import type { ReportWebviewMessage, ReportWebviewState } from '../../src/protocol/report';
import type { Verdict } from '../../src/core/evaluate/types';
import { applyDefaults, loadCharts, categoriesAreTall, categoriesChart, dcrChart, destroyCharts, entitySizesChart, histogramChart, otherLabel, otherShownApart, timelineChart, trainingChart } from './charts';
import { custom, h, type Child } from './dom';
import { DASH, dateTime, fixed, int, pct, share } from './format';
import { heatmap, type Heatmap } from './heatmap';
import { readPalette, type Palette } from './theme';

interface VsCodeApi {
  postMessage(message: ReportWebviewMessage): void;
  getState(): unknown;
  setState(state: ReportWebviewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const mode = document.documentElement.dataset.mode === 'webview' ? 'webview' : 'file';
const vscode: VsCodeApi | null = mode === 'webview' && typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : null;

/** Chart and heatmap painters, re-run when the theme changes. */
const painters: ((p: Palette) => void)[] = [];

async function main(): Promise<void> {
  const app = document.getElementById('app')!;
  let data: ReportData;
  try {
    data = JSON.parse(document.getElementById('report-data')?.textContent ?? 'null') as ReportData;
    if (!data || data.version !== 1) throw new Error('unsupported report data');
  } catch (error) {
    app.replaceChildren(h('p', 'loading', `This report could not be read: ${(error as Error).message}`));
    return;
  }
  document.title = `${data.title} · synthetic data evaluation report`;

  const sections: (HTMLElement | null)[] = [
    header(data),
    overall(data),
    summaryCards(data),
    explainSection(),
    checklist(data),
    notesSection(data),
    rulesSection(data),
    entitiesSection(data),
    columnsSection(data),
    correlationsSection(data),
    privacySection(data),
    trainingSection(data),
    fairnessSection(data),
    footer(data),
  ];
  app.replaceChildren(...sections.filter((s): s is HTMLElement => s !== null));
  app.removeAttribute('aria-busy');

  await loadCharts();
  paint();
  watchTheme();
  restoreState();
  document.body.dataset.rendered = 'true';
}

function paint(): void {
  destroyCharts();
  const palette = readPalette();
  applyDefaults(palette);
  for (const painter of painters) painter(palette);
}

function watchTheme(): void {
  let queued = false;
  const repaint = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      paint();
    });
  };
  // VS Code swaps body classes (vscode-light / vscode-dark / vscode-high-contrast) on theme change.
  new MutationObserver(repaint).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  if (mode === 'file') window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', repaint);
}

function restoreState(): void {
  if (!vscode) return;
  const state = vscode.getState() as ReportWebviewState | undefined;
  if (state && typeof state.scrollY === 'number') window.scrollTo(0, state.scrollY);
  let timer: number | undefined;
  window.addEventListener('scroll', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => vscode.setState({ scrollY: window.scrollY }), 150);
  });
}

// ---------------------------------------------------------------------------------------------
// Header and verdicts

function header(data: ReportData): HTMLElement {
  const facts: Child[] = [
    // Beside a holdout, the real rows compared are the ones the generator learned from.
    fact(data.rows.holdout !== null ? 'Real rows trained on' : 'Real rows', int(data.rows.real)),
    fact('Synthetic rows', int(data.rows.synthetic)),
    data.rows.holdout !== null ? fact('Holdout rows', int(data.rows.holdout)) : null,
    fact('Columns modelled', `${data.columnsModelled} of ${data.columnsTotal}`),
    fact('Generator', data.generator ?? 'not recorded'),
    fact('Created', dateTime(data.createdAt)),
  ];
  const flow = h(
    'div',
    'file-flow',
    fileChip(data.files.real, 'real', 'Real'),
    h('span', { class: 'arrow', attrs: { 'aria-hidden': 'true' } }, '→'),
    fileChip(data.files.synthetic, 'synthetic', 'Synthetic'),
    data.files.holdout ? fileChip(data.files.holdout, 'holdout', 'Holdout') : null,
  );
  const titleBlock = h('div', null, h('div', 'eyebrow', 'Synthetic data evaluation report'), h('h1', null, data.title), flow, h('ul', 'facts', facts));
  return h('header', 'report-header', titleBlock, actions());
}

function fact(label: string, value: string): HTMLElement {
  return h('li', null, `${label} `, h('strong', null, value));
}

function fileChip(name: string, kind: 'real' | 'synthetic' | 'holdout', role: string): HTMLElement {
  const swatch = h('span', { class: 'swatch', attrs: { 'aria-hidden': 'true' } });
  swatch.style.background = `var(--${kind})`;
  return h('span', { class: 'file-chip', title: `${role} file` }, swatch, h('span', 'role', role), name);
}

function actions(): HTMLElement | null {
  if (mode !== 'webview') return null;
  const button = (label: string, type: ReportWebviewMessage['type'], secondary: boolean) => {
    const b = custom('vscode-button', { attrs: secondary ? { secondary: '' } : {} }, label);
    b.addEventListener('click', () => vscode?.postMessage({ type }));
    return b;
  };
  return h(
    'div',
    'actions',
    button('Open synthetic CSV', 'openSynthetic', false),
    button('Export HTML report', 'exportReport', true),
    button('Copy metadata card', 'copyCard', true),
  );
}

const VERDICT_TEXT: Record<Verdict, string> = { pass: 'Pass', warn: 'Warn', fail: 'Fail' };

function pill(verdict: Verdict | null, label?: string): HTMLElement {
  return h('span', `pill tone-${verdict ?? 'none'}`, label ?? (verdict ? VERDICT_TEXT[verdict] : 'Not evaluated'));
}

function worst(verdicts: (Verdict | null)[]): Verdict {
  if (verdicts.includes('fail')) return 'fail';
  if (verdicts.includes('warn')) return 'warn';
  return 'pass';
}

function overall(data: ReportData): HTMLElement {
  const v = worst([data.verdicts.fidelity, data.verdicts.utility, data.verdicts.privacy, ...data.checklist.map((c) => c.verdict)]);
  const headline = {
    pass: 'Every check passes. The synthetic file meets the release criteria below.',
    warn: 'Review needed: some checks are borderline. Read the warnings before release.',
    fail: 'Not ready for release: at least one check fails.',
  }[v];
  const count = (x: Verdict) => data.checklist.filter((c) => c.verdict === x).length;
  return h(
    'div',
    { class: `overall tone-${v}`, attrs: { role: 'status' } },
    pill(v, v === 'pass' ? 'Ready' : v === 'warn' ? 'Review' : 'Do not release'),
    h('span', 'headline', headline),
    h('span', 'tally', pill('pass', `${count('pass')} pass`), pill('warn', `${count('warn')} warn`), pill('fail', `${count('fail')} fail`)),
  );
}

function meterRow(label: string, value: number | null, note?: string): HTMLElement[] {
  const bar = h('span');
  bar.style.width = `${Math.max(0, Math.min(1, value ?? 0)) * 100}%`;
  return [
    h('li', null, h('span', 'label', label), h('span', 'value', value === null ? note ?? DASH : pct(value))),
    h('li', { class: `meter tone-${scoreTone(value)}`, attrs: { 'aria-hidden': 'true' } }, bar),
  ];
}

/** A label / value line of a summary card; numbers never wrap, words may. */
function row(label: string, value: string, title?: string): HTMLElement {
  const numeric = /^[\d\s.,%()–—-]+$/.test(value);
  return h('li', { title }, h('span', 'label', label), h('span', numeric ? 'value nowrap' : 'value', value));
}

function summaryCard(title: string, question: string, verdict: Verdict | null, body: (Child | Child[])[]): HTMLElement {
  return h(
    'article',
    `panel summary-card tone-${verdict ?? 'none'}`,
    h('div', 'card-head', h('span', 'card-title', title), pill(verdict)),
    h('p', 'question', question),
    ...body,
  );
}

function summaryCards(data: ReportData): HTMLElement {
  const q = data.quality;
  const scored = data.columns.filter((c): c is ReportColumn & { score: number } => c.score !== null);
  const weakest = scored.length ? scored.reduce((a, b) => (b.score < a.score ? b : a)) : null;
  const fidelity = summaryCard('Fidelity', 'Do columns and their relationships look like the real data?', data.verdicts.fidelity, [
    h('div', 'big', pct(q.score)),
    h('div', 'big-label', 'Overall quality score'),
    h(
      'ul',
      'metric-list',
      meterRow('Column Shapes', q.columnShapes),
      meterRow('Column Pair Trends', q.columnPairTrends, 'no strong pairs'),
      weakest ? row('Weakest column', `${weakest.name}: ${pct(weakest.score, 0)}`, 'The modelled column whose distribution differs most from the real one.') : null,
    ),
  ]);

  const u = data.utility;
  const headlineName = u ? { rocAuc: 'ROC AUC', accuracy: 'accuracy', r2: 'R²' }[u.headline] : '';
  const utility = summaryCard(
    'Utility',
    'Does a model trained on synthetic data predict real outcomes as well?',
    data.verdicts.utility,
    u
      ? [
          h('div', 'big', u.ratio === null ? DASH : pct(u.ratio, 0)),
          h('div', 'big-label', `of real-data performance (TSTR ÷ TRTR, ${headlineName})`),
          h(
            'ul',
            'metric-list',
            row('Trained on real (TRTR)', fixed(u.trainOnReal[u.headline], 3)),
            row('Trained on synthetic (TSTR)', fixed(u.trainOnSynthetic[u.headline], 3)),
            row('Predicting', u.target, u.targetReason),
            row('Model', u.model),
            row('Tested on', `${u.testSet} (${int(u.testRows)} rows)`),
            u.features?.sampled ? row('Features', `${int(u.features.used)} of ${int(u.features.total)} columns, a seeded sample`, `A wide file: both models use ${u.features.rule}.`) : null,
          ),
        ]
      : [h('div', 'big muted', DASH), h('div', 'big-label', 'Not evaluated: no prediction target was available.')],
  );

  const pr = data.privacy;
  const dpBlock: Child[] =
    pr.dp.status === 'none'
      ? [
          h(
            'div',
            { class: 'no-dp', attrs: { role: 'alert' } },
            '⚠ NO differential privacy',
            h('small', null, 'The generator was trained without a formal privacy guarantee. The empirical checks below cannot prove that no individual is exposed.'),
          ),
        ]
      : pr.dp.status === 'dp'
        ? [
            h('div', 'big', pr.dp.epsilon === null ? 'DP' : `ε ${fixed(pr.dp.epsilon, pr.dp.epsilon < 10 ? 2 : 1)}`),
            h(
              'div',
              'big-label',
              `Differential privacy budget${pr.dp.delta !== null ? `, δ = ${pr.dp.delta.toExponential(0)}` : ''}`,
              h('span', 'sub', `${pr.dp.mechanism ? `${pr.dp.mechanism} · ` : ''}lower ε means stronger protection`),
            ),
            ...(pr.dp.unit ? [h('div', 'sub', pr.dp.unit)] : []),
          ]
        : [h('div', 'big muted', 'ε ?'), h('div', 'big-label', 'Differential privacy not recorded (no metadata card).')];
  const mia = pr.mia;
  const privacy = summaryCard('Privacy', 'Could the synthetic rows reveal real people?', data.verdicts.privacy, [
    dpBlock,
    h(
      'ul',
      'metric-list',
      row(
        'DCR protection',
        `${pct(pr.dcrBaselineProtection)}${pr.holdoutDcrBaselineProtection !== null ? ` (unseen real rows: ${pct(pr.holdoutDcrBaselineProtection)})` : ''}`,
        'Median distance to the closest training row, relative to random rows (higher is safer). Real rows the generator never saw give the value to compare with.',
      ),
      row(
        'Membership-inference AUC',
        mia ? `${fixed(mia.auc, 2)}${mia.low !== null && mia.high !== null ? ` (${fixed(mia.low, 2)}–${fixed(mia.high, 2)})` : ''}` : DASH,
        '0.5 means an attacker cannot tell training rows from unseen rows.',
      ),
      row('Exact copies of real rows', `${int(pr.exactCopies.count)} (${share(pr.exactCopies.rate)})`),
      row('Identifier columns carried over', pr.identifiersCarried.length ? String(pr.identifiersCarried.length) : 'none'),
    ),
  ]);

  return h('section', { class: 'summary', attrs: { 'aria-label': 'Verdicts' } }, fidelity, utility, privacy);
}

function checklist(data: ReportData): HTMLElement | null {
  if (!data.checklist.length) return null;
  const rows = data.checklist.map((c) =>
    h('tr', null, h('td', 'status', pill(c.verdict)), h('td', 'wrap', c.label), h('td', c.value.length > 40 ? 'value long' : 'value', c.value), h('td', 'threshold', c.threshold)),
  );
  return h(
    'section',
    null,
    sectionHead('Release checklist', 'Each check compares a measured value with the threshold the release policy sets.'),
    h(
      'div',
      'panel table-wrap',
      h('table', null, h('thead', null, h('tr', null, h('th', null, 'Status'), h('th', null, 'Check'), h('th', 'value', 'Value'), h('th', null, 'Threshold'))), h('tbody', null, rows)),
    ),
  );
}

function notesSection(data: ReportData): HTMLElement | null {
  // Reports written before the card's notes were carried have none.
  const notes = data.notes ?? [];
  if (!notes.length) return null;
  return h('section', null, sectionHead('Notes from the run', 'From the metadata card: how the file was read, and what this run could not keep or confirm.'), h('div', 'panel padded', h('ul', 'notes', notes.map((n) => h('li', null, n)))));
}

function sectionHead(title: string | HTMLElement, description?: string, ...extra: Child[]): HTMLElement {
  return h('div', 'section-head', h('div', null, typeof title === 'string' ? h('h2', null, title) : title, description ? h('p', null, description) : null), extra);
}

// ---------------------------------------------------------------------------------------------
// Columns

function scoreTone(score: number | null): Verdict | 'none' {
  if (score === null) return 'none';
  return score >= 0.9 ? 'pass' : score >= 0.75 ? 'warn' : 'fail';
}

const KIND_TEXT: Record<string, string> = {
  continuous: 'Number',
  integer: 'Whole number',
  categorical: 'Category',
  boolean: 'Yes / no',
  date: 'Date',
  datetime: 'Date and time',
};

function legend(): HTMLElement {
  return h(
    'div',
    { class: 'legend', attrs: { 'aria-label': 'Legend' } },
    h('span', null, h('i', { class: 'real', attrs: { 'aria-hidden': 'true' } }), 'Real'),
    h('span', null, h('i', { class: 'synthetic', attrs: { 'aria-hidden': 'true' } }), 'Synthetic'),
  );
}

function columnsSection(data: ReportData): HTMLElement | null {
  if (!data.columns.length) return null;
  const badge = custom('vscode-badge', { title: `${data.columns.length} modelled columns`, attrs: { variant: 'counter' } }, String(data.columns.length));
  return h(
    'section',
    null,
    sectionHead(
      h('h2', null, 'Column distributions', badge),
      'Real and synthetic values of each modelled column, as a share of non-missing values. The score is KSComplement for numbers and dates, TVComplement for categories: 100% means identical distributions.',
      legend(),
    ),
    h('div', 'column-grid', data.columns.map(columnCard)),
  );
}

function columnCard(column: ReportColumn): HTMLElement {
  const tall = column.chart?.type === 'categories' && categoriesAreTall(column.chart);
  const box = h('div', 'chart-box');
  if (column.chart) {
    const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': `Distribution of ${column.name}, real and synthetic` } });
    box.appendChild(canvas);
    const chart = column.chart;
    painters.push((p) => {
      if (chart.type === 'histogram') histogramChart(canvas, column.name, chart, p);
      else if (chart.type === 'timeline') timelineChart(canvas, chart, p);
      else categoriesChart(canvas, chart, p);
    });
  } else {
    box.appendChild(h('div', 'empty-chart', 'No values in the real data'));
  }

  const foot: Child[] = [
    h('span', null, 'Missing ', h('strong', null, share(column.missing.real)), ' real · ', h('strong', null, share(column.missing.synthetic)), ' synthetic'),
  ];
  if (column.coverage !== null) {
    foot.push(h('span', { title: column.coverageMetric ?? undefined }, column.coverageMetric === 'CategoryCoverage' ? 'Categories covered ' : 'Range covered ', h('strong', null, pct(column.coverage, 0))));
  }
  const c = column.chart;
  if (c && (c.type === 'histogram' || c.type === 'timeline')) {
    const outside = c.type === 'histogram' ? c.syntheticBelow + c.syntheticAbove : (c.syntheticBelow + c.syntheticAbove) / Math.max(1, column.count.synthetic);
    if (outside > 0) foot.push(h('span', 'alert', `${share(outside)} of synthetic values outside the real range`));
  }
  if (c && c.type === 'categories') {
    foot.push(h('span', null, 'Categories ', h('strong', null, int(c.realCategories)), ' real · ', h('strong', null, int(c.syntheticCategories)), ' synthetic'));
    if (otherShownApart(c)) {
      const label = otherLabel(c);
      foot.push(h('span', null, `Top ${c.labels.length} shown; ${label} `, h('strong', null, share(c.otherReal)), ' real · ', h('strong', null, share(c.otherSynthetic)), ' synthetic'));
    }
  }

  const tone = scoreTone(column.score);
  return h(
    'article',
    { class: `panel column-card${tall ? ' tall' : ''}` },
    h(
      'div',
      'col-head',
      h('div', 'col-title', h('h3', { class: 'col-name', title: column.name }, column.name), h('div', 'col-kind', KIND_TEXT[column.kind] ?? column.kind)),
      h('div', `score tone-${tone}`, h('div', 'value', column.score === null ? DASH : pct(column.score, 0)), h('div', 'metric', column.metric ?? 'not scored')),
    ),
    box,
    h('div', 'col-foot', foot),
  );
}

// ---------------------------------------------------------------------------------------------
// Correlations, privacy, training, fairness

function correlationsSection(data: ReportData): HTMLElement | null {
  const c = data.correlations;
  if (!c) return null;
  const maps: [string, (number | null)[][], number, string, string][] = [
    ['Real', c.real, 1, 'r', 'Pearson correlation in the real data'],
    ['Synthetic', c.synthetic, 1, 'r', 'Pearson correlation in the synthetic data'],
    ['Difference', c.difference, 0.5, 'Δr', 'Synthetic minus real; pale means preserved'],
  ];
  const cards = maps.map(([title, matrix, range, label, caption]) => {
    const map: Heatmap = heatmap(c.columns, matrix, range, label, c.columns.length <= 20);
    painters.push((p) => map.paint(p));
    return h('div', 'panel heatmap-card', h('h3', null, title), h('p', 'note', caption), map.element);
  });
  const pairs = data.quality.columnPairTrends;
  return h(
    'section',
    null,
    sectionHead(
      'Relationships between columns',
      `Pearson correlation between numeric and date columns (blue negative, red positive). Column Pair Trends: ${pct(pairs)} over ${int(data.quality.pairsScored)} pairs with a real trend` +
        (data.quality.pairsComputed < data.quality.pairsTotal
          ? `, from a random sample of ${int(data.quality.pairsComputed)} of the ${int(data.quality.pairsTotal)} column pairs (blank cells: no pair sampled).`
          : '.') +
        (c.grouped
          ? ` The ${int(c.numericColumns)} columns are shown in ${c.columns.length} groups, in file order; each cell shows the strongest value (largest in size) among the pairs of its two groups.`
          : ''),
    ),
    h('div', c.columns.length > 8 ? 'heatmaps wide' : 'heatmaps', cards),
  );
}

function kv(items: ([string, string, string?] | null)[]): HTMLElement {
  const dl = h('dl', 'kv');
  for (const item of items) {
    if (!item) continue;
    dl.appendChild(h('dt', { title: item[2] }, item[0]));
    dl.appendChild(h('dd', null, item[1]));
  }
  return dl;
}

function privacySection(data: ReportData): HTMLElement {
  const pr = data.privacy;
  const blocks: Child[] = [];
  if (data.dcr) {
    const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': 'Distance to closest record, training versus holdout' } });
    const dcr = data.dcr;
    painters.push((p) => dcrChart(canvas, dcr, p));
    blocks.push(
      h(
        'div',
        'panel chart-card',
        h('h3', null, 'Distance to closest record'),
        h('div', 'chart-box', canvas),
        h(
          'p',
          'caption',
          dcr.holdout
            ? 'If synthetic rows sit much closer to training rows than to holdout rows (people the generator never saw), the generator has memorised individuals.'
            : 'Synthetic rows piled up at distance 0 would be copies of real rows.',
        ),
      ),
    );
  }
  const mia = pr.mia;
  const details: HTMLElement[] = [
    h('h3', null, 'Privacy measurements'),
    kv([
      pr.dp.status === 'dp'
        ? ['Differential privacy guarantee', `ε ${pr.dp.epsilon === null ? '?' : fixed(pr.dp.epsilon, pr.dp.epsilon < 10 ? 2 : 1)}${pr.dp.delta !== null ? `, δ ${pr.dp.delta.toExponential(0)}` : ''}`, 'The formal evidence: a bound on what any one person can change. The measurements below are empirical.']
        : pr.dp.status === 'none'
          ? ['Differential privacy guarantee', 'none', 'Trained without differential privacy: only the empirical measurements below speak for privacy.']
          : null,
      ['Exact copies of training rows', `${int(pr.exactCopies.count)} (${share(pr.exactCopies.rate)})`],
      pr.holdoutCopiesOfTraining ? ['Holdout rows identical to a training row (baseline)', `${int(pr.holdoutCopiesOfTraining.count)} (${share(pr.holdoutCopiesOfTraining.rate)})`, 'How often real people the generator never saw coincide with a training row: the synthetic rate is judged against it.'] : null,
      pr.holdoutExactCopies ? ['Exact matches with holdout rows', `${int(pr.holdoutExactCopies.count)} (${share(pr.holdoutExactCopies.rate)})`, 'Synthetic rows equal to a real person the generator never saw.'] : null,
      ['DCR baseline protection', pct(pr.dcrBaselineProtection), 'SDMetrics DCRBaselineProtection.'],
      pr.holdoutDcrBaselineProtection !== null
        ? ['DCR baseline protection of holdout rows (baseline)', pct(pr.holdoutDcrBaselineProtection), 'The same measure for real people the generator never saw: the synthetic value is judged against it.']
        : null,
      pr.dcrOverfittingProtection !== null ? ['DCR overfitting protection', pct(pr.dcrOverfittingProtection), 'SDMetrics DCROverfittingProtection.'] : null,
      ['Median distance to closest training row', fixed(pr.medianDcrTrain, 3)],
      pr.medianDcrHoldout !== null ? ['Median distance to closest holdout row', fixed(pr.medianDcrHoldout, 3)] : null,
      ['Median nearest-neighbour distance ratio', fixed(pr.medianNndr, 3)],
      mia ? ['Membership-inference AUC (95% CI)', `${fixed(mia.auc, 2)}${mia.low !== null && mia.high !== null ? ` (${fixed(mia.low, 2)}–${fixed(mia.high, 2)})` : ''}`] : null,
      mia && mia.advantage !== null ? ['Attacker advantage (TPR − FPR)', fixed(mia.advantage, 3)] : null,
      ['Identifier columns carried over', pr.identifiersCarried.length ? pr.identifiersCarried.join(', ') : 'none'],
      pr.distanceColumns
        ? ['Columns compared by the distance measures', `${int(pr.distanceColumns.used)} of ${int(pr.distanceColumns.total)}, a seeded sample`, `A wide file: distances (DCR, NNDR, membership inference) use ${pr.distanceColumns.rule}. Exact copies compare every column.`]
        : null,
    ]),
  ];
  if (pr.rareCategoriesTotal > 0) {
    details.push(
      h('div', 'subhead', `Rare real categories present in the synthetic data (${pr.rareCategoriesTotal})`),
      h(
        'div',
        'table-wrap',
        h(
          'table',
          null,
          h('thead', null, h('tr', null, h('th', null, 'Column'), h('th', null, 'Value'), h('th', 'numeric', 'Real'), h('th', 'numeric', 'Synthetic'))),
          h(
            'tbody',
            null,
            pr.rareCategories.map((r) => h('tr', null, h('td', 'wrap', r.column), h('td', 'wrap', r.value), h('td', 'numeric', int(r.realCount)), h('td', 'numeric', int(r.syntheticCount)))),
          ),
        ),
      ),
    );
    if (pr.rareCategoriesTotal > pr.rareCategories.length) details.push(h('p', 'note', `${pr.rareCategoriesTotal - pr.rareCategories.length} more not shown.`));
  }
  blocks.push(h('div', 'panel padded', details));

  const section = h('section', null, sectionHead('Privacy', 'The differential privacy guarantee first (the formal evidence), then empirical checks of how close the synthetic rows come to real people.'), h('div', 'two-up', blocks));
  if (data.measured) section.appendChild(measuredPanel(data));
  if (data.ledger) section.appendChild(ledgerPanel(data));
  return section;
}

function measuredPanel(data: ReportData): HTMLElement {
  const m = data.measured!;
  const panel = h(
    'div',
    'panel padded',
    h('h3', null, 'What was measured privately'),
    h('p', 'note', `Generator: ${m.generator}. Every statistic taken from the real rows, each released with noise and charged to the ledger below.`),
    h(
      'div',
      'table-wrap',
      h(
        'table',
        null,
        h('thead', null, h('tr', null, h('th', null, 'For'), h('th', null, 'Columns'), h('th', null, 'Release'))),
        h('tbody', null, m.releases.map((r) => h('tr', null, h('td', 'wrap', r.stage), h('td', 'wrap', r.columns), h('td', 'wrap', r.what)))),
      ),
    ),
  );
  panel.style.marginTop = 'var(--gap)';
  return panel;
}

function ledgerPanel(data: ReportData): HTMLElement {
  const ledger = data.ledger!;
  const body: Child[] = [];
  if (ledger.summary.length) body.push(h('div', null, kv(ledger.summary.map((s) => [s.label, s.value] as [string, string]))));
  if (ledger.entries) {
    const e = ledger.entries;
    body.push(
      h(
        'div',
        null,
        h('div', 'subhead', e.title),
        h(
          'div',
          'table-wrap',
          h('table', null, h('thead', null, h('tr', null, e.columns.map((c) => h('th', null, c)))), h('tbody', null, e.rows.map((r) => h('tr', null, r.map((v) => h('td', 'wrap', v)))))),
        ),
      ),
    );
  }
  const panel = h(
    'div',
    'panel padded',
    h('h3', null, 'Privacy ledger'),
    h('p', 'note', 'As recorded in the metadata card: where the privacy budget was spent.'),
    h('div', body.length > 1 ? 'ledger' : null, body),
  );
  panel.style.marginTop = 'var(--gap)';
  return panel;
}

function trainingSection(data: ReportData): HTMLElement | null {
  const points = data.training;
  if (!points) return null;
  const cards: HTMLElement[] = [];
  for (const field of ['loss', 'epsilon'] as const) {
    if (!points.some((p) => p[field] !== null)) continue;
    const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': field === 'loss' ? 'Training loss by epoch' : 'Privacy budget spent by epoch' } });
    painters.push((p) => trainingChart(canvas, points, field, p));
    cards.push(
      h(
        'div',
        'panel chart-card',
        h('h3', null, field === 'loss' ? 'Training loss' : 'Privacy budget spent'),
        h('div', 'chart-box', canvas),
        h('p', 'caption', field === 'loss' ? 'Loss should fall and level off; a curve still falling steeply means training stopped early.' : 'Cumulative ε after each epoch, as computed by the privacy accountant.'),
      ),
    );
  }
  if (!cards.length) return null;
  return h('section', null, sectionHead('Training', `${points.length} epochs recorded in the metadata card.`), h('div', 'two-up', cards));
}

function rulesSection(data: ReportData): HTMLElement | null {
  const r = data.rules;
  if (!r) return null;
  // The card says how each rule was established (declared, confirmed privately, ...); an
  // evaluation of two files alone has only the source.
  const established = r.rules.some((rule) => rule.established);
  const head = h(
    'tr',
    null,
    h('th', null, 'Rule'),
    h('th', null, established ? 'How established' : 'Source'),
    h('th', null, 'Enforced'),
    h('th', 'numeric', 'Real rows keeping it'),
    h('th', 'numeric', 'Synthetic rows keeping it'),
  );
  const rows = r.rules.map((rule) =>
    h(
      'tr',
      null,
      h('td', 'wrap', rule.rule),
      h('td', 'wrap', established ? (rule.established ?? rule.source) : rule.source),
      h('td', null, rule.enforce ? 'yes' : 'soft (reported only)'),
      h('td', 'numeric', pct(rule.real.share, 2)),
      h('td', 'numeric', h('span', `pill plain tone-${rule.synthetic.broken === 0 ? 'pass' : rule.enforce ? 'fail' : 'warn'}`, pct(rule.synthetic.share, 2))),
    ),
  );
  const lead =
    `${r.mined ? 'Rules mined from the real file (they hold in every real row and would often break by chance). ' : ''}` +
    `${pct(r.syntheticRowsBreakingAny.share, 2)} of synthetic rows break at least one enforced rule (real file: ${pct(r.realRowsBreakingAny.share, 2)}).`;
  return h('section', null, sectionHead('Rules', lead), h('div', 'panel table-wrap', h('table', null, h('thead', null, head), h('tbody', null, rows))));
}

function entitiesSection(data: ReportData): HTMLElement | null {
  const list = data.entities;
  if (!list) return null;
  const lead =
    'Keys whose values repeat (a patient, an admission) and the rows that share them: how many rows each has, whether nested keys stay within one parent, and whether columns constant within each real entity stay constant within each synthetic one. Shares count entities of two rows or more: a one-row entity keeps any of these trivially.' +
    (list.sampledNote ? ` Measured on a sample: ${list.sampledNote}.` : '');
  return h('section', null, sectionHead('Entities', lead), h('div', 'entity-list', list.entities.map(entityCard)));
}

/** "97.5% of 80" for a share of entities; a dash when no entity has two rows. */
function entityShare(s: ReportEntityShare): string {
  return s.share === null ? `${DASH} (none with 2+ rows)` : `${pct(s.share)} of ${int(s.entities)}`;
}

function entityCard(e: ReportEntity): HTMLElement {
  const title = h('h3', null, e.parent ? `${e.key} (within ${e.parent})` : e.key);
  if (e.unavailable) return h('div', 'panel entity-card', title, h('p', 'note', `Not measured: ${e.unavailable}.`));
  const chart = h('div', 'chart-box');
  if (e.histogram) {
    const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': `Rows per ${e.key}, real and synthetic` } });
    chart.appendChild(canvas);
    painters.push((p) => entitySizesChart(canvas, e, p));
  }
  const line = (label: string, real: string, synthetic: string, title?: string): HTMLElement =>
    h('tr', { title }, h('td', 'wrap', label), h('td', 'numeric', real), h('td', 'numeric', synthetic));
  const both = (label: string, p: { real: ReportEntityShare; synthetic: ReportEntityShare }, title?: string) => line(label, entityShare(p.real), entityShare(p.synthetic), title);
  const q = e.sequence;
  const rows: (HTMLElement | null)[] = [
    line(`${e.key} values`, int(e.entities.real), int(e.entities.synthetic)),
    line('Rows per entity: median', fixed(e.medianRows.real, 1), fixed(e.medianRows.synthetic, 1)),
    line('Rows per entity: largest', int(e.maxRows.real), int(e.maxRows.synthetic)),
    line('Entities with one row', int(e.singleRow.real), int(e.singleRow.synthetic)),
    e.nesting ? both(`Within one ${e.nesting.parent}`, e.nesting, `${e.key} values whose rows all carry one ${e.nesting.parent}`) : null,
    e.constantsKept ? both('Every constant kept', e.constantsKept, 'Entities in which every constant column holds one value') : null,
    ...e.constants.map((c) => both(`Constant: ${c.column}`, c, `Entities in which ${c.column} holds one value`)),
    q ? both(`${q.column} in file order`, q.inFileOrder) : null,
    q ? line(`${q.column}: median span (days)`, fixed(q.medianSpan.real, 1), fixed(q.medianSpan.synthetic, 1), 'Last minus first date within an entity') : null,
    q ? line(`${q.column}: median gap (days)`, fixed(q.medianGap.real, 1), fixed(q.medianGap.synthetic, 1), 'Between consecutive dates within an entity') : null,
  ];
  const table = h(
    'div',
    'table-wrap',
    h('table', null, h('thead', null, h('tr', null, h('th', null, 'Measure'), h('th', 'numeric', 'Real'), h('th', 'numeric', 'Synthetic'))), h('tbody', null, rows)),
  );
  const scores = kv([
    ['Rows per entity (KS complement)', pct(e.ksComplement), '1 − the Kolmogorov–Smirnov distance between the real and synthetic numbers of rows per entity'],
    q ? [`${q.column} span · gaps (KS complement)`, `${pct(q.spanKsComplement)} · ${pct(q.gapKsComplement)}`] : null,
    e.keysReused ? ['Synthetic keys equal to a real key', e.keysReused.count ? `${int(e.keysReused.count)} (${share(e.keysReused.share)})` : 'none', 'Each synthetic key should be new, never a real value'] : null,
  ]);
  return h('div', 'panel entity-card', title, chart, h('div', null, scores, table), e.notes.map((n) => h('p', 'note', n)));
}

function fairnessSection(data: ReportData): HTMLElement | null {
  const f = data.fairness;
  if (!f || !f.groups.length) return null;
  const metricKeys = [...new Set(f.groups.flatMap((g) => (g.utility ? Object.keys(g.utility) : [])))];
  const metricName: Record<string, string> = { accuracy: 'Accuracy', macroF1: 'Macro F1', rocAuc: 'ROC AUC', r2: 'R²', mae: 'MAE' };
  const head = h(
    'tr',
    null,
    h('th', null, 'Group'),
    h('th', 'numeric', 'Real rows'),
    h('th', 'numeric', 'Synthetic rows'),
    h('th', 'numeric', 'Column Shapes'),
    metricKeys.map((k) => h('th', 'numeric', `${metricName[k] ?? k} (TSTR)`)),
  );
  const rows = f.groups.map((g) =>
    h(
      'tr',
      null,
      h('td', 'wrap', g.value),
      h('td', 'numeric', int(g.realRows)),
      h('td', 'numeric', int(g.syntheticRows)),
      h('td', 'numeric', h('span', `pill plain tone-${scoreTone(g.columnShapes)}`, pct(g.columnShapes))),
      metricKeys.map((k) => h('td', 'numeric', fixed(g.utility?.[k] ?? null, 3))),
    ),
  );
  return h(
    'section',
    null,
    sectionHead('Fairness across groups', `Fidelity and utility within each group of the column “${f.column}”: a group served much worse than the others is poorly represented by the generator.`),
    h('div', 'panel table-wrap', h('table', null, h('thead', null, head), h('tbody', null, rows))),
  );
}

function explainSection(): HTMLElement {
  const terms: [string, string][] = [
    ['Quality score', 'The mean of Column Shapes and Column Pair Trends (SDMetrics). 100% means the synthetic data reproduces the real distributions exactly.'],
    ['Column Shapes', 'How closely each column’s distribution matches: KSComplement (1 − Kolmogorov–Smirnov distance) for numbers and dates, TVComplement (1 − total variation distance) for categories.'],
    ['Column Pair Trends', 'How well relationships between pairs of columns are kept (correlation or contingency similarity), over pairs with a real trend.'],
    ['TSTR / TRTR', 'Train on Synthetic, Test on Real divided by Train on Real, Test on Real: the share of predictive performance kept when a model learns from the synthetic file instead of the real one.'],
    ['Distance to closest record (DCR)', 'For each synthetic row, the distance to the most similar real row. DCR protection is the share of synthetic rows that are no closer to the real data than random data would be.'],
    ['Membership inference', 'A simulated attacker guesses whether a person was in the training data. An AUC of 0.5 means the attacker does no better than chance.'],
    ['Differential privacy (ε)', 'A mathematical bound on how much any one person can change the generator. Smaller ε means stronger protection; without it, privacy rests only on the empirical checks.'],
    ['Column score colours', 'A visual aid only: green at 90% or more, amber from 75%, red below. The release checklist holds the actual criteria.'],
  ];
  return h(
    'section',
    null,
    h(
      'details',
      'panel explain',
      h('summary', null, 'How to read this report'),
      h('div', null, h('dl', null, terms.flatMap(([t, d]) => [h('dt', null, t), h('dd', null, d)]))),
    ),
  );
}

function footer(data: ReportData): HTMLElement {
  return h(
    'footer',
    null,
    h('p', null, `Generated by ${data.tool} on ${dateTime(data.createdAt)}.`),
    h(
      'p',
      null,
      'This report holds aggregate statistics computed from the real data (histograms, category shares, correlations) and no individual rows. It is not itself differentially private: share it as you would summary statistics of the real data.',
    ),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  document.getElementById('app')?.replaceChildren(h('p', 'loading', `The report failed to draw: ${(error as Error).message}`));
});
