import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { MovieStatsCache } from './movie-stats-cache.ts';

describeEachDatabase('MovieStatsCache', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await t.db.insertMany(
      'movies',
      ['id', 'title', 'year', 'genres'],
      [
        [1, 'A', 2000, 'Drama'],
        [2, 'B', 2001, 'Drama'],
      ],
    );
    await t.db.insertMany(
      'users',
      ['id', 'created_at'],
      [
        [1, 0],
        [2, 0],
      ],
    );
    await t.db.insertMany(
      'ratings',
      ['user_id', 'movie_id', 'rating', 'rated_at'],
      [
        [1, 1, 4, 0],
        [2, 1, 3, 0],
      ],
    );
  });
  afterEach(async () => t.drop());

  it('reads averages and counts, reuses them for maxAge, then reads them again', async () => {
    const cache = new MovieStatsCache(t.db, 1000);
    const first = await cache.get([1, 2], 0);
    expect(first.get(1)).toEqual({ average: 3.5, count: 2 });
    expect(first.has(2)).toBe(false); // no ratings yet
    await t.db.run(
      'INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (?, ?, ?, ?)',
      [1, 2, 5, 0],
    );
    await t.db.run('UPDATE ratings SET rating = 5 WHERE user_id = 2 AND movie_id = 1');
    const soon = await cache.get([1, 2], 999);
    expect(soon.get(1)).toEqual({ average: 3.5, count: 2 });
    expect(soon.has(2)).toBe(false);
    const later = await cache.get([2, 1], 1000);
    expect(later.get(1)).toEqual({ average: 4.5, count: 2 });
    expect(later.get(2)).toEqual({ average: 5, count: 1 });
  });
});
