import { loadMovies } from '../data/load-movies.ts';
import { wholeStarScale } from '../data/rating-scale.ts';
import type { RatingsData } from '../data/ratings-data.ts';
import type { Database, Queryable } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import { type AbTest, getRunningAbTest } from '../experiments/ab-tests.ts';
import { type Arm, assignArm } from '../experiments/assignment.ts';
import type { FallbackKind, RatingModel } from '../models/rating-model.ts';
import { defaultMaxStalenessMs, getActiveModelVersion, loadVersionModel } from '../registry/active-model.ts';
import { type TopNFilters, TopNRecommender } from './top-n.ts';

/** Genre and year filters (B2's top-N filters: a genre not in the catalogue is refused by name). */
export type RecommendationFilters = TopNFilters;

export interface ServeRecommendationsInput {
  readonly userId: number;
  readonly n: number;
  readonly filters?: RecommendationFilters;
}

export interface ServeOptions {
  /** Clock (simulations pass a simulated one); default Date.now(). */
  readonly now?: number;
  /** How stale the cached champion and running test may be, ms (default 2000). */
  readonly maxStalenessMs?: number;
}

export interface ServedItem {
  readonly rank: number;
  readonly movieId: number;
  readonly title: string;
  readonly year: number | null;
  readonly genres: readonly string[];
  readonly predictedRating: number;
  /** Why the prediction did not come from learned parameters for this pair, or `none`. */
  readonly fallback: FallbackKind;
}

/** A user's recommendations and where they came from. Plain data. */
export interface ServedRecommendations {
  readonly userId: number;
  readonly modelVersion: number;
  readonly abTestId: number | null;
  readonly arm: Arm;
  /** The model has never seen this user: the list is the fallback (popular, well-rated movies). */
  readonly newUser: boolean;
  readonly note: string | null;
  readonly items: readonly ServedItem[];
  readonly servedAt: number;
}

interface TestCache {
  test: AbTest | null;
  checkedAt: number;
}
const runningTests = new WeakMap<Queryable, TestCache>();

/** The running A/B test, re-read at most every `maxStalenessMs` (a test start reaches every server within seconds). */
async function runningTest(db: Queryable, now: number, maxStalenessMs: number): Promise<AbTest | null> {
  const cached = runningTests.get(db);
  if (cached && now - cached.checkedAt < maxStalenessMs) return cached.test;
  const test = await getRunningAbTest(db);
  runningTests.set(db, { test, checkedAt: now });
  return test;
}

interface ArmChoice {
  readonly model: RatingModel;
  readonly version: number;
  readonly abTestId: number | null;
  readonly arm: Arm;
}

async function chooseArm(db: Queryable, userId: number, now: number, staleness: number): Promise<ArmChoice> {
  const test = await runningTest(db, now, staleness);
  if (test) {
    const arm = assignArm(test.id, userId, test.traffic);
    const version = arm === 'challenger' ? test.challengerVersion : test.championVersion;
    try {
      return { model: await loadVersionModel(db, version), version, abTestId: test.id, arm };
    } catch {
      // An arm whose model does not load is not served, and the user is left out of the test
      // (ab_test_id null) so the outage does not masquerade as that arm's outcome.
    }
  }
  const active = await getActiveModelVersion(db, { now, maxStalenessMs: staleness });
  return { model: active.model, version: active.version.version, abTestId: null, arm: 'champion' };
}

