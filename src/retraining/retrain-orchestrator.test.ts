import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { loadConfig } from '../config.ts';
import { generateIntoDatabase } from '../data/generate.ts';
import { loadRatingsData } from '../data/load-ratings.ts';
import { getRunningAbTest, startAbTest } from '../experiments/ab-tests.ts';
import { createModel } from '../models/model-registry.ts';
import { championVersion } from '../registry/champion.ts';
import { fitAndRegister } from '../registry/fit-and-register.ts';
import { getVersion, listVersions } from '../registry/model-versions.ts';
import { splitAtTime } from './offline-comparison.ts';
import { retrainLockState } from './retrain-lock.ts';
import { runRetrain } from './retrain-orchestrator.ts';
import { listSteps, listTriggers } from './retrain-triggers.ts';

const config = loadConfig({ env: {}, file: '/nonexistent' });
const child = fileURLToPath(new URL('./fixtures/retrain-until-step.ts', import.meta.url));

/** Starts the crash fixture and resolves once it has reached `step`; returns the process. */
function startUntil(location: string, step: string) {
  const p = spawn(process.execPath, ['--import', 'tsx', child, location, step, 'baseline']);
  let err = '';
  p.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise<typeof p>((resolve, reject) => {
    p.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes(`at ${step}`)) resolve(p);
    });
    p.on('exit', (code) => reject(new Error(`child exited (${code}) before ${step}: ${err}`)));
  });
}

