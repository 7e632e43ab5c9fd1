import { api, type Movie } from './api.ts';
import { announce, errorText, formatRating, h } from './dom.ts';
import { session } from './session.ts';
import { starRating } from './star-rating.ts';

/** The signed-in user's stars for a movie; saving goes through POST /api/ratings. */
export function rateControl(movie: Movie, onRated?: (rating: number) => void): HTMLElement {
  if (session.me.kind !== 'user')
    return h('span', { class: 'muted' }, h('a', { href: '#/sign-in' }, 'Sign in'), ' to rate');
  const { min, max, step } = session.scale;
  return starRating({
    label: `Your rating of ${movie.title}`,
    value: movie.myRating ?? null,
    min,
    max,
    step,
    async onCommit(rating) {
      try {
        await api('POST', '/api/ratings', { movieId: movie.id, rating });
        announce(`Rated ${movie.title}: ${rating} stars`);
        onRated?.(rating);
      } catch (error) {
        announce(`Could not save: ${errorText(error)}`);
        throw error;
      }
    },
  });
}

export function movieCard(
  movie: Movie,
  extra: (Node | string)[] = [],
  onRated?: (rating: number) => void,
): HTMLElement {
  return h(
    'li',
    { class: 'card', 'data-movie-id': movie.id },
    h(
      'h3',
      {},
      movie.title,
      movie.year && !movie.title.includes(`(${movie.year})`) ? ` (${movie.year})` : '',
    ),
    h('span', { class: 'muted' }, movie.genres.join(' · ') || 'no genres listed'),
    h(
      'span',
      { class: 'muted' },
      `Average ${formatRating(movie.averageRating)} from ${movie.ratingCount} rating${movie.ratingCount === 1 ? '' : 's'}`,
    ),
    ...extra,
    rateControl(movie, onRated),
  );
}
