import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { generateSmallWorld, trainVersion } from '../../test/helpers/trained-world.ts';
import { loadMovies } from '../data/load-movies.ts';
import { loadRatingsData } from '../data/load-ratings.ts';
import { rateMovie } from '../monitoring/rate-movie.ts';
import { Rng } from '../random/rng.ts';
import { serveRecommendations } from '../recommend/serve-recommendations.ts';
import { recommendTopN } from '../recommend/top-n.ts';
import { loadVersionModel } from '../registry/active-model.ts';
import { getVersion } from '../registry/model-versions.ts';
import { screenBeforeAbTest } from '../retraining/off-policy-screen.ts';
import { evaluateAbTest, startAbTest } from './ab-tests.ts';
import type { InterleavedAbAnalysis } from './interleaving.ts';
import { screenChallengerOffPolicy } from './ope-screening.ts';
import { applyScreening, listScreenings } from './ope-store.ts';

const day = 86_400_000;
const t0 = Date.UTC(2026, 0, 10);

interface ServedRow {
  user_id: number;
  movie_id: number;
  model_version: number;
  ab_test_id: number | null;
  arm: string | null;
  predicted_rating: number;
  rank: number;
  propensity: number | null;
  inclusion_propensity: number | null;
  in_both_lists: number | null;
}

/** Users with movies left to recommend (the small world has users who rated the whole catalogue). */
const ratedUsers = async (t: TestDatabase, k: number) =>
  (
    await t.db.all<{ user_id: number }>(
      'SELECT user_id FROM ratings GROUP BY user_id HAVING COUNT(*) BETWEEN 10 AND 100 ORDER BY user_id',
    )
  )
    .map((r) => r.user_id)
    .slice(0, k);

const rowsAt = (t: TestDatabase, servedAt: number) =>
  t.db.all<ServedRow>(
    'SELECT user_id, movie_id, model_version, ab_test_id, arm, predicted_rating, rank, propensity, inclusion_propensity, in_both_lists FROM served_recommendations WHERE served_at = ? ORDER BY user_id, rank',
    [servedAt],
  );

