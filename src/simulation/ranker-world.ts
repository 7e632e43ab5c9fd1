import { createSyntheticWorld } from '../data/synthetic-world.ts';
import { normalCdf } from '../experiments/statistics.ts';
import { drawRatingsPerUser, mlLatestSmallUsers, type UserSpread } from '../experiments/user-spread.ts';
import { deriveSeed, Rng } from '../random/rng.ts';

/**
 * A world in which every outcome's probability is known, for judging off-policy estimates and
 * interleaving against the truth. Users and movies are the `simulate` world's (the synthetic
 * world's hidden tastes μ(u, m)); a shown movie is rated with the simulation's probability
 * (mildly more often when liked) and liked (4 stars or more on whole stars, i.e. μ + noise ≥ 3.5)
 * with probability Φ((μ − 3.5) / noise). A ranker is the truth seen through noise: it predicts
 * μ + σ·z(u, m), and a smaller σ makes a better ranker. Its true online liked-accuracy is then an
 * exact expectation over the world, not a sample.
 *
 * Users differ as much as MovieLens users do (`experiments/user-spread.ts`): each has a level of their
 * own added to every true rating (so some like most of what they see and some little), and a
 * number of lists they see during a test drawn from the real, heavy-tailed ratings per user (one
 * list per `ratingsPerList` ratings: the median user sees one list, the heaviest dozens). A user's
 * later lists are the same top n with fresh outcome draws (what a user rates resembles what they
 * rated before), so the outcomes of one user are correlated through their level and their movies.
 * Every expectation (`truth`) weighs a user by their lists, as live traffic does.
 */
export interface RankerWorldOptions {
  readonly users: number;
  readonly movies: number;
  readonly seed: number;
  /** Standard deviation of a rating's noise. */
  readonly noise: number;
  /** Movies per list. */
  readonly n: number;
  /** Candidates kept after the top n (the exploration pool and the target lists' spares). */
  readonly spare: number;
  readonly likeThreshold: number;
  /**
   * Weight of the error every ranker shares (models trained on the same ratings make the same
   * mistakes): a ranker's error is σ·(ρ·z_shared + √(1 − ρ²)·z_own).
   */
  readonly sharedError: number;
  /**
   * Standard deviation of each user's own level, stars, added to all their true ratings (0: users
   * differ only through the synthetic world's tastes).
   */
  readonly userLevelSd: number;
  /** Where each user's ratings count comes from; null: every user sees exactly one list. */
  readonly activity: UserSpread | null;
  /** Ratings per list seen: a user with r ratings sees max(1, round(r / ratingsPerList)) lists. */
  readonly ratingsPerList: number;
}

/**
 * The level spread that makes the world's users as different in what they like as
 * ml-latest-small's: with it the standard deviation over users of their like share among the
 * rated movies of the 0.70 champion's lists (`userLikeShareSd`) is 0.192, against 0.193 in the
 * data (scanned: 0 → 0.111, 0.3 → 0.121, 0.45 → 0.136, 0.6 → 0.154, 0.8 → 0.179, 0.9 → 0.192,
 * 1.0 → 0.205). The like share is what the tests count. The price: the spread of the users' mean
 * true rating becomes about 1 star (√(0.42² + 0.9²); the synthetic world alone has 0.42, the data
 * 0.46), because this world's rating noise of 1.2 stars flattens a level into a smaller change of
 * the like probability than real users' noise does.
 */
export const calibratedUserLevelSd = 0.9;

export const defaultRankerWorld: RankerWorldOptions = Object.freeze({
  users: 1000,
  movies: 400,
  seed: 7,
  noise: 1.2,
  n: 10,
  spare: 50,
  likeThreshold: 4,
  sharedError: 0.8,
  userLevelSd: calibratedUserLevelSd,
  activity: mlLatestSmallUsers,
  // The median user's ratings (the 50th percentile, 70.5): the median user sees one list.
  ratingsPerList: mlLatestSmallUsers.ratingsPerUser.count[10]!,
});

/** The world before users differed: one list per user, no level of their own. */
export const uniformUsers: Pick<RankerWorldOptions, 'userLevelSd' | 'activity' | 'ratingsPerList'> =
  Object.freeze({ userLevelSd: 0, activity: null, ratingsPerList: 1 });

/** A ranker's ranked candidates and predictions for every user. */
export interface Ranker {
  readonly sigma: number;
  /** users × (n + spare) movie indices (0-based), best first. */
  readonly ranked: Int32Array;
  /** users × movies predicted ratings. */
  readonly predicted: Float32Array;
}

/** Probability that a user rates a movie they were shown, as in `simulate`. */
export function rateProbability(trueRating: number): number {
  return 0.35 + 0.25 / (1 + Math.exp(-2 * (trueRating - 3)));
}

export class RankerWorld {
  readonly options: RankerWorldOptions;
  /** users × movies: P(rated | shown), P(liked | rated). */
  readonly pRated: Float32Array;
  readonly pLiked: Float32Array;
  /** Lists each user sees during a test (1 for every user without `activity`). */
  readonly lists: Int32Array;
  /** Σ lists: the weight of all users in an expectation over live traffic. */
  readonly totalLists: number;
  private readonly listCumulative: Float64Array;
  private readonly mu: Float32Array;
  private readonly shared: Float32Array;

