import type { Config } from '../config.ts';
import { likeThreshold } from '../data/rating-scale.ts';
import type { Database } from '../db/database.ts';
import { rateMovie } from '../monitoring/rate-movie.ts';
import type { Rng } from '../random/rng.ts';
import { serveRecommendations } from '../recommend/serve-recommendations.ts';
import { loadVersionModel } from '../registry/active-model.ts';
import { championVersion } from '../registry/champion.ts';
import { schedulerTick } from '../retraining/scheduler.ts';
import type { DriftingTastes } from './drifting-tastes.ts';
import type { SimulationDay, SimulationOptions } from './simulate.ts';
import { compareInTruth } from './true-accuracy.ts';

/*
 * One simulated day of `simulate`: tastes that may turn, the visits with their ratings, and the
 * scheduler's pass in the evening, with what it did in words.
 */

const dayMs = 86_400_000;

/** Probability that a visitor rates a movie they were shown, from how much they truly like it. */
export function rateProbability(trueRating: number): number {
  // Mildly more likely for movies they like (people finish and rate those), never certain either
  // way: a strong pull would hide a stale model's misses behind the ratings nobody gives.
  return 0.35 + 0.25 / (1 + Math.exp(-2 * (trueRating - 3)));
}

/** What one day's visits added up to. */
export interface DayCounts {
  visitors: number;
  served: number;
  tracked: number;
  hits: number;
  unexpected: number;
  readonly arms: Record<string, { n: number; hits: number }>;
}

/** What every simulated day needs: the world, the clock's origin, the tracker's options. */
export interface World {
  readonly db: Database;
  readonly options: SimulationOptions;
  readonly config: Config;
  readonly tastes: DriftingTastes;
  readonly rateOptions: Parameters<typeof rateMovie>[2];
}

/** Simulated day 0 (the history lies before it). */
export const day0 = Date.UTC(2026, 0, 1);

/**
 * The tastes on day d: unchanged before driftDay, then turning by driftStrength over driftDays
 * days in equal steps (1: at once). Returns the event to print, if the tastes moved.
 */
function shiftTastes(tastes: DriftingTastes, options: SimulationOptions, d: number): string | null {
  const step = d - options.driftDay + 1;
  if (step < 1 || step > options.driftDays) return null;
  const strength = (options.driftStrength * step) / options.driftDays;
  tastes.drift(strength);
  return options.driftDays === 1
    ? `tastes shift (strength ${options.driftStrength})`
    : `tastes shift (strength ${strength.toFixed(2)} of ${options.driftStrength}, day ${step} of ${options.driftDays})`;
}

/** One simulated day: the visits, then the scheduler's pass on the simulated clock. */
export async function playDay(world: World, d: number, dayRng: Rng): Promise<SimulationDay> {
  const { options, tastes } = world;
  const shift = shiftTastes(tastes, options, d);
  const dayStart = day0 + d * dayMs;
  const events: string[] = shift === null ? [] : [shift];
  const counts: DayCounts = { visitors: 0, served: 0, tracked: 0, hits: 0, unexpected: 0, arms: {} };
  for (let u = 1; u <= options.users; u++) {
    if (dayRng.next() >= options.activeShare) continue;
    // Visits spread over the day, in user order (the clock only moves forward).
    await visit(
      world,
      u,
      dayStart + Math.floor(((u - 1) / options.users) * (dayMs - 7_200_000)),
      dayRng,
      counts,
    );
  }
  events.push(...(await endOfDay(world, dayStart + dayMs - 60_000)));
  return {
    day: d,
    date: new Date(dayStart).toISOString().slice(0, 10),
    drifted: tastes.drifted,
    visitors: counts.visitors,
    served: counts.served,
    tracked: counts.tracked,
    hits: counts.hits,
    accuracy: counts.tracked > 0 ? counts.hits / counts.tracked : null,
    unexpected: counts.unexpected,
    arms: Object.fromEntries(
      Object.entries(counts.arms).map(([k, v]) => [k, { n: v.n, accuracy: v.n > 0 ? v.hits / v.n : null }]),
    ),
    champion: await championVersion(world.db),
    events,
  };
}

