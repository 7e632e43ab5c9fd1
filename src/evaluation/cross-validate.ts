import { likeThreshold } from '../data/rating-scale.ts';
import type { MovieInfo, RatingsData } from '../data/ratings-data.ts';
import {
  type DataSplit,
  kFoldSplits,
  materializeSplit,
  perUserHoldoutSplit,
  randomHoldoutSplit,
  temporalSplit,
} from '../data/splits.ts';
import { InvalidInputError } from '../errors.ts';
import { type RankingMetrics, rankingMetrics } from '../metrics/ranking-metrics.ts';
import { calibrateCutoff, likedAccuracy, ratingMetrics } from '../metrics/rating-metrics.ts';
import { createModel } from '../models/model-registry.ts';
import type { ModelParams, RatingModel } from '../models/rating-model.ts';
import { deriveSeed } from '../random/rng.ts';

/** The named single splits `evaluate --split` offers; k-fold is chosen with `folds`. */
export type SplitKind = 'holdout' | 'user' | 'temporal';
export const splitKinds: readonly SplitKind[] = ['holdout', 'user', 'temporal'];

/**
 * Called after every training epoch of every fold (once, as epoch 1, for models that are not
 * iterative). `model` can predict at that point, so a tuner can score `validation` (the fold's
 * test ratings) per epoch — e.g. `rmse(validation.ratings, model.predictMany(validation.users,
 * validation.movies))` — and return `false` to stop (prune). Stopping ends the whole
 * cross-validation after that fold: the result then has `stopped: true` and only the folds run.
 */
export type EpochHook = (
  fold: number,
  epoch: number,
  model: RatingModel,
  validation: RatingsData,
) => boolean | undefined;

export interface CrossValidateOptions {
  /** Registry name of the model (`svd`, `knn-baseline`, `blend`…). */
  readonly kind: string;
  readonly params?: ModelParams;
  readonly data: RatingsData;
  /** k of k-fold (default 5). Ignored when `split` is given. */
  readonly folds?: number;
  /** A single named split instead of k-fold, or explicit splits (e.g. the same ones for every trial). */
  readonly split?: SplitKind | readonly DataSplit[];
  /** Seeds the folds and each fold's model (fold f fits with `deriveSeed(seed, f)`); default 0. */
  readonly seed?: number;
  readonly movies?: ReadonlyMap<number, MovieInfo>;
  readonly onEpoch?: EpochHook;
  /** Cut-off of the ranking metrics (default 10). */
  readonly k?: number;
  /** Compute ranking metrics (default true). Tuning turns them off: they cost a top-k per user. */
  readonly ranking?: boolean;
  /** The like line on true ratings (default: by scale, 4 whole-star / 3.5 half-star). */
  readonly threshold?: number;
  /**
   * Also report `calibratedAccuracy`: liked accuracy with the cut-off on predictions chosen to
   * maximise accuracy on each fold's training ratings (models that shrink towards the mean read
   * better with a lower line). Costs a prediction of every training rating.
   * `accuracy` itself always uses the threshold. Default false.
   */
  readonly calibrateCutoff?: boolean;
  /** Builds the model; default: the registry's `createModel`. */
  readonly createModel?: (kind: string, params?: ModelParams) => RatingModel;
}

export interface FoldResult {
  readonly fold: number;
  readonly trainSize: number;
  readonly testSize: number;
  readonly rmse: number;
  readonly mae: number;
  readonly accuracy: number;
  readonly baselineAccuracy: number;
  /** Accuracy at the calibrated cut-off; null unless `calibrateCutoff` was asked for. */
  readonly calibratedAccuracy: number | null;
  /** The calibrated cut-off on predictions (null unless asked for). */
  readonly cutoff: number | null;
  /** Null when ranking metrics were not asked for. */
  readonly ranking: RankingMetrics | null;
  readonly fitSeconds: number;
  /** Wall time of predicting every test rating (not the ranking work). */
  readonly predictSeconds: number;
  /** Epochs the fit reported; fewer than asked when the hook stopped it. */
  readonly epochs: number;
  /** Test predictions that used a fallback (unknown user or movie). */
  readonly fallbacks: number;
}

