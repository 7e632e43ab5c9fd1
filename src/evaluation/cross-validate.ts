import { idMarks } from '../data/id-marks.ts';
import { likeThreshold } from '../data/rating-scale.ts';
import { type MovieInfo, type RatingsData, subsetRatings } from '../data/ratings-data.ts';
import type { DataSplit } from '../data/splits.ts';
import { InvalidInputError } from '../errors.ts';
import { requireWholeNumber } from '../input-schemas.ts';
import type { RankingMetrics } from '../metrics/ranking-metrics.ts';
import { calibrateCutoff, likedAccuracy, ratingMetrics } from '../metrics/rating-metrics.ts';
import { createModel } from '../models/model-registry.ts';
import type { ModelParams, RatingModel } from '../models/rating-model.ts';
import { deriveSeed } from '../random/rng.ts';
import { rankFold } from './fold-ranking.ts';
import { fitOnRows } from './holdout.ts';
import { lazySplitsFor, type SplitKind, splitLabel } from './split-choice.ts';

export { type FoldRanking, type FoldRankingOptions, foldRanking, rankFold } from './fold-ranking.ts';

export { type SplitKind, splitKinds, splitsFor } from './split-choice.ts';

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
  /**
   * Rank only a seeded sample of this many users per fold (from those with a relevant test
   * movie); default every such user. The result says so (`rankingUsers`).
   */
  readonly rankingUsers?: number;
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
  /** Users ranked, and how many had a relevant test movie (more when a sample was asked for). */
  readonly rankingUsers: number;
  readonly rankingCandidates: number;
  /** Wall time of the ranking step (0 without ranking metrics). */
  readonly rankingSeconds: number;
  /** CPU time of the ranking step, every thread of the process (0 without ranking metrics). */
  readonly rankingCpuSeconds: number;
  /** Scoring throughput of the factor kernel, GFLOP/s; null when the model was scored per user. */
  readonly rankingGflops: number | null;
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
  /** The sample size asked for with `rankingUsers`, or null: every user with a relevant movie. */
  readonly rankingUsers: number | null;
  /** Mean wall time of a fold's ranking step. */
  readonly rankingSeconds: number;
  /**
   * Factor-kernel scoring throughput over all folds: 2 × factors (rounded up to a multiple of 4) ×
   * users × movies per fold, over the seconds of scoring; null without a factor model or ranking.
   */
  readonly rankingGflops: number | null;
  readonly fitSeconds: number;
  readonly predictSeconds: number;
  /** True when the epoch hook stopped training (the result covers only the folds run). */
  readonly stopped: boolean;
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
  const { k, threshold } = checkedOptions(options);
  const { count, split } = lazySplitsFor(options.data, options);
  const runs: FoldRun[] = [];
  for (let f = 0; f < count && !runs.at(-1)?.stopped; f++) {
    if (f > 0) await new Promise((resolve) => setImmediate(resolve));
    runs.push(runFold(options, f, split(f), threshold, k));
  }
  return summarizeFolds(options, runs);
}

/**
 * Fold f of `crossValidate(options)` alone, as plain data: folds of one cross-validation can run
 * in different threads, and `summarizeFolds` joins them into the result `crossValidate` gives.
 * Give explicit splits (`split: DataSplit[]`): k-fold would shuffle the rows again for every fold.
 */
export function crossValidateFold(options: CrossValidateOptions, f: number): FoldRun {
  const { k, threshold } = checkedOptions(options);
  const { count, split } = lazySplitsFor(options.data, options);
  if (!(Number.isInteger(f) && f >= 0 && f < count)) {
    throw new InvalidInputError(`fold must be a whole number in 0…${count - 1}, got ${f}`);
  }
  return runFold(options, f, split(f), threshold, k);
}

/** The result of `crossValidate(options)` from its folds' runs, in fold order. */
export function summarizeFolds(
  options: CrossValidateOptions,
  runs: readonly FoldRun[],
): CrossValidationResult {
  const { k, threshold } = checkedOptions(options);
  return summarize(options, splitLabel(options), threshold, k, runs);
}

/** Refuses what no fold could run on; the cut-off k and the like line of the ranking metrics. */
function checkedOptions(options: CrossValidateOptions): { k: number; threshold: number } {
  const { data } = options;
  const k = options.k ?? 10;
  requireWholeNumber('k', k, { min: 1 });
  if (data.size === 0) throw new InvalidInputError('cannot evaluate on an empty set of ratings');
  const sample = options.rankingUsers;
  if (sample !== undefined) requireWholeNumber('rankingUsers', sample, { min: 1 });
  return { k, threshold: likeThreshold(data.scale, options.threshold) };
}

/** One fold's result and what the summary needs besides it (plain data: it can cross threads). */
export interface FoldRun {
  readonly result: FoldResult;
  readonly params: ModelParams;
  readonly stopped: boolean;
  readonly flops: number;
  readonly scoringSeconds: number;
}

/**
 * Fits fold f's model on its training part and measures it on its test part. The training part
 * stays rows of the data (`FitOptions.rows`, and row-wise exclusions for the ranking); only the
 * test part is copied: a copy of both was 20 bytes per rating alive through each fold.
 */
