import type { Queryable } from '../db/database.ts';

/** One of a user's ratings, as serving reads it. */
export interface HistoryRating {
  readonly movieId: number;
  readonly rating: number;
  readonly ratedAt: number;
}

/** One recommended movie as recorded in `served_recommendations`. */
export interface ServedRow {
  readonly movieId: number;
  readonly rank: number;
  readonly predictedRating: number;
  /** The version that placed this movie, when it differs from the list's (an interleaved list). */
  readonly modelVersion?: number;
  /** The team that placed it in an interleaving test (else the list's arm). */
  readonly arm?: string | null;
  /** Chance of this movie at its slot given the earlier slots; null without exploration. */
  readonly propensity?: number | null;
  /** Chance of this movie anywhere in the list; null without exploration. */
  readonly inclusionPropensity?: number | null;
  /**
   * In an interleaving test: whether the other ranker's top n held this movie too (its credit
   * then counts for neither team); null outside interleaving.
   */
  readonly inBothLists?: boolean | null;
}

/** Which model served a list, and for which A/B test arm (both null outside a test). */
export interface ServedBy {
  readonly modelVersion: number;
  readonly abTestId: number | null;
  readonly arm: string | null;
}

/**
 * What serving reads and writes: a user's ratings (and a cheap fingerprint of them) and the rows
 * of `served_recommendations` the tracker later matches ratings against.
 */
export interface ServedStore {
  /**
   * A string that changes whenever the user's ratings change: their count, a sum over the
   * (movie, rating) pairs and the newest and summed times (every write of a rating stamps it).
   */
  historyFingerprint(userId: number): Promise<string>;
  /** Every rating of the user, in no particular order. */
  userRatings(userId: number): Promise<HistoryRating[]>;
  /** Records a served list (creating the user's row if it is new); one insert for the list. */
  recordServed(userId: number, servedAt: number, by: ServedBy, items: readonly ServedRow[]): Promise<void>;
  /**
   * The first id at which served rows stop being older than `cutoff`, found by a binary search
   * over the primary key (rows are appended in time order, and no index on the serving time is
   * kept: it would cost every request a write). Every row below it was served before `cutoff`
   * when times follow ids; `deleteServedBefore` checks the time of each row anyway.
   */
  servedIdBoundary(cutoff: number): Promise<{ readonly first: number; readonly end: number }>;
  /**
   * Deletes the rows with `fromId <= id < toId` served before `cutoff`, except those of a running
   * A/B test (its analysis counts every row since it started). Returns how many went.
   */
  deleteServedBefore(fromId: number, toId: number, cutoff: number): Promise<number>;
}

/**
 * One aggregate over the user's key range (SQLite keeps `ratings` in (user, movie) order;
 * PostgreSQL reads its covering index `ratings_user_history`), about 15 times cheaper than reading
 * the rows themselves (95 µs against 1.1 ms for 1,500 ratings with better-sqlite3).
 */
const fingerprintSql =
  'SELECT COUNT(*) AS n, SUM(movie_id * rating) AS pairs, MAX(rated_at) AS newest, SUM(rated_at) AS stamps FROM ratings WHERE user_id = ?';

const servedColumns = [
  'user_id',
  'movie_id',
  'model_version',
  'ab_test_id',
  'arm',
  'predicted_rating',
  'rank',
  'served_at',
  'propensity',
  'inclusion_propensity',
  'in_both_lists',
] as const;

const oldestAfterSql = 'SELECT id, served_at FROM served_recommendations WHERE id >= ? ORDER BY id LIMIT 1';

/** The served store in SQL, on either database. */
export class SqlServedStore implements ServedStore {
  constructor(private readonly db: Queryable) {}

  async historyFingerprint(userId: number): Promise<string> {
    const f = await this.db.get<{ n: number; pairs: unknown; newest: unknown; stamps: unknown }>(
      fingerprintSql,
      [userId],
    );
    return `${f?.n}:${f?.pairs}:${f?.newest}:${f?.stamps}`;
  }

  async userRatings(userId: number): Promise<HistoryRating[]> {
    const rows = await this.db.all<{ movie_id: number; rating: number; rated_at: number }>(
      'SELECT movie_id, rating, rated_at FROM ratings WHERE user_id = ?',
      [userId],
    );
    return rows.map((r) => ({ movieId: r.movie_id, rating: r.rating, ratedAt: r.rated_at }));
  }

  async recordServed(
    userId: number,
    servedAt: number,
    by: ServedBy,
    items: readonly ServedRow[],
  ): Promise<void> {
    await this.db.run('INSERT INTO users (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING', [
      userId,
      servedAt,
    ]);
    await this.db.insertMany(
      'served_recommendations',
      servedColumns,
      items.map((i) => [
        userId,
        i.movieId,
        i.modelVersion ?? by.modelVersion,
        by.abTestId,
        by.abTestId === null ? null : (i.arm ?? by.arm),
        i.predictedRating,
        i.rank,
        servedAt,
        i.propensity ?? null,
        i.inclusionPropensity ?? null,
        i.inBothLists == null ? null : i.inBothLists ? 1 : 0,
      ]),
    );
  }

  async servedIdBoundary(cutoff: number): Promise<{ readonly first: number; readonly end: number }> {
    const range = await this.db.get<{ lo: number | null; hi: number | null }>(
      'SELECT MIN(id) AS lo, MAX(id) AS hi FROM served_recommendations',
    );
    if (range?.lo == null || range.hi == null) return { first: 0, end: 0 };
    let lo = range.lo;
    let hi = range.hi + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = await this.db.get<{ id: number; served_at: number }>(oldestAfterSql, [mid]);
      if (row && row.served_at < cutoff) lo = row.id + 1;
      else hi = mid;
    }
    return { first: range.lo, end: lo };
  }

  async deleteServedBefore(fromId: number, toId: number, cutoff: number): Promise<number> {
    const result = await this.db.run(
      `DELETE FROM served_recommendations
       WHERE id >= ? AND id < ? AND served_at < ?
         AND (ab_test_id IS NULL OR ab_test_id NOT IN (SELECT id FROM ab_tests WHERE status = 'running'))`,
      [fromId, toId, cutoff],
    );
    return result.changes;
  }
}
