/**
 * The reward model of the doubly robust off-policy estimate (`off-policy-estimation.ts`): the
 * logged outcomes binned by the target's and the logging ranker's predicted ratings, with an
 * offset of each user's own.
 */

/** A shown movie of the log, with the target's predicted rating for it: what the reward model learns from. */
export interface RewardRow {
  /** The user it was shown to (absent: no user offset is learnt from or applied to the row). */
  readonly user?: number;
  readonly predictedRating: number;
  readonly loggingPrediction?: number;
  readonly rated: boolean;
  readonly liked: boolean;
}

/** The reward model's answer for one movie, and the bin it came from. */
export interface RewardCell {
  /** Identifies the bin that answered (the same bin, the same key). */
  readonly key: number;
  /**
   * Its estimates' sampling variance is p(1 − p) × this: n / (n + k)² for a bin of n logged rows
   * shrunk by k pseudo-rows towards the level above (whose own, much smaller, variance is left out).
   */
  readonly varianceFactor: number;
  /** The bin's own P(rated) and P(rated and liked), without the user's offset (what its variance is of). */
  readonly binRated: number;
  readonly binRatedLiked: number;
  /** The prediction for this user: the bin's value moved by the user's offsets. */
  readonly rated: number;
  readonly ratedLiked: number;
}

/** A logged outcome the fit saw, to be left out of its user's offset when predicting that very movie. */
export interface LoggedOutcome {
  readonly rated: boolean;
  readonly liked: boolean;
}

/** m̂(target prediction, logging prediction, user) = P(rated), P(rated and liked). */
export interface RewardModel {
  rated(predictedRating: number, loggingPrediction?: number, user?: number): number;
  ratedLiked(predictedRating: number, loggingPrediction?: number, user?: number): number;
  /**
   * `own`: this movie's logged outcome, which the fit included; it is taken out of the user's
   * offsets (one Newton step's influence), so that the doubly robust residual of a movie is never
   * against a prediction made from that movie's own outcome: an explored movie weighs w ≈ 40, and
   * the (1 − w)·m̂ term would otherwise take back part of its correction.
   */
  cell(predictedRating: number, loggingPrediction?: number, user?: number, own?: LoggedOutcome): RewardCell;
  /** The user's logit offsets to P(rated) and P(liked | rated) (0 for a user the log did not have). */
  userOffset(user: number): { readonly rated: number; readonly liked: number };
}

const binWidth = 0.25;
const loggingBinWidth = 0.5;
const priorWeight = 5;
/** Rounds of fitting the bins and the user offsets in turn (Newton steps of the offsets). */
const backfitRounds = 4;
/** Newton steps of the offsets under the estimated prior, the bins held. */
const shrinkRounds = 3;
/**
 * The prior variance (logit scale) while bins and offsets are fitted together: weak enough that
 * the bins do not keep the part of a user's level a tight prior would deny the offset, firm enough
 * that a user whose every row was liked keeps a finite offset.
 */
const weakPrior = { rated: 4, liked: 4 };

/** A bin's counts and the sums of its rows' current user offsets (to net them out of the bin). */
interface Bin {
  n: number;
  rated: number;
  ratedLiked: number;
  offsetRated: number;
  offsetLiked: number;
}

const emptyBin = (): Bin => ({ n: 0, rated: 0, ratedLiked: 0, offsetRated: 0, offsetLiked: 0 });

const shrunk = (b: Bin | undefined, pick: (b: Bin) => number, prior: number) =>
  b ? (pick(b) + priorWeight * prior) / (b.n + priorWeight) : prior;

/** Bin keys: the target bin, and the target and logging bins together (numbers: this runs per movie). */
const coarseKey = (p: number) => Math.floor(p / binWidth);
const loggingBin = (l: number) => Math.floor(l / loggingBinWidth);
const fineKey = (c: number, l: number) => c * 4096 + l;

const logit = (p: number) => {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
};
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * One user's offset on one logit scale (P(rated), or P(liked | rated)) and the sums of the last
 * round over the user's rows: the residuals Σ (y − p) and the information Σ p(1 − p).
 */
interface Offset {
  delta: number;
  residual: number;
  information: number;
}

interface UserOffsets {
  readonly rated: Offset;
  readonly liked: Offset;
}

/**
 * The empirical-Bayes prior variance τ² of the users' offsets on one scale: the information-weighted
 * mean over users of their unshrunk estimate squared less its sampling variance 1 / information
 * (method of moments), at least 1e-4 (then the offsets are all but 0).
 */
function priorVariance(offsets: readonly Offset[]): number {
  let weighted = 0;
  let information = 0;
  for (const o of offsets) {
    if (o.information <= 0) continue;
    const raw = o.delta + o.residual / o.information;
    weighted += o.information * raw * raw - 1;
    information += o.information;
  }
  return information > 0 ? Math.max(1e-4, weighted / information) : 1e-4;
}

