import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.ts';
import { isOnScale } from './rating-scale.ts';
import { createSyntheticWorld, type SyntheticWorld } from './synthetic-world.ts';

function collect(world: SyntheticWorld, total: number, seed: number) {
  const rows: [number, number, number, number][] = [];
  for (const ur of world.ratingsByUser(total, seed)) {
    for (let i = 0; i < ur.movies.length; i++)
      rows.push([ur.user, ur.movies[i]!, ur.ratings[i]!, ur.timestamps[i]!]);
  }
  return rows;
}

describe('createSyntheticWorld', () => {
  it('gives the same world and ratings for the same seed, other ones for another seed', () => {
    const a = createSyntheticWorld({ users: 50, movies: 80, seed: 7 });
    const b = createSyntheticWorld({ users: 50, movies: 80, seed: 7 });
    const c = createSyntheticWorld({ users: 50, movies: 80, seed: 8 });
    expect(b.catalogue()).toEqual(a.catalogue());
    expect(b.userFactors).toEqual(a.userFactors);
    expect(collect(b, 1000, 3)).toEqual(collect(a, 1000, 3));
    expect(collect(c, 1000, 3)).not.toEqual(collect(a, 1000, 3));
    expect(collect(a, 1000, 4)).not.toEqual(collect(a, 1000, 3));
  });

  it('draws exactly the requested count of distinct pairs, on the scale, in time order per user', () => {
    for (const scale of ['half', 'whole'] as const) {
      const w = createSyntheticWorld({ users: 40, movies: 60, seed: 1, scale });
      const rows = collect(w, 2000, 9);
      expect(rows.length).toBe(2000);
      expect(new Set(rows.map(([u, m]) => u * 1000 + m)).size).toBe(2000);
      for (const [u, m, r, t] of rows) {
        if (!isOnScale(w.scale, r)) throw new Error(`rating ${r} off the ${scale} scale`);
        if (u < 1 || u > 40 || m < 1 || m > 60) throw new Error(`id out of range: ${u}, ${m}`);
        if (t < w.startTime || t >= w.endTime || t % 1000 !== 0) throw new Error(`bad timestamp ${t}`);
      }
      for (let i = 1; i < rows.length; i++) {
        if (rows[i]![0] === rows[i - 1]![0] && rows[i]![3] < rows[i - 1]![3])
          throw new Error('not in time order');
      }
    }
    // Dense: every pair rated once.
    expect(collect(createSyntheticWorld({ users: 5, movies: 7, seed: 2 }), 35, 1).length).toBe(35);
    expect(() => collect(createSyntheticWorld({ users: 5, movies: 7, seed: 2 }), 36, 1)).toThrow(
      /users × movies/,
    );
  });

  it('has a long-tail popularity and plausible titles with years and genres', () => {
    const w = createSyntheticWorld({ users: 300, movies: 500, seed: 5 });
    const perMovie = new Int32Array(501);
    for (const [, m] of collect(w, 20_000, 1)) perMovie[m] = perMovie[m]! + 1;
    const sorted = [...perMovie.slice(1)].sort((a, b) => b - a);
    const top10 = sorted.slice(0, 50).reduce((s, v) => s + v, 0);
    expect(top10 / 20_000).toBeGreaterThan(0.25); // top 10% of movies get over a quarter of ratings
    for (const m of w.catalogue()) {
      expect(m.title).toMatch(/^[A-Z].* \((\d{4})\)$/);
      expect(m.title.endsWith(`(${m.year})`)).toBe(true);
      expect(m.genres.length).toBeGreaterThan(0);
    }
  });

  it('has structure a model can learn: the hidden model explains most of the variance', () => {
    const w = createSyntheticWorld({ users: 300, movies: 400, seed: 11 });
    const rows = collect(w, 30_000, 2);
    const mean = rows.reduce((s, r) => s + r[2], 0) / rows.length;
    let sGlobal = 0;
    let sTrue = 0;
    for (const [u, m, r] of rows) {
      sGlobal += (r - mean) ** 2;
      sTrue += (r - w.trueRating(u, m)) ** 2;
    }
    const rmseGlobal = Math.sqrt(sGlobal / rows.length);
    const rmseTrue = Math.sqrt(sTrue / rows.length);
    expect(rmseGlobal).toBeGreaterThan(0.9);
    expect(rmseTrue).toBeLessThan(0.6 * rmseGlobal);
    // And drawRating is trueRating plus noise: away from the ends of the scale (where rounding
    // clamps) its average over many draws is close to it.
    let m = 1;
    while (Math.abs(w.trueRating(3, m) - 3) > 0.5) m += 1;
    const rng = new Rng(1);
    let avg = 0;
    for (let i = 0; i < 4000; i++) avg += w.drawRating(3, m, rng);
    expect(Math.abs(avg / 4000 - w.trueRating(3, m))).toBeLessThan(0.05);
  });

  it('shifts tastes with withDrift and leaves the original world alone', () => {
    const w = createSyntheticWorld({ users: 200, movies: 100, seed: 3 });
    const before = Float32Array.from(w.userFactors);
    const d = w.withDrift({ seed: 1, fraction: 0.5, strength: 1 });
    expect(w.userFactors).toEqual(before);
    expect(d.catalogue()).toBe(w.catalogue());
    let moved = 0;
    for (let u = 0; u < 200; u++) if (d.userFactors[u * 8] !== w.userFactors[u * 8]) moved += 1;
    expect(moved).toBeGreaterThan(70);
    expect(moved).toBeLessThan(130);
    expect(w.withDrift({ seed: 1, fraction: 0.5, strength: 1 }).userFactors).toEqual(d.userFactors);
    expect(w.withDrift({ seed: 1, strength: 0 }).userFactors).toEqual(w.userFactors);
  });

  it('refuses bad options naming them', () => {
    expect(() => createSyntheticWorld({ users: 0, movies: 5, seed: 1 })).toThrow(
      /users must be a whole number/,
    );
    expect(() => createSyntheticWorld({ users: 5, movies: 5, seed: 1.5 })).toThrow(/seed/);
    expect(() => createSyntheticWorld({ users: 5, movies: 5, seed: 1, scale: 'tenths' as 'half' })).toThrow(
      /scale/,
    );
    expect(() => createSyntheticWorld({ users: 5, movies: 5, seed: 1 }).trueRating(6, 1)).toThrow(/user 6/);
  });
});
