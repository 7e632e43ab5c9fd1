import { barChart } from '../charts/bar-chart.ts';
import { lineChart } from '../charts/line-chart.ts';
import { formatNumber } from '../charts/svg.ts';
import { htmlCharts, htmlKpis, htmlPage, htmlParagraph, htmlTable } from './html-page.ts';
import type { StatusReport, VersionStatus } from './status-report.ts';
import { age, dateTime, heading, num, pct, sparkline, type TerminalOptions, textTable } from './terminal.ts';

const percent = (v: number) => `${formatNumber(Math.round(v * 1000) / 10)} %`;

/** The status page's charts by role; a chart is null when there is nothing to draw in it. */
export interface StatusChartSet {
  /** Tracker accuracy per day with its 95 % interval and the retrain threshold. */
  readonly accuracy: string;
  /** Champion and challenger side by side: offline metrics and live accuracy. */
  readonly models: string | null;
  /** The running A/B test's live accuracy per arm. */
  readonly abTest: string | null;
}

export function statusChartSet(r: StatusReport): StatusChartSet {
  const days = r.tracker.byDay.filter((d) => d.accuracy !== null);
  const x = (day: string) => Date.parse(`${day}T00:00:00Z`);
  const accuracy = lineChart({
    title: `Live accuracy per day (last ${r.tracker.windowDays} days)`,
    xFormat: 'date',
    xLabel: 'day',
    yLabel: 'liked accuracy',
    yDomain: [0, 1],
    yFormat: percent,
    series: [
      {
        name: 'accuracy',
        points: days.map((d) => ({ x: x(d.day), y: d.accuracy! })),
        band: days.map((d) => ({ x: x(d.day), low: d.low, high: d.high })),
      },
    ],
    threshold: { y: r.tracker.threshold, label: 'retrain threshold' },
  });
  const roles = [
    { role: 'champion', v: r.champion },
    { role: 'challenger', v: r.challenger },
  ].filter((x): x is { role: string; v: VersionStatus } => x.v !== null);
  const offline = ['accuracy', 'rmse', 'mae'].filter((m) =>
    roles.some(({ v }) => typeof v.offlineMetrics[m] === 'number'),
  );
  const hasLive = roles.some(({ v }) => v.live.accuracy !== null);
  const categories = [...offline.map((m) => `offline ${m}`), ...(hasLive ? ['live accuracy'] : [])];
  const models =
    categories.length > 0
      ? barChart({
          title: 'Champion and challenger',
          categories,
          series: roles.map(({ role, v }) => ({
            name: `${role} v${v.version}`,
            values: [
              ...offline.map((m) => v.offlineMetrics[m] ?? Number.NaN),
              ...(hasLive ? [v.live.accuracy ?? Number.NaN] : []),
            ],
          })),
        })
      : null;
  const abTest = r.abTest
    ? barChart({
        title: `A/B test #${r.abTest.id}: live accuracy per arm`,
        categories: [`champion v${r.abTest.championVersion}`, `challenger v${r.abTest.challengerVersion}`],
        valueDomain: [0, 1],
        valueFormat: percent,
        series: [
          {
            name: 'accuracy',
            values: [r.abTest.champion.accuracy ?? Number.NaN, r.abTest.challenger.accuracy ?? Number.NaN],
          },
        ],
      })
    : null;
  return { accuracy, models, abTest };
}

/** The status page's charts that have something to draw (the web dashboard lays them out). */
export function statusCharts(r: StatusReport): string[] {
  const set = statusChartSet(r);
  return [set.accuracy, set.models, set.abTest].filter((c): c is string => c !== null);
}

