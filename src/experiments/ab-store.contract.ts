import { afterEach, beforeEach, expect, it } from 'vitest';
import { seedCatalogue, seedChampionRow } from '../../test/helpers/live-fixtures.ts';
import { insertServed } from '../../test/helpers/served-recommendations.ts';
import type { Database, Queryable } from '../db/database.ts';
import { rateMovie } from '../monitoring/rate-movie.ts';
import { analyseAbTest, defaultAbPolicy, emptyArm } from './ab-analysis.ts';
import type { AbStore, NewAbTest } from './ab-store.ts';

const newTest = (over: Partial<NewAbTest> = {}): NewAbTest => ({
  championVersion: 1,
  challengerVersion: 2,
  method: 'ab',
  traffic: 0.3,
  policy: { ...defaultAbPolicy, minSamples: 50, maxDays: 7 },
  startedAt: 1_000,
  ...over,
});

const analysis = analyseAbTest(emptyArm, emptyArm, 0.3, 1, defaultAbPolicy);

/**
 * The contract every AbStore passes (on SQLite and PostgreSQL): one running test at a time; a
 * test ends once and is then fixed; arm counts come from what was served and rated in the test.
 */
export function runAbStoreContract(
  make: () => Promise<{ db: Database; storeOn: (q: Queryable) => AbStore; drop(): Promise<void> }>,
): void {
  let db: Database;
  let store: AbStore;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    const made = await make();
    db = made.db;
    store = made.storeOn(db);
    drop = made.drop;
    await seedChampionRow(db, 1, 0);
    await seedChampionRow(db, 2, 0);
  });
  afterEach(async () => drop());

  it('stores a running test with its policy and lists tests newest first', async () => {
    expect(await store.running()).toBeUndefined();
    const id = await store.insert(newTest());
    const test = await store.get(id);
    expect(test).toMatchObject({
      id,
      championVersion: 1,
      challengerVersion: 2,
      traffic: 0.3,
      status: 'running',
    });
    expect(test?.policy).toEqual(newTest().policy);
    expect(test).toMatchObject({
      minSamples: 50,
      maxDays: 7,
      decision: null,
      finalAnalysis: null,
      endedAt: null,
    });
    expect(await store.running()).toEqual(test);
    await expect(store.insert(newTest())).rejects.toThrow();
    expect(await store.end(test!, { decision: 'stopped', reason: 'r', analysis, endedAt: 2_000 })).toBe(true);
    const second = await store.insert(newTest({ startedAt: 3_000 }));
    expect((await store.list()).map((t) => t.id)).toEqual([second, id]);
    expect(await store.get(second + 1)).toBeUndefined();
  });

  it('ends a running test once, keeping the decision and the analysis it was taken on', async () => {
    const test = (await store.get(await store.insert(newTest())))!;
    expect(await store.end(test, { decision: 'discarded', reason: 'worse', analysis, endedAt: 5_000 })).toBe(
      true,
    );
    expect(await store.end(test, { decision: 'activated', reason: 'late', analysis, endedAt: 6_000 })).toBe(
      false,
    );
    expect(await store.get(test.id)).toMatchObject({
      status: 'completed',
      decision: 'discarded',
      decisionReason: 'worse',
      finalAnalysis: JSON.parse(JSON.stringify(analysis)),
      endedAt: 5_000,
    });
    expect(await store.running()).toBeUndefined();
  });

  it('counts each arm from the served rows and the rated outcomes of its test', async () => {
    const id = await store.insert(newTest());
    await seedCatalogue(db, 3);
    await db.insertMany(
      'users',
      ['id', 'created_at'],
      [
        [1, 0],
        [2, 0],
      ],
    );
    const served = (userId: number, movieId: number, arm: string) => ({
      userId,
      movieId,
      arm,
      abTestId: id,
      modelVersion: arm === 'champion' ? 1 : 2,
      predictedRating: 4.5,
      servedAt: 10_000,
    });
    await insertServed(db, [served(1, 1, 'champion'), served(1, 2, 'champion'), served(2, 1, 'challenger')]);
    await rateMovie(db, { userId: 1, movieId: 1, rating: 4, ratedAt: 20_000 }, { now: 20_000 });
    await rateMovie(db, { userId: 1, movieId: 2, rating: 2, ratedAt: 20_000 }, { now: 20_000 });
    const counts = await store.armCounts(id);
    expect(counts.champion).toEqual({
      users: 1,
      served: 2,
      n: 2,
      hits: 1,
      liked: 1,
      sumSquares: 0.25 + 6.25,
      sumFourth: 0.0625 + 39.0625,
      // One user with both ratings: n_u = 2, hits_u = 1.
      raters: 1,
      sumRatedSquared: 4,
      sumHitsSquared: 1,
      sumHitsRated: 2,
    });
    expect(counts.challenger).toEqual({ ...emptyArm, users: 1, served: 1 });
    expect(await store.armCounts(id + 1)).toEqual({ champion: emptyArm, challenger: emptyArm });
  });
}
