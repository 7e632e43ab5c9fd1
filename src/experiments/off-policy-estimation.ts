import { type Estimate, z95 } from './statistics.ts';

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
 * Intervals: visits are the independent units; the ratio's variance is the delta method's
 * var(N_u − R·D_u) / (n·D̄²), 95 % normal intervals. The effective sample size is Kish's
 * (Σ w)² / Σ w² over the matched movies.
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
  readonly target: readonly OpeTargetItem[];
}

/** A shown movie of the log, with the target's predicted rating for it: what the reward model learns from. */
export interface RewardRow {
  readonly predictedRating: number;
  readonly loggingPrediction?: number;
  readonly rated: boolean;
  readonly liked: boolean;
}

/** m̂(target prediction, logging prediction) = P(rated), P(rated and liked). */
export interface RewardModel {
  rated(predictedRating: number, loggingPrediction?: number): number;
  ratedLiked(predictedRating: number, loggingPrediction?: number): number;
}

const binWidth = 0.25;
const loggingBinWidth = 0.5;
const priorWeight = 5;

interface Bin {
  n: number;
  rated: number;
  ratedLiked: number;
}

const addTo = (bins: Map<number, Bin>, key: number, r: RewardRow) => {
  const b = bins.get(key) ?? { n: 0, rated: 0, ratedLiked: 0 };
  bins.set(key, b);
  b.n += 1;
  if (r.rated) b.rated += 1;
  if (r.rated && r.liked) b.ratedLiked += 1;
};

const shrunk = (b: Bin | undefined, pick: (b: Bin) => number, prior: number) =>
  b ? (pick(b) + priorWeight * prior) / (b.n + priorWeight) : prior;

/** Bin keys: the target bin, and the target and logging bins together (numbers: this runs per movie). */
const coarseKey = (p: number) => Math.floor(p / binWidth);
const loggingBin = (l: number) => Math.floor(l / loggingBinWidth);
const fineKey = (c: number, l: number) => c * 4096 + l;

/**
 * The direct-method model: mean outcomes of logged movies by the target's predicted rating (bins
 * of a quarter star) and, within those, by the logging ranker's prediction (half-star bins), each
 * level shrunk towards the one above by 5 pseudo-observations (overall → target bin → both). The
 * logging prediction is there because it is what chose the logged movies: at the same target
 * prediction, the movies the champion showed are better than the ones it did not, and a model
 * blind to that flatters a challenger whose picks the champion would not show. A movie in a
 * logging bin the log never had (rated lower than anything the champion showed) takes the nearest
 * bin it did have. Its assumption is that at given predictions, logged and unlogged movies turn
 * out alike; the doubly robust residuals correct it where the logs overlap.
 */
