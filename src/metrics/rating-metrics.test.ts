import { describe, expect, it } from 'vitest';
import { halfStarScale, wholeStarScale } from '../data/rating-scale.ts';
import {
  calibrateCutoff,
  likedAccuracy,
  mae,
  majorityBaselineAccuracy,
  ratingMetrics,
  rmse,
} from './rating-metrics.ts';

describe('rating metrics against hand-computed cases', () => {
  const actual = [4, 2, 5, 3];
  const predicted = [3.5, 2.5, 4, 3];
  it('rmse and mae', () => {
    // errors 0.5, -0.5, 1, 0 → squares 0.25 + 0.25 + 1 + 0 = 1.5; /4 = 0.375
    expect(rmse(actual, predicted)).toBeCloseTo(Math.sqrt(0.375), 12);
    // |errors| 0.5 + 0.5 + 1 + 0 = 2; /4
    expect(mae(actual, predicted)).toBeCloseTo(0.5, 12);
    expect(rmse([], [])).toBeNaN();
    expect(() => rmse([1], [1, 2])).toThrow(/predicted has 2 values/);
  });
  it('liked accuracy on the threshold of the scale', () => {
    // threshold 4: actual liked = T F T F; predicted ≥ 4 = F F T F → 3 of 4 right
    expect(likedAccuracy(actual, predicted, 4)).toBe(0.75);
    // with cut-off 3.5 predictions T F T F → all right
    expect(likedAccuracy(actual, predicted, 4, 3.5)).toBe(1);
  });
  it('majority baseline: the training majority class applied to the test ratings', () => {
    // train liked (≥3.5): 4, 5, 3.5 of 4 → majority liked; test liked: 4 of [4, 1, 2] → 1/3
    expect(majorityBaselineAccuracy([4, 5, 3.5, 1], [4, 1, 2], 3.5)).toBeCloseTo(1 / 3, 12);
    expect(majorityBaselineAccuracy([1, 1, 4], [4, 1, 2], 3.5)).toBeCloseTo(2 / 3, 12);
  });
  it('ratingMetrics takes the like line from the scale', () => {
    const m = ratingMetrics(actual, predicted, { scale: wholeStarScale, trainActual: [5, 5, 1] });
    expect(m.threshold).toBe(4);
    expect(m.accuracy).toBe(0.75);
    expect(m.baselineAccuracy).toBe(0.5);
    expect(ratingMetrics([3.5], [3.5], { scale: halfStarScale, trainActual: [1] }).threshold).toBe(3.5);
  });
});

describe('calibrateCutoff', () => {
  it('finds the line that separates liked from not liked on training pairs', () => {
    // Predictions shrunk towards the mean: every liked rating is predicted ≥ 3.3, others ≤ 3.2.
    const actual = [4, 4.5, 5, 2, 3, 1];
    const predicted = [3.3, 3.4, 3.9, 3.2, 3.1, 2.5];
    const cut = calibrateCutoff(actual, predicted, 3.5);
    expect(cut).toBeGreaterThan(3.2);
    expect(cut).toBeLessThanOrEqual(3.3);
    expect(likedAccuracy(actual, predicted, 3.5, cut)).toBe(1);
    expect(likedAccuracy(actual, predicted, 3.5)).toBeCloseTo(4 / 6, 12);
  });
  it('keeps the threshold when it is already best', () => {
    expect(calibrateCutoff([4, 1], [4.2, 2], 3.5)).toBe(3.5);
    expect(calibrateCutoff([], [], 3.5)).toBe(3.5);
  });
});
