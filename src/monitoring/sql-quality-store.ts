import type { Queryable, SqlValue } from '../db/database.ts';
import type {
  ArmDayOutcome,
  QualityGroupColumn,
  QualityRecord,
  QualityStore,
  QualitySums,
  ServedRecommendation,
  TrackedRow,
} from './quality-store.ts';

const dayMs = 86_400_000;

/**
 * SQL that is true when the outcome row `alias` comes from an established user: one without a web
 * account (imported or generated: the operator's own data), or whose account was at least
 * `?` ms old when they rated. A burst of new accounts cannot move the figures a retrain trigger
 * reads. One `?` parameter: the age in ms.
 */
export function establishedClause(alias: string): string {
  return `NOT EXISTS (SELECT 1 FROM accounts a WHERE a.user_id = ${alias}.user_id AND a.created_at > ${alias}.rated_at - ?)`;
}

interface SumsRow {
  key: string | number | null;
  n: number;
  hits: number | null;
  err: number | null;
}

function toSums(r: SumsRow | undefined): QualitySums {
  return { key: r?.key ?? null, samples: r?.n ?? 0, hits: r?.hits ?? 0, errorSum: r?.err ?? null };
}

const qualityColumns = [
  'user_id',
  'movie_id',
  'model_version',
  'ab_test_id',
  'arm',
  'unexpected',
  'predicted_rating',
  'actual_rating',
  'error',
  'liked_predicted',
  'liked_actual',
  'hit',
  'served_at',
  'rated_at',
  'recorded_at',
];

const qualityUpsert = `ON CONFLICT (user_id, movie_id) DO UPDATE SET model_version = excluded.model_version,
  ab_test_id = excluded.ab_test_id, arm = excluded.arm, unexpected = excluded.unexpected,
  predicted_rating = excluded.predicted_rating, actual_rating = excluded.actual_rating,
  error = excluded.error, liked_predicted = excluded.liked_predicted,
  liked_actual = excluded.liked_actual, hit = excluded.hit, served_at = excluded.served_at,
  rated_at = excluded.rated_at, recorded_at = excluded.recorded_at`;

const flag = (b: boolean | null): number | null => (b === null ? null : b ? 1 : 0);

/** The SQL of rating entry and tracking, on a connection or inside the rating's transaction. */
export class SqlQualityStore implements QualityStore {
  async armDayOutcomes(testId: number): Promise<ArmDayOutcome[]> {
    const rows = await this.db.all<{ arm: string; day: number; n: number; hits: number | null }>(
      `SELECT arm, (rated_at / ${dayMs}) AS day, COUNT(*) AS n, SUM(hit) AS hits FROM recommendation_quality
        WHERE ab_test_id = ? AND hit IS NOT NULL GROUP BY arm, (rated_at / ${dayMs}) ORDER BY 2`,
      [testId],
    );
    return rows.map((r) => ({ arm: r.arm, day: Math.floor(r.day), n: r.n, hits: r.hits ?? 0 }));
  }

  constructor(private readonly db: Queryable) {}

  async movieExists(movieId: number): Promise<boolean> {
    return (await this.db.get('SELECT id FROM movies WHERE id = ?', [movieId])) !== undefined;
  }

  async ensureUser(userId: number, now: number): Promise<boolean> {
    const created = await this.db.run(
      'INSERT INTO users (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
      [userId, now],
    );
    return created.changes > 0;
  }

  async currentRating(userId: number, movieId: number): Promise<number | null> {
    const row = await this.db.get<{ rating: number }>(
      'SELECT rating FROM ratings WHERE user_id = ? AND movie_id = ?',
      [userId, movieId],
    );
    return row ? row.rating : null;
  }

  async upsertRating(userId: number, movieId: number, rating: number, ratedAt: number): Promise<void> {
    await this.db.run(
      `INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, rated_at = excluded.rated_at`,
      [userId, movieId, rating, ratedAt],
    );
  }

  async latestServed(
    userId: number,
    movieId: number,
    from: number,
    to: number,
  ): Promise<ServedRecommendation | undefined> {
    const row = await this.db.get<{
      id: number;
      model_version: number | null;
      ab_test_id: number | null;
      arm: string | null;
      predicted_rating: number;
      served_at: number;
    }>(
      `SELECT id, model_version, ab_test_id, arm, predicted_rating, served_at FROM served_recommendations
       WHERE user_id = ? AND movie_id = ? AND served_at <= ? AND served_at >= ?
       ORDER BY served_at DESC, id DESC LIMIT 1`,
      [userId, movieId, to, from],
    );
    if (!row) return undefined;
    return {
      id: row.id,
      modelVersion: row.model_version,
      abTestId: row.ab_test_id,
      arm: row.arm,
      predictedRating: row.predicted_rating,
      servedAt: row.served_at,
    };
  }

