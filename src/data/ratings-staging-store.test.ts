import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { ratingUpsert } from './catalog-store.ts';
import { RatingsStagingStore } from './ratings-staging-store.ts';

describeEachDatabase('ratings staging store', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await t.db.insertMany(
      'users',
      ['id', 'created_at'],
      [
        [1, 0],
        [2, 0],
      ],
    );
    await t.db.insertMany(
      'movies',
      ['id', 'title', 'year', 'genres'],
      [
        [10, 'A', null, ''],
        [11, 'B', null, ''],
      ],
    );
    await t.db.run(
      'INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (1, 10, 4, 100), (2, 11, 3, 100)',
    );
  });
  afterEach(async () => {
    await t.drop();
  });

  it('merges staged batches: the last line of a pair wins, unchanged rows are not counted', async () => {
    const changes = await t.db.transaction(async (tx) => {
      const staging = new RatingsStagingStore(tx);
      await staging.create();
      const batch = (users: number[], movies: number[], ratings: number[], ratedAt: number[]) => ({
        users,
        movies,
        ratings,
        ratedAt,
        count: users.length,
      });
      // (1,11) twice across two batches; (2,11) restated unchanged; (1,10) changed.
      await staging.append(batch([1, 1], [11, 10], [2, 5], [200, 200]));
      await staging.append(batch([1, 2], [11, 11], [3.5, 3], [300, 100]));
      return staging.merge(ratingUpsert(true));
    });
    expect(changes).toBe(2);
    expect(
      await t.db.all('SELECT user_id, movie_id, rating, rated_at FROM ratings ORDER BY user_id, movie_id'),
    ).toEqual([
      { user_id: 1, movie_id: 10, rating: 5, rated_at: 200 },
      { user_id: 1, movie_id: 11, rating: 3.5, rated_at: 300 },
      { user_id: 2, movie_id: 11, rating: 3, rated_at: 100 },
    ]);
  });

  it('leaves ratings untouched when the transaction rolls back', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        const staging = new RatingsStagingStore(tx);
        await staging.create();
        await staging.append({ users: [1], movies: [10], ratings: [1], ratedAt: [5], count: 1 });
        await staging.merge(ratingUpsert(true));
        throw new Error('a later line was refused');
      }),
    ).rejects.toThrow('refused');
    expect(await t.db.all('SELECT rating FROM ratings WHERE user_id = 1')).toEqual([{ rating: 4 }]);
  });
});
