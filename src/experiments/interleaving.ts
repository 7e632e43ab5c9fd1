import { InvalidInputError } from '../errors.ts';
import type { Rng } from '../random/rng.ts';
import type { AbAnalysis, AbPolicy, AbVerdict, ArmCounts } from './ab-analysis.ts';
import { analyseAbTest, defaultAbPolicy } from './ab-analysis.ts';
import type { Arm } from './assignment.ts';
import {
  mixtureSequentialTest,
  type SampleRatioCheck,
  type SequentialTest,
  sampleRatioCheck,
} from './statistics.ts';

/**
 * Team-draft interleaving (Radlinski, Kurup & Joachims 2008): each user sees one list merged from
 * the champion's and the challenger's rankings. Picks alternate in rounds; in each round a coin
 * decides which team picks first, and each team adds its highest-ranked movie not yet in the
 * list. Every movie remembers the team that placed it, and a like of that movie is credited to
 * that team. The coin makes the teams' positions exchangeable, so a ranker can only win by
 * placing movies the user likes.
 */
export interface InterleavedList {
  readonly movieIds: readonly number[];
  /** The team that placed each movie. */
  readonly teams: readonly Arm[];
}

export function teamDraft(
  champion: readonly number[],
  challenger: readonly number[],
  n: number,
  rng: Rng,
): InterleavedList {
  const movieIds: number[] = [];
  const teams: Arm[] = [];
  const taken = new Set<number>();
  const next = { champion: 0, challenger: 0 };
  const ranking = { champion, challenger };
  const pick = (team: Arm): boolean => {
    const list = ranking[team];
    while (next[team] < list.length && taken.has(list[next[team]]!)) next[team] += 1;
    if (next[team] >= list.length) return false;
    const movie = list[next[team]]!;
    taken.add(movie);
    movieIds.push(movie);
    teams.push(team);
    return true;
  };
  while (movieIds.length < n) {
    const first: Arm = rng.next() < 0.5 ? 'champion' : 'challenger';
    const second: Arm = first === 'champion' ? 'challenger' : 'champion';
    const a = pick(first);
    const b = movieIds.length < n && pick(second);
    if (!a && !b) break;
  }
  return { movieIds, teams };
}

/**
 * Credits of a list: +1 for each liked movie, −1 for each disliked one, to the team that placed
 * it; nothing for a movie in `shared` (both rankers' top n held it, so the list shows it whichever
 * team places it).
 */
export function creditRatings(
  list: InterleavedList,
  liked: ReadonlySet<number>,
  disliked: ReadonlySet<number>,
  shared: ReadonlySet<number> = new Set(),
): Record<Arm, number> {
  const credit: Record<Arm, number> = { champion: 0, challenger: 0 };
  list.movieIds.forEach((m, i) => {
    if (shared.has(m)) return;
    if (liked.has(m)) credit[list.teams[i]!] += 1;
    if (disliked.has(m)) credit[list.teams[i]!] -= 1;
  });
  return credit;
}

/**
 * What an interleaving test has collected, as the database aggregates it. The unit is the user:
 * d_u = credit of the challenger's team − credit of the champion's, over all of the user's
 * interleaved lists in the test, where a movie the user liked credits +1 to the team that placed
 * it and a movie they rated below the like line −1 (0 for a user who rated nothing), and a movie
 * both rankers' top n held credits neither. Counting dislikes too, not only likes, halves the
 * users a decision needs in the simulations: a team whose movies get rated but not liked is
 * losing, which likes alone do not see.
 */
export interface InterleavingCounts {
  readonly users: number;
  readonly sumDifference: number;
  readonly sumSquaredDifference: number;
  /** Users whose d_u > 0 (challenger won), < 0. */
  readonly wins: number;
  readonly losses: number;
  /** Movies placed by each team (the exposure balance the SRM-like check tests). */
  readonly placed: { readonly champion: number; readonly challenger: number };
}

export interface InterleavingAnalysis {
  readonly users: number;
  readonly wins: number;
  readonly losses: number;
  readonly ties: number;
  /** Mean d_u (challenger − champion credit per user); the always-valid interval is `sequential`'s. */
  readonly meanDifference: number;
  /** The mixture SPRT on mean d_u, its τ scaled by the sample standard deviation of d_u. */
  readonly sequential: SequentialTest;
  /** Movies placed per team against 1:1; a mismatch means lists or logging are broken. */
  readonly exposure: SampleRatioCheck;
  readonly verdict: AbVerdict;
}

/**
 * Interleaving defaults: α = 0.02 as for A/B tests (at most 1 % false activations however often
 * one looks), τ = 0.2 standard deviations of d_u (about the preference a +10 % ranker shows, see
 * docs/versions-and-ab-tests.md), at least 100 users before any decision (the normal
 * approximation of mean d_u needs some).
 */
export const defaultInterleavingPolicy: Pick<AbPolicy, 'alpha' | 'tau' | 'minSamples'> = Object.freeze({
  alpha: 0.02,
  tau: 0.2,
  minSamples: 100,
});

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

