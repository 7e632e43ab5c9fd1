import { loadMovies } from '../data/load-movies.ts';
import { likeThreshold } from '../data/rating-scale.ts';
import { type RatingsData, ratingsFingerprint, subsetRatings } from '../data/ratings-data.ts';
import { materializeSplit, temporalSplit } from '../data/splits.ts';
import type { Queryable } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import { foldRanking } from '../evaluation/cross-validate.ts';
import { getRunningAbTest } from '../experiments/ab-tests.ts';
import type { RankingMetrics } from '../metrics/ranking-metrics.ts';
import { type RatingMetrics, ratingMetrics, rmse } from '../metrics/rating-metrics.ts';
import { createModel, modelKinds } from '../models/model-registry.ts';
import type { ModelParams, RatingModel } from '../models/rating-model.ts';
import { deriveSeed, Rng } from '../random/rng.ts';
import { championRecord } from '../registry/champion.ts';
import { loadClassifiedRatings } from './classified-ratings.ts';
import { reportStore } from './sql-report-store.ts';

export interface ImpactOptions {
  /** Model to ablate; default the champion's kind and params, else svd (or baseline) defaults. */
  readonly kind?: string;
  readonly params?: ModelParams;
  /** Share of the ratings (by time) held out as the test period; default 0.2. */
  readonly testFraction?: number;
  /** Weight of unexpected ratings in the down-weighted arm; default 0.5. */
  readonly downWeight?: number;
  /** Seeds every fit and the resampling; default 42. */
  readonly seed?: number;
  /**
   * Fits per arm (default 1). Repeat r uses seed + r in every arm, so differences are paired and
   * their spread shows how much of a difference is seed noise.
   */
  readonly repeats?: number;
  /** Cut-off of the ranking metrics; default 10. */
  readonly k?: number;
  /** Skip the halved/doubled scenarios (two fewer fits). */
  readonly scenarios?: boolean;
  readonly now?: number;
}

/**
 * Metrics of one arm on the shared test set: the evaluator's rating and ranking metrics (their
 * types picked from the metric modules, which compute them) plus the RMSE split by kind.
 */
export type ArmMetrics = Pick<RatingMetrics, 'rmse' | 'mae' | 'accuracy' | 'baselineAccuracy'> &
  Pick<RankingMetrics, 'precision' | 'recall' | 'ndcg' | 'map' | 'hitRate' | 'coverage'> & {
    /** Test users the ranking metrics scored. */
    readonly rankedUsers: number;
    /** RMSE on the test ratings of recommended movies only (null when there are none). */
    readonly rmseRecommended: number | null;
    /** RMSE on the test ratings of unexpected movies only: does their own kind of data help? */
    readonly rmseUnexpected: number | null;
  };

export type ArmKey = 'with' | 'without' | 'down-weighted' | 'halved' | 'doubled';

