import { api } from '../api.ts';
import type { RatingList } from '../api-types.ts';
import { announce, errorText, failed, h, loading } from '../dom.ts';
import { countOf, formatDate } from '../format.ts';
import { movieTitle, rateControl } from '../movie-card.ts';
import { session } from '../session.ts';

function row(r: RatingList['ratings'][number], reload: () => void): HTMLElement {
  return h(
    'tr',
    { 'data-movie-id': r.movie.id },
    h('td', { 'data-label': 'Movie' }, h('a', { href: `#/movie/${r.movie.id}` }, movieTitle(r.movie))),
    h('td', { 'data-label': 'Your rating' }, rateControl({ ...r.movie, myRating: r.rating })),
    h('td', { 'data-label': 'Rated' }, formatDate(r.ratedAt)),
    h(
      'td',
      { 'data-label': 'Actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          'aria-label': `Delete rating of ${r.movie.title}`,
          onclick: async () => {
            try {
              await api('DELETE', `/api/ratings/${r.movie.id}`);
              announce(`Deleted your rating of ${r.movie.title}`);
              reload();
            } catch (error) {
              announce(errorText(error, 'delete the rating'));
            }
          },
        },
        'Delete',
      ),
    ),
  );
}

/** The signed-in user's rated history: change a rating with the stars, or delete it. */
export function historyPage(): HTMLElement {
  if (session.me.kind !== 'user')
    return h(
      'section',
      {},
      h('h1', {}, 'Your ratings'),
      h('p', {}, h('a', { href: '#/sign-in' }, 'Sign in'), ' to see your ratings.'),
    );
  const body = h('tbody');
  const info = h('div', { 'aria-live': 'polite' }, loading('your ratings'));
  const table = h(
    'table',
    { class: 'stack-on-phone' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'Movie'),
        h('th', {}, 'Your rating'),
        h('th', {}, 'Rated'),
        h('th', {}, 'Actions'),
      ),
    ),
    body,
  );
  const load = () =>
    api<RatingList>('GET', '/api/me/ratings?pageSize=200')
      .then((data) => {
        table.hidden = data.total === 0;
        info.replaceChildren(
          data.total === 0
            ? h(
                'p',
                { class: 'notice' },
                'You have not rated anything yet. ',
                h('a', { href: '#/browse' }, 'Browse movies'),
                ' and rate the ones you have seen.',
              )
            : h('p', { class: 'muted' }, countOf(data.total, 'rating')),
        );
        body.replaceChildren(...data.ratings.map((r) => row(r, () => void load())));
      })
      .catch((error) =>
        info.replaceChildren(failed(errorText(error, 'load your ratings'), () => void load())),
      );
  void load();
  return h('section', {}, h('h1', {}, 'Your ratings'), info, table);
}
