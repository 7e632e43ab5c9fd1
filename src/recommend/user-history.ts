import type { Queryable } from '../db/database.ts';
import { type HistoryRating, SqlServedStore } from './served-store.ts';

/**
 * Fold-in solves a user's factors from their ratings; its cost grows with their number. A user
 * with more ratings than this since the model was trained is folded in from the most recent ones
 * (the next retrain learns from all of them), which keeps a request's cost bounded.
 */
export const foldInMaxRatings = 200;

/** A user's ratings as of one read. Read-only: it is shared by every request until it changes. */
export interface UserHistory {
  readonly userId: number;
  /** Movie → rating, every rating the user has. */
  readonly ratings: ReadonlyMap<number, number>;
  /**
   * The most recent `foldInMaxRatings` of them (newest first, ties by movie id), which is what a
   * user the model never saw is folded in from; the same map as `ratings` when they have no more.
   */
  readonly recent: ReadonlyMap<number, number>;
  /** The movie ids of `ratings`, as a set (what a top-N excludes). */
  readonly rated: ReadonlySet<number>;
}

/** Newest first, then by movie id: the `count` most recent ratings. */
export function mostRecent(rows: readonly HistoryRating[], count: number): Map<number, number> {
  const sorted = [...rows].sort((a, b) => b.ratedAt - a.ratedAt || a.movieId - b.movieId);
  return new Map(sorted.slice(0, count).map((r) => [r.movieId, r.rating]));
}

interface Entry {
  readonly fingerprint: string;
  readonly history: UserHistory;
}

/**
 * Ratings kept in memory per connection, over all cached users (least recently used dropped
 * first). A kept rating costs about 80 bytes (its map and set entries: 5,000 users of 150 ratings
 * took 60 MiB), so this bounds the cache near 40 MiB however heavy the raters.
 */
const keptRatings = 500_000;

interface Cache {
  readonly users: Map<number, Entry>;
  ratings: number;
}
const caches = new WeakMap<Queryable, Cache>();

/** How many users and ratings this connection's cache holds now. */
export function userHistoryCacheSize(db: Queryable): { users: number; ratings: number } {
  const cache = caches.get(db);
  return { users: cache?.users.size ?? 0, ratings: cache?.ratings ?? 0 };
}

/**
 * A user's ratings, read from the database when they changed since the last read on this
 * connection and otherwise from memory. Every request needs them fresh (a rating made a second ago
 * must be excluded and folded in), and serving a heavy rater would otherwise mean reading
 * hundreds of rows per request. The check is by fingerprint rather than by listening to writes
 * because ratings also arrive from other processes (the CLI, imports, a second server). A write
 * landing between the check and the read only makes the next request read again.
 */
export async function readUserHistory(
  db: Queryable,
  userId: number,
  /** `keptRatings`: this connection's cache budget, in ratings (tests lower it). */
  options: { readonly keptRatings?: number } = {},
): Promise<UserHistory> {
  let cache = caches.get(db);
  if (!cache) {
    cache = { users: new Map(), ratings: 0 };
    caches.set(db, cache);
  }
  const store = new SqlServedStore(db);
  // Everything about the user's ratings that a change to them would change (see the store).
  const fingerprint = await store.historyFingerprint(userId);
  const hit = cache.users.get(userId);
  if (hit && hit.fingerprint === fingerprint) {
    // Refresh its place in the least-recently-used order.
    cache.users.delete(userId);
    cache.users.set(userId, hit);
    return hit.history;
  }
  const rows = await store.userRatings(userId);
  const ratings = new Map(rows.map((r) => [r.movieId, r.rating] as const));
  const history: UserHistory = {
    userId,
    ratings,
    recent: rows.length > foldInMaxRatings ? mostRecent(rows, foldInMaxRatings) : ratings,
    rated: new Set(ratings.keys()),
  };
  // Another request may have stored this user while the rows were read: replace whatever is there.
  const stored = cache.users.get(userId);
  if (stored) {
    cache.users.delete(userId);
    cache.ratings -= stored.history.ratings.size;
  }
  cache.users.set(userId, { fingerprint, history });
  cache.ratings += ratings.size;
  const budget = options.keptRatings ?? keptRatings;
  for (const [oldest, entry] of cache.users) {
    if (cache.ratings <= budget || oldest === userId) break;
    cache.users.delete(oldest);
    cache.ratings -= entry.history.ratings.size;
  }
  return history;
}
