import { likeThreshold } from '../data/rating-scale.ts';
import type { RatingsData } from '../data/ratings-data.ts';
import { type RatingMetrics, ratingMetrics } from '../metrics/rating-metrics.ts';
import type { RatingModel } from '../models/rating-model.ts';

/** The candidate and the champion scored on the same recent holdout. */
export interface OfflineComparison {
  readonly holdoutRows: number;
  readonly holdoutFrom: number | null;
  readonly candidate: RatingMetrics;
  /** Null when there is no champion to compare with (or its artifact could not be read). */
  readonly champion: RatingMetrics | null;
  /** (candidate − champion) / champion liked-accuracy; null without a champion. */
  readonly relativeImprovement: number | null;
  /** candidate − champion RMSE (negative is better); null without a champion. */
  readonly rmseChange: number | null;
}

function score(model: RatingModel, test: RatingsData, train: RatingsData, threshold: number): RatingMetrics {
  const predicted = model.predictMany(test.users, test.movies);
  return ratingMetrics(test.ratings, predicted, { scale: test.scale, trainActual: train.ratings, threshold });
}

/**
 * Scores the candidate (fitted on `train` only) and the champion on the same holdout: the most
 * recent ratings, which is what a model serving tomorrow must get right. Liked accuracy decides;
 * RMSE is reported beside it. The champion may have been trained on part of the holdout period (it
 * was fitted later than the cut), which favours the champion, never the candidate.
 */
export function compareOffline(
  candidate: RatingModel,
  champion: RatingModel | null,
  train: RatingsData,
  test: RatingsData,
  likeOverride?: number,
): OfflineComparison {
  const threshold = likeThreshold(test.scale, likeOverride);
  const c = score(candidate, test, train, threshold);
  const h = champion ? score(champion, test, train, threshold) : null;
  let from: number | null = null;
  for (let i = 0; i < test.size; i++) {
    const ts = test.timestamps[i]!;
    if (from === null || ts < from) from = ts;
  }
  return {
    holdoutRows: test.size,
    holdoutFrom: from,
    candidate: c,
    champion: h,
    relativeImprovement: h && h.accuracy > 0 ? (c.accuracy - h.accuracy) / h.accuracy : null,
    rmseChange: h ? c.rmse - h.rmse : null,
  };
}
