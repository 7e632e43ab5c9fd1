import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import type { Database } from '../db/database.ts';
import { openDatabase } from '../db/open-database.ts';
import { rateMovie } from '../monitoring/rate-movie.ts';
import { foldInMaxRatings, mostRecent, readUserHistory, userHistoryCacheSize } from './user-history.ts';

describeEachDatabase('readUserHistory', (kind) => {
  let t: TestDatabase;
  let other: Database;
  const user = 7;
  beforeEach(async () => {
    t = await kind.create();
    other = await openDatabase(t.location);
    await t.db.run('INSERT INTO users (id, created_at) VALUES (?, 0)', [user]);
    for (let m = 1; m <= 5; m++) {
      await t.db.run('INSERT INTO movies (id, title, year, genres) VALUES (?, ?, 2000, ?)', [
        m,
        `M${m}`,
        'Drama',
      ]);
    }
    await rateMovie(t.db, { userId: user, movieId: 1, rating: 4 }, { now: 1000 });
    await rateMovie(t.db, { userId: user, movieId: 2, rating: 2 }, { now: 2000 });
  });
  afterEach(async () => {
    await other.close();
    await t.drop();
  });

  it('reads the ratings, and answers from memory while they stay the same', async () => {
    const first = await readUserHistory(t.db, user);
    expect([...first.ratings]).toEqual([
      [1, 4],
      [2, 2],
    ]);
    expect([...first.rated].sort()).toEqual([1, 2]);
    expect(first.recent).toBe(first.ratings);
    expect(await readUserHistory(t.db, user)).toBe(first);
  });

  it('sees every kind of change, including one written through another connection', async () => {
    const seen = [await readUserHistory(t.db, user)];
    const expectChanged = async (expected: [number, number][]) => {
      const now = await readUserHistory(t.db, user);
      expect(now).not.toBe(seen.at(-1));
      expect([...now.ratings].sort((a, b) => a[0] - b[0])).toEqual(expected);
      seen.push(now);
    };
    await rateMovie(t.db, { userId: user, movieId: 3, rating: 5 }, { now: 3000 });
    await expectChanged([
      [1, 4],
      [2, 2],
      [3, 5],
    ]);
    // A new value in the same millisecond as the old one: the time stamps alone would not tell.
    await rateMovie(other, { userId: user, movieId: 3, rating: 1 }, { now: 3000 });
    await expectChanged([
      [1, 4],
      [2, 2],
      [3, 1],
    ]);
    await other.run('DELETE FROM ratings WHERE user_id = ? AND movie_id = 2', [user]);
    await expectChanged([
      [1, 4],
      [3, 1],
    ]);
    // Written around the application (an import, a hand edit).
    await other.run('UPDATE ratings SET rating = 3 WHERE user_id = ? AND movie_id = 1', [user]);
    await expectChanged([
      [1, 3],
      [3, 1],
    ]);
    await other.run('DELETE FROM ratings WHERE user_id = ?', [user]);
    await expectChanged([]);
  });

  it('keeps at most its budget of ratings, dropping the least recently used users first', async () => {
    // Users 7 (2 ratings, from beforeEach), 8 (3) and 9 (3).
    for (const u of [8, 9]) {
      await t.db.run('INSERT INTO users (id, created_at) VALUES (?, 0)', [u]);
      for (let m = 1; m <= 3; m++)
        await rateMovie(t.db, { userId: u, movieId: m, rating: 3 }, { now: 5000 + m });
    }
    const budget = { keptRatings: 6 };
    const seven = await readUserHistory(t.db, user, budget);
    await readUserHistory(t.db, 8, budget);
    expect(userHistoryCacheSize(t.db)).toEqual({ users: 2, ratings: 5 });
    // 7 was used last, so 8 is the one dropped to make room for 9.
    expect(await readUserHistory(t.db, user, budget)).toBe(seven);
    await readUserHistory(t.db, 9, budget);
    expect(userHistoryCacheSize(t.db)).toEqual({ users: 2, ratings: 5 });
    expect(await readUserHistory(t.db, user, budget)).toBe(seven);
    // A user heavier than the whole budget is still kept (alone).
    await readUserHistory(t.db, 8, { keptRatings: 1 });
    expect(userHistoryCacheSize(t.db)).toEqual({ users: 1, ratings: 3 });
  });

  it('keeps one cache per connection and per user', async () => {
    const mine = await readUserHistory(t.db, user);
    const theirs = await readUserHistory(other, user);
    expect(theirs).not.toBe(mine);
    expect([...theirs.ratings]).toEqual([...mine.ratings]);
    expect((await readUserHistory(t.db, user + 1)).ratings.size).toBe(0);
  });
});

it('folds a long history in from its most recent ratings', () => {
  const rows = Array.from({ length: 6 }, (_, i) => ({
    movieId: 10 + i,
    rating: i % 5,
    ratedAt: (i * 7) % 6,
  }));
  expect([...mostRecent(rows, 3).keys()]).toEqual([15, 14, 13]);
  expect(mostRecent(rows, 3).get(15)).toBe(0);
  expect(foldInMaxRatings).toBeGreaterThan(0);
});
