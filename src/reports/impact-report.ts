import { loadMovies } from '../data/load-movies.ts';
import { likeThreshold } from '../data/rating-scale.ts';
import { type RatingsData, ratingsFingerprint } from '../data/ratings-data.ts';
import { materializeSplit, temporalSplit } from '../data/splits.ts';
import type { Queryable } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import {
  type AblationFit,
  type AblationTestSet,
  type ArmResult,
  type ArmSpec,
  type ArmTraining,
  pairedDeltas,
  runArm,
} from '../evaluation/ablation.ts';
import { createModel, modelKinds } from '../models/model-registry.ts';
import type { ModelParams } from '../models/rating-model.ts';
import { deriveSeed, Rng } from '../random/rng.ts';
import { championRecord } from '../registry/champion.ts';
import { loadClassifiedRatings } from './classified-ratings.ts';
import { type TrainingFlowCounts, trainingFlowCounts } from './training-flow.ts';

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

export type { ArmMetrics } from '../evaluation/ablation.ts';
export { type TrainingFlowCounts, trainingFlowCounts } from './training-flow.ts';

export type ArmKey = 'with' | 'without' | 'down-weighted' | 'halved' | 'doubled';

/** One arm of the ablation: its training set, and its metrics on the shared test set. */
export type ImpactArm = ArmResult<ArmKey>;

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
  unexpectedRows: ArrayLike<number>,
  expectedRows: ArrayLike<number>,
  targetShare: number,
  seed: number,
): Int32Array {
  const e = expectedRows.length;
  const target = Math.round((targetShare * e) / (1 - targetShare));
  const rng = new Rng(seed);
  const out = new Int32Array(e + target);
  out.set(expectedRows);
  if (target <= unexpectedRows.length) {
    out.set(rng.shuffle(Int32Array.from(unexpectedRows)).subarray(0, target), e);
  } else {
    out.set(unexpectedRows, e);
    for (let i = unexpectedRows.length; i < target; i++)
      out[e + i] = unexpectedRows[rng.int(unexpectedRows.length)]!;
  }
  return out.sort();
}

/** The options checked and defaulted. */
interface ImpactSettings {
  readonly testFraction: number;
  readonly downWeight: number;
  readonly seed: number;
  readonly repeats: number;
  readonly k: number;
}

function checkOptions(options: ImpactOptions): ImpactSettings {
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
  return { testFraction, downWeight, seed, repeats, k };
}

/** The model to ablate: the one given, else the champion's, else svd (or baseline) defaults. */
async function chooseModel(db: Queryable, options: ImpactOptions): Promise<ImpactReport['model']> {
  const champion = await championConfig(db);
  let model: ImpactReport['model'];
  if (options.kind) {
    model = { kind: options.kind, params: options.params ?? {}, source: 'given', version: null };
  } else if (champion) {
    model = { kind: champion.kind, params: champion.params, source: 'champion', version: champion.version };
  } else {
    const kind = modelKinds().includes('svd') ? 'svd' : 'baseline';
    model = { kind, params: {}, source: 'default', version: null };
  }
  // Resolves defaults and rejects a bad kind or parameter before any work.
  return { ...model, params: createModel(model.kind, model.params).params };
}

/** The temporal split every arm shares, with the training rows sorted by kind. */
interface ImpactSplit extends AblationTestSet {
  /** Unexpected ratings among all stored ones (the loaded columns are not kept: 20 bytes a rating). */
  readonly unexpectedAll: number;
  /** Per stored rating: 1 when unexpected. */
  readonly unexpected: Uint8Array;
  /** Indices into all stored ratings of the training rows, in `train` order. */
  readonly trainIndices: Int32Array;
  /** Indices into `train` of its unexpected and its recommended rows. */
  readonly trainUnexpected: Int32Array;
  readonly trainExpected: Int32Array;
  readonly testUnexpected: number;
  readonly cutAt: number;
}

async function splitRatings(db: Queryable, settings: ImpactSettings): Promise<ImpactSplit> {
  const { data, unexpected } = await loadClassifiedRatings(db);
  if (data.size < 10)
    throw new InvalidInputError(`the impact report needs at least 10 ratings, the database has ${data.size}`);
  const split = temporalSplit(data, { testFraction: settings.testFraction });
  if (split.trainIndices.length === 0 || split.testIndices.length === 0) {
    throw new InvalidInputError(
      'the ratings all share one time: a temporal split needs a training and a test period',
    );
  }
  const { train, test } = materializeSplit(data, split);
  // Test rows are in (user, movie) order, not time order: the cut is their earliest time.
  let cutAt = Number.POSITIVE_INFINITY;
  for (let i = 0; i < test.size; i++) cutAt = Math.min(cutAt, test.timestamps[i]!);
  let unexpectedInTrain = 0;
  for (let i = 0; i < train.size; i++) unexpectedInTrain += unexpected[split.trainIndices[i]!]!;
  const trainUnexpected = new Int32Array(unexpectedInTrain);
  const trainExpected = new Int32Array(train.size - unexpectedInTrain);
  for (let i = 0, a = 0, b = 0; i < train.size; i++) {
    if (unexpected[split.trainIndices[i]!]) trainUnexpected[a++] = i;
    else trainExpected[b++] = i;
  }
  let unexpectedAll = 0;
  for (let i = 0; i < data.size; i++) unexpectedAll += unexpected[i]!;
  let testUnexpected = 0;
  const testMask = new Uint8Array(test.size);
  split.testIndices.forEach((j, i) => {
    testMask[i] = unexpected[j]!;
    testUnexpected += unexpected[j]!;
  });
  const like = likeThreshold(data.scale);
  return {
    ...{ unexpectedAll, unexpected, train, test, testMask, likeThreshold: like, k: settings.k },
    ...{ trainIndices: split.trainIndices, trainUnexpected, trainExpected, testUnexpected, cutAt },
  };
}

