import { likeThreshold } from '../data/rating-scale.ts';
import { type MovieInfo, type RatingsData, subsetRatings } from '../data/ratings-data.ts';
import { temporalSplit } from '../data/splits.ts';
import { type RatingMetrics, ratingMetrics } from '../metrics/rating-metrics.ts';
import type { FitOptions, RatingModel } from '../models/rating-model.ts';

/** A model's metrics on a holdout, and which ratings that was. */
export interface HoldoutMetrics {
  readonly rows: number;
  /** Oldest rating time of the holdout, epoch ms (null when empty). */
  readonly from: number | null;
  readonly metrics: RatingMetrics;
}

function oldest(data: RatingsData): number | null {
  let t = Number.POSITIVE_INFINITY;
  for (let i = 0; i < data.size; i++) if (data.timestamps[i]! < t) t = data.timestamps[i]!;
  return data.size ? t : null;
}

/** A fitted model's metrics on `test` (the majority baseline from `train`'s ratings). */
export function holdoutMetrics(
  model: RatingModel,
  train: { readonly ratings: ArrayLike<number> },
  test: RatingsData,
  likeOverride?: number,
): HoldoutMetrics {
  const threshold = likeThreshold(test.scale, likeOverride);
  const predicted = model.predictMany(test.users, test.movies);
  return {
    rows: test.size,
    from: oldest(test),
    metrics: ratingMetrics(test.ratings, predicted, {
      scale: test.scale,
      trainActual: train.ratings,
      threshold,
    }),
  };
}

/**
 * Measures a configuration the way a retrain measures its candidate: fitted (seeded) on all but the
 * most recent `fraction` of the ratings, scored on those most recent ones — what a model serving
 * tomorrow must get right. `make` returns a fresh, unfitted model each call. The model trains on
 * the older rows in place (`FitOptions.rows`) and only the recent ones are copied, after the fit:
 * a copy of the training side would be 18 bytes per rating alive through the fit.
 */
export function evaluateOnRecentHoldout(input: {
  readonly make: () => RatingModel;
  readonly data: RatingsData;
  readonly movies?: ReadonlyMap<number, MovieInfo>;
  readonly seed: number;
  readonly fraction: number;
  readonly likeThreshold?: number;
}): HoldoutMetrics {
  const { data } = input;
  const split = temporalSplit(data, { testFraction: input.fraction });
  const model = input.make();
  fitOnRows(model, data, split.trainIndices, {
    seed: input.seed,
    ...(input.movies ? { movies: input.movies } : {}),
  });
  const trainRatings = new Float32Array(split.trainIndices.length);
  for (let k = 0; k < trainRatings.length; k++) trainRatings[k] = data.ratings[split.trainIndices[k]!]!;
  const test = subsetRatings(data, split.testIndices);
  return holdoutMetrics(model, { ratings: trainRatings }, test, input.likeThreshold);
}

/**
 * Fits `model` on rows `rows` of `data`: in place when the model honours `FitOptions.rows`
 * (`fitsRows`), else on a copy of those rows (a model written outside this library).
 */
export function fitOnRows(
  model: RatingModel,
  data: RatingsData,
  rows: Int32Array,
  options: Omit<FitOptions, 'rows'> = {},
): void {
  if (model.fitsRows) model.fit(data, { ...options, rows });
  else model.fit(subsetRatings(data, rows), options);
}

/** The holdout metrics as the flat numbers a version stores (the same keys a retrain stores). */
export function holdoutVersionMetrics(h: HoldoutMetrics): Record<string, number> {
  const out: Record<string, number> = {
    holdoutRows: h.rows,
    rmse: h.metrics.rmse,
    mae: h.metrics.mae,
    accuracy: h.metrics.accuracy,
    baselineAccuracy: h.metrics.baselineAccuracy,
  };
  for (const [k, v] of Object.entries(out)) if (!Number.isFinite(v)) delete out[k];
  return out;
}
