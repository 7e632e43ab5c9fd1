import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TrialMetrics } from './objective.ts';
import type { NewRun, TuningStorage } from './tuning-storage.ts';

const metrics = (accuracy: number, rmse: number): TrialMetrics => ({
  accuracy,
  rmse,
  mae: rmse * 0.8,
  baselineAccuracy: 0.5,
  precision: null,
  recall: null,
  ndcg: null,
  map: null,
  hitRate: null,
  coverage: null,
  fitSeconds: 0.1,
  predictSeconds: 0.01,
  folds: 3,
});

const newRun = (over: Partial<NewRun> = {}): NewRun => ({
  method: 'random',
  model: 'svd',
  objective: 'accuracy',
  direction: 'maximize',
  dataFingerprint: 'fp1',
  trialsPlanned: 5,
  config: { seed: 1, folds: 3, space: {}, pruner: null },
  owner: 'host:1:a',
  now: Date.UTC(2026, 10, 26, 16, 57, 47, 13),
  ...over,
});

/**
 * The storage contract every TuningStorage passes (on SQLite and PostgreSQL): per-run trial
 * numbers, immutable finished trials, run summary kept with each finish, single owner, warm-start
 * query scoped to model + data + objective, reusable measurements scoped to the folds too. It is
 * long because it lists one case per rule of the contract.
 */
