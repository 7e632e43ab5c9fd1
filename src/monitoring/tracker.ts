import type { Queryable } from '../db/database.ts';
import type { ServedRecommendation } from './quality-store.ts';
import { qualityStore } from './sql-quality-store.ts';

export type { ServedRecommendation } from './quality-store.ts';

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
      /** The liked/not-liked prediction was right: liked accuracy counts these. */
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
  return qualityStore(db).latestServed(userId, movieId, ratedAt - windowDays * dayMs, ratedAt);
}

/**
 * Validates one rating against what was served: the recommendation tracker. Must run
 * inside the transaction that stores the rating, so a rating never exists without its quality
 * row. One row per (user, movie): a re-rating replaces the earlier row. The row carries the model
 * version, A/B test and arm of the served recommendation, so it is also the per-arm outcome the
 * A/B statistics read.
 */
export async function trackRating(tx: Queryable, input: TrackInput): Promise<TrackedRating> {
  const store = qualityStore(tx);
  const served = await latestServed(tx, input.userId, input.movieId, input.ratedAt, input.windowDays);
  const likedActual = input.rating >= input.likeThreshold;
  const rated = { userId: input.userId, movieId: input.movieId, actualRating: input.rating, likedActual };
  const times = { ratedAt: input.ratedAt, recordedAt: input.now };
  if (!served) {
    await store.recordQuality({ ...rated, ...times, ...unexpectedFields });
    return { kind: 'unexpected', likedActual };
  }
  const likedPredicted = served.predictedRating >= input.likeThreshold;
  const hit = likedPredicted === likedActual;
  const error = Math.abs(served.predictedRating - input.rating);
  const { modelVersion, abTestId, arm, predictedRating, servedAt } = served;
  await store.recordQuality({
    ...rated,
    ...times,
    modelVersion,
    abTestId,
    arm,
    unexpected: false,
    predictedRating,
    error,
    likedPredicted,
    hit,
    servedAt,
  });
  return {
    kind: 'recommended',
    servedId: served.id,
    modelVersion,
    abTestId,
    arm,
    predictedRating,
    error,
    likedPredicted,
    likedActual,
    hit,
    servedAt,
  };
}

/** The fields of a rating nobody recommended: no version, arm, prediction or hit. */
const unexpectedFields = {
  modelVersion: null,
  abTestId: null,
  arm: null,
  unexpected: true,
  predictedRating: null,
  error: null,
  likedPredicted: null,
  hit: null,
  servedAt: null,
} as const;
