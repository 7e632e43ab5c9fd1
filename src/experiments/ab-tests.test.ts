import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { trainVersion } from '../../test/helpers/trained-world.ts';
import type { Database } from '../db/database.ts';
import { ConflictError, InvalidInputError } from '../errors.ts';
import { rateMovie } from '../monitoring/rate-movie.ts';
import { Rng } from '../random/rng.ts';
import { serveRecommendations } from '../recommend/serve-recommendations.ts';
import { activateVersion, aliasHistory, readAliases } from '../registry/aliases.ts';
import { getVersion, pruneVersions } from '../registry/model-versions.ts';
import {
  decideAbTest,
  evaluateAbTest,
  getAbTest,
  getRunningAbTest,
  startAbTest,
  stopAbTest,
} from './ab-tests.ts';
import { assignArm } from './assignment.ts';

const day = 86_400_000;

/** 60 movies, 150 users with about 15 whole-star ratings each, seeded. */
async function seedCatalogue(db: Database): Promise<void> {
  const rng = new Rng(5);
  await db.insertMany(
    'movies',
    ['id', 'title', 'year', 'genres'],
    Array.from({ length: 60 }, (_, i) => [
      i + 1,
      `Movie ${i + 1}`,
      1990 + (i % 30),
      i % 2 ? 'Comedy|Drama' : 'Action',
    ]),
  );
  await db.insertMany(
    'users',
    ['id', 'created_at'],
    Array.from({ length: 150 }, (_, i) => [i + 1, 0]),
  );
  const ratings: [number, number, number, number][] = [];
  for (let u = 1; u <= 150; u++) {
    for (let m = 1; m <= 60; m++) {
      if (rng.next() < 0.25)
        ratings.push([u, m, Math.min(5, 1 + rng.int(4) + (m % 3 === 0 ? 1 : 0)), 1_000_000 + u * 100 + m]);
    }
  }
  await db.insertMany('ratings', ['user_id', 'movie_id', 'rating', 'rated_at'], ratings);
}

/**
 * Serves every user once and has them rate their top recommendation; `hitRate(arm)` is the chance
 * that the rating agrees with the liked / not-liked prediction (an oracle that makes one arm better).
 */
async function runTraffic(
  db: Database,
  users: number,
  hitRate: (arm: string) => number,
  seed: number,
  from = 1,
) {
  const rng = new Rng(seed);
  for (let u = from; u < from + users; u++) {
    const served = await serveRecommendations(db, { userId: u, n: 5 }, { maxStalenessMs: 0 });
    const top = served.items[0]!;
    const likedPredicted = top.predictedRating >= 4;
    const hit = rng.next() < hitRate(served.arm);
    const liked = hit ? likedPredicted : !likedPredicted;
    await rateMovie(db, { userId: u, movieId: top.movieId, rating: liked ? 5 : 2 });
  }
}

