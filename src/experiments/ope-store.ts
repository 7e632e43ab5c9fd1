import type { Queryable } from '../db/database.ts';

/** One served row of the logged window with its outcome (rated: the tracker matched a rating to it). */
export interface LoggedRow {
  readonly userId: number;
  readonly movieId: number;
  readonly servedAt: number;
  /** P(movie in the list) under the logging policy; null: served without exploration (1). */
  readonly inclusion: number | null;
  readonly rated: boolean;
  readonly liked: boolean;
}

/**
 * The rows `version` served outside any test in [from, to), each with the tracker's outcome,
 * ordered by visit (user, time) and rank.
 */
export async function readLoggedWindow(
  db: Queryable,
  version: number,
  from: number,
  to: number,
): Promise<LoggedRow[]> {
  const rows = await db.all<{
    user_id: number;
    movie_id: number;
    served_at: number;
    inclusion: number | null;
    liked: number | null;
  }>(
    `SELECT s.user_id, s.movie_id, s.served_at, s.inclusion_propensity AS inclusion, q.liked_actual AS liked
     FROM served_recommendations s
     LEFT JOIN recommendation_quality q
       ON q.user_id = s.user_id AND q.movie_id = s.movie_id AND q.served_at = s.served_at AND q.hit IS NOT NULL
     WHERE s.model_version = ? AND s.ab_test_id IS NULL AND s.served_at >= ? AND s.served_at < ?
     ORDER BY s.user_id, s.served_at, s.rank`,
    [version, from, to],
  );
  return rows.map((r) => ({
    userId: r.user_id,
    movieId: r.movie_id,
    servedAt: r.served_at,
    inclusion: r.inclusion,
    rated: r.liked !== null,
    liked: r.liked === 1,
  }));
}

/** Whether `version` served any explored list outside tests in [from, to) (without exploration there is nothing to estimate from). */
export async function hasExploredRows(
  db: Queryable,
  version: number,
  from: number,
  to: number,
): Promise<boolean> {
  const row = await db.get<{ one: number }>(
    `SELECT 1 AS one FROM served_recommendations
     WHERE model_version = ? AND ab_test_id IS NULL AND served_at >= ? AND served_at < ? AND inclusion_propensity IS NOT NULL
     LIMIT 1`,
    [version, from, to],
  );
  return row !== undefined;
}

/** Each window user's ratings with their times: what a list at a given moment had to exclude. */
export async function readWindowUserRatings(
  db: Queryable,
  version: number,
  from: number,
  to: number,
): Promise<Map<number, { movieId: number; ratedAt: number }[]>> {
  const rows = await db.all<{ user_id: number; movie_id: number; rated_at: number }>(
    `SELECT r.user_id, r.movie_id, r.rated_at FROM ratings r
     WHERE r.user_id IN (SELECT DISTINCT s.user_id FROM served_recommendations s
                         WHERE s.model_version = ? AND s.ab_test_id IS NULL AND s.served_at >= ? AND s.served_at < ?)`,
    [version, from, to],
  );
  const out = new Map<number, { movieId: number; ratedAt: number }[]>();
  for (const r of rows) {
    const list = out.get(r.user_id) ?? [];
    out.set(r.user_id, list);
    list.push({ movieId: r.movie_id, ratedAt: r.rated_at });
  }
  return out;
}

/** An off-policy screen as stored: never changes once written. */
export interface OpeScreening {
  readonly id: number;
  readonly championVersion: number;
  readonly challengerVersion: number;
  readonly action: 'discard' | 'test';
  readonly reason: string;
  /** The estimates of both models (OpeEstimate each) and the policy, as recorded. */
  readonly figures: Readonly<Record<string, unknown>>;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly createdAt: number;
}

export async function recordScreening(db: Queryable, s: Omit<OpeScreening, 'id'>): Promise<OpeScreening> {
  const row = await db.get<{ id: number }>(
    `INSERT INTO ope_screenings (champion_version, challenger_version, action, reason, figures, window_start, window_end, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [
      s.championVersion,
      s.challengerVersion,
      s.action,
      s.reason,
      JSON.stringify(s.figures),
      s.windowStart,
      s.windowEnd,
      s.createdAt,
    ],
  );
  return Object.freeze({ ...s, id: row!.id });
}

interface ScreeningRow {
  id: number;
  champion_version: number;
  challenger_version: number;
  action: 'discard' | 'test';
  reason: string;
  figures: string;
  window_start: number;
  window_end: number;
  created_at: number;
}

const toScreening = (r: ScreeningRow): OpeScreening =>
  Object.freeze({
    id: r.id,
    championVersion: r.champion_version,
    challengerVersion: r.challenger_version,
    action: r.action,
    reason: r.reason,
    figures: JSON.parse(r.figures) as Record<string, unknown>,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    createdAt: r.created_at,
  });

/** Screens, newest first; only those of one challenger when given. */
export async function listScreenings(db: Queryable, challengerVersion?: number): Promise<OpeScreening[]> {
  const rows =
    challengerVersion === undefined
      ? await db.all<ScreeningRow>('SELECT * FROM ope_screenings ORDER BY id DESC')
      : await db.all<ScreeningRow>(
          'SELECT * FROM ope_screenings WHERE challenger_version = ? ORDER BY id DESC',
          [challengerVersion],
        );
  return rows.map(toScreening);
}

/** Records a screen and, when it discards, marks the challenger version discarded, in one transaction. */
export async function applyScreening(
  db: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> },
  s: Omit<OpeScreening, 'id'>,
): Promise<OpeScreening> {
  return db.transaction(async (tx) => {
    const recorded = await recordScreening(tx, s);
    if (s.action === 'discard') {
      await tx.run("UPDATE model_versions SET status = 'discarded' WHERE version = ? AND status = 'ready'", [
        s.challengerVersion,
      ]);
    }
    return recorded;
  });
}