/** The arms with, without and (when there are unexpected rows) with down-weighted unexpected ratings. */
function mainArms(s: ImpactSplit, downWeight: number): ArmSpec<ArmKey>[] {
  if (s.trainExpected.length === 0) {
    throw new InvalidInputError(
      'every training rating is unexpected: there is nothing to train the "without" arm on',
    );
  }
  const n = s.trainUnexpected.length;
  // Arms train on rows of the training period in place (FitOptions.rows), not on copies.
  const specs: ArmSpec<ArmKey>[] = [
    {
      key: 'with',
      name: 'with unexpected ratings',
      weight: 1,
      trainFor: () => ({ data: s.train, maskedInTrain: n }),
    },
    {
      key: 'without',
      name: 'without unexpected ratings',
      weight: 0,
      trainFor: () => ({ data: s.train, rows: s.trainExpected, maskedInTrain: 0 }),
    },
  ];
  if (n > 0) {
    const weighted = (): RatingsData => {
      const weights = new Float32Array(s.train.size).fill(1);
      for (const i of s.trainUnexpected) weights[i] = downWeight;
      return withWeights(s.train, weights);
    };
    const name = `unexpected weighted ${downWeight}`;
    specs.push({
      key: 'down-weighted',
      name,
      weight: downWeight,
      trainFor: () => ({ data: weighted(), maskedInTrain: n }),
    });
  }
  return specs;
}

/** The halved and doubled share scenarios, or why each one is skipped. */
function scenarioArms(
  s: ImpactSplit,
  seed: number,
): { specs: ArmSpec<ArmKey>[]; skipped: Array<{ key: ArmKey; reason: string }> } {
  const specs: ArmSpec<ArmKey>[] = [];
  const skipped: Array<{ key: ArmKey; reason: string }> = [];
  const share = s.train.size > 0 ? s.trainUnexpected.length / s.train.size : 0;
  for (const [key, factor] of [
    ['halved', 0.5],
    ['doubled', 2],
  ] as const) {
    const target = share * factor;
    if (s.trainUnexpected.length === 0) {
      skipped.push({ key, reason: 'no unexpected ratings in the training period to resample' });
    } else if (target >= 0.95) {
      skipped.push({
        key,
        reason: `a share of ${(100 * target).toFixed(1)} % leaves too few recommended ratings`,
      });
    } else {
      const trainFor = (r: number): ArmTraining => {
        const rows = resampleUnexpected(
          s.trainUnexpected,
          s.trainExpected,
          target,
          deriveSeed(seed + r, key),
        );
        let u = 0;
        for (const i of rows) if (s.unexpected[s.trainIndices[i]!]) u++;
        return { data: s.train, rows, maskedInTrain: u };
      };
      specs.push({ key, name: `share ${key} (${(100 * target).toFixed(1)} %)`, weight: 1, trainFor });
    }
  }
  return { specs, skipped };
}

/** True when the down-weighted arm scored exactly like the unweighted one (null without it). */
function weightsWereIgnored(arms: readonly ImpactArm[]): boolean | null {
  const weighted = arms.find((a) => a.key === 'down-weighted');
  if (!weighted) return null;
  const a = weighted.runs[0]!;
  const b = arms[0]!.runs[0]!;
  return a.rmse === b.rmse && a.ndcg === b.ndcg;
}

function splitFacts(s: ImpactSplit, settings: ImpactSettings): ImpactReport['split'] {
  return {
    kind: 'temporal',
    testFraction: settings.testFraction,
    cutAt: s.cutAt,
    trainSize: s.train.size,
    testSize: s.test.size,
    trainUnexpected: s.trainUnexpected.length,
    testUnexpected: s.testUnexpected,
    likeThreshold: s.likeThreshold,
    k: s.k,
    testFingerprint: ratingsFingerprint(s.test),
  };
}

/**
 * The training-impact ablation. One temporal split of all stored ratings; the test period is the
 * same for every arm (same rows, same fingerprint, same candidates for the top-k: each test user's
 * unseen movies are those they did not rate in the whole training period). Arms differ only in
 * their training rows: with the unexpected-movie ratings, without them, with them down-weighted,
 * and with their share halved or doubled. The fitting and scoring of each arm is the evaluation
 * module's ablation (`runArm`); this report chooses the arms and puts the results together.
 */
export async function impactReport(db: Queryable, options: ImpactOptions = {}): Promise<ImpactReport> {
  const settings = checkOptions(options);
  const model = await chooseModel(db, options);
  const s = await splitRatings(db, settings);
  const fit: AblationFit = {
    ...model,
    seed: settings.seed,
    repeats: settings.repeats,
    movies: await loadMovies(db),
  };
  const arms = mainArms(s, settings.downWeight).map((spec) => runArm(spec, fit, s));
  const planned = options.scenarios === false ? { specs: [], skipped: [] } : scenarioArms(s, settings.seed);
  const scenarios = planned.specs.map((spec) => runArm(spec, fit, s));
  return {
    report: 'impact',
    generatedAt: options.now ?? Date.now(),
    model,
    seed: settings.seed,
    repeats: settings.repeats,
    split: splitFacts(s, settings),
    arms,
    weightsIgnored: weightsWereIgnored(arms),
    scenarios,
    skippedScenarios: planned.skipped,
    deltas: pairedDeltas(arms[0]!, [...arms.slice(1), ...scenarios]),
    flow: await trainingFlowCounts(db, s.unexpectedAll),
  };
}
