import { describe, expect, it } from 'vitest';
import type { RatingsData } from '../data/ratings-data.ts';
import { Rng } from '../random/rng.ts';
import { groupByUser } from './factor-engine.ts';
import { createModel } from './model-registry.ts';
import { initFactors } from './normal-factors.ts';
import { describeRatingModelContract, generateStructuredRatings } from './rating-model.contract.ts';

describeRatingModelContract('svdpp', { params: { n_factors: 6, n_epochs: 10 } });
describeRatingModelContract('svdpp', { params: { n_factors: 5, n_epochs: 10, engine: 'js' } });

/**
 * Surprise's SVDpp loop as written there: every y_j of the user updated after every rating.
 * Same initialisation and visiting order as the model, f64 throughout.
 */
function naiveSvdpp(data: RatingsData, k: number, epochs: number, lr: number, reg: number, seed: number) {
  const nUsers = Math.max(...data.users) + 1;
  const nMovies = Math.max(...data.movies) + 1;
  let mean = 0;
  for (const r of data.ratings) mean += r;
  mean /= data.size;
  const rng = new Rng(seed);
  const init = (rows: number) => {
    const a = new Float32Array(rows * k);
    initFactors(rng, a, rows, k, k, 0, 0.1);
    return Float64Array.from(a);
  };
  const pu = init(nUsers);
  const qi = init(nMovies);
  const y = init(nMovies);
  const bu = new Float64Array(nUsers);
  const bi = new Float64Array(nMovies);
  const dense = { ...data, nUsers, nMovies, globalMean: mean };
  const { order, rowStart, rows } = groupByUser(dense, rng);
  const implicit = (u: number) => {
    const z = new Float64Array(k);
    const n = rowStart[u + 1]! - rowStart[u]!;
    for (let t = rowStart[u]!; t < rowStart[u + 1]!; t++) {
      for (let f = 0; f < k; f++) z[f]! += y[data.movies[rows[t]!]! * k + f]! / Math.sqrt(n);
    }
    return z;
  };
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const u of order) {
      const n = rowStart[u + 1]! - rowStart[u]!;
      for (let t = rowStart[u]!; t < rowStart[u + 1]!; t++) {
        const row = rows[t]!;
        const i = data.movies[row]!;
        const z = implicit(u);
        let dot = 0;
        for (let f = 0; f < k; f++) dot += qi[i * k + f]! * (pu[u * k + f]! + z[f]!);
        const err = data.ratings[row]! - (mean + bu[u]! + bi[i]! + dot);
        bu[u]! += lr * (err - reg * bu[u]!);
        bi[i]! += lr * (err - reg * bi[i]!);
        for (let f = 0; f < k; f++) {
          const puf = pu[u * k + f]!;
          const qif = qi[i * k + f]!;
          pu[u * k + f] = puf + lr * (err * qif - reg * puf);
          qi[i * k + f] = qif + lr * (err * (puf + z[f]!) - reg * qif);
          for (let s = rowStart[u]!; s < rowStart[u + 1]!; s++) {
            const j = data.movies[rows[s]!]!;
            y[j * k + f]! += lr * ((err * qif) / Math.sqrt(n) - reg * y[j * k + f]!);
          }
        }
      }
    }
  }
  return (u: number, i: number) => {
    const z = implicit(u);
    let dot = 0;
    for (let f = 0; f < k; f++) dot += qi[i * k + f]! * (pu[u * k + f]! + z[f]!);
    return mean + bu[u]! + bi[i]! + dot;
  };
}

describe('svdpp', () => {
  // Dense ids 0…n-1 so the model's id mapping is the identity and both walk the same order.
  const raw = generateStructuredRatings({ users: 40, movies: 60, perUser: 25, seed: 8 });
  const userIds = [...new Set(raw.users)].sort((a, b) => a - b);
  const movieIds = [...new Set(raw.movies)].sort((a, b) => a - b);
  const data: RatingsData = {
    ...raw,
    users: raw.users.map((u) => userIds.indexOf(u)),
    movies: raw.movies.map((m) => movieIds.indexOf(m)),
  };

  it('equals the naive per-rating update of Surprise (the batched y update is exact)', () => {
    const k = 8;
    const naive = naiveSvdpp(data, k, 5, 0.007, 0.02, 21);
    for (const engine of ['js', 'wasm'] as const) {
      const m = createModel('svdpp', { n_factors: k, n_epochs: 5, engine });
      m.fit(data, { seed: 21 });
      let worst = 0;
      for (let r = 0; r < data.size; r++) {
        const u = data.users[r]!;
        const i = data.movies[r]!;
        // Compare unclipped: pick pairs whose estimate is inside the scale.
        const expected = naive(u, i);
        if (expected < 0.6 || expected > 4.9) continue;
        worst = Math.max(worst, Math.abs(m.predict(u, i).rating - expected));
      }
      expect(worst).toBeLessThan(engine === 'js' ? 1e-4 : 1e-3);
    }
  });

  it('has Surprise SVDpp defaults', () => {
    expect(createModel('svdpp').params).toMatchObject({
      n_factors: 20,
      n_epochs: 20,
      lr_all: 0.007,
      reg_all: 0.02,
      lr_yj: 0.007,
      reg_yj: 0.02,
    });
  });
});
