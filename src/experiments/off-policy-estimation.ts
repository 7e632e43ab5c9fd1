import type { RewardCell, RewardModel } from './reward-model.ts';
import { type Estimate, z95 } from './statistics.ts';

export {
  fitRewardModel,
  type LoggedOutcome,
  type RewardCell,
  type RewardModel,
  type RewardRow,
} from './reward-model.ts';

/**
 * Off-policy estimates of a ranker's live liked-accuracy and hit rate from a propensity-logged
 * window (the item-position-free estimator: a movie's outcome depends on the user and the movie,
 * not on its slot, so an item counts wherever the logging policy put it).
 *
 * For each logged visit u the target ranker would have shown the list S(u). A movie i of S(u) that
 * the logging policy also showed carries the weight w = 1 / P(i shown), its inclusion propensity.
 * Both metrics are ratios of per-visit sums:
 * - accuracy = E[Σ rated·hit] / E[Σ rated], hit = the target's liked prediction was right;
 * - hit rate = E[Σ rated·liked] / E[|S|], the share of shown movies rated and liked.
 *
 * SNIPS (Swaminathan & Joachims 2015) sums w·outcome over the matched movies for both parts of
 * the ratio, which normalises by the weights actually seen (for the hit rate, Σ w).
 * Doubly robust (Dudík et al. 2011) adds to the reward model m̂'s prediction for every movie of
 * S(u) the weighted residual w·(outcome − m̂) of the matched ones: unbiased when either the
 * propensities or m̂ are right, and much less variable than IPS when m̂ is good.
 * Intervals: users are the independent units (a user's visits are summed first: one user's
 * outcomes go together, and heavy users make many visits); the ratio's variance is the delta
 * method's var(N_u − R·D_u) / (n·D̄²) over the n users, 95 % normal intervals. The effective sample size is Kish's
 * (Σ w)² / Σ w² over the matched movies.
 * The reward model, with its per-user offsets, is in `reward-model.ts`; the offsets are fitted
 * from each user's own logged rows, so their error is part of each user's sums and the users'
 * spread counts it, while the bins' error is added by `RewardModelLeverage`.
 */

/** One movie of the target's list for a visit, with the logged outcome if the logging policy showed it. */
export interface OpeTargetItem {
  /** The target ranker's predicted rating (its liked prediction is predictedRating ≥ likeThreshold). */
  readonly predictedRating: number;
  /** The logging ranker's predicted rating of the same movie (what decided whether it was shown). */
  readonly loggingPrediction?: number;
  /** null: the logging policy did not show this movie in this visit. */
  readonly logged: {
    /** Probability that the logging policy shows this movie in this visit (> 0). */
    readonly inclusion: number;
    readonly rated: boolean;
    /** Meaningful only when rated. */
    readonly liked: boolean;
  } | null;
}

export interface OpeVisit {
  /**
   * The user the list was served to: the visits of one user form one unit of the intervals.
   * Absent: the visit is a unit of its own.
   */
  readonly user?: number;
  readonly target: readonly OpeTargetItem[];
}

export interface OpeMetric {
  readonly snips: Estimate;
  readonly dr: Estimate;
}

/** The estimate of one ranker from one logged window. Plain data. */
export interface OpeEstimate {
  readonly visits: number;
  /** Movies of the target's lists the log also showed. */
  readonly matched: number;
  /** Movies of the target's lists in all visits. */
  readonly targetItems: number;
  /** Kish effective sample size of the matched movies' weights. */
  readonly effectiveSampleSize: number;
  readonly accuracy: OpeMetric;
  readonly hitRate: OpeMetric;
}

/** Per-unit (per-user) numerator and denominator sums of a ratio metric. */
class RatioSums {
  private n = 0;
  private sn = 0;
  private sd = 0;
  private snn = 0;
  private sdd = 0;
  private snd = 0;

  add(num: number, den: number): void {
    this.n += 1;
    this.sn += num;
    this.sd += den;
    this.snn += num * num;
    this.sdd += den * den;
    this.snd += num * den;
  }

  /** The ratio Σ N / Σ D. */
  ratio(): number {
    return this.sn / this.sd;
  }

  get totalDenominator(): number {
    return this.sd;
  }

