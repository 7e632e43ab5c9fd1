import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { SqlTuningStorage } from './sql-tuning-storage.ts';
import { withFreshCurves } from './trial-job.ts';

const metrics = {
  accuracy: 0.6,
  rmse: 0.9,
  mae: 0.7,
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
};

describeEachDatabase('a queued trial', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
  });
  afterEach(async () => t.drop());

  it("prunes against the run's complete curves as they are when a worker starts it", async () => {
    const storage = new SqlTuningStorage(t.db);
    const run = await storage.createRun({
      method: 'random',
      model: 'svd',
      objective: 'accuracy',
      direction: 'maximize',
      dataFingerprint: 'fp',
      trialsPlanned: 5,
      config: { seed: 1, folds: 3, space: {}, pruner: { startupTrials: 1, warmupSteps: 1 } },
      owner: 'h:1:a',
      now: 1,
    });
    const curve = (v: number) => [
      { step: 1, value: v },
      { step: 2, value: v + 0.01 },
    ];
    for (const [n, state] of [
      [0, 'complete'],
      [1, 'pruned'],
      [2, 'complete'],
    ] as const) {
      await storage.startTrial(run.id, { lr: n }, 2);
      await storage.finishTrial(
        run.id,
        n,
        state === 'complete'
          ? { state, value: 0.6, metrics, intermediateValues: curve(n / 10), durationMs: 5 }
          : {
              state,
              value: 0.4,
              metrics: null,
              intermediateValues: [{ step: 1, value: 0.4 }],
              durationMs: 5,
            },
        3,
      );
    }
    // Queued when only trial 0 had completed; trial 2 completed before a worker took it.
    const queued = {
      number: 3,
      params: { lr: 3 },
      prune: { startupTrials: 1, warmupSteps: 1, completed: [curve(0)] },
    };
    const task = await withFreshCurves(t.db, { runId: run.id, task: queued });
    expect(task.prune?.completed).toEqual([curve(0), curve(0.2)]);
    expect(task.params).toEqual(queued.params);
    // Nothing newer, or no pruning: the task as it was queued.
    const current = { ...queued, prune: { ...queued.prune, completed: [curve(0), curve(0.2)] } };
    expect(await withFreshCurves(t.db, { runId: run.id, task: current })).toBe(current);
    const unpruned = { ...queued, prune: null };
    expect(await withFreshCurves(t.db, { runId: run.id, task: unpruned })).toBe(unpruned);
  });
});
