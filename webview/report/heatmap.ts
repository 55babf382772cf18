/**
 * Correlation heatmaps as a CSS grid of cells (no chart plugin): labels are text nodes, each cell
 * has a tooltip with the pair and the value, and colours are (re)painted from the palette.
 */
import { h } from './dom';
import { fixed } from './format';
import { diverging, luminance, mix, rgba, type Palette } from './theme';

export interface Heatmap {
  element: HTMLElement;
  paint(p: Palette): void;
}

export function heatmap(columns: string[], matrix: (number | null)[][], range: number, valueLabel: string, showValues: boolean): Heatmap {
  const n = columns.length;
  const grid = h('div', { class: 'heatmap', attrs: { role: 'table', 'aria-label': valueLabel } });
  grid.style.gridTemplateColumns = `minmax(48px, 120px) repeat(${n}, minmax(0, 1fr))`;

  grid.appendChild(h('div', { attrs: { 'aria-hidden': 'true' } }));
  for (const name of columns) grid.appendChild(h('div', { class: 'col-label', title: name }, h('span', null, name)));

  const cells: { el: HTMLElement; value: number | null }[] = [];
  matrix.forEach((row, i) => {
    grid.appendChild(h('div', { class: 'row-label', title: columns[i] }, h('span', null, columns[i])));
    row.forEach((value, j) => {
      const tip = `${columns[i]} × ${columns[j]}: ${value === null ? 'not defined' : `${valueLabel} ${fixed(value)}`}`;
      const cell = h('div', { class: value === null ? 'cell na' : 'cell', title: tip, attrs: { role: 'cell' } }, showValues && value !== null ? fixed(value) : null);
      cells.push({ el: cell, value });
      grid.appendChild(cell);
    });
  });

  const bar = h('div', { class: 'bar' });
  const scale = h('div', { class: 'scale' }, h('span', 'num', `−${range}`), bar, h('span', 'num', `+${range}`));
  const element = h('div', null, grid, scale);

  return {
    element,
    paint(p: Palette) {
      const mid = mix(p.surface, p.muted, 0.1);
      for (const { el, value } of cells) {
        if (value === null) continue;
        const c = diverging(p, value, range, mid);
        el.style.backgroundColor = rgba(c);
        el.style.color = luminance(c) > 0.35 ? 'rgb(20, 24, 30)' : 'rgb(250, 250, 250)';
      }
      bar.style.background = `linear-gradient(to right, ${rgba(diverging(p, -range, range, mid))}, ${rgba(mid)}, ${rgba(diverging(p, range, range, mid))})`;
    },
  };
}
