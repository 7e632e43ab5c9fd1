import { api } from '../api.ts';
import { errorText, failed, h, loading } from '../dom.ts';
import { formatCount, formatDateTime, formatPercent, formatRating } from '../format.ts';
import { redraw, refreshSession, session } from '../session.ts';
import { act, chart, confirmAction, kv, section, table } from './admin-common.ts';
import { jobsBox, watchRequest, watchRetrain, watchTuning } from './admin-jobs.ts';
import { versionLink } from './admin-versions-page.ts';

/** Loads `fetch` into a section body, with loading and error states, and draws it with `draw`. */
function loaded<T>(what: string, fetch: () => Promise<T>, draw: (data: T) => Node[]): HTMLElement {
  const body = h('div', {}, loading(what));
  const load = () => {
    body.replaceChildren(loading(what));
    fetch()
      .then((data) => body.replaceChildren(...draw(data)))
      .catch((error) => body.replaceChildren(failed(errorText(error, `load ${what}`), load)));
  };
  load();
  return body;
}

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
      h('p', { class: 'muted' }, '`movienight serve` prints it at start.'),
    ),
    h('button', { type: 'submit' }, 'Open the dashboard'),
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', '/api/admin/sign-in', { token: token.value });
      await refreshSession();
      redraw();
    } catch (e) {
      error.textContent = errorText(e, 'open the dashboard', true);
    }
  });
  return h('section', {}, h('h1', {}, 'Dashboard'), form);
}

interface Overview {
  counts: Record<
    'users' | 'accounts' | 'movies' | 'ratings' | 'served' | 'tracked' | 'versions' | 'tuningRuns',
    number
  >;
  modelKinds: string[];
  tuningMethods: string[];
}

interface PreviewAnswer {
  userId: number;
  modelVersion: number;
  ratings: number;
  newUser: boolean;
  picks: { rank: number; movieId: number; title: string; predictedRating: number }[];
}

function picksPreview(): HTMLElement {
  const user = h('input', { id: 'preview-user', type: 'number', min: 1, inputmode: 'numeric', value: 1 });
  const out = h('div', { 'aria-live': 'polite' });
  const show = () => {
    out.replaceChildren(loading('the picks'));
    api<PreviewAnswer>('GET', `/api/admin/users/${Number(user.value) || 0}/picks?n=10`)
      .then((p) =>
        out.replaceChildren(
          h(
            'p',
            { class: 'muted' },
            `User ${p.userId}, ${formatCount(p.ratings)} ratings, from v${p.modelVersion}${p.newUser ? ' (new to the model: popular picks)' : ''}. Not recorded as served.`,
          ),
          h(
            'ol',
            { class: 'plain-list' },
            ...p.picks.map((x) =>
              h(
                'li',
                {},
                h('a', { href: `#/movie/${x.movieId}` }, x.title),
                ` — predicted ${formatRating(x.predictedRating)} ★`,
              ),
            ),
          ),
        ),
      )
      .catch((error) =>
        out.replaceChildren(h('p', { class: 'error' }, errorText(error, 'preview the picks'))),
      );
  };
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'form-row' },
      h('div', {}, h('label', { for: 'preview-user' }, 'User id'), user),
      h('button', { type: 'button', onclick: show }, 'Preview picks'),
    ),
    out,
  );
}

function overviewSection(overview: Promise<Overview>): HTMLElement {
  const labels: [keyof Overview['counts'], string][] = [
    ['users', 'Users'],
    ['accounts', 'Accounts'],
    ['movies', 'Movies'],
    ['ratings', 'Ratings'],
    ['served', 'Picks served'],
    ['tracked', 'Ratings tracked'],
    ['versions', 'Model versions'],
    ['tuningRuns', 'Tuning runs'],
  ];
  return section(
    'overview',
    'Overview',
    loaded(
      'the overview',
      () => overview,
      (o) => [
        h(
          'ul',
          { class: 'stat-tiles' },
          ...labels.map(([k, label]) =>
            h('li', {}, h('span', { class: 'stat' }, formatCount(o.counts[k])), h('span', {}, label)),
          ),
        ),
        h('h3', {}, 'Preview any user’s picks'),
        picksPreview(),
      ],
    ),
  );
}

interface VersionInfo {
  version: number;
  kind: string;
  status: string;
  reason: string;
  createdAt: number;
  aliases: string[];
  metrics: Record<string, number>;
}
interface Versions {
  champion: number | null;
  challenger: number | null;
  rollbackTo: number | null;
  versions: VersionInfo[];
}
interface CurrentTest {
  test: {
    id: number;
    championVersion: number;
    challengerVersion: number;
    traffic: number;
    startedAt: number;
  } | null;
  analysis: {
    arms: Record<
      'champion' | 'challenger',
      { n: number; users: number; accuracy: { value: number; low: number; high: number } }
    >;
    verdict: { action: string; reason: string };
  } | null;
}

