import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import {
  fixtureDay,
  seedCatalogue,
  seedChampionRow,
  seedTrackedRatings,
} from '../../test/helpers/live-fixtures.ts';
import { loadConfig } from '../config.ts';
import { listTriggers } from '../retraining/retrain-triggers.ts';
import { checkForModelRevalidation } from './revalidation-check.ts';
import { renderTrackStatus, trackStatus } from './track-status.ts';

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
    expect(r.trigger).toBeNull();
  });

  it('significantly low accuracy with enough samples triggers one retrain, and says why', async () => {
    await seedChampionRow(t.db, 1, now - 40 * fixtureDay);
    // 120 samples, 36 right: 30 %, Wilson upper bound ≈ 39 % < 50 %.
    await seedTrackedRatings(t.db, { version: 1, count: 120, hits: 36, at: now, movieIds: [1, 2, 3] });
    const r = await checkForModelRevalidation(t.db, config, { now });
    expect(r.champion.samples).toBe(120);
    expect(r.champion.accuracy).toBeCloseTo(0.3, 9);
    expect(r.champion.high).toBeLessThan(0.5);
    expect(r.verdict).toBe('retrain');
    expect(r.trigger?.created).toBe(true);
    const triggers = await listTriggers(t.db);
    expect(triggers).toHaveLength(1);
    expect(triggers[0]?.source).toBe('auto');
    expect(triggers[0]?.reason).toMatch(/v1 accuracy 30\.0 %/);
    expect(triggers[0]?.numbers.samples).toBe(120);
    // A second check finds the trigger open and records nothing new.
    const again = await checkForModelRevalidation(t.db, config, { now: now + 1000 });
    expect(again.trigger?.created).toBe(false);
    expect(await listTriggers(t.db)).toHaveLength(1);
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
    expect(await listTriggers(t.db)).toHaveLength(0);
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
    const status = await trackStatus(t.db, config, { now });
    expect(status.worstMovies.map((m) => m.movieId)).toEqual([1, 3]);
    expect(status.counts).toEqual({ tracked: 15, recommended: 15, unexpected: 0 });
    expect(status.byVersion).toEqual([expect.objectContaining({ version: 1, samples: 15, hits: 6 })]);
    expect(status.thresholds.find((s) => s.setting === 'minSamplesPerMovie')?.value).toBe(5);
    expect(renderTrackStatus(status)).toMatch(/Worst movies \(≥ 5 samples\)/);
  });
});