function runFold(
  options: CrossValidateOptions,
  f: number,
  split: DataSplit,
  threshold: number,
  k: number,
): FoldRun {
  const seed = options.seed ?? 0;
  const { data } = options;
  const rows = split.trainIndices;
  const test = subsetRatings(data, split.testIndices);
  const model = (options.createModel ?? createModel)(options.kind, options.params);
  const { epochs, stopped, seconds: fitSeconds } = fitFold(options, f, model, rows, test);
  const t1 = performance.now();
  const predicted = model.predictMany(test.users, test.movies);
  const predictSeconds = (performance.now() - t1) / 1000;
  const trainRatings = gather(data.ratings, rows);
  const cutoff = options.calibrateCutoff ? trainingCutoff(model, data, rows, trainRatings, threshold) : null;
  const sample = options.rankingUsers;
  const ranked =
    (options.ranking ?? true)
      ? rankFold(model, data, test, threshold, k, {
          ...(sample !== undefined ? { users: sample } : {}),
          seed: deriveSeed(seed, `ranking-${f}`),
          trainRows: rows,
        })
      : null;
  const metrics = ratingMetrics(test.ratings, predicted, {
    scale: data.scale,
    trainActual: trainRatings,
    threshold,
  });
  const result: FoldResult = {
    fold: f,
    trainSize: rows.length,
    testSize: test.size,
    rmse: metrics.rmse,
    mae: metrics.mae,
    accuracy: metrics.accuracy,
    baselineAccuracy: metrics.baselineAccuracy,
    calibratedAccuracy: cutoff === null ? null : likedAccuracy(test.ratings, predicted, threshold, cutoff),
    cutoff,
    ranking: ranked?.metrics ?? null,
    rankingUsers: ranked?.ranked ?? 0,
    rankingCandidates: ranked?.candidates ?? 0,
    rankingSeconds: ranked?.seconds ?? 0,
    rankingCpuSeconds: ranked?.cpuSeconds ?? 0,
    rankingGflops: ranked && ranked.flops > 0 ? ranked.flops / ranked.scoringSeconds / 1e9 : null,
    fitSeconds,
    predictSeconds,
    epochs,
    fallbacks: countFallbacks(data, rows, test),
  };
  const flops = ranked?.flops ?? 0;
  return { result, params: model.params, stopped, flops, scoringSeconds: ranked?.scoringSeconds ?? 0 };
}

/** The liked cut-off calibrated on the model's predictions of its training rows. */
function trainingCutoff(
  model: RatingModel,
  data: RatingsData,
  rows: Int32Array,
  trainRatings: Float32Array,
  threshold: number,
): number {
  const predicted = model.predictMany(gather(data.users, rows), gather(data.movies, rows));
  return calibrateCutoff(trainRatings, predicted, threshold);
}

/** `column[rows[k]]` for every k, as a new array of the column's type. */
function gather<T extends Int32Array | Float32Array>(column: T, rows: Int32Array): T {
  const out = new (column.constructor as new (n: number) => T)(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = column[rows[k]!]!;
  return out;
}

/** Fits fold f's model on the training rows, passing each epoch to the hook; whether it stopped. */
function fitFold(
  options: CrossValidateOptions,
  f: number,
  model: RatingModel,
  rows: Int32Array,
  test: RatingsData,
): { epochs: number; stopped: boolean; seconds: number } {
  let epochs = 0;
  let stopped = false;
  const hook = options.onEpoch;
  const t0 = performance.now();
  fitOnRows(model, options.data, rows, {
    seed: deriveSeed(options.seed ?? 0, f),
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
  return { epochs, stopped, seconds: (performance.now() - t0) / 1000 };
}

/** The per-fold results and their means. */
function summarize(
  options: CrossValidateOptions,
  label: string,
  threshold: number,
  k: number,
  runs: readonly FoldRun[],
): CrossValidationResult {
  const folds = runs.map((r) => r.result);
  const wantRanking = options.ranking ?? true;
  const mean = (get: (f: FoldResult) => number) => folds.reduce((s, f) => s + get(f), 0) / folds.length;
  const meanRanking = (get: (r: RankingMetrics) => number) =>
    wantRanking ? mean((f) => (f.ranking ? get(f.ranking) : Number.NaN)) : null;
  const flops = runs.reduce((s, r) => s + r.flops, 0);
  const scoringSeconds = runs.reduce((s, r) => s + r.scoringSeconds, 0);
  return {
    kind: options.kind,
    params: runs.at(-1)?.params ?? options.params ?? {},
    seed: options.seed ?? 0,
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
    rankingUsers: wantRanking ? (options.rankingUsers ?? null) : null,
    rankingSeconds: mean((f) => f.rankingSeconds),
    rankingGflops: flops > 0 ? flops / scoringSeconds / 1e9 : null,
    fitSeconds: mean((f) => f.fitSeconds),
    predictSeconds: mean((f) => f.predictSeconds),
    stopped: runs.some((r) => r.stopped),
  };
}

/** Test pairs whose user or movie never appears in training (the model had to fall back). */
function countFallbacks(data: RatingsData, trainRows: Int32Array, test: RatingsData): number {
  const users = idMarks(data.users);
  const movies = idMarks(data.movies);
  for (let k = 0; k < trainRows.length; k++) {
    users.add(data.users[trainRows[k]!]!);
    movies.add(data.movies[trainRows[k]!]!);
  }
  let n = 0;
  for (let i = 0; i < test.size; i++) {
    if (!users.has(test.users[i]!) || !movies.has(test.movies[i]!)) n++;
  }
  return n;
}
