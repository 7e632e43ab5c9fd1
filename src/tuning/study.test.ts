import { describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/databases.ts';
import { MedianPruner } from './median-pruner.ts';
import { BayesianSampler } from './samplers/bayesian-sampler.ts';
import { GridSampler } from './samplers/grid-sampler.ts';
import { TpeSampler } from './samplers/tpe-sampler.ts';
import type { SearchSpace } from './search-space.ts';
import { SqlTuningStorage } from './sql-tuning-storage.ts';
import { createStudy, type Objective, TrialPruned } from './study.ts';

const space: SearchSpace = {
  params: {
    x: { type: 'float', low: -4, high: 4 },
    y: { type: 'float', low: -4, high: 4 },
  },
};

/** A bowl with its minimum 0 at (1, -2). */
const bowl: Objective = (trial) => {
  const x = trial.params.x as number;
  const y = trial.params.y as number;
  return (x - 1) ** 2 + (y + 2) ** 2;
};

describe('createStudy().optimize in memory', () => {
  it('minimises any function and keeps the best trial', async () => {
    const study = await createStudy({ space, seed: 7 });
    const result = await study.optimize(bowl, { nTrials: 30 });
    expect(result.trials).toHaveLength(30);
    expect(result.run.status).toBe('complete');
    const values = result.trials.map((t) => t.value!);
    expect(result.best?.value).toBe(Math.min(...values));
    expect(result.best!.value!).toBeLessThan(2);
  });

  it('proposes the same configurations for the same seed, and others for another', async () => {
    const paramsOf = async (seed: number) =>
      (await (await createStudy({ space, seed })).optimize(bowl, { nTrials: 5 })).trials.map((t) => t.params);
    expect(await paramsOf(3)).toEqual(await paramsOf(3));
    expect(await paramsOf(3)).not.toEqual(await paramsOf(4));
  });

  it('maximises with a model-based sampler and beats its own random start-up', async () => {
    const study = await createStudy({
      space,
      sampler: new TpeSampler(),
      direction: 'maximize',
      seed: 1,
    });
    const negated: Objective = async (trial) => -(await bowl(trial));
    const result = await study.optimize(negated, { nTrials: 40 });
    const firstTen = Math.max(...result.trials.slice(0, 10).map((t) => t.value!));
    expect(result.best!.value!).toBeGreaterThan(firstTen);
  });

  it('stops when the sampler runs out (a finished grid)', async () => {
    const grid = new GridSampler([
      { x: 0, y: 0 },
      { x: 1, y: -2 },
    ]);
    const result = await (await createStudy({ space, sampler: grid })).optimize(bowl, { nTrials: 10 });
    expect(result.trials.map((t) => t.value)).toEqual([5, 0]);
    expect(result.best?.params).toEqual({ x: 1, y: -2 });
  });

  it('stores pruned trials with their last reported value, and goes on', async () => {
    const study = await createStudy({
      space,
      seed: 2,
      pruner: new MedianPruner({ startupTrials: 3, warmupSteps: 0 }),
    });
    const curve: Objective = (trial) => {
      const final = bowl(trial) as number;
      for (let step = 1; step <= 4; step++) {
        trial.report(step, final + 4 - step);
        if (trial.shouldPrune()) throw new TrialPruned();
      }
      return final;
    };
    const result = await study.optimize(curve, { nTrials: 15 });
    const pruned = result.trials.filter((t) => t.state === 'pruned');
    expect(pruned.length).toBeGreaterThan(0);
    for (const t of pruned) expect(t.value).toBe(t.intermediateValues.at(-1)!.value);
    expect(result.trials.filter((t) => t.state === 'complete').length).toBeGreaterThanOrEqual(3);
  });

  it('fails the trial and the study when the objective throws, and rethrows', async () => {
    const study = await createStudy({ space });
    await expect(
      study.optimize(
        () => {
          throw new Error('diverged');
        },
        { nTrials: 3 },
      ),
    ).rejects.toThrow('diverged');
    const [trial] = await study.trials();
    expect(trial).toMatchObject({ state: 'failed', error: 'diverged' });
    expect((await study.storage.getRun(study.run.id))!.status).toBe('failed');
  });

  it('rejects a trial count that is not a whole number ≥ 1', async () => {
    const study = await createStudy({ space });
    await expect(study.optimize(bowl, { nTrials: 0 })).rejects.toThrow(
      /nTrials must be a whole number ≥ 1, got 0/,
    );
  });

  it('runs ask and tell by hand, with a non-finite value failing only its trial', async () => {
    const study = await createStudy({ space, seed: 5 });
    const a = (await study.ask())!;
    const b = (await study.ask())!;
    await study.tell(b, Number.NaN);
    await study.tell(a, 3);
    const trials = await study.trials();
    expect(trials.map((t) => [t.number, t.state, t.value])).toEqual([
      [0, 'complete', 3],
      [1, 'failed', null],
    ]);
    expect((await study.bestTrial())?.number).toBe(0);
  });
});

describeEachDatabase('createStudy().optimize in a database', (kind) => {
  it('stores the study as a run, and a second study of the same name warm-starts from it', async () => {
    const test = await kind.create();
    try {
      const storage = new SqlTuningStorage(test.db);
      const first = await createStudy({
        space,
        storage,
        name: 'bowl',
        sampler: new BayesianSampler(),
        seed: 1,
      });
      const result = await first.optimize(bowl, { nTrials: 6 });
      const stored = await storage.getRun(result.run.id);
      expect(stored).toMatchObject({ status: 'complete', trialsDone: 6, model: 'bowl', method: 'bayesian' });
      expect(stored!.bestValue).toBe(result.best!.value);
      const second = await createStudy({
        space,
        storage,
        name: 'bowl',
        sampler: new BayesianSampler(),
        seed: 1,
      });
      const again = await second.optimize(bowl, { nTrials: 1 });
      // Warm-started: the first proposal is not the cold start's first point.
      expect(again.trials[0]!.params).not.toEqual(result.trials[0]!.params);
    } finally {
      await test.drop();
    }
  });
});