export interface ImpactArm {
  readonly key: ArmKey;
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

export interface ImpactReport {
  readonly report: 'impact';
  readonly generatedAt: number;
  readonly model: {
    readonly kind: string;
    readonly params: ModelParams;
    /** Where the configuration came from. */
    readonly source: 'champion' | 'given' | 'default';
    readonly version: number | null;
  };
  readonly seed: number;
  readonly repeats: number;
  readonly split: {
    readonly kind: 'temporal';
    readonly testFraction: number;
    /** Ratings at or after this time (epoch ms) are the test period. */
    readonly cutAt: number;
    readonly trainSize: number;
    readonly testSize: number;
    readonly trainUnexpected: number;
    readonly testUnexpected: number;
    readonly likeThreshold: number;
    readonly k: number;
    /** Content hash of the test ratings; every arm reports the hash of what it was scored on. */
    readonly testFingerprint: string;
  };
  /** with / without / down-weighted, on the same test set. */
  readonly arms: readonly ImpactArm[];
  /**
   * True when the down-weighted arm scored exactly like the unweighted one: the model ignores
   * RatingsData.weights, so that arm says nothing. Null when there was no such arm.
   */
  readonly weightsIgnored: boolean | null;
  /** Unexpected share of the training set halved / doubled by seeded resampling. */
  readonly scenarios: readonly ImpactArm[];
  readonly skippedScenarios: ReadonlyArray<{ readonly key: ArmKey; readonly reason: string }>;
  /**
   * Differences against the "with" arm, paired by repeat (positive rmse delta = worse): the mean,
   * and the standard deviation of the paired differences over the repeats (0 with one repeat).
   */
  readonly deltas: ReadonlyArray<{
    readonly key: ArmKey;
    readonly rmse: number;
    readonly accuracy: number;
    readonly ndcg: number;
    readonly rmseSd: number;
    readonly ndcgSd: number;
  }>;
  /** Live counts for the training data flow chart. */
  readonly flow: TrainingFlowCounts;
}

export interface TrainingFlowCounts {
  readonly ratings: number;
  readonly unexpectedRatings: number;
  readonly served: number;
  readonly tracked: number;
  readonly trackedUnexpected: number;
  readonly versions: number;
  readonly championVersion: number | null;
  readonly championTrainRows: number | null;
  readonly abTests: number;
  readonly abTestsRunning: number;
}

interface ChampionConfig {
  readonly version: number;
  readonly kind: string;
  readonly params: ModelParams;
  readonly trainRows: number;
}

/** The champion version's kind and params, if a champion is set. */
async function championConfig(db: Queryable): Promise<ChampionConfig | undefined> {
  const v = await championRecord(db);
  if (v === null) return undefined;
  return { version: v.version, kind: v.kind, params: v.params, trainRows: v.training.rows };
}

/** The numbers on the arrows of the training data flow: rating → tracker → training set → version → A/B. */
export async function trainingFlowCounts(
  db: Queryable,
  unexpectedRatings: number,
): Promise<TrainingFlowCounts> {
  const champion = await championConfig(db);
  const store = reportStore(db);
  const rows = await store.rowCounts([
    'ratings',
    'served_recommendations',
    'recommendation_quality',
    'model_versions',
    'ab_tests',
  ]);
  return {
    ratings: rows.ratings,
    unexpectedRatings,
    served: rows.served_recommendations,
    tracked: rows.recommendation_quality,
    trackedUnexpected: await store.unexpectedTracked(),
    versions: rows.model_versions,
    championVersion: champion?.version ?? null,
    championTrainRows: champion?.trainRows ?? null,
    abTests: rows.ab_tests,
    abTestsRunning: (await getRunningAbTest(db)) ? 1 : 0,
  };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Sample standard deviation; 0 for a single value. */
const sd = (xs: readonly number[]): number => {
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
  const a: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < actual.length; i++) {
    if (mask[i] !== want) continue;
    a.push(actual[i]!);
    p.push(predicted[i]!);
  }
  return a.length > 0 ? rmse(a, p) : null;
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

/** A copy of `data` with per-row weights. */
function withWeights(data: RatingsData, weights: Float32Array): RatingsData {
  return { ...data, weights };
}

/**
 * Training-set indices whose unexpected share is `targetShare`, by seeded resampling of the
 * unexpected rows only (the recommended rows stay as they are): fewer → drawn without
 * replacement; more → all of them plus extra draws with replacement.
 */
export function resampleUnexpected(
  unexpectedRows: readonly number[],
  expectedRows: readonly number[],
  targetShare: number,
  seed: number,
): number[] {
  const e = expectedRows.length;
  const target = Math.round((targetShare * e) / (1 - targetShare));
  const rng = new Rng(seed);
  let picked: number[];
  if (target <= unexpectedRows.length) {
    picked = Array.from(rng.shuffle(Int32Array.from(unexpectedRows)).subarray(0, target));
  } else {
    picked = [...unexpectedRows];
    for (let i = unexpectedRows.length; i < target; i++)
      picked.push(unexpectedRows[rng.int(unexpectedRows.length)]!);
  }
  return [...expectedRows, ...picked].sort((a, b) => a - b);
}

/**
 * The training-impact ablation. One temporal split of all stored ratings; the test period is the
 * same for every arm (same rows, same fingerprint, same candidates for the top-k: each test user's
 * unseen movies are those they did not rate in the whole training period). Arms differ only in
 * their training rows: with the unexpected-movie ratings, without them, with them down-weighted,
 * and with their share halved or doubled. Repeat r of every arm fits with the same seed (seed + r).
 */
export async function impactReport(db: Queryable, options: ImpactOptions = {}): Promise<ImpactReport> {
  const testFraction = options.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new InvalidInputError(`testFraction must be between 0 and 1 (exclusive), got ${testFraction}`);
  }
  const downWeight = options.downWeight ?? 0.5;
  if (!(downWeight > 0 && downWeight < 1)) {
    throw new InvalidInputError(`downWeight must be between 0 and 1 (exclusive), got ${downWeight}`);
  }
  const seed = options.seed ?? 42;
  if (!Number.isInteger(seed)) throw new InvalidInputError(`seed must be a whole number, got ${seed}`);
  const repeats = options.repeats ?? 1;
  if (!Number.isInteger(repeats) || repeats < 1 || repeats > 20) {
    throw new InvalidInputError(`repeats must be a whole number from 1 to 20, got ${repeats}`);
  }
  const k = options.k ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new InvalidInputError(`k must be a whole number ≥ 1, got ${k}`);

  const champion = await championConfig(db);
  let model: ImpactReport['model'];
  if (options.kind) {
    model = { kind: options.kind, params: options.params ?? {}, source: 'given', version: null };
  } else if (champion) {
    model = { kind: champion.kind, params: champion.params, source: 'champion', version: champion.version };
  } else {
    model = {
      kind: modelKinds().includes('svd') ? 'svd' : 'baseline',
      params: {},
      source: 'default',
      version: null,
    };
  }
  // Resolves defaults and rejects a bad kind or parameter before any work.
  model = { ...model, params: createModel(model.kind, model.params).params };

  const { data, unexpected } = await loadClassifiedRatings(db);
  if (data.size < 10)
    throw new InvalidInputError(`the impact report needs at least 10 ratings, the database has ${data.size}`);
  const split = temporalSplit(data, { testFraction });
  if (split.trainIndices.length === 0 || split.testIndices.length === 0) {
    throw new InvalidInputError(
      'the ratings all share one time: a temporal split needs a training and a test period',
    );
  }
  const { train, test } = materializeSplit(data, split);
  // Test rows are in (user, movie) order, not time order: the cut is their earliest time.
  let cutAt = Number.POSITIVE_INFINITY;
  for (let i = 0; i < test.size; i++) cutAt = Math.min(cutAt, test.timestamps[i]!);
  const threshold = likeThreshold(data.scale);
  const movies = await loadMovies(db);
  const testFingerprint = ratingsFingerprint(test);

  // Training rows by kind, as indices into `train`.
  const trainUnexpected: number[] = [];
  const trainExpected: number[] = [];
  for (let i = 0; i < train.size; i++) {
    if (unexpected[split.trainIndices[i]!]) trainUnexpected.push(i);
    else trainExpected.push(i);
  }
  let testUnexpected = 0;
  const testMask = new Uint8Array(test.size);
  split.testIndices.forEach((j, i) => {
    testMask[i] = unexpected[j]!;
    testUnexpected += unexpected[j]!;
  });

  const metricsOf = (m: RatingModel): ArmMetrics => {
    const predicted = m.predictMany(test.users, test.movies);
    // The majority baseline and the top-k exclusions come from the full training period, so
    // they are identical across arms; only the model differs.
    const rating = ratingMetrics(test.ratings, predicted, {
      scale: data.scale,
      trainActual: train.ratings,
      threshold,
    });
    const ranking = foldRanking(m, train, test, threshold, k);
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
  };

  /**
   * Fits and scores one arm once per repeat; repeat r fits with seed + r (and resamples with it,
   * for the scenarios), so arms are paired: repeat r of every arm shares its seed.
   */
  const runArm = (
    key: ArmKey,
    name: string,
    trainFor: (repeat: number) => { data: RatingsData; unexpectedInTrain: number },
    weight: number,
  ): ImpactArm => {
    const runs: ArmMetrics[] = [];
    let fitSeconds = 0;
    let first: { data: RatingsData; unexpectedInTrain: number } | undefined;
    for (let r = 0; r < repeats; r++) {
      const armTrain = trainFor(r);
      first ??= armTrain;
      const m = createModel(model.kind, model.params);
      const t0 = performance.now();
      m.fit(armTrain.data, { seed: seed + r, movies });
      fitSeconds += (performance.now() - t0) / 1000;
      runs.push(metricsOf(m));
    }
    const trainSize = first!.data.size;
    return {
      key,
      name,
      trainSize,
      unexpectedInTrain: first!.unexpectedInTrain,
      unexpectedShare: trainSize > 0 ? first!.unexpectedInTrain / trainSize : 0,
      unexpectedWeight: weight,
      testFingerprint: ratingsFingerprint(test),
      metrics: meanMetrics(runs),
      spread: {
        rmse: sd(runs.map((x) => x.rmse)),
        accuracy: sd(runs.map((x) => x.accuracy)),
        ndcg: sd(runs.map((x) => x.ndcg)),
      },
      runs,
      fitSeconds: fitSeconds / repeats,
    };
  };

  const arms: ImpactArm[] = [];
  arms.push(
    runArm(
      'with',
      'with unexpected ratings',
      () => ({ data: train, unexpectedInTrain: trainUnexpected.length }),
      1,
    ),
  );
  if (trainExpected.length === 0) {
    throw new InvalidInputError(
      'every training rating is unexpected: there is nothing to train the "without" arm on',
    );
  }
  const withoutTrain = subsetRatings(train, trainExpected);
  arms.push(
    runArm('without', 'without unexpected ratings', () => ({ data: withoutTrain, unexpectedInTrain: 0 }), 0),
  );
  let weightsIgnored: boolean | null = null;
  if (trainUnexpected.length > 0) {
    const weights = new Float32Array(train.size).fill(1);
    for (const i of trainUnexpected) weights[i] = downWeight;
    const weighted = withWeights(train, weights);
    const arm = runArm(
      'down-weighted',
      `unexpected weighted ${downWeight}`,
      () => ({ data: weighted, unexpectedInTrain: trainUnexpected.length }),
      downWeight,
    );
    arms.push(arm);
    const a = arm.runs[0]!;
    const b = arms[0]!.runs[0]!;
    weightsIgnored = a.rmse === b.rmse && a.ndcg === b.ndcg;
  }

  const scenarios: ImpactArm[] = [];
  const skippedScenarios: Array<{ key: ArmKey; reason: string }> = [];
  const share = train.size > 0 ? trainUnexpected.length / train.size : 0;
  if (options.scenarios !== false) {
    for (const [key, factor] of [
      ['halved', 0.5],
      ['doubled', 2],
    ] as const) {
      const target = share * factor;
      if (trainUnexpected.length === 0) {
        skippedScenarios.push({ key, reason: 'no unexpected ratings in the training period to resample' });
        continue;
      }
      if (target >= 0.95) {
        skippedScenarios.push({
          key,
          reason: `a share of ${(100 * target).toFixed(1)} % leaves too few recommended ratings`,
        });
        continue;
      }
      const trainFor = (r: number) => {
        const rows = resampleUnexpected(trainUnexpected, trainExpected, target, deriveSeed(seed + r, key));
        let u = 0;
        for (const i of rows) if (unexpected[split.trainIndices[i]!]) u++;
        return { data: subsetRatings(train, rows), unexpectedInTrain: u };
      };
      scenarios.push(runArm(key, `share ${key} (${(100 * target).toFixed(1)} %)`, trainFor, 1));
    }
  }
  const base = arms[0]!;
  const paired = (a: ImpactArm, get: (m: ArmMetrics) => number) =>
    a.runs.map((m, r) => get(m) - get(base.runs[r]!));
  const deltas = [...arms.slice(1), ...scenarios].map((a) => ({
    key: a.key,
    rmse: mean(paired(a, (m) => m.rmse)),
    accuracy: mean(paired(a, (m) => m.accuracy)),
    ndcg: mean(paired(a, (m) => m.ndcg)),
    rmseSd: sd(paired(a, (m) => m.rmse)),
    ndcgSd: sd(paired(a, (m) => m.ndcg)),
  }));
  let unexpectedAll = 0;
  for (let i = 0; i < data.size; i++) unexpectedAll += unexpected[i]!;

  return {
    report: 'impact',
    generatedAt: options.now ?? Date.now(),
    model,
    seed,
    repeats,
    split: {
      kind: 'temporal',
      testFraction,
      cutAt,
      trainSize: train.size,
      testSize: test.size,
      trainUnexpected: trainUnexpected.length,
      testUnexpected,
      likeThreshold: threshold,
      k,
      testFingerprint,
    },
    arms,
    weightsIgnored,
    scenarios,
    skippedScenarios,
    deltas,
    flow: await trainingFlowCounts(db, unexpectedAll),
  };
}
