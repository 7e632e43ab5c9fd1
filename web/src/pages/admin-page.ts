import { api } from '../api.ts';
import type {
  AdminSignInBody,
  ImpactReport,
  RetrainBody,
  RetrainStarted,
  RetrainTriggers,
  RunSummary,
  TrackerStatus as TrackerAnswer,
  TuningRunBody,
  TuningRuns,
  TuningStarted,
} from '../api-types.ts';
import { errorText, h } from '../dom.ts';
import { formatCount, formatDateTime, formatPercent } from '../format.ts';
import { redraw, refreshSession, session } from '../session.ts';
import { act, chart, confirmAction, kv, loaded, section, table } from './admin-common.ts';
import { abSection, deploymentSection, type Versions } from './admin-deploy-sections.ts';
import { jobsBox, watchRequest, watchRetrain, watchTuning } from './admin-jobs.ts';
import { type Overview, overviewSection } from './admin-overview-section.ts';
import { queueSection } from './admin-queue-section.ts';

export type { RunSummary };

function adminSignIn(): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert' });
  const token = h('input', {
    id: 'admin-token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
  });
  const form = h(
    'form',
    { class: 'form' },
    h(
      'div',
      {},
      h('label', { for: 'admin-token' }, 'Admin token'),
      token,
      h('p', { class: 'muted' }, h('code', {}, 'movienight serve'), ' prints it at start.'),
    ),
    h('button', { type: 'submit' }, 'Open the dashboard'),
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', '/api/admin/sign-in', { token: token.value } satisfies AdminSignInBody);
      await refreshSession();
      redraw();
    } catch (e) {
      error.textContent = errorText(e, 'open the dashboard', true);
    }
  });
  return h('section', {}, h('h1', {}, 'Dashboard'), form);
}

function trackerSection(): HTMLElement {
  return section(
    'tracker',
    'Tracker',
    loaded(
      'the tracker',
      () => api<TrackerAnswer>('GET', '/api/admin/tracker'),
      (s) => [
        kv([
          [
            `Accuracy (last ${s.window.days} days)`,
            `${formatPercent(s.overall.accuracy)} (95 % interval ${formatPercent(s.overall.low)}–${formatPercent(s.overall.high)}), n = ${formatCount(s.overall.samples)}`,
          ],
          [
            'Tracked ratings',
            `${formatCount(s.counts.tracked)} (${formatCount(s.counts.recommended)} recommended, ${formatCount(s.counts.unexpected)} unexpected)`,
          ],
          ['Check', `${s.check.verdict}: ${s.check.rule}`],
        ]),
        h(
          'div',
          { class: 'grid-2' },
          chart('tracker-accuracy', 'Tracker accuracy by day (threshold line)'),
          chart('accuracy-by-version', 'Accuracy by version'),
        ),
      ],
    ),
  );
}

async function retrainNow(): Promise<void> {
  const ok = await confirmAction(
    'Retrain now?',
    [
      'Trains a new version on every rating, in the background.',
      'The retrain policy then decides: keep the champion, start an A/B test, or activate the new version — which changes users’ picks.',
    ],
    'Retrain now',
  );
  if (!ok) return;
  try {
    const { trigger } = await api<RetrainStarted>('POST', '/api/admin/retrain', {} satisfies RetrainBody);
    watchRetrain(trigger.id);
  } catch (error) {
    await act(
      'Retrain',
      () => Promise.reject(error),
      () => undefined,
    );
  }
}

function retrainSection(): HTMLElement {
  return section(
    'retrain',
    'Retraining',
    loaded(
      'the retrains',
      () => api<RetrainTriggers>('GET', '/api/admin/retrain/triggers?limit=10'),
      ({ triggers }) => {
        for (const t of triggers) if (t.status === 'pending' || t.status === 'running') watchRetrain(t.id);
        return [
          h('p', {}, h('button', { type: 'button', onclick: () => void retrainNow() }, 'Retrain now…')),
          triggers.length > 0
            ? chart('retrain-triggers', 'Retrain triggers and outcomes')
            : h('p', { class: 'muted' }, 'No retrain has been triggered yet.'),
          triggers.length === 0
            ? null
            : table(
                'Latest retrains',
                ['#', 'When', 'Source', 'Status', 'Outcome'],
                triggers.map((t) => [
                  String(t.id),
                  formatDateTime(t.triggeredAt),
                  `${t.source}: ${t.reason}`,
                  t.status,
                  t.outcome ?? '–',
                ]),
              ),
        ];
      },
    ),
  );
}