/** Adds a row, with its user's current offsets, to a bin. */
function addRow(b: Bin, r: RewardRow, o: UserOffsets | undefined): void {
  b.n += 1;
  if (r.rated) b.rated += 1;
  if (r.rated && r.liked) b.ratedLiked += 1;
  b.offsetRated += o?.rated.delta ?? 0;
  b.offsetLiked += o?.liked.delta ?? 0;
}

/**
 * The direct-method model: mean outcomes of logged movies by the target's predicted rating (bins
 * of a quarter star) and, within those, by the logging ranker's prediction (half-star bins), each
 * level shrunk towards the one above by 5 pseudo-observations (overall → target bin → both), and
 * an offset of the user's own. The logging prediction is there because it is what chose the
 * logged movies: at the same target prediction, the movies the champion showed are better than
 * the ones it did not, and a model blind to that flatters a challenger whose picks the champion
 * would not show. A movie in a logging bin the log never had (rated lower than anything the
 * champion showed) takes the nearest bin it did have.
 *
 * The user offset is there because users differ in level: the champion's top movies of a user who
 * likes little reach lower predictions than those of a user who likes much, so at the same
 * predictions the logged movies (which train the bins) and a challenger's unlogged ones (which the
 * bins extrapolate to) come from different users. P(rated) and P(liked | rated) each get a
 * per-user offset on the logit scale (a level moves the true rating, which moves the like
 * probability along a sigmoid: the offset is additive there, not on the probability scale). Each
 * offset is a penalised logistic fit of the user's logged rows with their bins as the base, under
 * a normal prior. Bins and offsets are first fitted in turn under a weak prior (`backfitRounds`
 * Newton steps; each bin's logit nets out the mean offset of its rows' users), so that the bins
 * are free of the users' levels; then the prior's variance is estimated from the spread of those
 * nearly unshrunk offsets (empirical Bayes) and the offsets are shrunk under it, the bins held (a
 * user with few rows keeps little of their own). Estimating the prior while the bins were still
 * being fitted let the bins keep much of the level: the prior came out small, the offsets small,
 * and in side runs of 5–10 windows a challenger as good as the champion was still 1.4–1.6 points
 * too low (0.6 this way over 5; 3.2 without offsets).
 * Rows without a user get no offset. The assumption left is that at given predictions and user,
 * logged and unlogged movies turn out alike; the doubly robust residuals correct it where the
 * logs overlap.
 *
 * This function is long because the bins, their nearest-bin fallback and the offsets are one fit.
 */
