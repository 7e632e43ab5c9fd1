import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TestDatabase } from '../../test/helpers/databases.ts';
import type { ServedStore } from './served-store.ts';

/**
 * The contract every ServedStore passes on SQLite and PostgreSQL: a history fingerprint that
 * changes with any rating write, the user's ratings, and served lists recorded with their source.
 */
export function runServedStoreContract(
  make: (t: TestDatabase) => ServedStore,
  create: () => Promise<TestDatabase>,
): void {
  let t: TestDatabase;
  let store: ServedStore;
  beforeEach(async () => {
    t = await create();
    store = make(t);
    await t.db.insertMany(
      'movies',
      ['id', 'title', 'year', 'genres'],
      [
        [1, 'A', 2000, ''],
        [2, 'B', 2001, ''],
      ],
    );
    await t.db.insertMany('users', ['id', 'created_at'], [[7, 0]]);
    await t.db.insertMany('ratings', ['user_id', 'movie_id', 'rating', 'rated_at'], [[7, 1, 4, 100]]);
  });
  afterEach(async () => t.drop());

  it('reads a user ratings, with a fingerprint that changes when a rating is rewritten', async () => {
    expect(await store.userRatings(7)).toEqual([{ movieId: 1, rating: 4, ratedAt: 100 }]);
    expect(await store.userRatings(8)).toEqual([]);
    const before = await store.historyFingerprint(7);
    expect(await store.historyFingerprint(7)).toBe(before);
    await t.db.run('UPDATE ratings SET rated_at = 101 WHERE user_id = 7');
    expect(await store.historyFingerprint(7)).not.toBe(before);
    expect(await store.historyFingerprint(8)).not.toBe(before);
  });

  it('records a served list, creating a new user', async () => {
    await store.recordServed(9, 500, { modelVersion: 3, abTestId: null, arm: null }, [
      { movieId: 1, rank: 1, predictedRating: 4.5 },
      { movieId: 2, rank: 2, predictedRating: 4.25 },
    ]);
    const rows = await t.db.all(
      'SELECT user_id, movie_id, model_version, ab_test_id, arm, predicted_rating, rank, served_at FROM served_recommendations ORDER BY rank',
    );
    expect(rows).toEqual([
      {
        user_id: 9,
        movie_id: 1,
        model_version: 3,
        ab_test_id: null,
        arm: null,
        predicted_rating: 4.5,
        rank: 1,
        served_at: 500,
      },
      {
        user_id: 9,
        movie_id: 2,
        model_version: 3,
        ab_test_id: null,
        arm: null,
        predicted_rating: 4.25,
        rank: 2,
        served_at: 500,
      },
    ]);
    expect(await t.db.get('SELECT id FROM users WHERE id = 9')).toEqual({ id: 9 });
  });

  it('finds the boundary of rows older than a time and deletes below it, oldest first', async () => {
    expect(await store.servedIdBoundary(1000)).toEqual({ first: 0, end: 0 });
    const by = { modelVersion: 1, abTestId: null, arm: null };
    for (const at of [100, 200, 300, 400, 500]) {
      await store.recordServed(7, at, by, [{ movieId: 1, rank: 1, predictedRating: 4 }]);
    }
    const ids = (await t.db.all<{ id: number }>('SELECT id FROM served_recommendations ORDER BY id')).map(
      (r) => r.id,
    );
    expect(await store.servedIdBoundary(350)).toEqual({ first: ids[0], end: ids[3] });
    expect(await store.servedIdBoundary(50)).toEqual({ first: ids[0], end: ids[0] });
    expect(await store.servedIdBoundary(9999)).toEqual({ first: ids[0], end: ids[4]! + 1 });
    // Only rows below the boundary and before the time go.
    expect(await store.deleteServedBefore(ids[0]!, ids[4]! + 1, 250)).toBe(2);
    expect(await t.db.all('SELECT served_at FROM served_recommendations ORDER BY id')).toEqual([
      { served_at: 300 },
      { served_at: 400 },
      { served_at: 500 },
    ]);
  });
}
