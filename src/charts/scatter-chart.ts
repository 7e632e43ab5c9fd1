import {
  type AxisLabels,
  axes,
  type ChartFrameOptions,
  colorAt,
  escapeXml,
  extent,
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

export interface ScatterPoint {
  readonly x: number;
  readonly y: number;
  /** Shown in the point's tooltip. */
  readonly label?: string;
}

export interface ScatterSeries {
  readonly name: string;
  readonly points: readonly ScatterPoint[];
  readonly color?: string;
}

export interface ScatterChartOptions extends ChartFrameOptions, AxisLabels {
  readonly series: readonly ScatterSeries[];
  /** Log scale (base 10) on x; non-positive x values are left out. */
  readonly xLog?: boolean;
  /** Values for a categorical x (a string parameter): x is the index, ticks show these names. */
  readonly xCategories?: readonly string[];
}

/** Points for one or more series; categorical x values get a little deterministic jitter. */
export function scatterChart(options: ScatterChartOptions): string {
  const width = options.width ?? 480;
  const height = options.height ?? 320;
  const names = options.series.map((s) => s.name);
  const area = plotArea(width, height, options.series.length > 1 ? legendRows(names, width) : 0);
  const tx = (v: number) => (options.xLog ? (v > 0 ? Math.log10(v) : Number.NaN) : v);
  const xs = options.series.flatMap((s) => s.points.map((p) => tx(p.x)));
  const ys = options.series.flatMap((s) => s.points.map((p) => p.y));
  const total = options.series.reduce((n, s) => n + s.points.length, 0);
  const summary = `Scatter plot of ${total} points (${names.join(', ')})${options.xLabel ? `: ${options.yLabel ?? 'y'} against ${options.xLabel}` : ''}.`;
  const xr = extent(xs);
  const yr = extent(ys);
  if (!xr || !yr) return svgFrame(options, width, height, summary, noData(area), 'scatter-chart');

  const categorical = options.xCategories !== undefined;
  const xTicks = categorical
    ? {
        ticks: options.xCategories!.map((_, i) => i),
        domain: [-0.5, options.xCategories!.length - 0.5] as [number, number],
      }
    : niceTicks(xr[0], xr[1], 5);
  const yTicks = niceTicks(yr[0], yr[1], 5);
  const x = linearScale(xTicks.domain, [area.left + 4, area.right - 4]);
  const y = linearScale(yTicks.domain, [area.bottom, area.top]);
  const xFormat = categorical
    ? (v: number) => options.xCategories![v] ?? ''
    : options.xLog
      ? (v: number) => formatNumber(10 ** v, 3)
      : (v: number) => formatNumber(v);
  let body = axes(
    area,
    { scale: x, ticks: xTicks.ticks, format: xFormat },
    { scale: y, ticks: yTicks.ticks, format: (v) => formatNumber(v) },
    options,
  );
  options.series.forEach((s, i) => {
    const color = s.color ?? colorAt(i);
    body += `<g class="mn-points" fill="${color}" fill-opacity="0.7">`;
    s.points.forEach((p, k) => {
      const xv = tx(p.x);
      if (!Number.isFinite(xv) || !Number.isFinite(p.y)) return;
      // Jitter spreads points sharing a category; derived from the index, so output is stable.
      const jitter = categorical ? (((k * 2654435761) % 1000) / 1000 - 0.5) * 0.4 : 0;
      const tip = `${p.label ? `${p.label}: ` : ''}${xFormat(categorical ? xv : xv)} → ${formatNumber(p.y)}`;
      body += `<circle class="mn-point" cx="${px(x(xv + jitter))}" cy="${px(y(p.y))}" r="3.5"><title>${escapeXml(tip)}</title></circle>`;
    });
    body += '</g>';
  });
  if (options.series.length > 1)
    body += legend(
      names,
      width,
      options.series.map((s, i) => s.color ?? colorAt(i)),
    );
  return svgFrame(options, width, height, summary, body, 'scatter-chart');
}
