import { type Config, loadConfig } from '../config.ts';
import { generateIntoDatabase } from '../data/generate.ts';
import { createSyntheticWorld } from '../data/synthetic-world.ts';
import type { Database } from '../db/database.ts';
import { openDatabase } from '../db/open-database.ts';
import { ConflictError } from '../errors.ts';
import { listAbTests } from '../experiments/ab-tests.ts';
import { type RateMovieOptions, rateMovie } from '../monitoring/rate-movie.ts';
import { deriveSeed, Rng } from '../random/rng.ts';
import { serveRecommendations } from '../recommend/serve-recommendations.ts';
import { aliasHistory } from '../registry/aliases.ts';
import { championVersion } from '../registry/champion.ts';
import { reportStore } from '../reports/sql-report-store.ts';
import { runRetrain } from '../retraining/retrain-orchestrator.ts';
import { schedulerTick } from '../retraining/scheduler.ts';
import { DriftingTastes } from './drifting-tastes.ts';
import {
  checkSimulationOptions,
  defaultSimulationOptions,
  type SimulationDay,
  type SimulationOptions,
  type SimulationResult,
  type SimulationSummary,
} from './simulation-options.ts';

const dayMs = 86_400_000;

export {
  checkSimulationOptions,
  defaultSimulationOptions,
  type SimulationDay,
  type SimulationOptions,
  type SimulationResult,
  type SimulationSummary,
} from './simulation-options.ts';

/** Probability that a visitor rates a movie they were shown, from how much they truly like it. */
function rateProbability(trueRating: number): number {
  // Mildly more likely for movies they like (people finish and rate those), never certain either
  // way: a strong pull would hide a stale model's misses behind the ratings nobody gives.
  return 0.35 + 0.25 / (1 + Math.exp(-2 * (trueRating - 3)));
}

/**
 * Ratings a day that visitors give to movies they find themselves (the `otherMovies` channel):
 * visitors × draws per visit × the mean rating probability of a popularity-drawn movie for a
 * random user, estimated on 4000 seeded draws from the world.
 */
export function liveDiscoveryPace(tastes: DriftingTastes, options: SimulationOptions): number {
  const rng = new Rng(deriveSeed(options.seed, 'discovery-pace'));
  const draws = 4000;
  let p = 0;
  for (let i = 0; i < draws; i++) {
    const u = 1 + Math.floor(rng.next() * options.users);
    p += rateProbability(tastes.trueRating(u, tastes.world.sampleMovie(rng)));
  }
  return options.users * options.activeShare * options.otherMovies * (p / draws);
}

function mean(days: readonly SimulationDay[]): number | null {
  let n = 0;
  let h = 0;
  for (const d of days) {
    n += d.tracked;
    h += d.hits;
  }
  return n > 0 ? h / n : null;
}

/**
 * The whole product in fast-forward: generated users with known tastes get recommendations day
 * by day (serveRecommendations), rate some of them and some other movies (rateMovie), and at the
 * drift day their tastes turn. At the end of each simulated day the scheduler's pass runs: the
 * revalidation check (which may trigger a retrain), the running A/B test's decision, the triggered
 * retrain. Every call gets the simulated clock, so forty days take seconds.
 */
export async function simulate(partial: Partial<SimulationOptions> = {}): Promise<SimulationResult> {
  const started = performance.now();
  const options: SimulationOptions = { ...defaultSimulationOptions, ...partial };
  checkSimulationOptions(options);
  const config = loadConfig({
    env: {},
    file: '/nonexistent/movienight.config.json',
    overrides: options.config,
  });
  const db = await openDatabase(options.location);
  try {
    return await run(db, options, config, started);
  } finally {
    await db.close();
  }
}

/** What every simulated day needs: the world, its clock, the options and how ratings enter. */
interface SimulationWorld {
  readonly db: Database;
  readonly options: SimulationOptions;
  readonly config: Config;
  readonly tastes: DriftingTastes;
  readonly day0: number;
  readonly rateOptions: RateMovieOptions;
}

/** One day's tallies, filled in visit by visit. */
interface DayTally {
  visitors: number;
  served: number;
  tracked: number;
  hits: number;
  unexpected: number;
  readonly arms: Record<string, { n: number; hits: number }>;
}

