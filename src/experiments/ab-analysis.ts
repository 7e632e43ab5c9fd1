import {
  type Estimate,
  mixtureSequentialTest,
  proportion,
  proportionDifference,
  type RatioSums,
  ratioVariance,
  rmse,
  rmseDifference,
  type SampleRatioCheck,
  type SequentialTest,
  sampleRatioCheck,
  smoothedBernoulliVariance,
  srmThreshold,
  z95,
} from './statistics.ts';

/** What one arm has collected so far: plain counts and sums, as the database aggregates them. */
export interface ArmCounts {
  /** Distinct users served by this arm (the unit of assignment, used by the SRM check). */
  readonly users: number;
  /** Recommendations served by this arm. */
  readonly served: number;
  /** Served recommendations that were rated (outcome rows). */
  readonly n: number;
  /** Outcomes whose liked / not-liked prediction was right (liked accuracy counts these). */
  readonly hits: number;
  /** Outcomes the user liked. */
  readonly liked: number;
  /** Σ (predicted − actual)². */
  readonly sumSquares: number;
  /** Σ (predicted − actual)⁴. */
  readonly sumFourth: number;
  /**
   * Per-user sums of the rated outcomes, for the delta method (the user is the unit): users with
   * at least one rated outcome, and over them Σ n_u², Σ hits_u², Σ hits_u·n_u.
   */
  readonly raters: number;
  readonly sumRatedSquared: number;
  readonly sumHitsSquared: number;
  readonly sumHitsRated: number;
}

export const emptyArm: ArmCounts = Object.freeze({
  users: 0,
  served: 0,
  n: 0,
  hits: 0,
  liked: 0,
  sumSquares: 0,
  sumFourth: 0,
  raters: 0,
  sumRatedSquared: 0,
  sumHitsSquared: 0,
  sumHitsRated: 0,
});

/**
 * The counts as if every rated recommendation came from its own user: the independent-coins view
 * the A/B test took before the user was its unit. Only the simulations use it, to show what that
 * view costs when users differ.
 */
export function ratingsAsUnits(a: ArmCounts): ArmCounts {
  return { ...a, raters: a.n, sumRatedSquared: a.n, sumHitsSquared: a.hits, sumHitsRated: a.hits };
}

const accuracySums = (a: ArmCounts): RatioSums => ({
  units: a.raters,
  sumY: a.hits,
  sumN: a.n,
  sumYY: a.sumHitsSquared,
  sumNN: a.sumRatedSquared,
  sumYN: a.sumHitsRated,
});

/**
 * The variance of an arm's accuracy (hits / n) with the user as the unit (`ratioVariance`, the
 * delta method): a user's ratings are not independent coins (some users like most of what they
 * see, heavy users rate dozens of recommendations), and treating them as such made the test
 * anti-conservative. Never below the independent-coins variance with one pseudo-hit and
 * pseudo-miss (`smoothedBernoulliVariance`), which it equals on average when users do not differ:
 * an arm of a few users who so far hit every time must not get zero variance.
 */
export function accuracyVariance(a: ArmCounts): number {
  if (a.n <= 0) return Number.NaN;
  const coins = smoothedBernoulliVariance(a.hits, a.n) / a.n;
  const users = ratioVariance(accuracySums(a));
  return Number.isFinite(users) ? Math.max(users, coins) : coins;
}

/** How a test decides. Every field is recorded with each decision. */
export interface AbPolicy {
  /** Relative accuracy improvement the challenger needs (config autoActivateThreshold, 0.05). */
  readonly autoActivateThreshold: number;
  /** Rated recommendations each arm needs before any decision but "continue". */
  readonly minSamples: number;
  /** After this many days without a winner the challenger is discarded. */
  readonly maxDays: number;
  /** Level of the sequential test (two-sided). */
  readonly alpha: number;
  /** Mixture standard deviation of the sequential test: the accuracy difference it is tuned for. */
  readonly tau: number;
  /** SRM p-value below which decisions are blocked. */
  readonly srmThreshold: number;
}

/**
 * Defaults and why: α = 0.02 two-sided makes the chance that an A/A test ever declares the
 * challenger better at most α/2 = 1 % however often it is looked at (the mixture is symmetric, so
 * each direction gets half of Ville's bound); τ = 0.05 tunes the test to accuracy differences of a
 * few points, the size a 5–10 % relative improvement on a ~0.7 accuracy is.
 */
