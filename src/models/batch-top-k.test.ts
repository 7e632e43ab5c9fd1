import { describe, expect, it } from 'vitest';
import { blockScorer } from './batch-top-k.ts';
import { createModel } from './model-registry.ts';
import { generateStructuredRatings } from './rating-model.contract.ts';

describe('blockScorer of a factor model', () => {
  const data = generateStructuredRatings({ users: 60, movies: 80, perUser: 20, seed: 5 });
  const model = createModel('svd', { n_factors: 8, n_epochs: 5 });
  model.fit(data, { seed: 2 });

  /** Users 1–3, each excluding the movies of their first three training rows. */
  function request(k: number) {
    const users = Int32Array.from([data.users[0]!, data.users[25]!, data.users[50]!]);
    const excludeMovies = Int32Array.from([0, 1, 2, 25, 26, 27, 50, 51, 52].map((r) => data.movies[r]!));
    return { users, excludeStart: Int32Array.from([0, 3, 6, 9]), excludeMovies, k, threads: 1 };
  }

  it('gives the same lists when callers alternate k, without growing its memory at each switch', () => {
    const scorer = blockScorer(model);
    expect(scorer.blocked).toBe(true);
    const first10 = scorer.topK(request(10)).movies;
    const first30 = scorer.topK(request(30)).movies;
    // Each switch of k builds a new ranker; growing its capacity at every switch overflowed the
    // kernel's memory after a few dozen switches.
    for (let i = 0; i < 80; i++) {
      expect(scorer.topK(request(10)).movies).toEqual(first10);
      expect(scorer.topK(request(30)).movies).toEqual(first30);
    }
    expect(first30.subarray(0, 10)).toEqual(first10.subarray(0, 10));
  });
});