describeEachDatabase('A/B tests', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await seedCatalogue(t.db);
  });
  afterEach(async () => {
    await t.drop();
  });

  it('starts one test at a time, assigns users stickily, serves and records each arm', async () => {
    const v1 = await trainVersion(t.db, 'baseline', { params: { n_epochs: 1 } });
    const v2 = await trainVersion(t.db, 'baseline', { params: { n_epochs: 10 } });
    await expect(startAbTest(t.db, { challengerVersion: v2, traffic: 1.5 })).rejects.toThrow(
      /traffic must be between 0 and 1/,
    );
    await expect(startAbTest(t.db, { challengerVersion: v1 })).rejects.toThrow(/already the champion/);
    const test = await startAbTest(t.db, { challengerVersion: v2, traffic: 0.3, minSamples: 20, maxDays: 7 });
    expect(test).toMatchObject({
      championVersion: v1,
      challengerVersion: v2,
      traffic: 0.3,
      status: 'running',
    });
    expect((await readAliases(t.db)).get('challenger')).toBe(v2);
    await expect(startAbTest(t.db, { challengerVersion: v2 })).rejects.toThrow(ConflictError);
    // The test's versions are protected from pruning.
    expect((await pruneVersions(t.db, { keep: 0 })).pruned).toEqual([]);

    for (let u = 1; u <= 40; u++) {
      const a = await serveRecommendations(t.db, { userId: u, n: 4 }, { maxStalenessMs: 0 });
      const b = await serveRecommendations(t.db, { userId: u, n: 4 }, { maxStalenessMs: 0 });
      const expected = assignArm(test.id, u, 0.3);
      expect(a.arm).toBe(expected);
      expect(b.arm).toBe(expected);
      expect(a.modelVersion).toBe(expected === 'challenger' ? v2 : v1);
      expect(a.abTestId).toBe(test.id);
      expect(a.items).toHaveLength(4);
      expect(a.items.map((i) => i.rank)).toEqual([1, 2, 3, 4]);
    }
    const rows = await t.db.all<{ arm: string; model_version: number; n: number }>(
      'SELECT arm, model_version, COUNT(*) AS n FROM served_recommendations WHERE ab_test_id = ? GROUP BY arm, model_version ORDER BY arm',
      [test.id],
    );
    expect(rows.map((r) => [r.arm, Number(r.model_version)])).toEqual([
      ['challenger', v2],
      ['champion', v1],
    ]);
    expect(rows.reduce((s, r) => s + Number(r.n), 0)).toBe(40 * 2 * 4);
    // Rated movies are excluded; filters apply.
    const rated = new Set(
      (await t.db.all<{ movie_id: number }>('SELECT movie_id FROM ratings WHERE user_id = 1')).map(
        (r) => r.movie_id,
      ),
    );
    const comedies = await serveRecommendations(t.db, {
      userId: 1,
      n: 10,
      filters: { genre: 'comedy', yearFrom: 2000 },
    });
    for (const i of comedies.items) {
      expect(rated.has(i.movieId)).toBe(false);
      expect(i.genres).toContain('Comedy');
      expect(i.year).toBeGreaterThanOrEqual(2000);
    }
    await expect(serveRecommendations(t.db, { userId: 1, n: 0 })).rejects.toThrow(InvalidInputError);
    await expect(
      serveRecommendations(t.db, { userId: 1, n: 5, filters: { yearFrom: 2010, yearTo: 2000 } }),
    ).rejects.toThrow(/yearFrom/);
    // A new user gets the fallback, and is told so.
    const fresh = await serveRecommendations(t.db, { userId: 9999, n: 3 });
    expect(fresh.newUser).toBe(true);
    expect(fresh.note).toMatch(/new user/);
    expect(fresh.items.every((i) => i.fallback === 'unknown-user')).toBe(true);
  });

  it('activates a better challenger on its own, with the numbers in ab_tests and the alias history', async () => {
    const v1 = await trainVersion(t.db, 'baseline', { params: { n_epochs: 1 } });
    const v2 = await trainVersion(t.db, 'baseline', { params: { n_epochs: 10 } });
    const test = await startAbTest(t.db, { challengerVersion: v2, minSamples: 40, maxDays: 7 });
    await runTraffic(t.db, 150, (arm) => (arm === 'challenger' ? 0.95 : 0.55), 1);
    const evaluation = await evaluateAbTest(t.db);
    expect(evaluation.analysis.arms.champion.n + evaluation.analysis.arms.challenger.n).toBe(150);
    expect(evaluation.analysis.verdict.action).toBe('activate');
    // validate changes nothing.
    expect((await getRunningAbTest(t.db))?.id).toBe(test.id);
    const decided = await decideAbTest(t.db);
    expect(decided?.applied).toBe('activated');
    const stored = await getAbTest(t.db, test.id);
    expect(stored).toMatchObject({ status: 'completed', decision: 'activated' });
    expect(stored.decisionReason).toMatch(/relative/);
    expect(stored.finalAnalysis?.arms.challenger.accuracy.value).toBeGreaterThan(0.8);
    const aliases = await readAliases(t.db);
    expect(aliases.get('champion')).toBe(v2);
    expect(aliases.has('challenger')).toBe(false);
    const history = await aliasHistory(t.db);
    const promoted = history.find((h) => h.action === 'ab-activate');
    expect(promoted).toMatchObject({
      alias: 'champion',
      previousVersion: v1,
      newVersion: v2,
      abTestId: test.id,
    });
    expect(promoted?.details).toHaveProperty('sequentialPValue');
    expect(await decideAbTest(t.db)).toBeNull();
  });

  it('discards a worse challenger, and one that runs out of days', async () => {
    await trainVersion(t.db, 'baseline', { params: { n_epochs: 1 } });
    const v2 = await trainVersion(t.db, 'baseline', { params: { n_epochs: 10 } });
    const v3 = await trainVersion(t.db, 'baseline', { params: { n_epochs: 5 } });
    const start = Date.now();
    await startAbTest(t.db, { challengerVersion: v2, minSamples: 40, maxDays: 7, now: start });
    await runTraffic(t.db, 150, (arm) => (arm === 'challenger' ? 0.4 : 0.9), 2);
    const worse = await decideAbTest(t.db);
    expect(worse?.applied).toBe('discarded');
    expect(worse?.analysis.verdict.reason).toMatch(/significantly worse/);
    expect((await getVersion(t.db, v2)).status).toBe('discarded');
    expect((await readAliases(t.db)).get('champion')).toBe(1);

    const second = await startAbTest(t.db, { challengerVersion: v3, minSamples: 40, maxDays: 7, now: start });
    expect((await decideAbTest(t.db, { now: start + 3 * day }))?.applied).toBeNull();
    const expired = await decideAbTest(t.db, { now: start + 7 * day });
    expect(expired?.applied).toBe('discarded');
    expect(expired?.analysis.verdict.reason).toMatch(/max days \(7\) reached/);
    expect((await getAbTest(t.db, second.id)).status).toBe('completed');
  });

  it('a challenger whose artifact breaks mid-test is not served, and its users stay out of the test', async () => {
    const v1 = await trainVersion(t.db, 'baseline', { params: { n_epochs: 1 } });
    const v2 = await trainVersion(t.db, 'baseline', { params: { n_epochs: 10 } });
    const test = await startAbTest(t.db, { challengerVersion: v2 });
    await t.db.run('UPDATE model_versions SET artifact = NULL WHERE version = ?', [v2]);
    let challengerUsers = 0;
    for (let u = 1; u <= 30; u++) {
      const served = await serveRecommendations(t.db, { userId: u, n: 2 }, { maxStalenessMs: 0 });
      if (assignArm(test.id, u, 0.5) === 'challenger') {
        challengerUsers += 1;
        expect(served).toMatchObject({ modelVersion: v1, abTestId: null, arm: 'champion' });
      } else {
        expect(served).toMatchObject({ modelVersion: v1, abTestId: test.id, arm: 'champion' });
      }
    }
    expect(challengerUsers).toBeGreaterThan(0);
  });

  it('stop ends a test without a verdict; a manual activation stops the running test', async () => {
    await trainVersion(t.db, 'baseline', { params: { n_epochs: 1 } });
    const v2 = await trainVersion(t.db, 'baseline', { params: { n_epochs: 10 } });
    const v3 = await trainVersion(t.db, 'baseline', { params: { n_epochs: 5 } });
    await startAbTest(t.db, { challengerVersion: v2 });
    const stopped = await stopAbTest(t.db, { reason: 'wrong challenger' });
    expect(stopped.test).toMatchObject({
      status: 'stopped',
      decision: 'stopped',
      decisionReason: 'wrong challenger',
    });
    expect((await readAliases(t.db)).has('challenger')).toBe(false);
    await expect(stopAbTest(t.db)).rejects.toThrow(/no A\/B test is running/);
    const again = await startAbTest(t.db, { challengerVersion: v2 });
    const change = await activateVersion(t.db, v3);
    expect(change.stoppedAbTest).toBe(again.id);
    expect((await getAbTest(t.db, again.id)).status).toBe('stopped');
    expect(await getRunningAbTest(t.db)).toBeNull();
    expect((await readAliases(t.db)).has('challenger')).toBe(false);
  });
});
