/**
 * Chart.js charts of the report. Only the pieces used are registered, so the bundle stays small.
 * Every chart is drawn on a canvas (no inline styles or scripts), labelled (axis titles, a legend
 * naming Real and Synthetic) and coloured from the palette read at draw time.
 */
// chart.js is an ES module; this project type-checks as CommonJS, so it is loaded with import()
// (esbuild inlines it into the bundle) and its types come in with resolution-mode "import".
import type { Chart, ChartConfiguration, ChartDataset } from 'chart.js' with { 'resolution-mode': 'import' };
import type { CategoriesChart, DcrData, HistogramChart, ReportEntity, TimelineChart, TrainingPoint } from '../../src/core/report/data';
import { compact, share, truncate } from './format';
import { rgba, type Palette } from './theme';

let ChartJs: typeof Chart | undefined;

/** Load chart.js and register only the pieces the report uses. */
export async function loadCharts(): Promise<void> {
  if (ChartJs) return;
  const m = await import('chart.js');
  m.Chart.register(m.BarController, m.LineController, m.BarElement, m.LineElement, m.PointElement, m.CategoryScale, m.LinearScale, m.Legend, m.Tooltip, m.Filler);
  ChartJs = m.Chart;
}

function lib(): typeof Chart {
  if (!ChartJs) throw new Error('chart.js is not loaded');
  return ChartJs;
}

const live: Chart[] = [];

export function destroyCharts(): void {
  while (live.length) live.pop()!.destroy();
}

export function applyDefaults(p: Palette): void {
  const Chart = lib();
  Chart.defaults.font.family = p.font;
  Chart.defaults.font.size = 11.5;
  Chart.defaults.color = rgba(p.muted);
  Chart.defaults.borderColor = rgba(p.grid);
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.tooltip.backgroundColor = rgba(p.fg, 0.92);
  Chart.defaults.plugins.tooltip.titleColor = rgba(p.surface);
  Chart.defaults.plugins.tooltip.bodyColor = rgba(p.surface);
  Chart.defaults.plugins.tooltip.cornerRadius = 4;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  Chart.defaults.plugins.legend.labels.boxHeight = 8;
  Chart.defaults.plugins.legend.labels.color = rgba(p.fg, 0.85);
}

function make(canvas: HTMLCanvasElement, config: ChartConfiguration): Chart {
  const chart = new (lib())(canvas, config);
  live.push(chart);
  return chart;
}

function axisTitle(text: string, p: Palette) {
  return { display: true, text, color: rgba(p.muted), font: { size: 11.5, weight: 600 as const } };
}

const legendTopRight = { position: 'top' as const, align: 'end' as const };
/** Legend keys drawn in each dataset's point style: a line for line series, a box for bars. */
const legendWithLines = {
  ...legendTopRight,
  labels: { usePointStyle: true, pointStyleWidth: 16, sort: (a: { datasetIndex?: number }, b: { datasetIndex?: number }) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0) },
};

/**
 * Numeric column: real as bars, synthetic as the outline of its histogram on the same bins, on a
 * linear x axis (round tick values), as % of values per bin.
 */
export function histogramChart(canvas: HTMLCanvasElement, column: string, h: HistogramChart, p: Palette): Chart {
  const bins = h.real.length;
  const width = (h.edges[bins] - h.edges[0]) / bins;
  const toShare = (d: number[]) => d.map((x) => x * width * 100);
  const real = toShare(h.real);
  const synthetic = toShare(h.synthetic);
  const centre = (i: number) => (h.edges[i] + h.edges[i + 1]) / 2;
  // Step outline: a point at each bin's left edge, and one closing the last bin.
  const outline = synthetic.map((y, i) => ({ x: h.edges[i], y }));
  outline.push({ x: h.edges[bins], y: synthetic[bins - 1] ?? 0 });
  const datasets = [
    {
      type: 'bar' as const,
      label: 'Real',
      data: real.map((y, i) => ({ x: centre(i), y })),
      backgroundColor: rgba(p.real, 0.32),
      borderColor: rgba(p.real, 0.9),
      borderWidth: 1,
      barPercentage: 1,
      categoryPercentage: h.integerBins ? 0.8 : 1,
      pointStyle: 'rect' as const,
      order: 2,
    },
    {
      type: 'line' as const,
      label: 'Synthetic',
      data: outline,
      borderColor: rgba(p.synthetic),
      backgroundColor: rgba(p.synthetic),
      borderWidth: 2,
      pointRadius: 0,
      pointHoverRadius: 0,
      pointStyle: 'line' as const,
      stepped: 'after' as const,
      fill: false,
      order: 1,
    },
  ];
  const binTitle = (i: number) => (h.integerBins ? compact(h.edges[i] + 0.5) : `${compact(h.edges[i])} to ${compact(h.edges[i + 1])}`);
  return make(canvas, {
    type: 'bar',
    data: { datasets: datasets as unknown as ChartDataset<'bar', { x: number; y: number }[]>[] },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: legendWithLines,
        tooltip: {
          filter: (item) => item.dataIndex < bins,
          callbacks: {
            title: (items) => binTitle(items[0]?.dataIndex ?? 0),
            label: (item) => `${item.dataset.label}: ${share((item.parsed.y ?? 0) / 100)}`,
          },
        },
      },
      scales: {
        x: {
          type: 'linear',
          min: h.edges[0],
          max: h.edges[bins],
          offset: false,
          title: axisTitle(truncate(column, 48), p),
          grid: { display: false },
          ticks: { maxRotation: 0, autoSkipPadding: 10, includeBounds: false, callback: (v) => compact(Number(v)), ...(h.integerBins ? { precision: 0 } : {}) },
        },
        y: { title: axisTitle('% of values', p), beginAtZero: true, ticks: { callback: (v) => `${compact(Number(v))}%` } },
      },
    },
  });
}

