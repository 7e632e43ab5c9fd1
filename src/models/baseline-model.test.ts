import { describe, expect, it } from 'vitest';
import { wholeStarScale } from '../data/rating-scale.ts';
import { ratingsDataFrom } from '../data/ratings-data.ts';
import { createModel } from './model-registry.ts';
import { describeRatingModelContract } from './rating-model.contract.ts';

describeRatingModelContract('baseline', { seeded: false });
describeRatingModelContract('baseline', { params: { method: 'sgd', n_epochs: 20 }, seeded: false });

describe('baseline', () => {
  // Hand-computed: μ = 3, one ALS epoch with λ_i = λ_u = 1.
  // b_i(A) = ((5−3)+(3−3))/(1+2) = 2/3, b_i(B) = (1−3)/(1+1) = −1;
  // b_u(1) = ((5−3−2/3)+(1−3+1))/(1+2) = (4/3 − 1)/3 = 1/9, b_u(2) = (3−3−2/3)/(1+1) = −1/3.
  const data = ratingsDataFrom(
    [
      { user: 1, movie: 10, rating: 5 },
      { user: 2, movie: 10, rating: 3 },
      { user: 1, movie: 20, rating: 1 },
    ],
    wholeStarScale,
  );

  it('computes ALS biases by hand', () => {
    const m = createModel('baseline', { n_epochs: 1, reg_u: 1, reg_i: 1 });
    m.fit(data);
    expect(m.predict(1, 10).rating).toBeCloseTo(3 + 1 / 9 + 2 / 3, 10);
    expect(m.predict(2, 20).rating).toBeCloseTo(3 - 1 / 3 - 1, 10);
    expect(m.predict(99, 10).rating).toBeCloseTo(3 + 2 / 3, 10);
  });

  it('computes one SGD step by hand', () => {
    const m = createModel('baseline', { method: 'sgd', n_epochs: 1, learning_rate: 0.1, reg: 0 });
    m.fit(
      ratingsDataFrom(
        [
          { user: 1, movie: 10, rating: 5 },
          { user: 2, movie: 20, rating: 3 },
        ],
        wholeStarScale,
      ),
    );
    // μ = 4; first row: e = 1 → b_u(1) = b_i(10) = 0.1.
    expect(m.predict(1, 10).rating).toBeCloseTo(4.2, 10);
  });
});
