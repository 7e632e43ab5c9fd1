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
}

/**
 * One aggregate over the covering index ratings_user_history, about 15 times cheaper than reading
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
] as const;

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
      ]),
    );
  }
}
