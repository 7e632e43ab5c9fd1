import { describe, expect, it } from 'vitest';
import {
  barChart,
  contourChart,
  flowchart,
  histogram,
  histogramBins,
  lineChart,
  niceTicks,
  parallelCoordinates,
  scatterChart,
} from './index.ts';

/** Tags balance and nest (a small well-formedness check; the browser test parses them for real). */
function expectWellFormed(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (closing) expect(stack.pop()).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
}

const count = (svg: string, cls: string) => svg.split(`class="${cls}"`).length - 1;

describe('charts', () => {
  it('line chart: one point element per finite point, threshold and band drawn, title escaped', () => {
    const svg = lineChart({
      title: 'Accuracy <live> & "threshold"',
      series: [
        {
          name: 'a',
          points: [
            { x: 0, y: 0.4 },
            { x: 1, y: 0.6 },
            { x: 2, y: Number.NaN },
            { x: 3, y: 0.7 },
          ],
        },
        { name: 'b', points: [{ x: 0, y: 0.5 }], band: [{ x: 0, low: 0.4, high: 0.6 }] },
      ],
      threshold: { y: 0.5, label: 'threshold' },
      xLabel: 'day',
      yLabel: 'accuracy',
    });
    expectWellFormed(svg);
    expect(count(svg, 'mn-point')).toBe(4);
    expect(count(svg, 'mn-series')).toBe(2);
    expect(count(svg, 'mn-band')).toBe(1);
    expect(svg).toContain('mn-threshold');
    expect(svg).toContain('<title>Accuracy &lt;live&gt; &amp; &quot;threshold&quot;</title>');
    expect(svg).not.toContain('<live>');
    // The NaN breaks the line: a new move-to after it.
    expect(svg.match(/class="mn-series"[^>]* d="M[^"]*"/)?.[0].split('M').length).toBe(3);
    // A one-point band has no area: its interval is drawn as a capped bar.
    expect(count(svg, 'mn-interval')).toBe(1);
  });

  it('contour plot: a coloured surface, a dot per trial, best at the top of the key', () => {
    const points = [0, 1, 2, 3, 4].map((i) => ({ x: 0.001 * 10 ** (i / 2), y: i * 3, value: 0.9 + i / 100 }));
    const svg = contourChart({
      title: 'rmse',
      points,
      direction: 'minimize',
      xLog: true,
      xLabel: 'lr',
      yLabel: 'k',
    });
    expectWellFormed(svg);
    expect(count(svg, 'mn-point')).toBe(5);
    expect(svg).toContain('mn-surface');
    expect(svg).toContain('>0.9<');
    expect(contourChart({ title: 'one', points: points.slice(0, 1), direction: 'minimize' })).toContain(
      'mn-no-data',
    );
  });

  it('prints each tick label once when the format rounds several ticks alike', () => {
    const svg = lineChart({
      title: 'versions',
      series: [
        {
          name: 'champion',
          points: [
            { x: 0, y: 1 },
            { x: 1, y: 2 },
          ],
        },
      ],
      yFormat: (v) => `v${Math.round(v)}`,
    });
    const labels = [...svg.matchAll(/text-anchor="end">(v\d+)</g)].map((m) => m[1]);
    expect(labels.length).toBeGreaterThan(1);
    expect(new Set(labels).size).toBe(labels.length);
    const whole = lineChart({
      title: 'versions',
      series: [
        {
          name: 'champion',
          points: [
            { x: 0, y: 1 },
            { x: 1, y: 2 },
          ],
        },
      ],
      yFormat: (v) => `v${v}`,
      yIntegers: true,
    });
    expect([...whole.matchAll(/text-anchor="end">(v[\d.]+)</g)].map((m) => m[1])).toEqual(['v1', 'v2']);
  });

  it('every chart says "no data" instead of failing on empty input', () => {
    for (const svg of [
      lineChart({ title: 't', series: [] }),
      barChart({ title: 't', categories: [], series: [] }),
      scatterChart({ title: 't', series: [{ name: 's', points: [] }] }),
      parallelCoordinates({ title: 't', axes: [{ name: 'a' }, { name: 'b' }], lines: [] }),
      flowchart({ title: 't', nodes: [], edges: [] }),
    ]) {
      expectWellFormed(svg);
      expect(svg).toContain('mn-no-data');
    }
  });

  it('bar chart: one rect per finite value, grouped and horizontal, negative values from zero', () => {
    const svg = barChart({
      title: 'Genres',
      categories: ['Drama', 'Comedy', 'Horror'],
      series: [
        { name: 'unexpected', values: [0.5, 0.3, 0.2] },
        { name: 'recommended', values: [0.6, -0.1, Number.NaN] },
      ],
      orientation: 'horizontal',
    });
    expectWellFormed(svg);
    expect(count(svg, 'mn-bar')).toBe(5);
    const vertical = barChart({
      title: 'v',
      categories: ['a', 'b'],
      series: [{ name: 's', values: [1, 2] }],
    });
    expect(count(vertical, 'mn-bar')).toBe(2);
  });

  it('histogram bins count each value once, the top edge in the last bin, outside values not at all', () => {
    const bins = histogramBins([0.5, 1, 1, 2.5, 5, 6], { edges: [0.5, 1.5, 2.5, 3.5, 4.5, 5] });
    expect(bins.map((b) => b.count)).toEqual([3, 0, 1, 0, 1]);
    expect(histogramBins([1, 2, 3, 4], { bins: 2 }).map((b) => b.count)).toEqual([2, 2]);
    expect(histogramBins([])).toEqual([]);
    const svg = histogram({ title: 'h', series: [{ name: 'x', bins }], normalize: true });
    expectWellFormed(svg);
    expect(svg).toContain('0.6'); // 3 of 5 counted values, shown as a share
  });

  it('scatter chart places categorical and log-scale points; parallel coordinates draws each record', () => {
    const s = scatterChart({
      title: 's',
      series: [
        {
          name: 'trials',
          points: [
            { x: 0, y: 1 },
            { x: 1, y: 2 },
            { x: 1, y: 3 },
          ],
        },
      ],
      xCategories: ['sgd', 'als'],
    });
    expectWellFormed(s);
    expect(count(s, 'mn-point')).toBe(3);
    const log = scatterChart({
      title: 'l',
      xLog: true,
      series: [
        {
          name: 'lr',
          points: [
            { x: 0.001, y: 1 },
            { x: 0, y: 2 },
            { x: 0.1, y: 3 },
          ],
        },
      ],
    });
    expect(count(log, 'mn-point')).toBe(2);
    const p = parallelCoordinates({
      title: 'p',
      axes: [{ name: 'factors' }, { name: 'lr', log: true }, { name: 'solver' }, { name: 'rmse' }],
      lines: [{ values: [10, 0.01, 'sgd', 0.9] }, { values: [50, 0.001, 'als', 0.87] }],
      highlight: 1,
    });
    expectWellFormed(p);
    expect(count(p, 'mn-line')).toBe(2);
    expect(p).toContain('#D55E00');
  });

  it('flowchart draws every node and labelled edge, including back and vertical edges', () => {
    const svg = flowchart({
      title: 'Training data flow',
      nodes: [
        { id: 'r', label: 'ratings', detail: '10' },
        { id: 't', label: 'tracker' },
        { id: 's', label: 'training set' },
        { id: 'v', label: 'version', column: 2, row: 1 },
      ],
      edges: [
        { from: 'r', to: 't', label: '10 tracked' },
        { from: 'r', to: 's', label: '7 expected' },
        { from: 's', to: 'v', label: 'fit' },
        { from: 't', to: 'r' },
      ],
    });
    expectWellFormed(svg);
    expect(count(svg, 'mn-node')).toBe(4);
    expect(count(svg, 'mn-edge')).toBe(4);
    expect(count(svg, 'mn-edge-label')).toBe(3);
  });

  it('nice ticks are round and cover the range', () => {
    expect(niceTicks(0.13, 0.87, 5)).toEqual({ ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], domain: [0, 1] });
    expect(niceTicks(3, 3).ticks.length).toBeGreaterThan(1);
  });
});