function versionOptions(
  versions: readonly VersionInfo[],
  id: string,
  label: string,
  exclude: number | null,
): HTMLElement[] {
  const select = h(
    'select',
    { id },
    ...versions
      .filter((v) => v.status === 'ready' && v.version !== exclude)
      .map((v) =>
        h(
          'option',
          { value: v.version },
          `v${v.version} ${v.kind} (${v.reason}, ${formatDateTime(v.createdAt)})`,
        ),
      ),
  );
  return [h('label', { for: id }, label), select];
}

async function activate(version: number, champion: number | null): Promise<void> {
  const current = await api<CurrentTest>('GET', '/api/admin/ab-tests/current');
  const consequences = [
    `Every user’s picks come from v${version} from now on${champion ? ` instead of v${champion}` : ''}.`,
    current.test
      ? `Stops A/B test #${current.test.id} (v${current.test.championVersion} against v${current.test.challengerVersion}) without a verdict.`
      : 'No A/B test is running.',
    'You can roll back afterwards.',
  ];
  if (!(await confirmAction(`Activate v${version}?`, consequences, `Activate v${version}`))) return;
  await act(`Activate v${version}`, () => api('POST', `/api/admin/versions/${version}/activate`), redraw);
}

async function rollBack(v: Versions): Promise<void> {
  if (v.rollbackTo === null) return;
  const consequences = [
    `Every user’s picks come from v${v.rollbackTo} again instead of v${v.champion}.`,
    'A running A/B test is stopped.',
  ];
  if (!(await confirmAction(`Roll back to v${v.rollbackTo}?`, consequences, `Roll back to v${v.rollbackTo}`)))
    return;
  await act('Roll back', () => api('POST', '/api/admin/versions/rollback'), redraw);
}

function deploymentSection(versions: Promise<Versions>): HTMLElement {
  return section(
    'deploy',
    'Deployment',
    loaded(
      'the versions',
      () => versions,
      (v) => {
        const [label, select] = versionOptions(
          v.versions,
          'activate-version',
          'Version to activate',
          v.champion,
        );
        return [
          kv([
            ['Champion', v.champion ? versionLink(v.champion) : 'none'],
            ['Challenger', v.challenger ? versionLink(v.challenger) : 'none'],
            [
              'Versions',
              h('a', { href: '#/admin/versions' }, `${formatCount(v.versions.length)} — see all and compare`),
            ],
          ]),
          h(
            'div',
            { class: 'form-row' },
            h('div', {}, label, select),
            h(
              'button',
              {
                type: 'button',
                disabled: (select as HTMLSelectElement).options.length === 0,
                onclick: () => void activate(Number((select as HTMLSelectElement).value), v.champion),
              },
              'Activate…',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                disabled: v.rollbackTo === null,
                onclick: () => void rollBack(v),
              },
              v.rollbackTo === null
                ? 'Roll back (nothing to roll back to)'
                : `Roll back to v${v.rollbackTo}…`,
            ),
          ),
          h(
            'div',
            { class: 'grid-2' },
            chart('alias-history', 'Champion and challenger over time'),
            chart('version-metrics', 'Offline metrics by version'),
          ),
        ];
      },
    ),
  );
}

function startTestForm(v: Versions): Node[] {
  const [label, select] = versionOptions(v.versions, 'ab-challenger', 'Challenger version', v.champion);
  const traffic = h(
    'select',
    { id: 'ab-traffic' },
    ...[0.1, 0.2, 0.3, 0.5].map((t) => h('option', { value: t, selected: t === 0.5 }, formatPercent(t))),
  );
  const start = async () => {
    const challenger = Number((select as HTMLSelectElement).value);
    const share = Number(traffic.value);
    const ok = await confirmAction(
      `Start an A/B test of v${challenger}?`,
      [
        `${formatPercent(share)} of users get their picks from v${challenger}; the rest keep v${v.champion}.`,
        'Validate it later to keep the better version.',
      ],
      'Start the test',
    );
    if (ok)
      await act(
        'Start A/B test',
        () => api('POST', '/api/admin/ab-tests', { challengerVersion: challenger, traffic: share }),
        redraw,
      );
  };
  return [
    h('p', {}, 'No A/B test is running.'),
    h(
      'div',
      { class: 'form-row' },
      h('div', {}, label, select),
      h('div', {}, h('label', { for: 'ab-traffic' }, 'Share to the challenger'), traffic),
      h(
        'button',
        {
          type: 'button',
          disabled: (select as HTMLSelectElement).options.length === 0,
          onclick: () => void start(),
        },
        'Start A/B test…',
      ),
    ),
  ];
}

