import { likeThreshold, type RatingScale } from '../data/rating-scale.ts';
import { InvalidInputError } from '../errors.ts';

/**
 * Rating metrics over parallel arrays of true and predicted ratings. Plain functions on typed
 * arrays: evaluation calls them once per fold on ~20k pairs, tuning once per epoch.
 */

function requireSameLength(actual: ArrayLike<number>, predicted: ArrayLike<number>): void {
  if (actual.length !== predicted.length) {
    throw new InvalidInputError(
      `predicted has ${predicted.length} values but actual has ${actual.length}; they must pair up`,
    );
  }
}

/** Root mean squared error; NaN for no pairs (there is nothing to measure, not a perfect score). */
export function rmse(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  requireSameLength(actual, predicted);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = actual[i]! - predicted[i]!;
    sum += e * e;
  }
  return actual.length === 0 ? Number.NaN : Math.sqrt(sum / actual.length);
}

/** Mean absolute error; NaN for no pairs. */
export function mae(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  requireSameLength(actual, predicted);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += Math.abs(actual[i]! - predicted[i]!);
  return actual.length === 0 ? Number.NaN : sum / actual.length;
}

/**
 * Liked accuracy: a prediction is right when it puts the movie on the same
 * side of the like line as the user's rating — liked means `actual ≥ threshold`, predicted-liked
 * means `predicted ≥ cutoff` (the cut-off defaults to the threshold; `calibrateCutoff` can choose
 * it on training data, since a model that shrinks towards the mean may be better read with a
 * slightly lower or higher line). NaN for no pairs.
 */
export function likedAccuracy(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  threshold: number,
  cutoff: number = threshold,
): number {
  requireSameLength(actual, predicted);
  let right = 0;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i]! >= threshold === predicted[i]! >= cutoff) right++;
  }
  return actual.length === 0 ? Number.NaN : right / actual.length;
}

/**
 * The cut-off on predictions that maximises liked accuracy on the given (training) pairs. Sweeps
 * every distinct predicted value once after a sort, O(n log n). Ties in accuracy go to the cut-off
 * nearest the threshold, so with no evidence the answer is the threshold itself.
 */
export function calibrateCutoff(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  threshold: number,
): number {
  requireSameLength(actual, predicted);
  const n = actual.length;
  if (n === 0) return threshold;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => predicted[a]! - predicted[b]!);
  let liked = 0;
  for (let i = 0; i < n; i++) if (actual[i]! >= threshold) liked++;
  // Cut-off below every prediction: all predicted liked, right = liked.
  let right = liked;
  let bestRight = right;
  let best = threshold;
  let bestDistance = Number.POSITIVE_INFINITY;
  const consider = (cut: number, r: number) => {
    const d = Math.abs(cut - threshold);
    if (r > bestRight || (r === bestRight && d < bestDistance)) {
      bestRight = r;
      best = cut;
      bestDistance = d;
    }
  };
  consider(predicted[order[0]!]!, right);
  for (let i = 0; i < n; ) {
    const value = predicted[order[i]!]!;
    // Move every pair with this predicted value below the cut-off.
    while (i < n && predicted[order[i]!]! === value) {
      right += actual[order[i]!]! >= threshold ? -1 : 1;
      i++;
    }
    const next = i < n ? predicted[order[i]!]! : value + 1e-6;
    // Any cut in (value, next] classifies alike; take its midpoint, or the threshold if inside.
    const cut = threshold > value && threshold <= next ? threshold : (value + next) / 2;
    consider(cut, right);
  }
  return best;
}

/**
 * Accuracy of always answering the training set's majority class ("liked" or "not liked") on
 * the test ratings — what "+x % vs baseline" is measured against.
 */
export function majorityBaselineAccuracy(
  trainActual: ArrayLike<number>,
  testActual: ArrayLike<number>,
  threshold: number,
): number {
  let likedTrain = 0;
  for (let i = 0; i < trainActual.length; i++) if (trainActual[i]! >= threshold) likedTrain++;
  const majorityLiked = likedTrain * 2 >= trainActual.length;
  let right = 0;
  for (let i = 0; i < testActual.length; i++) if (testActual[i]! >= threshold === majorityLiked) right++;
  return testActual.length === 0 ? Number.NaN : right / testActual.length;
}

export interface RatingMetrics {
  readonly rmse: number;
  readonly mae: number;
  readonly accuracy: number;
  readonly baselineAccuracy: number;
  /** The like line on true ratings. */
  readonly threshold: number;
  /** The line applied to predictions (the threshold unless calibrated). */
  readonly cutoff: number;
  readonly count: number;
}

/** All rating metrics of one test set; the majority baseline comes from the training ratings. */
export function ratingMetrics(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  options: {
    readonly scale: RatingScale;
    readonly trainActual: ArrayLike<number>;
    readonly threshold?: number;
    readonly cutoff?: number;
  },
): RatingMetrics {
  const threshold = likeThreshold(options.scale, options.threshold);
  const cutoff = options.cutoff ?? threshold;
  return {
    rmse: rmse(actual, predicted),
    mae: mae(actual, predicted),
    accuracy: likedAccuracy(actual, predicted, threshold, cutoff),
    baselineAccuracy: majorityBaselineAccuracy(options.trainActual, actual, threshold),
    threshold,
    cutoff,
    count: actual.length,
  };
}