describeEachDatabase('propensity-logged serving, interleaving and the off-policy screen', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await generateSmallWorld(t.db);
  });
  afterEach(async () => {
    await t.drop();
  });

  it('with ε = 0 serves exactly the ranker’s list and logs no propensities', async () => {
    const v1 = await trainVersion(t.db, 'baseline');
    const model = await loadVersionModel(t.db, v1);
    const data = { model, ratings: await loadRatingsData(t.db), movies: await loadMovies(t.db) };
    for (let u = 1; u <= 10; u++) {
      const plain = await serveRecommendations(t.db, { userId: u, n: 6 }, { now: t0 });
      const off = await serveRecommendations(
        t.db,
        { userId: u, n: 6 },
        { now: t0 + 1, exploration: { epsilon: 0, pool: 50 } },
      );
      const direct = recommendTopN(data, { userId: u, n: 6, explain: false });
      expect(off.items).toEqual(plain.items);
      expect(plain.items.map((i) => [i.movieId, i.predictedRating])).toEqual(
        direct.items.map((i) => [i.movieId, i.predictedRating]),
      );
    }
    const a = await rowsAt(t, t0);
    const b = await rowsAt(t, t0 + 1);
    expect(b).toEqual(a);
    expect(a.every((r) => r.propensity === null && r.inclusion_propensity === null)).toBe(true);
    expect(a.every((r) => r.in_both_lists === null)).toBe(true);
  });

  it('explores ε of the slots from the next candidates and logs each row’s propensities', async () => {
    await trainVersion(t.db, 'baseline');
    const policy = { epsilon: 0.3, pool: 20 };
    let explored = 0;
    for (const u of await ratedUsers(t, 40)) {
      const a = await serveRecommendations(
        t.db,
        { userId: u, n: 5 },
        { now: t0, exploration: policy, seed: 4 },
      );
      const again = await serveRecommendations(
        t.db,
        { userId: u, n: 5 },
        { now: t0, exploration: policy, seed: 4 },
      );
      expect(again.items).toEqual(a.items);
      expect(a.items.map((i) => i.rank)).toEqual([1, 2, 3, 4, 5]);
    }
    const rows = await rowsAt(t, t0);
    for (const r of rows) {
      if (r.propensity === 0.7) {
        expect(r.inclusion_propensity).toBeCloseTo(0.7, 12);
      } else {
        explored += 1;
        expect(r.inclusion_propensity).toBeCloseTo((5 * 0.3) / 20, 12);
        expect(r.propensity).toBeGreaterThanOrEqual(0.3 / 20);
        expect(r.propensity).toBeLessThanOrEqual(0.3 / 16);
      }
    }
    // 30 % of the slots explored: far from none and from all.
    expect(explored / rows.length).toBeGreaterThan(0.15);
    expect(explored / rows.length).toBeLessThan(0.5);
  });

  it('serves team-draft lists in an interleaving test and credits each like to the team that placed it, unless both rankers held the movie', async () => {
    const v1 = await trainVersion(t.db, 'baseline', { params: { n_epochs: 1 } });
    const v2 = await trainVersion(t.db, 'svd', { params: { n_factors: 4, n_epochs: 5 } });
    const test = await startAbTest(t.db, {
      challengerVersion: v2,
      method: 'interleave',
      minSamples: 5,
      now: t0,
    });
    expect(test).toMatchObject({ method: 'interleave', traffic: 1 });
    // Each ranker's own top 6, to check which served movies both would have shown.
    const ratings = await loadRatingsData(t.db);
    const movies = await loadMovies(t.db);
    const topOf = async (v: number, userId: number) =>
      recommendTopN(
        { model: await loadVersionModel(t.db, v), ratings, movies },
        { userId, n: 6, explain: false },
      ).items.map((i) => i.movieId);
    const rng = new Rng(3);
    const credit = new Map<number, number>();
    const users = await ratedUsers(t, 30);
    let shared = 0;
    let sharedRated = 0;
    for (const u of users) {
      const served = await serveRecommendations(
        t.db,
        { userId: u, n: 6 },
        { now: t0 + u * 1000, maxStalenessMs: 0 },
      );
      expect(served.abTestId).toBe(test.id);
      const rows = await rowsAt(t, t0 + u * 1000);
      expect(rows.map((r) => r.movie_id)).toEqual(served.items.map((i) => i.movieId));
      const teams = rows.map((r) => r.arm);
      expect(Math.abs(teams.filter((a) => a === 'champion').length - 3)).toBeLessThanOrEqual(1);
      const [a, b] = [await topOf(v1, u), await topOf(v2, u)];
      for (const r of rows) {
        expect(r.model_version).toBe(r.arm === 'champion' ? v1 : v2);
        const inBoth = a.includes(r.movie_id) && b.includes(r.movie_id);
        expect(r.in_both_lists).toBe(inBoth ? 1 : 0);
        if (inBoth) shared += 1;
        if (rng.next() < 0.5) continue;
        const liked = rng.next() < 0.6;
        await rateMovie(
          t.db,
          { userId: u, movieId: r.movie_id, rating: liked ? 5 : 1 },
          { now: t0 + u * 1000 + 500 },
        );
        // A like credits the placing team +1, a dislike −1; a movie both rankers held, nothing.
        if (inBoth) {
          sharedRated += 1;
          continue;
        }
        const c = (liked ? 1 : -1) * (r.arm === 'challenger' ? 1 : -1);
        credit.set(u, (credit.get(u) ?? 0) + c);
      }
    }
    // The case must occur for the test to mean anything: some rated movies were in both lists.
    expect(shared).toBeGreaterThan(0);
    expect(sharedRated).toBeGreaterThan(0);
    const { analysis } = await evaluateAbTest(t.db, { now: t0 + day });
    const il = (analysis as InterleavedAbAnalysis).interleaving;
    const d = [...credit.values()];
    expect(il.users).toBe(users.length);
    expect(il.meanDifference).toBeCloseTo(d.reduce((s, x) => s + x, 0) / users.length, 12);
    expect(il.wins).toBe(d.filter((x) => x > 0).length);
    expect(il.losses).toBe(d.filter((x) => x < 0).length);
    // The exposure check still counts every placed movie, shared ones included.
    expect(analysis.srm.observed.champion + analysis.srm.observed.challenger).toBe(6 * users.length);
  });

  it('screens a challenger from the logged window, records it, and says so when nothing was explored', async () => {
    const v1 = await trainVersion(t.db, 'baseline');
    const v2 = await trainVersion(t.db, 'popularity', { activate: false });
    const settings = { trainingWindowDays: 10, opeScreening: 'report' as const };
    const noLog = await screenChallengerOffPolicy(t.db, v2, settings, {
      likeThreshold: 3.5,
      now: t0,
      dryRun: true,
    });
    expect(noLog.verdict.reason).toMatch(/no propensity-logged serving/);
    const rng = new Rng(8);
    const users = await ratedUsers(t, 60);
    for (const u of users) {
      const at = t0 - day + u * 1000;
      const s = await serveRecommendations(
        t.db,
        { userId: u, n: 5 },
        { now: at, exploration: { epsilon: 0.3, pool: 30 }, seed: 1 },
      );
      expect(s.modelVersion).toBe(v1);
      for (const i of s.items)
        if (rng.next() < 0.5)
          await rateMovie(
            t.db,
            { userId: u, movieId: i.movieId, rating: rng.next() < 0.5 ? 5 : 1 },
            { now: at + 100 },
          );
    }
    const r = await screenChallengerOffPolicy(t.db, v2, settings, { likeThreshold: 3.5, now: t0 });
    expect(r.champion.visits).toBe(users.length);
    expect(r.champion.matched).toBeGreaterThan(2 * users.length);
    expect(Number.isFinite(r.champion.accuracy.dr.value)).toBe(true);
    expect(r.verdict.action).toBe('test');
    expect(r.screening).not.toBeNull();
    expect(await listScreenings(t.db, v2)).toHaveLength(1);
    expect((await listScreenings(t.db, v2))[0]).toMatchObject({
      championVersion: v1,
      challengerVersion: v2,
      action: 'test',
    });
    // The retrain's step: no discard here, so the A/B test goes ahead (null); screening off skips it.
    const step = { version: v2, championVersion: v1, activateIfBetter: false, triggerId: 1, now: t0 };
    expect(await screenBeforeAbTest(t.db, settings, step)).toBeNull();
    expect(await screenBeforeAbTest(t.db, { ...settings, opeScreening: 'off' }, step)).toBeNull();
    // A discarding screen marks the version discarded in the same transaction.
    await applyScreening(t.db, { ...r.screening!, action: 'discard', reason: 'test' });
    expect((await getVersion(t.db, v2))?.status).toBe('discarded');
  });
});