/** Plain data: per-fold figures and their means (top-level `rmse` etc. are the means). */
export interface CrossValidationResult {
  readonly kind: string;
  readonly params: ModelParams;
  readonly seed: number;
  /** `5-fold`, `holdout`, `user`, `temporal` or `custom`. */
  readonly split: string;
  readonly threshold: number;
  readonly k: number;
  readonly folds: readonly FoldResult[];
  readonly rmse: number;
  readonly mae: number;
  readonly accuracy: number;
  readonly baselineAccuracy: number;
  readonly calibratedAccuracy: number | null;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly ndcg: number | null;
  readonly map: number | null;
  readonly hitRate: number | null;
  readonly coverage: number | null;
  readonly fitSeconds: number;
  readonly predictSeconds: number;
  /** True when the epoch hook stopped training (the result covers only the folds run). */
  readonly stopped: boolean;
}

/** The splits `options` ask for, and their label. */
export function splitsFor(
  data: RatingsData,
  options: { folds?: number; split?: SplitKind | readonly DataSplit[]; seed?: number },
): { label: string; splits: readonly DataSplit[] } {
  const seed = options.seed ?? 0;
  const split = options.split;
  if (split === undefined) {
    const folds = options.folds ?? 5;
    return { label: `${folds}-fold`, splits: kFoldSplits(data, { folds, seed }) };
  }
  if (typeof split !== 'string') {
    if (split.length === 0) throw new InvalidInputError('split must hold at least one train/test split');
    return { label: 'custom', splits: split };
  }
  switch (split) {
    case 'holdout':
      return { label: split, splits: [randomHoldoutSplit(data, { testFraction: 0.2, seed })] };
    case 'user':
      return { label: split, splits: [perUserHoldoutSplit(data, { perUser: 5, minTrain: 5, seed })] };
    case 'temporal':
      return { label: split, splits: [temporalSplit(data, { testFraction: 0.2 })] };
    default:
      throw new InvalidInputError(
        `split must be one of ${splitKinds.join(', ')}, got ${JSON.stringify(split)}`,
      );
  }
}

/**
 * Fits the model on each training part and measures it on the matching test part: rating metrics
 * on every test rating; ranking metrics from each test user's top-k among the movies they did not
 * rate in training, relevant = their test movies rated at or above the like line. Async so that a
 * server or worker running it stays responsive: it yields to the event loop between folds. It is
 * long because the per-fold fit, the rating metrics and the ranking metrics accumulate into the
 * same running sums.
 */
