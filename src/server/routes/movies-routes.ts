import { z } from 'zod';
import { splitGenres } from '../../data/load-movies.ts';
import type { Queryable } from '../../db/database.ts';
import { NotFoundError } from '../../errors.ts';
import { ratingScaleOf } from '../../monitoring/rating-scale-of.ts';
import { type MovieStats, readMovieStats } from '../movie-stats-cache.ts';
import { type AnyRoute, defineRoute } from '../route-spec.ts';

export const movieSchema = z.object({
  id: z.number().int(),
  title: z.string(),
  year: z.number().int().nullable(),
  genres: z.array(z.string()),
  averageRating: z.number().nullable(),
  ratingCount: z.number().int(),
  myRating: z.number().nullable().optional(),
});
export type MovieView = z.infer<typeof movieSchema>;

const idParam = z.object({
  id: z.coerce.number().int('must be a whole number').positive('must be positive'),
});

const searchQuery = z
  .object({
    q: z.string().trim().max(200).optional().describe('part of the title, any case'),
    genre: z.string().trim().min(1).max(60).optional().describe('exact genre name, e.g. Comedy'),
    year: z.coerce.number().int().min(1800).max(2200).optional(),
    yearFrom: z.coerce.number().int().min(1800).max(2200).optional(),
    yearTo: z.coerce.number().int().min(1800).max(2200).optional(),
    sort: z.enum(['title', 'year', 'popular']).default('popular'),
    page: z.coerce.number().int().min(1).default(1),
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

async function myRatings(
  db: Queryable,
  userId: number,
  ids: readonly number[],
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (ids.length === 0) return out;
  const rows = await db.all<{ movie_id: number; rating: number }>(
    `SELECT movie_id, rating FROM ratings WHERE user_id = ? AND movie_id IN (${ids.map(() => '?').join(', ')})`,
    [userId, ...ids],
  );
  for (const r of rows) out.set(Number(r.movie_id), Number(r.rating));
  return out;
}

/** Movies as the API shows them, in the order of `rows`. */
export async function movieViews(
  db: Queryable,
  rows: readonly MovieRow[],
  userId: number | undefined,
  /** Where averages and counts come from; default a fresh read. */
  readStats: (ids: readonly number[]) => Promise<Map<number, MovieStats>> = (ids) => readMovieStats(db, ids),
): Promise<MovieView[]> {
  const ids = rows.map((r) => Number(r.id));
  const stats = await readStats(ids);
  const mine = userId === undefined ? undefined : await myRatings(db, userId, ids);
  return rows.map((r) => {
    const s = stats.get(Number(r.id));
    return {
      id: Number(r.id),
      title: r.title,
      year: r.year === null ? null : Number(r.year),
      genres: [...(typeof r.genres === 'string' ? splitGenres(r.genres) : r.genres)],
      averageRating: s ? Math.round(s.average * 100) / 100 : null,
      ratingCount: s?.count ?? 0,
      ...(mine ? { myRating: mine.get(Number(r.id)) ?? null } : {}),
    };
  });
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);

export const movieRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/api/movies',
    tag: 'movies',
    summary: 'Search movies by title, genre and year; paginated',
    access: 'public',
    query: searchQuery,
    response: z.object({
      page: z.number(),
      pageSize: z.number(),
      total: z.number(),
      movies: z.array(movieSchema),
    }),
    async handler({ query, principal, server }) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (query.q) {
        where.push("LOWER(m.title) LIKE ? ESCAPE '\\'");
        params.push(`%${escapeLike(query.q.toLowerCase())}%`);
      }
      if (query.genre) {
        // genres is `A|B|C`: wrapping it in bars makes an exact, whole-name match a LIKE.
        where.push("('|' || LOWER(m.genres) || '|') LIKE ? ESCAPE '\\'");
        params.push(`%|${escapeLike(query.genre.toLowerCase())}|%`);
      }
      if (query.year !== undefined) {
        where.push('m.year = ?');
        params.push(query.year);
      }
      if (query.yearFrom !== undefined) {
        where.push('m.year >= ?');
        params.push(query.yearFrom);
      }
      if (query.yearTo !== undefined) {
        where.push('m.year <= ?');
        params.push(query.yearTo);
      }
      const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const total = await server.db.get<{ n: number | string }>(
        `SELECT COUNT(*) AS n FROM movies m ${whereSql}`,
        params,
      );
      const order =
        query.sort === 'title'
          ? 'm.title, m.id'
          : query.sort === 'year'
            ? 'm.year DESC, m.title, m.id'
            : '(SELECT COUNT(*) FROM ratings r WHERE r.movie_id = m.id) DESC, m.id';
      const rows = await server.db.all<MovieRow>(
        `SELECT m.id, m.title, m.year, m.genres FROM movies m ${whereSql} ORDER BY ${order} LIMIT ? OFFSET ?`,
        [...params, query.pageSize, (query.page - 1) * query.pageSize],
      );
      return {
        page: query.page,
        pageSize: query.pageSize,
        total: Number(total?.n ?? 0),
        movies: await movieViews(server.db, rows, principal.kind === 'user' ? principal.userId : undefined),
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/movies/:id',
    tag: 'movies',
    summary: 'One movie with its average rating and rating count (and your rating when signed in)',
    access: 'public',
    params: idParam,
    response: movieSchema,
    async handler({ params, principal, server }) {
      const row = await server.db.get<MovieRow>('SELECT id, title, year, genres FROM movies WHERE id = ?', [
        params.id,
      ]);
      if (!row) throw new NotFoundError(`movie ${params.id} does not exist`);
      const [view] = await movieViews(
        server.db,
        [row],
        principal.kind === 'user' ? principal.userId : undefined,
      );
      return view;
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/genres',
    tag: 'movies',
    summary: 'Every genre in the catalogue with its number of movies',
    access: 'public',
    response: z.array(z.object({ genre: z.string(), movies: z.number() })),
    async handler({ server }) {
      const rows = await server.db.all<{ genres: string; n: number | string }>(
        'SELECT genres, COUNT(*) AS n FROM movies GROUP BY genres',
      );
      const counts = new Map<string, number>();
      for (const r of rows)
        for (const g of splitGenres(r.genres)) counts.set(g, (counts.get(g) ?? 0) + Number(r.n));
      return [...counts]
        .filter(([g]) => g !== '(no genres listed)')
        .sort((a, b) => a[0].localeCompare(b[0]))
        .map(([genre, movies]) => ({ genre, movies }));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/scale',
    tag: 'movies',
    summary: 'The rating scale in force (whole or half stars)',
    access: 'public',
    response: z.object({ min: z.number(), max: z.number(), step: z.number() }),
    async handler({ server }) {
      return ratingScaleOf(server.db);
    },
  }),
];
