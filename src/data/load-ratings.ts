import type { Queryable, SqlValue } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import { halfStarScale, type RatingScale, wholeStarScale } from './rating-scale.ts';
import type { RatingsData } from './ratings-data.ts';

export interface LoadRatingsOptions {
  /** Only ratings with `rated_at >= since` (epoch ms). */
  readonly since?: number;
  /** Only ratings with `rated_at < until` (epoch ms; half-open, so windows tile without overlap). */
  readonly until?: number;
  /**
   * Include "unexpected" ratings: those the tracker recorded as a rating of a movie MovieNight had
   * not recommended to that user (a recommendation_quality row with unexpected = 1, written by
   * rateMovie). Ratings without a quality row (imported history, generated data) are not
   * unexpected: they predate MovieNight's recommendations. Default true: all ratings.
   */
  readonly includeUnexpected?: boolean;
}

/** Rows per query: keeps the driver's row objects bounded while the typed arrays grow. */
const PAGE = 50_000;

/**
 * All ratings (or a time window of them) as columnar RatingsData, ordered by (user_id, movie_id):
 * a stable order, so the same database gives the same fingerprint and the same seeded splits.
 * The scale is detected from the data: half stars (0.5–5) if any rating is not a whole number,
 * else whole stars (1–5); an empty result has the whole-star scale.
 *
 * Reads page by page with keyset pagination, so millions of ratings never exist as row objects at
 * once. Pass a transaction as `db` when ratings may be written meanwhile and a snapshot matters.
 */
export async function loadRatingsData(db: Queryable, options: LoadRatingsOptions = {}): Promise<RatingsData> {
  const { since, until, includeUnexpected = true } = options;
  for (const [name, v] of [
    ['since', since],
    ['until', until],
  ] as const) {
    if (v !== undefined && !Number.isFinite(v)) {
      throw new InvalidInputError(`loadRatingsData: ${name} must be epoch milliseconds, got ${v}`);
    }
  }
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (since !== undefined) {
    where.push('r.rated_at >= ?');
    params.push(since);
  }
  if (until !== undefined) {
    where.push('r.rated_at < ?');
    params.push(until);
  }
  if (!includeUnexpected) {
    // The tracker decides what is unexpected (its window rule lives there), so read its verdict.
    where.push(
      'NOT EXISTS (SELECT 1 FROM recommendation_quality q WHERE q.user_id = r.user_id AND q.movie_id = r.movie_id AND q.unexpected = 1)',
    );
  }

  let capacity = PAGE;
  let users = new Int32Array(capacity);
  let movies = new Int32Array(capacity);
  let ratings = new Float32Array(capacity);
  let timestamps = new Float64Array(capacity);
  let size = 0;
  let halfStars = false;
  let lastUser: number | null = null;
  let lastMovie = 0;

  for (;;) {
    // Row-value comparison `(a, b) > (?, ?)` works on SQLite ≥ 3.15 and PostgreSQL alike and walks
    // the primary-key index.
    const page = [...where];
    const pageParams = [...params];
    if (lastUser !== null) {
      page.push('(r.user_id, r.movie_id) > (?, ?)');
      pageParams.push(lastUser, lastMovie);
    }
    const rows = await db.all<{ u: number; m: number; r: number; t: number }>(
      `SELECT r.user_id AS u, r.movie_id AS m, r.rating AS r, r.rated_at AS t FROM ratings r
       ${page.length ? `WHERE ${page.join(' AND ')}` : ''}
       ORDER BY r.user_id, r.movie_id LIMIT ${PAGE}`,
      pageParams,
    );
    if (size + rows.length > capacity) {
      capacity = Math.max(capacity * 2, size + rows.length);
      users = grow(users, new Int32Array(capacity));
      movies = grow(movies, new Int32Array(capacity));
      ratings = grow(ratings, new Float32Array(capacity));
      timestamps = grow(timestamps, new Float64Array(capacity));
    }
    for (const row of rows) {
      const rating = Number(row.r);
      users[size] = row.u;
      movies[size] = row.m;
      ratings[size] = rating;
      timestamps[size] = Number(row.t);
      if (!halfStars && !Number.isInteger(rating)) halfStars = true;
      size += 1;
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < PAGE) break;
    lastUser = last.u;
    lastMovie = last.m;
  }

  const scale: RatingScale = halfStars ? halfStarScale : wholeStarScale;
  return {
    size,
    users: users.slice(0, size),
    movies: movies.slice(0, size),
    ratings: ratings.slice(0, size),
    timestamps: timestamps.slice(0, size),
    scale,
  };
}

function grow<T extends Int32Array | Float32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