  /** The ratio with its 95 % interval; `extraVariance` is added to the sampling variance (the reward model's). */
  estimate(extraVariance = 0): Estimate {
    if (this.n < 2 || this.sd <= 0) return { value: Number.NaN, low: Number.NaN, high: Number.NaN };
    const r = this.sn / this.sd;
    const n = this.n;
    const dBar = this.sd / n;
    // Σ (N − R·D)² / (n − 1), expanded, with the residual's mean removed.
    const ss = this.snn - 2 * r * this.snd + r * r * this.sdd;
    const meanResidual = (this.sn - r * this.sd) / n;
    const variance = Math.max(0, (ss - n * meanResidual * meanResidual) / (n - 1)) / (n * dBar * dBar);
    const half = z95 * Math.sqrt(variance + extraVariance);
    return { value: r, low: r - half, high: r + half };
  }
}

/**
 * How much the doubly robust sums lean on each bin of the reward model: per bin, the derivative of
 * the accuracy numerator with respect to its P(rated and liked) and P(rated), of the denominator
 * with respect to P(rated), and of the hit rate's numerator with respect to P(rated and liked).
 * A movie of the target's list adds (1 − w) when logged with weight w, 1 when not: where the log
 * covers a movie the weighted residual cancels the model's error on average, so what remains is
 * the model's weight on movies the logging policy could not have shown.
 */
class RewardModelLeverage {
  private readonly bins = new Map<
    number,
    { cell: RewardCell; numLiked: number; numRated: number; denRated: number; hitLiked: number }
  >();

  add(cell: RewardCell, predictedLiked: boolean, factor: number): void {
    let b = this.bins.get(cell.key);
    if (!b) {
      b = { cell, numLiked: 0, numRated: 0, denRated: 0, hitLiked: 0 };
      this.bins.set(cell.key, b);
    }
    if (predictedLiked) b.numLiked += factor;
    else {
      b.numRated += factor;
      b.numLiked -= factor;
    }
    b.denRated += factor;
    b.hitLiked += factor;
  }

  /**
   * The variance the reward model's own sampling error adds to the DR accuracy (ratio r over
   * denominator total `den`) and hit rate (over `items` list movies), by the delta method: each
   * bin's P(rated) and P(rated and liked) are (shrunk) proportions of its rows, with variances
   * p(1 − p)·f and covariance P(rated and liked)·(1 − P(rated))·f (f its varianceFactor); bins
   * are independent.
   */
  variances(r: number, den: number, items: number): { readonly accuracy: number; readonly hitRate: number } {
    let accuracy = 0;
    let hitRate = 0;
    for (const b of this.bins.values()) {
      const { varianceFactor: f, binRated: rated, binRatedLiked: ratedLiked } = b.cell;
      const vl = ratedLiked * (1 - ratedLiked) * f;
      const vr = rated * (1 - rated) * f;
      const cov = ratedLiked * (1 - rated) * f;
      const gl = b.numLiked / den;
      const gr = (b.numRated - r * b.denRated) / den;
      accuracy += gl * gl * vl + gr * gr * vr + 2 * gl * gr * cov;
      hitRate += (b.hitLiked / items) ** 2 * vl;
    }
    return { accuracy, hitRate };
  }
}

/** One visit's sums: SNIPS and DR numerators and denominators of accuracy and hit rate. */
interface VisitSums {
  aN: number;
  aD: number;
  dN: number;
  dD: number;
  hN: number;
  hD: number;
  drHitN: number;
}

/** Adds one movie of the target's list to its visit's sums; returns its weight (0 when not logged). */
function addItem(
  v: VisitSums,
  item: OpeTargetItem,
  user: number | undefined,
  model: RewardModel,
  likeThreshold: number,
  leverage: RewardModelLeverage,
): number {
  const predictedLiked = item.predictedRating >= likeThreshold;
  const cell = model.cell(item.predictedRating, item.loggingPrediction, user, item.logged ?? undefined);
  const mRated = cell.rated;
  const mLiked = cell.ratedLiked;
  const mHit = predictedLiked ? mLiked : mRated - mLiked;
  v.dN += mHit;
  v.dD += mRated;
  v.drHitN += mLiked;
  const log = item.logged;
  leverage.add(cell, predictedLiked, log ? 1 - 1 / log.inclusion : 1);
  if (!log) return 0;
  const w = 1 / log.inclusion;
  const rated = log.rated ? 1 : 0;
  const liked = log.rated && log.liked ? 1 : 0;
  const hit = log.rated && log.liked === predictedLiked ? 1 : 0;
  v.aN += w * hit;
  v.aD += w * rated;
  v.hN += w * liked;
  v.hD += w;
  v.dN += w * (hit - mHit);
  v.dD += w * (rated - mRated);
  v.drHitN += w * (liked - mLiked);
  return w;
}

