import { ratioVariance } from '../experiments/statistics.ts';
import { deriveSeed, Rng } from '../random/rng.ts';
import type { Ranker, RankerWorld } from './ranker-world.ts';

/** (liked, rated) of one user over a test. */
type UserOutcome = readonly [liked: number, rated: number];

/**
 * The design effect of the like share Σ liked_u / Σ rated_u: its user-level (delta-method)
 * variance over the variance it would have if every rating were an independent coin. 1 when users
 * do not differ; the factor by which an A/B test that counted ratings as coins understated it.
 */
export function likeShareDesignEffect(users: readonly UserOutcome[]): number {
  let y = 0;
  let n = 0;
  let yy = 0;
  let nn = 0;
  let yn = 0;
  for (const [liked, rated] of users) {
    y += liked;
    n += rated;
    yy += liked * liked;
    nn += rated * rated;
    yn += liked * rated;
  }
  const p = y / n;
  const sums = { units: users.length, sumY: y, sumN: n, sumYY: yy, sumNN: nn, sumYN: yn };
  return ratioVariance(sums) / ((p * (1 - p)) / n);
}

/**
 * How much a user's outcomes go together, in the world and in real data, at the same number of
 * rated movies per user: a check that the world's repeated lists (a heavy user sees the same top
 * n again, with fresh outcome draws) do not make users more self-consistent than real users are.
 * - world: `samples` seeded users, their likes and ratings over their lists of `ranker`;
 * - data: each real user (`realUsers`: their ratings, 4 stars or more a like) rates a random
 *   subset of their own ratings, as many as a world user with as many lists would rate (the
 *   lists from their ratings count as in the world, each shown movie rated with the world's mean
 *   rating probability), `repeats` times over.
 */
export function likeShareDesignEffects(
  world: RankerWorld,
  ranker: Ranker,
  realUsers: readonly (readonly number[])[] | null,
  seed: number,
  samples = 12_000,
  repeats = 20,
): { readonly world: number; readonly data: number | null; readonly ratedPerShown: number } {
  const { users, movies, n } = world.options;
  const rng = new Rng(deriveSeed(seed, 'like-share-design-effect'));
  let shown = 0;
  let rated = 0;
  const simulated: UserOutcome[] = [];
  for (let i = 0; i < samples; i++) {
    const u = rng.int(users);
    let r = 0;
    let l = 0;
    for (let v = 0; v < world.lists[u]!; v++)
      for (let j = 0; j < n; j++) {
        const k = u * movies + ranker.ranked[u * world.width + j]!;
        shown += 1;
        if (rng.next() >= world.pRated[k]!) continue;
        r += 1;
        if (rng.next() < world.pLiked[k]!) l += 1;
      }
    rated += r;
    if (r > 0) simulated.push([l, r]);
  }
  const ratedPerShown = rated / shown;
  if (!realUsers) return { world: likeShareDesignEffect(simulated), data: null, ratedPerShown };
  const real: UserOutcome[] = [];
  for (let rep = 0; rep < repeats; rep++)
    for (const ratings of realUsers) {
      const lists = Math.max(1, Math.round(ratings.length / world.options.ratingsPerList));
      let m = 0;
      for (let j = 0; j < lists * n; j++) if (rng.next() < ratedPerShown) m += 1;
      // A partial Fisher–Yates shuffle: the first m of a random order of the user's ratings.
      const pool = [...ratings];
      let liked = 0;
      for (let j = 0; j < Math.min(m, pool.length); j++) {
        const k = j + rng.int(pool.length - j);
        [pool[j], pool[k]] = [pool[k]!, pool[j]!];
        if (pool[j]! >= 4) liked += 1;
      }
      if (m > 0) real.push([liked, Math.min(m, pool.length)]);
    }
  return { world: likeShareDesignEffect(simulated), data: likeShareDesignEffect(real), ratedPerShown };
}
