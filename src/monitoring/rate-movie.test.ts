import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TestDatabase } from '../../test/helpers/databases.ts';
import { describeEachDatabase } from '../../test/helpers/databases.ts';
import { insertServed } from '../../test/helpers/served-recommendations.ts';
import type { Database } from '../db/database.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { rateMovie } from './rate-movie.ts';

const day = 86_400_000;
const t0 = Date.UTC(2026, 0, 10);

async function seed(db: Database): Promise<void> {
  await db.insertMany(
    'movies',
    ['id', 'title', 'year', 'genres'],
    [
      [1, 'Alpha', 2000, 'Drama'],
      [2, 'Beta', 2001, 'Comedy'],
      [3, 'Gamma', 2002, 'Action'],
    ],
  );
  await db.insertMany('users', ['id', 'created_at'], [[10, t0 - 100 * day]]);
  // A half-star rating makes the database's scale 0.5–5.
  await db.insertMany(
    'ratings',
    ['user_id', 'movie_id', 'rating', 'rated_at'],
    [[10, 3, 3.5, t0 - 50 * day]],
  );
}

async function serve(db: Database, user: number, movie: number, predicted: number, at: number, version = 7) {
  await insertServed(db, [
    {
      userId: user,
      movieId: movie,
      modelVersion: version,
      abTestId: 4,
      arm: 'challenger',
      predictedRating: predicted,
      servedAt: at,
    },
  ]);
}

async function qualityRows(db: Database) {
  return db.all<Record<string, unknown>>(
    'SELECT user_id, movie_id, model_version, ab_test_id, arm, unexpected, predicted_rating, actual_rating, error, liked_predicted, liked_actual, hit, served_at, rated_at FROM recommendation_quality ORDER BY id',
  );
}