  async recordQuality(r: QualityRecord): Promise<void> {
    const row: SqlValue[] = [
      r.userId,
      r.movieId,
      r.modelVersion,
      r.abTestId,
      r.arm,
      r.unexpected ? 1 : 0,
      r.predictedRating,
      r.actualRating,
      r.error,
      flag(r.likedPredicted),
      r.likedActual ? 1 : 0,
      flag(r.hit),
      r.servedAt,
      r.ratedAt,
      r.recordedAt,
    ];
    await this.db.insertMany('recommendation_quality', qualityColumns, [row], qualityUpsert);
  }

  async qualitySums(from: number, to: number, modelVersion?: number): Promise<QualitySums> {
    const params: SqlValue[] = [from, to];
    let where = 'unexpected = 0 AND rated_at >= ? AND rated_at <= ?';
    if (modelVersion !== undefined) {
      where += ' AND model_version = ?';
      params.push(modelVersion);
    }
    const row = await this.db.get<SumsRow>(
      `SELECT NULL AS key, COUNT(*) AS n, SUM(hit) AS hits, SUM(error) AS err FROM recommendation_quality WHERE ${where}`,
      params,
    );
    return toSums(row);
  }

  async establishedQualitySums(
    from: number,
    to: number,
    modelVersion: number,
    establishedMs: number,
  ): Promise<QualitySums & { readonly users: number }> {
    const row = await this.db.get<SumsRow & { users: number }>(
      `SELECT NULL AS key, COUNT(*) AS n, SUM(hit) AS hits, SUM(error) AS err, COUNT(DISTINCT user_id) AS users
         FROM recommendation_quality q
        WHERE unexpected = 0 AND rated_at >= ? AND rated_at <= ? AND model_version = ?
          AND ${establishedClause('q')}`,
      [from, to, modelVersion, establishedMs],
    );
    return { ...toSums(row), users: row?.users ?? 0 };
  }

  async qualitySumsBy(column: QualityGroupColumn, from: number, to: number): Promise<QualitySums[]> {
    const rows = await this.db.all<SumsRow>(
      `SELECT ${column} AS key, COUNT(*) AS n, SUM(hit) AS hits, SUM(error) AS err FROM recommendation_quality
       WHERE unexpected = 0 AND rated_at >= ? AND rated_at <= ? GROUP BY ${column} ORDER BY ${column}`,
      [from, to],
    );
    return rows.map(toSums);
  }

  async movieQualitySums(
    from: number,
    to: number,
    minSamples: number,
    modelVersion?: number,
  ): Promise<Array<QualitySums & { title: string | null }>> {
    const params: SqlValue[] = [from, to];
    let where = 'q.unexpected = 0 AND q.rated_at >= ? AND q.rated_at <= ?';
    if (modelVersion !== undefined) {
      where += ' AND q.model_version = ?';
      params.push(modelVersion);
    }
    params.push(minSamples);
    const rows = await this.db.all<SumsRow & { title: string | null }>(
      `SELECT q.movie_id AS key, MAX(m.title) AS title, COUNT(*) AS n, SUM(q.hit) AS hits, SUM(q.error) AS err
       FROM recommendation_quality q LEFT JOIN movies m ON m.id = q.movie_id
       WHERE ${where} GROUP BY q.movie_id HAVING COUNT(*) >= ?
       ORDER BY CAST(SUM(q.hit) AS DOUBLE PRECISION) / COUNT(*), q.movie_id`,
      params,
    );
    return rows.map((r) => ({ ...toSums(r), title: r.title }));
  }

  async dailyQualitySums(from: number, to: number): Promise<QualitySums[]> {
    const rows = await this.db.all<SumsRow>(
      `SELECT (rated_at / ${dayMs}) AS key, COUNT(*) AS n, SUM(hit) AS hits, SUM(error) AS err
       FROM recommendation_quality WHERE unexpected = 0 AND rated_at >= ? AND rated_at <= ?
       GROUP BY (rated_at / ${dayMs}) ORDER BY 1`,
      [from, to],
    );
    return rows.map(toSums);
  }

  async trackedRows(since?: number, until?: number): Promise<TrackedRow[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (since !== undefined) {
      where.push('rated_at >= ?');
      params.push(since);
    }
    if (until !== undefined) {
      where.push('rated_at < ?');
      params.push(until);
    }
    const rows = await this.db.all<{ u: number; m: number; r: number; t: number; x: number }>(
      `SELECT user_id AS u, movie_id AS m, actual_rating AS r, rated_at AS t, unexpected AS x
       FROM recommendation_quality ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY user_id, movie_id, rated_at`,
      params,
    );
    return rows.map((r) => ({ userId: r.u, movieId: r.m, rating: r.r, ratedAt: r.t, unexpected: r.x !== 0 }));
  }

  async trackedCounts(from: number, to: number): Promise<{ tracked: number; unexpected: number }> {
    const row = await this.db.get<{ n: number; u: number | null }>(
      'SELECT COUNT(*) AS n, SUM(unexpected) AS u FROM recommendation_quality WHERE rated_at >= ? AND rated_at <= ?',
      [from, to],
    );
    return { tracked: row?.n ?? 0, unexpected: row?.u ?? 0 };
  }
}

/** The quality store over a connection or a transaction. */
export function qualityStore(db: Queryable): QualityStore {
  return new SqlQualityStore(db);
}
