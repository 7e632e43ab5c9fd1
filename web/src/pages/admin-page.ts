import { api, chartSvg } from '../api.ts';
import { announce, errorText, h } from '../dom.ts';
import { refreshSession, session } from '../session.ts';

/** A chart from the API, parsed as SVG (never as HTML) and placed in a captioned figure. */
function chart(name: string, caption: string, query = ''): HTMLElement {
  const figure = h(
    'figure',
    { class: 'chart', 'data-chart': name },
    h('figcaption', {}, caption),
    h('p', { class: 'muted' }, 'Loading…'),
  );
  void chartSvg(name, query)
    .then((text) => placeSvg(figure, caption, [text]))
    .catch((error) =>
      figure.replaceChildren(h('figcaption', {}, caption), h('p', { class: 'error' }, errorText(error))),
    );
  return figure;
}

function placeSvg(figure: HTMLElement, caption: string, svgs: readonly string[]): void {
  const nodes: Node[] = [h('figcaption', {}, caption)];
  for (const text of svgs) {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const svg = doc.documentElement;
    if (svg.nodeName.toLowerCase() !== 'svg') {
      nodes.push(h('p', { class: 'error' }, 'chart could not be read'));
      continue;
    }
    svg.setAttribute('role', 'img');
    nodes.push(document.importNode(svg, true));
  }
  figure.replaceChildren(...nodes);
}

/** Several charts of one of G's reports (e.g. the tuning report), in one figure each. */
function reportCharts(kind: string, query: string, captions: readonly string[]): HTMLElement {
  const box = h('div', { class: 'grid-2' }, h('p', { class: 'muted' }, 'Loading…'));
  void api<{ charts: string[] }>('GET', `/api/admin/reports/${kind}/charts${query}`)
    .then(({ charts }) => {
      if (charts.length === 0) {
        box.replaceChildren(h('p', { class: 'muted' }, 'Nothing to draw yet.'));
        return;
      }
      box.replaceChildren(
        ...charts.map((svg, i) => {
          const title = new DOMParser()
            .parseFromString(svg, 'image/svg+xml')
            .querySelector('title')?.textContent;
          const caption = captions[i] ?? title ?? `${kind} chart ${i + 1}`;
          const figure = h('figure', { class: 'chart', 'data-chart': `${kind}-${i}` });
          placeSvg(figure, caption, [svg]);
          return figure;
        }),
      );
    })
    .catch((error) => box.replaceChildren(h('p', { class: 'error' }, errorText(error))));
  return box;
}

function kv(entries: readonly [string, string | number | null | undefined][]): HTMLElement {
  return h(
    'dl',
    { class: 'kv' },
    ...entries.flatMap(([k, v]) => [
      h('dt', {}, k),
      h('dd', {}, v === null || v === undefined ? '–' : String(v)),
    ]),
  );
}

const pct = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(1)} %`;
const when = (ms: number | null | undefined) => (ms ? new Date(ms).toLocaleString() : '–');

/** Runs an admin action, announces the result, and redraws the dashboard. */
async function act(label: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
    announce(`${label}: done`);
  } catch (error) {
    announce(`${label}: ${errorText(error)}`);
  }
  location.hash = `#/admin?t=${Date.now()}`;
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
      location.hash = `#/admin?t=${Date.now()}`;
    } catch (e) {
      error.textContent = errorText(e);
    }
  });
  return h('section', {}, h('h1', {}, 'Dashboard'), form);
}

interface VersionInfo {
  version: number;
  kind: string;
  reason: string;
  status: string;
  createdAt: number;
  aliases: string[];
  metrics: Record<string, number>;
  training: { rows: number };
}

