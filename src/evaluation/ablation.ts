import type { MovieInfo, RatingsData } from '../data/ratings-data.ts';
import { ratingsFingerprint } from '../data/ratings-data.ts';
import type { RankingMetrics } from '../metrics/ranking-metrics.ts';
import { type RatingMetrics, ratingMetrics, rmse } from '../metrics/rating-metrics.ts';
import { createModel } from '../models/model-registry.ts';
import type { ModelParams, RatingModel } from '../models/rating-model.ts';
import { foldRanking } from './cross-validate.ts';
import { fitOnRows } from './holdout.ts';

/**
 * Ablation: one model fitted on different training sets ("arms") and scored on one shared test
 * set, so that the arms differ only in their training rows. Repeat r of every arm fits with the
 * same seed (seed + r), so differences between arms are paired and their spread shows how much of
 * a difference is seed noise. The impact report builds its arms with this.
 */

/**
 * Metrics of one arm on the shared test set: the evaluator's rating and ranking metrics (their
 * types picked from the metric modules, which compute them) plus the RMSE split by a row mask.
 */
export type ArmMetrics = Pick<RatingMetrics, 'rmse' | 'mae' | 'accuracy' | 'baselineAccuracy'> &
  Pick<RankingMetrics, 'precision' | 'recall' | 'ndcg' | 'map' | 'hitRate' | 'coverage'> & {
    /** Test users the ranking metrics scored. */
    readonly rankedUsers: number;
    /** RMSE on the test rows whose mask is 0 (recommended movies; null when there are none). */
    readonly rmseRecommended: number | null;
    /** RMSE on the test rows whose mask is 1 (unexpected movies): does their own kind of data help? */
    readonly rmseUnexpected: number | null;
  };

/** The shared test set every arm is scored on, and what scoring needs beside it. */
export interface AblationTestSet {
  /** The full training period: the majority baseline and the top-k exclusions come from it. */
  readonly train: RatingsData;
  readonly test: RatingsData;
  /** Per test row: 1 for the kind of row the ablation is about, 0 otherwise. */
  readonly testMask: Uint8Array;
  readonly likeThreshold: number;
  /** Cut-off of the ranking metrics. */
  readonly k: number;
}

/** How every arm's model is made and fitted. */
export interface AblationFit {
  readonly kind: string;
  readonly params: ModelParams;
  readonly seed: number;
  readonly repeats: number;
  readonly movies: ReadonlyMap<number, MovieInfo>;
}

/** One arm's training set for one repeat, and how many of its rows are of the ablated kind. */
export interface ArmTraining {
  readonly data: RatingsData;
  /** Train on these rows of `data` only (as on `subsetRatings(data, rows)`, without the copy). */
  readonly rows?: Int32Array;
  readonly maskedInTrain: number;
}

/** One arm to fit: its name and the training set of each repeat. */
export interface ArmSpec<K extends string> {
  readonly key: K;
  readonly name: string;
  /** Weight the ablated rows carry in this arm's training set (1 unless down-weighted). */
  readonly weight: number;
  readonly trainFor: (repeat: number) => ArmTraining;
}

/** One fitted and scored arm. */
export interface ArmResult<K extends string> {
  readonly key: K;
  readonly name: string;
  /** Training rows (duplicates from resampling count). */
  readonly trainSize: number;
  readonly unexpectedInTrain: number;
  /** unexpectedInTrain / trainSize. */
  readonly unexpectedShare: number;
  /** Weight given to unexpected rows (1 unless down-weighted). */
  readonly unexpectedWeight: number;
  /** Fingerprint of the test set this arm was scored on: the same string in every arm. */
  readonly testFingerprint: string;
  /** Means over the repeats. */
  readonly metrics: ArmMetrics;
  /** Standard deviation over the repeats (0 with one repeat). */
  readonly spread: { readonly rmse: number; readonly accuracy: number; readonly ndcg: number };
  /** Each repeat's metrics. */
  readonly runs: readonly ArmMetrics[];
  /** Mean seconds per fit. */
  readonly fitSeconds: number;
}

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Sample standard deviation; 0 for a single value. */
export const sd = (xs: readonly number[]): number => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

function meanOrNull(xs: readonly (number | null)[]): number | null {
  return xs.some((x) => x === null) ? null : mean(xs as number[]);
}

/** RMSE (the metric's own function) over the rows where `mask[i] === want`; null when there are none. */
function maskedRmse(
  actual: Float32Array,
  predicted: Float32Array,
  mask: Uint8Array,
  want: number,
): number | null {
  // Typed arrays sized by a first count: the test period can hold millions of ratings.
  let n = 0;
  for (let i = 0; i < actual.length; i++) if (mask[i] === want) n++;
  const a = new Float32Array(n);
  const p = new Float32Array(n);
  n = 0;
  for (let i = 0; i < actual.length; i++) {
    if (mask[i] !== want) continue;
    a[n] = actual[i]!;
    p[n++] = predicted[i]!;
  }
  return n > 0 ? rmse(a, p) : null;
}

