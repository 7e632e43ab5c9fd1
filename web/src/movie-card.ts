import { api, type Movie } from './api.ts';
import type { RatingBody } from './api-types.ts';
import { announce, errorText, h } from './dom.ts';
import { countOf, formatRating } from './format.ts';
import { poster } from './poster.ts';
import { session } from './session.ts';
import { starRating } from './star-rating.ts';

/** The title as shown: with its year when the title does not already carry it. */
export function movieTitle(movie: Movie): string {
  return movie.year && !movie.title.includes(`(${movie.year})`)
    ? `${movie.title} (${movie.year})`
    : movie.title;
}

/** The signed-in user's stars for a movie; saving goes through POST /api/ratings, clearing DELETE. */
export function rateControl(movie: Movie, onRated?: (rating: number | null) => void): HTMLElement {
  if (session.me.kind !== 'user')
    return h('span', { class: 'muted' }, h('a', { href: '#/sign-in' }, 'Sign in'), ' to rate');
  const { min, max, step } = session.scale;
  return starRating({
    label: `Your rating of ${movie.title}`,
    value: movie.myRating ?? null,
    min,
    max,
    step,
    describeError: (error) => errorText(error, 'save your rating'),
    async onCommit(rating) {
      if (rating === null) await api('DELETE', `/api/ratings/${movie.id}`);
      else await api('POST', '/api/ratings', { movieId: movie.id, rating } satisfies RatingBody);
      announce(
        rating === null
          ? `Cleared your rating of ${movie.title}`
          : `Rated ${movie.title}: ${formatRating(rating)} stars`,
      );
      onRated?.(rating);
    },
  });
}

/** "Average 3.9 from 1,234 ratings", or "No ratings yet". */
export function averageLine(movie: Movie): string {
  return movie.ratingCount === 0
    ? 'No ratings yet'
    : `Average ${formatRating(movie.averageRating)} ★ from ${countOf(movie.ratingCount, 'rating')}`;
}

export function movieCard(
  movie: Movie,
  extra: (Node | string)[] = [],
  onRated?: (rating: number | null) => void,
): HTMLElement {
  return h(
    'li',
    { class: 'card', 'data-movie-id': movie.id },
    poster(movie.title),
    h(
      'div',
      { class: 'card-body' },
      h('h3', {}, h('a', { href: `#/movie/${movie.id}` }, movieTitle(movie))),
      h('span', { class: 'muted' }, movie.genres.join(' · ') || 'No genres listed'),
      h('span', { class: 'muted' }, averageLine(movie)),
      ...extra,
      rateControl(movie, onRated),
    ),
  );
}