export const defaultAbPolicy: AbPolicy = Object.freeze({
  autoActivateThreshold: 0.05,
  minSamples: 300,
  maxDays: 14,
  alpha: 0.02,
  tau: 0.05,
  srmThreshold,
});

export interface ArmStatistics {
  readonly users: number;
  readonly served: number;
  readonly n: number;
  /** Liked-prediction accuracy (hits / n), Wilson 95 % interval on the users' effective sample size. */
  readonly accuracy: Estimate;
  /** RMSE of predicted against actual rating, 95 % interval. */
  readonly rmse: Estimate;
  /** Share of rated recommendations the user liked, Wilson 95 % interval. */
  readonly likedRate: Estimate;
}

export type AbAction = 'activate' | 'discard' | 'continue' | 'blocked';

export interface AbVerdict {
  readonly action: AbAction;
  readonly reason: string;
}

/** Everything `ab validate` shows, and what a decision stores. Plain data. */
export interface AbAnalysis {
  readonly elapsedDays: number;
  readonly policy: AbPolicy;
  readonly arms: { readonly champion: ArmStatistics; readonly challenger: ArmStatistics };
  /**
   * challenger − champion, fixed-horizon 95 % intervals (descriptive; decisions use `sequential`).
   * The accuracy's comes from the user-level variance; the RMSE's and liked rate's still count
   * ratings as independent, so they are narrower than the truth when users differ.
   */
  readonly difference: {
    readonly accuracy: Estimate;
    readonly rmse: Estimate;
    readonly likedRate: Estimate;
  };
  /** (accuracy_challenger − accuracy_champion) / accuracy_champion. */
  readonly relativeAccuracyImprovement: number;
  readonly srm: SampleRatioCheck;
  /** The sequential test of the accuracy difference; its low/high are the always-valid interval. */
  readonly sequential: SequentialTest;
  readonly enoughSamples: boolean;
  readonly verdict: AbVerdict;
}

/**
 * The Wilson interval of the accuracy on the effective sample size n / deff, where the design
 * effect deff = (user-level variance) / (independent-coins variance) ≥ 1: as wide as the user-level
 * variance says, and still inside [0, 1].
 */
function accuracyEstimate(a: ArmCounts): Estimate {
  if (a.n <= 0) return proportion(a.hits, a.n);
  const deff = Math.max(1, accuracyVariance(a) / (smoothedBernoulliVariance(a.hits, a.n) / a.n));
  const interval = proportion(a.hits / deff, a.n / deff);
  return { ...interval, value: a.hits / a.n };
}

