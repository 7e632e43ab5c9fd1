import { splitGenres } from '../data/load-movies.ts';
import type { Database, Queryable, SqlValue } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import { type AbTest, getRunningAbTest } from '../experiments/ab-tests.ts';
import { type Arm, assignArm } from '../experiments/assignment.ts';
import type { FallbackKind, RatingModel } from '../models/rating-model.ts';
import { defaultMaxStalenessMs, getActiveModelVersion, loadVersionModel } from '../registry/active-model.ts';

export interface RecommendationFilters {
  /** Only movies with this genre (case-insensitive, e.g. `comedy`). */
  readonly genre?: string;
  /** Only movies released in or after this year. */
  readonly yearFrom?: number;
  /** Only movies released in or before this year. */
  readonly yearTo?: number;
}

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

/** Movie ids matching the filters, or undefined when there are none (every movie is a candidate). */
async function candidateMovies(db: Queryable, f: RecommendationFilters): Promise<number[] | undefined> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (f.genre !== undefined) {
    if (typeof f.genre !== 'string' || f.genre.trim() === '' || f.genre.includes('|')) {
      throw new InvalidInputError(`genre must be a genre name, got ${JSON.stringify(f.genre)}`);
    }
    // Genres are stored `A|B|C`; wrapping in bars makes the match whole-word.
    where.push("LOWER('|' || genres || '|') LIKE ?");
    params.push(`%|${f.genre.trim().toLowerCase()}|%`);
  }
  if (f.yearFrom !== undefined) {
    where.push('year >= ?');
    params.push(checkInteger('yearFrom', f.yearFrom, 1800, 3000));
  }
  if (f.yearTo !== undefined) {
    where.push('year <= ?');
    params.push(checkInteger('yearTo', f.yearTo, 1800, 3000));
  }
  if (f.yearFrom !== undefined && f.yearTo !== undefined && f.yearFrom > f.yearTo) {
    throw new InvalidInputError(`yearFrom (${f.yearFrom}) is after yearTo (${f.yearTo})`);
  }
  if (!where.length) return undefined;
  const rows = await db.all<{ id: number }>(
    `SELECT id FROM movies WHERE ${where.join(' AND ')} ORDER BY id`,
    params,
  );
  return rows.map((r) => Number(r.id));
}

/**
 * A user's top-N from their arm's model — the champion, or the challenger when the running A/B
 * test assigns them to it — with the movies they rated excluded and the filters applied. Every
 * item is recorded in served_recommendations (version, test, arm, predicted rating, rank) in one
 * insert, which is what the tracker later matches a rating against. Models are cached per process,
 * so the hot path is three small queries and one insert.
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
  const candidates = await candidateMovies(db, input.filters ?? {});
  const choice = await chooseArm(db, userId, now, staleness);
  const rated = await db.all<{ movie_id: number }>('SELECT movie_id FROM ratings WHERE user_id = ?', [
    userId,
  ]);
  const exclude = new Set(rated.map((r) => Number(r.movie_id)));
  const recs =
    candidates && candidates.length === 0
      ? []
      : choice.model.recommend(userId, { n, exclude, ...(candidates ? { candidates } : {}) });
  const ids = recs.map((r) => r.movieId);
  const info = new Map<number, { title: string; year: number | null; genres: string }>();
  if (ids.length) {
    const rows = await db.all<{ id: number; title: string; year: number | null; genres: string }>(
      `SELECT id, title, year, genres FROM movies WHERE id IN (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    for (const r of rows) info.set(Number(r.id), r);
  }
  // A movie the model knows but the catalogue no longer has cannot be served (its row is the FK target).
  const items: ServedItem[] = [];
  for (const r of recs) {
    const m = info.get(r.movieId);
    if (!m) continue;
    items.push({
      rank: items.length + 1,
      movieId: r.movieId,
      title: m.title,
      year: m.year === null ? null : Number(m.year),
      genres: splitGenres(m.genres),
      predictedRating: r.predictedRating,
      fallback: r.fallback,
    });
  }
  const newUser =
    items.length > 0
      ? items.every((i) => i.fallback === 'unknown-user' || i.fallback === 'unknown-both')
      : !exclude.size;
  await db.transaction(async (tx) => {
    await tx.run('INSERT INTO users (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING', [
      userId,
      now,
    ]);
    await tx.insertMany(
      'served_recommendations',
      ['user_id', 'movie_id', 'model_version', 'ab_test_id', 'arm', 'predicted_rating', 'rank', 'served_at'],
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
  });
  return {
    userId,
    modelVersion: choice.version,
    abTestId: choice.abTestId,
    arm: choice.arm,
    newUser,
    note: newUser
      ? 'new user: the model has no ratings from you yet, so these are the fallback picks (well-rated movies); rate a few to get personal ones'
      : null,
    items,
    servedAt: now,
  };
}
