import { barChart, type LineSeries, lineChart } from '../charts/index.ts';
import type { AbTest } from '../experiments/ab-tests.ts';
import type { AliasHistoryEntry } from '../registry/aliases.ts';
import type { ModelVersion } from '../registry/model-versions.ts';
import type { RetrainTrigger } from '../retraining/retrain-triggers.ts';
import type { TrackStatus } from '../retraining/track-status.ts';

/**
 * The dashboard's own charts: the chart functions drawn from the plain data that the tracker and
 * retrain triggers return. Each returns one self-contained SVG string.
 */

const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`);
const percent = (v: number) => `${Math.round(v * 100)} %`;

/** Tracker liked-accuracy per day with its 95 % interval, against the retrain threshold. */
export function trackerAccuracyChart(status: TrackStatus, threshold: number): string {
  const days = status.byDay.filter((d) => d.accuracy !== null);
  return lineChart({
    title: 'Tracker accuracy by day',
    description: `Share of recommended movies whose liked / not liked prediction was right, per day, over the last ${status.window.days} days, with the ${percent(threshold)} retrain threshold.`,
    xLabel: 'day',
    yLabel: 'accuracy',
    xFormat: 'date',
    yDomain: [0, 1],
    yFormat: percent,
    threshold: { y: threshold, label: `retrain threshold ${percent(threshold)}` },
    series: [
      {
        name: 'accuracy',
        points: days.map((d) => ({ x: dayStart(d.day), y: d.accuracy ?? 0 })),
        band: days.map((d) => ({ x: dayStart(d.day), low: d.low, high: d.high })),
      },
    ],
  });
}

/** Accuracy of each model version (and each A/B arm) over the window, as bars. */
export function accuracyByVersionChart(status: TrackStatus): string {
  const rows = status.byVersion.filter((v) => v.samples > 0);
  return barChart({
    title: 'Accuracy by model version (window)',
    categories: rows.map((v) => (v.version === null ? 'none' : `v${v.version}`)),
    series: [{ name: 'accuracy', values: rows.map((v) => v.accuracy ?? 0) }],
    valueDomain: [0, 1],
    valueFormat: percent,
    xLabel: 'version',
    yLabel: 'accuracy',
  });
}

/**
 * Retrain triggers over time: one series per source and outcome, at the live accuracy that caused
 * the trigger. A manual retrain has no such accuracy: it is drawn as a marker on the top edge, in
 * its own series named as such, never as a trigger at 0 %.
 */
export function retrainTriggersChart(triggers: readonly RetrainTrigger[], threshold: number): string {
  const byStatus = new Map<string, LineSeries['points'][number][]>();
  for (const t of [...triggers].sort((a, b) => a.triggeredAt - b.triggeredAt)) {
    const accuracy = typeof t.numbers.accuracy === 'number' ? t.numbers.accuracy : null;
    const key =
      accuracy === null ? `${t.source} · ${t.status} (no accuracy: top edge)` : `${t.source} · ${t.status}`;
    const points = byStatus.get(key) ?? [];
    points.push({ x: t.triggeredAt, y: accuracy ?? 1 });
    byStatus.set(key, points);
  }
  return lineChart({
    title: 'Retrain triggers and outcomes',
    description:
      'Each retrain trigger at the time it was recorded and the live accuracy that caused it, coloured by source and outcome; retrains asked for by hand, which no accuracy caused, sit on the top edge.',
    xLabel: 'triggered',
    yLabel: 'accuracy at trigger',
    xFormat: 'date',
    yDomain: [0, 1],
    yFormat: percent,
    threshold: { y: threshold, label: `threshold ${percent(threshold)}` },
    // Always a legend: it is what says a dot on the top edge is a retrain asked for by hand.
    legend: true,
    series: [...byStatus].map(([name, points]) => ({ name, points, markers: true, line: false })),
  });
}

/**
 * Champion and challenger version over time, as steps: each alias move holds its version until the
 * next move (a cleared challenger leaves a gap).
 */
export function aliasHistoryChart(history: readonly AliasHistoryEntry[], now: number): string {
  const series: LineSeries[] = (['champion', 'challenger'] as const).map((alias) => {
    const points: { x: number; y: number }[] = [];
    let current: number | null = null;
    for (const h of history.filter((e) => e.alias === alias)) {
      if (current !== null) points.push({ x: h.movedAt, y: current });
      else if (points.length > 0) points.push({ x: h.movedAt, y: Number.NaN });
      current = h.newVersion;
      if (current !== null) points.push({ x: h.movedAt, y: current });
    }
    if (current !== null) points.push({ x: now, y: current });
    return { name: alias, points, markers: false };
  });
  return lineChart({
    title: 'Champion and challenger over time',
    description: 'Which model version each alias pointed at, from the alias history.',
    xLabel: 'time',
    yLabel: 'version',
    xFormat: 'date',
    yFormat: (v) => `v${Math.round(v)}`,
    yIntegers: true,
    series: series.filter((s) => s.points.length > 0),
  });
}

/** Offline RMSE and accuracy of the newest versions that recorded them. */
export function versionMetricsChart(versions: readonly ModelVersion[]): string {
  const shown = [...versions]
    .filter((v) => Object.keys(v.metrics).length > 0)
    .sort((a, b) => a.version - b.version)
    .slice(-12);
  const keys = ['rmse', 'mae', 'accuracy'].filter((k) => shown.some((v) => typeof v.metrics[k] === 'number'));
  return barChart({
    title: 'Offline metrics by version',
    description:
      'Metrics each version recorded when it was trained (lower RMSE/MAE and higher accuracy are better).',
    categories: shown.map((v) => `v${v.version}${v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}`),
    series: keys.map((k) => ({ name: k, values: shown.map((v) => v.metrics[k] ?? 0) })),
    xLabel: 'version',
  });
}

/** One arm's cumulative figures at the end of one day of an A/B test. */
export interface AbArmDay {
  readonly arm: string;
  /** End of the day, epoch ms. */
  readonly day: number;
  readonly n: number;
  readonly accuracy: number;
  readonly low: number;
  readonly high: number;
}

/** Per-arm cumulative accuracy with 95 % bands over the days of a test. */
export function abTestChart(test: AbTest | null, timeline: readonly AbArmDay[]): string {
  const arms = ['champion', 'challenger'] as const;
  const versionOf = (arm: string) => (arm === 'champion' ? test?.championVersion : test?.challengerVersion);
  return lineChart({
    title: test ? `A/B test #${test.id}: accuracy by arm (${test.status})` : 'A/B test: none yet',
    description: test
      ? `Cumulative liked-accuracy of each arm with its 95 % interval, v${test.championVersion} (champion) against v${test.challengerVersion} (challenger).`
      : 'No A/B test has been started.',
    xLabel: 'day',
    yLabel: 'accuracy',
    xFormat: 'date',
    yDomain: [0, 1],
    yFormat: percent,
    series: arms
      .map((arm) => {
        const days = timeline.filter((d) => d.arm === arm);
        return {
          name: `${arm} v${versionOf(arm) ?? '?'}`,
          points: days.map((d) => ({ x: d.day, y: d.accuracy })),
          band: days.map((d) => ({ x: d.day, low: d.low, high: d.high })),
        };
      })
      .filter((s) => s.points.length > 0),
  });
}