/** Whether a categorical chart needs horizontal bars (many or long labels). */
export function categoriesAreTall(c: CategoriesChart): boolean {
  const n = c.labels.length + (c.otherReal !== null && !otherShownApart(c) ? 1 : 0);
  return n > 8 || c.labels.some((l) => l.length > 14);
}

/**
 * A code column of hundreds of values puts most rows outside its top values: a bar for them
 * would flatten the top values into slivers, so their share is stated beside the chart instead.
 */
export function otherShownApart(c: CategoriesChart): boolean {
  if (c.otherReal === null) return false;
  const largest = Math.max(0, ...c.real, ...c.synthetic);
  return Math.max(c.otherReal, c.otherSynthetic ?? 0) > 2 * largest;
}

/** "the other 570 values" (named apart from any real category called "Other", DP's pooled level). */
export function otherLabel(c: CategoriesChart): string {
  const rest = c.realCategories - c.labels.length;
  return rest > 0 ? `the other ${rest.toLocaleString('en')} values` : 'other values';
}

export function categoriesChart(canvas: HTMLCanvasElement, c: CategoriesChart, p: Palette): Chart {
  const labels = c.labels.map((l) => (l === '' ? '(empty)' : l));
  const real = c.real.map((x) => x * 100);
  const synthetic = c.synthetic.map((x) => x * 100);
  if (c.otherReal !== null && !otherShownApart(c)) {
    labels.push(`(${otherLabel(c)})`);
    real.push((c.otherReal ?? 0) * 100);
    synthetic.push((c.otherSynthetic ?? 0) * 100);
  }
  const horizontal = categoriesAreTall(c);
  const valueAxis = { title: axisTitle('% of values', p), beginAtZero: true, ticks: { callback: (v: string | number) => `${compact(Number(v))}%` } };
  const categoryAxis = {
    title: axisTitle('Category', p),
    grid: { display: false },
    ticks: {
      autoSkip: false,
      callback(this: { getLabelForValue(v: number): string }, v: string | number) {
        return truncate(this.getLabelForValue(Number(v)), horizontal ? 22 : 14);
      },
    },
  };
  return make(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: 'Real', data: real, backgroundColor: rgba(p.real, 0.8), borderColor: rgba(p.real), borderWidth: 0, borderRadius: 2 },
        { label: 'Synthetic', data: synthetic, backgroundColor: rgba(p.synthetic, 0.8), borderColor: rgba(p.synthetic), borderWidth: 0, borderRadius: 2 },
      ],
    },
    options: {
      indexAxis: horizontal ? 'y' : 'x',
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: legendTopRight,
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${share((item.raw as number) / 100)}` } },
      },
      scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
    },
  });
}

export function timelineChart(canvas: HTMLCanvasElement, t: TimelineChart, p: Palette): Chart {
  const total = (xs: number[], extra: number) => xs.reduce((a, b) => a + b, 0) + extra;
  const realTotal = total(t.real, 0);
  const synthTotal = total(t.synthetic, t.syntheticBelow + t.syntheticAbove);
  const toShare = (xs: number[], n: number) => xs.map((x) => (n > 0 ? (x / n) * 100 : 0));
  const few = t.labels.length <= 2;
  return make(canvas, {
    type: 'line',
    data: {
      labels: t.labels,
      datasets: [
        {
          label: 'Real',
          data: toShare(t.real, realTotal),
          borderColor: rgba(p.real),
          backgroundColor: rgba(p.real, 0.14),
          borderWidth: 2,
          pointRadius: few ? 3 : 0,
          pointHoverRadius: 3,
          tension: 0.25,
          fill: 'origin',
          pointStyle: 'line',
        },
        {
          label: 'Synthetic',
          data: toShare(t.synthetic, synthTotal),
          borderColor: rgba(p.synthetic),
          backgroundColor: rgba(p.synthetic),
          borderWidth: 2,
          borderDash: [5, 3],
          pointRadius: few ? 3 : 0,
          pointHoverRadius: 3,
          tension: 0.25,
          fill: false,
          pointStyle: 'line',
        },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: legendWithLines,
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${share((item.raw as number) / 100)}` } },
      },
      scales: {
        x: { title: axisTitle(t.unit === 'year' ? 'Year' : 'Month', p), grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 10 } },
        y: { title: axisTitle('% of values', p), beginAtZero: true, ticks: { callback: (v) => `${compact(Number(v))}%` } },
      },
    },
  });
}

