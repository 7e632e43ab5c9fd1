import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import type { Database } from '../db/database.ts';
import { openDatabase } from '../db/open-database.ts';
import { acquireRetrainLock, heartbeatRetrainLock, releaseRetrainLock } from './retrain-lock.ts';
import { listTriggers, requestRetrain, startTrigger } from './retrain-triggers.ts';

const hour = 3_600_000;
const t0 = Date.UTC(2026, 1, 1);
const config = { retrainCooldownHours: 24, staleAfterSeconds: 120 };

// This suite is long because it holds one case per behaviour.
describeEachDatabase('retrain lock and triggers', (kind) => {
  let t: TestDatabase;
  let other: Database;
  beforeEach(async () => {
    t = await kind.create();
    // Two SQLite connections in one process would deadlock (better-sqlite3 waits synchronously
    // for the write lock while the other connection's transaction awaits the event loop), so on
    // SQLite the second "connection" is the same one here; the cross-process race is tested with
    // child processes in test/retrain-concurrent-check.test.ts.
    other = kind.name === 'sqlite' ? t.db : await openDatabase(t.location);
  });
  afterEach(async () => {
    if (other !== t.db) await other.close();
    await t.drop();
  });

  it('two callers racing for the lock: exactly one gets it', async () => {
    const [a, b] = await Promise.all([
      acquireRetrainLock(t.db, 'a', null, t0, 120_000),
      acquireRetrainLock(other, 'b', null, t0, 120_000),
    ]);
    expect([a.acquired, b.acquired].filter(Boolean)).toHaveLength(1);
    const loser = a.acquired ? b : a;
    expect(loser.acquired).toBe(false);
    if (!loser.acquired) expect(loser.holder).toBe(a.acquired ? 'a' : 'b');
  });

  it('a held lock is refused while its heartbeat is fresh and taken over once stale', async () => {
    expect((await acquireRetrainLock(t.db, 'dead', 5, t0, 120_000)).acquired).toBe(true);
    expect(await heartbeatRetrainLock(t.db, 'dead', t0 + 60_000)).toBe(true);
    expect((await acquireRetrainLock(other, 'new', 6, t0 + 150_000, 120_000)).acquired).toBe(false);
    const took = await acquireRetrainLock(other, 'new', 6, t0 + 181_000, 120_000);
    expect(took).toEqual({
      acquired: true,
      takenOverFrom: { holder: 'dead', triggerId: 5, heartbeatAt: t0 + 60_000 },
    });
    // The old holder finds out: its heartbeat fails, its release does not free the new holder's lock.
    expect(await heartbeatRetrainLock(t.db, 'dead', t0 + 182_000)).toBe(false);
    await releaseRetrainLock(t.db, 'dead');
    expect((await acquireRetrainLock(t.db, 'third', null, t0 + 183_000, 120_000)).acquired).toBe(false);
    await releaseRetrainLock(other, 'new');
    expect((await acquireRetrainLock(t.db, 'third', null, t0 + 184_000, 120_000)).acquired).toBe(true);
  });

  it('concurrent automatic requests create exactly one trigger; cooldown blocks the next', async () => {
    const request = { source: 'auto' as const, reason: 'accuracy low', numbers: { accuracy: 0.3 } };
    const results = await Promise.all([
      requestRetrain(t.db, request, config, t0),
      requestRetrain(other, request, config, t0),
      requestRetrain(t.db, request, config, t0),
    ]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await listTriggers(t.db)).toHaveLength(1);
    const blocked = results.find((r) => !r.created);
    expect(blocked && !blocked.created ? blocked.blocked : '').toMatch(/already pending/);
    // Close it, then a request inside the cooldown is refused, one after it is accepted.
    await t.db.run("UPDATE retrain_triggers SET status = 'succeeded'");
    const soon = await requestRetrain(t.db, request, config, t0 + 23 * hour);
    expect(soon.created).toBe(false);
    if (!soon.created) expect(soon.blocked).toMatch(/cooldown/);
    const manual = await requestRetrain(
      t.db,
      { source: 'manual', reason: 'by hand' },
      config,
      t0 + 23 * hour,
    );
    expect(manual.created).toBe(true);
    await t.db.run("UPDATE retrain_triggers SET status = 'succeeded'");
    // The automatic retrain made no champion: the cooldown doubled.
    const doubled = await requestRetrain(t.db, request, config, t0 + 25 * hour);
    expect(doubled.created).toBe(false);
    if (!doubled.created) expect(doubled.blocked).toMatch(/cooldown \(48 h: doubled .* last 1 automatic/);
    const second = await requestRetrain(t.db, request, config, t0 + 49 * hour);
    expect(second.created).toBe(true);
    await t.db.run("UPDATE retrain_triggers SET status = 'failed'");
    // Two losing retrains in a row: four times the cooldown.
    const quadrupled = await requestRetrain(t.db, request, config, t0 + (49 + 95) * hour);
    expect(!quadrupled.created && quadrupled.blocked).toMatch(/96 h/);
  });

  it('an automatic retrain whose version became champion resets the cooldown', async () => {
    const request = { source: 'auto' as const, reason: 'accuracy low' };
    const first = await requestRetrain(t.db, request, config, t0);
    if (!first.created) throw new Error('expected a trigger');
    await t.db.run("UPDATE retrain_triggers SET status = 'succeeded', new_version = 7 WHERE id = ?", [
      first.trigger.id,
    ]);
    expect((await requestRetrain(t.db, request, config, t0 + 25 * hour)).created).toBe(false);
    await t.db.run(
      `INSERT INTO alias_history (alias, action, previous_version, new_version, reason, ab_test_id, details, moved_at)
       VALUES ('champion', 'ab-activate', 6, 7, 'won', NULL, '{}', ?)`,
      [t0 + hour],
    );
    expect((await requestRetrain(t.db, request, config, t0 + 25 * hour)).created).toBe(true);
  });

  it('a running trigger whose process died is abandoned, not a block forever', async () => {
    const first = await requestRetrain(t.db, { source: 'manual', reason: 'x' }, config, t0);
    if (!first.created) throw new Error('expected a trigger');
    await startTrigger(t.db, first.trigger.id, 'crashed', t0);
    const blocked = await requestRetrain(t.db, { source: 'manual', reason: 'y' }, config, t0 + 60_000);
    expect(blocked.created).toBe(false);
    const next = await requestRetrain(t.db, { source: 'manual', reason: 'z' }, config, t0 + 200_000);
    expect(next.created).toBe(true);
    const all = await listTriggers(t.db);
    expect(all.map((x) => x.status)).toEqual(['pending', 'abandoned']);
    expect(all[1]?.outcome).toMatch(/crashed stopped heartbeating/);
  });
});
