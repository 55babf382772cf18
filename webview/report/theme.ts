/**
 * Colours for the charts, read from the page's CSS tokens when the charts are drawn, so they
 * follow the VS Code theme (or the reader's light/dark preference in the offline file).
 */

export type Rgb = [number, number, number];

export interface Palette {
  font: string;
  fg: Rgb;
  muted: Rgb;
  grid: Rgb;
  surface: Rgb;
  real: Rgb;
  synthetic: Rgb;
  holdout: Rgb;
  accent: Rgb;
  pass: Rgb;
  warn: Rgb;
  fail: Rgb;
  neg: Rgb;
  pos: Rgb;
}

let probe: HTMLElement | undefined;

/** The computed colour of a CSS custom property, as RGB. */
function resolve(name: string, fallback: Rgb): Rgb {
  if (!probe) {
    probe = document.createElement('span');
    probe.setAttribute('aria-hidden', 'true');
    probe.hidden = true;
    document.body.appendChild(probe);
  }
  probe.style.color = '';
  probe.style.color = `var(${name})`;
  const m = /rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(getComputedStyle(probe).color);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : fallback;
}

export function readPalette(): Palette {
  const fg = resolve('--fg', [28, 33, 40]);
  const surface = resolve('--surface', [255, 255, 255]);
  const muted = resolve('--muted', [89, 99, 110]);
  return {
    font: getComputedStyle(document.body).fontFamily || 'system-ui, sans-serif',
    fg,
    muted,
    // Gridlines derive from the surface, so they stay faint in every theme.
    grid: mix(surface, muted, 0.22),
    surface,
    real: resolve('--real', [37, 99, 201]),
    synthetic: resolve('--synthetic', [221, 107, 32]),
    holdout: resolve('--holdout', [124, 77, 189]),
    accent: resolve('--accent', [10, 95, 208]),
    pass: resolve('--pass', [26, 127, 55]),
    warn: resolve('--warn', [154, 98, 0]),
    fail: resolve('--fail', [198, 40, 40]),
    neg: resolve('--neg', [37, 99, 201]),
    pos: resolve('--pos', [198, 40, 40]),
  };
}

export function rgba(c: Rgb, alpha = 1): string {
  return `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${alpha})`;
}

export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  const u = Math.max(0, Math.min(1, t));
  return [Math.round(a[0] + (b[0] - a[0]) * u), Math.round(a[1] + (b[1] - a[1]) * u), Math.round(a[2] + (b[2] - a[2]) * u)];
}

/** Relative luminance (sRGB), to pick readable text on a coloured cell. */
export function luminance(c: Rgb): number {
  const f = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
}

/** Diverging colour for x in [-range, range]: neg ← mid → pos (mid defaults to the surface). */
export function diverging(p: Palette, x: number, range = 1, mid: Rgb = p.surface): Rgb {
  const t = Math.max(-1, Math.min(1, x / range));
  return t < 0 ? mix(mid, p.neg, -t * 0.92) : mix(mid, p.pos, t * 0.92);
}
