import {
  type ChartFrameOptions,
  escapeXml,
  extent,
  formatNumber,
  linearScale,
  noData,
  px,
  svgFrame,
} from './svg.ts';

/** One vertical axis: numeric (optionally log) or categorical (string values, spaced evenly). */
export interface ParallelAxis {
  readonly name: string;
  readonly log?: boolean;
}

export interface ParallelLine {
  /** One value per axis, in axis order; strings place on categorical axes. */
  readonly values: readonly (number | string | null)[];
  readonly label?: string;
}

export interface ParallelCoordinatesOptions extends ChartFrameOptions {
  readonly axes: readonly ParallelAxis[];
  readonly lines: readonly ParallelLine[];
  /**
   * Colours lines by the value on this axis (index), light for low and dark for high — with the
   * objective as last axis this shows which parameter regions do well. Default: the last axis.
   */
  readonly colorAxis?: number;
  /** Draw the line with this index on top and thicker (e.g. the best trial). */
  readonly highlight?: number;
}

/**
 * A polyline per record across one vertical axis per dimension (Optuna's parallel coordinate plot).
 * It is long because it lays out one SVG in order (an axis per parameter, its ticks, then one polyline per trial) over shared coordinates.
 */
export function parallelCoordinates(options: ParallelCoordinatesOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 340;
  const area = { left: 40, top: 48, right: width - 40, bottom: height - 40 };
  const summary = `Parallel coordinates of ${options.lines.length} records over ${options.axes.length} axes (${options.axes.map((a) => a.name).join(', ')}).`;
  if (options.axes.length < 2 || options.lines.length === 0) {
    return svgFrame(options, width, height, summary, noData(area), 'parallel-coordinates');
  }
  // Each axis maps its values to 0..1 (0 at the bottom).
  const mappers = options.axes.map((axis, a) => {
    const raw = options.lines.map((l) => l.values[a] ?? null);
    const categories = [...new Set(raw.filter((v): v is string => typeof v === 'string'))].sort();
    if (categories.length > 0) {
      const at = (v: number | string | null) =>
        typeof v === 'string'
          ? categories.length === 1
            ? 0.5
            : categories.indexOf(v) / (categories.length - 1)
          : Number.NaN;
      return { at, ticks: categories.map((c) => ({ label: c, pos: at(c) })) };
    }
    const t = (v: number) => (axis.log ? (v > 0 ? Math.log10(v) : Number.NaN) : v);
    const range = extent(raw.filter((v): v is number => typeof v === 'number').map(t)) ?? [0, 1];
    const s = linearScale(range, [0, 1]);
    const at = (v: number | string | null) => (typeof v === 'number' ? s(t(v)) : Number.NaN);
    const ends = range[0] === range[1] ? [range[0]] : [range[0], (range[0] + range[1]) / 2, range[1]];
    return {
      at,
      ticks: ends.map((e) => ({
        label: formatNumber(axis.log ? 10 ** e : e, 3),
        pos: range[0] === range[1] ? 0.5 : s(e),
      })),
    };
  });
  const step = (area.right - area.left) / (options.axes.length - 1);
  const ax = (a: number) => area.left + a * step;
  const ay = (f: number) => area.bottom - f * (area.bottom - area.top);
  const colorAxis = options.colorAxis ?? options.axes.length - 1;
  let body = '<g class="mn-lines" fill="none" stroke-width="1.2">';
  const drawLine = (line: ParallelLine, i: number, highlighted: boolean) => {
    let d = '';
    let pen = false;
    line.values.forEach((v, a) => {
      const f = mappers[a]?.at(v) ?? Number.NaN;
      if (!Number.isFinite(f)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${px(ax(a))},${px(ay(f))}`;
      pen = true;
    });
    const c = mappers[colorAxis]?.at(line.values[colorAxis] ?? null) ?? 0.5;
    const shade = Number.isFinite(c) ? c : 0.5;
    // Light blue (low) to dark blue (high).
    const color = `rgb(${Math.round(198 - shade * 190)},${Math.round(219 - shade * 171)},${Math.round(239 - shade * 132)})`;
    const tip = line.label ?? `record ${i}`;
    return `<path class="mn-line" d="${d}" stroke="${highlighted ? '#D55E00' : color}" stroke-width="${highlighted ? 3 : 1.2}" stroke-opacity="${highlighted ? 1 : 0.8}"><title>${escapeXml(tip)}</title></path>`;
  };
  options.lines.forEach((line, i) => {
    if (i !== options.highlight) body += drawLine(line, i, false);
  });
  const best = options.highlight !== undefined ? options.lines[options.highlight] : undefined;
  if (best) body += drawLine(best, options.highlight!, true);
  body += '</g><g class="mn-axes" fill="#444">';
  options.axes.forEach((axis, a) => {
    const x = px(ax(a));
    body += `<line x1="${x}" x2="${x}" y1="${px(area.top)}" y2="${px(area.bottom)}" stroke="#555"/>`;
    body += `<text class="mn-axis-label" x="${x}" y="${px(area.top - 10)}" text-anchor="middle" fill="#222" font-weight="600">${escapeXml(axis.name)}${axis.log ? ' (log)' : ''}</text>`;
    for (const t of mappers[a]?.ticks ?? []) {
      body += `<text x="${px(ax(a) + 4)}" y="${px(ay(t.pos))}" dy="0.32em">${escapeXml(t.label)}</text>`;
    }
  });
  body += '</g>';
  return svgFrame(options, width, height, summary, body, 'parallel-coordinates');
}
