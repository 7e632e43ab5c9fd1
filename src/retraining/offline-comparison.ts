import { likeThreshold } from '../data/rating-scale.ts';
import { type RatingsData, ratingsTimeRange, subsetRatings } from '../data/ratings-data.ts';
import { type HoldoutMetrics, holdoutMetrics } from '../evaluation/holdout.ts';
import { type Estimate, proportion, z95 } from '../experiments/statistics.ts';
import { type RatingMetrics, ratingMetrics } from '../metrics/rating-metrics.ts';
import type { RatingModel } from '../models/rating-model.ts';

/** Fewer ratings than this since the champion's data ended: no fair offline comparison. */
export const minFairHoldout = 100;

/** Which ratings the comparison scored, and why those. */
export interface Holdout {
  /** `since-champion`: every rating after the champion's training data ended (neither model saw them). */
  readonly basis: 'since-champion' | 'none';
  readonly rows: number;
  /** Oldest and newest rating time of the holdout, epoch ms (null when empty). */
  readonly from: number | null;
  readonly to: number | null;
  /** The champion whose lineage chose the holdout, and where its training data ended. */
  readonly championVersion: number | null;
  readonly championDataTo: number | null;
}

/** One model's score on the holdout: liked accuracy with its 95 % Wilson interval, and RMSE. */
export interface HoldoutScore {
  readonly accuracy: Estimate;
  readonly rmse: number;
  readonly mae: number;
}

/**
 * The champion and a challenger scored on ratings neither was trained on. `fair` is false (and
 * `note` says why) when there were too few such ratings: the decision then falls to policy (an
 * A/B test), not to these numbers.
 */
export interface OfflineComparison {
  readonly fair: boolean;
  readonly note: string | null;
  readonly holdout: Holdout;
  readonly challenger: HoldoutScore | null;
  readonly champion: HoldoutScore | null;
  /** Challenger − champion accuracy, paired on the same ratings, with its 95 % interval. */
  readonly gainPoints: Estimate | null;
  /** gainPoints / champion accuracy, interval included; null without a fair comparison. */
  readonly relativeGain: Estimate | null;
}

/** The candidate's own holdout metrics (the most recent ratings), stored with its version. */
export type RecentHoldoutMetrics = HoldoutMetrics;

export { holdoutMetrics };

/** The data split at a time: ratings at or before `cut` train, the ones after it are held out. */
export function splitAtTime(data: RatingsData, cut: number): { before: RatingsData; after: RatingsData } {
  const before: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < data.size; i++) (data.timestamps[i]! > cut ? after : before).push(i);
  return { before: subsetRatings(data, before), after: subsetRatings(data, after) };
}

/** The holdout a champion's lineage defines: the ratings after its training data ended. */
export function holdoutSinceChampion(
  data: RatingsData,
  champion: { readonly version: number; readonly dataTo: number | null } | null,
): { holdout: Holdout; before: RatingsData; after: RatingsData } | null {
  if (!champion || champion.dataTo === null) return null;
  const { before, after } = splitAtTime(data, champion.dataTo);
  const range = ratingsTimeRange(after);
  return {
    holdout: {
      basis: 'since-champion',
      rows: after.size,
      ...range,
      championVersion: champion.version,
      championDataTo: champion.dataTo,
    },
    before,
    after,
  };
}

function hits(
  model: RatingModel,
  test: RatingsData,
  threshold: number,
): { hit: Uint8Array; m: RatingMetrics } {
  const predicted = model.predictMany(test.users, test.movies);
  const hit = new Uint8Array(test.size);
  for (let i = 0; i < test.size; i++)
    hit[i] = test.ratings[i]! >= threshold === predicted[i]! >= threshold ? 1 : 0;
  const m = ratingMetrics(test.ratings, predicted, {
    scale: test.scale,
    trainActual: test.ratings,
    threshold,
  });
  return { hit, m };
}

function scoreOf(hit: Uint8Array, m: RatingMetrics): HoldoutScore {
  let n = 0;
  for (const h of hit) n += h;
  return { accuracy: proportion(n, hit.length), rmse: m.rmse, mae: m.mae };
}

/**
 * The paired difference of two models' hits on the same ratings (b − a): its mean and a normal
 * 95 % interval from the variance of the per-rating differences, which is much narrower than
 * treating the two accuracies as independent samples, since both models find the same ratings easy.
 */
export function pairedGain(a: Uint8Array, b: Uint8Array): Estimate {
  const n = a.length;
  if (n < 2) return { value: Number.NaN, low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY };
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const d = b[i]! - a[i]!;
    sum += d;
    sumSq += d * d;
  }
  const mean = sum / n;
  const variance = (sumSq - n * mean * mean) / (n - 1);
  const se = Math.sqrt(Math.max(0, variance) / n);
  return { value: mean, low: mean - z95 * se, high: mean + z95 * se };
}

/** No fair comparison possible: the reason, and the holdout that was too small (if any). */
export function unfairComparison(note: string, holdout: Holdout | null): OfflineComparison {
  return {
    fair: false,
    note,
    holdout: holdout ?? {
      basis: 'none',
      rows: 0,
      from: null,
      to: null,
      championVersion: null,
      championDataTo: null,
    },
    challenger: null,
    champion: null,
    gainPoints: null,
    relativeGain: null,
  };
}

/**
 * Scores the challenger (fitted without the holdout) and the champion on the same holdout: ratings
 * that arrived after the champion's training data ended, so neither model has seen them. Liked
 * accuracy decides; RMSE is reported beside it.
 */
export function compareOnHoldout(
  challenger: RatingModel,
  champion: RatingModel,
  holdout: Holdout,
  test: RatingsData,
  likeOverride?: number,
): OfflineComparison {
  const threshold = likeThreshold(test.scale, likeOverride);
  const c = hits(challenger, test, threshold);
  const h = hits(champion, test, threshold);
  const challengerScore = scoreOf(c.hit, c.m);
  const championScore = scoreOf(h.hit, h.m);
  const gain = pairedGain(h.hit, c.hit);
  const base = championScore.accuracy.value;
  return {
    fair: true,
    note: null,
    holdout,
    challenger: challengerScore,
    champion: championScore,
    gainPoints: gain,
    relativeGain:
      base > 0 ? { value: gain.value / base, low: gain.low / base, high: gain.high / base } : null,
  };
}
