import {
  type AxisLabels,
  axes,
  type ChartFrameOptions,
  colorAt,
  escapeXml,
  formatNumber,
  legend,
  legendRows,
  linearScale,
  niceTicks,
  noData,
  plotArea,
  px,
  svgFrame,
} from './svg.ts';

export interface BarSeries {
  readonly name: string;
  /** One value per category, in the order of `categories`. */
  readonly values: readonly number[];
  readonly color?: string;
}

export interface BarChartOptions extends ChartFrameOptions, AxisLabels {
  readonly categories: readonly string[];
  readonly series: readonly BarSeries[];
  /** Horizontal bars suit long category names (titles, genres). Default vertical. */
  readonly orientation?: 'vertical' | 'horizontal';
  readonly valueFormat?: (value: number) => string;
  /** Force the value domain (e.g. [0, 1] for shares). */
  readonly valueDomain?: readonly [number, number];
}

/**
 * Bars per category; several series become grouped bars side by side. Negative values grow from
 * zero downwards (or leftwards), so a difference chart reads correctly.
 * It is long because it lays out one SVG in order (scales, axes, ticks, bars, interval whiskers, labels) and each part needs the scales computed above it.
 */
export function barChart(options: BarChartOptions): string {
  const horizontal = options.orientation === 'horizontal';
  const n = options.categories.length;
  const width = options.width ?? 480;
  const height =
    options.height ?? (horizontal ? Math.max(160, 90 + n * 22 * Math.max(1, options.series.length)) : 320);
  const names = options.series.map((s) => s.name);
  const base = plotArea(width, height, options.series.length > 1 ? legendRows(names, width) : 0);
  // Horizontal bars need room for the category names on the left.
  const longest = Math.min(28, Math.max(0, ...options.categories.map((c) => c.length)));
  const area = horizontal ? { ...base, left: Math.max(base.left, 20 + longest * 7) } : base;
  const fmt = options.valueFormat ?? ((v: number) => formatNumber(v));
  const values = options.series.flatMap((s) => s.values.filter(Number.isFinite));
  const summary = `Bar chart of ${names.join(', ')} over ${n} categories: ${options.categories
    .slice(0, 12)
    .map((c, i) => `${c} ${options.series.map((s) => fmt(s.values[i] ?? Number.NaN)).join('/')}`)
    .join('; ')}${n > 12 ? '; …' : ''}.`;
  if (n === 0 || values.length === 0)
    return svgFrame(options, width, height, summary, noData(area), 'bar-chart');

  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const ticks = niceTicks(options.valueDomain?.[0] ?? lo, options.valueDomain?.[1] ?? hi, 5);
  const domain: [number, number] = options.valueDomain
    ? [options.valueDomain[0], options.valueDomain[1]]
    : ticks.domain;
  const tickValues = ticks.ticks.filter((t) => t >= domain[0] - 1e-12 && t <= domain[1] + 1e-12);
  const groups = options.series.length;
  let body = '';
  if (!horizontal) {
    const v = linearScale(domain, [area.bottom, area.top]);
    body += axes(area, undefined, { scale: v, ticks: tickValues, format: fmt }, options);
    const slot = (area.right - area.left) / n;
    const barWidth = Math.max(1, (slot * 0.8) / groups);
    // Room for each label by its length, so neighbours never overlap.
    const labelWidth = Math.max(
      40,
      8 + 7 * Math.min(24, Math.max(0, ...options.categories.map((c) => c.length))),
    );
    const labelEvery = Math.max(1, Math.ceil((n * labelWidth) / (area.right - area.left)));
    options.categories.forEach((c, i) => {
      const x0 = area.left + i * slot + slot * 0.1;
      if (i % labelEvery === 0) {
        body += `<text x="${px(area.left + (i + 0.5) * slot)}" y="${px(area.bottom + 16)}" text-anchor="middle" fill="#444">${escapeXml(truncate(c, Math.max(4, Math.floor((slot * labelEvery) / 7))))}</text>`;
      }
      options.series.forEach((s, g) => {
        const value = s.values[i] ?? Number.NaN;
        if (!Number.isFinite(value)) return;
        const y0 = v(0);
        const y1 = v(value);
        body += `<rect class="mn-bar" x="${px(x0 + g * barWidth)}" y="${px(Math.min(y0, y1))}" width="${px(barWidth)}" height="${px(Math.abs(y1 - y0))}" fill="${s.color ?? colorAt(g)}"><title>${escapeXml(`${c} — ${s.name}: ${fmt(value)}`)}</title></rect>`;
      });
    });
  } else {
    const v = linearScale(domain, [area.left, area.right]);
    let grid = '<g class="mn-axes" fill="#444">';
    for (const t of tickValues) {
      const xx = px(v(t));
      grid += `<line x1="${xx}" x2="${xx}" y1="${px(area.top)}" y2="${px(area.bottom)}" stroke="#e3e3e3"/>`;
      grid += `<text x="${xx}" y="${px(area.bottom + 16)}" text-anchor="middle">${escapeXml(fmt(t))}</text>`;
    }
    grid += `<line x1="${px(v(0))}" x2="${px(v(0))}" y1="${px(area.top)}" y2="${px(area.bottom)}" stroke="#888"/>`;
    if (options.xLabel) {
      grid += `<text class="mn-axis-label" x="${px((area.left + area.right) / 2)}" y="${px(area.bottom + 36)}" text-anchor="middle" fill="#222">${escapeXml(options.xLabel)}</text>`;
    }
    body += `${grid}</g>`;
    const slot = (area.bottom - area.top) / n;
    const barHeight = Math.max(1, (slot * 0.8) / groups);
    options.categories.forEach((c, i) => {
      const y0 = area.top + i * slot + slot * 0.1;
      body += `<text x="${px(area.left - 6)}" y="${px(area.top + (i + 0.5) * slot)}" dy="0.32em" text-anchor="end" fill="#444">${escapeXml(truncate(c, 28))}</text>`;
      options.series.forEach((s, g) => {
        const value = s.values[i] ?? Number.NaN;
        if (!Number.isFinite(value)) return;
        const x0 = v(0);
        const x1 = v(value);
        body += `<rect class="mn-bar" x="${px(Math.min(x0, x1))}" y="${px(y0 + g * barHeight)}" width="${px(Math.abs(x1 - x0))}" height="${px(barHeight)}" fill="${s.color ?? colorAt(g)}"><title>${escapeXml(`${c} — ${s.name}: ${fmt(value)}`)}</title></rect>`;
      });
    });
  }
  if (groups > 1)
    body += legend(
      names,
      width,
      options.series.map((s, i) => s.color ?? colorAt(i)),
    );
  return svgFrame(options, width, height, summary, body, 'bar-chart');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}
