import type { Queryable } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import { type RatingPageRow, SqlCatalogStore } from './catalog-store.ts';
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
  const store = new SqlCatalogStore(db);
  const window = {
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    excludeUnexpected: !includeUnexpected,
  };
  const columns = new GrowingColumns();
  let after: { user: number; movie: number } | null = null;
  for (;;) {
    const rows = await store.ratingsPage(window, after, PAGE);
    columns.append(rows);
    const last = rows[rows.length - 1];
    if (!last || rows.length < PAGE) break;
    after = { user: last.u, movie: last.m };
  }
  return columns.finish();
}

/** Ratings gathered page by page into typed arrays that double when full. */
class GrowingColumns {
  private capacity = PAGE;
  private users = new Int32Array(this.capacity);
  private movies = new Int32Array(this.capacity);
  private ratings = new Float32Array(this.capacity);
  private timestamps = new Float64Array(this.capacity);
  private size = 0;
  private halfStars = false;

  append(rows: readonly RatingPageRow[]): void {
    if (this.size + rows.length > this.capacity) {
      this.capacity = Math.max(this.capacity * 2, this.size + rows.length);
      this.users = grow(this.users, new Int32Array(this.capacity));
      this.movies = grow(this.movies, new Int32Array(this.capacity));
      this.ratings = grow(this.ratings, new Float32Array(this.capacity));
      this.timestamps = grow(this.timestamps, new Float64Array(this.capacity));
    }
    let size = this.size;
    for (const row of rows) {
      this.users[size] = row.u;
      this.movies[size] = row.m;
      this.ratings[size] = row.r;
      this.timestamps[size] = row.t;
      if (!this.halfStars && !Number.isInteger(row.r)) this.halfStars = true;
      size += 1;
    }
    this.size = size;
  }

  /** The columns cut to size, with the scale their ratings show. */
  finish(): RatingsData {
    const size = this.size;
    const scale: RatingScale = this.halfStars ? halfStarScale : wholeStarScale;
    return {
      size,
      users: this.users.slice(0, size),
      movies: this.movies.slice(0, size),
      ratings: this.ratings.slice(0, size),
      timestamps: this.timestamps.slice(0, size),
      scale,
    };
  }
}

function grow<T extends Int32Array | Float32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
