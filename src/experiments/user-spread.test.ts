import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlLatestSmallDir, skipWithoutMlLatestSmall } from '../../test/helpers/data-paths.ts';
import { Rng } from '../random/rng.ts';
import { drawRatingsPerUser, measureUserSpread, mlLatestSmallUsers } from './user-spread.ts';

describe('how much users differ', () => {
  it.skipIf(!mlLatestSmallDir)(
    `the constants are what ml-latest-small's ratings.csv gives (${mlLatestSmallDir ? 'ml-latest-small' : skipWithoutMlLatestSmall})`,
    () => {
      const csv = readFileSync(join(mlLatestSmallDir!, 'ratings.csv'), 'utf8');
      expect(measureUserSpread(csv)).toEqual(mlLatestSmallUsers);
    },
  );

  it('measures per-user spreads net of each user’s sampling noise', () => {
    // Two users whose ratings all equal their level: no sampling noise, so the spread is the levels'.
    const rows = ['userId,movieId,rating,timestamp'];
    for (let m = 1; m <= 30; m++) rows.push(`1,${m},5,0`, `2,${m},3,0`);
    const s = measureUserSpread(rows.join('\n'));
    expect(s.users).toBe(2);
    expect(s.meanRatingsPerUser).toBe(30);
    expect(s.userMeanRatingSd).toBeCloseTo(Math.SQRT2, 3);
    expect(s.likeShareSd).toBeCloseTo(Math.SQRT1_2, 3);
    expect(s.likeShareMean).toBe(0.5);
    expect(() => measureUserSpread('userId,movieId,rating\n1,2,x')).toThrow(/ratings.csv:2/);
  });

  it('draws ratings per user with the real quantiles, heavy tail included', () => {
    const rng = new Rng(5);
    const draws = Array.from({ length: 40_000 }, () => drawRatingsPerUser(mlLatestSmallUsers, rng)).sort(
      (a, b) => a - b,
    );
    const at = (p: number) => draws[Math.floor(p * (draws.length - 1))]!;
    expect(at(0)).toBeGreaterThanOrEqual(20);
    expect(at(1)).toBeLessThanOrEqual(2698);
    expect(at(0.5)).toBeGreaterThan(70.5 * 0.95);
    expect(at(0.5)).toBeLessThan(70.5 * 1.05);
    expect(at(0.9)).toBeGreaterThan(400.3 * 0.93);
    expect(at(0.9)).toBeLessThan(400.3 * 1.07);
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    // The log-linear interpolation keeps the mean near the data's 165.3.
    expect(mean).toBeGreaterThan(165.3 * 0.9);
    expect(mean).toBeLessThan(165.3 * 1.1);
  });
});