function checkInteger(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new InvalidInputError(
      `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/**
 * The user's history comes from the database on every call (a rating made a second ago must be
 * excluded), so the top-N recommender is built on no ratings: it contributes the catalogue, the
 * filters, the top-N selection and the new-user rule.
 */
const noRatings: RatingsData = Object.freeze({
  size: 0,
  users: new Int32Array(0),
  movies: new Int32Array(0),
  ratings: new Float32Array(0),
  timestamps: new Float64Array(0),
  scale: wholeStarScale,
});

// One recommender per (connection, version): versions never change, so it never goes stale.
const recommenders = new WeakMap<Queryable, Map<number, TopNRecommender>>();
const keptRecommenders = 4;

async function recommenderFor(db: Queryable, choice: ArmChoice): Promise<TopNRecommender> {
  let byVersion = recommenders.get(db);
  if (!byVersion) {
    byVersion = new Map();
    recommenders.set(db, byVersion);
  }
  const hit = byVersion.get(choice.version);
  if (hit) return hit;
  const recommender = new TopNRecommender({
    model: choice.model,
    ratings: noRatings,
    movies: await loadMovies(db),
  });
  byVersion.set(choice.version, recommender);
  while (byVersion.size > keptRecommenders) byVersion.delete(byVersion.keys().next().value as number);
  return recommender;
}

/**
 * Fold-in solves the user's factors from their ratings; its cost grows with their number. A user
 * with more ratings than this since the model was trained is folded in from the most recent ones
 * (the next retrain learns from all of them), which keeps a request's cost bounded.
 */
export const foldInMaxRatings = 200;

export function mostRecent(
  rows: ReadonlyArray<{ movie_id: number; rating: number; rated_at: number }>,
  count: number,
): Map<number, number> {
  const sorted = [...rows].sort((a, b) => Number(b.rated_at) - Number(a.rated_at) || a.movie_id - b.movie_id);
  return new Map(sorted.slice(0, count).map((r) => [Number(r.movie_id), Number(r.rating)]));
}

/**
 * A user's top-N from their arm's model — the champion, or the challenger when the running A/B
 * test assigns them to it — with the movies they rated excluded and the filters applied. Every
 * item is recorded in served_recommendations (version, test, arm, predicted rating, rank) in one
 * insert, which is what the tracker later matches a rating against. Models and their top-N
 * recommenders (B2's TopNRecommender) are cached per process, and the champion and running test are
 * re-read at most every 2 s, so the hot path is one query (the user's rated movies), the model's
 * scoring and one insert.
 */
export async function serveRecommendations(
  db: Database,
  input: ServeRecommendationsInput,
  options: ServeOptions = {},
): Promise<ServedRecommendations> {
  const userId = checkInteger('userId', input.userId, 1, Number.MAX_SAFE_INTEGER);
  const n = checkInteger('n', input.n, 1, 1000);
  const now = options.now ?? Date.now();
  const staleness = options.maxStalenessMs ?? defaultMaxStalenessMs;
  const choice = await chooseArm(db, userId, now, staleness);
  const recommender = await recommenderFor(db, choice);
  // A user the model trained on needs only the ids of what they rated (to exclude them), which the
  // primary key index covers. A user it never saw (signed up after it) is folded in from the
  // ratings themselves, so their picks react to their ratings at once.
  let userRatings:
    | { exclude: ReadonlySet<number> }
    | { history: Map<number, number>; foldInHistory?: Map<number, number> };
  if (recommender.knowsUser(userId)) {
    const rated = await db.all<{ movie_id: number }>('SELECT movie_id FROM ratings WHERE user_id = ?', [
      userId,
    ]);
    userRatings = { exclude: new Set(rated.map((r) => Number(r.movie_id))) };
  } else {
    const rated = await db.all<{ movie_id: number; rating: number; rated_at: number }>(
      'SELECT movie_id, rating, rated_at FROM ratings WHERE user_id = ?',
      [userId],
    );
    const history = new Map(rated.map((r) => [Number(r.movie_id), Number(r.rating)] as const));
    userRatings =
      rated.length > foldInMaxRatings
        ? { history, foldInHistory: mostRecent(rated, foldInMaxRatings) }
        : { history };
  }
  const top = recommender.recommend({
    userId,
    n,
    ...userRatings,
    explain: false,
    ...(input.filters ? { filters: input.filters } : {}),
  });
  const items: ServedItem[] = top.items.map((i) => ({
    rank: i.rank,
    movieId: i.movieId,
    title: i.title,
    year: i.year,
    genres: i.genres,
    predictedRating: i.predictedRating,
    fallback: i.fallback,
  }));
  await db.transaction(
    async (tx) => {
      await tx.run('INSERT INTO users (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING', [
        userId,
        now,
      ]);
      await tx.insertMany(
        'served_recommendations',
        [
          'user_id',
          'movie_id',
          'model_version',
          'ab_test_id',
          'arm',
          'predicted_rating',
          'rank',
          'served_at',
        ],
        items.map((i) => [
          userId,
          i.movieId,
          choice.version,
          choice.abTestId,
          choice.abTestId === null ? null : choice.arm,
          i.predictedRating,
          i.rank,
          now,
        ]),
      );
      // Concurrent requests share one commit (each its own savepoint), answered after it.
    },
    { groupCommit: true },
  );
  return {
    userId,
    modelVersion: choice.version,
    abTestId: choice.abTestId,
    arm: choice.arm,
    newUser: top.newUser,
    note: top.note,
    items,
    servedAt: now,
  };
}
