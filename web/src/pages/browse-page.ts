import { api } from '../api.ts';
import type { Genres, MovieSearch as MoviePage } from '../api-types.ts';
import { errorText, failed, h, loading } from '../dom.ts';
import { countOf } from '../format.ts';
import { movieCard } from '../movie-card.ts';

const sorts = [
  ['popular', 'Most rated'],
  ['title', 'Title (A–Z)'],
  ['year', 'Newest first'],
] as const;
const firstYear = 1800;
const lastYear = 2200;

function yearInput(id: string, value: string | null): HTMLInputElement {
  return h('input', {
    id,
    name: id,
    type: 'number',
    min: firstYear,
    max: lastYear,
    value: value ?? '',
    inputmode: 'numeric',
  });
}

/** "in Comedy, from 1990 to 1995", for the sentence that says nothing matched. */
function describeFilters(params: URLSearchParams): string {
  const parts: string[] = [];
  if (params.get('q')) parts.push(`with “${params.get('q')}” in the title`);
  if (params.get('genre')) parts.push(`in ${params.get('genre')}`);
  const from = params.get('yearFrom');
  const to = params.get('yearTo');
  if (from && to) parts.push(`from ${from} to ${to}`);
  else if (from) parts.push(`from ${from} on`);
  else if (to) parts.push(`up to ${to}`);
  return parts.join(', ');
}

/** Reads the year boxes; a message in words when they cannot be used. */
function checkYears(from: HTMLInputElement, to: HTMLInputElement): string | null {
  for (const [box, name] of [
    [from, 'From year'],
    [to, 'To year'],
  ] as const) {
    if (box.value === '') continue;
    const y = Number(box.value);
    if (!Number.isInteger(y) || y < firstYear || y > lastYear)
      return `${name} must be a year between ${firstYear} and ${lastYear}.`;
  }
  if (from.value && to.value && Number(from.value) > Number(to.value))
    return 'The “from” year is after the “to” year: swap them to see movies between the two.';
  return null;
}

/** "No movies …" with a way out, or "240 movies in Comedy". */
function summaryOf(total: number, params: URLSearchParams): HTMLElement {
  const filters = describeFilters(params);
  if (total > 0)
    return h('p', { class: 'muted' }, `${countOf(total, 'movie')}${filters ? ` ${filters}` : ''}`);
  return h(
    'div',
    { class: 'notice' },
    h('p', {}, `No movies ${filters || 'in the catalogue yet'}.`),
    filters
      ? h(
          'p',
          {},
          'Try fewer words, another genre or a wider range of years, or ',
          h('a', { href: '#/browse' }, 'clear the search'),
          '.',
        )
      : null,
  );
}

function pagerButtons(page: number, pages: number, go: (p: number) => void): HTMLElement[] {
  return [
    h(
      'button',
      { type: 'button', class: 'secondary', disabled: page <= 1, onclick: () => go(page - 1) },
      '← Previous',
    ),
    h('span', {}, `Page ${page} of ${pages}`),
    h(
      'button',
      { type: 'button', class: 'secondary', disabled: page >= pages, onclick: () => go(page + 1) },
      'Next →',
    ),
  ];
}

/** Asks for one page of results and draws it (or a loading line, or what went wrong). */
function loadResults(
  params: URLSearchParams,
  into: { summary: HTMLElement; results: HTMLElement; pager: HTMLElement },
  go: (p: number) => void,
  retry: () => void,
): void {
  const query = new URLSearchParams();
  for (const key of ['q', 'genre', 'yearFrom', 'yearTo', 'sort', 'page']) {
    const value = params.get(key);
    if (value) query.set(key, value);
  }
  query.set('pageSize', '24');
  const page = Number(params.get('page') ?? '1') || 1;
  into.summary.replaceChildren(loading('movies'));
  into.results.setAttribute('aria-busy', 'true');
  api<MoviePage>('GET', `/api/movies?${query}`)
    .then((data) => {
      into.results.removeAttribute('aria-busy');
      into.summary.replaceChildren(summaryOf(data.total, params));
      into.results.replaceChildren(...data.movies.map((m) => movieCard(m)));
      into.pager.replaceChildren(
        ...pagerButtons(page, Math.max(1, Math.ceil(data.total / data.pageSize)), go),
      );
      into.pager.hidden = data.total === 0;
    })
    .catch((error) => {
      into.results.removeAttribute('aria-busy');
      into.summary.replaceChildren(failed(errorText(error, 'load the movies'), retry));
    });
}

/**
 * Search and browse: title, genre, year range and sort; paginated results with stars to rate.
 * It is long because the form's five fields, their checks and the page's address are one unit:
 * each field is read when the address is rebuilt.
 */
export function browsePage(params: URLSearchParams): HTMLElement {
  const q = h('input', {
    id: 'q',
    name: 'q',
    type: 'search',
    value: params.get('q') ?? '',
    placeholder: 'Title…',
  });
  const genre = h('select', { id: 'genre', name: 'genre' }, h('option', { value: '' }, 'Any genre'));
  const yearFrom = yearInput('yearFrom', params.get('yearFrom'));
  const yearTo = yearInput('yearTo', params.get('yearTo'));
  const sort = h(
    'select',
    { id: 'sort', name: 'sort' },
    ...sorts.map(([value, label]) => h('option', { value, selected: params.get('sort') === value }, label)),
  );
  const formError = h('p', { class: 'error', role: 'alert' });
  const results = h('ul', { class: 'cards', 'aria-label': 'Movies' });
  const summary = h('div', { class: 'summary', 'aria-live': 'polite' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });

  void api<Genres>('GET', '/api/genres')
    .then((genres) => {
      for (const g of genres)
        genre.append(h('option', { value: g.genre, selected: g.genre === params.get('genre') }, g.genre));
    })
    .catch(() => undefined);

  const go = (p: number) => {
    const next = new URLSearchParams();
    if (q.value.trim()) next.set('q', q.value.trim());
    if (genre.value) next.set('genre', genre.value);
    if (yearFrom.value) next.set('yearFrom', yearFrom.value);
    if (yearTo.value) next.set('yearTo', yearTo.value);
    if (sort.value !== 'popular') next.set('sort', sort.value);
    if (p > 1) next.set('page', String(p));
    location.hash = `#/browse?${next}`;
  };
  const form = h(
    'form',
    { class: 'form-row', role: 'search', 'aria-label': 'Find movies' },
    h('div', {}, h('label', { for: 'q' }, 'Title'), q),
    h('div', {}, h('label', { for: 'genre' }, 'Genre'), genre),
    h('div', {}, h('label', { for: 'yearFrom' }, 'From year'), yearFrom),
    h('div', {}, h('label', { for: 'yearTo' }, 'To year'), yearTo),
    h('div', {}, h('label', { for: 'sort' }, 'Sort by'), sort),
    h('button', { type: 'submit' }, 'Search'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const problem = checkYears(yearFrom, yearTo);
    formError.textContent = problem ?? '';
    if (!problem) go(1);
  });
  sort.addEventListener('change', () => {
    if (!checkYears(yearFrom, yearTo)) go(1);
  });

  const load = () => loadResults(params, { summary, results, pager }, go, load);
  load();
  return h(
    'section',
    {},
    h('h1', {}, 'Browse movies'),
    form,
    formError,
    h('h2', { class: 'visually-hidden' }, 'Results'),
    summary,
    results,
    pager,
  );
}