function versionRows(r: StatusReport): string[][] {
  const row = (role: string, v: VersionStatus | null): string[] =>
    v
      ? [
          role,
          `v${v.version}`,
          v.kind,
          age(v.ageMs),
          String(v.trainRows),
          num(v.offlineMetrics.rmse),
          pct(v.offlineMetrics.accuracy),
          pct(v.live.accuracy),
          String(v.live.samples),
        ]
      : [role, '–', '–', '–', '–', '–', '–', '–', '–'];
  return [row('champion', r.champion), row('challenger', r.challenger)];
}
const versionHeaders = [
  'alias',
  'version',
  'model',
  'age',
  'train rows',
  'RMSE',
  'accuracy',
  'live accuracy',
  'live n',
];

function trackerLine(r: StatusReport): string {
  const t = r.tracker;
  // The same reading as the retrain check (and the dashboard): below its minimum of samples the
  // accuracy is not judged, whichever side of the threshold one sample happens to fall.
  const verdict =
    t.belowThreshold === null
      ? 'no samples yet'
      : t.accuracy.samples < t.minSamples
        ? `insufficient samples (n = ${t.accuracy.samples} of the ${t.minSamples} the check needs)`
        : t.belowThreshold
          ? 'BELOW the threshold'
          : 'above the threshold';
  return `Tracker, last ${t.windowDays} days: accuracy ${pct(t.accuracy.accuracy)} (95 % CI ${pct(t.accuracy.low)}–${pct(t.accuracy.high)}, n = ${t.accuracy.samples}) vs threshold ${pct(t.threshold)}: ${verdict}. ${t.counts.tracked} ratings tracked, ${t.counts.unexpected} unexpected.`;
}

function abLine(r: StatusReport): string {
  const a = r.abTest;
  if (!a) {
    const last = r.lastAbTest;
    return last
      ? `No A/B test running; the last (#${last.id}) ended ${dateTime(last.endedAt)}: ${last.decision ?? '–'} (${last.reason ?? ''}).`
      : 'No A/B test yet.';
  }
  return `A/B test #${a.id}: v${a.championVersion} vs v${a.challengerVersion}, ${pct(a.traffic)} traffic to the challenger, ${num(a.elapsedDays, 1)} days; champion ${pct(a.champion.accuracy)} (n ${a.champion.n}), challenger ${pct(a.challenger.accuracy)} (n ${a.challenger.n}); verdict so far: ${a.verdict} — ${a.reason}`;
}

function tuningLine(r: StatusReport): string {
  const run = r.tuning.lastRun;
  const runText = run
    ? `Last tuning run ${run.id} (${run.model}, ${run.method}): ${run.status}, ${run.trialsDone}/${run.trialsPlanned} trials, best ${run.objective} ${num(run.bestValue)}.`
    : 'No tuning run yet.';
  const b = r.tuning.bestHp;
  const hp = r.tuning.bestHpError
    ? `best_hp.json is unreadable: ${r.tuning.bestHpError}`
    : b
      ? `best_hp.json: ${b.model} ${JSON.stringify(b.params)}, ${b.objective} ${num(b.value)} (run ${b.runId}, trial ${b.trialNumber}).`
      : r.tuning.bestHpPath
        ? `No best_hp.json at ${r.tuning.bestHpPath}.`
        : '';
  return `${runText} ${hp}`.trim();
}

function triggerRows(r: StatusReport): string[][] {
  return r.retrain.triggers.map((t) => [
    String(t.id),
    dateTime(t.triggeredAt),
    t.source,
    t.status,
    t.reason,
    t.outcome ?? '–',
    t.newVersion === null ? '–' : `v${t.newVersion}`,
  ]);
}
const triggerHeaders = ['trigger', 'when', 'source', 'status', 'reason', 'outcome', 'version'];

function historyRows(r: StatusReport): string[][] {
  return r.aliasHistory
    .slice()
    .reverse()
    .map((h) => [
      dateTime(h.movedAt),
      h.alias,
      h.action,
      h.previousVersion === null ? '–' : `v${h.previousVersion}`,
      h.newVersion === null ? '–' : `v${h.newVersion}`,
      h.reason,
    ]);
}
const historyHeaders = ['when', 'alias', 'action', 'from', 'to', 'reason'];

