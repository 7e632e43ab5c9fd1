import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { wholeStarScale } from '../data/rating-scale.ts';
import { ratingsDataFrom } from '../data/ratings-data.ts';
import type { Database } from '../db/database.ts';
import { openDatabase } from '../db/open-database.ts';
import { ArtifactError, ConflictError, InvalidInputError } from '../errors.ts';
import { createModel } from '../models/model-registry.ts';
import { Rng } from '../random/rng.ts';
import { activeModelStatus, getActiveModelVersion } from './active-model.ts';
import { activateVersion, aliasHistory, lockRegistry, moveAlias, readAliases, rollback } from './aliases.ts';
import {
  getVersion,
  listVersions,
  pruneVersions,
  registerVersion,
  trainingDataInfo,
} from './model-versions.ts';

/** A small fitted baseline model; different seeds give different data and so different models. */
function fitted(seed: number) {
  const rng = new Rng(seed);
  const rows = [];
  for (let user = 1; user <= 30; user++) {
    for (let movie = 1; movie <= 20; movie++) {
      if (rng.next() < 0.5)
        rows.push({ user, movie, rating: 1 + rng.int(5), timestamp: 1_000 * (user * 100 + movie) });
    }
  }
  const data = ratingsDataFrom(rows, wholeStarScale);
  const model = createModel('baseline');
  model.fit(data, { seed });
  return { model, training: trainingDataInfo(data) };
}

async function register(db: Database, seed: number, extra: { activate?: boolean; now?: number } = {}) {
  return registerVersion(db, { ...fitted(seed), reason: 'manual', ...extra });
}

/** Flips one byte in the middle of a version's stored artifact. */
async function damage(db: Database, version: number): Promise<void> {
  const row = await db.get<{ artifact: Uint8Array }>(
    'SELECT artifact FROM model_versions WHERE version = ?',
    [version],
  );
  const bytes = new Uint8Array(row!.artifact);
  const i = Math.floor(bytes.length / 2);
  bytes[i] = bytes[i]! ^ 0xff;
  await db.run('UPDATE model_versions SET artifact = ? WHERE version = ?', [bytes, version]);
}