describeEachDatabase('rateMovie', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await seed(t.db);
  });
  afterEach(async () => t.drop());

  it('concurrent ratings (committed together on SQLite) fail alone: a missing movie is refused, the others are stored with their tracker rows', async () => {
    await serve(t.db, 10, 2, 4.0, t0 - day);
    const outcomes = await Promise.allSettled([
      rateMovie(t.db, { userId: 10, movieId: 1, rating: 4, ratedAt: t0 }, { now: t0 }),
      rateMovie(t.db, { userId: 11, movieId: 99, rating: 4, ratedAt: t0 }, { now: t0 }),
      rateMovie(t.db, { userId: 10, movieId: 2, rating: 2, ratedAt: t0 }, { now: t0 }),
      rateMovie(t.db, { userId: 12, movieId: 3, rating: 5, ratedAt: t0 }, { now: t0 }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
    const ratings = await t.db.all<{ user_id: number; movie_id: number }>(
      'SELECT user_id, movie_id FROM ratings ORDER BY user_id, movie_id',
    );
    expect(ratings.map((r) => [Number(r.user_id), Number(r.movie_id)])).toEqual([
      [10, 1],
      [10, 2],
      [10, 3],
      [12, 3],
    ]);
    // User 11 came only with the refused rating: not created.
    expect(await t.db.get('SELECT id FROM users WHERE id = 11')).toBeUndefined();
    const rows = await qualityRows(t.db);
    // Sorted: on PostgreSQL the concurrent transactions commit in any order.
    const tracked = rows
      .map((q) => [Number(q.user_id), Number(q.movie_id), Number(q.unexpected)])
      .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    expect(tracked).toEqual([
      [10, 1, 1],
      [10, 2, 0],
      [12, 3, 1],
    ]);
  });

  it('a rating of a recommended movie gives exactly one quality row with the served version, arm and error', async () => {
    await serve(t.db, 10, 1, 3.0, t0 - 3 * day, 6);
    await serve(t.db, 10, 1, 4.5, t0 - 1 * day, 7); // the latest one counts
    const r = await rateMovie(t.db, { userId: 10, movieId: 1, rating: 2.5, ratedAt: t0 }, { now: t0 });
    expect(r.tracked.kind).toBe('recommended');
    const rows = await qualityRows(t.db);
    expect(rows).toHaveLength(1);
    const q = rows[0]!;
    expect(Number(q.model_version)).toBe(7);
    expect(Number(q.ab_test_id)).toBe(4);
    expect(q.arm).toBe('challenger');
    expect(Number(q.unexpected)).toBe(0);
    expect(Number(q.predicted_rating)).toBe(4.5);
    expect(Number(q.actual_rating)).toBe(2.5);
    expect(Number(q.error)).toBeCloseTo(2.0, 9);
    // Half-star scale: liked at ≥ 3.5. Predicted liked, actually not → a miss.
    expect(Number(q.liked_predicted)).toBe(1);
    expect(Number(q.liked_actual)).toBe(0);
    expect(Number(q.hit)).toBe(0);
    expect(Number(q.served_at)).toBe(t0 - day);
    expect(Number(q.rated_at)).toBe(t0);
  });

  it('a re-rating replaces the rating and its quality row instead of adding one', async () => {
    await serve(t.db, 10, 1, 4.5, t0 - day);
    await rateMovie(t.db, { userId: 10, movieId: 1, rating: 2.5, ratedAt: t0 }, { now: t0 });
    const again = await rateMovie(
      t.db,
      { userId: 10, movieId: 1, rating: 4, ratedAt: t0 + 1000 },
      { now: t0 + 1000 },
    );
    expect(again.previousRating).toBe(2.5);
    const rows = await qualityRows(t.db);
    expect(rows).toHaveLength(1);
    expect(Number(rows[0]!.hit)).toBe(1);
    expect(Number(rows[0]!.error)).toBeCloseTo(0.5, 9);
    const ratings = await t.db.all<{ rating: number }>(
      'SELECT rating FROM ratings WHERE user_id = 10 AND movie_id = 1',
    );
    expect(ratings.map((x) => Number(x.rating))).toEqual([4]);
  });

  it('a movie never recommended (or recommended before the window) is an unexpected movie', async () => {
    await serve(t.db, 10, 2, 4.0, t0 - 31 * day); // outside the 30-day window
    const r = await rateMovie(t.db, { userId: 10, movieId: 2, rating: 4, ratedAt: t0 }, { now: t0 });
    expect(r.tracked).toEqual({ kind: 'unexpected', likedActual: true });
    const rows = await qualityRows(t.db);
    expect(rows).toHaveLength(1);
    expect(Number(rows[0]!.unexpected)).toBe(1);
    expect(rows[0]!.predicted_rating).toBeNull();
    expect(rows[0]!.hit).toBeNull();
  });

  it('a recommendation served after the rating does not count', async () => {
    await serve(t.db, 10, 2, 4.0, t0 + day);
    const r = await rateMovie(t.db, { userId: 10, movieId: 2, rating: 4, ratedAt: t0 }, { now: t0 });
    expect(r.tracked.kind).toBe('unexpected');
  });

  it('creates a new user', async () => {
    const r = await rateMovie(t.db, { userId: 99, movieId: 2, rating: 5, ratedAt: t0 }, { now: t0 });
    expect(r.newUser).toBe(true);
    expect(await t.db.get('SELECT id FROM users WHERE id = 99')).toBeDefined();
  });

  it('refuses bad input, naming the field, and writes nothing', async () => {
    const before = await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM ratings');
    await expect(rateMovie(t.db, { userId: 10, movieId: 404, rating: 4 })).rejects.toThrow(NotFoundError);
    await expect(rateMovie(t.db, { userId: 10, movieId: 404, rating: 4 })).rejects.toThrow(/movieId 404/);
    await expect(rateMovie(t.db, { userId: 10, movieId: 1, rating: 4.2 })).rejects.toThrow(/rating .*4\.2/);
    await expect(rateMovie(t.db, { userId: 10, movieId: 1, rating: 7 })).rejects.toThrow(InvalidInputError);
    await expect(rateMovie(t.db, { userId: -1, movieId: 1, rating: 4 })).rejects.toThrow(/userId/);
    await expect(rateMovie(t.db, { userId: 11, movieId: 404, rating: 4 })).rejects.toThrow(/movieId/);
    const after = await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM ratings');
    expect(Number(after?.n)).toBe(Number(before?.n));
    expect(await t.db.get('SELECT id FROM users WHERE id = 11')).toBeUndefined();
    expect(await qualityRows(t.db)).toHaveLength(0);
  });

  it('on a whole-star database refuses half stars', async () => {
    await t.db.run('UPDATE ratings SET rating = 4');
    await expect(rateMovie(t.db, { userId: 10, movieId: 1, rating: 3.5 })).rejects.toThrow(
      /1–5 scale in steps of 1/,
    );
    const r = await rateMovie(t.db, { userId: 10, movieId: 1, rating: 4 });
    expect(r.rating).toBe(4);
  });
});
