import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { ConflictError, InvalidInputError } from '../errors.ts';
import type { RatingModel } from '../models/rating-model.ts';
import { loadVersionModel } from '../registry/active-model.ts';
import { readAliases } from '../registry/aliases.ts';
import {
  estimateOffPolicy,
  fitRewardModel,
  type OpeEstimate,
  type OpeScreenMode,
  type OpeScreenVerdict,
  type OpeVisit,
  type RewardRow,
  screenVerdict,
} from './off-policy-estimation.ts';
import {
  applyScreening,
  hasExploredRows,
  type LoggedRow,
  type OpeScreening,
  readLoggedWindow,
  readWindowUserRatings,
} from './ope-store.ts';

const dayMs = 86_400_000;

/** The settings the screen reads; `opeScreening` defaults to 'discard'. */
export type ScreenSettings = Pick<Config, 'trainingWindowDays'> & { readonly opeScreening?: OpeScreenMode };

export interface ScreenOptions {
  /** The liked line the tracker uses (config likeThreshold, or the scale's). */
  readonly likeThreshold: number;
  readonly now?: number;
  /** Window length, days (default config trainingWindowDays). */
  readonly windowDays?: number;
  /** Estimate only: record nothing, discard nothing. */
  readonly dryRun?: boolean;
}

/** What the screen found and did. Plain data. */
export interface ScreenResult {
  readonly championVersion: number;
  readonly challengerVersion: number;
  readonly champion: OpeEstimate;
  readonly challenger: OpeEstimate;
  readonly verdict: OpeScreenVerdict;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** The stored record (null on a dry run or with screening off). */
  readonly screening: OpeScreening | null;
}

/** Logged rows grouped into visits (one list served to one user at one time). */
function visitsOf(rows: readonly LoggedRow[]): LoggedRow[][] {
  const out: LoggedRow[][] = [];
  let current: LoggedRow[] = [];
  for (const r of rows) {
    const head = current[0];
    if (head && (head.userId !== r.userId || head.servedAt !== r.servedAt)) {
      out.push(current);
      current = [];
    }
    current.push(r);
  }
  if (current.length) out.push(current);
  return out;
}

type RatedAt = ReadonlyMap<number, readonly { movieId: number; ratedAt: number }[]>;

/**
 * A target model's estimate from the logged visits: its own top n for each visit (the movies the
 * user had rated by then excluded, as serving does), matched against what was shown. `logging` is
 * the champion, whose predictions decided what was shown: the reward model bins by them too.
 */
function estimateModel(
  model: RatingModel,
  logging: RatingModel,
  visits: readonly LoggedRow[][],
  ratings: RatedAt,
  likeThreshold: number,
): OpeEstimate {
  const rows: RewardRow[] = [];
  const opeVisits: OpeVisit[] = [];
  // The champion's own estimate needs no second prediction of the same movie.
  const loggingOf = (userId: number, movieId: number, own: number) =>
    logging === model ? own : logging.predict(userId, movieId).rating;
  for (const visit of visits) {
    const { userId, servedAt } = visit[0]!;
    const exclude = new Set(
      (ratings.get(userId) ?? []).filter((r) => r.ratedAt < servedAt).map((r) => r.movieId),
    );
    const shown = new Map(visit.map((r) => [r.movieId, r]));
    for (const r of visit) {
      const predictedRating = model.predict(userId, r.movieId).rating;
      rows.push({
        user: userId,
        predictedRating,
        loggingPrediction: loggingOf(userId, r.movieId, predictedRating),
        rated: r.rated,
        liked: r.liked,
      });
    }
    const target = model.recommend(userId, { n: visit.length, exclude }).map((rec) => {
      const log = shown.get(rec.movieId);
      return {
        predictedRating: rec.predictedRating,
        loggingPrediction: loggingOf(userId, rec.movieId, rec.predictedRating),
        logged: log ? { inclusion: log.inclusion ?? 1, rated: log.rated, liked: log.liked } : null,
      };
    });
    opeVisits.push({ user: userId, target });
  }
  return estimateOffPolicy(opeVisits, fitRewardModel(rows), likeThreshold);
}

/**
 * The off-policy screen of a challenger before any user sees it: SNIPS and doubly robust
 * estimates of its live liked-accuracy and hit rate, and the champion's, from the champion's
 * propensity-logged window (served outside tests, last `trainingWindowDays`). With `opeScreening`
 * 'discard' a challenger whose accuracy upper bound is below the champion's estimate is discarded
 * (model_versions status), and every screen but a dry run is recorded with its figures.
 *
 * Caveat, also in the docs: a challenger trained on the window's own ratings predicts them better
 * than it would predict new ones, which flatters its estimate (the screen then discards less, never
 * more).
 */
export async function screenChallengerOffPolicy(
  db: Database,
  challengerVersion: number,
  config: ScreenSettings,
  options: ScreenOptions,
): Promise<ScreenResult> {
  const mode = config.opeScreening ?? 'discard';
  const now = options.now ?? Date.now();
  const windowDays = options.windowDays ?? config.trainingWindowDays;
  if (!(windowDays > 0)) throw new InvalidInputError(`windowDays must be positive, got ${windowDays}`);
  const championVersion = (await readAliases(db)).get('champion');
  if (championVersion === undefined) throw new ConflictError('no champion: nothing logged to estimate from');
  if (championVersion === challengerVersion)
    throw new InvalidInputError(`v${challengerVersion} is the champion; choose another version`);
  const [champion, challenger] = [
    await loadVersionModel(db, championVersion),
    await loadVersionModel(db, challengerVersion),
  ];
  const from = now - windowDays * dayMs;
  // Without exploration the log says nothing of movies the champion never shows: no verdict, and
  // no time spent estimating (a retrain screens every new version).
  const explored = await hasExploredRows(db, championVersion, from, now);
  const visits = explored ? visitsOf(await readLoggedWindow(db, championVersion, from, now)) : [];
  const ratings = explored ? await readWindowUserRatings(db, championVersion, from, now) : new Map();
  const est = {
    champion: estimateModel(champion, champion, visits, ratings, options.likeThreshold),
    challenger: estimateModel(challenger, champion, visits, ratings, options.likeThreshold),
  };
  const verdict = explored
    ? screenVerdict(est.challenger, est.champion, mode)
    : {
        action: 'test' as const,
        reason: 'no propensity-logged serving in the window (exploration off): the A/B test decides',
      };
  const record = !options.dryRun && mode !== 'off';
  const screening = record
    ? await applyScreening(db, {
        championVersion,
        challengerVersion,
        action: verdict.action,
        reason: verdict.reason,
        figures: { champion: est.champion, challenger: est.challenger, mode, windowDays },
        windowStart: from,
        windowEnd: now,
        createdAt: now,
      })
    : null;
  return {
    championVersion,
    challengerVersion,
    ...est,
    verdict,
    windowStart: from,
    windowEnd: now,
    screening,
  };
}