/** SNIPS and doubly robust estimates of the target's accuracy and hit rate over the logged visits. */
export function estimateOffPolicy(
  visits: readonly OpeVisit[],
  model: RewardModel,
  likeThreshold: number,
): OpeEstimate {
  const sums = {
    accSnips: new RatioSums(),
    accDr: new RatioSums(),
    hitSnips: new RatioSums(),
    hitDr: new RatioSums(),
  };
  let matched = 0;
  let targetItems = 0;
  let sw = 0;
  let sww = 0;
  const leverage = new RewardModelLeverage();
  // Each user's sums over their visits (a visit without a user is a unit of its own).
  const units = new Map<number, VisitSums & { items: number }>();
  visits.forEach((visit, index) => {
    const key = visit.user ?? -1 - index;
    let v = units.get(key);
    if (!v) {
      v = { aN: 0, aD: 0, dN: 0, dD: 0, hN: 0, hD: 0, drHitN: 0, items: 0 };
      units.set(key, v);
    }
    v.items += visit.target.length;
    for (const item of visit.target) {
      targetItems += 1;
      const w = addItem(v, item, visit.user, model, likeThreshold, leverage);
      if (w === 0) continue;
      matched += 1;
      sw += w;
      sww += w * w;
    }
  });
  for (const v of units.values()) {
    sums.accSnips.add(v.aN, v.aD);
    sums.accDr.add(v.dN, v.dD);
    sums.hitSnips.add(v.hN, v.hD);
    sums.hitDr.add(v.drHitN, v.items);
  }
  const model_ = leverage.variances(sums.accDr.ratio(), sums.accDr.totalDenominator, targetItems);
  return {
    visits: visits.length,
    matched,
    targetItems,
    effectiveSampleSize: sww > 0 ? (sw * sw) / sww : 0,
    accuracy: { snips: sums.accSnips.estimate(), dr: sums.accDr.estimate(model_.accuracy) },
    hitRate: { snips: sums.hitSnips.estimate(), dr: sums.hitDr.estimate(model_.hitRate) },
  };
}

/** How the OPE screen decides (configurable: `off` reports without discarding). */
export type OpeScreenMode = 'discard' | 'report' | 'off';

export interface OpeScreenVerdict {
  readonly action: 'discard' | 'test';
  readonly reason: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** The one-sided 95 % upper bound of a two-sided 95 % interval (z 1.645 instead of 1.960). */
const oneSidedUpper = (e: Estimate): number => e.value + (1.6449 / z95) * (e.high - e.value);

/**
 * The screen before an A/B test: a challenger whose doubly robust accuracy is below the
 * champion's estimate with 95 % confidence (its one-sided upper bound under the champion's point
 * estimate: "clearly worse" is a one-sided question) would lose the test, so it is discarded
 * without one. Everything else, including an estimate without overlap (NaN), goes on to the A/B
 * test.
 */
export function screenVerdict(
  challenger: OpeEstimate,
  champion: OpeEstimate,
  mode: OpeScreenMode,
): OpeScreenVerdict {
  const c = challenger.accuracy.dr;
  const ch = champion.accuracy.dr.value;
  const upper = oneSidedUpper(c);
  const summary = `challenger accuracy ${pct(c.value)} [${pct(c.low)}, ${pct(c.high)}], one-sided 95 % upper bound ${pct(upper)} (doubly robust, ${challenger.visits} visits, ESS ${challenger.effectiveSampleSize.toFixed(0)}) vs champion ${pct(ch)}`;
  if (!Number.isFinite(upper) || !Number.isFinite(ch))
    return { action: 'test', reason: `no usable off-policy estimate (${summary}): A/B test decides` };
  if (upper < ch && mode === 'discard')
    return { action: 'discard', reason: `upper bound below the champion's estimate: ${summary}` };
  if (upper < ch) return { action: 'test', reason: `would discard (${summary}) but screening only reports` };
  return { action: 'test', reason: `not clearly worse: ${summary}` };
}
