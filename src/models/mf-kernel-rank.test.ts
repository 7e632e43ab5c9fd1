import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.ts';
import { fusedKernelModule, KernelArena, maddArithmetic } from './mf-kernel.ts';
import { FactorRanker, type RankingFactors, type RankRequest, rankUsersJs } from './mf-kernel-rank.ts';

/** Random factors of k factors in rows of k4; a few movies share a score exactly (ties). */
function randomFactors(seed: number, nUsers: number, nMovies: number, k: number): RankingFactors {
  const rng = new Rng(seed);
  const k4 = (k + 3) & ~3;
  const userFactors = new Float32Array(nUsers * k4);
  const itemFactors = new Float32Array(nMovies * k4);
  for (let u = 0; u < nUsers; u++) for (let f = 0; f < k; f++) userFactors[u * k4 + f] = rng.normal(0, 0.3);
  for (let i = 0; i < nMovies; i++) for (let f = 0; f < k; f++) itemFactors[i * k4 + f] = rng.normal(0, 0.3);
  // Movies 5 and 17 are copies of movie 2: every user scores the three alike.
  for (const copy of [5, 17]) itemFactors.copyWithin(copy * k4, 2 * k4, 3 * k4);
  const itemBias = Float32Array.from({ length: nMovies }, (_, i) =>
    i === 5 || i === 17 ? 0 : rng.normal(0, 0.2),
  );
  itemBias[2] = 0;
  const userBase = Float32Array.from({ length: nUsers }, () => 3.5 + rng.normal(0, 0.3));
  return { k4, nUsers, nMovies, userFactors, userBase, itemFactors, itemBias };
}

/** Users in a shuffled order (some twice), each excluding a random handful of movies. */
function randomRequest(seed: number, f: RankingFactors, n: number): RankRequest {
  const rng = new Rng(seed);
  const users = Int32Array.from({ length: n }, () => rng.int(f.nUsers));
  const exStart = new Int32Array(n + 1);
  const ex: number[] = [];
  for (let j = 0; j < n; j++) {
    const m = rng.int(12);
    for (let t = 0; t < m; t++) ex.push(rng.int(f.nMovies));
    exStart[j + 1] = ex.length;
  }
  return { users, exStart, exMovies: Int32Array.from(ex) };
}