/** One user's visit: 10 recommendations, some rated, and some popular movies found elsewhere. */
async function visit(
  world: World,
  u: number,
  visitAt: number,
  dayRng: Rng,
  counts: DayCounts,
): Promise<void> {
  const { db, options, tastes, rateOptions } = world;
  counts.visitors += 1;
  const recs = await serveRecommendations(db, { userId: u, n: options.recommendations }, { now: visitAt });
  counts.served += recs.items.length;
  let second = 0;
  const rate = (movieId: number) => {
    second += 1;
    const at = visitAt + 60_000 + second * 1000;
    return rateMovie(
      db,
      { userId: u, movieId, rating: tastes.drawRating(u, movieId, dayRng), ratedAt: at },
      { ...rateOptions, now: at },
    );
  };
  for (const item of recs.items) {
    if (dayRng.next() >= rateProbability(tastes.trueRating(u, item.movieId))) continue;
    const r = await rate(item.movieId);
    if (r.tracked.kind !== 'recommended') continue;
    counts.tracked += 1;
    if (r.tracked.hit) counts.hits += 1;
    const arm = r.tracked.arm ?? 'champion';
    const a = counts.arms[arm] ?? { n: 0, hits: 0 };
    counts.arms[arm] = a;
    a.n += 1;
    if (r.tracked.hit) a.hits += 1;
  }
  // Movies found without MovieNight: popular ones, rated when the user likes them enough.
  for (let k = 0; k < options.otherMovies; k++) {
    const m = tastes.world.sampleMovie(dayRng);
    if (recs.items.some((i) => i.movieId === m)) continue;
    if (dayRng.next() >= rateProbability(tastes.trueRating(u, m))) continue;
    if ((await rate(m)).tracked.kind === 'unexpected') counts.unexpected += 1;
  }
}

/**
 * The scheduler's pass at the end of the day, and what it did, in words. An activation is also
 * judged against the users' true tastes (what only a simulation knows).
 */
async function endOfDay(world: World, endOfDay: number): Promise<string[]> {
  const events: string[] = [];
  const tick = await schedulerTick(world.db, {
    config: world.config,
    clock: () => endOfDay,
    holder: 'simulation',
  });
  const ab = tick.abTest;
  if (ab?.applied) {
    events.push(
      `A/B test #${ab.testId} ${ab.applied}: v${ab.challengerVersion} ${(100 * ab.challenger.accuracy).toFixed(1)} % vs v${ab.championVersion} ${(100 * ab.champion.accuracy).toFixed(1)} % (${ab.reason})`,
    );
  }
  if (ab?.applied === 'activated') {
    const truth = compareInTruth(
      await loadVersionModel(world.db, ab.challengerVersion),
      await loadVersionModel(world.db, ab.championVersion),
      world.tastes,
      { userCount: world.options.users, likeThreshold: likeLine(world), seed: world.options.seed + endOfDay },
    );
    events.push(
      `in truth: v${ab.challengerVersion} ${(100 * truth.challenger).toFixed(1)} % vs v${ab.championVersion} ${(100 * truth.champion).toFixed(1)} % (${truth.pairs} pairs)${truth.challenger < truth.champion ? ' — worse in truth' : ''}`,
    );
  }
  const trigger = tick.check.trigger;
  if (trigger?.created) {
    const stops = trigger.preemptedAbTest === null ? '' : ` (stops A/B test #${trigger.preemptedAbTest})`;
    events.push(`retrain #${trigger.trigger.id} triggered${stops}: ${trigger.trigger.reason}`);
  }
  if (tick.retrain)
    events.push(`retrain #${tick.retrain.triggerId} ${tick.retrain.status}: ${tick.retrain.outcome}`);
  if (tick.error) events.push(`scheduler: ${tick.error}`);
  return events;
}

/** The "liked" line the tracker uses: the configured one, or the scale's default. */
function likeLine(world: World): number {
  return likeThreshold(world.tastes.world.scale, world.config.likeThreshold);
}