/** Generates the world and its history into the empty database and trains the first model. */
async function setUpWorld(
  db: Database,
  options: SimulationOptions,
  config: Config,
): Promise<{ world: SimulationWorld; historyRatings: number }> {
  const existing = await reportStore(db).rowCounts(['movies']);
  if (existing.movies > 0)
    throw new ConflictError(`${db.location} is not empty: simulate into a new database`);
  const day0 = Date.UTC(2026, 0, 1);
  const worldOptions = {
    users: options.users,
    movies: options.movies,
    seed: options.seed,
    noise: options.ratingNoise,
    startTime: day0 - options.historyDays * dayMs,
    endTime: day0,
  };
  const tastes = new DriftingTastes(createSyntheticWorld(worldOptions));
  const historyRatings =
    options.historyRatings ?? Math.round(options.historyDays * liveDiscoveryPace(tastes, options));
  await generateIntoDatabase(db, { ...worldOptions, ratings: historyRatings });
  // The first model, from the history: there is no champion yet, so it is activated.
  await runRetrain(db, config, {
    ...retrainOptionsOf(options),
    reason: 'simulation: first model',
    clock: () => day0,
  });
  const rateOptions = {
    windowDays: config.trainingWindowDays,
    scale: tastes.world.scale,
    ...(config.likeThreshold === undefined ? {} : { likeThreshold: config.likeThreshold }),
  };
  return { world: { db, options, config, tastes, day0, rateOptions }, historyRatings };
}

function retrainOptionsOf(options: SimulationOptions) {
  return {
    model: options.model,
    params: options.modelParams,
    seed: options.seed,
    abMinSamples: options.abMinSamples,
    abTraffic: options.abTraffic,
  };
}

/**
 * One user's visit: they are served recommendations and rate some of them (by how much they like
 * each), then rate some movies they found elsewhere.
 */
async function visit(
  w: SimulationWorld,
  u: number,
  visitAt: number,
  rng: Rng,
  tally: DayTally,
): Promise<void> {
  const { db, options, tastes } = w;
  const recs = await serveRecommendations(db, { userId: u, n: options.recommendations }, { now: visitAt });
  tally.served += recs.items.length;
  let second = 0;
  const rate = (movieId: number) => {
    second += 1;
    const at = visitAt + 60_000 + second * 1000;
    const rating = tastes.drawRating(u, movieId, rng);
    return rateMovie(db, { userId: u, movieId, rating, ratedAt: at }, { now: at, ...w.rateOptions });
  };
  for (const item of recs.items) {
    if (rng.next() >= rateProbability(tastes.trueRating(u, item.movieId))) continue;
    const r = await rate(item.movieId);
    if (r.tracked.kind !== 'recommended') continue;
    tally.tracked += 1;
    if (r.tracked.hit) tally.hits += 1;
    const arm = r.tracked.arm ?? 'champion';
    const a = tally.arms[arm] ?? { n: 0, hits: 0 };
    tally.arms[arm] = a;
    a.n += 1;
    if (r.tracked.hit) a.hits += 1;
  }
  // Movies found without MovieNight: popular ones, rated when the user likes them enough.
  for (let k = 0; k < options.otherMovies; k++) {
    const m = tastes.world.sampleMovie(rng);
    if (recs.items.some((i) => i.movieId === m)) continue;
    if (rng.next() >= rateProbability(tastes.trueRating(u, m))) continue;
    const r = await rate(m);
    if (r.tracked.kind === 'unexpected') tally.unexpected += 1;
  }
}

/** The scheduler's pass at the end of a day, on the simulated clock, as event lines. */
async function endOfDay(w: SimulationWorld, at: number): Promise<string[]> {
  const events: string[] = [];
  const tick = await schedulerTick(w.db, { config: w.config, clock: () => at, holder: 'simulation' });
  if (tick.check.trigger?.created)
    events.push(`retrain #${tick.check.trigger.trigger.id} triggered: ${tick.check.trigger.trigger.reason}`);
  const ab = tick.abTest;
  if (ab?.applied) {
    const pct = (x: number) => (100 * x).toFixed(1);
    events.push(
      `A/B test #${ab.testId} ${ab.applied}: v${ab.challengerVersion} ${pct(ab.challenger.accuracy)} % vs v${ab.championVersion} ${pct(ab.champion.accuracy)} % (${ab.reason})`,
    );
  }
  if (tick.retrain)
    events.push(`retrain #${tick.retrain.triggerId} ${tick.retrain.status}: ${tick.retrain.outcome}`);
  if (tick.error) events.push(`scheduler: ${tick.error}`);
  return events;
}

/** Day d: tastes drift on the drift day, active users visit in order, then the scheduler runs. */
async function simulateDay(w: SimulationWorld, d: number, dayRng: Rng): Promise<SimulationDay> {
  const { options, tastes } = w;
  if (d === options.driftDay) tastes.drift(options.driftStrength);
  const dayStart = w.day0 + d * dayMs;
  const events: string[] = [];
  if (d === options.driftDay) events.push(`tastes shift (strength ${options.driftStrength})`);
  const tally: DayTally = { visitors: 0, served: 0, tracked: 0, hits: 0, unexpected: 0, arms: {} };
  for (let u = 1; u <= options.users; u++) {
    if (dayRng.next() >= options.activeShare) continue;
    tally.visitors += 1;
    // Visits spread over the day, in user order (the clock only moves forward).
    await visit(w, u, dayStart + Math.floor(((u - 1) / options.users) * (dayMs - 7_200_000)), dayRng, tally);
  }
  events.push(...(await endOfDay(w, dayStart + dayMs - 60_000)));
  const { visitors, served, tracked, hits, unexpected } = tally;
  return {
    day: d,
    date: new Date(dayStart).toISOString().slice(0, 10),
    drifted: tastes.drifted,
    ...{ visitors, served, tracked, hits, accuracy: tracked > 0 ? hits / tracked : null, unexpected },
    arms: Object.fromEntries(
      Object.entries(tally.arms).map(([k, v]) => [k, { n: v.n, accuracy: v.n > 0 ? v.hits / v.n : null }]),
    ),
    champion: await championVersion(w.db),
    events,
  };
}