/** Rows per entity: the share of entities in each size bin, real and synthetic bars side by side. */
export function entitySizesChart(canvas: HTMLCanvasElement, e: ReportEntity, p: Palette): Chart {
  const h = e.histogram!;
  return make(canvas, {
    type: 'bar',
    data: {
      labels: h.labels,
      datasets: [
        { label: 'Real', data: h.real.map((x) => x * 100), backgroundColor: rgba(p.real, 0.8), borderRadius: 2, barPercentage: 0.9, categoryPercentage: 0.85 },
        { label: 'Synthetic', data: h.synthetic.map((x) => x * 100), backgroundColor: rgba(p.synthetic, 0.8), borderRadius: 2, barPercentage: 0.9, categoryPercentage: 0.85 },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: legendTopRight,
        tooltip: {
          callbacks: {
            title: (items) => `${items[0]?.label ?? ''} rows per ${e.key}`,
            label: (item) => `${item.dataset.label}: ${share((item.raw as number) / 100)} of ${e.key} values`,
          },
        },
      },
      scales: {
        x: { title: axisTitle(`Rows per ${truncate(e.key, 40)}`, p), grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 6 } },
        y: { title: axisTitle(`% of ${truncate(e.key, 24)} values`, p), beginAtZero: true, ticks: { callback: (v) => `${compact(Number(v))}%` } },
      },
    },
  });
}

export function dcrChart(canvas: HTMLCanvasElement, d: DcrData, p: Palette): Chart {
  const labels = d.train.map((_, i) => `${compact(d.edges[i])}–${compact(d.edges[i + 1])}`);
  const datasets: ChartDataset<'bar', number[]>[] = [
    { label: 'To training rows', data: d.train.map((x) => x * 100), backgroundColor: rgba(p.real, 0.8), borderRadius: 2, barPercentage: 0.9, categoryPercentage: 0.85 },
  ];
  if (d.holdout) {
    datasets.push({ label: 'To holdout rows', data: d.holdout.map((x) => x * 100), backgroundColor: rgba(p.holdout, 0.75), borderRadius: 2, barPercentage: 0.9, categoryPercentage: 0.85 });
  }
  return make(canvas, {
    type: 'bar',
    data: { labels, datasets },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: legendTopRight,
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${share((item.raw as number) / 100)}` } },
      },
      scales: {
        x: { title: axisTitle('Distance from each synthetic row to its closest real row', p), grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 8 } },
        y: { title: axisTitle('% of synthetic rows', p), beginAtZero: true, ticks: { callback: (v) => `${compact(Number(v))}%` } },
      },
    },
  });
}

export function trainingChart(canvas: HTMLCanvasElement, points: TrainingPoint[], field: 'loss' | 'epsilon', p: Palette): Chart {
  const colour = field === 'loss' ? p.accent : p.holdout;
  const label = field === 'loss' ? 'Training loss' : 'Privacy budget spent (ε)';
  return make(canvas, {
    type: 'line',
    data: {
      datasets: [
        {
          label,
          data: points.filter((q) => q[field] !== null).map((q) => ({ x: q.epoch, y: q[field] as number })),
          borderColor: rgba(colour),
          backgroundColor: rgba(colour, 0.12),
          borderWidth: 2,
          pointRadius: points.length <= 30 ? 2.5 : 0,
          pointHoverRadius: 3,
          tension: 0.2,
          fill: field === 'epsilon' ? 'origin' : false,
        },
      ],
    },
    options: {
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: { legend: legendTopRight },
      scales: {
        x: { type: 'linear', title: axisTitle('Epoch', p), grid: { display: false }, ticks: { precision: 0 } },
        y: { title: axisTitle(field === 'loss' ? 'Loss' : 'ε', p), beginAtZero: field === 'epsilon', ticks: { callback: (v) => compact(Number(v)) } },
      },
    },
  });
}