export function fitRewardModel(rows: readonly RewardRow[]): RewardModel {
  const coarseOf = rows.map((r) => coarseKey(r.predictedRating));
  const loggingOf = rows.map((r) =>
    r.loggingPrediction === undefined ? undefined : loggingBin(r.loggingPrediction),
  );
  // Logging bins present in each target bin, to find the nearest one on a miss.
  const present = new Map<number, Set<number>>();
  rows.forEach((_, i) => {
    const l = loggingOf[i];
    if (l === undefined) return;
    const set = present.get(coarseOf[i]!) ?? new Set<number>();
    present.set(coarseOf[i]!, set);
    set.add(l);
  });
  const nearestKey = (c: number, l: number): number => {
    let best: number | undefined;
    for (const k of present.get(c) ?? [])
      if (best === undefined || Math.abs(k - l) < Math.abs(best - l)) best = k;
    return best ?? l;
  };
  const offsets = new Map<number, UserOffsets>();
  for (const r of rows)
    if (r.user !== undefined && !offsets.has(r.user))
      offsets.set(r.user, {
        rated: { delta: 0, residual: 0, information: 0 },
        liked: { delta: 0, residual: 0, information: 0 },
      });
  let all = emptyBin();
  let coarse = new Map<number, Bin>();
  let fine = new Map<number, Bin>();
  const tau2 = { rated: 1e-4, liked: 1e-4 };
  /** The bins that answer for a movie: target bin, then target and (nearest) logging bin. */
  const binsOf = (c: number, l: number | undefined): readonly (Bin | undefined)[] =>
    l === undefined
      ? [coarse.get(c)]
      : [coarse.get(c), fine.get(fineKey(c, l)) ?? fine.get(fineKey(c, nearestKey(c, l)))];
  /** Shrunk proportions at offset 0, and their logits net of the rows' mean offsets. */
  const base = (c: number, l: number | undefined) => {
    let rated = all.n > 0 ? all.rated / all.n : 0;
    let ratedLiked = all.n > 0 ? all.ratedLiked / all.n : 0;
    let offsetRated = all.n > 0 ? all.offsetRated / all.n : 0;
    let offsetLiked = all.n > 0 ? all.offsetLiked / all.n : 0;
    let n = 0;
    for (const b of binsOf(c, l)) {
      rated = shrunk(b, (x) => x.rated, rated);
      ratedLiked = shrunk(b, (x) => x.ratedLiked, ratedLiked);
      offsetRated = shrunk(b, (x) => x.offsetRated, offsetRated);
      offsetLiked = shrunk(b, (x) => x.offsetLiked, offsetLiked);
      n = b?.n ?? 0;
    }
    return {
      n,
      rated,
      ratedLiked,
      logitRated: logit(rated) - offsetRated,
      logitLiked: logit(rated > 0 ? ratedLiked / rated : 0) - offsetLiked,
    };
  };
  const rebuildBins = () => {
    // The bins, with the sums of their rows' current offsets.
    all = emptyBin();
    coarse = new Map();
    fine = new Map();
    rows.forEach((r, i) => {
      const o = r.user === undefined ? undefined : offsets.get(r.user);
      const c = coarseOf[i]!;
      const l = loggingOf[i];
      addRow(all, r, o);
      const cb = coarse.get(c) ?? emptyBin();
      coarse.set(c, cb);
      addRow(cb, r, o);
      if (l === undefined) return;
      const fb = fine.get(fineKey(c, l)) ?? emptyBin();
      fine.set(fineKey(c, l), fb);
      addRow(fb, r, o);
    });
  };
  // The users' residuals and information at their current offsets, against the current bins.
  const residuals = () => {
    for (const o of offsets.values())
      for (const x of [o.rated, o.liked]) Object.assign(x, { residual: 0, information: 0 });
    rows.forEach((r, i) => {
      const o = r.user === undefined ? undefined : offsets.get(r.user);
      if (!o) return;
      const b = base(coarseOf[i]!, loggingOf[i]);
      const pr = sigmoid(b.logitRated + o.rated.delta);
      o.rated.residual += (r.rated ? 1 : 0) - pr;
      o.rated.information += pr * (1 - pr);
      if (!r.rated) return;
      const pl = sigmoid(b.logitLiked + o.liked.delta);
      o.liked.residual += (r.liked ? 1 : 0) - pl;
      o.liked.information += pl * (1 - pl);
    });
  };
  // One penalised Newton step of every user's offsets, under a normal prior of variance `prior`.
  const step = (prior: { readonly rated: number; readonly liked: number }) => {
    residuals();
    for (const scale of ['rated', 'liked'] as const)
      for (const o of offsets.values()) {
        const x = o[scale];
        x.delta += (x.residual - x.delta / prior[scale]) / (x.information + 1 / prior[scale]);
      }
  };
  for (let round = 0; round < backfitRounds; round++) {
    rebuildBins();
    step(weakPrior);
  }
  // The prior variance from the nearly unshrunk offsets, then the offsets shrunk under it, the bins held.
  residuals();
  for (const scale of ['rated', 'liked'] as const)
    tau2[scale] = priorVariance(Array.from(offsets.values(), (o) => o[scale]));
  for (let round = 0; round < shrinkRounds; round++) step(tau2);
  const userOffset = (user: number) => {
    const o = offsets.get(user);
    return { rated: o?.rated.delta ?? 0, liked: o?.liked.delta ?? 0 };
  };
  const cell = (p: number, logging?: number, user?: number, own?: LoggedOutcome): RewardCell => {
    const c = coarseKey(p);
    const l = logging === undefined ? undefined : loggingBin(logging);
    const b = base(c, l);
    const key = l === undefined || b.n === 0 ? -1 - c : fineKey(c, nearestKey(c, l));
    let { rated: dRated, liked: dLiked } = user === undefined ? { rated: 0, liked: 0 } : userOffset(user);
    const o = user === undefined ? undefined : offsets.get(user);
    if (o && own) {
      // The offsets as if this row had not been fitted (one Newton step's influence taken out).
      const pr = sigmoid(b.logitRated + dRated);
      dRated -= ((own.rated ? 1 : 0) - pr) / (o.rated.information + 1 / tau2.rated);
      if (own.rated) {
        const pl = sigmoid(b.logitLiked + dLiked);
        dLiked -= ((own.liked ? 1 : 0) - pl) / (o.liked.information + 1 / tau2.liked);
      }
    }
    const rated = sigmoid(b.logitRated + dRated);
    return {
      key,
      varianceFactor: b.n / (b.n + priorWeight) ** 2,
      binRated: b.rated,
      binRatedLiked: b.ratedLiked,
      rated,
      ratedLiked: rated * sigmoid(b.logitLiked + dLiked),
    };
  };
  return {
    rated: (p, logging, user) => cell(p, logging, user).rated,
    ratedLiked: (p, logging, user) => cell(p, logging, user).ratedLiked,
    cell,
    userOffset,
  };
}