function armStatistics(a: ArmCounts): ArmStatistics {
  return {
    users: a.users,
    served: a.served,
    n: a.n,
    accuracy: accuracyEstimate(a),
    rmse: rmse({ n: a.n, sumSquares: a.sumSquares, sumFourth: a.sumFourth }),
    likedRate: proportion(a.liked, a.n),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** What the verdict is decided from. */
interface VerdictInputs {
  readonly champion: ArmCounts;
  readonly challenger: ArmCounts;
  readonly policy: AbPolicy;
  readonly srm: ReturnType<typeof sampleRatioCheck>;
  readonly sequential: ReturnType<typeof mixtureSequentialTest>;
  readonly expired: boolean;
  readonly enoughSamples: boolean;
  /** Challenger accuracy minus champion accuracy. */
  readonly difference: number;
  readonly relative: number;
  readonly championAccuracy: number;
}

/** The verdict by the rules above, in their order, with the numbers that decided it. */
function verdictOf(v: VerdictInputs): AbVerdict {
  if (v.srm.mismatch) {
    const why = `sample ratio mismatch: ${v.champion.users}:${v.challenger.users} users against an expected ${v.srm.expected.champion.toFixed(0)}:${v.srm.expected.challenger.toFixed(0)} (chi-square ${v.srm.chiSquare.toFixed(1)}, p = ${v.srm.pValue.toExponential(2)} < ${v.policy.srmThreshold})`;
    return v.expired
      ? { action: 'discard', reason: `max days (${v.policy.maxDays}) reached while blocked by a ${why}` }
      : { action: 'blocked', reason: `${why}; no decision until assignment is fixed` };
  } else if (!v.enoughSamples) {
    const why = `${v.champion.n} and ${v.challenger.n} rated recommendations (champion, challenger), ${v.policy.minSamples} needed per arm`;
    return v.expired
      ? { action: 'discard', reason: `max days (${v.policy.maxDays}) reached with too few samples: ${why}` }
      : { action: 'continue', reason: `waiting for samples: ${why}` };
  } else if (v.sequential.significant && v.difference > 0 && v.relative >= v.policy.autoActivateThreshold) {
    return {
      action: 'activate',
      reason: `challenger accuracy ${pct(v.challenger.hits / v.challenger.n)} vs ${pct(v.championAccuracy)}: +${pct(v.relative)} relative ≥ ${pct(v.policy.autoActivateThreshold)}, sequential test significant (p = ${v.sequential.pValue.toExponential(2)} < ${v.policy.alpha})`,
    };
  } else if (v.sequential.significant && v.difference < 0) {
    return {
      action: 'discard',
      reason: `challenger significantly worse: accuracy ${pct(v.challenger.hits / v.challenger.n)} vs ${pct(v.championAccuracy)} (${pct(v.relative)} relative, sequential p = ${v.sequential.pValue.toExponential(2)} < ${v.policy.alpha})`,
    };
  } else if (v.expired) {
    return {
      action: 'discard',
      reason: `max days (${v.policy.maxDays}) reached without a winner: ${pct(v.relative)} relative accuracy change, sequential p = ${v.sequential.pValue.toPrecision(3)}`,
    };
  } else if (v.sequential.significant) {
    return {
      action: 'continue',
      reason: `challenger really better but by ${pct(v.relative)} relative, below the ${pct(v.policy.autoActivateThreshold)} threshold`,
    };
  } else {
    return {
      action: 'continue',
      reason: `no significant difference yet: ${pct(v.relative)} relative accuracy change, sequential p = ${v.sequential.pValue.toPrecision(3)} (needs < ${v.policy.alpha})`,
    };
  }
}

/** challenger − champion accuracy with its 95 % interval from the user-level variance. */
function differenceEstimate(champion: ArmCounts, challenger: ArmCounts, variance: number): Estimate {
  if (!(variance >= 0))
    return { value: Number.NaN, low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY };
  const value = challenger.hits / challenger.n - champion.hits / champion.n;
  const half = z95 * Math.sqrt(variance);
  return { value, low: value - half, high: value + half };
}

/**
 * The statistics of a test and its verdict, from the counts of each arm. Pure: the same counts give
 * the same analysis, which is what lets the simulations vouch for the decisions made live.
 *
 * Order of the rules: a sample-ratio mismatch blocks everything (the arms are not comparable);
 * too few samples only waits; a real (sequentially significant) improvement of at least the
 * threshold activates; a real deterioration discards; reaching max days without a winner
 * discards; anything else continues.
 */
export function analyseAbTest(
  champion: ArmCounts,
  challenger: ArmCounts,
  traffic: number,
  elapsedDays: number,
  policy: AbPolicy = defaultAbPolicy,
): AbAnalysis {
  const srm = sampleRatioCheck(champion.users, challenger.users, traffic, policy.srmThreshold);
  const variance =
    champion.n > 0 && challenger.n > 0
      ? accuracyVariance(champion) + accuracyVariance(challenger)
      : Number.NaN;
  const accuracy = differenceEstimate(champion, challenger, variance);
  const sequential = mixtureSequentialTest(accuracy.value, variance, policy.tau, policy.alpha);
  const accA = champion.n > 0 ? champion.hits / champion.n : Number.NaN;
  // A champion that never got one right: any real gain is an unbounded relative improvement.
  const relative =
    accA > 0
      ? accuracy.value / accA
      : accA === 0
        ? accuracy.value > 0
          ? Number.POSITIVE_INFINITY
          : 0
        : Number.NaN;
  const enoughSamples = champion.n >= policy.minSamples && challenger.n >= policy.minSamples;
  const expired = elapsedDays >= policy.maxDays;

  const verdict = verdictOf({
    ...{ champion, challenger, policy, srm, sequential, expired, enoughSamples },
    ...{ difference: accuracy.value, relative, championAccuracy: accA },
  });

  return {
    elapsedDays,
    policy,
    arms: { champion: armStatistics(champion), challenger: armStatistics(challenger) },
    difference: {
      accuracy,
      rmse: rmseDifference(
        { n: champion.n, sumSquares: champion.sumSquares, sumFourth: champion.sumFourth },
        { n: challenger.n, sumSquares: challenger.sumSquares, sumFourth: challenger.sumFourth },
      ),
      likedRate: proportionDifference(champion.liked, champion.n, challenger.liked, challenger.n),
    },
    relativeAccuracyImprovement: relative,
    srm,
    sequential,
    enoughSamples,
    verdict,
  };
}
