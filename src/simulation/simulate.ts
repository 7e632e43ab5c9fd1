import { type Config, loadConfig } from '../config.ts';
import { generateIntoDatabase } from '../data/generate.ts';
import { createSyntheticWorld } from '../data/synthetic-world.ts';
import type { Database } from '../db/database.ts';
import { openDatabase } from '../db/open-database.ts';
import { ConflictError, InvalidInputError } from '../errors.ts';
import { listAbTests } from '../experiments/ab-tests.ts';
import { requireWholeNumber } from '../input-schemas.ts';
import type { ModelParams } from '../models/rating-model.ts';
import { deriveSeed, Rng } from '../random/rng.ts';
import { aliasHistory } from '../registry/aliases.ts';
import { reportStore } from '../reports/sql-report-store.ts';
import { runRetrain } from '../retraining/retrain-orchestrator.ts';
import { DriftingTastes } from './drifting-tastes.ts';
import { day0, playDay, rateProbability, type World } from './simulated-day.ts';

const dayMs = 86_400_000;

/** Everything a simulation run depends on. Same options, same run. */
export interface SimulationOptions {
  readonly days: number;
  /** The day (0-based) from which tastes have shifted. */
  readonly driftDay: number;
  /** How far tastes turn at the drift (see DriftingTastes): 1 reversed, 0.5 gone, 0 unchanged. */
  readonly driftStrength: number;
  /** Days over which tastes turn, in equal daily steps from driftDay (1: all at once). */
  readonly driftDays: number;
  readonly seed: number;
  readonly users: number;
  readonly movies: number;
  /** Standard deviation of the noise on every rating (the world's `noise`). */
  readonly ratingNoise: number;
  /**
   * Ratings that exist before day 0, spread over the `historyDays` before it; null: as many as the
   * visitors rate of movies they find themselves in that many simulated days (see
   * `liveDiscoveryPace`), so that the first model learns from what a retrain will see.
   */
  readonly historyRatings: number | null;
  readonly historyDays: number;
  /** Share of users who come by on a given day. */
  readonly activeShare: number;
  /** Recommendations served per visit. */
  readonly recommendations: number;
  /** Movies a visitor considers rating without a recommendation (unexpected movies). */
  readonly otherMovies: number;
  readonly model: string;
  readonly modelParams: ModelParams;
  /** Settings of the loop in simulated time (the four core settings plus the rest), over the defaults. */
  readonly config: Partial<Config>;
  /** A/B policy for the simulated tests. */
  readonly abMinSamples: number;
  readonly abTraffic: number;
  /** Database to simulate in (default a private in-memory SQLite); must be empty. */
  readonly location: string;
  /** Called after each simulated day (progress output). */
  readonly onDay?: (day: SimulationDay) => void;
}

/**
 * Defaults that show the whole loop in seconds, chosen so that its figures do not depend on the run
 * length or the seed:
 *
 * - A catalogue large against what one user rates: 1000 users visit every third day or so (30 %)
 *   and rate about 13 movies a visit, about 100 of the 1500 movies each by the end. With 150 users
 *   rating 9 movies a day out of 600 (the first defaults) every user had rated half the catalogue
 *   by day 26 and the remaining recommendations got steadily harder to call: a model that was
 *   never retrained lost 1.5–2 points a day with unchanged tastes, so "back to the pre-drift
 *   level" depended on when the run stopped.
 * - A history that is the same users' own discoveries at the simulation's pace: what visitors rate
 *   of the popular movies they find themselves (`otherMovies` × the rating probability × visitors,
 *   about 3100 a day), 7 days of it (`historyRatings: null` derives it, so it follows `--users` and
 *   the rest). The first model learns from that kind of data; no more of it than a retrain sees.
 * - A 10-day window, whose accuracy is significantly below 50 % only once 8–9 of its days come
 *   after the drift: the retrain then has more days of new tastes (and the feedback on
 *   recommendations) than the first model had of history. With a 7-day window the trigger came
 *   5–6 days after the drift, the retrain learned from less than the first model, and the end level
 *   ranged from 5.8 points below to 2.5 above the pre-drift level with the seed (seeds 1–10).
 * - 30 days with the drift on day 12: the trigger comes on day 20 or 21, the A/B test decides the
 *   next day, and the last 5 days (the end level) all come after the activation.
 *
 * The loop's rule is the default one (retrain when the champion's accuracy is below 50 % with 95 %
 * confidence, 5 samples per movie, 5 % activation threshold); simulated time asks for shorter spans
 * elsewhere: the 10-day window, retrains on the window only (after a change of taste old ratings
 * mislead), a 2-day cooldown. "Liked" is 4 stars or more (the default line on whole stars; with 3.5
 * the well-known part of a rating, user and movie biases, keeps a stale model above 50 % however
 * tastes turn).
 */
