import { expect, it } from 'vitest';
import { deriveSeed, Rng } from './rng.ts';

it('gives the same stream for the same seed and another for another seed', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xs = Array.from({ length: 5 }, () => a.next());
  expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
  expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
});

it('draws uniform values with the right mean and normals with the right spread', () => {
  const r = new Rng(1);
  let sum = 0;
  let sq = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    expect(u).toBeGreaterThanOrEqual(0);
    expect(u).toBeLessThan(1);
    sum += u;
    const z = r.normal();
    sq += z * z;
  }
  expect(sum / n).toBeCloseTo(0.5, 1);
  expect(sq / n).toBeCloseTo(1, 1);
});

it('derives distinct stable seeds', () => {
  expect(deriveSeed(7, 'fold-1')).toBe(deriveSeed(7, 'fold-1'));
  expect(deriveSeed(7, 'fold-1')).not.toBe(deriveSeed(7, 'fold-2'));
});