function deploymentSection(): HTMLElement {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  void Promise.all([
    api<{ champion: number | null; challenger: number | null; versions: VersionInfo[] }>(
      'GET',
      '/api/admin/versions',
    ),
    api<{
      history: {
        alias: string;
        action: string;
        previousVersion: number | null;
        newVersion: number | null;
        reason: string;
        movedAt: number;
      }[];
    }>('GET', '/api/admin/versions/history?limit=10'),
  ])
    .then(([v, history]) => {
      const describe = (n: number | null) => {
        const info = v.versions.find((x) => x.version === n);
        if (!info) return 'none';
        const m = Object.entries(info.metrics)
          .filter(([k]) => ['rmse', 'mae', 'accuracy'].includes(k))
          .map(([k, x]) => `${k} ${x.toFixed(3)}`)
          .join(', ');
        return `v${info.version} ${info.kind} (${info.reason}, ${info.training.rows} ratings${m ? `, ${m}` : ''}), since ${when(info.createdAt)}`;
      };
      const select = h(
        'select',
        { id: 'activate-version', 'aria-label': 'Version to activate' },
        ...v.versions
          .filter((x) => x.status === 'ready')
          .map((x) => h('option', { value: x.version }, `v${x.version} ${x.kind}`)),
      );
      body.replaceChildren(
        kv([
          ['Champion', describe(v.champion)],
          ['Challenger', describe(v.challenger)],
          ['Versions', v.versions.length],
        ]),
        h(
          'div',
          { class: 'form-row' },
          h('div', {}, h('label', { for: 'activate-version' }, 'Version'), select),
          h(
            'button',
            {
              type: 'button',
              onclick: () =>
                act('Activate', () => api('POST', `/api/admin/versions/${select.value}/activate`)),
            },
            'Activate',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: () => act('Roll back', () => api('POST', '/api/admin/versions/rollback')),
            },
            'Roll back',
          ),
        ),
        h(
          'div',
          { class: 'grid-2' },
          chart('alias-history', 'Champion and challenger over time'),
          chart('version-metrics', 'Offline metrics by version'),
        ),
        h('h3', {}, 'Alias history (latest 10)'),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            {},
            h(
              'thead',
              {},
              h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Alias'), h('th', {}, 'Move'), h('th', {}, 'Why')),
            ),
            h(
              'tbody',
              {},
              ...[...history.history]
                .reverse()
                .map((e) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, when(e.movedAt)),
                    h('td', {}, e.alias),
                    h('td', {}, `${e.action}: v${e.previousVersion ?? '–'} → v${e.newVersion ?? '–'}`),
                    h('td', {}, e.reason),
                  ),
                ),
            ),
          ),
        ),
      );
    })
    .catch((error) => body.replaceChildren(h('p', { class: 'error' }, errorText(error))));
  return h('section', { 'aria-labelledby': 'h-deploy' }, h('h2', { id: 'h-deploy' }, 'Deployment'), body);
}

interface ArmStats {
  n: number;
  users: number;
  accuracy: { value: number; low: number; high: number };
}

/** The last ended test's chart, when there has been one. */
function latestTestChart(): HTMLElement {
  const box = h('div');
  void api<{ tests: unknown[] }>('GET', '/api/admin/ab-tests').then(({ tests }) => {
    box.replaceChildren(
      tests.length > 0
        ? chart('ab-test', 'Latest A/B test: accuracy by arm')
        : h('p', { class: 'muted' }, 'No A/B test has been run yet.'),
    );
  });
  return box;
}

