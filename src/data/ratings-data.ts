import { createHash } from 'node:crypto';
import type { RatingScale } from './rating-scale.ts';

/**
 * Ratings as parallel typed arrays: the shape every model, split and metric works on. Ids are the
 * raw user and movie ids (models map them to dense indices themselves). Read-only by contract:
 * nothing that receives one writes into its arrays.
 */
export interface RatingsData {
  readonly size: number;
  readonly users: Int32Array;
  readonly movies: Int32Array;
  readonly ratings: Float32Array;
  /** Epoch milliseconds. */
  readonly timestamps: Float64Array;
  readonly scale: RatingScale;
  /** Optional per-rating training weights (1 when absent). */
  readonly weights?: Float32Array;
}

/** Catalogue facts some models use (genre-aware cold start, filters, explanations). */
export interface MovieInfo {
  readonly id: number;
  readonly title: string;
  readonly year: number | null;
  readonly genres: readonly string[];
}

export function ratingsDataFrom(
  rows: ReadonlyArray<{ user: number; movie: number; rating: number; timestamp?: number }>,
  scale: RatingScale,
): RatingsData {
  const n = rows.length;
  const data = {
    size: n,
    users: new Int32Array(n),
    movies: new Int32Array(n),
    ratings: new Float32Array(n),
    timestamps: new Float64Array(n),
    scale,
  };
  rows.forEach((r, i) => {
    data.users[i] = r.user;
    data.movies[i] = r.movie;
    data.ratings[i] = r.rating;
    data.timestamps[i] = r.timestamp ?? 0;
  });
  return data;
}

/** The rows at `indices`, in that order (a fold, a holdout, a time slice). */
export function subsetRatings(data: RatingsData, indices: ArrayLike<number>): RatingsData {
  const n = indices.length;
  const out = {
    size: n,
    users: new Int32Array(n),
    movies: new Int32Array(n),
    ratings: new Float32Array(n),
    timestamps: new Float64Array(n),
    scale: data.scale,
    ...(data.weights ? { weights: new Float32Array(n) } : {}),
  };
  for (let i = 0; i < n; i++) {
    const j = indices[i]!;
    out.users[i] = data.users[j]!;
    out.movies[i] = data.movies[j]!;
    out.ratings[i] = data.ratings[j]!;
    out.timestamps[i] = data.timestamps[j]!;
    if (out.weights) out.weights[i] = data.weights![j]!;
  }
  return out;
}

/** The first and last rating time (epoch milliseconds); both null for no ratings. */
export function ratingsTimeRange(data: RatingsData): { from: number | null; to: number | null } {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.size; i++) {
    const t = data.timestamps[i]!;
    if (t < from) from = t;
    if (t > to) to = t;
  }
  return data.size ? { from, to } : { from: null, to: null };
}

/**
 * A content hash of the ratings (order-sensitive; loaders return a stable order). Tuning runs,
 * model versions and best_hp.json record it so that results on different data are never mixed.
 * With `rows`, the hash of `subsetRatings(data, rows)`, computed without that copy: the same bytes
 * reach the hash in the same order, a block of rows at a time.
 */
export function ratingsFingerprint(data: RatingsData, rows?: ArrayLike<number>): string {
  const h = createHash('sha256');
  const size = rows ? rows.length : data.size;
  h.update(`${size}:${data.scale.min}:${data.scale.max}:${data.scale.step}:`);
  for (const a of [data.users, data.movies, data.ratings, data.timestamps]) {
    if (!rows) {
      h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      continue;
    }
    const block = new (
      a.constructor as Int32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor
    )(Math.min(size, fingerprintBlock));
    for (let from = 0; from < size; from += block.length) {
      const n = Math.min(block.length, size - from);
      for (let k = 0; k < n; k++) block[k] = a[rows[from + k]!]!;
      h.update(new Uint8Array(block.buffer, 0, n * block.BYTES_PER_ELEMENT));
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** Rows gathered per hash update by `ratingsFingerprint` with `rows`. */
const fingerprintBlock = 65_536;