export const defaultSimulationOptions: Omit<SimulationOptions, 'onDay'> = Object.freeze({
  days: 30,
  driftDay: 12,
  driftStrength: 1,
  driftDays: 1,
  seed: 42,
  users: 1000,
  movies: 1500,
  ratingNoise: 0.3,
  historyRatings: null,
  historyDays: 7,
  activeShare: 0.3,
  recommendations: 10,
  otherMovies: 20,
  model: 'svd',
  modelParams: Object.freeze({ n_factors: 8, n_epochs: 100, lr_all: 0.03, reg_all: 0.1 }),
  config: Object.freeze({
    trainingWindowDays: 10,
    retrainData: 'window',
    retrainCooldownHours: 48,
    likeThreshold: 4,
  } satisfies Partial<Config>),
  abMinSamples: 300,
  abTraffic: 0.5,
  location: ':memory:',
});

/** What happened on one simulated day. */
export interface SimulationDay {
  readonly day: number;
  readonly date: string;
  readonly drifted: boolean;
  readonly visitors: number;
  readonly served: number;
  /** Ratings of recommended movies (tracked), and how many had the liked prediction right. */
  readonly tracked: number;
  readonly hits: number;
  /** hits / tracked, null without ratings. */
  readonly accuracy: number | null;
  readonly unexpected: number;
  /** Accuracy per arm while an A/B test runs. */
  readonly arms: Readonly<Record<string, { readonly n: number; readonly accuracy: number | null }>>;
  /** The champion at the end of the day. */
  readonly champion: number | null;
  readonly events: readonly string[];
}

export interface SimulationSummary {
  /** Accuracy over the 5 days before the drift, and over the last 5 days. */
  readonly preDriftAccuracy: number | null;
  readonly lowestAfterDrift: number | null;
  readonly finalAccuracy: number | null;
  /** finalAccuracy − preDriftAccuracy, in points. */
  readonly recoveryGapPoints: number | null;
  readonly triggers: number;
  readonly retrains: number;
  readonly abTests: number;
  readonly activations: number;
  /** Automatic triggers by the rule that filed them. */
  readonly triggersByRule: Readonly<Record<'threshold' | 'drift' | 'recovery', number>>;
  /** A/B activations whose challenger was worse than the champion it replaced, in truth. */
  readonly worseActivations: number;
  /**
   * First day from the drift on which the model that was champion at the end of the day scored,
   * on its own outcomes that day, within 2 points of `preDriftAccuracy` (null: never).
   */
  readonly recoveryDay: number | null;
  /** Day of the first automatic retrain trigger, and of the first A/B activation (null: none). */
  readonly firstTriggerDay: number | null;
  readonly firstActivationDay: number | null;
}

export interface SimulationResult {
  readonly options: Omit<SimulationOptions, 'onDay'>;
  readonly config: Config;
  readonly days: readonly SimulationDay[];
  readonly summary: SimulationSummary;
  readonly seconds: number;
}

