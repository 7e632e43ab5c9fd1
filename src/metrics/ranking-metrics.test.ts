import { describe, expect, it } from 'vitest';
import { averagePrecisionAtK, ndcgAtK, precisionAtK, rankingMetrics, recallAtK } from './ranking-metrics.ts';

describe('ranking metrics against hand-computed cases', () => {
  // Ranked list 10, 20, 30, 40, 50; relevant 20, 40, 99 (99 never recommended).
  const ranked = [10, 20, 30, 40, 50];
  const relevant = new Set([20, 40, 99]);
  it('precision and recall at k', () => {
    expect(precisionAtK(ranked, relevant, 5)).toBeCloseTo(2 / 5, 12);
    expect(precisionAtK(ranked, relevant, 2)).toBeCloseTo(1 / 2, 12);
    expect(recallAtK(ranked, relevant, 5)).toBeCloseTo(2 / 3, 12);
    expect(recallAtK(ranked, new Set(), 5)).toBeNaN();
    // A short list still counts k slots.
    expect(precisionAtK([20], relevant, 4)).toBe(0.25);
  });
  it('NDCG at k', () => {
    // DCG = 1/log2(3) + 1/log2(5); ideal (3 relevant, k=5) = 1 + 1/log2(3) + 1/2
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
    const ideal = 1 + 1 / Math.log2(3) + 0.5;
    expect(ndcgAtK(ranked, relevant, 5)).toBeCloseTo(dcg / ideal, 12);
    // k=2: DCG = 1/log2(3); ideal = 1 + 1/log2(3)
    expect(ndcgAtK(ranked, relevant, 2)).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 12);
    expect(ndcgAtK([20, 40, 99], relevant, 3)).toBeCloseTo(1, 12);
  });
  it('average precision at k', () => {
    // hits at ranks 2 and 4: (1/2 + 2/4) / min(5, 3) = 1/3
    expect(averagePrecisionAtK(ranked, relevant, 5)).toBeCloseTo(1 / 3, 12);
    // k=2: (1/2) / min(2, 3) = 1/4
    expect(averagePrecisionAtK(ranked, relevant, 2)).toBeCloseTo(0.25, 12);
  });
  it('means over users with something relevant; coverage over every list', () => {
    const recs = new Map<number, number[]>([
      [1, [10, 20]],
      [2, [30, 40]],
      [3, [50, 60]], // nothing relevant: not scored, still counted for coverage
    ]);
    const rel = new Map<number, Set<number>>([
      [1, new Set([20])],
      [2, new Set([70])],
    ]);
    const m = rankingMetrics(recs, rel, 2, 10);
    expect(m.users).toBe(2);
    expect(m.precision).toBeCloseTo((0.5 + 0) / 2, 12);
    expect(m.recall).toBeCloseTo((1 + 0) / 2, 12);
    expect(m.hitRate).toBe(0.5);
    expect(m.ndcg).toBeCloseTo(1 / Math.log2(3) / 2, 12);
    expect(m.map).toBeCloseTo(0.5 / 2, 12);
    expect(m.coverage).toBeCloseTo(6 / 10, 12);
    expect(() => rankingMetrics(recs, rel, 0, 10)).toThrow(/k must be/);
  });
});
