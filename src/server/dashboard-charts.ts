import { barChart, type LineSeries, lineChart } from '../charts/index.ts';
import type { TrackStatus } from '../monitoring/track-status.ts';
import type { RetrainTrigger } from '../retraining/retrain-triggers.ts';

/**
 * The dashboard's own charts: G's chart functions drawn from the plain data that E's tracker and
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
 * Retrain triggers over time: one series per outcome, at the accuracy that caused the trigger
 * (manual triggers, which have none, are drawn at 0).
 */
export function retrainTriggersChart(triggers: readonly RetrainTrigger[], threshold: number): string {
  const byStatus = new Map<string, LineSeries['points'][number][]>();
  for (const t of [...triggers].sort((a, b) => a.triggeredAt - b.triggeredAt)) {
    const key = `${t.source} · ${t.status}`;
    const points = byStatus.get(key) ?? [];
    points.push({ x: t.triggeredAt, y: typeof t.numbers.accuracy === 'number' ? t.numbers.accuracy : 0 });
    byStatus.set(key, points);
  }
  return lineChart({
    title: 'Retrain triggers and outcomes',
    description:
      'Each retrain trigger at the time it was recorded and the live accuracy that caused it, coloured by source and outcome.',
    xLabel: 'triggered',
    yLabel: 'accuracy at trigger',
    xFormat: 'date',
    yDomain: [0, 1],
    yFormat: percent,
    threshold: { y: threshold, label: `threshold ${percent(threshold)}` },
    series: [...byStatus].map(([name, points]) => ({
      name,
      points: [...points].map((p) => p),
      markers: true,
    })),
  });
}
