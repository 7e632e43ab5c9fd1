import type { RatingScale } from '../data/rating-scale.ts';
import { ratingScaleOf } from '../data/rating-scale-of.ts';
import type { Queryable } from '../db/database.ts';
import { qualityStore } from '../monitoring/sql-quality-store.ts';
import { loadClassifiedRatings } from './classified-ratings.ts';

/** The rated rows a report reads, columnar, with the unexpected flag per row. */
export interface Rows {
  users: Int32Array;
  movies: Int32Array;
  ratings: Float32Array;
  timestamps: Float64Array;
  unexpected: Uint8Array;
  size: number;
  scale: RatingScale;
}

/** `n` zeroed rows, filled in by the caller. */
function emptyRows(n: number, scale: RatingScale): Rows {
  return {
    users: new Int32Array(n),
    movies: new Int32Array(n),
    ratings: new Float32Array(n),
    timestamps: new Float64Array(n),
    unexpected: new Uint8Array(n),
    size: n,
    scale,
  };
}

/** The tracker's rows rated in [since, until). */
export async function trackerRows(db: Queryable, since?: number, until?: number): Promise<Rows> {
  const rows = await qualityStore(db).trackedRows(since, until);
  const out = emptyRows(rows.length, await ratingScaleOf(db));
  rows.forEach((r, i) => {
    out.users[i] = r.userId;
    out.movies[i] = r.movieId;
    out.ratings[i] = r.rating;
    out.timestamps[i] = r.ratedAt;
    out.unexpected[i] = r.unexpected ? 1 : 0;
  });
  return out;
}

/**
 * Every stored rating rated in [since, until), flagged by the rule training uses. Without a window
 * the loaded columns are the rows as they are (no copy: 21 bytes per rating in all); a window
 * copies only the rows inside it, found by index in a typed array.
 */
export async function ratingRows(db: Queryable, since?: number, until?: number): Promise<Rows> {
  const { data, unexpected } = await loadClassifiedRatings(db);
  if (since === undefined && until === undefined) return { ...data, unexpected };
  const keep = new Int32Array(data.size);
  let n = 0;
  for (let i = 0; i < data.size; i++) {
    const t = data.timestamps[i]!;
    if ((since === undefined || t >= since) && (until === undefined || t < until)) keep[n++] = i;
  }
  const out = emptyRows(n, data.scale);
  for (let i = 0; i < n; i++) {
    const j = keep[i]!;
    out.users[i] = data.users[j]!;
    out.movies[i] = data.movies[j]!;
    out.ratings[i] = data.ratings[j]!;
    out.timestamps[i] = data.timestamps[j]!;
    out.unexpected[i] = unexpected[j]!;
  }
  return out;
}
