import { api } from '../api.ts';
import type { AbTestStartBody, AbTests, CurrentAbTest as CurrentTest, Versions } from '../api-types.ts';
import { h } from '../dom.ts';
import { formatCount, formatDateTime, formatPercent } from '../format.ts';
import { redraw } from '../session.ts';
import { act, chart, confirmAction, kv, loaded, section } from './admin-common.ts';
import { versionLink } from './admin-versions-page.ts';

/**
 * The dashboard's sections that change what users see: the deployed versions (activate, roll
 * back) and the A/B test (start, validate, stop), each asking first and saying what will happen.
 */

export type { Versions };
export type VersionInfo = Versions['versions'][number];

interface OpeFigure {
  value: number;
  low: number;
  high: number;
}
interface OpeSide {
  visits: number;
  effectiveSampleSize: number;
  accuracy: { snips: OpeFigure; dr: OpeFigure };
}
/** The figures an off-policy screen records (the API gives them as an open record). */
interface ScreenFigures {
  champion?: OpeSide;
  challenger?: OpeSide;
}

const opeFigure = (f: OpeFigure | undefined): string =>
  f && Number.isFinite(f.value)
    ? `${formatPercent(f.value)} (95 % interval ${formatPercent(f.low)}–${formatPercent(f.high)})`
    : 'no estimate (no overlap with the logged window)';

/**
 * The off-policy screen beside the test: what the logged window said about the challenger before
 * any user saw it (doubly robust, with SNIPS), against the champion's own estimate.
 */
function offPolicyRows(test: { challengerVersion: number }, screen: CurrentTest['offPolicy'] | undefined) {
  if (!screen)
    return [['Off-policy estimate', 'not screened (no propensity-logged window)']] as [string, string][];
  const figures = screen.figures as ScreenFigures;
  const c = figures.challenger;
  const ch = figures.champion;
  return [
    [
      `Off-policy estimate of v${test.challengerVersion}`,
      `${opeFigure(c?.accuracy.dr)} doubly robust, SNIPS ${opeFigure(c?.accuracy.snips)}; ${formatCount(c?.visits ?? 0)} logged visits, effective sample ${formatCount(Math.round(c?.effectiveSampleSize ?? 0))}; screened ${formatDateTime(screen.createdAt)}`,
    ],
    ['Champion, same window', `${opeFigure(ch?.accuracy.dr)} doubly robust`],
  ] as [string, string][];
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

export function deploymentSection(versions: Promise<Versions>): HTMLElement {
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
        () =>
          api('POST', '/api/admin/ab-tests', {
            challengerVersion: challenger,
            traffic: share,
          } satisfies AbTestStartBody),
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
  screen: CurrentTest['offPolicy'] | undefined,
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
      ...offPolicyRows(test, screen),
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

export function abSection(versions: Promise<Versions>): HTMLElement {
  return section(
    'ab',
    'A/B test',
    loaded(
      'the A/B test',
      () =>
        Promise.all([
          versions,
          api<CurrentTest>('GET', '/api/admin/ab-tests/current'),
          api<AbTests>('GET', '/api/admin/ab-tests'),
        ]),
      ([v, current, all]) =>
        current.test && current.analysis
          ? runningTest(current.test, current.analysis, current.offPolicy)
          : [
              ...startTestForm(v),
              all.tests.length > 0
                ? chart('ab-test', 'Latest A/B test: accuracy by arm')
                : h('p', { class: 'muted' }, 'No A/B test has been run yet.'),
            ],
    ),
  );
}
