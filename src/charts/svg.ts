/**
 * The small toolkit every chart shares: escaping, number formatting, linear scales with "nice"
 * ticks, the outer <svg> frame with its accessible title/description, and axes. Pure functions of
 * their arguments returning strings, so the same code runs in Node (reports, HTML files) and in the
 * browser bundle (the web dashboard) without a DOM.
 */

/** Options every chart takes. */
export interface ChartFrameOptions {
  /** Shown above the chart and read by screen readers (`<title>`). */
  readonly title: string;
  /** A sentence saying what the chart shows (`<desc>`); defaults to a generated summary. */
  readonly description?: string;
  readonly width?: number;
  readonly height?: number;
}

/** Axis labels, for charts with two axes. */
export interface AxisLabels {
  readonly xLabel?: string;
  readonly yLabel?: string;
}

/** The palette: distinguishable for common colour-vision deficiencies (Okabe–Ito). */
export const palette: readonly string[] = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#CC79A7',
  '#56B4E9',
  '#F0E442',
  '#000000',
];

export function colorAt(i: number): string {
  return palette[((i % palette.length) + palette.length) % palette.length]!;
}

const xmlEscapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an XML/HTML text node or a double-quoted attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => xmlEscapes[c]!);
}

/** A compact human number: 1234 → "1,234", 0.12345 → "0.1235", 1.5e6 → "1.5M". */
export function formatNumber(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${trimZeros((value / 1e6).toFixed(abs >= 1e7 ? 0 : 1))}M`;
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  return trimZeros(value.toPrecision(digits));
}

function trimZeros(text: string): string {
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

/** Epoch milliseconds as an ISO calendar date (UTC), the format every time axis uses. */
export function formatDate(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  return new Date(ms).toISOString().slice(0, 10);
}

/** Coordinates in SVG are rounded to 0.01 px: smaller files, identical look. */
export function px(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** A linear map from a data domain to a pixel range; a zero-width domain maps to the middle. */
export interface LinearScale {
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  (value: number): number;
}

export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const f = (value: number): number => (span === 0 ? (r0 + r1) / 2 : r0 + ((value - d0) / span) * (r1 - r0));
  return Object.assign(f, { domain, range });
}

/**
 * About `count` round tick values covering [min, max] (steps of 1, 2 or 5 × 10^k), and the domain
 * widened to the outer ticks so lines never touch the frame at an odd value.
 */
export function niceTicks(
  min: number,
  max: number,
  count = 5,
): { ticks: number[]; domain: [number, number] } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { ticks: [0, 1], domain: [0, 1] };
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  const step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
  const start = Math.floor(min / step) * step;
  const end = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let v = start; v <= end + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { ticks, domain: [start, end] };
}

/** Minimum and maximum of the finite values, or undefined when there are none. */
export function extent(values: Iterable<number>): [number, number] | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/** The plotting area inside the margins. */
export interface PlotArea {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

export function plotArea(width: number, height: number, legendRows = 0): PlotArea {
  return { left: 64, top: 32 + legendRows * 18 + 6, right: width - 16, bottom: height - 52 };
}

/**
 * The outer element. `role="img"` with `aria-label`, plus `<title>` and `<desc>` children, is the
 * pattern screen readers announce reliably; no ids are used, so many charts can share one page.
 */
export function svgFrame(
  options: ChartFrameOptions,
  width: number,
  height: number,
  description: string,
  body: string,
  kind: string,
): string {
  const desc = options.description ?? description;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="mn-chart mn-${kind}" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}" ` +
    `font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">` +
    `<title>${escapeXml(options.title)}</title><desc>${escapeXml(desc)}</desc>` +
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>` +
    `<text class="mn-title" x="${px(width / 2)}" y="18" text-anchor="middle" font-size="14" font-weight="600" fill="#222">${escapeXml(options.title)}</text>` +
    body +
    '</svg>'
  );
}

/** A centred "no data" message in place of the plot, so an empty report still renders. */
export function noData(area: PlotArea): string {
  return `<text class="mn-no-data" x="${px((area.left + area.right) / 2)}" y="${px((area.top + area.bottom) / 2)}" text-anchor="middle" fill="#777">no data</text>`;
}

/**
 * The ticks whose labels differ from the tick before: a format that rounds ("v1" for 1, 1.2 and
 * 1.4) would otherwise print one label several times along an axis.
 */
export function distinctLabels(ticks: readonly number[], format: (v: number) => string): number[] {
  const out: number[] = [];
  let previous: string | undefined;
  for (const t of ticks) {
    const label = format(t);
    if (label !== previous) out.push(t);
    previous = label;
  }
  return out;
}

/** Horizontal grid lines with y tick labels, the x axis line with tick labels, and axis titles. */
export function axes(
  area: PlotArea,
  x: { scale: LinearScale; ticks: readonly number[]; format: (v: number) => string } | undefined,
  y: { scale: LinearScale; ticks: readonly number[]; format: (v: number) => string },
  labels: AxisLabels,
): string {
  let out = '<g class="mn-axes" fill="#444" stroke-width="1">';
  for (const t of distinctLabels(y.ticks, y.format)) {
    const yy = px(y.scale(t));
    out += `<line x1="${px(area.left)}" x2="${px(area.right)}" y1="${yy}" y2="${yy}" stroke="#e3e3e3"/>`;
    out += `<text x="${px(area.left - 6)}" y="${yy}" dy="0.32em" text-anchor="end">${escapeXml(y.format(t))}</text>`;
  }
  out += `<line x1="${px(area.left)}" x2="${px(area.right)}" y1="${px(area.bottom)}" y2="${px(area.bottom)}" stroke="#888"/>`;
  out += `<line x1="${px(area.left)}" x2="${px(area.left)}" y1="${px(area.top)}" y2="${px(area.bottom)}" stroke="#888"/>`;
  if (x) {
    for (const t of distinctLabels(x.ticks, x.format)) {
      const xx = px(x.scale(t));
      out += `<line x1="${xx}" x2="${xx}" y1="${px(area.bottom)}" y2="${px(area.bottom + 4)}" stroke="#888"/>`;
      // A label at either end would be cut by the frame: anchor it inwards.
      const at = x.scale(t);
      const anchor = at > area.right - 30 ? 'end' : at < area.left + 10 ? 'start' : 'middle';
      out += `<text x="${xx}" y="${px(area.bottom + 16)}" text-anchor="${anchor}">${escapeXml(x.format(t))}</text>`;
    }
  }
  if (labels.xLabel) {
    out += `<text class="mn-axis-label" x="${px((area.left + area.right) / 2)}" y="${px(area.bottom + 36)}" text-anchor="middle" fill="#222">${escapeXml(labels.xLabel)}</text>`;
  }
  if (labels.yLabel) {
    const cy = (area.top + area.bottom) / 2;
    out += `<text class="mn-axis-label" x="14" y="${px(cy)}" text-anchor="middle" transform="rotate(-90 14 ${px(cy)})" fill="#222">${escapeXml(labels.yLabel)}</text>`;
  }
  return `${out}</g>`;
}

/** A row of coloured keys under the title; returns the markup (one row; long legends wrap). */
export function legend(names: readonly string[], width: number, colors: readonly string[]): string {
  let out = '<g class="mn-legend" fill="#222">';
  let x = 64;
  let y = 34;
  names.forEach((name, i) => {
    const w = 30 + Math.min(name.length, 40) * 7;
    if (x + w > width - 16 && x > 64) {
      x = 64;
      y += 18;
    }
    out += `<rect x="${px(x)}" y="${px(y - 9)}" width="12" height="10" fill="${colors[i] ?? colorAt(i)}"/>`;
    out += `<text x="${px(x + 16)}" y="${px(y)}">${escapeXml(name)}</text>`;
    x += w;
  });
  return `${out}</g>`;
}

/** How many legend rows `legend` will use (the plot moves down by that much). */
export function legendRows(names: readonly string[], width: number): number {
  if (names.length === 0) return 0;
  let rows = 1;
  let x = 64;
  for (const name of names) {
    const w = 30 + Math.min(name.length, 40) * 7;
    if (x + w > width - 16 && x > 64) {
      rows += 1;
      x = 64;
    }
    x += w;
  }
  return rows;
}
