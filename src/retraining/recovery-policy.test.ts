import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { generateIntoDatabase } from '../data/generate.ts';
import { loadRatingsData } from '../data/load-ratings.ts';
import { getAbTest, getRunningAbTest, startAbTest } from '../experiments/ab-tests.ts';
import { createModel } from '../models/model-registry.ts';
import { fitAndRegister } from '../registry/fit-and-register.ts';
import { listTriggers, requestRetrain } from './retrain-triggers.ts';

const hour = 3_600_000;
const t0 = Date.UTC(2026, 1, 1);
const config = { retrainCooldownHours: 24, staleAfterSeconds: 120 };
const recovery = {
  source: 'auto' as const,
  rule: 'recovery' as const,
  reason: 'recovery: champion still below its level before the fall',
};
const threshold = { source: 'auto' as const, rule: 'threshold' as const, reason: 'accuracy below 50 %' };

describeEachDatabase('the recovery policy of automatic triggers', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await generateIntoDatabase(t.db, { users: 60, movies: 40, ratings: 1500, seed: 3 });
    const data = await loadRatingsData(t.db);
    for (const epochs of [1, 5]) {
      await fitAndRegister(t.db, {
        model: createModel('baseline', { n_epochs: epochs }),
        data,
        seed: 1,
        reason: 'manual',
      });
    }
  });
  afterEach(async () => t.drop());

  /** An automatic trigger at `at` that succeeded, its version 2 made champion when `won`. */
  async function pastRetrain(at: number, won: boolean): Promise<void> {
    const r = await requestRetrain(t.db, threshold, config, at);
    if (!r.created) throw new Error(`expected a trigger: ${r.blocked}`);
    await t.db.run("UPDATE retrain_triggers SET status = 'succeeded', new_version = 2 WHERE id = ?", [
      r.trigger.id,
    ]);
    if (won)
      await t.db.run(
        `INSERT INTO alias_history (alias, action, previous_version, new_version, reason, ab_test_id, details, moved_at)
         VALUES ('champion', 'ab-activate', 1, 2, 'won', NULL, '{}', ?)`,
        [at + hour],
      );
  }

  it('after a retrain that became champion, a recovery trigger is not held by the cooldown', async () => {
    await pastRetrain(t0, true);
    const blocked = await requestRetrain(t.db, threshold, config, t0 + 2 * hour);
    expect(!blocked.created && blocked.blocked).toMatch(/^cooldown/);
    const drift = await requestRetrain(t.db, { ...recovery, rule: 'drift' }, config, t0 + 2 * hour);
    expect(!drift.created && drift.blocked).toMatch(/^cooldown/);
    expect((await requestRetrain(t.db, recovery, config, t0 + 2 * hour)).created).toBe(true);
  });

  it('after a retrain that lost, a recovery trigger waits for the cooldown like any other', async () => {
    await pastRetrain(t0, false);
    const blocked = await requestRetrain(t.db, recovery, config, t0 + 30 * hour);
    expect(!blocked.created && blocked.blocked).toMatch(/^cooldown \(48 h/);
    expect((await requestRetrain(t.db, recovery, config, t0 + 49 * hour)).created).toBe(true);
  });

  it('a running A/B test holds a recovery trigger for one cooldown, then the trigger stops it', async () => {
    await pastRetrain(t0 - 48 * hour, true);
    const test = await startAbTest(t.db, { challengerVersion: 2, now: t0 });
    const early = await requestRetrain(t.db, recovery, config, t0 + 23 * hour);
    expect(!early.created && early.blocked).toMatch(
      /A\/B test #\d+ is still deciding \(a recovery retrain waits for it until 2026-02-02T00:00:00.000Z\)/,
    );
    // The threshold rule never stops a test.
    const other = await requestRetrain(t.db, threshold, config, t0 + 30 * hour);
    expect(!other.created && other.blocked).toMatch(/is still deciding$/);
    const late = await requestRetrain(t.db, recovery, config, t0 + 24 * hour);
    expect(late.created && late.preemptedAbTest).toBe(test.id);
    expect(await getRunningAbTest(t.db)).toBeNull();
    const stopped = await getAbTest(t.db, test.id);
    expect(stopped.status).toBe('stopped');
    expect(stopped.decisionReason).toMatch(/^preempted by retrain #\d+: recovery:/);
    const [trigger] = await listTriggers(t.db, 1);
    expect(trigger?.numbers.preemptedAbTest).toBe(test.id);
  });
});
