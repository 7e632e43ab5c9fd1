import { api } from '../api.ts';
import type { AliasHistory, Version, Versions } from '../api-types.ts';
import { errorText, failed, h, loading } from '../dom.ts';
import { formatCount, formatDateTime, formatNumber } from '../format.ts';
import { session } from '../session.ts';
import { kv, section, table } from './admin-common.ts';

export function versionLink(version: number): HTMLElement {
  return h('a', { href: `#/admin/versions/${version}` }, `v${version}`);
}

/** The page's frame: its title, a way back, and the body once its data has loaded. */
export function adminFrame<T>(
  title: string,
  fetch: () => Promise<T>,
  draw: (data: T) => Node[],
): HTMLElement {
  if (session.me.kind !== 'admin')
    return h(
      'section',
      {},
      h('h1', {}, title),
      h('p', {}, h('a', { href: '#/admin' }, 'Sign in to the dashboard'), ' to see this page.'),
    );
  const body = h('div', {}, loading(title.toLowerCase()));
  const load = () =>
    fetch()
      .then((data) => body.replaceChildren(...draw(data)))
      .catch((error) =>
        body.replaceChildren(failed(errorText(error, `load ${title.toLowerCase()}`), () => void load())),
      );
  void load();
  return h(
    'section',
    { class: 'dashboard' },
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/admin' }, '← Dashboard')),
    h('h1', {}, title),
    body,
  );
}

const metricKeys = (versions: readonly Version[]) =>
  [...new Set(versions.flatMap((v) => Object.keys(v.metrics)))].sort();
const value = (v: unknown) =>
  typeof v === 'number' ? formatNumber(v, 4) : v === undefined ? '–' : String(v);

/** Every version, newest first, with its metrics; tick two to compare them. */
export function versionsPage(): HTMLElement {
  return adminFrame(
    'Model versions',
    () => api<Versions>('GET', '/api/admin/versions'),
    ({ versions }) => {
      const picked = new Set<number>();
      const compare = h('button', { type: 'button', disabled: true }, 'Compare the two ticked');
      compare.addEventListener('click', () => {
        const [a, b] = [...picked];
        location.hash = `#/admin/compare?a=${a}&b=${b}`;
      });
      const keys = metricKeys(versions);
      const box = (v: Version) => {
        const input = h('input', { type: 'checkbox', 'aria-label': `Compare v${v.version}` });
        input.addEventListener('change', () => {
          if (input.checked) picked.add(v.version);
          else picked.delete(v.version);
          compare.disabled = picked.size !== 2;
        });
        return input;
      };
      return [
        h('p', {}, 'Tick two versions to compare them side by side.'),
        compare,
        table(
          'Model versions',
          ['Compare', 'Version', 'Model', 'Aliases', 'Status', 'Why', 'Created', 'Training ratings', ...keys],
          versions.map((v) => [
            box(v),
            versionLink(v.version),
            v.kind,
            v.aliases.join(', ') || '–',
            v.status,
            v.reason,
            formatDateTime(v.createdAt),
            formatCount(v.training.rows),
            ...keys.map((k) => value(v.metrics[k])),
          ]),
        ),
      ];
    },
  );
}

function lineage(v: Version): HTMLElement {
  return kv([
    ['Succeeds', v.parentVersion ? versionLink(v.parentVersion) : 'none (first version)'],
    [
      'Tuning run',
      v.tuningRunId
        ? h(
            'span',
            {},
            h('a', { href: `#/admin/tuning/${encodeURIComponent(v.tuningRunId)}` }, v.tuningRunId),
            v.tuningTrialNumber === null ? '' : `, trial ${v.tuningTrialNumber}`,
          )
        : 'none',
    ],
    [
      'Training data',
      `${formatCount(v.training.rows)} ratings, ${formatDateTime(v.training.from)} to ${formatDateTime(v.training.to)}`,
    ],
    ['Data fingerprint', h('code', {}, v.training.fingerprint)],
  ]);
}

/**
 * One version as MLflow shows one: parameters, lineage, metrics, artifact, aliases and their
 * history. It is long because it lists those six sections in page order, one short call each.
 */