export function fitRewardModel(rows: readonly RewardRow[]): RewardModel {
  const all: Bin = { n: 0, rated: 0, ratedLiked: 0 };
  const coarse = new Map<number, Bin>();
  const fine = new Map<number, Bin>();
  // Logging bins present in each target bin, to find the nearest one on a miss.
  const present = new Map<number, number[]>();
  for (const r of rows) {
    all.n += 1;
    if (r.rated) all.rated += 1;
    if (r.rated && r.liked) all.ratedLiked += 1;
    const c = coarseKey(r.predictedRating);
    addTo(coarse, c, r);
    if (r.loggingPrediction === undefined) continue;
    const l = loggingBin(r.loggingPrediction);
    if (!fine.has(fineKey(c, l))) {
      const list = present.get(c) ?? [];
      present.set(c, list);
      list.push(l);
    }
    addTo(fine, fineKey(c, l), r);
  }
  const nearest = (c: number, l: number): Bin | undefined => {
    let best: number | undefined;
    for (const k of present.get(c) ?? [])
      if (best === undefined || Math.abs(k - l) < Math.abs(best - l)) best = k;
    return best === undefined ? undefined : fine.get(fineKey(c, best));
  };
  const estimate = (pick: (b: Bin) => number) => (p: number, logging?: number) => {
    const c = coarseKey(p);
    const top = all.n > 0 ? pick(all) / all.n : 0;
    const mid = shrunk(coarse.get(c), pick, top);
    if (logging === undefined) return mid;
    const l = loggingBin(logging);
    return shrunk(fine.get(fineKey(c, l)) ?? nearest(c, l), pick, mid);
  };
  return { rated: estimate((b) => b.rated), ratedLiked: estimate((b) => b.ratedLiked) };
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

/** Per-visit numerator and denominator sums of a ratio metric. */
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

  estimate(): Estimate {
    if (this.n < 2 || this.sd <= 0) return { value: Number.NaN, low: Number.NaN, high: Number.NaN };
    const r = this.sn / this.sd;
    const n = this.n;
    const dBar = this.sd / n;
    // Σ (N − R·D)² / (n − 1), expanded, with the residual's mean removed.
    const ss = this.snn - 2 * r * this.snd + r * r * this.sdd;
    const meanResidual = (this.sn - r * this.sd) / n;
    const variance = Math.max(0, (ss - n * meanResidual * meanResidual) / (n - 1)) / (n * dBar * dBar);
    const half = z95 * Math.sqrt(variance);
    return { value: r, low: r - half, high: r + half };
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
function addItem(v: VisitSums, item: OpeTargetItem, model: RewardModel, likeThreshold: number): number {
  const predictedLiked = item.predictedRating >= likeThreshold;
  const mRated = model.rated(item.predictedRating, item.loggingPrediction);
  const mLiked = model.ratedLiked(item.predictedRating, item.loggingPrediction);
  const mHit = predictedLiked ? mLiked : mRated - mLiked;
  v.dN += mHit;
  v.dD += mRated;
  v.drHitN += mLiked;
  const log = item.logged;
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
  for (const visit of visits) {
    const v: VisitSums = { aN: 0, aD: 0, dN: 0, dD: 0, hN: 0, hD: 0, drHitN: 0 };
    for (const item of visit.target) {
      targetItems += 1;
      const w = addItem(v, item, model, likeThreshold);
      if (w === 0) continue;
      matched += 1;
      sw += w;
      sww += w * w;
    }
    sums.accSnips.add(v.aN, v.aD);
    sums.accDr.add(v.dN, v.dD);
    sums.hitSnips.add(v.hN, v.hD);
    sums.hitDr.add(v.drHitN, visit.target.length);
  }
  return {
    visits: visits.length,
    matched,
    targetItems,
    effectiveSampleSize: sww > 0 ? (sw * sw) / sww : 0,
    accuracy: { snips: sums.accSnips.estimate(), dr: sums.accDr.estimate() },
    hitRate: { snips: sums.hitSnips.estimate(), dr: sums.hitDr.estimate() },
  };
}

/** How the OPE screen decides (configurable: `off` reports without discarding). */
export type OpeScreenMode = 'discard' | 'report' | 'off';

export interface OpeScreenVerdict {
  readonly action: 'discard' | 'test';
  readonly reason: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/**
 * The screen before an A/B test: a challenger whose doubly robust accuracy interval lies wholly
 * below the champion's estimate (its upper bound under the champion's point estimate) would lose
 * the test, so it is discarded without one. Everything else, including an estimate without
 * overlap (NaN), goes on to the A/B test.
 */
export function screenVerdict(
  challenger: OpeEstimate,
  champion: OpeEstimate,
  mode: OpeScreenMode,
): OpeScreenVerdict {
  const c = challenger.accuracy.dr;
  const ch = champion.accuracy.dr.value;
  const summary = `challenger accuracy ${pct(c.value)} [${pct(c.low)}, ${pct(c.high)}] (doubly robust, ${challenger.visits} visits, ESS ${challenger.effectiveSampleSize.toFixed(0)}) vs champion ${pct(ch)}`;
  if (!Number.isFinite(c.high) || !Number.isFinite(ch))
    return { action: 'test', reason: `no usable off-policy estimate (${summary}): A/B test decides` };
  if (c.high < ch && mode === 'discard')
    return { action: 'discard', reason: `upper bound below the champion's estimate: ${summary}` };
  if (c.high < ch) return { action: 'test', reason: `would discard (${summary}) but screening only reports` };
  return { action: 'test', reason: `not clearly worse: ${summary}` };
}
