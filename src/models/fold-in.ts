import { InvalidInputError } from '../errors.ts';
import { backSubstitute, choleskyInPlace, forwardSubstitute } from './cholesky.ts';
import type { Prediction, Recommendation, RecommendOptions } from './rating-model.ts';

/**
 * A user the model never trained on, folded in from their ratings: the model's fixed movie
 * parameters plus user parameters solved on the spot from the history (no refit). Predictions of
 * movies the model knows report `fallback: 'none'` — they are personal; a movie the model never
 * saw reports `unknown-movie`.
 */
export interface UserPredictor {
  /** Movies of the history the model knows (the ones the fold-in used). */
  readonly usedRatings: number;
  predict(movieId: number): Prediction;
  /** Clipped predictions for many movies (a blend combines its members' this way). */
  predictMany(movieIds: Int32Array): Float32Array;
  /** Same ordering and tie-breaking as `RatingModel.recommend` for a trained user. */
  recommend(options: RecommendOptions): Recommendation[];
}

/**
 * What a model computes for a folded-in user, in dense movie indices (-1 = unknown movie): the
 * unclipped estimate, and optionally a faster scoring of many movies at once.
 */
export interface FoldedUser {
  estimate(i: number): number;
  scoreMovies?(movies: Int32Array, out: Float64Array): void;
}

/** A history's movie ids and ratings as arrays, every rating checked (finite). */
export function historyArrays(
  kind: string,
  history: ReadonlyMap<number, number>,
): { movieIds: Int32Array; ratings: Float64Array } {
  const movieIds = new Int32Array(history.size);
  const ratings = new Float64Array(history.size);
  let k = 0;
  for (const [movieId, rating] of history) {
    if (!Number.isSafeInteger(movieId) || !Number.isFinite(rating)) {
      throw new InvalidInputError(
        `cannot fold a user into model ${kind}: history entry movie ${movieId} → rating ${rating} is not a whole movie id with a finite rating`,
      );
    }
    movieIds[k] = movieId;
    ratings[k] = rating;
    k++;
  }
  return { movieIds, ratings };
}

/**
 * Solves the symmetric positive definite system A x = b in place by Cholesky (A is d×d row-major,
 * overwritten by its factor; b becomes x). d is a model's factor count (≤ a few hundred), so the
 * d³/3 steps are well under a millisecond at the default sizes. A matrix that is not positive
 * definite (only possible with zero regularisation and too few ratings) gets a tiny ridge added.
 */
export function solveSpd(a: Float64Array, b: Float64Array, d: number): void {
  let jitter = 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (jitter > 0) for (let r = 0; r < d; r++) a[r * d + r]! += jitter;
    if (choleskyInPlace(a, d)) break;
    jitter = 1e-6 * (1 + maxDiagonal(a, d));
  }
  forwardSubstitute(a, d, b);
  backSubstitute(a, d, b);
}

function maxDiagonal(a: Float64Array, d: number): number {
  let m = 0;
  for (let r = 0; r < d; r++) m = Math.max(m, Math.abs(a[r * d + r]!));
  return m;
}
