import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import {
  fixtureDay,
  seedCatalogue,
  seedChampionRow,
  seedTrackedRatings,
} from '../../test/helpers/live-fixtures.ts';
import { loadConfig } from '../config.ts';
import { checkForModelRevalidation } from './revalidation-check.ts';

const now = Date.UTC(2026, 2, 1);
const config = loadConfig({ env: {}, file: '/nonexistent', overrides: {} });

describeEachDatabase('checkForModelRevalidation', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await seedCatalogue(t.db, 10);
  });
  afterEach(async () => t.drop());

  it('without a champion there is nothing to revalidate', async () => {
    const r = await checkForModelRevalidation(t.db, config, { now });
    expect(r.verdict).toBe('no-champion');
    expect(r.request).toBeNull();
  });

  it('significantly low accuracy with enough samples asks for a retrain by the threshold rule, and says why', async () => {
    await seedChampionRow(t.db, 1, now - 40 * fixtureDay);
    // 120 samples, 36 right: 30 %, Wilson upper bound ≈ 39 % < 50 %.
    await seedTrackedRatings(t.db, { version: 1, count: 120, hits: 36, at: now, movieIds: [1, 2, 3] });
    const r = await checkForModelRevalidation(t.db, config, { now });
    expect(r.champion.samples).toBe(120);
    expect(r.champion.accuracy).toBeCloseTo(0.3, 9);
    expect(r.champion.high).toBeLessThan(0.5);
    expect(r.verdict).toBe('retrain');
    expect(r.firedRule).toBe('threshold');
    expect(r.request?.reason).toMatch(/v1 accuracy 30\.0 %/);
    expect(r.request?.numbers.samples).toBe(120);
  });

  it('low accuracy on too few samples, or not significantly low, does not trigger', async () => {
    await seedChampionRow(t.db, 1, now - 40 * fixtureDay);
    await seedTrackedRatings(t.db, { version: 1, count: 99, hits: 10, at: now, movieIds: [1] });
    expect((await checkForModelRevalidation(t.db, config, { now })).verdict).toBe('insufficient-samples');
    // 50 of 110 right (45 %) is under 50 % but its interval reaches above it.
    await t.db.run('DELETE FROM recommendation_quality');
    await seedTrackedRatings(t.db, {
      version: 1,
      count: 110,
      hits: 50,
      at: now,
      firstUser: 5000,
      movieIds: [1],
    });
    const r = await checkForModelRevalidation(t.db, config, { now });
    expect(r.champion.accuracy).toBeLessThan(0.5);
    expect(r.verdict).toBe('ok');
    expect(r.request).toBeNull();
  });

  it('counts only the champion and only the window', async () => {
    await seedChampionRow(t.db, 1, now - 40 * fixtureDay);
    await seedTrackedRatings(t.db, {
      version: 1,
      count: 120,
      hits: 0,
      at: now - 31 * fixtureDay,
      movieIds: [1],
    });
    await seedChampionRow(t.db, 2, now - 20 * fixtureDay);
    await seedTrackedRatings(t.db, {
      version: 1,
      count: 50,
      hits: 0,
      at: now,
      firstUser: 3000,
      movieIds: [2],
    });
    await seedTrackedRatings(t.db, {
      version: 2,
      count: 100,
      hits: 90,
      at: now,
      firstUser: 4000,
      movieIds: [3],
    });
    const r = await checkForModelRevalidation(t.db, config, { now });
    expect(r.championVersion).toBe(2);
    expect(r.champion.samples).toBe(100);
    expect(r.verdict).toBe('ok');
  });

  it('per-movie accuracy ignores movies with fewer than minSamplesPerMovie samples', async () => {
    await seedChampionRow(t.db, 1, now - 40 * fixtureDay);
    // Movie 1: 5 samples, all wrong; movie 2: 4 samples, all wrong; movie 3: 6 samples, all right.
    await seedTrackedRatings(t.db, { version: 1, count: 5, hits: 0, at: now, firstUser: 100, movieIds: [1] });
    await seedTrackedRatings(t.db, { version: 1, count: 4, hits: 0, at: now, firstUser: 200, movieIds: [2] });
    await seedTrackedRatings(t.db, { version: 1, count: 6, hits: 6, at: now, firstUser: 300, movieIds: [3] });
    const r = await checkForModelRevalidation(t.db, config, { now });
    expect(r.worstMovies.map((m) => [m.movieId, m.samples, m.accuracy])).toEqual([
      [1, 5, 0],
      [3, 6, 1],
    ]);
  });

  /** Batches of 20 tracked ratings, `hits` of them right, ending `hoursAgo` hours before now. */
  async function seedBatches(from: number, batches: number, hits: number, hoursAgo: number): Promise<number> {
    for (let b = 0; b < batches; b++) {
      const at = now - (hoursAgo + (batches - b) * 0.25) * 3_600_000;
      await seedTrackedRatings(t.db, {
        version: 1,
        count: 20,
        hits,
        at,
        firstUser: from + 20 * b,
        movieIds: [4, 5],
      });
    }
    return from + 20 * batches;
  }

  it('a clear fall from its own level asks for a retrain by the drift rule once it has settled', async () => {
    await seedChampionRow(t.db, 1, now - 40 * fixtureDay);
    // 300 outcomes at 85 % until 30 hours ago, then 200 at 40 %: 67 % overall, far
    // from the threshold rule's 50 %.
    const next = await seedBatches(10_000, 15, 17, 30);
    await seedBatches(next, 10, 8, 27.5);
    const r = await checkForModelRevalidation(t.db, config, { now });
    expect(r.champion.accuracy).toBeGreaterThan(0.6);
    expect(r.drift.state).toBe('fired');
    expect(r.verdict).toBe('retrain');
    expect(r.firedRule).toBe('drift');
    expect(r.request?.reason).toMatch(/^drift: accuracy 8\d\.\d % → \d\d\.\d % since 2026-02-2\d /);
    expect(r.request?.numbers.samplesAfter).toBeGreaterThanOrEqual(190);
    // Younger than driftSettleHours (24 h) it is only settling; with the detector off, nothing.
    const young = await checkForModelRevalidation(t.db, config, { now: now - 10 * 3_600_000 });
    expect(young.drift.state).toBe('settling');
    expect(young.verdict).toBe('ok');
    const off = await checkForModelRevalidation(t.db, { ...config, driftDetector: 'off' }, { now });
    expect([off.drift.state, off.verdict]).toEqual(['off', 'ok']);
    // Outcomes before driftSince are not looked at: the fall acted upon is not reported again.
    const after = await checkForModelRevalidation(t.db, config, { now, driftSince: now - 20 * 3_600_000 });
    expect(after.drift.state).toBe('none');
  });

  it('a steady level with the same noise raises no drift', async () => {
    await seedChampionRow(t.db, 1, now - 40 * fixtureDay);
    await seedBatches(10_000, 25, 16, 4);
    const r = await checkForModelRevalidation(t.db, config, { now });
    expect(r.drift.state).toBe('none');
    expect(r.drift.verdict?.samples).toBe(500);
    expect(r.verdict).toBe('ok');
  });
});