async function run(
  db: Database,
  options: SimulationOptions,
  config: Config,
  started: number,
): Promise<SimulationResult> {
  const { world, historyRatings } = await setUpWorld(db, options, config);
  const days: SimulationDay[] = [];
  const rng = new Rng(deriveSeed(options.seed, 'simulation'));
  for (let d = 0; d < options.days; d++) {
    const day = await simulateDay(world, d, rng.fork());
    days.push(day);
    options.onDay?.(day);
  }
  return {
    options: { ...stripCallback(options), historyRatings },
    config,
    days,
    summary: await summarise(db, options, days),
    seconds: (performance.now() - started) / 1000,
  };
}

function stripCallback(o: SimulationOptions): Omit<SimulationOptions, 'onDay'> {
  const { onDay: _onDay, ...rest } = o;
  return rest;
}

async function summarise(
  db: Database,
  options: SimulationOptions,
  days: readonly SimulationDay[],
): Promise<SimulationSummary> {
  const pre = days.slice(Math.max(0, options.driftDay - 5), options.driftDay);
  const post = days.slice(options.driftDay);
  const last = days.slice(-5);
  const preDriftAccuracy = mean(pre);
  const finalAccuracy = mean(last);
  const firstDayWith = (pattern: RegExp) =>
    days.find((d) => d.events.some((e) => pattern.test(e)))?.day ?? null;
  let lowest: number | null = null;
  for (const d of post)
    if (d.accuracy !== null && (lowest === null || d.accuracy < lowest)) lowest = d.accuracy;
  const retrains = await reportStore(db).retrainCounts();
  const championMoves = await aliasHistory(db, { alias: 'champion' });
  return {
    preDriftAccuracy,
    lowestAfterDrift: lowest,
    finalAccuracy,
    recoveryGapPoints:
      preDriftAccuracy !== null && finalAccuracy !== null ? 100 * (finalAccuracy - preDriftAccuracy) : null,
    triggers: retrains.autoTriggers,
    retrains: retrains.succeeded,
    abTests: (await listAbTests(db)).length,
    activations: championMoves.filter((m) => activationActions.has(m.action)).length,
    firstTriggerDay: firstDayWith(/^retrain #\d+ triggered/),
    firstActivationDay: firstDayWith(/^A\/B test #\d+ activated/),
  };
}

/** Champion moves that count as an activation (a rollback does not). */
const activationActions: ReadonlySet<string> = new Set(['first', 'activate', 'ab-activate']);

/** Terminal rendering: one line per day, events under it, then the summary. */
export function renderSimulation(r: SimulationResult): string {
  const pct = (v: number | null) => (v === null ? '    –' : `${(100 * v).toFixed(1).padStart(5)}`);
  const out = ['day  date        tastes   visits  tracked  accuracy %  champion  arms (n, accuracy %)'];
  for (const d of r.days) {
    const arms = Object.entries(d.arms)
      .filter(([k]) => k !== 'champion' || Object.keys(d.arms).length > 1)
      .map(([k, v]) => `${k} ${v.n} ${pct(v.accuracy).trim()}`)
      .join(', ');
    out.push(
      `${String(d.day).padStart(3)}  ${d.date}  ${d.drifted ? 'shifted' : 'before '}  ${String(d.visitors).padStart(6)}  ${String(d.tracked).padStart(7)}  ${pct(d.accuracy).padStart(10)}  ${`v${d.champion ?? '–'}`.padStart(8)}  ${arms}`,
    );
    for (const e of d.events) out.push(`       ↳ ${e}`);
  }
  const s = r.summary;
  out.push('');
  out.push(
    `Accuracy: ${pct(s.preDriftAccuracy).trim()} % before the drift (5 days), lowest ${pct(s.lowestAfterDrift).trim()} % after it, ${pct(s.finalAccuracy).trim()} % over the last 5 days (${s.recoveryGapPoints === null ? '–' : `${s.recoveryGapPoints >= 0 ? '+' : ''}${s.recoveryGapPoints.toFixed(1)}`} points)`,
  );
  out.push(
    `Loop: ${s.triggers} automatic trigger(s), ${s.retrains} retrain(s) (incl. the first model), ${s.abTests} A/B test(s), ${s.activations} activation(s); ${r.seconds.toFixed(1)} s`,
  );
  return out.join('\n');
}
