import { describe, expect, it } from 'vitest';
import { createModel } from '../models/model-registry.ts';
import { ratingsDataFrom } from './ratings-data.ts';
import { materializeSplit, randomHoldoutSplit } from './splits.ts';
import { createSyntheticWorld } from './synthetic-world.ts';

/**
 * The generator's promise to the rest of the project: its data has structure the models can learn.
 * Trained on 80 % of a generated data set, the baseline beats the global mean and matrix
 * factorisation beats the baseline clearly, on the held-out 20 %.
 */
describe('synthetic data is learnable', () => {
  it('svd < baseline < global mean in held-out RMSE', () => {
    const world = createSyntheticWorld({ users: 400, movies: 300, seed: 21 });
    const rows: { user: number; movie: number; rating: number; timestamp: number }[] = [];
    for (const ur of world.ratingsByUser(40_000, 5)) {
      for (let i = 0; i < ur.movies.length; i++) {
        rows.push({
          user: ur.user,
          movie: ur.movies[i]!,
          rating: ur.ratings[i]!,
          timestamp: ur.timestamps[i]!,
        });
      }
    }
    const data = ratingsDataFrom(rows, world.scale);
    const { train, test } = materializeSplit(data, randomHoldoutSplit(data, { seed: 1, testFraction: 0.2 }));
    let mean = 0;
    for (const r of train.ratings) mean += r;
    mean /= train.size;
    const rmse = (predict: (u: number, m: number) => number) => {
      let s = 0;
      for (let i = 0; i < test.size; i++)
        s += (test.ratings[i]! - predict(test.users[i]!, test.movies[i]!)) ** 2;
      return Math.sqrt(s / test.size);
    };
    const globalMean = rmse(() => mean);
    const baseline = createModel('baseline');
    baseline.fit(train);
    const svd = createModel('svd');
    svd.fit(train);
    const baselineRmse = rmse((u, m) => baseline.predict(u, m).rating);
    const svdRmse = rmse((u, m) => svd.predict(u, m).rating);
    // Measured at seed 21: global mean 1.152, baseline 1.057, svd 0.737. Most of the signal is in
    // the taste interaction, which only a factor model can use.
    expect(baselineRmse).toBeLessThan(0.95 * globalMean);
    expect(svdRmse).toBeLessThan(0.8 * baselineRmse);
  });
});
