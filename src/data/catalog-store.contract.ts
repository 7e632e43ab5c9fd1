import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TestDatabase } from '../../test/helpers/databases.ts';
import type { CatalogStore, MovieRecord } from './catalog-store.ts';

const movies: readonly MovieRecord[] = [
  { id: 1, title: 'Toy Story (1995)', year: 1995, genres: 'Adventure|Animation|Comedy' },
  { id: 2, title: 'Heat (1995)', year: 1995, genres: 'Action|Crime' },
  { id: 3, title: '100% Love (2001)', year: 2001, genres: 'Comedy|Romance' },
  { id: 4, title: 'Untitled', year: null, genres: '' },
];

/** Ratings as (user, movie, rating, rated_at). */
const ratings: readonly (readonly [number, number, number, number])[] = [
  [1, 1, 4, 100],
  [1, 2, 3.5, 200],
  [2, 1, 5, 300],
  [2, 3, 2, 400],
  [3, 1, 3, 500],
];

async function fill(store: CatalogStore): Promise<void> {
  await store.upsertMovies(movies);
  await store.insertUsers([
    [1, 10],
    [2, 20],
    [3, 30],
  ]);
  await store.upsertRatings(
    {
      users: ratings.map((r) => r[0]),
      movies: ratings.map((r) => r[1]),
      ratings: ratings.map((r) => r[2]),
      ratedAt: ratings.map((r) => r[3]),
      count: ratings.length,
    },
    true,
  );
}

/**
 * The contract every CatalogStore passes on SQLite and PostgreSQL: counts, the catalogue search
 * (filters, orders, pages), per-movie statistics, a user's ratings, keyset pages of ratings, and
 * upserts that only count rows they change.
 */
export function runCatalogStoreContract(
  make: (t: TestDatabase) => CatalogStore,
  create: () => Promise<TestDatabase>,
): void {
  let t: TestDatabase;
  let store: CatalogStore;
  beforeEach(async () => {
    t = await create();
    store = make(t);
    await fill(store);
  });
  afterEach(async () => t.drop());

  it('counts movies, users and ratings, and lists movies in id order', async () => {
    expect(await store.counts()).toEqual({ movies: 4, users: 3, ratings: 5 });
    expect(await store.countMovies()).toBe(4);
    expect(await store.countRatings()).toBe(5);
    expect(await store.allMovies()).toEqual(movies);
    expect((await store.movieIds()).sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
    expect(await store.movie(4)).toEqual(movies[3]);
    expect(await store.movie(99)).toBeUndefined();
  });

  it('searches by title part (LIKE characters taken literally), genre, years; sorts and pages', async () => {
    const page = { sort: 'title', limit: 10, offset: 0 } as const;
    expect((await store.searchMovies({ ...page, q: '100%' })).movies.map((m) => m.id)).toEqual([3]);
    expect((await store.searchMovies({ ...page, q: 'TOY' })).movies.map((m) => m.id)).toEqual([1]);
    expect((await store.searchMovies({ ...page, genre: 'comedy' })).movies.map((m) => m.id)).toEqual([3, 1]);
    expect((await store.searchMovies({ ...page, genre: 'Com' })).total).toBe(0);
    expect((await store.searchMovies({ ...page, year: 1995 })).total).toBe(2);
    expect(
      (await store.searchMovies({ ...page, yearFrom: 1996, yearTo: 2001 })).movies.map((m) => m.id),
    ).toEqual([3]);
    const popular = await store.searchMovies({ sort: 'popular', limit: 2, offset: 0 });
    expect(popular).toEqual({ total: 4, movies: [movies[0], movies[1]] });
    const second = await store.searchMovies({ sort: 'year', limit: 2, offset: 2 });
    expect(second.movies.map((m) => m.id)).toEqual([1, 4]);
  });

  it('gives genre combinations, movie statistics and a user ratings', async () => {
    const combos = await store.genreCombinations();
    expect(combos.find((c) => c.genres === 'Action|Crime')).toEqual({ genres: 'Action|Crime', movies: 1 });
    expect(combos).toHaveLength(4);
    const stats = await store.movieStats([1, 3, 4]);
    expect(stats.get(1)).toEqual({ average: 4, count: 3 });
    expect(stats.has(4)).toBe(false);
    expect(await store.movieStats([])).toEqual(new Map());
    expect(await store.userRatingsOf(1, [1, 2, 3])).toEqual(
      new Map([
        [1, 4],
        [2, 3.5],
      ]),
    );
    expect(await store.countUserRatings(2)).toBe(2);
    const page = await store.userRatingsPage(2, 1, 0);
    expect(page).toEqual([{ movie: movies[2], rating: 2, ratedAt: 400 }]);
  });

  it('tells and deletes single ratings, and whether any rating is a half star', async () => {
    expect(await store.hasAnyRating()).toBe(true);
    expect(await store.hasFractionalRating()).toBe(true);
    expect(await store.hasRating(1, 2)).toBe(true);
    expect(await store.deleteRating(1, 2)).toBe(true);
    expect(await store.deleteRating(1, 2)).toBe(false);
    expect(await store.hasRating(1, 2)).toBe(false);
    expect(await store.hasFractionalRating()).toBe(false);
  });

  it('pages through ratings by (user, movie) after a key, within a time window', async () => {
    const first = await store.ratingsPage({}, null, 2);
    expect(first).toEqual([
      { u: 1, m: 1, r: 4, t: 100 },
      { u: 1, m: 2, r: 3.5, t: 200 },
    ]);
    const next = await store.ratingsPage({}, { user: 1, movie: 2 }, 10);
    expect(next.map((r) => [r.u, r.m])).toEqual([
      [2, 1],
      [2, 3],
      [3, 1],
    ]);
    const window = await store.ratingsPage({ since: 200, until: 400 }, null, 10);
    expect(window.map((r) => r.t)).toEqual([200, 300]);
  });

  it('scans the liked pairs of a range of users in (user, movie) order, and tells the user range', async () => {
    const pairs: [number, number][] = [];
    const count = await store.scanLikedPairs(3.5, 1, 3, (u, m) => pairs.push([u, m]));
    expect(pairs).toEqual([
      [1, 1],
      [1, 2],
      [2, 1],
    ]);
    expect(count).toBe(3);
    expect(await store.scanLikedPairs(3, 3, 10, () => undefined)).toBe(1);
    expect(await store.scanLikedPairs(4, 3, 10, () => undefined)).toBe(0);
    expect(await store.ratedUserRange()).toEqual({ min: 1, max: 3 });
  });

  it('upserts count only the rows they change; a pair twice in a batch keeps its last rating', async () => {
    expect(await store.upsertMovies(movies)).toBe(0);
    expect(await store.upsertMovies([{ ...movies[0]!, title: 'Toy Story' }])).toBe(1);
    expect(await store.insertUsers([[1, 10]])).toBe(0);
    const same = { users: [1], movies: [1], ratings: [4], ratedAt: [100], count: 1 };
    expect(await store.upsertRatings(same, true)).toBe(0);
    expect(await store.upsertRatings({ ...same, ratedAt: [999] }, false)).toBe(0);
    expect(await store.upsertRatings({ ...same, ratedAt: [999] }, true)).toBe(1);
    await store.upsertRatings(
      { users: [3, 3], movies: [2, 2], ratings: [1, 2], ratedAt: [5, 6], count: 2 },
      true,
    );
    expect(await store.userRatingsOf(3, [2])).toEqual(new Map([[2, 2]]));
  });
}
