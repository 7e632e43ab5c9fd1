import { isOnScale, likeThreshold, type RatingScale } from '../data/rating-scale.ts';
import { ratingScaleOf } from '../data/rating-scale-of.ts';
import type { Database } from '../db/database.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { qualityStore } from './sql-quality-store.ts';
import { type TrackedRating, trackRating } from './tracker.ts';

export interface RateMovieInput {
  readonly userId: number;
  readonly movieId: number;
  readonly rating: number;
  /** Epoch milliseconds; default `now`. */
  readonly ratedAt?: number;
}

export interface RateMovieOptions {
  /** The clock (simulations pass a simulated one); default Date.now(). */
  readonly now?: number;
  /** Rolling window of the tracker, days (config trainingWindowDays); default 30. */
  readonly windowDays?: number;
  /** The like line; default by scale (config likeThreshold). */
  readonly likeThreshold?: number;
  /** The scale ratings must be on; default the scale of the ratings already stored. */
  readonly scale?: RatingScale;
}

export interface RateMovieResult {
  readonly userId: number;
  readonly movieId: number;
  readonly rating: number;
  readonly ratedAt: number;
  /** The rating it replaced, if the user had rated the movie before. */
  readonly previousRating: number | null;
  readonly newUser: boolean;
  readonly tracked: TrackedRating;
}

function checkId(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidInputError(`${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The one way a rating enters MovieNight (CLI `rate`, the HTTP API, the simulation). Validates
 * it, creates the user if new, stores the rating (a re-rating replaces it) and, in the same
 * transaction, lets the tracker validate it against what was recommended. Bad input throws before
 * anything is written, and a failure inside rolls the whole transaction back.
 */
export async function rateMovie(
  db: Database,
  input: RateMovieInput,
  options: RateMovieOptions = {},
): Promise<RateMovieResult> {
  const userId = checkId('userId', input.userId);
  const movieId = checkId('movieId', input.movieId);
  const now = options.now ?? Date.now();
  const ratedAt = input.ratedAt ?? now;
  if (typeof ratedAt !== 'number' || !Number.isSafeInteger(ratedAt) || ratedAt < 0) {
    throw new InvalidInputError(`ratedAt must be epoch milliseconds, got ${JSON.stringify(input.ratedAt)}`);
  }
  const scale = options.scale ?? (await ratingScaleOf(db));
  if (typeof input.rating !== 'number' || !isOnScale(scale, input.rating)) {
    throw new InvalidInputError(
      `rating must be on the ${scale.min}–${scale.max} scale in steps of ${scale.step}, got ${JSON.stringify(input.rating)}`,
    );
  }
  const rating = input.rating;
  const like = likeThreshold(scale, options.likeThreshold);
  const windowDays = options.windowDays ?? 30;
  return db.transaction(
    async (tx) => {
      const store = qualityStore(tx);
      if (!(await store.movieExists(movieId))) throw new NotFoundError(`movieId ${movieId}: no such movie`);
      const newUser = await store.ensureUser(userId, now);
      const previousRating = await store.currentRating(userId, movieId);
      await store.upsertRating(userId, movieId, rating, ratedAt);
      const tracked = await trackRating(tx, {
        userId,
        movieId,
        rating,
        ratedAt,
        likeThreshold: like,
        windowDays,
        now,
      });
      return {
        userId,
        movieId,
        rating,
        ratedAt,
        previousRating,
        newUser,
        tracked,
      };
      // Concurrent ratings (the HTTP API under load) share one commit; each is its own savepoint,
      // so a rating for a missing movie fails alone, and each caller hears back after the commit.
    },
    { groupCommit: true },
  );
}
