import { describe, expect, it } from 'vitest';
import { materializeSplit, randomHoldoutSplit } from '../data/splits.ts';
import { InvalidInputError } from '../errors.ts';
import { rmse } from '../metrics/rating-metrics.ts';
import type { BlendModel } from './blend-model.ts';
import { ridgeFit } from './blend-model.ts';
import { createModel } from './model-registry.ts';
import { describeRatingModelContract, generateStructuredRatings } from './rating-model.contract.ts';

describeRatingModelContract('blend', { params: { models: 'baseline,knn-baseline', holdout: 0.2 } });

describe('ridgeFit', () => {
  it('recovers exact weights without a penalty', () => {
    const x1 = Float32Array.from([1, 2, 3, 4, 5]);
    const x2 = Float32Array.from([2, 1, 0, 1, 3]);
    const y = Float32Array.from(x1.map((v, k) => 0.5 + 2 * v - 1 * x2[k]!));
    const { weights, intercept } = ridgeFit([x1, x2], y, 0);
    expect(weights[0]).toBeCloseTo(2, 5);
    expect(weights[1]).toBeCloseTo(-1, 5);
    expect(intercept).toBeCloseTo(0.5, 5);
  });
  it('shrinks weights with the penalty (one column, by hand)', () => {
    // Centred x = [-1, 0, 1], y = 2x → Σxy = 4, Σx² = 2; w = 4 / (2 + λ·n) with λ = 1, n = 3 → 0.8.
    const { weights, intercept } = ridgeFit([Float32Array.from([0, 1, 2])], Float32Array.from([1, 3, 5]), 1);
    expect(weights[0]).toBeCloseTo(0.8, 6);
    expect(intercept).toBeCloseTo(3 - 0.8 * 1, 6);
  });
});

describe('blend', () => {
  const data = generateStructuredRatings({ users: 120, movies: 150, perUser: 40, seed: 21 });
  it('weights the better member more and is at least as good as its best member on held-out data', () => {
    const { train, test } = materializeSplit(data, randomHoldoutSplit(data, { testFraction: 0.2, seed: 2 }));
    const m = createModel('blend', { models: 'popularity,knn-baseline', holdout: 0.2 }) as BlendModel;
    m.fit(train, { seed: 1 });
    const knn = createModel('knn-baseline');
    knn.fit(train);
    const error = (model: typeof knn) => rmse(test.ratings, model.predictMany(test.users, test.movies));
    expect(error(m)).toBeLessThan(error(knn) * 1.01);
    const w = m.blendWeights.members;
    expect(w.find((x) => x.kind === 'knn-baseline')!.weight).toBeGreaterThan(
      w.find((x) => x.kind === 'popularity')!.weight,
    );
  });
  it('rejects unknown members and bad member parameters, naming them', () => {
    expect(() => createModel('blend', { models: 'baseline,nope' })).toThrow(/nope/);
    expect(() => createModel('blend', { models: 'blend' })).toThrow(InvalidInputError);
    expect(() => createModel('blend', { models: 'baseline,baseline' })).toThrow(/twice/);
    expect(() => createModel('blend', { models: 'baseline', member_params: '{"svd":{}}' })).toThrow(/svd/);
    expect(() => createModel('blend', { models: 'baseline', member_params: '{' })).toThrow(/member_params/);
  });
});
