import { loadMovies } from '../data/load-movies.ts';
import { wholeStarScale } from '../data/rating-scale.ts';
import type { RatingsData } from '../data/ratings-data.ts';
import type { Database, Queryable } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import { type AbTest, getRunningAbTest } from '../experiments/ab-tests.ts';
import { type Arm, assignArm } from '../experiments/assignment.ts';
import type { ExplorationPolicy } from '../experiments/exploration.ts';
import type { RatingModel } from '../models/rating-model.ts';
import { defaultMaxStalenessMs, getActiveModelVersion, loadVersionModel } from '../registry/active-model.ts';
import { exploredList, interleavedList, type PlacedList, requestRng } from './explore-and-interleave.ts';
import { SqlServedStore } from './served-store.ts';
import { type TopNFilters, type TopNItem, TopNRecommender, type TopNRequest } from './top-n.ts';
import { readUserHistory, type UserHistory } from './user-history.ts';

/** Genre and year filters (the top-N filters: a genre not in the catalogue is refused by name). */
export type RecommendationFilters = TopNFilters;

export interface ServeRecommendationsInput {
  readonly userId: number;
  readonly n: number;
  readonly filters?: RecommendationFilters;
  /** The user's ratings, when the caller has just read them (default: read here). */
  readonly history?: UserHistory;
}

export interface ServeOptions {
  /** Clock (simulations pass a simulated one); default Date.now(). */
  readonly now?: number;
  /** How stale the cached champion and running test may be, ms (default 1000). */
  readonly maxStalenessMs?: number;
  /**
   * Propensity-logged exploration (config explorationEpsilon / explorationPool); default none:
   * the ranker's list exactly, rows without propensities.
   */
  readonly exploration?: ExplorationPolicy;
  /** Seed of the exploration and interleaving draws (each request derives its own stream). */
  readonly seed?: number;
}

/** One served pick: a top-N item without the explanation (the server explains separately). */
export type ServedItem = Omit<TopNItem, 'explanation'>;

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
  /** In an interleaving test: the challenger, whose list is merged with the champion's. */
  readonly partner?: { readonly model: RatingModel; readonly version: number };
}

async function chooseArm(db: Queryable, userId: number, now: number, staleness: number): Promise<ArmChoice> {
  const test = await runningTest(db, now, staleness);
  if (test?.method === 'interleave') {
    try {
      const [a, b] = [test.championVersion, test.challengerVersion];
      const partner = { model: await loadVersionModel(db, b), version: b };
      return {
        model: await loadVersionModel(db, a),
        version: a,
        abTestId: test.id,
        arm: 'champion',
        partner,
      };
    } catch {
      // As below: a ranker that does not load leaves the user out of the test.
    }
  } else if (test) {
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
 * The user's history is checked against the database on every call (a rating made a second ago
 * must be excluded, see readUserHistory), so the top-N recommender is built on no ratings: it
 * contributes the catalogue, the filters, the top-N selection and the new-user rule.
 */
export const noRatings: RatingsData = Object.freeze({
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

async function recommenderFor(
  db: Queryable,
  choice: Pick<ArmChoice, 'model' | 'version'>,
): Promise<TopNRecommender> {
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

/** The list to serve: interleaved in an interleaving test, else the arm's list with ε exploration (none by default). */
async function placeList(
  db: Queryable,
  choice: ArmChoice,
  recommender: TopNRecommender,
  request: TopNRequest & { readonly n: number },
  options: ServeOptions,
  now: number,
): Promise<PlacedList> {
  const seed = options.seed ?? 0;
  if (choice.partner) {
    const partner = { source: await recommenderFor(db, choice.partner), version: choice.partner.version };
    const rng = requestRng(seed, 'interleave', request.userId, now);
    return interleavedList({ source: recommender, version: choice.version }, partner, request, rng);
  }
  const policy = options.exploration ?? { epsilon: 0, pool: 1 };
  return exploredList(
    recommender,
    request,
    choice.version,
    policy,
    requestRng(seed, 'explore', request.userId, now),
  );
}

/**
 * Records a served list. Concurrent requests share one commit (each its own savepoint) and are
 * answered after it.
 */
function recordServed(
  db: Database,
  userId: number,
  now: number,
  choice: ArmChoice,
  placed: PlacedList,
): Promise<void> {
  const items = placed.items.map((p) => ({
    movieId: p.item.movieId,
    rank: p.item.rank,
    predictedRating: p.item.predictedRating,
    modelVersion: p.version,
    arm: p.team ?? null,
    propensity: p.propensity,
    inclusionPropensity: p.inclusion,
    inBothLists: p.inBothLists,
  }));
  const by = {
    modelVersion: choice.version,
    abTestId: choice.abTestId,
    arm: choice.abTestId === null ? null : choice.arm,
  };
  return db.transaction((tx) => new SqlServedStore(tx).recordServed(userId, now, by, items), {
    groupCommit: true,
  });
}

/**
 * A user's top-N from their arm's model — the champion, or the challenger when the running A/B
 * test assigns them to it — with the movies they rated excluded and the filters applied. Every
 * item is recorded in served_recommendations (version, test, arm, predicted rating, rank) in one
 * insert, which is what the tracker later matches a rating against. Models and their top-N
 * recommenders (TopNRecommender) are cached per process, and the champion and running test are
 * re-read at most every second, and the user's ratings are read again only when they changed, so the
 * hot path is one aggregate query (has the user's history changed?), the model's scoring and one
 * insert.
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
  // The user's ratings as of now (a rating made a second ago is excluded and, for a user the model
  // never saw, folded in), from memory unless they changed since the last request.
  const history = input.history ?? (await readUserHistory(db, userId));
  if (history.userId !== userId) {
    throw new InvalidInputError(`history given is user ${history.userId}'s, not user ${userId}'s`);
  }
  const request = {
    userId,
    n,
    history: history.ratings,
    foldInHistory: history.recent,
    rated: history.rated,
    explain: false,
    ...(input.filters ? { filters: input.filters } : {}),
  };
  const placed = await placeList(db, choice, recommender, request, options, now);
  const top = placed.top;
  const items: ServedItem[] = top.items.map((i) => ({
    rank: i.rank,
    movieId: i.movieId,
    title: i.title,
    year: i.year,
    genres: i.genres,
    predictedRating: i.predictedRating,
    fallback: i.fallback,
  }));
  await recordServed(db, userId, now, choice, placed);
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