describeEachDatabase('model registry', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
  });
  afterEach(async () => {
    await t.drop();
  });

  it('stores lineage; the first version becomes champion by itself, later ones only when activated', async () => {
    const v1 = await register(t.db, 1);
    expect(v1.version).toBe(1);
    expect(v1.aliases).toEqual(['champion']);
    expect(v1.parentVersion).toBeNull();
    expect(v1.artifact?.format).toBe(1);
    expect(v1.training.rows).toBeGreaterThan(200);
    expect(v1.training.from).toBeLessThan(v1.training.to!);

    const { model, training } = fitted(2);
    const v2 = await registerVersion(t.db, {
      model,
      training,
      reason: 'tuned',
      tuningRunId: 'run-7',
      tuningTrialNumber: 12,
      metrics: { rmse: 0.93, accuracy: 0.71 },
    });
    expect(v2).toMatchObject({
      version: 2,
      kind: 'baseline',
      parentVersion: 1,
      tuningRunId: 'run-7',
      tuningTrialNumber: 12,
      metrics: { rmse: 0.93, accuracy: 0.71 },
      reason: 'tuned',
      status: 'ready',
      aliases: [],
    });
    expect(v2.params).toEqual(model.params);
    expect(v2.training.fingerprint).toBe(training.fingerprint);
    expect(v2.training.fingerprint).not.toBe(v1.training.fingerprint);
    const v3 = await register(t.db, 3, { activate: true });
    expect(v3.aliases).toEqual(['champion']);
    expect((await listVersions(t.db)).map((v) => [v.version, v.aliases])).toEqual([
      [3, ['champion']],
      [2, []],
      [1, []],
    ]);
    await expect(registerVersion(t.db, { ...fitted(4), reason: 'whim' as 'manual' })).rejects.toThrow(
      /reason must be one of/,
    );
    await expect(
      registerVersion(t.db, { ...fitted(4), reason: 'manual', parentVersion: 99 }),
    ).rejects.toThrow(/parentVersion 99/);
    await expect(
      registerVersion(t.db, {
        artifact: new Uint8Array([1, 2, 3]),
        training: fitted(4).training,
        reason: 'manual',
      }),
    ).rejects.toThrow(ArtifactError);
    // Bad input left nothing behind.
    expect(await listVersions(t.db)).toHaveLength(3);
  });

  // SQLite serialises writers with BEGIN IMMEDIATE; several better-sqlite3 connections in one
  // process cannot show it (a connection waiting for the lock blocks the event loop the holder needs).
  it.skipIf(kind.name === 'sqlite')(
    'concurrent registrations on separate connections get distinct versions and one first champion (skipped on SQLite: one process cannot hold two waiting connections)',
    async () => {
      const others = await Promise.all([
        openDatabase(t.location),
        openDatabase(t.location),
        openDatabase(t.location),
      ]);
      try {
        const made = await Promise.all(others.map((db, i) => register(db, 10 + i)));
        expect(made.map((v) => v.version).sort()).toEqual([1, 2, 3]);
        expect(made.filter((v) => v.aliases.includes('champion'))).toHaveLength(1);
        const history = await aliasHistory(t.db);
        expect(history.map((h) => h.action)).toEqual(['first']);
      } finally {
        await Promise.all(others.map((db) => db.close()));
      }
    },
  );

  it('activates, rolls back one champion per step, and keeps the whole history', async () => {
    await register(t.db, 1, { now: 1000 });
    await register(t.db, 2, { now: 2000 });
    await register(t.db, 3, { now: 3000 });
    expect((await activateVersion(t.db, 2, { now: 4000 })).previous).toBe(1);
    expect((await activateVersion(t.db, 3, { now: 5000 })).previous).toBe(2);
    expect((await activateVersion(t.db, 3, { now: 5500 })).unchanged).toBe(true);
    expect(await rollback(t.db, { now: 6000 })).toMatchObject({ previous: 3, current: 2 });
    // A second rollback walks further back instead of flip-flopping to 3.
    expect(await rollback(t.db, { now: 7000 })).toMatchObject({ previous: 2, current: 1 });
    await expect(rollback(t.db)).rejects.toThrow(ConflictError);
    expect((await readAliases(t.db)).get('champion')).toBe(1);
    const history = await aliasHistory(t.db, { alias: 'champion' });
    expect(history.map((h) => [h.action, h.previousVersion, h.newVersion, h.movedAt])).toEqual([
      ['first', null, 1, 1000],
      ['activate', 1, 2, 4000],
      ['activate', 2, 3, 5000],
      ['rollback', 3, 2, 6000],
      ['rollback', 2, 1, 7000],
    ]);
    expect(history[3]?.reason).toBe('rollback from v3 to v2');
    expect((await aliasHistory(t.db, { limit: 2 })).map((h) => h.id)).toEqual(
      history.slice(-2).map((h) => h.id),
    );
    await expect(activateVersion(t.db, 42)).rejects.toThrow(/model version 42/);
  });

  it('refuses a damaged or missing artifact and keeps the champion', async () => {
    await register(t.db, 1);
    await register(t.db, 2);
    await damage(t.db, 2);
    await expect(activateVersion(t.db, 2)).rejects.toThrow(ArtifactError);
    await expect(activateVersion(t.db, 2)).rejects.toThrow(/version 2: artifact is damaged/);
    await register(t.db, 3);
    await t.db.run('UPDATE model_versions SET artifact = NULL WHERE version = 3');
    await expect(activateVersion(t.db, 3)).rejects.toThrow(/version 3: artifact is missing/);
    expect((await readAliases(t.db)).get('champion')).toBe(1);
    expect(await aliasHistory(t.db)).toHaveLength(1);
  });

  it('a second connection sees a new champion within its staleness window, and keeps serving when the new one is damaged', async () => {
    await register(t.db, 1);
    await register(t.db, 2);
    await register(t.db, 3);
    const other = await openDatabase(t.location);
    try {
      const start = Date.now();
      const first = await getActiveModelVersion(other, { now: start });
      expect(first.version.version).toBe(1);
      // Cached: the same object, no reload.
      expect(await getActiveModelVersion(other, { now: start + 10 })).toBe(first);
      await activateVersion(t.db, 2);
      expect((await getActiveModelVersion(other, { now: start + 500 })).version.version).toBe(1);
      const second = await getActiveModelVersion(other, { now: start + 2000 });
      expect(second.version.version).toBe(2);
      expect(second.model.predict(1, 1).rating).toBeGreaterThan(0);
      // Someone moves the alias to a version whose artifact has been damaged since (bypassing checks).
      await damage(t.db, 3);
      await t.db.transaction(async (tx) => {
        await lockRegistry(tx, Date.now());
        await moveAlias(tx, {
          alias: 'champion',
          version: 3,
          action: 'activate',
          reason: 'test',
          now: Date.now(),
        });
      });
      const still = await getActiveModelVersion(other, { now: start + 4000 });
      expect(still.version.version).toBe(2);
      expect(activeModelStatus(other)).toMatchObject({ servingVersion: 2, championVersion: 3 });
      expect(activeModelStatus(other).error).toMatch(/version 3: artifact is damaged/);
      // A fresh process with nothing loaded refuses clearly instead of serving garbage.
      const fresh = await openDatabase(t.location);
      try {
        await expect(getActiveModelVersion(fresh)).rejects.toThrow(ArtifactError);
      } finally {
        await fresh.close();
      }
    } finally {
      await other.close();
    }
  });

  it('a separate long-running process serves a champion changed by another process, without restarting', async () => {
    await register(t.db, 1);
    await register(t.db, 2);
    const script = fileURLToPath(new URL('./fixtures/watch-champion.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, t.location], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const seen: number[] = [];
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      let waiting: { version: number; resolve: () => void } | null = null;
      child.stdout.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n')) if (line) seen.push(Number(line));
        if (waiting && seen.includes(waiting.version)) waiting.resolve();
      });
      const exited = new Promise<never>((_, reject) =>
        child.on('exit', () => reject(new Error(`watcher ended: ${stderr}`))),
      );
      exited.catch(() => {});
      const served = (version: number) =>
        Promise.race([
          exited,
          new Promise<void>((resolve) => {
            if (seen.includes(version)) resolve();
            else waiting = { version, resolve };
          }),
        ]);
      await served(1);
      await activateVersion(t.db, 2);
      // No timing assertion: the default 2 s poll brings it well inside the test timeout.
      await served(2);
      expect(seen).toEqual([1, 2]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('prune never removes the champion, the challenger, a running test version or the rollback target', async () => {
    for (let s = 1; s <= 7; s++) await register(t.db, s);
    await activateVersion(t.db, 3);
    await activateVersion(t.db, 4);
    // A running A/B test: champion 4 against challenger 2.
    const test = await t.db.get<{ id: number }>(
      `INSERT INTO ab_tests (champion_version, challenger_version, traffic, min_samples, max_days, status, started_at)
       VALUES (4, 2, 0.5, 10, 14, 'running', 0) RETURNING id`,
    );
    await t.db.transaction(async (tx) => {
      await lockRegistry(tx, 1);
      await moveAlias(tx, {
        alias: 'challenger',
        version: 2,
        action: 'set',
        reason: 'test',
        abTestId: test!.id,
        now: 1,
      });
    });
    await expect(pruneVersions(t.db, { keep: -1 })).rejects.toThrow(InvalidInputError);
    const result = await pruneVersions(t.db, { keep: 1 });
    expect(result.pruned).toEqual([1, 5, 6]);
    expect(result.protectedVersions.map((p) => p.version)).toEqual([2, 3, 4]);
    for (const v of [2, 3, 4, 7]) expect((await getVersion(t.db, v)).status).toBe('ready');
    const gone = await getVersion(t.db, 5);
    expect(gone.status).toBe('pruned');
    expect(gone.artifact).toBeNull();
    expect(gone.training.rows).toBeGreaterThan(0);
    await expect(activateVersion(t.db, 5)).rejects.toThrow(
      /version 5: artifact is missing \(the version was pruned\)/,
    );
    // The rollback target survived, so rollback still works.
    await t.db.run("UPDATE ab_tests SET status = 'stopped'");
    expect((await rollback(t.db)).current).toBe(3);
  });

  it('exactly one champion after the activating process is SIGKILLed at arbitrary moments', async () => {
    await register(t.db, 1);
    await register(t.db, 2);
    const script = fileURLToPath(new URL('./fixtures/activate-forever.ts', import.meta.url));
    for (const switches of [1, 7, 25]) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, t.location, '1', '2'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      await new Promise<void>((resolve, reject) => {
        let lines = 0;
        child.stdout.on('data', (d: Buffer) => {
          lines += d.toString().split('\n').length - 1;
          if (lines >= switches) resolve();
        });
        child.on('exit', () => reject(new Error(`child ended early: ${stderr}`)));
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const check = await openDatabase(t.location);
      try {
        const champions = await check.all<{ version: number }>(
          "SELECT version FROM model_aliases WHERE alias = 'champion'",
        );
        expect(champions).toHaveLength(1);
        const last = (await aliasHistory(check, { alias: 'champion', limit: 1 }))[0];
        // The alias and its history committed together.
        expect(last?.newVersion).toBe(Number(champions[0]?.version));
        // And the next process can still write (no lock left behind).
        const next = Number(champions[0]?.version) === 1 ? 2 : 1;
        expect((await activateVersion(check, next)).current).toBe(next);
      } finally {
        await check.close();
      }
    }
  });
});
