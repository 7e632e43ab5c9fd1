import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { halfStarScale } from './rating-scale.ts';
import { type RatingsData, ratingsDataFrom } from './ratings-data.ts';
import {
  kFoldSplits,
  kthSmallest,
  materializeSplit,
  perUserHoldoutSplit,
  randomHoldoutSplit,
  temporalSplit,
} from './splits.ts';

function sample(n: number, users = 10): RatingsData {
  const rows = Array.from({ length: n }, (_, i) => ({
    user: (i % users) + 1,
    movie: 100 + i,
    rating: 0.5 + (i % 10) * 0.5,
    timestamp: 1_000 * i,
  }));
  return ratingsDataFrom(rows, halfStarScale);
}

describe('kFoldSplits', () => {
  const data = sample(103);
  it('tests every row exactly once, with fold sizes differing by at most one', () => {
    const folds = kFoldSplits(data, { folds: 5, seed: 7 });
    expect(folds).toHaveLength(5);
    const seen = new Uint8Array(data.size);
    for (const f of folds) {
      expect(f.trainIndices.length + f.testIndices.length).toBe(data.size);
      expect([20, 21]).toContain(f.testIndices.length);
      for (const i of f.testIndices) seen[i]! += 1;
      const train = new Set(f.trainIndices);
      for (const i of f.testIndices) expect(train.has(i)).toBe(false);
    }
    expect([...seen].every((c) => c === 1)).toBe(true);
  });
  it('same seed gives the same folds, another seed other folds', () => {
    const a = kFoldSplits(data, { folds: 5, seed: 7 });
    const b = kFoldSplits(data, { folds: 5, seed: 7 });
    const c = kFoldSplits(data, { folds: 5, seed: 8 });
    expect(a).toEqual(b);
    expect(a[0]!.testIndices).not.toEqual(c[0]!.testIndices);
  });
  it('is shuffled, not contiguous', () => {
    const [first] = kFoldSplits(data, { folds: 5, seed: 1 });
    const t = first!.testIndices;
    expect(t[t.length - 1]! - t[0]!).toBeGreaterThan(t.length);
  });
  it('rejects bad fold counts, naming the field', () => {
    expect(() => kFoldSplits(data, { folds: 1, seed: 1 })).toThrow(InvalidInputError);
    expect(() => kFoldSplits(data, { folds: 2.5, seed: 1 })).toThrow(/folds/);
    expect(() => kFoldSplits(sample(3), { folds: 5, seed: 1 })).toThrow(/folds/);
  });
});

describe('randomHoldoutSplit', () => {
  it('holds out the fraction asked, deterministically', () => {
    const data = sample(200);
    const a = randomHoldoutSplit(data, { testFraction: 0.25, seed: 3 });
    expect(a.testIndices.length).toBe(50);
    expect(a.trainIndices.length).toBe(150);
    expect(randomHoldoutSplit(data, { testFraction: 0.25, seed: 3 })).toEqual(a);
    expect(() => randomHoldoutSplit(data, { testFraction: 1, seed: 3 })).toThrow(/testFraction/);
  });
});

describe('perUserHoldoutSplit', () => {
  it('holds out n ratings of each user with enough ratings, none of the others', () => {
    const rows = [
      ...Array.from({ length: 8 }, (_, i) => ({ user: 1, movie: i, rating: 3 })),
      ...Array.from({ length: 3 }, (_, i) => ({ user: 2, movie: i, rating: 3 })),
    ];
    const data = ratingsDataFrom(rows, halfStarScale);
    const split = perUserHoldoutSplit(data, { perUser: 2, minTrain: 2, seed: 5 });
    const { test } = materializeSplit(data, split);
    expect(test.size).toBe(2);
    expect([...test.users]).toEqual([1, 1]);
    expect(perUserHoldoutSplit(data, { perUser: 2, minTrain: 2, seed: 5 })).toEqual(split);
  });
});

describe('kthSmallest', () => {
  it('gives what sorting gives at index k, duplicates and sorted runs included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 40 }), { minLength: 1, maxLength: 300 }),
        fc.nat(),
        fc.boolean(),
        (ints, pick, sortedInput) => {
          const values = Float64Array.from(ints, (v) => v * 1.5);
          if (sortedInput) values.sort();
          const k = pick % values.length;
          const want = Float64Array.from(values).sort()[k];
          expect(kthSmallest(values, k)).toBe(want);
        },
      ),
      { seed: 13, numRuns: 300 },
    );
  });

  it('refuses an index outside the values', () => {
    expect(() => kthSmallest(new Float64Array(3), 3)).toThrow(/k must be an index of the 3 values, got 3/);
  });
});

describe('temporalSplit', () => {
  it('trains strictly before the cut and tests from it', () => {
    const data = sample(50);
    const split = temporalSplit(data, { at: 20_000 });
    const { train, test } = materializeSplit(data, split);
    expect(train.size).toBe(20);
    expect(Math.max(...train.timestamps)).toBeLessThan(20_000);
    expect(Math.min(...test.timestamps)).toBe(20_000);
  });
  it('finds the cut from a fraction', () => {
    const split = temporalSplit(sample(100), { testFraction: 0.1 });
    expect(split.testIndices.length).toBe(10);
    expect([...split.testIndices]).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
  });
});