function abSection(): HTMLElement {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  void api<{
    test: {
      id: number;
      championVersion: number;
      challengerVersion: number;
      traffic: number;
      startedAt: number;
    } | null;
    analysis: {
      arms: { champion: ArmStats; challenger: ArmStats };
      verdict: { action: string; reason: string };
    } | null;
  }>('GET', '/api/admin/ab-tests/current')
    .then(({ test, analysis }) => {
      if (!test || !analysis) {
        const challenger = h('input', { id: 'ab-challenger', type: 'number', min: 1, inputmode: 'numeric' });
        const traffic = h('input', {
          id: 'ab-traffic',
          type: 'number',
          min: 0.05,
          max: 0.95,
          step: 0.05,
          value: 0.5,
        });
        body.replaceChildren(
          h('p', {}, 'No A/B test is running.'),
          h(
            'div',
            { class: 'form-row' },
            h('div', {}, h('label', { for: 'ab-challenger' }, 'Challenger version'), challenger),
            h('div', {}, h('label', { for: 'ab-traffic' }, 'Challenger share'), traffic),
            h(
              'button',
              {
                type: 'button',
                onclick: () =>
                  act('Start A/B test', () =>
                    api('POST', '/api/admin/ab-tests', {
                      challengerVersion: Number(challenger.value),
                      traffic: Number(traffic.value),
                    }),
                  ),
              },
              'Start A/B test',
            ),
          ),
          latestTestChart(),
        );
        return;
      }
      const arm = (name: string, a: ArmStats) =>
        [
          name,
          `${pct(a.accuracy.value)} (95 % CI ${pct(a.accuracy.low)}–${pct(a.accuracy.high)}), n = ${a.n}, ${a.users} users`,
        ] as [string, string];
      body.replaceChildren(
        kv([
          [
            'Test',
            `#${test.id}: v${test.championVersion} (champion) vs v${test.challengerVersion} (challenger), ${pct(test.traffic)} to the challenger, since ${when(test.startedAt)}`,
          ],
          arm('Champion arm', analysis.arms.champion),
          arm('Challenger arm', analysis.arms.challenger),
          ['Verdict so far', `${analysis.verdict.action}: ${analysis.verdict.reason}`],
        ]),
        h(
          'div',
          { class: 'form-row' },
          h(
            'button',
            {
              type: 'button',
              onclick: () => act('Validate', () => api('POST', '/api/admin/ab-tests/current/validate')),
            },
            'Validate and apply verdict',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: () => act('Stop', () => api('POST', '/api/admin/ab-tests/current/stop')),
            },
            'Stop test',
          ),
        ),
        chart('ab-test', 'Accuracy by arm with 95 % intervals'),
      );
    })
    .catch((error) => body.replaceChildren(h('p', { class: 'error' }, errorText(error))));
  return h('section', { 'aria-labelledby': 'h-ab' }, h('h2', { id: 'h-ab' }, 'A/B test'), body);
}

function trackerSection(): HTMLElement {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  void api<{
    overall: { accuracy: number | null; low: number; high: number; samples: number };
    counts: { tracked: number; recommended: number; unexpected: number };
    check: { verdict: string; rule: string };
    window: { days: number };
  }>('GET', '/api/admin/tracker')
    .then((s) => {
      body.replaceChildren(
        kv([
          [
            `Accuracy (last ${s.window.days} days)`,
            `${pct(s.overall.accuracy)} (95 % CI ${pct(s.overall.low)}–${pct(s.overall.high)}), n = ${s.overall.samples}`,
          ],
          [
            'Tracked ratings',
            `${s.counts.tracked} (${s.counts.recommended} recommended, ${s.counts.unexpected} unexpected)`,
          ],
          ['Check', `${s.check.verdict}: ${s.check.rule}`],
        ]),
        h(
          'div',
          { class: 'grid-2' },
          chart('tracker-accuracy', 'Tracker accuracy by day (threshold line)'),
          chart('accuracy-by-version', 'Accuracy by version'),
        ),
      );
    })
    .catch((error) => body.replaceChildren(h('p', { class: 'error' }, errorText(error))));
  return h('section', { 'aria-labelledby': 'h-tracker' }, h('h2', { id: 'h-tracker' }, 'Tracker'), body);
}