function runningTest(
  test: NonNullable<CurrentTest['test']>,
  analysis: NonNullable<CurrentTest['analysis']>,
): Node[] {
  const arm = (
    name: string,
    a: CurrentTest['analysis'] extends infer A ? (A extends { arms: infer R } ? R[keyof R] : never) : never,
  ) =>
    [
      name,
      `${formatPercent(a.accuracy.value)} (95 % interval ${formatPercent(a.accuracy.low)}–${formatPercent(a.accuracy.high)}), n = ${formatCount(a.n)}, ${formatCount(a.users)} users`,
    ] as [string, string];
  const stop = async () => {
    const ok = await confirmAction(
      `Stop A/B test #${test.id}?`,
      [
        `Every user gets v${test.championVersion} again; v${test.challengerVersion} stays registered.`,
        'The test ends without a verdict.',
      ],
      'Stop the test',
    );
    if (ok) await act('Stop', () => api('POST', '/api/admin/ab-tests/current/stop'), redraw);
  };
  const validate = async () => {
    const ok = await confirmAction(
      `Apply the verdict of A/B test #${test.id}?`,
      [
        `Verdict so far: ${analysis.verdict.action} — ${analysis.verdict.reason}`,
        `If it is to activate, every user gets v${test.challengerVersion}; otherwise v${test.championVersion} stays.`,
      ],
      'Apply the verdict',
    );
    if (ok) await act('Validate', () => api('POST', '/api/admin/ab-tests/current/validate'), redraw);
  };
  return [
    kv([
      [
        'Test',
        `#${test.id}: v${test.championVersion} (champion) vs v${test.challengerVersion} (challenger), ${formatPercent(test.traffic)} to the challenger, since ${formatDateTime(test.startedAt)}`,
      ],
      arm('Champion arm', analysis.arms.champion),
      arm('Challenger arm', analysis.arms.challenger),
      ['Verdict so far', `${analysis.verdict.action}: ${analysis.verdict.reason}`],
    ]),
    h(
      'div',
      { class: 'form-row' },
      h('button', { type: 'button', onclick: () => void validate() }, 'Validate and apply verdict…'),
      h('button', { type: 'button', class: 'secondary', onclick: () => void stop() }, 'Stop test…'),
    ),
    chart('ab-test', 'Accuracy by arm with 95 % intervals'),
  ];
}

function abSection(versions: Promise<Versions>): HTMLElement {
  return section(
    'ab',
    'A/B test',
    loaded(
      'the A/B test',
      () =>
        Promise.all([
          versions,
          api<CurrentTest>('GET', '/api/admin/ab-tests/current'),
          api<{ tests: unknown[] }>('GET', '/api/admin/ab-tests'),
        ]),
      ([v, current, all]) =>
        current.test && current.analysis
          ? runningTest(current.test, current.analysis)
          : [
              ...startTestForm(v),
              all.tests.length > 0
                ? chart('ab-test', 'Latest A/B test: accuracy by arm')
                : h('p', { class: 'muted' }, 'No A/B test has been run yet.'),
            ],
    ),
  );
}

interface TrackerAnswer {
  overall: { accuracy: number | null; low: number; high: number; samples: number };
  counts: { tracked: number; recommended: number; unexpected: number };
  check: { verdict: string; rule: string };
  window: { days: number };
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

interface Trigger {
  id: number;
  source: string;
  reason: string;
  status: string;
  outcome: string | null;
  triggeredAt: number;
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
    const { trigger } = await api<{ trigger: { id: number } }>('POST', '/api/admin/retrain', {});
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
      () => api<{ triggers: Trigger[] }>('GET', '/api/admin/retrain/triggers?limit=10'),
      ({ triggers }) => {
        for (const t of triggers) if (t.status === 'pending' || t.status === 'running') watchRetrain(t.id);
        return [
          h('p', {}, h('button', { type: 'button', onclick: () => void retrainNow() }, 'Retrain now…')),
          triggers.length > 0
            ? chart('retrain-triggers', 'Retrain triggers and outcomes')
            : h('p', { class: 'muted' }, 'No retrain has been triggered yet.'),
          table(
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

export interface RunSummary {
  id: string;
  method: string;
  model: string;
  objective: string;
  status: string;
  trialsDone: number;
  trialsPlanned: number;
  bestValue: number | null;
  startedAt: number;
}

function tuningForm(o: Overview): Node {
  const method = h(
    'select',
    { id: 'tune-method' },
    ...o.tuningMethods.map((m) => h('option', { value: m }, m)),
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
      const { runId } = await api<{ runId: string }>('POST', '/api/admin/tuning/runs', {
        method: method.value,
        model: model.value,
        trials: Number(trials.value),
      });
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
      () => Promise.all([overview, api<{ runs: RunSummary[] }>('GET', '/api/admin/tuning/runs?limit=20')]),
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
      const report = await api<{ rows?: unknown[] }>('GET', '/api/admin/reports/impact');
      return `${formatCount(report.rows?.length ?? 0)} rows. Open it as a page below.`;
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
  );
}
