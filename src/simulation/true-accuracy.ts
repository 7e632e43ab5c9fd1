import type { RatingModel } from '../models/rating-model.ts';
import { deriveSeed, Rng } from '../random/rng.ts';
import type { DriftingTastes } from './drifting-tastes.ts';

/** Two models' liked-accuracy against the users' true tastes at the time, on the same pairs. */
export interface TruthComparison {
  readonly pairs: number;
  readonly challenger: number;
  readonly champion: number;
}

/**
 * The pairs a yardstick is taken on: for `users` seeded users, the top 10 of each model (what
 * either would serve, already-rated movies included), without repeats.
 */
function truthPairs(models: readonly RatingModel[], userCount: number, users: number, seed: number) {
  const rng = new Rng(deriveSeed(seed, 'truth-pairs'));
  const us: number[] = [];
  const ms: number[] = [];
  for (let k = 0; k < users; k++) {
    const u = 1 + Math.floor(rng.next() * userCount);
    const seen = new Set<number>();
    for (const model of models)
      for (const r of model.recommend(u, { n: 10 })) {
        if (seen.has(r.movieId)) continue;
        seen.add(r.movieId);
        us.push(u);
        ms.push(r.movieId);
      }
  }
  return { users: Int32Array.from(us), movies: Int32Array.from(ms) };
}

function likedAccuracy(
  model: RatingModel,
  pairs: { users: Int32Array; movies: Int32Array },
  tastes: DriftingTastes,
  likeThreshold: number,
): number {
  const predicted = model.predictMany(pairs.users, pairs.movies);
  let right = 0;
  for (let i = 0; i < predicted.length; i++) {
    const truth = tastes.trueRating(pairs.users[i]!, pairs.movies[i]!) >= likeThreshold;
    if (predicted[i]! >= likeThreshold === truth) right += 1;
  }
  return predicted.length > 0 ? right / predicted.length : 0;
}

/**
 * What only a simulation can know: whether an activated challenger is better than the champion it
 * replaced in truth, i.e. against the tastes users really have now rather than the ratings the
 * A/B test happened to see. Both are scored on the same pairs (each one's top 10 for 300 seeded
 * users): liked predicted vs liked in truth (true rating ≥ likeThreshold).
 */
export function compareInTruth(
  challenger: RatingModel,
  champion: RatingModel,
  tastes: DriftingTastes,
  options: { readonly userCount: number; readonly likeThreshold: number; readonly seed: number },
): TruthComparison {
  const pairs = truthPairs([challenger, champion], options.userCount, 300, options.seed);
  return {
    pairs: pairs.users.length,
    challenger: likedAccuracy(challenger, pairs, tastes, options.likeThreshold),
    champion: likedAccuracy(champion, pairs, tastes, options.likeThreshold),
  };
}
