import { api, type Movie } from '../api.ts';
import { errorText, h } from '../dom.ts';
import { movieCard } from '../movie-card.ts';

interface MoviePage {
  readonly page: number;
  readonly pageSize: number;
  readonly total: number;
  readonly movies: readonly Movie[];
}

/** Search and browse: title, genre, year; paginated results, each with stars to rate. */
export function browsePage(params: URLSearchParams): HTMLElement {
  const q = h('input', {
    id: 'q',
    name: 'q',
    type: 'search',
    value: params.get('q') ?? '',
    placeholder: 'Title…',
  });
  const genre = h('select', { id: 'genre', name: 'genre' }, h('option', { value: '' }, 'Any genre'));
  const year = h('input', {
    id: 'year',
    name: 'year',
    type: 'number',
    min: 1800,
    max: 2200,
    value: params.get('year') ?? '',
    inputmode: 'numeric',
  });
  const results = h('ul', { class: 'cards', 'aria-label': 'Movies' });
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' });
  const pager = h('div', { class: 'pager' });
  const page = Number(params.get('page') ?? '1') || 1;

  void api<{ genre: string }[]>('GET', '/api/genres').then((genres) => {
    for (const g of genres)
      genre.append(h('option', { value: g.genre, selected: g.genre === params.get('genre') }, g.genre));
  });

  const go = (p: number) => {
    const next = new URLSearchParams();
    if (q.value) next.set('q', q.value);
    if (genre.value) next.set('genre', genre.value);
    if (year.value) next.set('year', year.value);
    if (p > 1) next.set('page', String(p));
    location.hash = `#/browse?${next}`;
  };
  const form = h(
    'form',
    { class: 'form-row', role: 'search' },
    h('div', {}, h('label', { for: 'q' }, 'Title'), q),
    h('div', {}, h('label', { for: 'genre' }, 'Genre'), genre),
    h('div', {}, h('label', { for: 'year' }, 'Year'), year),
    h('button', { type: 'submit' }, 'Search'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    go(1);
  });

  const query = new URLSearchParams(params);
  query.set('pageSize', '24');
  void api<MoviePage>('GET', `/api/movies?${query}`)
    .then((data) => {
      summary.textContent = `${data.total} movie${data.total === 1 ? '' : 's'}`;
      results.replaceChildren(...data.movies.map((m) => movieCard(m)));
      const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
      pager.replaceChildren(
        h('button', { class: 'secondary', disabled: page <= 1, onclick: () => go(page - 1) }, '← Previous'),
        h('span', {}, `Page ${page} of ${pages}`),
        h('button', { class: 'secondary', disabled: page >= pages, onclick: () => go(page + 1) }, 'Next →'),
      );
    })
    .catch((error) => {
      summary.textContent = errorText(error);
    });

  return h('section', {}, h('h1', {}, 'Browse movies'), form, summary, results, pager);
}
