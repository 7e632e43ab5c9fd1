import { api } from '../api.ts';
import type { MoviePageData } from '../api-types.ts';
import { errorText, failed, h, loading } from '../dom.ts';
import { averageLine, movieCard, movieTitle, rateControl } from '../movie-card.ts';
import { poster } from '../poster.ts';

function because(liked: MoviePageData['becauseYouLiked']): HTMLElement | null {
  if (liked.length === 0) return null;
  const links = liked.flatMap((m, i) => [
    i === 0 ? '' : i === liked.length - 1 ? ' and ' : ', ',
    h('a', { href: `#/movie/${m.id}` }, m.title),
  ]);
  return h(
    'p',
    { class: 'because' },
    'Because you liked ',
    ...links,
    ': people who liked them also liked this.',
  );
}

function details(data: MoviePageData): HTMLElement[] {
  const { movie } = data;
  return [
    h(
      'div',
      { class: 'movie-head' },
      poster(movie.title, 'large'),
      h(
        'div',
        { class: 'movie-facts' },
        h('h1', {}, movieTitle(movie)),
        h('p', {}, movie.genres.join(' · ') || 'No genres listed'),
        h('p', {}, averageLine(movie)),
        h('div', { class: 'your-rating' }, h('h2', {}, 'Your rating'), rateControl(movie)),
        because(data.becauseYouLiked),
      ),
    ),
    h('h2', { id: 'h-similar' }, 'People who liked this also liked'),
    data.similar.length === 0
      ? h('p', { class: 'muted' }, 'Not enough ratings yet to say which movies go with this one.')
      : h('ul', { class: 'cards', 'aria-labelledby': 'h-similar' }, ...data.similar.map((m) => movieCard(m))),
  ];
}

/** One movie: genres, year, average and count, your rating, why it suits you, similar movies. */
export function moviePage(id: number): HTMLElement {
  const section = h(
    'section',
    { class: 'movie-page' },
    h('h1', { class: 'visually-hidden' }, 'Movie'),
    loading('the movie'),
  );
  const load = () => {
    section.replaceChildren(h('h1', { class: 'visually-hidden' }, 'Movie'), loading('the movie'));
    api<MoviePageData>('GET', `/api/movies/${id}/page`)
      .then((data) => {
        section.replaceChildren(...details(data));
        document.title = `${movieTitle(data.movie)} · MovieNight`;
      })
      .catch((error) =>
        section.replaceChildren(h('h1', {}, 'Movie'), failed(errorText(error, 'load this movie'), load)),
      );
  };
  load();
  return section;
}
