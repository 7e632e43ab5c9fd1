import { api } from '../api.ts';
import type { Overview, PicksPreview as PreviewAnswer } from '../api-types.ts';
import { errorText, h, loading } from '../dom.ts';
import { formatCount, formatRating } from '../format.ts';
import { loaded, section } from './admin-common.ts';

export type { Overview };

/** The dashboard's overview: how much the loop holds, and any user's picks, as gorse shows them. */

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

export function overviewSection(overview: Promise<Overview>): HTMLElement {
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
