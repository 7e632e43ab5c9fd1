import { describe, expect, it } from 'vitest';
import type { ModelParams } from '../../models/rating-model.ts';
import { contractObjective, contractSpace, runSamplerContract, runSequential } from '../sampler.contract.ts';
import type { SampledTrial } from '../sampler.ts';
import { paramsKey } from '../search-space.ts';
import { BayesianSampler } from './bayesian-sampler.ts';
import { fitGaussianProcess } from './gaussian-process.ts';
import { buildGrid, GridSampler } from './grid-sampler.ts';
import { RandomSampler } from './random-sampler.ts';
import { TpeSampler } from './tpe-sampler.ts';

const centre: ModelParams = { lr: 0.003, reg: 0.1, factors: 32, init: 'uniform', epochs: 5 };

runSamplerContract('random', () => new RandomSampler());
// Fewer EI candidates than the default keep the suite quick; the search logic is the same.
runSamplerContract('bayesian', () => new BayesianSampler({ candidates: 300, localSteps: 20 }));
runSamplerContract('tpe', () => new TpeSampler());
runSamplerContract('grid', () => new GridSampler(buildGrid(contractSpace, centre)), { searches: false });

describe('grid', () => {
  it('has 3 values × 4 params = 81 distinct points around the centre, and stops after them', () => {
    const points = buildGrid(contractSpace, centre);
    expect(points).toHaveLength(81);
    expect(new Set(points.map(paramsKey)).size).toBe(81);
    expect(paramsKey(points[0]!)).toBe(paramsKey(centre));
    const trials = runSequential(new GridSampler(points), 100, 1);
    expect(trials).toHaveLength(81);
  });

  it('keeps the centre as a grid value even at the edge of a range (the others go inside)', () => {
    const edge = { ...centre, lr: 0.1, factors: 2 };
    const points = buildGrid(contractSpace, edge);
    expect(points).toHaveLength(81);
    expect(points.map(paramsKey)).toContain(paramsKey(edge));
    expect(new Set(points.map((p) => p.lr)).size).toBe(3);
  });

  it('enumerates an explicit grid as given', () => {
    const points = buildGrid(
      { ...contractSpace, grid: { factors: [8, 16], reg: [0.01, 0.02, 0.05] } },
      centre,
    );
    expect(points).toHaveLength(6);
    expect(new Set(points.map((p) => p.lr))).toEqual(new Set([0.003]));
  });
});

describe('bayesian', () => {
  it('uses prior results from the first trial: no random start-up when history exists', () => {
    const prior = runSequential(new RandomSampler(), 12, 99).map((t) => ({
      params: t.params,
      value: t.value!,
    }));
    const best = Math.max(...prior.map((p) => p.value));
    const sampler = new BayesianSampler();
    const first = sampler.sample({
      space: contractSpace,
      direction: 'maximize',
      trials: [],
      prior,
      number: 0,
      seed: 1,
    })!;
    const randomFirst = new RandomSampler().sample({
      space: contractSpace,
      direction: 'maximize',
      trials: [],
      prior: [],
      number: 0,
      seed: 1,
    });
    expect(paramsKey(first)).not.toBe(paramsKey(randomFirst));
    // Guided by the prior, 8 trials reach the prior's best or better.
    const trials: { number: number; params: ModelParams; state: 'complete'; value: number }[] = [];
    for (let n = 0; n < 8; n++) {
      const params = sampler.sample({
        space: contractSpace,
        direction: 'maximize',
        trials,
        prior,
        number: n,
        seed: 1,
      })!;
      trials.push({ number: n, params, state: 'complete', value: contractObjective(params) });
    }
    expect(Math.max(...trials.map((t) => t.value))).toBeGreaterThanOrEqual(best - 1e-9);
  });

  it('cost-aware: goes to the cheap one of two good regions, and is cost-blind until it has durations', () => {
    const space = { params: { x: { type: 'float' as const, low: 0, high: 1 } } };
    // Two peaks of nearly equal height; the one at 0.8 costs e^4.5 ≈ 90 times the one at 0.2.
    const value = (x: number) =>
      0.95 * Math.exp(-(((x - 0.2) / 0.1) ** 2)) + Math.exp(-(((x - 0.8) / 0.1) ** 2));
    const durationMs = (x: number) => 1000 * Math.exp(7.5 * x);
    const seen = [0.02, 0.12, 0.3, 0.42, 0.58, 0.7, 0.88, 0.98];
    const trials: SampledTrial[] = seen.map((x, number) => ({
      number,
      params: { x },
      state: 'complete' as const,
      value: value(x),
      durationMs: durationMs(x),
    }));
    const propose = (costAware: boolean, seed: number, history = trials) =>
      new BayesianSampler({ costAware }).sample({
        space,
        direction: 'maximize',
        trials: history,
        prior: [],
        number: history.length,
        seed,
      })?.x as number;
    for (const seed of [1, 2, 3]) {
      expect(propose(false, seed)).toBeGreaterThan(0.6);
      expect(propose(true, seed)).toBeLessThan(0.4);
    }
    // With fewer than three durations known, the ranking is expected improvement alone.
    const untimed = trials.map((t, i) => (i < 6 ? { ...t, durationMs: null } : t));
    expect(propose(true, 4, untimed)).toBe(propose(false, 4, untimed));
  });

  it('the GP interpolates what it has seen and is uncertain far from it', () => {
    const xs = [[0.1], [0.3], [0.5], [0.7], [0.9]];
    const ys = xs.map(([x]) => Math.sin(6 * x!));
    const gp = fitGaussianProcess(xs, ys);
    const at = gp.predict([0.5]);
    expect(at.mean).toBeCloseTo(Math.sin(3), 1);
    expect(gp.predict([0.4]).std).toBeGreaterThan(at.std);
  });
});
