import { describe, expect, it } from 'vitest';
import type { ModelParams } from '../models/rating-model.ts';
import type { Direction, SampledTrial, Sampler } from './sampler.ts';
import { encodeParams, isInSpace, paramsKey, type SearchSpace } from './search-space.ts';

/** A mixed space: log float, linear float, int, categorical. */
export const contractSpace: SearchSpace = {
  params: {
    lr: { type: 'float', low: 1e-4, high: 1e-1, log: true },
    reg: { type: 'float', low: 0, high: 0.2 },
    factors: { type: 'int', low: 2, high: 64 },
    init: { type: 'categorical', choices: ['normal', 'uniform', 'zero'] },
  },
  fixed: { epochs: 5 },
};

/** A smooth objective on the encoded cube with its optimum away from the centre. */
export function contractObjective(params: ModelParams): number {
  const [a, b, c, d] = encodeParams(contractSpace, params) as [number, number, number, number];
  return 1 - ((a - 0.8) ** 2 + (b - 0.2) ** 2 + 0.5 * (c - 0.7) ** 2 + 0.1 * (d - 0) ** 2);
}

/** Runs `trials` sequential trials of `sampler` on the contract objective; returns them. */
export function runSequential(
  sampler: Sampler,
  trials: number,
  seed: number,
  direction: Direction = 'maximize',
) {
  const done: SampledTrial[] = [];
  for (let n = 0; n < trials; n++) {
    const params = sampler.sample({
      space: contractSpace,
      direction,
      trials: done,
      prior: [],
      number: n,
      seed,
    });
    if (!params) break;
    const raw = contractObjective(params);
    done.push({ number: n, params, state: 'complete', value: direction === 'maximize' ? raw : -raw });
  }
  return done;
}

/**
 * The sampler contract: every suggestion lies in the space (with the fixed params), is a pure
 * function of its context (same seed and history → same params), never repeats a configuration
 * that is complete or running (pending points are accounted for), and — for the samplers that
 * search rather than enumerate — beats the centre of the space on a smooth objective. It is long
 * because it lists one case per rule.
 */
export function runSamplerContract(
  name: string,
  make: () => Sampler,
  options: { searches?: boolean } = {},
): void {
  describe(`sampler contract: ${name}`, () => {
    it('suggests configurations inside the space, fixed params included', () => {
      for (const t of runSequential(make(), 25, 7)) {
        expect(t.params.epochs).toBe(5);
        for (const [key, spec] of Object.entries(contractSpace.params)) {
          expect(isInSpace(spec, t.params[key]!), `${key}=${String(t.params[key])}`).toBe(true);
        }
      }
    });

    it('is deterministic: same seed and history, same suggestions', () => {
      const a = runSequential(make(), 15, 11).map((t) => paramsKey(t.params));
      const b = runSequential(make(), 15, 11).map((t) => paramsKey(t.params));
      expect(a).toEqual(b);
    });

    it('never repeats a taken configuration, counting pending (running) trials', () => {
      const sampler = make();
      const trials: SampledTrial[] = [];
      // Four workers: every suggestion is made while the previous three are still running.
      for (let n = 0; n < 24; n++) {
        const params = sampler.sample({
          space: contractSpace,
          direction: 'maximize',
          trials,
          prior: [],
          number: n,
          seed: 3,
        });
        if (!params) break;
        trials.push({ number: n, params, state: 'running', value: null });
        const finishing = trials[n - 3];
        if (finishing)
          trials[n - 3] = { ...finishing, state: 'complete', value: contractObjective(finishing.params) };
      }
      const keys = trials.map((t) => paramsKey(t.params));
      expect(new Set(keys).size).toBe(keys.length);
    });

    if (options.searches !== false) {
      it('finds a configuration better than the centre of the space, maximising and minimising', () => {
        const centre = contractObjective({
          lr: 10 ** -2.5,
          reg: 0.1,
          factors: 33,
          init: 'uniform',
          epochs: 5,
        });
        const up = runSequential(make(), 30, 5, 'maximize');
        expect(Math.max(...up.map((t) => t.value!))).toBeGreaterThan(centre);
        const down = runSequential(make(), 30, 5, 'minimize');
        expect(Math.min(...down.map((t) => t.value!))).toBeLessThan(-centre);
      });
    }
  });
}
