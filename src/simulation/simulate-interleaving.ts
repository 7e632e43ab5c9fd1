import {
  type AbPolicy,
  type ArmCounts,
  analyseAbTest,
  defaultAbPolicy,
  emptyArm,
} from '../experiments/ab-analysis.ts';
import { analyseInterleaving, defaultInterleavingPolicy, teamDraft } from '../experiments/interleaving.ts';
import { deriveSeed, Rng } from '../random/rng.ts';
import type { Ranker, RankerWorld } from './ranker-world.ts';

/**
 * Interleaving against an A/B test on the same world and the same stream of users: each day
 * `dailyUsers` users arrive, each sees one list (the interleaved one, or their arm's) and rates
 * and likes its movies with the world's probabilities; both tests are looked at once a day with
 * the production analyses (analyseInterleaving, analyseAbTest) and stop at the first activate or
 * discard. What is recorded is the number of users each needed to reach its decision.
 */
export interface MethodComparisonOptions {
  readonly runs: number;
  readonly seed: number;
  readonly dailyUsers: number;
  readonly days: number;
  readonly abPolicy?: AbPolicy;
  readonly interleavingPolicy?: AbPolicy;
  /** Credit of a rated, not liked movie: 1 (production: a dislike counts against its team), 0: likes only. */
  readonly dislikeCredit?: number;
}

export interface MethodOutcome {
  /** Users seen when the test activated the challenger (Infinity: it never did). */
  readonly activatedAt: readonly number[];
  readonly activations: number;
  readonly discards: number;
}

export interface MethodComparison {
  readonly runs: number;
  readonly interleaving: MethodOutcome;
  readonly ab: MethodOutcome;
}

type MutableArm = { -readonly [K in keyof ArmCounts]: ArmCounts[K] };
const freshArm = (): MutableArm => ({ ...emptyArm });

const top = (world: RankerWorld, r: Ranker, u: number): number[] =>
  Array.from(r.ranked.subarray(u * world.width, u * world.width + world.options.n));

function runInterleaving(
  world: RankerWorld,
  a: Ranker,
  b: Ranker,
  o: MethodComparisonOptions,
  rng: Rng,
  policy: AbPolicy,
) {
  const { movies, n } = world.options;
  let users = 0,
    sum = 0,
    sumSq = 0,
    wins = 0,
    losses = 0;
  const placed = { champion: 0, challenger: 0 };
  for (let day = 1; day <= o.days; day++) {
    for (let i = 0; i < o.dailyUsers; i++) {
      const u = rng.int(world.options.users);
      const list = teamDraft(top(world, a, u), top(world, b, u), n, rng);
      let d = 0;
      list.movieIds.forEach((m, j) => {
        const team = list.teams[j]!;
        placed[team] += 1;
        const k = u * movies + m;
        const rated = rng.next() < world.pRated[k]!;
        const liked = rng.next() < world.pLiked[k]!;
        const c = !rated ? 0 : liked ? 1 : -(o.dislikeCredit ?? 1);
        d += team === 'challenger' ? c : -c;
      });
      users += 1;
      sum += d;
      sumSq += d * d;
      if (d > 0) wins += 1;
      else if (d < 0) losses += 1;
    }
    const v = analyseInterleaving(
      { users, sumDifference: sum, sumSquaredDifference: sumSq, wins, losses, placed },
      day,
      policy,
    ).verdict;
    if (v.action === 'activate' || v.action === 'discard') return { action: v.action, users };
  }
  return { action: 'continue' as const, users };
}

function runAb(
  world: RankerWorld,
  a: Ranker,
  b: Ranker,
  o: MethodComparisonOptions,
  rng: Rng,
  policy: AbPolicy,
) {
  const { movies, likeThreshold } = world.options;
  const arms = [freshArm(), freshArm()];
  for (let day = 1; day <= o.days; day++) {
    for (let i = 0; i < o.dailyUsers; i++) {
      const u = rng.int(world.options.users);
      const arm = rng.next() < 0.5 ? 0 : 1;
      const ranker = arm === 0 ? a : b;
      const counts = arms[arm]!;
      counts.users += 1;
      for (const m of top(world, ranker, u)) {
        const k = u * movies + m;
        counts.served += 1;
        if (rng.next() >= world.pRated[k]!) continue;
        const liked = rng.next() < world.pLiked[k]!;
        counts.n += 1;
        if (liked) counts.liked += 1;
        if (liked === ranker.predicted[k]! >= likeThreshold) counts.hits += 1;
      }
    }
    const v = analyseAbTest(arms[0]!, arms[1]!, 0.5, day, policy).verdict;
    if (v.action === 'activate' || v.action === 'discard')
      return { action: v.action, users: arms[0]!.users + arms[1]!.users };
  }
  return { action: 'continue' as const, users: arms[0]!.users + arms[1]!.users };
}

