import type { Queryable } from '../db/database.ts';

/** A served recommendation as the tracker reads it back. */
export interface ServedRecommendation {
  readonly id: number;
  readonly modelVersion: number | null;
  readonly abTestId: number | null;
  readonly arm: string | null;
  readonly predictedRating: number;
  readonly servedAt: number;
}

/** What the tracker recorded for one rating. */
export type TrackedRating =
  | {
      readonly kind: 'recommended';
      readonly servedId: number;
      readonly modelVersion: number | null;
      readonly abTestId: number | null;
      readonly arm: string | null;
      readonly predictedRating: number;
      /** |predicted − actual|. */
      readonly error: number;
      readonly likedPredicted: boolean;
      readonly likedActual: boolean;
      /** The liked/not-liked prediction was right: the seed's "accuracy" counts these. */
      readonly hit: boolean;
      readonly servedAt: number;
    }
  | { readonly kind: 'unexpected'; readonly likedActual: boolean };

export interface TrackInput {
  readonly userId: number;
  readonly movieId: number;
  readonly rating: number;
  readonly ratedAt: number;
  /** The rating at or above which a user is said to like a movie. */
  readonly likeThreshold: number;
  /** Only a recommendation served within this many days before the rating counts. */
  readonly windowDays: number;
  /** When the row is written (the simulated clock in simulations). */
  readonly now: number;
}

const dayMs = 86_400_000;

/** The latest recommendation of this movie to this user served within the window before `ratedAt`. */
export async function latestServed(
  db: Queryable,
  userId: number,
  movieId: number,
  ratedAt: number,
  windowDays: number,
): Promise<ServedRecommendation | undefined> {
  const row = await db.get<{
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
    [userId, movieId, ratedAt, ratedAt - windowDays * dayMs],
  );
  if (!row) return undefined;
  return {
    id: Number(row.id),
    modelVersion: row.model_version === null ? null : Number(row.model_version),
    abTestId: row.ab_test_id === null ? null : Number(row.ab_test_id),
    arm: row.arm,
    predictedRating: Number(row.predicted_rating),
    servedAt: Number(row.served_at),
  };
}

/**
 * Validates one rating against what was served (the seed's recommendation_tracker). Must run
 * inside the transaction that stores the rating, so a rating never exists without its quality
 * row. One row per (user, movie): a re-rating replaces the earlier row. The row carries the model
 * version, A/B test and arm of the served recommendation, so it is also the per-arm outcome the
 * A/B statistics read.
 */
export async function trackRating(tx: Queryable, input: TrackInput): Promise<TrackedRating> {
  const served = await latestServed(tx, input.userId, input.movieId, input.ratedAt, input.windowDays);
  const likedActual = input.rating >= input.likeThreshold;
  const upsert = `ON CONFLICT (user_id, movie_id) DO UPDATE SET model_version = excluded.model_version,
    ab_test_id = excluded.ab_test_id, arm = excluded.arm, unexpected = excluded.unexpected,
    predicted_rating = excluded.predicted_rating, actual_rating = excluded.actual_rating,
    error = excluded.error, liked_predicted = excluded.liked_predicted,
    liked_actual = excluded.liked_actual, hit = excluded.hit, served_at = excluded.served_at,
    rated_at = excluded.rated_at, recorded_at = excluded.recorded_at`;
  const columns = [
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
  if (!served) {
    await tx.insertMany(
      'recommendation_quality',
      columns,
      [
        [
          input.userId,
          input.movieId,
          null,
          null,
          null,
          1,
          null,
          input.rating,
          null,
          null,
          likedActual ? 1 : 0,
          null,
          null,
          input.ratedAt,
          input.now,
        ],
      ],
      upsert,
    );
    return { kind: 'unexpected', likedActual };
  }
  const likedPredicted = served.predictedRating >= input.likeThreshold;
  const hit = likedPredicted === likedActual;
  const error = Math.abs(served.predictedRating - input.rating);
  await tx.insertMany(
    'recommendation_quality',
    columns,
    [
      [
        input.userId,
        input.movieId,
        served.modelVersion,
        served.abTestId,
        served.arm,
        0,
        served.predictedRating,
        input.rating,
        error,
        likedPredicted ? 1 : 0,
        likedActual ? 1 : 0,
        hit ? 1 : 0,
        served.servedAt,
        input.ratedAt,
        input.now,
      ],
    ],
    upsert,
  );
  return {
    kind: 'recommended',
    servedId: served.id,
    modelVersion: served.modelVersion,
    abTestId: served.abTestId,
    arm: served.arm,
    predictedRating: served.predictedRating,
    error,
    likedPredicted,
    likedActual,
    hit,
    servedAt: served.servedAt,
  };
}
