import type { Config } from '../config.ts';
import { InvalidInputError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';

/** Everything a simulation run depends on. Same options, same run. */
export interface SimulationOptions {
  readonly days: number;
  /** The day (0-based) from which tastes have shifted. */
  readonly driftDay: number;
  /** How far tastes turn at the drift (see DriftingTastes): 1 reversed, 0.5 gone, 0 unchanged. */
  readonly driftStrength: number;
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
  /** Settings of the loop in simulated time (the retrain rule's four settings and the rest), over the defaults. */
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
 * The loop's rule is the product's default one (retrain when the champion's accuracy is below 50 % with 95 %
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

/** Bad settings are an InvalidInputError naming the setting and the value. */
export function checkSimulationOptions(options: SimulationOptions): void {
  const whole = (name: keyof SimulationOptions, min: number) => {
    const v = options[name] as number;
    if (!Number.isInteger(v) || v < min)
      throw new InvalidInputError(`${name} must be a whole number ≥ ${min}, got ${v}`);
  };
  whole('days', 1);
  whole('users', 1);
  whole('movies', 2);
  whole('recommendations', 1);
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
