import type { Queryable } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import { SqlCatalogStore } from './catalog-store.ts';
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

/**
 * All ratings (or a time window of them) as columnar RatingsData, ordered by (user_id, movie_id):
 * a stable order, so the same database gives the same fingerprint and the same seeded splits.
 * The scale is detected from the data: half stars (0.5–5) if any rating is not a whole number,
 * else whole stars (1–5); an empty result has the whole-star scale.
 *
 * Counts the window first and streams the rows straight into typed arrays of that size (a raw
 * statement iterator on SQLite, `COPY … TO STDOUT` on PostgreSQL): 20 bytes per rating and no
 * row object, where paging row objects and doubling arrays peaked near three times that. Pass a
 * transaction as `db` when ratings may be written meanwhile and a snapshot matters; without one,
 * rows added between the count and the read still fit (the arrays grow).
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
  const count = await store.countRatingsIn(window);
  const columns = new GrowingColumns(count);
  await store.scanRatings(window, (u, m, r, t) => columns.push(u, m, r, t), count);
  return columns.finish();
}

/**
 * Every rating, as `loadRatingsData` returns them, with a per-row flag: 1 where
 * `loadRatingsData(db, { includeUnexpected: false })` would leave the rating out. One read of
 * 21 bytes per rating, instead of two loads lined up afterwards.
 */
export async function loadRatingsFlagged(
  db: Queryable,
): Promise<{ data: RatingsData; unexpected: Uint8Array }> {
  const store = new SqlCatalogStore(db);
  const count = await store.countRatingsIn({});
  const columns = new GrowingColumns(count);
  let flags = new Uint8Array(columns.capacityNow());
  await store.scanRatingsFlagged(
    {},
    (u, m, r, t, unexpected) => {
      const i = columns.push(u, m, r, t);
      if (i >= flags.length) {
        const grown = new Uint8Array(columns.capacityNow());
        grown.set(flags);
        flags = grown;
      }
      flags[i] = unexpected;
    },
    count,
  );
  const data = columns.finish();
  return { data, unexpected: flags.length === data.size ? flags : flags.slice(0, data.size) };
}

/** Ratings gathered row by row into typed arrays sized up front (grown by half if rows keep coming). */
class GrowingColumns {
  private users: Int32Array;
  private movies: Int32Array;
  private ratings: Float32Array;
  private timestamps: Float64Array;
  private size = 0;
  private halfStars = false;

  constructor(private capacity: number) {
    this.users = new Int32Array(capacity);
    this.movies = new Int32Array(capacity);
    this.ratings = new Float32Array(capacity);
    this.timestamps = new Float64Array(capacity);
  }

  capacityNow(): number {
    return this.capacity;
  }

  /** Appends one rating; returns its row index. */
  push(user: number, movie: number, rating: number, ratedAt: number): number {
    const i = this.size;
    if (i === this.capacity) this.grow();
    this.users[i] = user;
    this.movies[i] = movie;
    this.ratings[i] = rating;
    this.timestamps[i] = ratedAt;
    if (!this.halfStars && !Number.isInteger(rating)) this.halfStars = true;
    this.size = i + 1;
    return i;
  }

  private grow(): void {
    this.capacity = Math.max(1024, Math.ceil(this.capacity * 1.5));
    this.users = copyInto(this.users, new Int32Array(this.capacity));
    this.movies = copyInto(this.movies, new Int32Array(this.capacity));
    this.ratings = copyInto(this.ratings, new Float32Array(this.capacity));
    this.timestamps = copyInto(this.timestamps, new Float64Array(this.capacity));
  }

  /** The columns cut to size (no copy when the count was exact), with the scale their ratings show. */
  finish(): RatingsData {
    const size = this.size;
    const scale: RatingScale = this.halfStars ? halfStarScale : wholeStarScale;
    const cut = <T extends Int32Array | Float32Array | Float64Array>(a: T): T =>
      a.length === size ? a : (a.slice(0, size) as T);
    return {
      size,
      users: cut(this.users),
      movies: cut(this.movies),
      ratings: cut(this.ratings),
      timestamps: cut(this.timestamps),
      scale,
    };
  }
}

function copyInto<T extends Int32Array | Float32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
