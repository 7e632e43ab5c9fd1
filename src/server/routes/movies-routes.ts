import { z } from 'zod';
import type { CatalogStore, MovieSearch, MovieStats } from '../../data/catalog-store.ts';
import { splitGenres } from '../../data/load-movies.ts';
import { ratingScaleOf } from '../../data/rating-scale-of.ts';
import { NotFoundError } from '../../errors.ts';
import { idFromText, pageNumber } from '../request-bounds.ts';
import { type AnyRoute, defineRoute } from '../route-spec.ts';
import {
  genresResponse,
  type MovieView,
  movieSchema,
  movieSearchResponse,
  ratingScaleResponse,
} from '../schemas/people-schemas.ts';

const idParam = z.object({
  id: idFromText(),
});

const searchQuery = z
  .object({
    q: z.string().trim().max(200).optional().describe('part of the title, any case'),
    genre: z.string().trim().min(1).max(60).optional().describe('exact genre name, e.g. Comedy'),
    year: z.coerce.number().int().min(1800).max(2200).optional(),
    yearFrom: z.coerce.number().int().min(1800).max(2200).optional(),
    yearTo: z.coerce.number().int().min(1800).max(2200).optional(),
    sort: z.enum(['title', 'year', 'popular']).default('popular'),
    page: pageNumber(),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

interface MovieRow {
  id: number;
  title: string;
  year: number | null;
  /** As stored ("A|B"), or already split (a served pick carries them split). */
  genres: string | readonly string[];
}

/** Movies as the API shows them, in the order of `rows`. */
export async function movieViews(
  catalog: CatalogStore,
  rows: readonly MovieRow[],
  userId: number | undefined,
  /** Where averages and counts come from; default a fresh read. */
  readStats: (ids: readonly number[]) => Promise<Map<number, MovieStats>> = (ids) => catalog.movieStats(ids),
): Promise<MovieView[]> {
  const ids = rows.map((r) => r.id);
  const stats = await readStats(ids);
  const mine = userId === undefined ? undefined : await catalog.userRatingsOf(userId, ids);
  return rows.map((r) => {
    const s = stats.get(r.id);
    return {
      id: r.id,
      title: r.title,
      year: r.year,
      genres: [...(typeof r.genres === 'string' ? splitGenres(r.genres) : r.genres)],
      averageRating: s ? Math.round(s.average * 100) / 100 : null,
      ratingCount: s?.count ?? 0,
      ...(mine ? { myRating: mine.get(r.id) ?? null } : {}),
    };
  });
}

/** The search filters a query names, without the ones it leaves out. */
function searchFilters(query: z.infer<typeof searchQuery>): Omit<MovieSearch, 'sort' | 'limit' | 'offset'> {
  const { q, genre, year, yearFrom, yearTo } = query;
  return {
    ...(q ? { q } : {}),
    ...(genre ? { genre } : {}),
    ...(year === undefined ? {} : { year }),
    ...(yearFrom === undefined ? {} : { yearFrom }),
    ...(yearTo === undefined ? {} : { yearTo }),
  };
}

export const movieRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/movies',
    operationId: 'searchMovies',
    tag: 'movies',
    summary: 'Search movies by title, genre and year; paginated',
    access: 'optional',
    query: searchQuery,
    response: movieSearchResponse,
    async handler({ query, principal, server }) {
      const found = await server.catalog.searchMovies({
        ...searchFilters(query),
        sort: query.sort,
        limit: query.pageSize,
        offset: (query.page - 1) * query.pageSize,
      });
      return {
        page: query.page,
        pageSize: query.pageSize,
        total: found.total,
        // Averages and counts from the cache the recommendation lists use (at most 2 s old): a
        // page of popular movies would otherwise aggregate thousands of ratings per request.
        movies: await movieViews(
          server.catalog,
          found.movies,
          principal.kind === 'user' ? principal.userId : undefined,
          (ids) => server.movieStats.get(ids),
        ),
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/movies/:id',
    operationId: 'getMovie',
    tag: 'movies',
    summary: 'One movie with its average rating and rating count (and your rating when signed in)',
    access: 'optional',
    errors: [404],
    params: idParam,
    response: movieSchema,
    async handler({ params, principal, server }) {
      const row = await server.catalog.movie(params.id);
      if (!row) throw new NotFoundError(`movie ${params.id} does not exist`);
      const [view] = await movieViews(
        server.catalog,
        [row],
        principal.kind === 'user' ? principal.userId : undefined,
      );
      return view!;
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/genres',
    operationId: 'listGenres',
    tag: 'movies',
    summary: 'Every genre in the catalogue with its number of movies',
    access: 'public',
    response: genresResponse,
    async handler({ server }) {
      const rows = await server.catalog.genreCombinations();
      const counts = new Map<string, number>();
      for (const r of rows)
        for (const g of splitGenres(r.genres)) counts.set(g, (counts.get(g) ?? 0) + r.movies);
      return [...counts]
        .filter(([g]) => g !== '(no genres listed)')
        .sort((a, b) => a[0].localeCompare(b[0]))
        .map(([genre, movies]) => ({ genre, movies }));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/scale',
    operationId: 'getRatingScale',
    tag: 'movies',
    summary: 'The rating scale in force (whole or half stars)',
    access: 'public',
    response: ratingScaleResponse,
    async handler({ server }) {
      return ratingScaleOf(server.db);
    },
  }),
];
