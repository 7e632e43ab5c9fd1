import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import {
  fixtureDay,
  seedCatalogue,
  seedChampionRow,
  seedTrackedRatings,
} from '../../test/helpers/live-fixtures.ts';
import { loadConfig } from '../config.ts';
import { listTriggers } from './retrain-triggers.ts';
import { revalidate } from './revalidate.ts';
import { renderTrackStatus, trackStatus } from './track-status.ts';

const now = Date.UTC(2026, 2, 1);
const hour = 3_600_000;
const config = loadConfig({ env: {}, file: '/nonexistent', overrides: {} });

describeEachDatabase('revalidate', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await seedCatalogue(t.db, 10);
    await seedChampionRow(t.db, 1, now - 40 * fixtureDay);
  });
  afterEach(async () => t.drop());

  it('files one trigger when the threshold rule fires, and says why', async () => {
    await seedTrackedRatings(t.db, { version: 1, count: 120, hits: 36, at: now, movieIds: [1, 2, 3] });
    const r = await revalidate(t.db, config, { now });
    expect(r.trigger?.created).toBe(true);
    const triggers = await listTriggers(t.db);
    expect(triggers).toHaveLength(1);
    expect(triggers[0]?.source).toBe('auto');
    expect(triggers[0]?.reason).toMatch(/v1 accuracy 30\.0 %/);
    expect(triggers[0]?.numbers.samples).toBe(120);
    // A second check finds the trigger open and records nothing new; status never records one.
    const again = await revalidate(t.db, config, { now: now + 1000 });
    expect(again.trigger?.created).toBe(false);
    expect((await trackStatus(t.db, config, { now: now + 2000 })).check.trigger).toBeNull();
    expect(await listTriggers(t.db)).toHaveLength(1);
  });

  it('files a drift trigger naming the rule, and does not report the same fall again after it', async () => {
    let user = 10_000;
    const batch = async (hits: number, hoursAgo: number) => {
      await seedTrackedRatings(t.db, {
        version: 1,
        count: 20,
        hits,
        at: now - hoursAgo * hour,
        firstUser: user,
        movieIds: [4],
      });
      user += 20;
    };
    for (let b = 0; b < 15; b++) await batch(17, 80 - b * 0.25);
    for (let b = 0; b < 10; b++) await batch(8, 30 - b * 0.25);
    const r = await revalidate(t.db, config, { now });
    expect(r.firedRule).toBe('drift');
    expect(r.trigger?.created).toBe(true);
    const [filed] = await listTriggers(t.db);
    expect(filed?.reason).toMatch(/^drift: accuracy 8\d\.\d % → \d\d\.\d % since 2026-02-2\d /);
    expect(filed?.numbers.before).toBeCloseTo(0.85, 1);
    // The trigger is pending: the detector now only looks after it, where nothing fell.
    const next = await revalidate(t.db, config, { now: now + hour });
    expect(next.drift.state).toBe('none');
    expect(next.verdict).toBe('ok');
    const status = await trackStatus(t.db, config, { now: now + hour });
    expect(renderTrackStatus(status)).toMatch(/Drift: none/);
  });

  it('track status shows per-movie accuracy only for movies with enough samples', async () => {
    // Movie 1: 5 samples, all wrong; movie 2: 4 samples, all wrong; movie 3: 6 samples, all right.
    await seedTrackedRatings(t.db, { version: 1, count: 5, hits: 0, at: now, firstUser: 100, movieIds: [1] });
    await seedTrackedRatings(t.db, { version: 1, count: 4, hits: 0, at: now, firstUser: 200, movieIds: [2] });
    await seedTrackedRatings(t.db, { version: 1, count: 6, hits: 6, at: now, firstUser: 300, movieIds: [3] });
    const status = await trackStatus(t.db, config, { now });
    expect(status.worstMovies.map((m) => m.movieId)).toEqual([1, 3]);
    expect(status.counts).toEqual({ tracked: 15, recommended: 15, unexpected: 0 });
    expect(status.byVersion).toEqual([expect.objectContaining({ version: 1, samples: 15, hits: 6 })]);
    expect(status.thresholds.find((s) => s.setting === 'minSamplesPerMovie')?.value).toBe(5);
    expect(status.thresholds.find((s) => s.setting === 'driftDetector')?.value).toBe('page-hinkley');
    expect(renderTrackStatus(status)).toMatch(/Worst movies \(≥ 5 samples\)/);
  });
});
