import type { Queryable, SqlValue } from '../db/database.ts';
import { proportion } from '../experiments/statistics.ts';

const dayMs = 86_400_000;

/** Liked-accuracy of a group of tracked ratings. */
export interface AccuracyFigure {
  readonly samples: number;
  readonly hits: number;
  /** hits / samples; null without samples. */
  readonly accuracy: number | null;
  /** 95 % Wilson interval of the accuracy (the same interval the A/B statistics use). */
  readonly low: number;
  readonly high: number;
  /** Mean |predicted − actual|; null without samples. */
  readonly mae: number | null;
}

export interface MovieAccuracy extends AccuracyFigure {
  readonly movieId: number;
  readonly title: string | null;
}

export function accuracyFigure(samples: number, hits: number, errorSum: number | null): AccuracyFigure {
  const { low, high } = proportion(hits, samples);
  return {
    samples,
    hits,
    accuracy: samples > 0 ? hits / samples : null,
    low,
    high,
    mae: samples > 0 && errorSum !== null ? errorSum / samples : null,
  };
}

/** The rolling window ending at `now`: [now − days, now]. */
export function windowStart(now: number, days: number): number {
  return now - days * dayMs;
}

interface GroupRow {
  key: unknown;
  n: number | string;
  hits: number | string | null;
  err: number | string | null;
}

function toFigure(row: GroupRow | undefined): AccuracyFigure {
  const n = Number(row?.n ?? 0);
  return accuracyFigure(
    n,
    Number(row?.hits ?? 0),
    row?.err === null || row?.err === undefined ? null : Number(row.err),
  );
}

/**
 * Accuracy of the recommended (not unexpected) ratings rated in [from, to], optionally of one
 * model version only.
 */
export async function windowAccuracy(
  db: Queryable,
  from: number,
  to: number,
  modelVersion?: number,
): Promise<AccuracyFigure> {
  const params: SqlValue[] = [from, to];
  let where = 'unexpected = 0 AND rated_at >= ? AND rated_at <= ?';
  if (modelVersion !== undefined) {
    where += ' AND model_version = ?';
    params.push(modelVersion);
  }
  const row = await db.get<GroupRow>(
    `SELECT NULL AS key, COUNT(*) AS n, SUM(hit) AS hits, SUM(error) AS err FROM recommendation_quality WHERE ${where}`,
    params,
  );
  return toFigure(row);
}

/** Accuracy grouped by one column (model_version, arm…) over [from, to]. */
export async function accuracyBy(
  db: Queryable,
  column: 'model_version' | 'arm' | 'ab_test_id',
  from: number,
  to: number,
): Promise<Array<{ key: string | number | null } & AccuracyFigure>> {
  const rows = await db.all<GroupRow>(
    `SELECT ${column} AS key, COUNT(*) AS n, SUM(hit) AS hits, SUM(error) AS err FROM recommendation_quality
     WHERE unexpected = 0 AND rated_at >= ? AND rated_at <= ? GROUP BY ${column} ORDER BY ${column}`,
    [from, to],
  );
  return rows.map((r) => ({
    key: r.key === null || r.key === undefined ? null : typeof r.key === 'number' ? r.key : String(r.key),
    ...toFigure(r),
  }));
}

/**
 * Per-movie accuracy over [from, to], counting only movies with at least `minSamples` tracked
 * ratings (fewer say nothing about a movie), worst first; optionally one model version only.
 */
export async function movieAccuracy(
  db: Queryable,
  from: number,
  to: number,
  minSamples: number,
  options: { modelVersion?: number; limit?: number } = {},
): Promise<MovieAccuracy[]> {
  const params: SqlValue[] = [from, to];
  let where = 'q.unexpected = 0 AND q.rated_at >= ? AND q.rated_at <= ?';
  if (options.modelVersion !== undefined) {
    where += ' AND q.model_version = ?';
    params.push(options.modelVersion);
  }
  params.push(minSamples);
  const rows = await db.all<GroupRow & { title: string | null }>(
    `SELECT q.movie_id AS key, MAX(m.title) AS title, COUNT(*) AS n, SUM(q.hit) AS hits, SUM(q.error) AS err
     FROM recommendation_quality q LEFT JOIN movies m ON m.id = q.movie_id
     WHERE ${where} GROUP BY q.movie_id HAVING COUNT(*) >= ?
     ORDER BY CAST(SUM(q.hit) AS DOUBLE PRECISION) / COUNT(*), q.movie_id`,
    params,
  );
  const out = rows.map((r) => ({ movieId: Number(r.key), title: r.title, ...toFigure(r) }));
  return options.limit === undefined ? out : out.slice(0, options.limit);
}

/** Accuracy per day (UTC) over [from, to], oldest first: the trend `track status` shows. */
export async function dailyAccuracy(
  db: Queryable,
  from: number,
  to: number,
): Promise<Array<{ day: string } & AccuracyFigure>> {
  const rows = await db.all<GroupRow>(
    `SELECT (rated_at / ${dayMs}) AS key, COUNT(*) AS n, SUM(hit) AS hits, SUM(error) AS err
     FROM recommendation_quality WHERE unexpected = 0 AND rated_at >= ? AND rated_at <= ?
     GROUP BY (rated_at / ${dayMs}) ORDER BY 1`,
    [from, to],
  );
  return rows.map((r) => ({
    day: new Date(Math.floor(Number(r.key)) * dayMs).toISOString().slice(0, 10),
    ...toFigure(r),
  }));
}

/** Counts over [from, to]: all ratings tracked, recommended ones, unexpected ones. */
export async function windowCounts(
  db: Queryable,
  from: number,
  to: number,
): Promise<{ tracked: number; recommended: number; unexpected: number }> {
  const row = await db.get<{ n: number | string; u: number | string | null }>(
    'SELECT COUNT(*) AS n, SUM(unexpected) AS u FROM recommendation_quality WHERE rated_at >= ? AND rated_at <= ?',
    [from, to],
  );
  const tracked = Number(row?.n ?? 0);
  const unexpected = Number(row?.u ?? 0);
  return { tracked, recommended: tracked - unexpected, unexpected };
}
