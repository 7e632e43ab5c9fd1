import {
  type AbPolicy,
  type ArmCounts,
  analyseAbTest,
  defaultAbPolicy,
  emptyArm,
  ratingsAsUnits,
} from '../experiments/ab-analysis.ts';
import { analyseInterleaving, defaultInterleavingPolicy, teamDraft } from '../experiments/interleaving.ts';
import { deriveSeed, Rng } from '../random/rng.ts';
import type { Ranker, RankerWorld } from './ranker-world.ts';

/**
 * Interleaving against an A/B test on the same world and the same stream of users: each day
 * `dailyUsers` users arrive, each sees their lists (the interleaved one, or their arm's; as many
 * as the world gives that user) and rates and likes their movies with the world's
 * probabilities; both tests are looked at once a day with the production analyses
 * (analyseInterleaving, analyseAbTest) and stop at the first activate or discard. What is
 * recorded is the number of users each needed to reach its decision.
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
  /**
   * Credit movies both rankers' top n hold too (default false, as production: such a movie is
   * shown whichever team places it, so its credit is noise).
   */
  readonly creditShared?: boolean;
  /**
   * The A/B analysis's independent unit: 'user' (production, the delta method) or 'rating' (each
   * rated recommendation an independent coin, as the A/B test assumed before: anti-conservative
   * when users differ, kept to show by how much).
   */
  readonly abUnit?: 'user' | 'rating';
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

/** The movies of user u both rankers' top n hold. */
const sharedMovies = (world: RankerWorld, a: Ranker, b: Ranker, u: number): Set<number> => {
  const theirs = new Set(top(world, b, u));
  return new Set(top(world, a, u).filter((m) => theirs.has(m)));
};

/** One user's interleaved lists: d_u and the movies each team placed. */
function interleavedUser(
  world: RankerWorld,
  a: Ranker,
  b: Ranker,
  u: number,
  o: Pick<MethodComparisonOptions, 'dislikeCredit' | 'creditShared'>,
  rng: Rng,
  placed: { champion: number; challenger: number },
): number {
  const { movies, n } = world.options;
  const shared = o.creditShared ? new Set<number>() : sharedMovies(world, a, b, u);
  const [ta, tb] = [top(world, a, u), top(world, b, u)];
  let d = 0;
  for (let visit = 0; visit < world.lists[u]!; visit++) {
    const list = teamDraft(ta, tb, n, rng);
    list.movieIds.forEach((m, j) => {
      const team = list.teams[j]!;
      placed[team] += 1;
      const k = u * movies + m;
      const rated = rng.next() < world.pRated[k]!;
      const liked = rng.next() < world.pLiked[k]!;
      if (!rated || shared.has(m)) return;
      const c = liked ? 1 : -(o.dislikeCredit ?? 1);
      d += team === 'challenger' ? c : -c;
    });
  }
  return d;
}

