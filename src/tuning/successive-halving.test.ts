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
  rungShares,
  runSuccessiveHalving,
  shareOfRatings,
} from './successive-halving.ts';

const space: SearchSpace = {
  params: {
    n_factors: { type: 'int', low: 5, high: 20 },
    n_epochs: { type: 'int', low: 5, high: 15 },
    lr_all: { type: 'float', low: 0.002, high: 0.05, log: true },
    reg_all: { type: 'float', low: 0.01, high: 0.3, log: true },
  },
};

it('puts rungs at powers of 1/eta up to all the data, and refuses other shares', () => {
  expect(rungShares(3, 1 / 9)).toEqual([1 / 9, 1 / 3, 1]);
  expect(rungShares(2, 1)).toEqual([1]);
  expect(() => rungShares(3, 0.2)).toThrow(/power of 1\/eta/);
  expect(() => rungShares(1, 0.5)).toThrow(/eta/);
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

  it('promotes the best 1/eta to the next share, records each trial’s fidelity and refits the best', async () => {
    const result = await runSuccessiveHalving(t.db, {
      model: 'svd',
      method: 'random',
      trials: 4,
      eta: 2,
      minShare: 1 / 2,
      space,
      seed: 5,
      workers: 0,
      folds: 2,
      bestOut: join(dir, 'best_hp.json'),
    });
    expect(result.rungs.map((r) => r.run.config.fidelity?.share)).toEqual([1 / 2, 1]);
    const [first, second] = result.rungs;
    const storage = new SqlTuningStorage(t.db);
    const firstTrials = await storage.listTrials(first!.run.id);
    const secondTrials = await storage.listTrials(second!.run.id);
    expect(firstTrials.length).toBeGreaterThanOrEqual(4);
    expect(firstTrials.every((tr) => tr.fidelity === 0.5)).toBe(true);
    expect(secondTrials.every((tr) => tr.fidelity === 1)).toBe(true);
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
