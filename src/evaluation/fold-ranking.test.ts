import { describe, expect, it } from 'vitest';
import { mlLatestSmallDir, skipWithoutMlLatestSmall } from '../../test/helpers/data-paths.ts';
import { likeThreshold } from '../data/rating-scale.ts';
import type { RatingsData } from '../data/ratings-data.ts';
import { readMovieLens } from '../data/read-movielens.ts';
import { kFoldSplits, materializeSplit } from '../data/splits.ts';
import { type RankingMetrics, rankingMetrics } from '../metrics/ranking-metrics.ts';
import { blockScorer } from '../models/batch-top-k.ts';
import { createModel } from '../models/model-registry.ts';
import type { RatingModel } from '../models/rating-model.ts';
import { rankFold } from './fold-ranking.ts';

/**
 * The per-user path ranking had before the batched one: each user's `recommend` over the movies
 * they did not rate in training, one user at a time. Kept here as the reference.
 */
function perUserLists(model: RatingModel, train: RatingsData, users: readonly number[], k: number) {
  const seen = new Map<number, Set<number>>();
  for (let r = 0; r < train.size; r++) {
    const u = train.users[r]!;
    let set = seen.get(u);
    if (!set) {
      set = new Set();
      seen.set(u, set);
    }
    set.add(train.movies[r]!);
  }
  return new Map(
    users.map((u) => [
      u,
      model.recommend(u, { n: k, exclude: seen.get(u) ?? new Set() }).map((r) => r.movieId),
    ]),
  );
}

function perUserMetrics(
  model: RatingModel,
  train: RatingsData,
  test: RatingsData,
  k: number,
): RankingMetrics {
  const threshold = likeThreshold(test.scale);
  const relevant = new Map<number, Set<number>>();
  for (let i = 0; i < test.size; i++) {
    if (test.ratings[i]! < threshold) continue;
    const set = relevant.get(test.users[i]!) ?? new Set();
    set.add(test.movies[i]!);
    relevant.set(test.users[i]!, set);
  }
  const users = [...relevant.keys()].sort((a, b) => a - b);
  return rankingMetrics(perUserLists(model, train, users, k), relevant, k, new Set(train.movies).size);
}

describe.skipIf(!mlLatestSmallDir)(
  `batched ranking on ml-latest-small, against the per-user path${mlLatestSmallDir ? '' : ` (${skipWithoutMlLatestSmall})`}`,
  () => {
    for (const [kind, blocked] of [
      ['svd', true],
      ['baseline', false],
    ] as const) {
      it(`${kind}: the same top-10 lists and metrics`, async () => {
        const { ratings, movies } = await readMovieLens(mlLatestSmallDir!);
        const { train, test } = materializeSplit(ratings, kFoldSplits(ratings, { folds: 5, seed: 1 })[0]!);
        const model = createModel(kind);
        model.fit(train, { seed: 2, movies });
        const scorer = blockScorer(model);
        expect(scorer.blocked).toBe(blocked);

        // Every user of the data, as one block.
        const users = Int32Array.from(new Set(ratings.users)).sort();
        const want = perUserLists(model, train, [...users], 10);
        const seen = new Map<number, number[]>();
        for (let r = 0; r < train.size; r++)
          seen.set(train.users[r]!, [...(seen.get(train.users[r]!) ?? []), train.movies[r]!]);
        const excludeStart = new Int32Array(users.length + 1);
        const ex: number[] = [];
        users.forEach((u, j) => {
          ex.push(...(seen.get(u) ?? []));
          excludeStart[j + 1] = ex.length;
        });
        const got = scorer.topK({
          users,
          excludeStart,
          excludeMovies: Int32Array.from(ex),
          k: 10,
          threads: 2,
        });
        let differing = 0;
        users.forEach((u, j) => {
          const list = Array.from(got.movies.subarray(j * 10, (j + 1) * 10)).filter((m) => m >= 0);
          if (JSON.stringify(list) !== JSON.stringify(want.get(u))) differing++;
        });
        expect(differing).toBe(0);
        expect(got.flops > 0).toBe(blocked);

        const batched = rankFold(model, train, test, likeThreshold(ratings.scale), 10).metrics;
        const reference = perUserMetrics(model, train, test, 10);
        for (const key of ['precision', 'recall', 'ndcg', 'map', 'hitRate', 'coverage', 'users'] as const) {
          expect(batched[key]).toBeCloseTo(reference[key], 12);
        }
      });
    }
  },
);