export async function crossValidate(options: CrossValidateOptions): Promise<CrossValidationResult> {
  const { data, kind } = options;
  const seed = options.seed ?? 0;
  const k = options.k ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new InvalidInputError(`k must be a whole number ≥ 1, got ${k}`);
  if (data.size === 0) throw new InvalidInputError('cannot evaluate on an empty set of ratings');
  const threshold = likeThreshold(data.scale, options.threshold);
  const make = options.createModel ?? createModel;
  const { label, splits } = splitsFor(data, options);
  const wantRanking = options.ranking ?? true;

  const folds: FoldResult[] = [];
  let stopped = false;
  let params: ModelParams = options.params ?? {};
  for (let f = 0; f < splits.length && !stopped; f++) {
    if (f > 0) await new Promise((resolve) => setImmediate(resolve));
    const { train, test } = materializeSplit(data, splits[f]!);
    const model = make(kind, options.params);
    params = model.params;
    let epochs = 0;
    const hook = options.onEpoch;
    const t0 = performance.now();
    model.fit(train, {
      seed: deriveSeed(seed, f),
      ...(options.movies ? { movies: options.movies } : {}),
      onEpoch: (epoch) => {
        epochs = epoch;
        if (hook && hook(f, epoch, model, test) === false) {
          stopped = true;
          return false;
        }
        return true;
      },
    });
    const fitSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const predicted = model.predictMany(test.users, test.movies);
    const predictSeconds = (performance.now() - t1) / 1000;

    let cutoff: number | null = null;
    if (options.calibrateCutoff) {
      cutoff = calibrateCutoff(train.ratings, model.predictMany(train.users, train.movies), threshold);
    }
    const metrics = ratingMetrics(test.ratings, predicted, {
      scale: data.scale,
      trainActual: train.ratings,
      threshold,
    });
    folds.push({
      fold: f,
      trainSize: train.size,
      testSize: test.size,
      rmse: metrics.rmse,
      mae: metrics.mae,
      accuracy: metrics.accuracy,
      baselineAccuracy: metrics.baselineAccuracy,
      calibratedAccuracy: cutoff === null ? null : likedAccuracy(test.ratings, predicted, threshold, cutoff),
      cutoff,
      ranking: wantRanking ? foldRanking(model, train, test, threshold, k) : null,
      fitSeconds,
      predictSeconds,
      epochs,
      fallbacks: countFallbacks(train, test),
    });
  }

  const mean = (get: (f: FoldResult) => number) => folds.reduce((s, f) => s + get(f), 0) / folds.length;
  const meanRanking = (get: (r: RankingMetrics) => number) =>
    wantRanking ? mean((f) => (f.ranking ? get(f.ranking) : Number.NaN)) : null;
  return {
    kind,
    params,
    seed,
    split: label,
    threshold,
    k,
    folds,
    rmse: mean((f) => f.rmse),
    mae: mean((f) => f.mae),
    accuracy: mean((f) => f.accuracy),
    baselineAccuracy: mean((f) => f.baselineAccuracy),
    calibratedAccuracy: options.calibrateCutoff ? mean((f) => f.calibratedAccuracy ?? Number.NaN) : null,
    precision: meanRanking((r) => r.precision),
    recall: meanRanking((r) => r.recall),
    ndcg: meanRanking((r) => r.ndcg),
    map: meanRanking((r) => r.map),
    hitRate: meanRanking((r) => r.hitRate),
    coverage: meanRanking((r) => r.coverage),
    fitSeconds: mean((f) => f.fitSeconds),
    predictSeconds: mean((f) => f.predictSeconds),
    stopped,
  };
}

/** Test pairs whose user or movie never appears in training (the model had to fall back). */
function countFallbacks(train: RatingsData, test: RatingsData): number {
  const users = new Set(train.users);
  const movies = new Set(train.movies);
  let n = 0;
  for (let i = 0; i < test.size; i++) {
    if (!users.has(test.users[i]!) || !movies.has(test.movies[i]!)) n++;
  }
  return n;
}

/** Ranking metrics of one fold: each test user's top-k over the movies unseen in their training. */
export function foldRanking(
  model: RatingModel,
  train: RatingsData,
  test: RatingsData,
  threshold: number,
  k: number,
): RankingMetrics {
  const relevant = new Map<number, Set<number>>();
  for (let i = 0; i < test.size; i++) {
    if (test.ratings[i]! < threshold) continue;
    const u = test.users[i]!;
    let set = relevant.get(u);
    if (!set) {
      set = new Set();
      relevant.set(u, set);
    }
    set.add(test.movies[i]!);
  }
  const seen = new Map<number, Set<number>>();
  const catalogue = new Set<number>();
  for (let i = 0; i < train.size; i++) {
    const u = train.users[i]!;
    catalogue.add(train.movies[i]!);
    if (!relevant.has(u)) continue;
    let set = seen.get(u);
    if (!set) {
      set = new Set();
      seen.set(u, set);
    }
    set.add(train.movies[i]!);
  }
  const recommendations = new Map<number, number[]>();
  for (const user of [...relevant.keys()].sort((a, b) => a - b)) {
    const recs = model.recommend(user, { n: k, exclude: seen.get(user) ?? new Set() });
    recommendations.set(
      user,
      recs.map((r) => r.movieId),
    );
  }
  return rankingMetrics(recommendations, relevant, k, catalogue.size);
}