/** Both methods on `runs` seeded streams of users, champion `a` against challenger `b`. */
export function compareMethods(
  world: RankerWorld,
  a: Ranker,
  b: Ranker,
  o: MethodComparisonOptions,
): MethodComparison {
  const abPolicy = o.abPolicy ?? { ...defaultAbPolicy, maxDays: o.days + 1 };
  const ilPolicy = o.interleavingPolicy ?? {
    ...defaultAbPolicy,
    ...defaultInterleavingPolicy,
    maxDays: o.days + 1,
  };
  const il = { activatedAt: [] as number[], activations: 0, discards: 0 };
  const ab = { activatedAt: [] as number[], activations: 0, discards: 0 };
  for (let run = 0; run < o.runs; run++) {
    for (const [out, go] of [
      [il, runInterleaving],
      [ab, runAb],
    ] as const) {
      const r = go(
        world,
        a,
        b,
        o,
        new Rng(deriveSeed(o.seed, `${go.name}-${run}`)),
        go === runAb ? abPolicy : ilPolicy,
      );
      out.activatedAt.push(r.action === 'activate' ? r.users : Number.POSITIVE_INFINITY);
      if (r.action === 'activate') out.activations += 1;
      if (r.action === 'discard') out.discards += 1;
    }
  }
  return { runs: o.runs, interleaving: il, ab };
}

/** Users by which a share `power` of the tests had activated (Infinity: fewer than that ever did). */
export function usersForPower(o: MethodOutcome, power: number): number {
  const sorted = [...o.activatedAt].sort((x, y) => x - y);
  return sorted[Math.max(0, Math.ceil(power * sorted.length) - 1)] ?? Number.POSITIVE_INFINITY;
}

/** The users a fixed-horizon test needs, from the exact per-user effect sizes (no sequential cost). */
export interface FixedHorizonUsers {
  /** Mean and standard deviation of d_u (challenger − champion credit of one interleaved list). */
  readonly interleavingMean: number;
  readonly interleavingSd: number;
  readonly interleaving: number;
  /** Users (both arms) for the accuracy difference with the world's exact rating rates. */
  readonly ab: number;
}

/**
 * Fixed-horizon sample sizes, two-sided α = 0.02 at 80 % power, for interleaving (d_u's mean and
 * spread measured on `samples` seeded users) and for the A/B test (exact accuracies and ratings
 * per user of each ranker). Their ratio is what the world allows whatever the sequential test:
 * if it is small here, no test statistic makes interleaving many times cheaper in this world.
 */
export function fixedHorizonUsers(
  world: RankerWorld,
  a: Ranker,
  b: Ranker,
  samples: number,
  seed: number,
): FixedHorizonUsers {
  const { movies, n } = world.options;
  const rng = new Rng(deriveSeed(seed, 'fixed-horizon'));
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < samples; i++) {
    const u = rng.int(world.options.users);
    const list = teamDraft(top(world, a, u), top(world, b, u), n, rng);
    let d = 0;
    list.movieIds.forEach((m, j) => {
      const k = u * movies + m;
      const rated = rng.next() < world.pRated[k]!;
      const c = !rated ? 0 : rng.next() < world.pLiked[k]! ? 1 : -1;
      d += list.teams[j] === 'challenger' ? c : -c;
    });
    sum += d;
    sumSq += d * d;
  }
  const mean = sum / samples;
  const sd = Math.sqrt(Math.max(0, sumSq / samples - mean * mean));
  const z = 2.3263 + 0.8416;
  const arm = (r: Ranker) => {
    let rated = 0;
    let hits = 0;
    for (let u = 0; u < world.options.users; u++)
      for (const m of top(world, r, u)) {
        rated += world.pRated[u * movies + m]!;
        hits += world.hitProbability(r, u, m);
      }
    return { perUser: rated / world.options.users, accuracy: hits / rated };
  };
  const [x, y] = [arm(a), arm(b)];
  const perPair = (x.accuracy * (1 - x.accuracy)) / x.perUser + (y.accuracy * (1 - y.accuracy)) / y.perUser;
  return {
    interleavingMean: mean,
    interleavingSd: sd,
    interleaving: Math.ceil(((z * sd) / mean) ** 2),
    ab: 2 * Math.ceil((z * z * perPair) / (y.accuracy - x.accuracy) ** 2),
  };
}
