import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.ts';
import { exploreSlots, inclusionProbability, slotDistribution } from './exploration.ts';

describe('exploration', () => {
  it('gives every slot a distribution that sums to 1, whatever the earlier slots took', () => {
    for (const free of [[], [12], [10, 11, 12, 13, 14, 15]]) {
      for (const epsilon of [0, 0.05, 0.5]) {
        const total = slotDistribution(3, free, epsilon).reduce((s, c) => s + c.probability, 0);
        expect(total).toBeCloseTo(1, 12);
      }
    }
  });

  it('records each slot propensity as the frequency with which that slot shows its candidate', () => {
    const policy = { epsilon: 0.2, pool: 10 };
    const rng = new Rng(1);
    const runs = 20_000;
    let kept = 0;
    let poolAtSlot0 = 0;
    const shownAnywhere = new Array<number>(20).fill(0);
    for (let r = 0; r < runs; r++) {
      const slots = exploreSlots(5, 15, policy, rng);
      expect(slots.map((s) => s.index).sort((a, b) => a - b)).toEqual(
        [...new Set(slots.map((s) => s.index))].sort((a, b) => a - b),
      );
      if (slots[0]!.index === 0) kept += 1;
      if (slots[0]!.index === 7) poolAtSlot0 += 1;
      for (const s of slots) shownAnywhere[s.index]! += 1;
      expect(slots[0]!.propensity).toBeCloseTo(slots[0]!.explored ? 0.2 / 10 : 0.8, 12);
    }
    expect(kept / runs).toBeGreaterThan(0.79);
    expect(kept / runs).toBeLessThan(0.81);
    expect(poolAtSlot0 / runs).toBeGreaterThan(0.015);
    expect(poolAtSlot0 / runs).toBeLessThan(0.025);
    // Inclusion: 1 − ε for the top n, n·ε/pool for a pool movie.
    expect(inclusionProbability(2, 5, 15, policy)).toBeCloseTo(0.8, 12);
    expect(inclusionProbability(9, 5, 15, policy)).toBeCloseTo(0.1, 12);
    expect(shownAnywhere[2]! / runs).toBeGreaterThan(0.79);
    expect(shownAnywhere[9]! / runs).toBeGreaterThan(0.09);
    expect(shownAnywhere[9]! / runs).toBeLessThan(0.11);
  });

  it('with ε = 0 shows the ranker’s list unchanged and draws nothing', () => {
    const rng = new Rng(3);
    const before = new Rng(3).next();
    const slots = exploreSlots(10, 60, { epsilon: 0, pool: 50 }, rng);
    expect(slots.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(slots.every((s) => s.propensity === 1 && s.inclusion === 1 && !s.explored)).toBe(true);
    expect(rng.next()).toBe(before);
  });

  it('does not explore a list whose pool is smaller than the list', () => {
    const slots = exploreSlots(10, 14, { epsilon: 0.5, pool: 50 }, new Rng(2));
    expect(slots.every((s) => !s.explored && s.propensity === 1)).toBe(true);
  });
});
