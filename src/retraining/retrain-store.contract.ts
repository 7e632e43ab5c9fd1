import { afterEach, beforeEach, expect, it } from 'vitest';
import type { NewTrigger, RetrainStore } from './retrain-store.ts';

const t0 = Date.UTC(2026, 11, 1);

const newTrigger = (over: Partial<NewTrigger> = {}): NewTrigger => ({
  source: 'auto',
  reason: 'accuracy low',
  numbers: '{"n":120}',
  options: '{}',
  now: t0,
  ...over,
});

/**
 * The contract every RetrainStore passes (on SQLite and PostgreSQL): trigger ids grow and the
 * oldest open trigger is the one to run; abandoning closes its running steps; a step row is
 * reopened by beginning it again; the lock is taken only when free or stale, and only its holder
 * can heartbeat or release it. It is long because it lists one case per rule of the contract.
 */
export function runRetrainStoreContract(make: () => Promise<{ store: RetrainStore; drop(): Promise<void> }>) {
  let store: RetrainStore;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    ({ store, drop } = await make());
  });
  afterEach(async () => drop());

  it('inserts triggers with growing ids; the oldest pending or running one is open', async () => {
    const a = await store.insertTrigger(newTrigger());
    const b = await store.insertTrigger(newTrigger({ source: 'manual', now: t0 + 1 }));
    expect(b.id).toBeGreaterThan(a.id);
    expect(a).toMatchObject({ status: 'pending', numbers: '{"n":120}', triggeredAt: t0, holder: null });
    expect((await store.openTrigger())?.id).toBe(a.id);
    await store.startTrigger(a.id, 'h:1:x', t0 + 5);
    await store.finishTrigger(
      a.id,
      { status: 'succeeded', outcome: 'ok', newVersion: 3, abTestId: null, error: null },
      t0 + 9,
    );
    expect(await store.getTrigger(a.id)).toMatchObject({
      status: 'succeeded',
      holder: 'h:1:x',
      startedAt: t0 + 5,
      endedAt: t0 + 9,
      newVersion: 3,
    });
    expect((await store.openTrigger())?.id).toBe(b.id);
    expect((await store.listTriggers(10)).map((t) => t.id)).toEqual([b.id, a.id]);
    expect(await store.getTrigger(b.id + 100)).toBeUndefined();
  });

  it('abandoning a trigger closes its running step; a finished trigger is not abandoned', async () => {
    const a = await store.insertTrigger(newTrigger());
    await store.startTrigger(a.id, 'h:1:x', t0);
    await store.beginStep(a.id, 'data', t0);
    await store.endStep(a.id, 'data', { status: 'done', details: '{"rows":5}' }, t0 + 1);
    await store.beginStep(a.id, 'fit', t0 + 2);
    await store.abandonTrigger(a.id, 'abandoned: gone', t0 + 3);
    expect((await store.getTrigger(a.id))?.status).toBe('abandoned');
    const steps = await store.listSteps(a.id);
    expect(steps.map((s) => [s.step, s.status, s.details])).toEqual([
      ['data', 'done', '{"rows":5}'],
      ['fit', 'abandoned', '{}'],
    ]);
    await store.abandonTrigger(a.id, 'again', t0 + 4);
    expect((await store.getTrigger(a.id))?.outcome).toBe('abandoned: gone');
  });

  it('beginning a step again reopens its one row', async () => {
    const a = await store.insertTrigger(newTrigger());
    await store.beginStep(a.id, 'fit', t0);
    await store.endStep(a.id, 'fit', { status: 'failed', details: '{"error":"x"}' }, t0 + 1);
    await store.beginStep(a.id, 'fit', t0 + 2);
    const steps = await store.listSteps(a.id);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ step: 'fit', status: 'running', startedAt: t0 + 2, endedAt: null });
  });

  it('lists automatic triggers newest first, without abandoned ones', async () => {
    const a = await store.insertTrigger(newTrigger());
    const m = await store.insertTrigger(newTrigger({ source: 'manual', now: t0 + 1 }));
    const b = await store.insertTrigger(newTrigger({ now: t0 + 2 }));
    const c = await store.insertTrigger(newTrigger({ now: t0 + 3 }));
    await store.abandonTrigger(c.id, 'gone', t0 + 4);
    const auto = await store.recentAutoTriggers(10);
    expect(auto.map((t) => t.id)).toEqual([b.id, a.id]);
    expect(auto.every((t) => !t.activated)).toBe(true);
    expect(auto.map((t) => t.id)).not.toContain(m.id);
    expect(await store.runningAbTest()).toBeNull();
  });

  it('the lock is taken when free or stale, and only its holder heartbeats or releases it', async () => {
    expect(await store.readLock(false)).toEqual({ holder: null, triggerId: null, heartbeatAt: null });
    expect(await store.takeLock('a', 1, t0, t0 - 1000)).toBe(true);
    expect(await store.readLock(false)).toEqual({ holder: 'a', triggerId: 1, heartbeatAt: t0 });
    expect(await store.takeLock('b', 2, t0 + 10, t0 - 1000)).toBe(false);
    expect(await store.heartbeatLock('b', t0 + 20)).toBe(false);
    expect(await store.heartbeatLock('a', t0 + 20)).toBe(true);
    await store.releaseLock('b');
    expect((await store.readLock(false)).holder).toBe('a');
    // Stale: its heartbeat (t0 + 20) is older than the staleness bound.
    expect(await store.takeLock('b', 2, t0 + 5000, t0 + 21)).toBe(true);
    expect(await store.readLock(true)).toEqual({ holder: 'b', triggerId: 2, heartbeatAt: t0 + 5000 });
    await store.releaseLock('b');
    expect((await store.readLock(false)).holder).toBeNull();
  });

  it('discarding a version that does not exist changes nothing', async () => {
    expect(await store.discardVersion(12345)).toBe(false);
  });
}
