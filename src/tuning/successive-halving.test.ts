import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { generateIntoDatabase } from '../data/generate.ts';
import { loadRatingsData } from '../data/load-ratings.ts';
import type { SearchSpace } from './search-space.ts';
import { SqlTuningStorage } from './sql-tuning-storage.ts';
import {
  bestTrials,
  longestFirst,
  rungFidelities,
  runSuccessiveHalving,
  shareOfRatings,
} from './successive-halving.ts';
import { atEpochShare, evaluateTrial, trialSetupOf } from './trial-evaluation.ts';

const space: SearchSpace = {
  params: {
    n_factors: { type: 'int', low: 5, high: 20 },
    n_epochs: { type: 'int', low: 5, high: 15 },
    lr_all: { type: 'float', low: 0.002, high: 0.05, log: true },
    reg_all: { type: 'float', low: 0.01, high: 0.3, log: true },
  },
};

it('puts rungs at powers of 1/eta up to all the data and epochs, and refuses other shares', () => {
  const shares = (eta: number, min: number, minEpochs?: number) =>
    rungFidelities(eta, min, minEpochs).map((f) => [f.share, f.epochShare]);
  expect(shares(3, 1 / 9)).toEqual([
    [1 / 9, 1],
    [1 / 3, 1],
    [1, 1],
  ]);
  expect(shares(3, 1 / 3, 1 / 3)).toEqual([
    [1 / 3, 1 / 3],
    [1, 1],
  ]);
  // Each share grows from its own start; the one that starts lower sets the number of rungs.
  expect(shares(3, 1 / 3, 1 / 9)).toEqual([
    [1 / 3, 1 / 9],
    [1, 1 / 3],
    [1, 1],
  ]);
  expect(shares(2, 1, 1 / 2)).toEqual([
    [1, 1 / 2],
    [1, 1],
  ]);
  expect(shares(2, 1)).toEqual([[1, 1]]);
  // Typed decimals of a power of 1/eta are taken as that power, exactly.
  expect(shares(3, 0.1111)).toEqual(shares(3, 1 / 9));
  expect(shares(3, 0.33, 0.11)).toEqual(shares(3, 1 / 3, 1 / 9));
  expect(() => rungFidelities(3, 0.3)).toThrow(/min share must be a power of 1\/eta/);
  expect(() => rungFidelities(3, 1 / 3, 0.5)).toThrow(/min epoch share must be a power of 1\/eta/);
  expect(() => rungFidelities(3, 1 / 3, 0)).toThrow(/min epoch share must be in \(0, 1\]/);
  expect(() => rungFidelities(1, 0.5)).toThrow(/eta/);
});

it('fits a share of the epochs, rounded and at least one, and leaves models without epochs alone', () => {
  expect(atEpochShare({ n_factors: 50, n_epochs: 60 }, 1 / 3)).toEqual({ n_factors: 50, n_epochs: 20 });
  expect(atEpochShare({ n_epochs: 8 }, 1 / 3)).toEqual({ n_epochs: 3 });
  expect(atEpochShare({ n_epochs: 1 }, 1 / 9)).toEqual({ n_epochs: 1 });
  expect(atEpochShare({ k: 40 }, 1 / 3)).toEqual({ k: 40 });
  const params = { n_epochs: 7 };
  expect(atEpochShare(params, 1)).toBe(params);
});

describeEachDatabase('successive halving', (kind) => {
  let t: TestDatabase;
  let dir: string;
  beforeEach(async () => {
    t = await kind.create();
    dir = mkdtempSync(join(tmpdir(), 'movienight-halving-'));
    await generateIntoDatabase(t.db, { users: 120, movies: 100, ratings: 3500, seed: 3, scale: 'half' });
  });
  afterEach(async () => {
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes nested seeded shares of the ratings', async () => {
    const data = await loadRatingsData(t.db);
    const half = shareOfRatings(data, 1 / 2, 7);
    const quarter = shareOfRatings(data, 1 / 4, 7);
    expect(half.size).toBeGreaterThan(data.size * 0.45);
    expect(half.size).toBeLessThan(data.size * 0.55);
    const pairs = new Set(Array.from(half.users, (u, i) => `${u}:${half.movies[i]}`));
    expect(Array.from(quarter.users).every((u, i) => pairs.has(`${u}:${quarter.movies[i]}`))).toBe(true);
    expect(shareOfRatings(data, 1 / 2, 7).users).toEqual(half.users);
    expect(shareOfRatings(data, 1, 7)).toBe(data);
  });

  it('fits a trial at its run’s share of the epochs', async () => {
    const data = await loadRatingsData(t.db);
    const run = (epochShare: number) =>
      ({
        model: 'svd',
        objective: 'rmse',
        config: {
          seed: 4,
          folds: 2,
          space: {},
          pruner: null,
          fidelity: { share: 1, epochShare, rung: 0, rungs: 2, eta: 3, promotedFrom: null },
        },
      }) as unknown as Parameters<typeof trialSetupOf>[0];
    const value = async (epochShare: number, n_epochs: number) => {
      const setup = trialSetupOf(run(epochShare), { data, movies: undefined, fingerprint: 'x' });
      const result = await evaluateTrial(setup, {
        number: 0,
        params: { n_factors: 8, n_epochs, lr_all: 0.01, reg_all: 0.05 },
        prune: null,
      });
      return result.state === 'complete' ? result.value : Number.NaN;
    };
    const thirdOfNine = await value(1 / 3, 9);
    expect(thirdOfNine).toBe(await value(1, 3));
    expect(thirdOfNine).not.toBe(await value(1, 9));
  });

  it('promotes the best 1/eta to the next share, records each trial’s fidelity and refits the best', async () => {
    const result = await runSuccessiveHalving(t.db, {
      model: 'svd',
      method: 'random',
      trials: 4,
      eta: 2,
      minShare: 1 / 2,
      minEpochShare: 1 / 2,
      space,
      seed: 5,
      workers: 0,
      folds: 2,
      bestOut: join(dir, 'best_hp.json'),
    });
    expect(result.rungs.map((r) => r.run.config.fidelity?.share)).toEqual([1 / 2, 1]);
    expect(result.rungs.map((r) => r.run.config.fidelity?.epochShare)).toEqual([1 / 2, 1]);
    const [first, second] = result.rungs;
    const storage = new SqlTuningStorage(t.db);
    const firstTrials = await storage.listTrials(first!.run.id);
    const secondTrials = await storage.listTrials(second!.run.id);
    expect(firstTrials.length).toBeGreaterThanOrEqual(4);
    expect(firstTrials.every((tr) => tr.fidelity === 0.5 && tr.epochShare === 0.5)).toBe(true);
    expect(secondTrials.every((tr) => tr.fidelity === 1 && tr.epochShare === 1)).toBe(true);
    // The second rung measures exactly the best half of the first rung's complete trials, the
    // slowest of them first.
    const promoted = longestFirst(bestTrials(firstTrials, first!.run.direction, secondTrials.length));
    expect(secondTrials.map((tr) => tr.params)).toEqual(promoted.map((tr) => tr.params));
    expect(promoted[0]!.durationMs).toBeGreaterThanOrEqual(promoted[promoted.length - 1]!.durationMs!);
    expect(second!.run.config.fidelity?.promotedFrom).toBe(first!.run.id);
    expect(result.best?.runId).toBe(second!.run.id);
    expect(result.version?.params).toMatchObject(result.best?.trial.params ?? { missing: true });
    expect(result.version?.tuningRunId).toBe(second!.run.id);
  });
});
