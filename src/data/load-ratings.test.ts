import { join, resolve } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { importMovieLens } from './import-movielens.ts';
import { loadMovies } from './load-movies.ts';
import { loadRatingsData } from './load-ratings.ts';
import { halfStarScale, wholeStarScale } from './rating-scale.ts';
import { ratingsFingerprint } from './ratings-data.ts';
import { readMovieLens } from './read-movielens.ts';

describeEachDatabase('loadRatingsData / loadMovies', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await t.db.insertMany(
      'movies',
      ['id', 'title', 'year', 'genres'],
      [
        [10, 'Ten (1990)', 1990, 'Drama|Comedy'],
        [20, 'Twenty', null, ''],
      ],
    );
    await t.db.insertMany(
      'users',
      ['id', 'created_at'],
      [
        [1, 0],
        [2, 0],
        [3, 0],
      ],
    );
    await t.db.insertMany(
      'ratings',
      ['user_id', 'movie_id', 'rating', 'rated_at'],
      [
        [3, 10, 4, 3000],
        [1, 20, 2, 1000],
        [2, 10, 5, 2000],
        [1, 10, 3, 4000],
      ],
    );
  });
  afterEach(async () => t.drop());

  it('returns ratings in (user, movie) order with whole stars detected', async () => {
    const d = await loadRatingsData(t.db);
    expect(d.size).toBe(4);
    expect([...d.users]).toEqual([1, 1, 2, 3]);
    expect([...d.movies]).toEqual([10, 20, 10, 10]);
    expect([...d.ratings]).toEqual([3, 2, 5, 4]);
    expect([...d.timestamps]).toEqual([4000, 1000, 2000, 3000]);
    expect(d.scale).toEqual(wholeStarScale);
  });

  it('detects half stars when any rating is not whole', async () => {
    await t.db.run('UPDATE ratings SET rating = 3.5 WHERE user_id = 2');
    expect((await loadRatingsData(t.db)).scale).toEqual(halfStarScale);
  });

  it('filters a half-open time window', async () => {
    const d = await loadRatingsData(t.db, { since: 2000, until: 4000 });
    expect([...d.users]).toEqual([2, 3]);
    expect([...d.timestamps]).toEqual([2000, 3000]);
  });

  it('leaves out the ratings the tracker marked unexpected when asked', async () => {
    const quality = (user: number, unexpected: number) => [user, 10, unexpected, 4, 1, 1000, 1000] as const;
    await t.db.insertMany(
      'recommendation_quality',
      ['user_id', 'movie_id', 'unexpected', 'actual_rating', 'liked_actual', 'rated_at', 'recorded_at'],
      [quality(2, 0), quality(3, 1)],
    );
    const d = await loadRatingsData(t.db, { includeUnexpected: false });
    // User 3's rating of movie 10 was unexpected; ratings without a quality row are history and stay.
    expect([...d.users]).toEqual([1, 1, 2]);
    expect((await loadRatingsData(t.db, { includeUnexpected: true })).size).toBe(4);
  });

  it('pages through more rows than one query returns', async () => {
    const users = Array.from({ length: 120 }, (_, i) => [100 + i, 0] as const);
    await t.db.transaction(async (tx) => {
      await tx.insertMany('users', ['id', 'created_at'], users);
      const rows: (readonly number[])[] = [];
      for (let u = 100; u < 220; u++)
        for (let m = 0; m < 500; m++) rows.push([u, m % 2 ? 10 : 20, (m % 5) + 1, m]);
      // (user, movie) must be unique: spread over two movies and many users is not enough, so add movies.
      const movieRows = Array.from({ length: 500 }, (_, m) => [1000 + m, `M${m}`, null, ''] as const);
      await tx.insertMany('movies', ['id', 'title', 'year', 'genres'], movieRows);
      const unique = rows.map((r, i) => [r[0]!, 1000 + (i % 500), r[2]!, r[3]!] as const);
      await tx.insertMany('ratings', ['user_id', 'movie_id', 'rating', 'rated_at'], unique);
    });
    const d = await loadRatingsData(t.db);
    expect(d.size).toBe(4 + 60_000);
    for (let i = 1; i < d.size; i++) {
      const ordered =
        d.users[i - 1]! < d.users[i]! || (d.users[i - 1] === d.users[i] && d.movies[i - 1]! < d.movies[i]!);
      if (!ordered) throw new Error(`row ${i} out of order`);
    }
  });

  it('gives the same data (fingerprint, movies) as reading the imported folder without a database', async () => {
    const other = await kind.create();
    try {
      const dir = join(resolve(import.meta.dirname, '..', '..', 'test', 'fixtures'), 'ml-latest-tiny');
      await importMovieLens(other.db, dir);
      const fromFile = await readMovieLens(dir);
      const fromDb = await loadRatingsData(other.db);
      expect(ratingsFingerprint(fromDb)).toBe(ratingsFingerprint(fromFile.ratings));
      expect(await loadMovies(other.db)).toEqual(fromFile.movies);
    } finally {
      await other.drop();
    }
  });

  it('loads the catalogue with genres split and years kept', async () => {
    const movies = await loadMovies(t.db);
    expect([...movies.keys()]).toEqual([10, 20]);
    expect(movies.get(10)).toEqual({ id: 10, title: 'Ten (1990)', year: 1990, genres: ['Drama', 'Comedy'] });
    expect(movies.get(20)).toEqual({ id: 20, title: 'Twenty', year: null, genres: [] });
  });
});