function runInterleaving(
  world: RankerWorld,
  a: Ranker,
  b: Ranker,
  o: MethodComparisonOptions,
  rng: Rng,
  policy: AbPolicy,
) {
  let users = 0,
    sum = 0,
    sumSq = 0,
    wins = 0,
    losses = 0;
  const placed = { champion: 0, challenger: 0 };
  for (let day = 1; day <= o.days; day++) {
    for (let i = 0; i < o.dailyUsers; i++) {
      const d = interleavedUser(world, a, b, rng.int(world.options.users), o, rng, placed);
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

/** One user's lists from one ranker: their rated recommendations and hits, added to the arm. */
function abUser(world: RankerWorld, ranker: Ranker, u: number, rng: Rng, counts: MutableArm): void {
  const { movies, likeThreshold } = world.options;
  const list = top(world, ranker, u);
  let n = 0;
  let hits = 0;
  counts.users += 1;
  for (let visit = 0; visit < world.lists[u]!; visit++)
    for (const m of list) {
      const k = u * movies + m;
      counts.served += 1;
      if (rng.next() >= world.pRated[k]!) continue;
      const liked = rng.next() < world.pLiked[k]!;
      n += 1;
      if (liked) counts.liked += 1;
      if (liked === ranker.predicted[k]! >= likeThreshold) hits += 1;
    }
  if (n === 0) return;
  counts.n += n;
  counts.hits += hits;
  counts.raters += 1;
  counts.sumRatedSquared += n * n;
  counts.sumHitsSquared += hits * hits;
  counts.sumHitsRated += hits * n;
}

function runAb(
  world: RankerWorld,
  a: Ranker,
  b: Ranker,
  o: MethodComparisonOptions,
  rng: Rng,
  policy: AbPolicy,
) {
  const arms = [freshArm(), freshArm()];
  for (let day = 1; day <= o.days; day++) {
    for (let i = 0; i < o.dailyUsers; i++) {
      const u = rng.int(world.options.users);
      const arm = rng.next() < 0.5 ? 0 : 1;
      abUser(world, arm === 0 ? a : b, u, rng, arms[arm]!);
    }
    const [x, y] = o.abUnit === 'rating' ? arms.map(ratingsAsUnits) : arms;
    const v = analyseAbTest(x!, y!, 0.5, day, policy).verdict;
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

/** The users a fixed-horizon test needs, from the exact per-user effects (no sequential cost). */
export interface FixedHorizonUsers {
  /** Mean and standard deviation of d_u (challenger − champion credit of one user's lists). */
  readonly interleavingMean: number;
  readonly interleavingSd: number;
  readonly interleaving: number;
  /** Users (both arms) for the accuracy difference, with the user-level (delta-method) variance. */
  readonly ab: number;
  /** The same if each rated recommendation were an independent coin (what the A/B test assumed before). */
  readonly abIfIndependent: number;
  /** The A/B variance's design effect: user-level variance over the independent-coins one (mean of the arms). */
  readonly designEffect: number;
}

/**
 * Fixed-horizon sample sizes, two-sided α = 0.02 at 80 % power, for interleaving (d_u's mean and
 * spread measured on `samples` seeded users) and for the A/B test (each arm's accuracy R and
 * per-user residual variance E[(hits_u − R·n_u)²] over `samples` seeded users, the delta method's
 * Var = E[(hits − R·n)²] / (users · E[n]²)). Their ratio is what the world allows whatever the
 * sequential test: if it is small here, no test statistic makes interleaving many times cheaper.
 */
export function fixedHorizonUsers(
  world: RankerWorld,
  a: Ranker,
  b: Ranker,
  samples: number,
  seed: number,
  creditShared = false,
): FixedHorizonUsers {
  const rng = new Rng(deriveSeed(seed, 'fixed-horizon'));
  const placed = { champion: 0, challenger: 0 };
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < samples; i++) {
    const d = interleavedUser(world, a, b, rng.int(world.options.users), { creditShared }, rng, placed);
    sum += d;
    sumSq += d * d;
  }
  const mean = sum / samples;
  const sd = Math.sqrt(Math.max(0, sumSq / samples - mean * mean));
  const z = 2.3263 + 0.8416;
  const arm = (r: Ranker) => {
    const c = freshArm();
    for (let i = 0; i < samples; i++) abUser(world, r, rng.int(world.options.users), rng, c);
    const accuracy = c.hits / c.n;
    const perUser = c.n / c.users;
    const residual =
      (c.sumHitsSquared - 2 * accuracy * c.sumHitsRated + accuracy ** 2 * c.sumRatedSquared) / c.users;
    return {
      accuracy,
      perUser,
      userVar: residual / perUser ** 2,
      coinVar: (accuracy * (1 - accuracy)) / perUser,
    };
  };
  const [x, y] = [arm(a), arm(b)];
  const delta = (y.accuracy - x.accuracy) ** 2;
  return {
    interleavingMean: mean,
    interleavingSd: sd,
    interleaving: Math.ceil(((z * sd) / mean) ** 2),
    ab: 2 * Math.ceil((z * z * (x.userVar + y.userVar)) / delta),
    abIfIndependent: 2 * Math.ceil((z * z * (x.coinVar + y.coinVar)) / delta),
    designEffect: (x.userVar / x.coinVar + y.userVar / y.coinVar) / 2,
  };
}
