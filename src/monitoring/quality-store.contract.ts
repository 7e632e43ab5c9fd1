import { afterEach, beforeEach, expect, it } from 'vitest';
import { seedCatalogue } from '../../test/helpers/live-fixtures.ts';
import { insertServed } from '../../test/helpers/served-recommendations.ts';
import type { Database, Queryable } from '../db/database.ts';
import type { QualityRecord, QualityStore } from './quality-store.ts';

const day = 86_400_000;

/** A recommended rating of `movieId` by `userId` on day `d`, a hit or not, with an error. */
const outcome = (userId: number, movieId: number, d: number, hit: boolean, error: number): QualityRecord => ({
  userId,
  movieId,
  modelVersion: userId % 2 === 0 ? 2 : 1,
  abTestId: null,
  arm: userId % 2 === 0 ? 'challenger' : 'champion',
  unexpected: false,
  predictedRating: 4,
  actualRating: hit ? 4 : 2,
  error,
  likedPredicted: true,
  likedActual: hit,
  hit,
  servedAt: d * day - 1000,
  ratedAt: d * day + 1000,
  recordedAt: d * day + 2000,
});

const unexpected = (userId: number, movieId: number, d: number): QualityRecord => ({
  ...outcome(userId, movieId, d, true, 0),
  modelVersion: null,
  arm: null,
  unexpected: true,
  predictedRating: null,
  error: null,
  likedPredicted: null,
  hit: null,
  servedAt: null,
});

/**
 * The contract every QualityStore passes (on SQLite and PostgreSQL): ratings are created once and
 * replaced on re-rating; the latest served recommendation in range is found; one quality row per
 * (user, movie); the sums count only recommended ratings in the inclusive range.
 */
export function runQualityStoreContract(
  make: () => Promise<{ db: Database; storeOn: (q: Queryable) => QualityStore; drop(): Promise<void> }>,
): void {
  let db: Database;
  let store: QualityStore;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    const made = await make();
    db = made.db;
    store = made.storeOn(db);
    drop = made.drop;
    await seedCatalogue(db, 4);
  });
  afterEach(async () => drop());

  it('creates users once and stores and replaces ratings', async () => {
    expect(await store.movieExists(4)).toBe(true);
    expect(await store.movieExists(5)).toBe(false);
    expect(await store.ensureUser(7, 1)).toBe(true);
    expect(await store.ensureUser(7, 2)).toBe(false);
    expect(await store.currentRating(7, 1)).toBeNull();
    await store.upsertRating(7, 1, 3, 10);
    await store.upsertRating(7, 1, 4.5, 20);
    expect(await store.currentRating(7, 1)).toBe(4.5);
  });

  it('finds the latest recommendation served in range', async () => {
    await store.ensureUser(1, 0);
    const served = { userId: 1, movieId: 2, predictedRating: 4, modelVersion: 3, arm: 'champion' };
    await insertServed(db, [
      { ...served, servedAt: 100 },
      { ...served, servedAt: 300, predictedRating: 3.5 },
      { ...served, servedAt: 900 },
    ]);
    expect(await store.latestServed(1, 2, 50, 500)).toMatchObject({
      modelVersion: 3,
      abTestId: null,
      arm: 'champion',
      predictedRating: 3.5,
      servedAt: 300,
    });
    expect(await store.latestServed(1, 2, 400, 800)).toBeUndefined();
    expect(await store.latestServed(1, 3, 0, 1000)).toBeUndefined();
  });

  it('keeps one quality row per pair and sums recommended ratings by range, group, movie and day', async () => {
    for (const u of [1, 2, 3, 4]) await store.ensureUser(u, 0);
    await store.recordQuality(outcome(1, 1, 10, false, 9));
    await store.recordQuality(outcome(1, 1, 10, true, 0.5)); // re-rated: replaces
    await store.recordQuality(outcome(2, 1, 10, false, 2));
    await store.recordQuality(outcome(3, 2, 11, true, 1));
    await store.recordQuality(outcome(4, 2, 12, true, 1));
    await store.recordQuality(unexpected(4, 3, 11));
    const all = [0, 20 * day] as const;
    expect(await store.qualitySums(...all)).toEqual({ key: null, samples: 4, hits: 3, errorSum: 4.5 });
    expect(await store.qualitySums(...all, 2)).toEqual({ key: null, samples: 2, hits: 1, errorSum: 3 });
    expect(await store.qualitySums(11 * day + 1000, 12 * day)).toEqual({
      key: null,
      samples: 1,
      hits: 1,
      errorSum: 1,
    });
    expect(await store.qualitySumsBy('arm', ...all)).toEqual([
      { key: 'challenger', samples: 2, hits: 1, errorSum: 3 },
      { key: 'champion', samples: 2, hits: 2, errorSum: 1.5 },
    ]);
    expect(await store.movieQualitySums(...all, 2)).toEqual([
      { key: 1, title: 'Movie 1', samples: 2, hits: 1, errorSum: 2.5 },
      { key: 2, title: 'Movie 2', samples: 2, hits: 2, errorSum: 2 },
    ]);
    expect((await store.dailyQualitySums(...all)).map((d) => [d.key, d.samples])).toEqual([
      [10, 2],
      [11, 1],
      [12, 1],
    ]);
    expect(await store.trackedCounts(...all)).toEqual({ tracked: 5, unexpected: 1 });
    const rows = await store.trackedRows(11 * day, 12 * day);
    expect(rows.map((r) => [r.userId, r.movieId, r.unexpected])).toEqual([
      [3, 2, false],
      [4, 3, true],
    ]);
    expect(rows[0]).toEqual({
      userId: 3,
      movieId: 2,
      rating: 4,
      ratedAt: 11 * day + 1000,
      unexpected: false,
    });
    expect(await store.trackedRows()).toHaveLength(5);
    expect((await store.movieQualitySums(...all, 1, 2)).map((m) => [m.key, m.samples])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    await store.recordQuality(outcome(3, 4, 11, false, 1));
    expect((await store.movieQualitySums(...all, 1)).map((m) => m.key)).toEqual([4, 1, 2]);
    expect(await store.qualitySums(30 * day, 40 * day)).toEqual({
      key: null,
      samples: 0,
      hits: 0,
      errorSum: null,
    });
  });
}
