import { type ExplorationPolicy, exploreSlots } from '../experiments/exploration.ts';
import {
  estimateOffPolicy,
  fitRewardModel,
  type OpeEstimate,
  type OpeScreenMode,
  type OpeVisit,
  type RewardRow,
  screenVerdict,
} from '../experiments/off-policy-estimation.ts';
import { deriveSeed, Rng } from '../random/rng.ts';
import type { Ranker, RankerWorld } from './ranker-world.ts';

/** One logged window of the champion serving with exploration, and the two estimates made from it. */
export interface OpeRun {
  readonly challenger: OpeEstimate;
  readonly champion: OpeEstimate;
  readonly discarded: boolean;
}

interface Shown {
  readonly inclusion: number;
  readonly rated: boolean;
  readonly liked: boolean;
}

/** What the log holds for one visit: the shown movies and their outcomes. */
interface LoggedVisit {
  readonly user: number;
  readonly shown: ReadonlyMap<number, Shown>;
}

function logWindow(
  world: RankerWorld,
  logging: Ranker,
  visits: number,
  policy: ExplorationPolicy,
  rng: Rng,
): LoggedVisit[] {
  const { movies, n } = world.options;
  const out: LoggedVisit[] = [];
  for (let v = 0; v < visits; v++) {
    // A visit belongs to a user in proportion to the lists they see (heavy users visit more).
    const user = world.visitor(rng);
    const shown = new Map<number, Shown>();
    for (const slot of exploreSlots(n, world.width, policy, rng)) {
      const m = logging.ranked[user * world.width + slot.index]!;
      const k = user * movies + m;
      const rated = rng.next() < world.pRated[k]!;
      const liked = rng.next() < world.pLiked[k]!;
      shown.set(m, { inclusion: slot.inclusion, rated, liked: rated && liked });
    }
    out.push({ user, shown });
  }
  return out;
}

/** A target ranker's estimate from a logged window (its lists matched against what was shown). */
export function estimateFromLog(
  world: RankerWorld,
  target: Ranker,
  log: readonly LoggedVisit[],
  logging?: Ranker,
): OpeEstimate {
  const { movies, n, likeThreshold } = world.options;
  const rows: RewardRow[] = [];
  const visits: OpeVisit[] = [];
  for (const v of log) {
    for (const [m, s] of v.shown)
      rows.push({
        user: v.user,
        predictedRating: target.predicted[v.user * movies + m]!,
        ...(logging ? { loggingPrediction: logging.predicted[v.user * movies + m]! } : {}),
        rated: s.rated,
        liked: s.liked,
      });
    const items = [];
    for (let i = 0; i < n; i++) {
      const m = target.ranked[v.user * world.width + i]!;
      items.push({
        predictedRating: target.predicted[v.user * movies + m]!,
        ...(logging ? { loggingPrediction: logging.predicted[v.user * movies + m]! } : {}),
        logged: v.shown.get(m) ?? null,
      });
    }
    visits.push({ user: v.user, target: items });
  }
  return estimateOffPolicy(visits, fitRewardModel(rows), likeThreshold);
}

export interface OpeRunOptions {
  readonly visits: number;
  readonly policy: ExplorationPolicy;
  readonly seed: number;
  readonly mode?: OpeScreenMode;
}

/** One simulated screen: the champion serves `visits` explored lists; the challenger is judged from them. */
export function simulateOpeRun(
  world: RankerWorld,
  champion: Ranker,
  challenger: Ranker,
  o: OpeRunOptions,
): OpeRun {
  const log = logWindow(world, champion, o.visits, o.policy, new Rng(deriveSeed(o.seed, 'ope-log')));
  const c = estimateFromLog(world, challenger, log, champion);
  const ch = estimateFromLog(world, champion, log, champion);
  return {
    challenger: c,
    champion: ch,
    discarded: screenVerdict(c, ch, o.mode ?? 'discard').action === 'discard',
  };
}

/** Many screens of one challenger: errors against the truth, interval coverage, discard rate. */
export interface OpeScenarioResult {
  readonly runs: number;
  readonly trueAccuracy: number;
  readonly championAccuracy: number;
  /** Mean absolute error of the accuracy estimate, points (×100). */
  readonly maeSnipsPoints: number;
  readonly maeDrPoints: number;
  /** Share of runs whose 95 % interval held the truth. */
  readonly coverageSnips: number;
  readonly coverageDr: number;
  readonly discardRate: number;
  readonly meanEffectiveSampleSize: number;
  /** Share of the challenger's list movies the log ever showed for the same visit. */
  readonly matchedShare: number;
}

export function simulateOpeScenario(
  world: RankerWorld,
  champion: Ranker,
  challenger: Ranker,
  o: Omit<OpeRunOptions, 'seed'> & { readonly runs: number; readonly seed: number },
): OpeScenarioResult {
  const truth = world.truth(challenger).accuracy;
  let es = 0,
    ed = 0,
    cs = 0,
    cd = 0,
    discarded = 0,
    ess = 0,
    matched = 0;
  for (let run = 0; run < o.runs; run++) {
    const r = simulateOpeRun(world, champion, challenger, { ...o, seed: deriveSeed(o.seed, run) });
    const s = r.challenger.accuracy.snips;
    const d = r.challenger.accuracy.dr;
    es += Math.abs(s.value - truth);
    ed += Math.abs(d.value - truth);
    if (s.low <= truth && truth <= s.high) cs += 1;
    if (d.low <= truth && truth <= d.high) cd += 1;
    if (r.discarded) discarded += 1;
    ess += r.challenger.effectiveSampleSize;
    matched += r.challenger.matched / r.challenger.targetItems;
  }
  const k = o.runs;
  return {
    runs: k,
    trueAccuracy: truth,
    championAccuracy: world.truth(champion).accuracy,
    maeSnipsPoints: (100 * es) / k,
    maeDrPoints: (100 * ed) / k,
    coverageSnips: cs / k,
    coverageDr: cd / k,
    discardRate: discarded / k,
    meanEffectiveSampleSize: ess / k,
    matchedShare: matched / k,
  };
}
