import {
  type AxisLabels,
  axes,
  type ChartFrameOptions,
  escapeXml,
  extent,
  formatNumber,
  linearScale,
  niceTicks,
  noData,
  plotArea,
  px,
  svgFrame,
} from './svg.ts';

/** One trial: its two parameters and its objective value. */
export interface ContourPoint {
  readonly x: number;
  readonly y: number;
  readonly value: number;
}

export interface ContourChartOptions extends ChartFrameOptions, AxisLabels {
  readonly points: readonly ContourPoint[];
  /** Which way is better, for the colour key ("darker is better"). */
  readonly direction: 'minimize' | 'maximize';
  /** Log scale (base 10) on an axis whose parameter was searched on one. */
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  /** Cells per side of the interpolated surface (default 24). */
  readonly resolution?: number;
}

/** Dark blue (best) to pale yellow (worst): readable in grey and for colour-vision deficiencies. */
const ramp: readonly [number, number, number][] = [
  [13, 8, 135],
  [84, 2, 163],
  [139, 10, 165],
  [185, 50, 137],
  [219, 92, 104],
  [244, 136, 73],
  [254, 188, 43],
  [240, 249, 33],
];

function rampColor(t: number): string {
  const at = Math.min(1, Math.max(0, t)) * (ramp.length - 1);
  const i = Math.min(ramp.length - 2, Math.floor(at));
  const f = at - i;
  const [a, b] = [ramp[i]!, ramp[i + 1]!];
  const mix = (k: 0 | 1 | 2) => Math.round(a[k] + (b[k] - a[k]) * f);
  return `rgb(${mix(0)},${mix(1)},${mix(2)})`;
}

/** Inverse-distance-weighted value at (u, v) in unit coordinates (Shepard, power 2). */
function interpolate(
  points: readonly { u: number; v: number; value: number }[],
  u: number,
  v: number,
): number {
  let weights = 0;
  let sum = 0;
  for (const p of points) {
    const d2 = (p.u - u) ** 2 + (p.v - v) ** 2;
    if (d2 < 1e-12) return p.value;
    const w = 1 / d2;
    weights += w;
    sum += w * p.value;
  }
  return sum / weights;
}

/**
 * A contour plot of an objective over two parameters, as optuna-dashboard draws one: the surface
 * interpolated between the trials (inverse distance weighting on a grid), coloured from best
 * (dark) to worst (pale), with each trial as a dot. It shows where in the plane good values lie;
 * between far-apart trials it is a guess, which the dots make plain.
 *
 * It is long because the surface, the axes, the trial dots and the colour key are drawn in one
 * coordinate system computed at its top; each part is a few lines.
 */
export function contourChart(options: ContourChartOptions): string {
  const width = options.width ?? 480;
  const height = options.height ?? 360;
  const area = { ...plotArea(width, height), right: width - 64 };
  const tx = (v: number) => (options.xLog ? Math.log10(v) : v);
  const ty = (v: number) => (options.yLog ? Math.log10(v) : v);
  const good = options.points.filter(
    (p) => Number.isFinite(p.value) && Number.isFinite(tx(p.x)) && Number.isFinite(ty(p.y)),
  );
  const summary = `Contour plot of ${good.length} trials over ${options.xLabel ?? 'x'} and ${options.yLabel ?? 'y'}.`;
  const xe = extent(good.map((p) => tx(p.x)));
  const ye = extent(good.map((p) => ty(p.y)));
  const ve = extent(good.map((p) => p.value));
  if (good.length < 2 || !xe || !ye || !ve)
    return svgFrame(options, width, height, summary, noData(area), 'contour');
  const xt = niceTicks(xe[0], xe[1], 5);
  const yt = niceTicks(ye[0], ye[1], 5);
  const x = linearScale(xt.domain, [area.left, area.right]);
  const y = linearScale(yt.domain, [area.bottom, area.top]);
  const unit = good.map((p) => ({
    u: (tx(p.x) - xt.domain[0]) / (xt.domain[1] - xt.domain[0] || 1),
    v: (ty(p.y) - yt.domain[0]) / (yt.domain[1] - yt.domain[0] || 1),
    value: p.value,
  }));
  const badness = (value: number) => {
    const t = ve[1] === ve[0] ? 0.5 : (value - ve[0]) / (ve[1] - ve[0]);
    return options.direction === 'minimize' ? t : 1 - t;
  };
  const n = options.resolution ?? 24;
  const cw = (area.right - area.left) / n;
  const ch = (area.bottom - area.top) / n;
  let body = '<g class="mn-surface">';
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const value = interpolate(unit, (i + 0.5) / n, 1 - (j + 0.5) / n);
      body += `<rect x="${px(area.left + i * cw)}" y="${px(area.top + j * ch)}" width="${px(cw + 0.5)}" height="${px(ch + 0.5)}" fill="${rampColor(badness(value))}"/>`;
    }
  }
  body += '</g>';
  const fmtX = (v: number) => formatNumber(options.xLog ? 10 ** v : v, 3);
  const fmtY = (v: number) => formatNumber(options.yLog ? 10 ** v : v, 3);
  body += axes(
    area,
    { scale: x, ticks: xt.ticks, format: fmtX },
    { scale: y, ticks: yt.ticks, format: fmtY },
    options,
  );
  body += '<g class="mn-points" stroke="#fff" stroke-width="1.5" fill="#111">';
  for (const p of good) {
    body += `<circle class="mn-point" cx="${px(x(tx(p.x)))}" cy="${px(y(ty(p.y)))}" r="4"><title>${escapeXml(`${fmtX(tx(p.x))}, ${fmtY(ty(p.y))} → ${formatNumber(p.value)}`)}</title></circle>`;
  }
  body += '</g>';
  // The colour key: a vertical ramp on the right, best at the top.
  const keyX = area.right + 16;
  const steps = 20;
  body += '<g class="mn-key">';
  for (let k = 0; k < steps; k++) {
    const top = area.top + ((area.bottom - area.top) * k) / steps;
    body += `<rect x="${px(keyX)}" y="${px(top)}" width="12" height="${px((area.bottom - area.top) / steps + 0.5)}" fill="${rampColor(k / (steps - 1))}"/>`;
  }
  const best = options.direction === 'minimize' ? ve[0] : ve[1];
  const worst = options.direction === 'minimize' ? ve[1] : ve[0];
  body += `<text x="${px(keyX + 6)}" y="${px(area.top - 6)}" text-anchor="middle" fill="#222">${escapeXml(formatNumber(best, 3))}</text>`;
  body += `<text x="${px(keyX + 6)}" y="${px(area.bottom + 16)}" text-anchor="middle" fill="#222">${escapeXml(formatNumber(worst, 3))}</text>`;
  body += '</g>';
  return svgFrame(options, width, height, summary, body, 'contour');
}