function meanMetrics(runs: readonly ArmMetrics[]): ArmMetrics {
  const of = (get: (m: ArmMetrics) => number) => mean(runs.map(get));
  return {
    rmse: of((m) => m.rmse),
    mae: of((m) => m.mae),
    accuracy: of((m) => m.accuracy),
    baselineAccuracy: of((m) => m.baselineAccuracy),
    precision: of((m) => m.precision),
    recall: of((m) => m.recall),
    ndcg: of((m) => m.ndcg),
    map: of((m) => m.map),
    hitRate: of((m) => m.hitRate),
    coverage: of((m) => m.coverage),
    rankedUsers: runs[0]!.rankedUsers,
    rmseRecommended: meanOrNull(runs.map((m) => m.rmseRecommended)),
    rmseUnexpected: meanOrNull(runs.map((m) => m.rmseUnexpected)),
  };
}

/** Scores a fitted model on the shared test set. */
export function scoreArmModel(m: RatingModel, set: AblationTestSet): ArmMetrics {
  const { train, test, testMask, likeThreshold: threshold } = set;
  const predicted = m.predictMany(test.users, test.movies);
  // The majority baseline and the top-k exclusions come from the full training period, so
  // they are identical across arms; only the model differs.
  const rating = ratingMetrics(test.ratings, predicted, {
    scale: test.scale,
    trainActual: train.ratings,
    threshold,
  });
  const ranking = foldRanking(m, train, test, threshold, set.k);
  return {
    rmse: rating.rmse,
    mae: rating.mae,
    accuracy: rating.accuracy,
    baselineAccuracy: rating.baselineAccuracy,
    precision: ranking.precision,
    recall: ranking.recall,
    ndcg: ranking.ndcg,
    map: ranking.map,
    hitRate: ranking.hitRate,
    coverage: ranking.coverage,
    rankedUsers: ranking.users,
    rmseRecommended: maskedRmse(test.ratings, predicted, testMask, 0),
    rmseUnexpected: maskedRmse(test.ratings, predicted, testMask, 1),
  };
}

/**
 * Fits and scores one arm once per repeat; repeat r fits with seed + r (and the arm's training
 * set for repeat r), so arms are paired: repeat r of every arm shares its seed.
 */
export function runArm<K extends string>(
  spec: ArmSpec<K>,
  fit: AblationFit,
  set: AblationTestSet,
): ArmResult<K> {
  const runs: ArmMetrics[] = [];
  let fitSeconds = 0;
  let first: ArmTraining | undefined;
  for (let r = 0; r < fit.repeats; r++) {
    const armTrain = spec.trainFor(r);
    first ??= armTrain;
    const m = createModel(fit.kind, fit.params);
    const t0 = performance.now();
    const options = { seed: fit.seed + r, movies: fit.movies };
    if (armTrain.rows) fitOnRows(m, armTrain.data, armTrain.rows, options);
    else m.fit(armTrain.data, options);
    fitSeconds += (performance.now() - t0) / 1000;
    runs.push(scoreArmModel(m, set));
  }
  const trainSize = first!.rows ? first!.rows.length : first!.data.size;
  return {
    key: spec.key,
    name: spec.name,
    trainSize,
    unexpectedInTrain: first!.maskedInTrain,
    unexpectedShare: trainSize > 0 ? first!.maskedInTrain / trainSize : 0,
    unexpectedWeight: spec.weight,
    testFingerprint: ratingsFingerprint(set.test),
    metrics: meanMetrics(runs),
    spread: {
      rmse: sd(runs.map((x) => x.rmse)),
      accuracy: sd(runs.map((x) => x.accuracy)),
      ndcg: sd(runs.map((x) => x.ndcg)),
    },
    runs,
    fitSeconds: fitSeconds / fit.repeats,
  };
}

/** Differences of each arm against the base arm, paired by repeat: mean and spread. */
export function pairedDeltas<K extends string>(base: ArmResult<K>, others: readonly ArmResult<K>[]) {
  const paired = (a: ArmResult<K>, get: (m: ArmMetrics) => number) =>
    a.runs.map((m, r) => get(m) - get(base.runs[r]!));
  return others.map((a) => ({
    key: a.key,
    rmse: mean(paired(a, (m) => m.rmse)),
    accuracy: mean(paired(a, (m) => m.accuracy)),
    ndcg: mean(paired(a, (m) => m.ndcg)),
    rmseSd: sd(paired(a, (m) => m.rmse)),
    ndcgSd: sd(paired(a, (m) => m.ndcg)),
  }));
}