function tuningForm(o: Overview): Node {
  const method = h(
    'select',
    { id: 'tune-method' },
    ...o.tuningMethods.map((m) => h('option', { value: m, selected: m === 'random' }, m)),
  );
  const model = h(
    'select',
    { id: 'tune-model' },
    ...o.modelKinds.map((m) => h('option', { value: m, selected: m === 'svd' }, m)),
  );
  const trials = h('input', {
    id: 'tune-trials',
    type: 'number',
    min: 1,
    max: 500,
    value: 10,
    inputmode: 'numeric',
  });
  const start = async () => {
    try {
      const { runId } = await api<TuningStarted>('POST', '/api/admin/tuning/runs', {
        // The choices are the server's own lists of tuning methods and model kinds.
        method: method.value as NonNullable<TuningRunBody>['method'],
        model: model.value,
        trials: Number(trials.value),
      } satisfies TuningRunBody);
      watchTuning(runId);
    } catch (error) {
      await act(
        'Start tuning',
        () => Promise.reject(error),
        () => undefined,
      );
    }
  };
  return h(
    'div',
    { class: 'form-row' },
    h('div', {}, h('label', { for: 'tune-method' }, 'Method'), method),
    h('div', {}, h('label', { for: 'tune-model' }, 'Model'), model),
    h('div', {}, h('label', { for: 'tune-trials' }, 'Trials'), trials),
    h('button', { type: 'button', onclick: () => void start() }, 'Start tuning run'),
  );
}

function runProgress(r: RunSummary): Node {
  return h(
    'span',
    {},
    h('progress', {
      max: Math.max(1, r.trialsPlanned),
      value: r.trialsDone,
      'aria-label': `Run ${r.id}: trials done`,
    }),
    ` ${formatCount(r.trialsDone)} / ${formatCount(r.trialsPlanned)}`,
  );
}

function tuningSection(overview: Promise<Overview>): HTMLElement {
  return section(
    'tuning',
    'Tuning',
    loaded(
      'the tuning runs',
      () => Promise.all([overview, api<TuningRuns>('GET', '/api/admin/tuning/runs?limit=20')]),
      ([o, { runs }]) => {
        for (const r of runs) if (r.status === 'running') watchTuning(r.id);
        return [
          tuningForm(o),
          runs.length === 0
            ? h('p', { class: 'muted' }, 'No tuning run yet.')
            : table(
                'Tuning runs',
                ['Run', 'Model', 'Status', 'Trials', 'Best', 'Started'],
                runs.map((r) => [
                  h('a', { href: `#/admin/tuning/${encodeURIComponent(r.id)}` }, r.id),
                  `${r.model} (${r.method})`,
                  r.status,
                  runProgress(r),
                  r.bestValue === null ? '–' : `${r.objective} ${r.bestValue.toFixed(4)}`,
                  formatDateTime(r.startedAt),
                ]),
              ),
        ];
      },
    ),
  );
}

function reportsSection(): HTMLElement {
  const impact = () =>
    watchRequest('impact', 'Impact report', async () => {
      const report = await api<ImpactReport>('GET', '/api/admin/reports/impact');
      return `${formatCount(report.arms.length)} training arms compared. Open it as a page below.`;
    });
  return section(
    'reports',
    'Reports',
    h(
      'ul',
      { class: 'plain-list' },
      h(
        'li',
        {},
        h(
          'a',
          { href: '/api/admin/reports/status/html', target: '_blank', rel: 'noopener' },
          'Status report (opens a new tab)',
        ),
      ),
      h(
        'li',
        {},
        h(
          'a',
          { href: '/api/admin/reports/impact/html', target: '_blank', rel: 'noopener' },
          'Impact report (opens a new tab; fits models, takes a while)',
        ),
      ),
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', class: 'secondary', onclick: impact },
          'Make the impact report here, with progress',
        ),
      ),
      h('li', {}, h('a', { href: '/openapi.json' }, 'API document')),
    ),
  );
}

/** The admin dashboard: overview, deployment, A/B test, tracker, retraining, tuning, reports. */
export function adminPage(): HTMLElement {
  if (session.me.kind !== 'admin') {
    if (session.me.kind === 'user') {
      return h(
        'section',
        {},
        h('h1', {}, 'Dashboard'),
        h('p', {}, 'The dashboard is for the admin. Sign out, then sign in with the admin token.'),
      );
    }
    return adminSignIn();
  }
  const overview = api<Overview>('GET', '/api/admin/overview');
  const versions = api<Versions>('GET', '/api/admin/versions');
  // Both are awaited by sections; one failing must not be an unhandled rejection.
  overview.catch(() => undefined);
  versions.catch(() => undefined);
  return h(
    'div',
    { class: 'dashboard' },
    h('h1', {}, 'Dashboard'),
    jobsBox,
    overviewSection(overview),
    deploymentSection(versions),
    abSection(versions),
    trackerSection(),
    retrainSection(),
    tuningSection(overview),
    reportsSection(),
    queueSection(),
  );
}