function retrainSection(): HTMLElement {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  void api<{
    triggers: {
      id: number;
      source: string;
      reason: string;
      status: string;
      outcome: string | null;
      newVersion: number | null;
      triggeredAt: number;
    }[];
  }>('GET', '/api/admin/retrain/triggers?limit=10')
    .then(({ triggers }) => {
      body.replaceChildren(
        h(
          'p',
          {},
          h(
            'button',
            { type: 'button', onclick: () => act('Retrain', () => api('POST', '/api/admin/retrain', {})) },
            'Retrain now',
          ),
        ),
        triggers.length > 0
          ? chart('retrain-triggers', 'Retrain triggers and outcomes')
          : h('p', { class: 'muted' }, 'No retrain has been triggered yet.'),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            {},
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', {}, '#'),
                h('th', {}, 'When'),
                h('th', {}, 'Source'),
                h('th', {}, 'Status'),
                h('th', {}, 'Outcome'),
              ),
            ),
            h(
              'tbody',
              {},
              ...triggers.map((t) =>
                h(
                  'tr',
                  {},
                  h('td', {}, t.id),
                  h('td', {}, when(t.triggeredAt)),
                  h('td', {}, `${t.source}: ${t.reason}`),
                  h('td', {}, t.status),
                  h('td', {}, t.outcome ?? '–'),
                ),
              ),
            ),
          ),
        ),
      );
    })
    .catch((error) => body.replaceChildren(h('p', { class: 'error' }, errorText(error))));
  return h('section', { 'aria-labelledby': 'h-retrain' }, h('h2', { id: 'h-retrain' }, 'Retraining'), body);
}

function tuningSection(): HTMLElement {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  void api<{
    runs: {
      id: string;
      method: string;
      model: string;
      objective: string;
      status: string;
      trialsDone: number;
      trialsPlanned: number;
      bestValue: number | null;
    }[];
  }>('GET', '/api/admin/tuning/runs?limit=10')
    .then(({ runs }) => {
      const method = h(
        'select',
        { id: 'tune-method' },
        ...['random', 'tpe', 'bayesian', 'grid'].map((m) => h('option', { value: m }, m)),
      );
      const model = h('input', { id: 'tune-model', value: 'svd' });
      const trials = h('input', {
        id: 'tune-trials',
        type: 'number',
        min: 1,
        max: 500,
        value: 10,
        inputmode: 'numeric',
      });
      const latest = runs[0];
      body.replaceChildren(
        h(
          'div',
          { class: 'form-row' },
          h('div', {}, h('label', { for: 'tune-method' }, 'Method'), method),
          h('div', {}, h('label', { for: 'tune-model' }, 'Model'), model),
          h('div', {}, h('label', { for: 'tune-trials' }, 'Trials'), trials),
          h(
            'button',
            {
              type: 'button',
              onclick: () =>
                act('Start tuning', () =>
                  api('POST', '/api/admin/tuning/runs', {
                    method: method.value,
                    model: model.value,
                    trials: Number(trials.value),
                  }),
                ),
            },
            'Start tuning run',
          ),
        ),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            {},
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', {}, 'Run'),
                h('th', {}, 'Model'),
                h('th', {}, 'Status'),
                h('th', {}, 'Trials'),
                h('th', {}, 'Best'),
              ),
            ),
            h(
              'tbody',
              {},
              ...runs.map((r) =>
                h(
                  'tr',
                  {},
                  h('td', {}, r.id),
                  h('td', {}, `${r.model} (${r.method})`),
                  h('td', {}, r.status),
                  h('td', {}, `${r.trialsDone} / ${r.trialsPlanned}`),
                  h('td', {}, r.bestValue === null ? '–' : `${r.objective} ${r.bestValue.toFixed(4)}`),
                ),
              ),
            ),
          ),
        ),
        latest
          ? reportCharts('tuning', `?run=${encodeURIComponent(latest.id)}`, [])
          : h('p', { class: 'muted' }, 'No tuning run yet.'),
      );
    })
    .catch((error) => body.replaceChildren(h('p', { class: 'error' }, errorText(error))));
  return h('section', { 'aria-labelledby': 'h-tuning' }, h('h2', { id: 'h-tuning' }, 'Tuning'), body);
}

/** The admin dashboard: deployment, A/B test, tracker, retraining, tuning — each with charts. */
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
  return h(
    'div',
    { class: 'dashboard' },
    h('h1', {}, 'Dashboard'),
    h(
      'p',
      {},
      h(
        'a',
        { href: '/api/admin/reports/status/html', target: '_blank', rel: 'noopener' },
        'Full status report',
      ),
      ' · ',
      h('a', { href: '/openapi.json' }, 'API document'),
    ),
    deploymentSection(),
    abSection(),
    trackerSection(),
    retrainSection(),
    tuningSection(),
  );
}
