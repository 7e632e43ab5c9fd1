import { afterEach, beforeEach, expect, it } from 'vitest';
import { sqliteKind, type TestDatabase } from '../../test/helpers/databases.ts';
import { generateSmallWorld } from '../../test/helpers/trained-world.ts';
import { InvalidInputError } from '../errors.ts';
import { loadLikedPairs } from './load-liked-pairs.ts';
import { loadRatingsData } from './load-ratings.ts';

let t: TestDatabase;
beforeEach(async () => {
  t = await sqliteKind.create();
  await generateSmallWorld(t.db);
});
afterEach(async () => {
  await t.drop();
});

it('reads the liked pairs in (user, movie) order, whatever the slice size', async () => {
  const all = await loadRatingsData(t.db);
  const users: number[] = [];
  const movies: number[] = [];
  for (let k = 0; k < all.size; k++) {
    if (all.ratings[k]! < 4) continue;
    users.push(all.users[k]!);
    movies.push(all.movies[k]!);
  }
  expect(users.length).toBeGreaterThan(100);
  for (const slicePairs of [1, 7, 100_000]) {
    const pairs = await loadLikedPairs(t.db, 4, { slicePairs });
    expect(pairs.size).toBe(users.length);
    expect([...pairs.users]).toEqual(users);
    expect([...pairs.movies]).toEqual(movies);
  }
  expect((await loadLikedPairs(t.db, 6)).size).toBe(0);
  await expect(loadLikedPairs(t.db, Number.NaN)).rejects.toThrow(InvalidInputError);
  await expect(loadLikedPairs(t.db, 4, { slicePairs: 0 })).rejects.toThrow(/slicePairs/);
});