describe('the batched top-k kernel', () => {
  for (const [label, threads, fused] of [
    ['one thread', 1, true],
    ['two threads', 2, true],
    ['two threads of the plain SIMD build', 2, false],
  ] as const) {
    it(`picks exactly the TypeScript reference's top-k on ${label} (ties, exclusions, odd sizes)`, () => {
      // 203 movies: the last panel is partial; 10 factors in rows of 12; 601 users: several chunks
      // of 256, the last one not a multiple of 4.
      const f = randomFactors(7, 300, 203, 10);
      const request = randomRequest(8, f, 601);
      const k = 7;
      // Capacity below the request: several batches.
      const ranker = new FactorRanker(f, k, { users: 400, exclusions: 3000, fused });
      const got = ranker.rank(request, threads);
      const want = rankUsersJs(f, request, k, ranker.arithmetic);
      expect(Array.from(got.movies)).toEqual(Array.from(want.movies));
      expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
      // The tie of movies 2, 5 and 17 did come up, and was broken towards the smaller index.
      let tied = 0;
      for (let j = 0; j < request.users.length; j++) {
        const row = Array.from(got.movies.subarray(j * k, (j + 1) * k));
        if (row.includes(17)) {
          tied++;
          const excluded = new Set(request.exMovies.subarray(request.exStart[j]!, request.exStart[j + 1]!));
          for (const smaller of [2, 5]) if (!excluded.has(smaller)) expect(row).toContain(smaller);
        }
      }
      expect(tied).toBeGreaterThan(0);
    });
  }

  it("ranks batches of one to three users alone, with exactly the reference's lists", () => {
    // 197 movies: 25 panels, an odd count, so the one-user path's last panel runs alone; 208: 26.
    for (const movies of [197, 208]) {
      const f = randomFactors(11, 50, movies, 10);
      const ranker = new FactorRanker(f, 9, { users: 8, exclusions: 64 });
      for (const n of [1, 2, 3]) {
        const request = randomRequest(20 + n, f, n);
        const got = ranker.rank(request, 1);
        const want = rankUsersJs(f, request, 9, ranker.arithmetic);
        expect(Array.from(got.movies)).toEqual(Array.from(want.movies));
        expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
      }
    }
  });

  it("ranks one user on two threads, half the catalogue each, with exactly the reference's list", () => {
    // 197 movies: 25 panels, the partner takes panels 12…24. Movie 150 (the partner's half) is a
    // copy of movie 2 (this thread's): their tie must still go to movie 2.
    const f = randomFactors(13, 80, 197, 10);
    f.itemFactors.copyWithin(150 * f.k4, 2 * f.k4, 3 * f.k4);
    f.itemBias[150] = f.itemBias[2]!;
    const ranker = new FactorRanker(f, 9, { users: 4, exclusions: 64 });
    let tied = 0;
    for (let j = 0; j < 80; j++) {
      const request = randomRequest(100 + j, f, 1);
      const got = ranker.rank(request, 2);
      const want = rankUsersJs(f, request, 9, ranker.arithmetic);
      expect(Array.from(got.movies)).toEqual(Array.from(want.movies));
      expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
      if (got.movies.includes(150)) tied++;
    }
    expect(ranker.oneUserSplits).toBe(80);
    expect(tied).toBeGreaterThan(0);
    // One thread when asked: no split.
    ranker.rank(randomRequest(1, f, 1), 1);
    expect(ranker.oneUserSplits).toBe(80);
    // Fewer candidates than k in each half: the list is padded with -1 as on one thread.
    const small = randomFactors(3, 4, 9, 4);
    const request: RankRequest = {
      users: Int32Array.of(1),
      exStart: Int32Array.of(0, 3),
      exMovies: Int32Array.of(0, 1, 8),
    };
    const smallRanker = new FactorRanker(small, 8, { users: 1, exclusions: 3 });
    const got = smallRanker.rank(request, 2);
    expect(smallRanker.oneUserSplits).toBe(1);
    expect(Array.from(got.movies)).toEqual(
      Array.from(rankUsersJs(small, request, 8, smallRanker.arithmetic).movies),
    );
    expect(Array.from(got.movies.subarray(6))).toEqual([-1, -1]);
  });

  it('pads a user with fewer candidates than k with -1, and never returns an excluded movie', () => {
    const f = randomFactors(3, 4, 9, 4);
    const all = Int32Array.from({ length: 9 }, (_, i) => i);
    const request: RankRequest = {
      users: Int32Array.from([0, 1]),
      exStart: Int32Array.from([0, 6, 6]),
      exMovies: all.subarray(0, 6),
    };
    const ranker = new FactorRanker(f, 5, { users: 2, exclusions: 6 });
    const got = ranker.rank(request);
    expect(Array.from(got.movies.subarray(3, 5))).toEqual([-1, -1]);
    expect(Array.from(got.movies.subarray(0, 3)).sort()).toEqual([6, 7, 8]);
    expect(Array.from(got.movies)).toEqual(Array.from(rankUsersJs(f, request, 5, ranker.arithmetic).movies));
  });

  it('ranks with the fused build where the engine has relaxed SIMD, and with the plain one when asked', () => {
    const module = fusedKernelModule();
    // Node 20 has relaxed SIMD behind a flag the kernel module sets; later versions have it on.
    expect(module).not.toBeNull();
    const f = randomFactors(3, 4, 9, 4);
    const fusedRanker = new FactorRanker(f, 3, { users: 4, exclusions: 4 });
    // Whether the engine fuses is the CPU's affair (FMA); the ranker reports what the kernel does.
    expect(fusedRanker.arithmetic).toBe(maddArithmetic(new KernelArena(1024, module!).kernel));
    expect(new FactorRanker(f, 3, { users: 4, exclusions: 4, fused: false }).arithmetic).toBe('separate');
  });

  it('says which user does not fit its capacity', () => {
    const f = randomFactors(3, 4, 9, 4);
    const request: RankRequest = {
      users: Int32Array.from([2]),
      exStart: Int32Array.from([0, 5]),
      exMovies: Int32Array.from([0, 1, 2, 3, 4]),
    };
    expect(() => new FactorRanker(f, 3, { users: 4, exclusions: 4 }).rank(request)).toThrow(
      /user 2 excludes 5 movies, more than the ranker's capacity of 4/,
    );
  });
});
