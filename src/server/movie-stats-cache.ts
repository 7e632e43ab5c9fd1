import { type MovieStats, SqlCatalogStore } from '../data/catalog-store.ts';
import type { Queryable } from '../db/database.ts';

export type { MovieStats };

/** How old the average and count shown beside a recommendation may be. */
export const movieStatsMaxAgeMs = 2000;

/** Averages and counts for some movies (one grouped query over just those ids). */
export function readMovieStats(db: Queryable, ids: readonly number[]): Promise<Map<number, MovieStats>> {
  return new SqlCatalogStore(db).movieStats(ids);
}

/**
 * Averages and counts re-read at most every `maxAgeMs` per movie. The recommendation lists show
 * them beside each pick, and most lists share their popular movies: aggregating a popular movie's
 * hundreds of ratings on every request cost more than choosing the picks. A figure a second or
 * two old is fine beside a suggestion; the movie pages read them fresh.
 */
export class MovieStatsCache {
  private readonly entries = new Map<number, { stats: MovieStats | null; readAt: number }>();

  constructor(
    private readonly db: Queryable,
    private readonly maxAgeMs = movieStatsMaxAgeMs,
    /** Enough for the whole catalogue of ml-latest-small several times over. */
    private readonly maxEntries = 50_000,
  ) {}

  /** Ages are measured on the process's own clock, not the server's (tests and simulations fix that one). */
  async get(ids: readonly number[], now = performance.now()): Promise<Map<number, MovieStats>> {
    const out = new Map<number, MovieStats>();
    const stale: number[] = [];
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (entry && now - entry.readAt < this.maxAgeMs && now >= entry.readAt) {
        if (entry.stats) out.set(id, entry.stats);
      } else stale.push(id);
    }
    if (stale.length === 0) return out;
    const fresh = await readMovieStats(this.db, stale);
    if (this.entries.size + stale.length > this.maxEntries) this.entries.clear();
    for (const id of stale) {
      const stats = fresh.get(id) ?? null;
      this.entries.set(id, { stats, readAt: now });
      if (stats) out.set(id, stats);
    }
    return out;
  }
}