export function versionPage(version: number): HTMLElement {
  return adminFrame(
    `Version v${version}`,
    () =>
      Promise.all([
        api<Version>('GET', `/api/admin/versions/${version}`),
        api<AliasHistory>('GET', '/api/admin/versions/history?limit=1000'),
      ]),
    ([v, { history }]) => {
      const moves = history.filter((m) => m.newVersion === version || m.previousVersion === version);
      return [
        kv([
          ['Model', v.kind],
          ['Status', v.status],
          ['Why it was made', v.reason],
          ['Created', formatDateTime(v.createdAt)],
          ['Aliases now', v.aliases.join(', ') || 'none'],
        ]),
        section(
          'params',
          'Parameters',
          table(
            'Parameters',
            ['Parameter', 'Value'],
            Object.entries(v.params).map(([k, x]) => [k, value(x)]),
          ),
        ),
        section('lineage', 'Lineage', lineage(v)),
        section(
          'metrics',
          'Metrics',
          Object.keys(v.metrics).length === 0
            ? h('p', { class: 'muted' }, 'No metrics recorded.')
            : table(
                'Metrics',
                ['Metric', 'Value'],
                Object.entries(v.metrics).map(([k, x]) => [k, value(x)]),
              ),
        ),
        section(
          'artifact',
          'Artifact',
          v.artifact
            ? kv([
                ['Format', String(v.artifact.format)],
                ['Size', `${formatCount(v.artifact.bytes)} bytes`],
                ['Checksum', h('code', { class: 'wrap' }, v.artifact.checksum)],
              ])
            : h('p', { class: 'muted' }, 'Pruned: the artifact is no longer stored.'),
        ),
        section(
          'aliases',
          'Alias history',
          moves.length === 0
            ? h('p', { class: 'muted' }, 'No alias has pointed at this version.')
            : table(
                'Alias history',
                ['When', 'Alias', 'Move', 'Why'],
                [...moves]
                  .reverse()
                  .map((m) => [
                    formatDateTime(m.movedAt),
                    m.alias,
                    `${m.action}: v${m.previousVersion ?? '–'} → v${m.newVersion ?? '–'}`,
                    m.reason,
                  ]),
              ),
        ),
        h('p', {}, h('a', { href: '#/admin/versions' }, 'All versions')),
      ];
    },
  );
}

function compareRows(a: Version, b: Version): (readonly (Node | string)[])[] {
  const row = (label: string, x: string, y: string) => {
    const differs = x !== y;
    return [
      label,
      h('span', { class: differs ? 'differs' : '' }, x),
      h('span', { class: differs ? 'differs' : '' }, y),
    ];
  };
  const params = [...new Set([...Object.keys(a.params), ...Object.keys(b.params)])].sort();
  return [
    row('Model', a.kind, b.kind),
    row('Status', a.status, b.status),
    row('Aliases', a.aliases.join(', ') || '–', b.aliases.join(', ') || '–'),
    row('Why', a.reason, b.reason),
    row('Created', formatDateTime(a.createdAt), formatDateTime(b.createdAt)),
    row('Training ratings', formatCount(a.training.rows), formatCount(b.training.rows)),
    row(
      'Succeeds',
      a.parentVersion ? `v${a.parentVersion}` : '–',
      b.parentVersion ? `v${b.parentVersion}` : '–',
    ),
    row('Tuning run', a.tuningRunId ?? '–', b.tuningRunId ?? '–'),
    ...params.map((k) => row(`param ${k}`, value(a.params[k]), value(b.params[k]))),
    ...metricKeys([a, b]).map((k) => row(`metric ${k}`, value(a.metrics[k]), value(b.metrics[k]))),
  ];
}

/** Two versions side by side; rows that differ are marked. */
export function comparePage(params: URLSearchParams): HTMLElement {
  const a = Number(params.get('a'));
  const b = Number(params.get('b'));
  return adminFrame(
    `Compare v${a} and v${b}`,
    () =>
      Promise.all([
        api<Version>('GET', `/api/admin/versions/${a}`),
        api<Version>('GET', `/api/admin/versions/${b}`),
      ]),
    ([va, vb]) => [
      h('p', { class: 'muted' }, 'Rows where the two differ are marked.'),
      table(`v${a} and v${b} side by side`, ['Field', `v${a}`, `v${b}`], compareRows(va, vb), {
        class: 'compare',
      }),
    ],
  );
}
