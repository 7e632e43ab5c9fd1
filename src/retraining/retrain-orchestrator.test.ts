import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { loadConfig } from '../config.ts';
import { generateIntoDatabase } from '../data/generate.ts';
import { getRunningAbTest } from '../experiments/ab-tests.ts';
import { championVersion } from '../registry/champion.ts';
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
    expect(r.comparison?.holdoutRows).toBe(400);
    const [trigger] = await listTriggers(t.db);
    expect(trigger?.status).toBe('succeeded');
    expect(trigger?.newVersion).toBe(r.newVersion);
    expect((await retrainLockState(t.db)).holder).toBeNull();
  });

  it('with --activate-if-better the offline comparison decides', async () => {
    const first = await runRetrain(t.db, config, { model: 'baseline', seed: 1 });
    const second = await runRetrain(t.db, config, { model: 'baseline', seed: 1, activateIfBetter: true });
    expect(second.status).toBe('succeeded');
    // The same model on nearly the same data is no 5 % better: the champion stays.
    expect(second.deploy?.action).toBe('kept-champion');
    expect(second.comparison?.champion).not.toBeNull();
    expect(await championVersion(t.db)).toBe(first.newVersion);
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
});