// This suite is long because it holds one case per behaviour.
describeEachDatabase('retrain orchestrator', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await generateIntoDatabase(t.db, { users: 120, movies: 80, ratings: 4000, seed: 5 });
  });
  afterEach(async () => t.drop());

  it('the first retrain activates its version; every step is recorded', async () => {
    const r = await runRetrain(t.db, config, { model: 'baseline', seed: 1 });
    expect(r.status).toBe('succeeded');
    expect(r.championBefore).toBeNull();
    expect(r.deploy?.action).toBe('activated');
    expect(await championVersion(t.db)).toBe(r.newVersion);
    expect(r.steps.map((s) => [s.step, s.status])).toEqual([
      ['data', 'done'],
      ['fit', 'done'],
      ['compare', 'done'],
      ['final-fit', 'done'],
      ['register', 'done'],
      ['deploy', 'done'],
    ]);
    expect(r.comparison).toMatchObject({ fair: false, note: 'no champion to compare with' });
    // The version carries its accuracy on the most recent 10 % (measured before the final fit).
    const v = await getVersion(t.db, r.newVersion!);
    expect(v.metrics.holdoutRows).toBe(400);
    expect(v.metrics.accuracy).toBeGreaterThan(0);
    const [trigger] = await listTriggers(t.db);
    expect(trigger?.status).toBe('succeeded');
    expect(trigger?.newVersion).toBe(r.newVersion);
    expect((await retrainLockState(t.db)).holder).toBeNull();
  });

  it('the fair holdout is chosen from the champion lineage: the ratings after its data ended', async () => {
    const all = await loadRatingsData(t.db);
    const cut = [...all.timestamps].sort((a, b) => a - b)[Math.floor(all.size * 0.6)]!;
    const { before } = splitAtTime(all, cut);
    const v1 = await fitAndRegister(t.db, {
      model: createModel('baseline'),
      data: before,
      seed: 1,
      reason: 'manual',
    });
    const dataTo = v1.version.training.to!;
    const unseen = [...all.timestamps].filter((x) => x > dataTo);
    const r = await runRetrain(t.db, config, { model: 'baseline', seed: 1, activateIfBetter: true });
    expect(r.status).toBe('succeeded');
    const c = r.comparison!;
    expect(c.fair).toBe(true);
    expect(c.holdout).toMatchObject({
      basis: 'since-champion',
      rows: unseen.length,
      championVersion: v1.version.version,
      championDataTo: dataTo,
      from: Math.min(...unseen),
    });
    expect(c.holdout.from!).toBeGreaterThan(dataTo);
    for (const score of [c.challenger!, c.champion!]) {
      expect(score.accuracy.low).toBeLessThan(score.accuracy.value);
      expect(score.accuracy.high).toBeGreaterThan(score.accuracy.value);
    }
    expect(c.gainPoints!.value).toBeCloseTo(c.challenger!.accuracy.value - c.champion!.accuracy.value, 10);
    expect(c.gainPoints!.low).toBeLessThanOrEqual(c.gainPoints!.high);
    // With a fair comparison, --activate-if-better decides offline: no A/B test.
    expect(['activated', 'kept-champion']).toContain(r.deploy?.action);
    expect((await getVersion(t.db, r.newVersion!)).metrics.fairHoldoutRows).toBe(unseen.length);
  });

  it('too few ratings since the champion data: no fair comparison, said so, and an A/B test decides', async () => {
    const first = await runRetrain(t.db, config, { model: 'baseline', seed: 1 });
    const second = await runRetrain(t.db, config, { model: 'baseline', seed: 1, activateIfBetter: true });
    expect(second.status).toBe('succeeded');
    expect(second.comparison).toMatchObject({
      fair: false,
      note: `no fair offline comparison: 0 ratings since v${first.newVersion}'s data`,
    });
    expect(second.deploy?.action).toBe('ab-test');
    expect(await championVersion(t.db)).toBe(first.newVersion);
  });

  it('a running A/B test refuses a retrain before anything is recorded or fitted', async () => {
    await runRetrain(t.db, config, { model: 'baseline', seed: 1 });
    await runRetrain(t.db, config, { model: 'baseline', seed: 2 });
    const versions = (await listVersions(t.db)).length;
    const triggers = (await listTriggers(t.db)).length;
    await expect(runRetrain(t.db, config, { model: 'baseline', seed: 3 })).rejects.toThrow(
      /cannot retrain now: A\/B test #\d+ .* is running/,
    );
    expect((await listVersions(t.db)).length).toBe(versions);
    expect((await listTriggers(t.db)).length).toBe(triggers);
  });

  it('an A/B test started during the run: nothing is registered, the run fails', async () => {
    const first = await runRetrain(t.db, config, { model: 'baseline', seed: 1 });
    const data = await loadRatingsData(t.db);
    const other = await fitAndRegister(t.db, {
      model: createModel('baseline'),
      data,
      seed: 5,
      reason: 'manual',
    });
    const versions = (await listVersions(t.db)).length;
    const r = await runRetrain(t.db, config, {
      model: 'baseline',
      seed: 2,
      onStep: async (s) => {
        if (s === 'final-fit') await startAbTest(t.db, { challengerVersion: other.version.version });
      },
    });
    expect(r.status).toBe('failed');
    expect(r.outcome).toMatch(/not registered: A\/B test #\d+/);
    expect(r.newVersion).toBeNull();
    expect((await listVersions(t.db)).length).toBe(versions);
    expect(await championVersion(t.db)).toBe(first.newVersion);
  });

  it('a deploy that fails after registering leaves the version discarded, not usable-looking', async () => {
    await runRetrain(t.db, config, { model: 'baseline', seed: 1 });
    const data = await loadRatingsData(t.db);
    const other = await fitAndRegister(t.db, {
      model: createModel('baseline'),
      data,
      seed: 5,
      reason: 'manual',
    });
    const r = await runRetrain(t.db, config, {
      model: 'baseline',
      seed: 2,
      onStep: async (s) => {
        if (s === 'deploy') await startAbTest(t.db, { challengerVersion: other.version.version });
      },
    });
    expect(r.status).toBe('failed');
    expect(r.newVersion).not.toBeNull();
    expect(r.outcome).toMatch(new RegExp(`v${r.newVersion} marked discarded`));
    expect((await getVersion(t.db, r.newVersion!)).status).toBe('discarded');
  });

  it('with a champion, the new version goes into an A/B test against it', async () => {
    const first = await runRetrain(t.db, config, { model: 'baseline', seed: 1 });
    const second = await runRetrain(t.db, config, { model: 'baseline', seed: 2, abTraffic: 0.3 });
    expect(second.deploy?.action).toBe('ab-test');
    const test = await getRunningAbTest(t.db);
    expect(test?.id).toBe(second.deploy?.abTestId);
    expect(test?.championVersion).toBe(first.newVersion);
    expect(test?.challengerVersion).toBe(second.newVersion);
    expect(test?.traffic).toBe(0.3);
    expect(await championVersion(t.db)).toBe(first.newVersion);
    const [trigger] = await listTriggers(t.db);
    expect(trigger?.abTestId).toBe(test?.id);
    expect(trigger?.outcome).toMatch(/A\/B test #\d+ started/);
  });

  it('a step that fails is recorded with its error; the champion and the lock are left as they were', async () => {
    const first = await runRetrain(t.db, config, { model: 'baseline', seed: 1 });
    const r = await runRetrain(t.db, config, { model: 'no-such-model' });
    expect(r.status).toBe('failed');
    expect(r.outcome).toMatch(/failed in step fit: unknown model "no-such-model"/);
    expect(r.steps.find((s) => s.step === 'fit')?.status).toBe('failed');
    expect(await championVersion(t.db)).toBe(first.newVersion);
    expect((await retrainLockState(t.db)).holder).toBeNull();
    const [trigger] = await listTriggers(t.db);
    expect(trigger?.status).toBe('failed');
  });

  for (const step of ['fit', 'deploy'] as const) {
    it(`a retrain killed at step ${step} leaves the champion serving, and the next run takes over and succeeds`, async () => {
      const first = await runRetrain(t.db, config, { model: 'baseline', seed: 1 });
      const p = await startUntil(t.location, step);
      p.kill('SIGKILL');
      await new Promise((resolve) => p.once('close', resolve));
      expect(await championVersion(t.db)).toBe(first.newVersion);
      const [dead] = await listTriggers(t.db);
      expect(dead?.status).toBe('running');
      expect((await retrainLockState(t.db)).holder).not.toBeNull();
      // Within staleAfterSeconds the dead run still blocks; after it, it is taken over.
      await expect(runRetrain(t.db, config, { model: 'baseline' })).rejects.toThrow(
        /already running|another retrain/,
      );
      const later = Date.now() + (config.staleAfterSeconds + 1) * 1000;
      const next = await runRetrain(t.db, config, {
        model: 'baseline',
        activateIfBetter: true,
        clock: () => later,
      });
      expect(next.status).toBe('succeeded');
      const triggers = await listTriggers(t.db);
      expect(triggers.find((x) => x.id === dead?.id)?.status).toBe('abandoned');
      const steps = await listSteps(t.db, dead!.id);
      expect(steps.find((s) => s.step === step)?.status).toBe('abandoned');
      expect((await retrainLockState(t.db)).holder).toBeNull();
    });
  }

  for (const step of ['fit', 'deploy'] as const) {
    it(`the same trigger run again after its run was killed at step ${step} registers one version`, async () => {
      const first = await runRetrain(t.db, config, { model: 'baseline', seed: 1 });
      const p = await startUntil(t.location, step);
      p.kill('SIGKILL');
      await new Promise((resolve) => p.once('close', resolve));
      const [dead] = await listTriggers(t.db);
      const registeredBefore = (await listVersions(t.db)).length;
      const later = Date.now() + (config.staleAfterSeconds + 1) * 1000;
      const again = await runRetrain(t.db, config, { triggerId: dead!.id, clock: () => later });
      expect(again.status, again.error ?? '').toBe('succeeded');
      expect(again.tookOverFrom).not.toBeNull();
      const versions = await listVersions(t.db);
      // Killed at fit nothing was registered: this run registers one. Killed at deploy the dead
      // run had registered its version: this run deploys that one and registers none.
      expect(versions.length).toBe(step === 'fit' ? registeredBefore + 1 : registeredBefore);
      expect(versions.filter((v) => v.version !== first.newVersion).map((v) => v.version)).toEqual([
        again.newVersion,
      ]);
      expect(again.deploy?.action).toBe('ab-test');
      const steps = await listSteps(t.db, dead!.id);
      expect(steps.map((s) => s.status)).toEqual(Array(steps.length).fill('done'));
      expect((await listTriggers(t.db)).find((x) => x.id === dead!.id)?.status).toBe('succeeded');
      expect((await retrainLockState(t.db)).holder).toBeNull();
    });
  }
});
