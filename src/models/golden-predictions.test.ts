import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mlLatestSmallDir, skipWithoutMlLatestSmall } from '../../test/helpers/data-paths.ts';
import { readMovieLens } from '../data/read-movielens.ts';
import { materializeSplit, randomHoldoutSplit } from '../data/splits.ts';
import { createModel } from './model-registry.ts';
import type { ModelParams } from './rating-model.ts';

/**
 * Every model kind trained on ml-latest-small with fixed seeds and few epochs; the SHA-256 of all
 * its test-set predictions (the Float32Array's bytes) must equal the value recorded from the code
 * before a refactor, so moving code between files provably leaves every prediction bit-identical.
 * A deliberate change to a model's maths changes its hash: record the new one with
 * `GOLDEN_PRINT=1 npx vitest run src/models/golden-predictions.test.ts`.
 */
const cases: ReadonlyArray<{ readonly name: string; readonly kind: string; readonly params: ModelParams }> = [
  { name: 'baseline-als', kind: 'baseline', params: { method: 'als', n_epochs: 5 } },
  { name: 'baseline-sgd', kind: 'baseline', params: { method: 'sgd', n_epochs: 5 } },
  { name: 'svd-1-thread', kind: 'svd', params: { n_epochs: 4, threads: 1 } },
  { name: 'svd-2-threads', kind: 'svd', params: { n_epochs: 4, threads: 2 } },
  { name: 'svdpp', kind: 'svdpp', params: { n_epochs: 2 } },
  { name: 'popularity', kind: 'popularity', params: {} },
  { name: 'knn-baseline', kind: 'knn-baseline', params: { k: 20 } },
  { name: 'implicit-als', kind: 'implicit-als', params: { factors: 16, iterations: 2 } },
  { name: 'genre-popularity', kind: 'genre-popularity', params: { n_epochs: 5 } },
  {
    name: 'blend',
    kind: 'blend',
    params: { models: 'svd,baseline', member_params: '{"svd":{"n_epochs":3,"n_factors":20}}' },
  },
];

const golden: Readonly<Record<string, string>> = {
  'baseline-als': '48d7f23059627755ae50665f15ce407c6b2c3c59129a98601a93714b823623e2',
  'baseline-sgd': '93c38970e1a5a19514c49cc1391c139351d0d85957cdbede6eaf58c299e2ccfc',
  blend: '4a4f94073512d7019895dcc2e966064cb89ea8aaf6a4e5a14ec58b452416d442',
  'genre-popularity': 'cbf607cdce8671cf4c6431f400f3fd5fa0cee78923c10ff1a4d1ef2e15b22f8c',
  'implicit-als': 'ec4354ab6806a2b2a0e86f28a4eb24dd57172c8fb7879fb7784dccd1ce1f040c',
  'knn-baseline': '732a548415fcdb745a661866933fab33a9d15785ba0ef69dbfe030cb3222f73d',
  popularity: '58d47a91808726f0d6b617e19f6a8f5b627be3d1febdec02e14784fe6eddd3c0',
  'svd-1-thread': '6bba8410bcd2729b65aca76e750beed88a599267a9f4ceca624e2e38dbc6299f',
  'svd-2-threads': '6bba8410bcd2729b65aca76e750beed88a599267a9f4ceca624e2e38dbc6299f',
  svdpp: 'd3e4fa11530d4283e062947ddc7894cd56ad94c4a3efc136e14491a9badfbf59',
};

describe.skipIf(!mlLatestSmallDir)(
  `golden predictions on ml-latest-small${mlLatestSmallDir ? '' : ` (${skipWithoutMlLatestSmall})`}`,
  () => {
    it('every model kind predicts bit-identically to the recorded hashes', async () => {
      const { ratings, movies } = await readMovieLens(mlLatestSmallDir!);
      const { train, test } = materializeSplit(
        ratings,
        randomHoldoutSplit(ratings, { testFraction: 0.1, seed: 7 }),
      );
      const hashes: Record<string, string> = {};
      for (const c of cases) {
        const model = createModel(c.kind, c.params);
        model.fit(train, { seed: 11, movies });
        const predictions = model.predictMany(test.users, test.movies);
        hashes[c.name] = createHash('sha256')
          .update(new Uint8Array(predictions.buffer, predictions.byteOffset, predictions.byteLength))
          .digest('hex');
      }
      if (process.env.GOLDEN_PRINT) console.log(JSON.stringify(hashes, null, 2));
      expect(hashes).toEqual(golden);
    }, 600_000);
  },
);