function interleavingVerdict(
  a: Omit<InterleavingAnalysis, 'verdict'>,
  elapsedDays: number,
  policy: AbPolicy,
): AbVerdict {
  const s = a.sequential;
  const tally = `${a.wins} users preferred the challenger, ${a.losses} the champion, ${a.ties} tied (mean ${a.meanDifference.toFixed(3)} credit per user, sequential p = ${s.pValue.toPrecision(3)})`;
  const expired = elapsedDays >= policy.maxDays;
  if (a.exposure.mismatch) {
    const why = `exposure mismatch: ${a.exposure.observed.champion}:${a.exposure.observed.challenger} movies placed (champion, challenger), p = ${a.exposure.pValue.toExponential(2)}`;
    return expired
      ? { action: 'discard', reason: `max days (${policy.maxDays}) reached while blocked by an ${why}` }
      : { action: 'blocked', reason: `${why}; no decision until interleaving is fixed` };
  }
  if (a.users < policy.minSamples) {
    const why = `${a.users} users, ${policy.minSamples} needed`;
    return expired
      ? { action: 'discard', reason: `max days (${policy.maxDays}) reached with too few users: ${why}` }
      : { action: 'continue', reason: `waiting for users: ${why}` };
  }
  if (s.significant && a.meanDifference > 0)
    return { action: 'activate', reason: `interleaving preference for the challenger: ${tally}` };
  if (s.significant && a.meanDifference < 0)
    return { action: 'discard', reason: `interleaving preference for the champion: ${tally}` };
  if (expired)
    return {
      action: 'discard',
      reason: `max days (${policy.maxDays}) reached without a preference: ${tally}`,
    };
  return { action: 'continue', reason: `no significant preference yet: ${tally}` };
}

/** The interleaving statistics and verdict. Pure, like analyseAbTest. */
export function analyseInterleaving(
  c: InterleavingCounts,
  elapsedDays: number,
  policy: AbPolicy,
): InterleavingAnalysis {
  const n = c.users;
  const mean = n > 0 ? c.sumDifference / n : 0;
  const variance = n > 1 ? Math.max(0, (c.sumSquaredDifference - n * mean * mean) / (n - 1)) : 0;
  const sd = Math.sqrt(variance);
  const sequential = mixtureSequentialTest(
    mean,
    n > 0 ? variance / n : Number.NaN,
    policy.tau * sd,
    policy.alpha,
  );
  const exposure = sampleRatioCheck(c.placed.champion, c.placed.challenger, 0.5, policy.srmThreshold);
  const base = {
    users: n,
    wins: c.wins,
    losses: c.losses,
    ties: n - c.wins - c.losses,
    meanDifference: mean,
    sequential,
    exposure,
  };
  return { ...base, verdict: interleavingVerdict(base, elapsedDays, policy) };
}

/** An interleaving test's analysis in the A/B shape (so decisions, history and the API work unchanged). */
export type InterleavedAbAnalysis = AbAnalysis & { readonly interleaving: InterleavingAnalysis };

/**
 * The A/B-shaped analysis of an interleaving test: per-team accuracy and RMSE are descriptive
 * (the teams' rated movies), the sequential test, the sample-ratio check and the verdict are the
 * interleaving ones. `pct` of the accuracy change is kept for the record.
 */
export function interleavedAbAnalysis(
  teams: Record<Arm, ArmCounts>,
  counts: InterleavingCounts,
  elapsedDays: number,
  policy: AbPolicy,
): InterleavedAbAnalysis {
  const descriptive = analyseAbTest(teams.champion, teams.challenger, 0.5, elapsedDays, policy);
  const interleaving = analyseInterleaving(counts, elapsedDays, policy);
  return {
    ...descriptive,
    srm: interleaving.exposure,
    sequential: interleaving.sequential,
    enoughSamples: counts.users >= policy.minSamples,
    verdict: interleaving.verdict,
    interleaving,
  };
}

export const describeInterleaving = (a: InterleavingAnalysis): string =>
  `interleaving: ${a.users} users, challenger preferred by ${a.wins} (${pct(a.users ? a.wins / a.users : 0)}), champion by ${a.losses}, ${a.ties} tied; mean ${a.meanDifference.toFixed(3)} credit per user`;

/** 'ab': users split between the arms; 'interleave': every user sees a team-draft list of both. */
export type AbTestMethod = 'ab' | 'interleave';

/** A test method's policy defaults and traffic: interleaving serves everyone (traffic 1). */
export function methodSettings(
  method: AbTestMethod,
  traffic: number | undefined,
): { readonly method: AbTestMethod; readonly defaults: AbPolicy; readonly traffic: number } {
  if (method === 'interleave')
    return { method, defaults: { ...defaultAbPolicy, ...defaultInterleavingPolicy }, traffic: 1 };
  if (method !== 'ab')
    throw new InvalidInputError(`method must be 'ab' or 'interleave', got ${JSON.stringify(method)}`);
  const t = traffic ?? 0.5;
  if (!(t > 0 && t < 1)) throw new InvalidInputError(`traffic must be between 0 and 1 (exclusive), got ${t}`);
  return { method, defaults: defaultAbPolicy, traffic: t };
}