function check(options: SimulationOptions): void {
  const whole = (name: keyof SimulationOptions, min: number) => {
    requireWholeNumber(name, options[name] as number, { min });
  };
  whole('days', 1);
  whole('users', 1);
  whole('movies', 2);
  whole('recommendations', 1);
  whole('driftDays', 1);
  whole('seed', 0);
  if (options.historyRatings !== null) whole('historyRatings', 0);
  if (!Number.isInteger(options.driftDay) || options.driftDay < 1 || options.driftDay >= options.days) {
    throw new InvalidInputError(
      `driftDay must be a whole number from 1 to days − 1 (${options.days - 1}), got ${options.driftDay}`,
    );
  }
  if (!(options.driftStrength >= 0 && options.driftStrength <= 1)) {
    throw new InvalidInputError(`driftStrength must be in [0, 1], got ${options.driftStrength}`);
  }
  if (!(options.activeShare > 0 && options.activeShare <= 1)) {
    throw new InvalidInputError(`activeShare must be in (0, 1], got ${options.activeShare}`);
  }
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

/**
 * The end-of-day champion's accuracy on its own outcomes that day: the challenger arm's when an
 * A/B test activated it that evening, the champion arm's otherwise (all traffic outside tests).
 */
function championAccuracyOfDay(d: SimulationDay): number | null {
  const activated = d.events.some((e) => /^A\/B test #\d+ activated/.test(e));
  const arm = activated ? d.arms.challenger : (d.arms.champion ?? undefined);
  return arm?.accuracy ?? (activated ? null : d.accuracy);
}

function recoveryDay(days: readonly SimulationDay[], driftDay: number, pre: number | null): number | null {
  if (pre === null) return null;
  return days.find((d) => d.day >= driftDay && (championAccuracyOfDay(d) ?? -1) >= pre - 0.02)?.day ?? null;
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
  check(options);
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

async function run(
  db: Database,
  options: SimulationOptions,
  config: Config,
  started: number,
): Promise<SimulationResult> {
  const existing = await reportStore(db).rowCounts(['movies']);
  if (existing.movies > 0)
    throw new ConflictError(`${db.location} is not empty: simulate into a new database`);
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
  const retrainOptions = {
    model: options.model,
    params: options.modelParams,
    seed: options.seed,
    abMinSamples: options.abMinSamples,
    abTraffic: options.abTraffic,
  };
  // The first model, from the history: there is no champion yet, so it is activated.
  await runRetrain(db, config, { ...retrainOptions, reason: 'simulation: first model', clock: () => day0 });
  const rateOptions = {
    windowDays: config.trainingWindowDays,
    scale: tastes.world.scale,
    ...(config.likeThreshold === undefined ? {} : { likeThreshold: config.likeThreshold }),
  };
  const world: World = { db, options, config, tastes, rateOptions };
  const days: SimulationDay[] = [];
  const rng = new Rng(deriveSeed(options.seed, 'simulation'));
  for (let d = 0; d < options.days; d++) {
    const day = await playDay(world, d, rng.fork());
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
  const events = days.flatMap((d) => d.events);
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
    triggersByRule: {
      threshold: events.filter((e) => /^retrain #\d+ triggered[^:]*: (?!drift:|recovery:)/.test(e)).length,
      drift: events.filter((e) => /^retrain #\d+ triggered[^:]*: drift:/.test(e)).length,
      recovery: events.filter((e) => /^retrain #\d+ triggered[^:]*: recovery:/.test(e)).length,
    },
    worseActivations: events.filter((e) => /^in truth: .* worse in truth$/.test(e)).length,
    recoveryDay: recoveryDay(days, options.driftDay, preDriftAccuracy),
    firstTriggerDay: firstDayWith(/^retrain #\d+ triggered/),
    firstActivationDay: firstDayWith(/^A\/B test #\d+ activated/),
  };
}

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
    `Accuracy: ${pct(s.preDriftAccuracy).trim()} % before the drift (5 days), lowest ${pct(s.lowestAfterDrift).trim()} % after it, ${pct(s.finalAccuracy).trim()} % over the last 5 days (${s.recoveryGapPoints === null ? '–' : `${s.recoveryGapPoints >= 0 ? '+' : ''}${s.recoveryGapPoints.toFixed(1)}`} points); champion back within 2 points on day ${s.recoveryDay ?? '– (never)'}`,
  );
  out.push(
    `Loop: ${s.triggers} automatic trigger(s) (threshold ${s.triggersByRule.threshold}, drift ${s.triggersByRule.drift}, recovery ${s.triggersByRule.recovery}), ${s.worseActivations} activation(s) worse in truth, ${s.retrains} retrain(s) (incl. the first model), ${s.abTests} A/B test(s), ${s.activations} activation(s); ${r.seconds.toFixed(1)} s`,
  );
  return out.join('\n');
}

const activationActions: ReadonlySet<string> = new Set(['first', 'activate', 'ab-activate']);