export function runTuningStorageContract(
  make: () => Promise<{ storage: TuningStorage; drop(): Promise<void> }>,
): void {
  let storage: TuningStorage;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    ({ storage, drop } = await make());
  });
  afterEach(async () => drop());

  it('creates runs with ids like bayesian_20261126_165747_013, distinct in the same millisecond', async () => {
    const a = await storage.createRun(newRun({ method: 'bayesian' }));
    const b = await storage.createRun(newRun({ method: 'bayesian' }));
    expect(a.id).toBe('bayesian_20261126_165747_013');
    expect(b.id).not.toBe(a.id);
    expect(a).toMatchObject({ status: 'running', trialsDone: 0, bestValue: null, trialsPlanned: 5 });
    expect(a.config).toEqual(newRun().config);
  });

  it('numbers trials 0, 1, 2… per run and keeps the best with ties broken by rmse', async () => {
    const run = await storage.createRun(newRun());
    const other = await storage.createRun(newRun());
    const t0 = await storage.startTrial(run.id, { lr: 0.01 }, 1);
    const t1 = await storage.startTrial(run.id, { lr: 0.02 }, 2);
    const u0 = await storage.startTrial(other.id, { lr: 0.03 }, 3);
    expect([t0.number, t1.number, u0.number]).toEqual([0, 1, 0]);
    expect(t0.state).toBe('running');
    await storage.finishTrial(
      run.id,
      0,
      {
        state: 'complete',
        value: 0.6,
        metrics: metrics(0.6, 0.9),
        intermediateValues: [{ step: 1, value: 0.55 }],
        durationMs: 10,
      },
      5,
    );
    await storage.finishTrial(
      run.id,
      1,
      { state: 'complete', value: 0.6, metrics: metrics(0.6, 0.85), intermediateValues: [], durationMs: 11 },
      6,
    );
    const after = (await storage.getRun(run.id))!;
    expect(after).toMatchObject({
      trialsDone: 2,
      bestValue: 0.6,
      bestTrialNumber: 1,
      bestParams: { lr: 0.02 },
    });
    const trials = await storage.listTrials(run.id);
    expect(trials.map((t) => [t.number, t.state, t.value])).toEqual([
      [0, 'complete', 0.6],
      [1, 'complete', 0.6],
    ]);
    expect(trials[0]!.intermediateValues).toEqual([{ step: 1, value: 0.55 }]);
    expect(trials[0]!.metrics?.rmse).toBe(0.9);
  });

  it('never changes a finished trial: complete, pruned or failed', async () => {
    const run = await storage.createRun(newRun());
    for (let i = 0; i < 3; i++) await storage.startTrial(run.id, { i }, 1);
    await storage.finishTrial(
      run.id,
      0,
      { state: 'complete', value: 0.5, metrics: metrics(0.5, 1), intermediateValues: [], durationMs: 1 },
      2,
    );
    await storage.finishTrial(
      run.id,
      1,
      {
        state: 'pruned',
        value: 0.4,
        metrics: null,
        intermediateValues: [{ step: 3, value: 0.4 }],
        durationMs: 1,
      },
      2,
    );
    await storage.finishTrial(run.id, 2, { state: 'failed', error: 'boom' }, 2);
    for (const n of [0, 1, 2]) {
      await expect(
        storage.finishTrial(
          run.id,
          n,
          { state: 'complete', value: 0.9, metrics: null, intermediateValues: [], durationMs: 1 },
          3,
        ),
      ).rejects.toThrow(/never changes/);
    }
    const trials = await storage.listTrials(run.id);
    expect(trials.map((t) => [t.state, t.value, t.error])).toEqual([
      ['complete', 0.5, null],
      ['pruned', 0.4, null],
      ['failed', null, 'boom'],
    ]);
    expect((await storage.getRun(run.id))!.trialsDone).toBe(2);
    await expect(storage.finishTrial(run.id, 9, { state: 'failed', error: 'x' }, 3)).rejects.toThrow(
      /no trial 9/,
    );
  });

  it('lets one owner at a time work a run; a stale or forced claim takes over; running trials can be failed', async () => {
    const run = await storage.createRun(newRun({ now: 1000 }));
    await storage.startTrial(run.id, { a: 1 }, 1000);
    expect(await storage.claimRun(run.id, 'host:2:b', 1500, 500)).toBe(false);
    expect(await storage.heartbeat(run.id, 'host:1:a', 1600)).toBe(true);
    expect(await storage.claimRun(run.id, 'host:2:b', 2000, 1700)).toBe(true);
    expect(await storage.heartbeat(run.id, 'host:1:a', 2100)).toBe(false);
    expect(await storage.claimRun(run.id, 'host:3:c', 2200, 0, true)).toBe(true);
    expect(await storage.failRunningTrials(run.id, 'stale heartbeat', 2300)).toEqual([0]);
    const [t] = await storage.listTrials(run.id);
    expect(t).toMatchObject({ state: 'failed', error: 'stale heartbeat' });
    const retry = await storage.startTrial(run.id, { a: 1 }, 2400, 0);
    expect(retry).toMatchObject({ number: 1, retryOf: 0 });
    await expect(storage.claimRun('nope', 'x', 1, 0)).rejects.toThrow(/no tuning run nope/);
  });

  it('records the fidelity each trial ran at (full unless given) and refuses one outside (0, 1]', async () => {
    const fidelity = { share: 1 / 9, epochShare: 1 / 3, rung: 0, rungs: 3, eta: 3, promotedFrom: null };
    const run = await storage.createRun(newRun({ config: { ...newRun().config, fidelity } }));
    expect((await storage.getRun(run.id))?.config.fidelity).toEqual(fidelity);
    const full = await storage.startTrial(run.id, { a: 1 }, 1);
    const low = await storage.startTrial(run.id, { a: 2 }, 2, null, { share: 1 / 9, epochShare: 1 / 3 });
    expect([full.fidelity, full.epochShare]).toEqual([1, 1]);
    expect(low.fidelity).toBeCloseTo(1 / 9, 12);
    expect(low.epochShare).toBeCloseTo(1 / 3, 12);
    await storage.finishTrial(
      run.id,
      low.number,
      { state: 'complete', value: 0.7, metrics: metrics(0.7, 0.9), intermediateValues: [], durationMs: 5 },
      3,
    );
    const listed = await storage.listTrials(run.id);
    expect(listed.map((t) => [t.number, t.fidelity, t.epochShare])).toEqual([
      [0, 1, 1],
      [1, low.fidelity, low.epochShare],
    ]);
    for (const bad of [
      { share: 0, epochShare: 1 },
      { share: 1.5, epochShare: 1 },
    ])
      await expect(storage.startTrial(run.id, { a: 3 }, 4, null, bad)).rejects.toThrow(/fidelity must/);
    for (const bad of [
      { share: 1, epochShare: 0 },
      { share: 1, epochShare: 2 },
    ])
      await expect(storage.startTrial(run.id, { a: 3 }, 4, null, bad)).rejects.toThrow(/epoch fidelity/);
    expect(await storage.listTrials(run.id)).toHaveLength(2);
  });

  it('reuses and warm-starts only from trials fitted at the same share of their epochs', async () => {
    const third = { share: 1 / 3, epochShare: 1 / 3 };
    const low = await storage.createRun(newRun({ now: 1000 }));
    const full = await storage.createRun(newRun({ now: 2000 }));
    const current = await storage.createRun(newRun({ now: 3000 }));
    for (const [run, fidelity, value] of [
      [low, third, 0.6],
      [full, { share: 1 / 3, epochShare: 1 }, 0.8],
    ] as const) {
      await storage.startTrial(run.id, { lr: 0.1 }, 1, null, fidelity);
      await storage.finishTrial(
        run.id,
        0,
        { state: 'complete', value, metrics: metrics(value, 0.9), intermediateValues: [], durationMs: 1 },
        2,
      );
    }
    const filter = { model: 'svd', dataFingerprint: 'fp1', objective: 'accuracy', excludeRunId: current.id };
    expect(await storage.priorTrials(filter)).toEqual([{ params: { lr: 0.1 }, value: 0.8 }]);
    expect(await storage.priorTrials({ ...filter, epochShare: 1 / 3 })).toEqual([
      { params: { lr: 0.1 }, value: 0.6 },
    ]);
    const measured = (epochShare?: number) =>
      storage
        .measuredTrials({ ...filter, folds: 3, ...(epochShare === undefined ? {} : { epochShare }) })
        .then((m) => m.map((x) => x.trial.runId));
    expect(await measured()).toEqual([full.id]);
    expect(await measured(1 / 3)).toEqual([low.id]);
    expect(await measured(1 / 9)).toEqual([]);
  });

  it('finishes runs and lists them newest first, by model', async () => {
    const a = await storage.createRun(newRun({ now: 1000 }));
    const b = await storage.createRun(newRun({ now: 2000, model: 'baseline' }));
    await storage.finishRun(a.id, 'complete', 3000);
    expect(await storage.getRun(a.id)).toMatchObject({ status: 'complete', endedAt: 3000 });
    expect((await storage.listRuns()).map((r) => r.id)).toEqual([b.id, a.id]);
    expect((await storage.listRuns({ model: 'svd' })).map((r) => r.id)).toEqual([a.id]);
  });

  it('returns prior complete trials of the same model, data and objective only', async () => {
    const a = await storage.createRun(newRun({ now: 1000 }));
    const other = await storage.createRun(newRun({ now: 2000, dataFingerprint: 'fp2' }));
    const current = await storage.createRun(newRun({ now: 3000 }));
    for (const run of [a, other, current]) {
      await storage.startTrial(run.id, { lr: 0.1 }, 1);
      await storage.finishTrial(
        run.id,
        0,
        { state: 'complete', value: 0.7, metrics: metrics(0.7, 0.9), intermediateValues: [], durationMs: 1 },
        2,
      );
      await storage.startTrial(run.id, { lr: 0.2 }, 1);
      await storage.finishTrial(
        run.id,
        1,
        { state: 'pruned', value: 0.1, metrics: null, intermediateValues: [], durationMs: 1 },
        2,
      );
    }
    const prior = await storage.priorTrials({
      model: 'svd',
      dataFingerprint: 'fp1',
      objective: 'accuracy',
      excludeRunId: current.id,
    });
    expect(prior).toEqual([{ params: { lr: 0.1 }, value: 0.7 }]);
  });

  it('returns measured trials of the same model, data, objective and folds, with their metrics', async () => {
    const a = await storage.createRun(newRun({ now: 1000 }));
    const fiveFolds = await storage.createRun(
      newRun({ now: 2000, config: { seed: 1, folds: 5, space: {}, pruner: null } }),
    );
    const current = await storage.createRun(newRun({ now: 3000 }));
    for (const run of [a, fiveFolds, current]) {
      await storage.startTrial(run.id, { lr: 0.1 }, 1);
      await storage.finishTrial(
        run.id,
        0,
        { state: 'complete', value: 0.7, metrics: metrics(0.7, 0.9), intermediateValues: [], durationMs: 1 },
        2,
      );
    }
    await storage.startTrial(a.id, { lr: 0.2 }, 1);
    await storage.finishTrial(a.id, 1, { state: 'failed', error: 'boom' }, 2);
    const measured = await storage.measuredTrials({
      model: 'svd',
      dataFingerprint: 'fp1',
      objective: 'accuracy',
      folds: 3,
      excludeRunId: current.id,
    });
    expect(measured.map((m) => [m.trial.runId, m.trial.number, m.folds])).toEqual([[a.id, 0, 3]]);
    expect(measured[0]?.trial.metrics?.accuracy).toBe(0.7);
  });
}
