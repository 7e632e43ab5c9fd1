import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Database, Queryable } from '../db/database.ts';
import type { NewVersionRecord, RegistryStore } from './registry-store.ts';

const version = (n: number, over: Partial<NewVersionRecord> = {}): NewVersionRecord => ({
  version: n,
  kind: 'svd',
  params: { n_factors: 10 },
  trainRows: 100 * n,
  trainFrom: 1_000,
  trainTo: 2_000 + n,
  dataFingerprint: `fp${n}`,
  parentVersion: n > 1 ? n - 1 : null,
  tuningRunId: null,
  tuningTrialNumber: null,
  metrics: { rmse: 0.9 },
  artifact: new Uint8Array([1, 2, 3, n]),
  artifactChecksum: `sum${n}`,
  artifactFormat: 3,
  artifactBytes: 4,
  status: 'ready',
  reason: 'manual',
  createdAt: 5_000 + n,
  ...over,
});

/**
 * The contract every RegistryStore passes (on SQLite and PostgreSQL): versions come back as
 * stored, newest first; an alias points at one version at a time and remembers when it moved; the
 * history is append-only and read oldest first; pruning drops the bytes and keeps the row.
 */
export function runRegistryStoreContract(
  make: () => Promise<{ db: Database; storeOn: (q: Queryable) => RegistryStore; drop(): Promise<void> }>,
): void {
  let db: Database;
  let store: RegistryStore;
  let storeOn: (q: Queryable) => RegistryStore;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    const made = await make();
    db = made.db;
    storeOn = made.storeOn;
    store = storeOn(db);
    drop = made.drop;
  });
  afterEach(async () => drop());

  it('stores versions and reads them back, newest first, with the largest number', async () => {
    expect(await store.maxVersion()).toBe(0);
    expect(await store.version(1)).toBeUndefined();
    await store.insertVersion(version(1));
    await store.insertVersion(version(2, { tuningRunId: 'random_1', tuningTrialNumber: 4, reason: 'tuned' }));
    expect(await store.maxVersion()).toBe(2);
    const { artifact: _bytes, ...expected } = version(2, {
      tuningRunId: 'random_1',
      tuningTrialNumber: 4,
      reason: 'tuned',
    });
    expect(await store.version(2)).toEqual(expected);
    expect((await store.versions()).map((v) => v.version)).toEqual([2, 1]);
  });

  it('points an alias at one version, remembers when it moved, and removes it', async () => {
    await store.insertVersion(version(1));
    await store.insertVersion(version(2));
    expect(await store.alias('champion')).toBeNull();
    await store.setAlias('champion', 1, 10);
    await store.setAlias('champion', 2, 20);
    await store.setAlias('challenger', 1, 30);
    expect(await store.alias('champion')).toEqual({ version: 2, updatedAt: 20 });
    expect(await store.aliases()).toEqual(
      new Map([
        ['champion', 2],
        ['challenger', 1],
      ]),
    );
    await store.setAlias('challenger', null, 40);
    expect(await store.alias('challenger')).toBeNull();
  });

  it('appends alias history and reads it oldest first, per alias and limited to the newest', async () => {
    await store.insertVersion(version(1));
    const move = { action: 'activate', reason: 'r', abTestId: null, details: { gain: 0.5 } } as const;
    await store.appendAliasHistory({
      ...move,
      alias: 'champion',
      previousVersion: null,
      newVersion: 1,
      movedAt: 1,
    });
    await store.appendAliasHistory({
      ...move,
      alias: 'challenger',
      previousVersion: null,
      newVersion: 1,
      movedAt: 2,
    });
    await store.appendAliasHistory({
      ...move,
      alias: 'champion',
      previousVersion: 1,
      newVersion: null,
      movedAt: 3,
    });
    const all = await store.aliasHistory();
    expect(all.map((e) => e.movedAt)).toEqual([1, 2, 3]);
    expect(all[0]).toMatchObject({
      alias: 'champion',
      newVersion: 1,
      details: { gain: 0.5 },
      abTestId: null,
    });
    expect((await store.aliasHistory({ alias: 'champion' })).map((e) => e.movedAt)).toEqual([1, 3]);
    expect((await store.aliasHistory({ limit: 2 })).map((e) => e.movedAt)).toEqual([2, 3]);
  });

  it('prunes an artifact: the bytes go, the row stays as pruned', async () => {
    await store.insertVersion(version(1));
    await store.insertVersion(version(2));
    expect(await store.artifact(1)).toEqual({
      bytes: new Uint8Array([1, 2, 3, 1]),
      checksum: 'sum1',
      status: 'ready',
    });
    await store.pruneArtifact(1);
    expect(await store.artifact(1)).toEqual({ bytes: null, checksum: 'sum1', status: 'pruned' });
    expect(await store.artifact(3)).toBeUndefined();
    expect(await store.unprunedVersions()).toEqual([2]);
  });

  it('locks inside a transaction; with no running A/B test there is nothing to stop', async () => {
    await db.transaction(async (tx) => {
      const s = storeOn(tx);
      await s.lock(99);
      expect(await s.runningTest()).toBeUndefined();
      expect(await s.stopRunningTest('why', 99)).toBeNull();
    });
  });
}
