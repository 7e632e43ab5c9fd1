import { afterEach, beforeEach, expect, it } from 'vitest';
import { listTriggers } from '../src/retraining/retrain-triggers.ts';
import { runCliProcess } from './helpers/cli.ts';
import { describeEachDatabase, type TestDatabase } from './helpers/databases.ts';
import { seedCatalogue, seedChampionRow, seedTrackedRatings } from './helpers/live-fixtures.ts';

describeEachDatabase('track check in two processes at once', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
  });
  afterEach(async () => t.drop());

  it('accuracy below the threshold triggers exactly one retrain', async () => {
    const now = Date.now();
    await seedCatalogue(t.db, 5);
    await seedChampionRow(t.db, 1, now - 86_400_000);
    await seedTrackedRatings(t.db, { version: 1, count: 120, hits: 30, at: now, movieIds: [1, 2, 3, 4, 5] });
    const runs = await Promise.all(
      [0, 1, 2].map(() => runCliProcess(['--db', t.location, 'track', 'check', '--json'])),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const results = runs.map(
      (r) => JSON.parse(r.stdout) as { verdict: string; trigger: { created: boolean } },
    );
    expect(results.map((r) => r.verdict)).toEqual(['retrain', 'retrain', 'retrain']);
    expect(results.filter((r) => r.trigger.created)).toHaveLength(1);
    const triggers = await listTriggers(t.db);
    expect(triggers).toHaveLength(1);
    expect(triggers[0]?.status).toBe('pending');
  });
});
