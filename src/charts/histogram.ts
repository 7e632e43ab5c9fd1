import { barChart } from './bar-chart.ts';
import { type AxisLabels, type ChartFrameOptions, extent, formatNumber } from './svg.ts';

/** One bin: values in [from, to) (the last bin also holds its upper edge). */
export interface HistogramBin {
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

/**
 * Counts values into bins. With `edges`, those bin edges (ascending); otherwise `bins` equal-width
 * bins over the data's range. Values outside the edges and non-finite values are not counted.
 */
export function histogramBins(
  values: Iterable<number>,
  options: { readonly bins?: number; readonly edges?: readonly number[] } = {},
): HistogramBin[] {
  const list = [...values].filter(Number.isFinite);
  let edges = options.edges ? [...options.edges] : undefined;
  if (!edges) {
    const range = extent(list);
    if (!range) return [];
    const bins = Math.max(1, Math.floor(options.bins ?? 10));
    const [lo, hi] = range[0] === range[1] ? [range[0] - 0.5, range[1] + 0.5] : range;
    edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  }
  const counts = new Array<number>(Math.max(0, edges.length - 1)).fill(0);
  const last = edges.length - 1;
  for (const v of list) {
    if (v < edges[0]! || v > edges[last]!) continue;
    // Binary search for the bin whose [from, to) holds v.
    let a = 0;
    let b = last;
    while (b - a > 1) {
      const m = (a + b) >> 1;
      if (v >= edges[m]!) a = m;
      else b = m;
    }
    counts[a] = (counts[a] ?? 0) + 1;
  }
  return counts.map((count, i) => ({ from: edges[i]!, to: edges[i + 1]!, count }));
}

export interface HistogramSeries {
  readonly name: string;
  readonly bins: readonly HistogramBin[];
  readonly color?: string;
}

export interface HistogramOptions extends ChartFrameOptions, AxisLabels {
  /** Series binned on the same edges (draw them with `histogramBins(…, { edges })`). */
  readonly series: readonly HistogramSeries[];
  /** Show each bin as a share of its series instead of a count (compares groups of unequal size). */
  readonly normalize?: boolean;
  /** How a bin is labelled; default "from–to". */
  readonly binLabel?: (bin: HistogramBin) => string;
}

/** A histogram is a bar chart whose categories are bins; several series compare distributions. */
export function histogram(options: HistogramOptions): string {
  const first = options.series[0]?.bins ?? [];
  const label =
    options.binLabel ?? ((b: HistogramBin) => `${formatNumber(b.from, 3)}–${formatNumber(b.to, 3)}`);
  return barChart({
    title: options.title,
    description:
      options.description ??
      `Histogram of ${options.series.map((s) => s.name).join(', ')} over ${first.length} bins${options.normalize ? ' (shares of each series)' : ''}.`,
    ...(options.width !== undefined ? { width: options.width } : {}),
    ...(options.height !== undefined ? { height: options.height } : {}),
    ...(options.xLabel !== undefined ? { xLabel: options.xLabel } : {}),
    yLabel: options.yLabel ?? (options.normalize ? 'share' : 'count'),
    categories: first.map(label),
    series: options.series.map((s) => {
      const total = s.bins.reduce((n, b) => n + b.count, 0);
      return {
        name: s.name,
        values: s.bins.map((b) => (options.normalize ? (total > 0 ? b.count / total : 0) : b.count)),
        ...(s.color ? { color: s.color } : {}),
      };
    }),
  });
}
