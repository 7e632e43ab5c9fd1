import { deriveSeed, Rng } from '../random/rng.ts';
import {
  type AbAction,
  type AbPolicy,
  type ArmCounts,
  analyseAbTest,
  defaultAbPolicy,
  emptyArm,
  ratingsAsUnits,
} from './ab-analysis.ts';
import { drawRatingsPerUser, mlLatestSmallUsers } from './user-spread.ts';

export interface AbSimulationOptions {
  /** Simulated tests. */
  readonly runs: number;
  readonly seed: number;
  /** True liked-accuracy of the champion and of the challenger. */
  readonly championAccuracy: number;
  readonly challengerAccuracy: number;
  /**
   * Rated recommendations per day, both arms together (one per user: the user is the unit); with
   * `users`, users per day.
   */
  readonly dailyOutcomes: number;
  /**
   * Users who differ: each brings a heavy-tailed number of rated recommendations (ml-latest-small's
   * ratings per user, scaled to a mean of `meanRatings`, at least 1) and has their own accuracy, the
   * arm's plus N(0, accuracySd²) clamped to [0, 1]. Without it every user rates one recommendation.
   */
  readonly users?: { readonly meanRatings: number; readonly accuracySd: number };
  /**
   * What the analysis takes as the independent unit: 'user' (production, the delta method) or
   * 'rating' (every rated recommendation an independent coin, as before users were the unit: only
   * to show what that assumption costs).
   */
  readonly unit?: 'user' | 'rating';
  /** Configured challenger share. */
  readonly traffic: number;
  /** Share that actually arrives in the challenger arm (a broken assignment); default `traffic`. */
  readonly arrivalShare?: number;
  readonly policy?: AbPolicy;
}

export interface AbSimulationResult {
  readonly runs: number;
  /** Tests ended by each action (`continue` never ends a test; `blocked` counts tests still blocked at the end). */
  readonly outcomes: Readonly<Record<AbAction, number>>;
  readonly activationRate: number;
  /** Mean rated recommendations per arm when the test ended. */
  readonly meanSamplesPerArm: number;
  /** Tests in which SRM blocked at least one look. */
  readonly blockedAtSomeLook: number;
}

/**
 * Runs many simulated A/B tests through `analyseAbTest`, looked at once a day, exactly as the
 * live decision runs: each day's outcomes arrive, the test is analysed, and it ends at the first
 * activate or discard verdict. Prediction errors are drawn as N(0, 0.9) (their size does not enter
 * the decision, only RMSE's reporting).
 */
export function simulateAbTests(options: AbSimulationOptions): AbSimulationResult {
  const policy = options.policy ?? defaultAbPolicy;
  const arrival = options.arrivalShare ?? options.traffic;
  const outcomes: Record<AbAction, number> = { activate: 0, discard: 0, continue: 0, blocked: 0 };
  let samples = 0;
  let blockedAtSomeLook = 0;
  const days = Math.ceil(policy.maxDays);
  for (let run = 0; run < options.runs; run++) {
    const rng = new Rng(deriveSeed(options.seed, `ab-simulation-${run}`));
    const arms = [{ ...emptyMutable() }, { ...emptyMutable() }];
    let ended: AbAction = 'continue';
    let everBlocked = false;
    for (let day = 1; day <= days; day++) {
      for (let i = 0; i < options.dailyOutcomes; i++) {
        const b = rng.next() < arrival ? 1 : 0;
        addUser(arms[b]!, b ? options.challengerAccuracy : options.championAccuracy, options, rng);
      }
      const [a, b] = options.unit === 'rating' ? arms.map(ratingsAsUnits) : arms;
      const verdict = analyseAbTest(a!, b!, options.traffic, day, policy).verdict;
      if (verdict.action === 'blocked') everBlocked = true;
      if (verdict.action === 'activate' || verdict.action === 'discard') {
        ended = verdict.action;
        break;
      }
      if (day === days) ended = verdict.action;
    }
    outcomes[ended] += 1;
    if (everBlocked) blockedAtSomeLook += 1;
    samples += (arms[0]!.n + arms[1]!.n) / 2;
  }
  return {
    runs: options.runs,
    outcomes,
    activationRate: outcomes.activate / options.runs,
    meanSamplesPerArm: samples / options.runs,
    blockedAtSomeLook,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * One user's outcomes added to their arm: one rated recommendation, or with `users` a
 * heavy-tailed number of them at the user's own accuracy. Prediction errors are N(0, 0.9).
 */
function addUser(arm: Mutable<ArmCounts>, accuracy: number, o: AbSimulationOptions, rng: Rng): void {
  let n = 1;
  let p = accuracy;
  if (o.users) {
    const r = drawRatingsPerUser(mlLatestSmallUsers, rng);
    n = Math.max(1, Math.round((r * o.users.meanRatings) / mlLatestSmallUsers.meanRatingsPerUser));
    p = Math.min(1, Math.max(0, accuracy + rng.normal(0, o.users.accuracySd)));
  }
  let hits = 0;
  arm.users += 1;
  for (let j = 0; j < n; j++) {
    arm.served += 1;
    arm.n += 1;
    if (rng.next() < p) hits += 1;
    if (rng.next() < 0.5) arm.liked += 1;
    const e = rng.normal() * 0.9;
    arm.sumSquares += e * e;
    arm.sumFourth += e * e * e * e;
  }
  arm.hits += hits;
  arm.raters += 1;
  arm.sumRatedSquared += n * n;
  arm.sumHitsSquared += hits * hits;
  arm.sumHitsRated += hits * n;
}

function emptyMutable(): Mutable<ArmCounts> {
  return { ...emptyArm };
}
