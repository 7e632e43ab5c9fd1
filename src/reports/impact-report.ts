import { loadMovies } from '../data/load-movies.ts';
import { likeThreshold } from '../data/rating-scale.ts';
import { type RatingsData, ratingsFingerprint, subsetRatings } from '../data/ratings-data.ts';
import { materializeSplit, temporalSplit } from '../data/splits.ts';
import type { Queryable } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import { foldRanking } from '../evaluation/cross-validate.ts';
import { ratingMetrics } from '../metrics/rating-metrics.ts';
import { createModel, modelKinds } from '../models/model-registry.ts';
import type { ModelParams } from '../models/rating-model.ts';
import { Rng } from '../random/rng.ts';
import { readAliases } from '../registry/aliases.ts';
import { getVersion } from '../registry/model-versions.ts';
import { loadClassifiedRatings } from './classified-ratings.ts';

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
  /** Cut-off of the ranking metrics; default 10. */
  readonly k?: number;
  /** Skip the halved/doubled scenarios (two fewer fits). */
  readonly scenarios?: boolean;
  readonly now?: number;
}

/** Metrics of one arm on the shared test set. */
export interface ArmMetrics {
  readonly rmse: number;
  readonly mae: number;
  readonly accuracy: number;
  readonly baselineAccuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly ndcg: number;
  readonly map: number;
  readonly hitRate: number;
  readonly coverage: number;
  /** Test users the ranking metrics scored. */
  readonly rankedUsers: number;
}

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
  readonly metrics: ArmMetrics;
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
  /** Differences against the "with" arm (positive rmse delta = worse). */
  readonly deltas: ReadonlyArray<{
    readonly key: ArmKey;
    readonly rmse: number;
    readonly accuracy: number;
    readonly ndcg: number;
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

/** The champion version's kind and params (D's registry), if a champion is set. */
async function championConfig(db: Queryable): Promise<ChampionConfig | undefined> {
  const version = (await readAliases(db)).get('champion');
  if (version === undefined) return undefined;
  const v = await getVersion(db, version);
  return { version: v.version, kind: v.kind, params: v.params, trainRows: v.training.rows };
}

async function count(db: Queryable, sql: string): Promise<number> {
  const row = await db.get<{ n: number | string | null }>(sql);
  return Number(row?.n ?? 0);
}

/** The numbers on the arrows of the training data flow: rating → tracker → training set → version → A/B. */
export async function trainingFlowCounts(
  db: Queryable,
  unexpectedRatings: number,
): Promise<TrainingFlowCounts> {
  const champion = await championConfig(db);
  return {
    ratings: await count(db, 'SELECT COUNT(*) AS n FROM ratings'),
    unexpectedRatings,
    served: await count(db, 'SELECT COUNT(*) AS n FROM served_recommendations'),
    tracked: await count(db, 'SELECT COUNT(*) AS n FROM recommendation_quality'),
    trackedUnexpected: await count(db, 'SELECT SUM(unexpected) AS n FROM recommendation_quality'),
    versions: await count(db, 'SELECT COUNT(*) AS n FROM model_versions'),
    championVersion: champion?.version ?? null,
    championTrainRows: champion?.trainRows ?? null,
    abTests: await count(db, 'SELECT COUNT(*) AS n FROM ab_tests'),
    abTestsRunning: await count(db, "SELECT COUNT(*) AS n FROM ab_tests WHERE status = 'running'"),
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
 * and with their share halved or doubled. Every fit uses the same seed.
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
  for (const j of split.testIndices) testUnexpected += unexpected[j]!;

  const runArm = (
    key: ArmKey,
    name: string,
    armTrain: RatingsData,
    unexpectedInTrain: number,
    weight: number,
  ): ImpactArm => {
    const m = createModel(model.kind, model.params);
    const t0 = performance.now();
    m.fit(armTrain, { seed, movies });
    const fitSeconds = (performance.now() - t0) / 1000;
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
      key,
      name,
      trainSize: armTrain.size,
      unexpectedInTrain,
      unexpectedShare: armTrain.size > 0 ? unexpectedInTrain / armTrain.size : 0,
      unexpectedWeight: weight,
      testFingerprint: ratingsFingerprint(test),
      metrics: {
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
      },
      fitSeconds,
    };
  };

  const arms: ImpactArm[] = [];
  arms.push(runArm('with', 'with unexpected ratings', train, trainUnexpected.length, 1));
  if (trainExpected.length === 0) {
    throw new InvalidInputError(
      'every training rating is unexpected: there is nothing to train the "without" arm on',
    );
  }
  arms.push(runArm('without', 'without unexpected ratings', subsetRatings(train, trainExpected), 0, 0));
  let weightsIgnored: boolean | null = null;
  if (trainUnexpected.length > 0) {
    const weights = new Float32Array(train.size).fill(1);
    for (const i of trainUnexpected) weights[i] = downWeight;
    const arm = runArm(
      'down-weighted',
      `unexpected weighted ${downWeight}`,
      withWeights(train, weights),
      trainUnexpected.length,
      downWeight,
    );
    arms.push(arm);
    weightsIgnored = arm.metrics.rmse === arms[0]!.metrics.rmse && arm.metrics.ndcg === arms[0]!.metrics.ndcg;
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
      const rows = resampleUnexpected(trainUnexpected, trainExpected, target, seed + (factor > 1 ? 2 : 1));
      const armTrain = subsetRatings(train, rows);
      let u = 0;
      for (const i of rows) if (unexpected[split.trainIndices[i]!]) u++;
      scenarios.push(runArm(key, `share ${key} (${(100 * target).toFixed(1)} %)`, armTrain, u, 1));
    }
  }
  const base = arms[0]!.metrics;
  const deltas = [...arms.slice(1), ...scenarios].map((a) => ({
    key: a.key,
    rmse: a.metrics.rmse - base.rmse,
    accuracy: a.metrics.accuracy - base.accuracy,
    ndcg: a.metrics.ndcg - base.ndcg,
  }));
  let unexpectedAll = 0;
  for (let i = 0; i < data.size; i++) unexpectedAll += unexpected[i]!;

  return {
    report: 'impact',
    generatedAt: options.now ?? Date.now(),
    model,
    seed,
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