function databaseLine(r: StatusReport): string {
  const d = r.database;
  const size = d.sizeBytes === null ? '?' : `${formatNumber(Math.round(d.sizeBytes / 1024))} KiB`;
  const schema =
    d.schemaVersion === d.latestMigration
      ? `schema ${d.schemaVersion} (current)`
      : `schema ${d.schemaVersion} of ${d.latestMigration}`;
  return `Database: ${d.dialect} ${d.location}, ${size}, ${schema}, integrity ${d.integrity}.`;
}

export function renderStatusTerminal(r: StatusReport, options: TerminalOptions): string {
  const out = [heading('Deployment status'), textTable(versionHeaders, versionRows(r))];
  out.push('', `  ${trackerLine(r)}`);
  if (options.tty && r.tracker.byDay.length > 1) {
    out.push(
      `  Accuracy per day: ${sparkline(
        r.tracker.byDay.map((d) => d.accuracy),
        [0, 1],
      )}`,
    );
  }
  out.push(`  ${abLine(r)}`, `  ${tuningLine(r)}`, `  ${databaseLine(r)}`);
  const lock = r.retrain.lock;
  out.push(
    `  Retrain lock: ${lock.holder ? `held by ${lock.holder} (trigger ${lock.triggerId}, heartbeat ${dateTime(lock.heartbeatAt)})` : 'free'}.`,
  );
  out.push(heading('Alias history (newest first)'));
  out.push(r.aliasHistory.length ? textTable(historyHeaders, historyRows(r)) : '  none');
  out.push(heading('Last retrain triggers'));
  out.push(r.retrain.triggers.length ? textTable(triggerHeaders, triggerRows(r)) : '  none');
  out.push(heading('Rows'));
  out.push(
    textTable(
      ['table', 'rows'],
      Object.entries(r.database.rows).map(([k, v]) => [k, String(v)]),
    ),
  );
  return out.join('\n');
}

export function renderStatusHtml(r: StatusReport): string {
  const charts = statusChartSet(r);
  const t = r.tracker;
  return htmlPage({
    title: 'MovieNight — deployment status',
    subtitle: databaseLine(r),
    generatedAt: r.generatedAt,
    sections: [
      {
        heading: 'Models',
        html:
          htmlKpis([
            { label: 'champion', value: r.champion ? `v${r.champion.version} ${r.champion.kind}` : 'none' },
            {
              label: 'challenger',
              value: r.challenger ? `v${r.challenger.version} ${r.challenger.kind}` : 'none',
            },
            { label: `live accuracy (${t.windowDays} d)`, value: pct(t.accuracy.accuracy) },
            { label: 'retrain threshold', value: pct(t.threshold) },
          ]) +
          htmlTable(versionHeaders, versionRows(r)) +
          (charts.models ? htmlCharts([charts.models]) : ''),
      },
      {
        heading: 'Tracker',
        html:
          htmlParagraph(trackerLine(r), t.belowThreshold ? 'bad' : undefined) + htmlCharts([charts.accuracy]),
      },
      {
        heading: 'A/B test',
        html: htmlParagraph(abLine(r)) + (charts.abTest ? htmlCharts([charts.abTest]) : ''),
      },
      {
        heading: 'Alias history',
        html: r.aliasHistory.length
          ? htmlTable(historyHeaders, historyRows(r))
          : htmlParagraph('No alias moves yet.'),
      },
      { heading: 'Tuning', html: htmlParagraph(tuningLine(r)) },
      {
        heading: 'Retraining',
        html: r.retrain.triggers.length
          ? htmlTable(triggerHeaders, triggerRows(r))
          : htmlParagraph('No retrain triggers yet.'),
      },
      {
        heading: 'Database',
        html:
          htmlParagraph(databaseLine(r)) +
          htmlTable(
            ['table', 'rows'],
            Object.entries(r.database.rows).map(([k, v]) => [k, String(v)]),
          ),
      },
    ],
  });
}
