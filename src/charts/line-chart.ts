import {
  type AxisLabels,
  axes,
  type ChartFrameOptions,
  colorAt,
  escapeXml,
  extent,
  formatDate,
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

export interface LinePoint {
  readonly x: number;
  readonly y: number;
}

/** A confidence (or any) band drawn behind a series: low..high at each x. */
export interface BandPoint {
  readonly x: number;
  readonly low: number;
  readonly high: number;
}

export interface LineSeries {
  readonly name: string;
  readonly points: readonly LinePoint[];
  readonly band?: readonly BandPoint[];
  readonly color?: string;
  /** Dots on each point (default: only when there are at most 60 points). */
  readonly markers?: boolean;
  /** Draw the connecting line (default true); false gives points only (trial values). */
  readonly line?: boolean;
}

export interface LineChartOptions extends ChartFrameOptions, AxisLabels {
  readonly series: readonly LineSeries[];
  /** A horizontal reference line, e.g. the accuracy threshold. */
  readonly threshold?: { readonly y: number; readonly label: string };
  /** `date`: x values are epoch milliseconds. */
  readonly xFormat?: 'number' | 'date';
  readonly yFormat?: (value: number) => string;
  /** Force the y domain (e.g. [0, 1] for a share) instead of fitting the data. */
  readonly yDomain?: readonly [number, number];
  /** Show the legend (default: when there is more than one series). */
  readonly legend?: boolean;
  /** y values are whole numbers (versions): ticks only at whole numbers. */
  readonly yIntegers?: boolean;
}

/**
 * The most points a chart draws over all its series. Every point is an element of the SVG; past
 * this a chart is megabytes no one can read, so each series keeps an even spread of its points
 * (first and last included) and the summary says how many were left out.
 */
export const maxLinePoints = 20_000;

/** Each series thinned to its share of maxLinePoints; how many points were left out. */
function thinned(series: readonly LineSeries[]): { series: readonly LineSeries[]; dropped: number } {
  const total = series.reduce((n, s) => n + s.points.length, 0);
  if (total <= maxLinePoints) return { series, dropped: 0 };
  let dropped = 0;
  const out = series.map((s) => {
    const keep = Math.max(2, Math.floor((maxLinePoints * s.points.length) / total));
    if (s.points.length <= keep) return s;
    const step = (s.points.length - 1) / (keep - 1);
    const points = Array.from({ length: keep }, (_, k) => s.points[Math.round(k * step)]!);
    dropped += s.points.length - keep;
    // A band as long as the points would keep the chart as large: it is left out with them.
    const { band, ...rest } = s;
    return { ...rest, points, ...(band && band.length <= keep ? { band } : {}), markers: false };
  });
  return { series: out, dropped };
}

/** Whole-number ticks inside `domain`, at most about eight of them. */
function integerTicks(domain: readonly [number, number]): number[] {
  const lo = Math.ceil(domain[0]);
  const hi = Math.floor(domain[1]);
  const step = Math.max(1, Math.ceil((hi - lo + 1) / 8));
  const out: number[] = [];
  for (let v = lo; v <= hi; v += step) out.push(v);
  return out;
}

/** Capped vertical bars from low to high at each band point. */
function intervalBars(
  band: readonly BandPoint[],
  x: (v: number) => number,
  y: (v: number) => number,
  color: string,
): string {
  let out = `<g class="mn-interval" stroke="${color}" stroke-width="1.5" fill="none">`;
  for (const b of band) {
    const cx = x(b.x);
    const top = y(b.high);
    const bottom = y(b.low);
    out += `<path d="M${px(cx)},${px(top)}V${px(bottom)}M${px(cx - 5)},${px(top)}H${px(cx + 5)}M${px(cx - 5)},${px(bottom)}H${px(cx + 5)}"/>`;
  }
  return `${out}</g>`;
}

/**
 * Lines for one or more series over a shared x axis, with an optional threshold line and shaded
 * bands. Points with a non-finite coordinate break the line rather than dropping to zero.
 * It is long because it lays out one SVG in order (axes, ticks, threshold line, interval bands, series, markers, legend) and each part needs the scales computed above it.
 */
export function lineChart(given: LineChartOptions): string {
  const { series: drawn, dropped } = thinned(given.series);
  const options = dropped > 0 ? { ...given, series: drawn } : given;
  const width = options.width ?? 480;
  const height = options.height ?? 320;
  const names = options.series.map((s) => s.name);
  const showLegend = options.legend ?? options.series.length > 1;
  const area = plotArea(width, height, showLegend ? legendRows(names, width) : 0);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of options.series) {
    for (const p of s.points) {
      xs.push(p.x);
      ys.push(p.y);
    }
    for (const b of s.band ?? []) {
      xs.push(b.x);
      ys.push(b.low, b.high);
    }
  }
  if (options.threshold) ys.push(options.threshold.y);
  const xExtent = extent(xs);
  const yExtent = options.yDomain
    ? ([options.yDomain[0], options.yDomain[1]] as [number, number])
    : extent(ys);
  const total = options.series.reduce((n, s) => n + s.points.length, 0);
  const summary = `Line chart of ${options.series.length} series (${names.join(', ')}) with ${total} points${
    options.threshold ? `, threshold ${formatNumber(options.threshold.y)} (${options.threshold.label})` : ''
  }${dropped > 0 ? `; ${dropped} points left out to keep the chart readable` : ''}.`;
  if (!xExtent || !yExtent || total === 0)
    return svgFrame(options, width, height, summary, noData(area), 'line-chart');

  const xFormat = options.xFormat === 'date' ? formatDate : (v: number) => formatNumber(v);
  const xTicks = niceTicks(xExtent[0], xExtent[1], Math.max(2, Math.floor((area.right - area.left) / 110)));
  // Dates get ticks at the data ends instead of round numbers of milliseconds.
  const xDomain: [number, number] =
    options.xFormat === 'date'
      ? xExtent[0] === xExtent[1]
        ? [xExtent[0] - 864e5, xExtent[1] + 864e5]
        : xExtent
      : xTicks.domain;
  const xTickValues =
    options.xFormat === 'date'
      ? [0, 1 / 3, 2 / 3, 1].map((f) => xDomain[0] + f * (xDomain[1] - xDomain[0]))
      : xTicks.ticks;
  const yTicks = options.yDomain
    ? niceTicks(yExtent[0], yExtent[1], 5)
    : niceTicks(yExtent[0], yExtent[1], 5);
  const yDomain: [number, number] = options.yDomain ? yExtent : yTicks.domain;
  const x = linearScale(xDomain, [area.left, area.right]);
  const y = linearScale(yDomain, [area.bottom, area.top]);
  const yFormat = options.yFormat ?? ((v: number) => formatNumber(v));

  let body = axes(
    area,
    { scale: x, ticks: xTickValues, format: xFormat },
    {
      scale: y,
      ticks: options.yIntegers
        ? integerTicks(yDomain)
        : yTicks.ticks.filter((t) => t >= yDomain[0] - 1e-12 && t <= yDomain[1] + 1e-12),
      format: yFormat,
    },
    options,
  );
  options.series.forEach((s, i) => {
    const color = s.color ?? colorAt(i);
    if (s.band && s.band.length > 0) {
      const good = s.band.filter(
        (b) => Number.isFinite(b.x) && Number.isFinite(b.low) && Number.isFinite(b.high),
      );
      const upper = good.map((b) => `${px(x(b.x))},${px(y(b.high))}`);
      const lower = good
        .slice()
        .reverse()
        .map((b) => `${px(x(b.x))},${px(y(b.low))}`);
      body += `<polygon class="mn-band" points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.15" stroke="none"/>`;
      // The shaded band has no area with one point, and is faint when narrow: each interval is
      // also drawn as a capped bar, which stays visible at any width.
      if (good.length <= 40) body += intervalBars(good, x, y, color);
    }
  });
  options.series.forEach((s, i) => {
    const color = s.color ?? colorAt(i);
    let d = '';
    let pen = false;
    for (const p of s.points) {
      if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${px(x(p.x))},${px(y(p.y))}`;
      pen = true;
    }
    if (s.line !== false) {
      body += `<path class="mn-series" data-series="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"/>`;
    }
    const markers = s.line === false || (s.markers ?? s.points.length <= 60);
    body += `<g class="mn-points" fill="${color}">`;
    for (const p of s.points) {
      if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
      // Every point is in the DOM (tests and tooltips count on it); only its dot may be hidden.
      body += `<circle class="mn-point" cx="${px(x(p.x))}" cy="${px(y(p.y))}" r="${markers ? 3 : 0}"><title>${escapeXml(`${s.name}: ${xFormat(p.x)} → ${formatNumber(p.y)}`)}</title></circle>`;
    }
    body += '</g>';
  });
  if (options.threshold) {
    const ty = px(y(options.threshold.y));
    body += `<g class="mn-threshold"><line x1="${px(area.left)}" x2="${px(area.right)}" y1="${ty}" y2="${ty}" stroke="#D55E00" stroke-dasharray="6 4" stroke-width="1.5"/>`;
    body += `<text x="${px(area.right - 4)}" y="${ty}" dy="-4" text-anchor="end" fill="#D55E00">${escapeXml(`${options.threshold.label} (${formatNumber(options.threshold.y)})`)}</text></g>`;
  }
  if (showLegend)
    body += legend(
      names,
      width,
      options.series.map((s, i) => s.color ?? colorAt(i)),
    );
  return svgFrame(options, width, height, summary, body, 'line-chart');
}
