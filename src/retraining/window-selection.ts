import { type MovieInfo, type RatingsData, subsetRatings } from '../data/ratings-data.ts';
import { createModel } from '../models/model-registry.ts';
import type { ModelParams, RatingModel } from '../models/rating-model.ts';
import { holdoutMetrics } from './offline-comparison.ts';

const dayMs = 86_400_000;

/** The rows rated at or after `from`. */
export function sinceTime(data: RatingsData, from: number): RatingsData {
  const keep: number[] = [];
  for (let i = 0; i < data.size; i++) if (data.timestamps[i]! >= from) keep.push(i);
  return keep.length === data.size ? data : subsetRatings(data, keep);
}

export function minTime(data: RatingsData): number {
  let t = Number.POSITIVE_INFINITY;
  for (let i = 0; i < data.size; i++) if (data.timestamps[i]! < t) t = data.timestamps[i]!;
  return t;
}

export interface WindowTrial {
  /** How far back before the holdout the model was trained, days; null for everything loaded. */
  readonly spanDays: number | null;
  readonly trainRows: number;
  readonly holdoutRmse: number;
  readonly holdoutAccuracy: number;
}

/**
 * Fits the model on everything before the holdout, and on the last three quarters, half and quarter of the
 * window before it, and keeps the one with the lowest RMSE on the holdout (the most recent
 * ratings). When tastes have changed, older ratings teach the model what users no longer like and
 * a shorter span wins; when they have not, more data wins. Those recent ratings may also lie in
 * the fair comparison's holdout (everything after the champion's data ended), so the span choice
 * carries a slight optimism for the challenger there: the best of at most four spans.
 */
export function fitWithWindowSelection(input: {
  readonly kind: string;
  readonly params: ModelParams | null;
  readonly train: RatingsData;
  readonly test: RatingsData;
  readonly seed: number;
  readonly movies: ReadonlyMap<number, MovieInfo>;
  readonly windowDays: number;
  readonly select: boolean;
  readonly likeThreshold?: number;
}): { model: RatingModel; spanMs: number | null; trainRows: number; tried: WindowTrial[] } {
  const cut = input.test.size > 0 ? minTime(input.test) : Number.POSITIVE_INFINITY;
  const spans: Array<number | null> = [null];
  if (input.select && Number.isFinite(cut)) {
    const oldest = minTime(input.train);
    for (const f of [0.75, 0.5, 0.25]) {
      const span = f * input.windowDays * dayMs;
      if (cut - span > oldest) spans.push(span);
    }
  }
  let best: { model: RatingModel; spanMs: number | null; trainRows: number; rmse: number } | null = null;
  const tried: WindowTrial[] = [];
  for (const span of spans) {
    const data = span === null ? input.train : sinceTime(input.train, cut - span);
    if (span !== null && data.size < 20) continue;
    const model = createModel(input.kind, input.params ?? undefined);
    model.fit(data, { seed: input.seed, movies: input.movies });
    if (spans.length === 1) return { model, spanMs: span, trainRows: data.size, tried };
    const { metrics } = holdoutMetrics(model, data, input.test, input.likeThreshold);
    tried.push({
      spanDays: span === null ? null : span / dayMs,
      trainRows: data.size,
      holdoutRmse: metrics.rmse,
      holdoutAccuracy: metrics.accuracy,
    });
    if (!best || metrics.rmse < best.rmse)
      best = { model, spanMs: span, trainRows: data.size, rmse: metrics.rmse };
  }
  if (!best) throw new Error('no training window had enough ratings');
  return { model: best.model, spanMs: best.spanMs, trainRows: best.trainRows, tried };
}
