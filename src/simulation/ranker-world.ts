import { createSyntheticWorld } from '../data/synthetic-world.ts';
import { normalCdf } from '../experiments/statistics.ts';
import { deriveSeed, Rng } from '../random/rng.ts';

/**
 * A world in which every outcome's probability is known, for judging off-policy estimates and
 * interleaving against the truth. Users and movies are the `simulate` world's (the synthetic
 * world's hidden tastes μ(u, m)); a shown movie is rated with the simulation's probability
 * (mildly more often when liked) and liked (4 stars or more on whole stars, i.e. μ + noise ≥ 3.5)
 * with probability Φ((μ − 3.5) / noise). A ranker is the truth seen through noise: it predicts
 * μ + σ·z(u, m), and a smaller σ makes a better ranker. Its true online liked-accuracy is then an
 * exact expectation over the world, not a sample.
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
}

export const defaultRankerWorld: RankerWorldOptions = Object.freeze({
  users: 1000,
  movies: 400,
  seed: 7,
  noise: 1.2,
  n: 10,
  spare: 50,
  likeThreshold: 4,
  sharedError: 0.8,
});

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
  private readonly mu: Float32Array;
  private readonly shared: Float32Array;

  constructor(options: RankerWorldOptions) {
    this.options = options;
    const world = createSyntheticWorld({ users: options.users, movies: options.movies, seed: options.seed });
    const { users, movies } = options;
    this.mu = new Float32Array(users * movies);
    this.pRated = new Float32Array(users * movies);
    this.pLiked = new Float32Array(users * movies);
    for (let u = 0; u < users; u++) {
      for (let m = 0; m < movies; m++) {
        const mu = world.trueRating(u + 1, m + 1);
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

  /** The ranker's true online liked-accuracy and hit rate (liked ratings per shown movie), exactly. */
  truth(r: Ranker): { readonly accuracy: number; readonly hitRate: number } {
    let num = 0;
    let den = 0;
    let liked = 0;
    const { users, movies, n } = this.options;
    for (let u = 0; u < users; u++) {
      for (let i = 0; i < n; i++) {
        const m = r.ranked[u * this.width + i]!;
        const k = u * movies + m;
        num += this.hitProbability(r, u, m);
        den += this.pRated[k]!;
        liked += this.pRated[k]! * this.pLiked[k]!;
      }
    }
    return { accuracy: num / den, hitRate: liked / (users * n) };
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
