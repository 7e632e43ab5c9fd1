import { api, type Movie } from '../api.ts';
import { announce, errorText, h } from '../dom.ts';
import { rateControl } from '../movie-card.ts';
import { session } from '../session.ts';

interface RatingList {
  readonly total: number;
  readonly ratings: readonly { movie: Movie; rating: number; ratedAt: number }[];
}

/** The signed-in user's rated history: change a rating with the stars, or delete it. */
export function historyPage(): HTMLElement {
  if (session.me.kind !== 'user')
    return h('p', {}, h('a', { href: '#/sign-in' }, 'Sign in'), ' to see your ratings.');
  const body = h('tbody');
  const info = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…');
  const load = () =>
    api<RatingList>('GET', '/api/me/ratings?pageSize=200')
      .then((data) => {
        info.textContent = `${data.total} rating${data.total === 1 ? '' : 's'}`;
        body.replaceChildren(
          ...data.ratings.map((r) =>
            h(
              'tr',
              { 'data-movie-id': r.movie.id },
              h('td', {}, r.movie.title),
              h('td', {}, rateControl({ ...r.movie, myRating: r.rating })),
              h('td', {}, new Date(r.ratedAt).toLocaleDateString()),
              h(
                'td',
                {},
                h(
                  'button',
                  {
                    class: 'secondary',
                    'aria-label': `Delete rating of ${r.movie.title}`,
                    onclick: async () => {
                      try {
                        await api('DELETE', `/api/ratings/${r.movie.id}`);
                        announce(`Deleted rating of ${r.movie.title}`);
                        await load();
                      } catch (error) {
                        announce(errorText(error));
                      }
                    },
                  },
                  'Delete',
                ),
              ),
            ),
          ),
        );
      })
      .catch((error) => {
        info.textContent = errorText(error);
      });
  void load();
  return h(
    'section',
    {},
    h('h1', {}, 'Your ratings'),
    info,
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
            h('th', {}, 'Movie'),
            h('th', {}, 'Your rating'),
            h('th', {}, 'Rated'),
            h('th', {}, h('span', { class: 'muted' }, 'Actions')),
          ),
        ),
        body,
      ),
    ),
  );
}
