import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIntoDatabase } from '../data/generate.ts';
import { loadRatingsData } from '../data/load-ratings.ts';
import { kFoldSplits } from '../data/splits.ts';
import { openDatabase } from '../db/open-database.ts';
import type { TrialMetrics } from './objective.ts';
import { evaluateTrial, type TrialResult, type TrialSetup } from './trial-evaluation.ts';
import { createTrialPool, type TrialPool } from './trial-pool.ts';

let setup: TrialSetup;
let pool: TrialPool;

beforeAll(async () => {
  const db = await openDatabase(':memory:');
  await generateIntoDatabase(db, { users: 120, movies: 100, ratings: 3500, seed: 5, scale: 'half' });
  const data = await loadRatingsData(db);
  await db.close();
  setup = {
    kind: 'svd',
    objective: 'accuracy',
    data,
    splits: kFoldSplits(data, { folds: 3, seed: 5 }),
    seed: 5,
  };
  pool = createTrialPool(setup, 2);
});
afterAll(async () => pool?.close());

/** The measured parts of a result: everything but the clock. */
function measured(r: TrialResult) {
  if (r.state !== 'complete') return r;
  const { fitSeconds: _f, predictSeconds: _p, ...metrics } = r.metrics as TrialMetrics;
  return { number: r.number, state: r.state, value: r.value, metrics };
}

describe('the trial pool', () => {
  it("runs an unpruned trial's folds on two workers with the result of running them in order", async () => {
    const task = { number: 4, params: { n_factors: 12, n_epochs: 15, lr_all: 0.01 }, prune: null };
    const [spread, other] = await Promise.all([
      pool.run(task),
      pool.run({ ...task, number: 5, params: { n_factors: 30, n_epochs: 5 } }),
    ]);
    const inOrder = await evaluateTrial(setup, task);
    expect(spread.state).toBe('complete');
    expect(measured(spread)).toEqual(measured(inOrder));
    expect(spread.durationMs).toBeGreaterThan(0);
    expect(other).toMatchObject({ number: 5, state: 'complete' });
    expect(measured(other)).not.toEqual({ ...measured(spread), number: 5 });
  });

  it("fails a trial with its fold's error, and goes on with the next trial", async () => {
    const bad = await pool.run({ number: 7, params: { n_factors: -3 }, prune: null });
    expect(bad.state).toBe('failed');
    expect(bad.state === 'failed' && bad.error).toMatch(/n_factors/);
    const good = await pool.run({ number: 8, params: { n_factors: 5, n_epochs: 3 }, prune: null });
    expect(good.state).toBe('complete');
  });

  it('runs a pruned trial whole, its curve reported from the first fold', async () => {
    const prune = { startupTrials: 5, warmupSteps: 1, completed: [] };
    const r = await pool.run({ number: 9, params: { n_factors: 8, n_epochs: 4 }, prune });
    expect(r.state).toBe('complete');
    expect(r.intermediateValues.map((v) => v.step)).toEqual([1, 2, 3, 4]);
  });
});
