import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { loadConfig } from '../config.ts';
import { generateIntoDatabase } from '../data/generate.ts';
import { championVersion } from '../registry/champion.ts';
import { requestRetrain } from './retrain-triggers.ts';
import { schedulerTick, startScheduler } from './scheduler.ts';

const config = loadConfig({ env: {}, file: '/nonexistent', overrides: { schedulerIntervalSeconds: 3600 } });

describeEachDatabase('scheduler', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await generateIntoDatabase(t.db, { users: 100, movies: 60, ratings: 3000, seed: 3 });
  });
  afterEach(async () => t.drop());

  it('runs a pending retrain in a worker thread while this thread keeps serving', async () => {
    await requestRetrain(
      t.db,
      { source: 'manual', reason: 'test', options: { model: 'baseline' } },
      config,
      Date.now(),
    );
    // The event loop of this thread keeps turning while the worker trains: a stalled loop would
    // leave the counter at zero.
    let turns = 0;
    const timer = setInterval(() => {
      turns += 1;
    }, 5);
    const tick = await schedulerTick(t.db, { config, location: t.location });
    clearInterval(timer);
    expect(tick.error).toBeNull();
    expect(tick.retrain?.status).toBe('succeeded');
    expect(tick.retrain?.deploy?.action).toBe('activated');
    expect(await championVersion(t.db)).toBe(tick.retrain?.newVersion);
    expect(turns).toBeGreaterThan(0);
  });

  it('the loop ticks once at start and stops cleanly', async () => {
    const ticks: number[] = [];
    const s = startScheduler(t.db, { config, onTick: (x) => ticks.push(x.at) });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await s.stop();
    expect(ticks).toHaveLength(1);
  });
});