  constructor(options: RankerWorldOptions) {
    this.options = options;
    const world = createSyntheticWorld({ users: options.users, movies: options.movies, seed: options.seed });
    const { users, movies } = options;
    const people = new Rng(deriveSeed(options.seed, 'users'));
    this.lists = new Int32Array(users);
    const level = new Float32Array(users);
    for (let u = 0; u < users; u++) {
      level[u] = people.normal(0, options.userLevelSd);
      const r = options.activity ? drawRatingsPerUser(options.activity, people) : options.ratingsPerList;
      this.lists[u] = Math.max(1, Math.round(r / options.ratingsPerList));
    }
    this.listCumulative = new Float64Array(users);
    let total = 0;
    for (let u = 0; u < users; u++) {
      total += this.lists[u]!;
      this.listCumulative[u] = total;
    }
    this.totalLists = total;
    this.mu = new Float32Array(users * movies);
    this.pRated = new Float32Array(users * movies);
    this.pLiked = new Float32Array(users * movies);
    for (let u = 0; u < users; u++) {
      for (let m = 0; m < movies; m++) {
        const mu = Math.min(5, Math.max(0.5, world.trueRating(u + 1, m + 1) + level[u]!));
        const k = u * movies + m;
        this.mu[k] = mu;
        this.pRated[k] = rateProbability(mu);
        this.pLiked[k] = normalCdf((mu - (options.likeThreshold - 0.5)) / options.noise);
      }
    }
    const rng = new Rng(deriveSeed(options.seed, 'shared-error'));
    this.shared = new Float32Array(users * movies);
    for (let k = 0; k < this.shared.length; k++) this.shared[k] = rng.normal();
  }

  get width(): number {
    return this.options.n + this.options.spare;
  }

  /** A user drawn in proportion to their lists: who a random served list belongs to. */
  visitor(rng: Rng): number {
    const x = rng.next() * this.totalLists;
    let lo = 0;
    let hi = this.options.users - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.listCumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * Standard deviation over users of their share of liked movies among the rated movies of the
   * ranker's lists (each user once): what `calibratedUserLevelSd` matches to the real users'.
   */
  userLikeShareSd(r: Ranker): number {
    const { users, movies, n } = this.options;
    let s = 0;
    let ss = 0;
    for (let u = 0; u < users; u++) {
      let rated = 0;
      let liked = 0;
      for (let i = 0; i < n; i++) {
        const k = u * movies + r.ranked[u * this.width + i]!;
        rated += this.pRated[k]!;
        liked += this.pRated[k]! * this.pLiked[k]!;
      }
      s += liked / rated;
      ss += (liked / rated) ** 2;
    }
    return Math.sqrt((ss - (s * s) / users) / (users - 1));
  }

  /** A ranker predicting μ + σ·(ρ·z_shared + √(1 − ρ²)·z_own), z_own drawn from its own seed. */
  ranker(sigma: number, seed: number): Ranker {
    const { users, movies } = this.options;
    const rng = new Rng(deriveSeed(seed, 'ranker'));
    const predicted = new Float32Array(users * movies);
    const rho = this.options.sharedError;
    const own = Math.sqrt(1 - rho * rho);
    for (let k = 0; k < predicted.length; k++)
      predicted[k] = this.mu[k]! + sigma * (rho * this.shared[k]! + own * rng.normal());
    const ranked = new Int32Array(users * this.width);
    const order = new Int32Array(movies);
    for (let u = 0; u < users; u++) {
      for (let m = 0; m < movies; m++) order[m] = m;
      const row = predicted.subarray(u * movies, (u + 1) * movies);
      const sorted = Array.from(order).sort((a, b) => row[b]! - row[a]!);
      for (let i = 0; i < this.width; i++) ranked[u * this.width + i] = sorted[i]!;
    }
    return { sigma, ranked, predicted };
  }

  /** P(rated and the ranker's liked prediction right) of user u's movie m. */
  hitProbability(r: Ranker, u: number, m: number): number {
    const k = u * this.options.movies + m;
    const liked = this.pLiked[k]!;
    return this.pRated[k]! * (r.predicted[k]! >= this.options.likeThreshold ? liked : 1 - liked);
  }

  /**
   * The ranker's true online liked-accuracy and hit rate (liked ratings per shown movie), exactly:
   * over every list served, so each user weighs as many lists as they see.
   */
  truth(r: Ranker): { readonly accuracy: number; readonly hitRate: number } {
    let num = 0;
    let den = 0;
    let liked = 0;
    const { users, movies, n } = this.options;
    for (let u = 0; u < users; u++) {
      const w = this.lists[u]!;
      for (let i = 0; i < n; i++) {
        const m = r.ranked[u * this.width + i]!;
        const k = u * movies + m;
        num += w * this.hitProbability(r, u, m);
        den += w * this.pRated[k]!;
        liked += w * this.pRated[k]! * this.pLiked[k]!;
      }
    }
    return { accuracy: num / den, hitRate: liked / (this.totalLists * n) };
  }

  /** The ranker whose true accuracy is closest to `target`, by bisection on σ (same noise draws). */
  calibrate(targetAccuracy: number, seed: number, maxSigma = 3): Ranker {
    let lo = 0;
    let hi = maxSigma;
    let best = this.ranker(hi, seed);
    for (let step = 0; step < 14; step++) {
      const mid = (lo + hi) / 2;
      const r = this.ranker(mid, seed);
      const acc = this.truth(r).accuracy;
      best = r;
      if (acc > targetAccuracy) lo = mid;
      else hi = mid;
    }
    return best;
  }
}
