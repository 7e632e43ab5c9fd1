import { describe, expect, it } from 'vitest';
import { MIN_ROWS_FOR_TWO_THREADS } from './factor-engine.ts';
import { createModel, loadModel } from './model-registry.ts';
import { describeRatingModelContract, generateStructuredRatings } from './rating-model.contract.ts';
import type { ModelParams } from './rating-model.ts';

describeRatingModelContract('svd', { params: { n_factors: 10, n_epochs: 15, lr_all: 0.01 } });
describeRatingModelContract('svd', { params: { n_factors: 6, n_epochs: 15, lr_all: 0.01, engine: 'js' } });

describe('svd', () => {
  const data = generateStructuredRatings({ users: 150, movies: 120, perUser: 40, seed: 3 });
  const users = data.users.subarray(0, 2000);
  const movies = data.movies.subarray(0, 2000);

  it('gives the same predictions from the WebAssembly kernel and the TypeScript reference', () => {
    // 10 factors: not a multiple of 4, so the padding lanes are exercised too.
    const variants: ModelParams[] = [
      { n_factors: 10 },
      { n_factors: 10, biased: false },
      { n_factors: 4, reg_pu: 0.1, lr_bi: 0.02 },
    ];
    for (const params of variants) {
      const wasm = createModel('svd', { ...params, engine: 'wasm' });
      const js = createModel('svd', { ...params, engine: 'js' });
      wasm.fit(data, { seed: 9 });
      js.fit(data, { seed: 9 });
      const a = wasm.predictMany(users, movies);
      const b = js.predictMany(users, movies);
      let worst = 0;
      for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!));
      // f32 SIMD sums in another order than f64 scalar sums: tiny, not zero.
      expect(worst).toBeLessThan(2e-3);
      expect(wasm.recommend(data.users[0]!, { n: 5 }).map((r) => r.movieId)).toEqual(
        js.recommend(data.users[0]!, { n: 5 }).map((r) => r.movieId),
      );
      // Fold-in: the kernel's Gram matrix (30 ratings: several passes and a tail) and addGram.
      const history = new Map<number, number>();
      for (let k = 0; k < 30; k++) history.set(data.movies[k * 7]!, data.ratings[k * 7]!);
      const folded = [wasm.foldIn?.(history), js.foldIn?.(history)];
      const probe = Int32Array.from(new Set(data.movies.subarray(0, 400)));
      const [fa, fb] = folded.map((f) => f?.predictMany(probe));
      let worstFolded = 0;
      for (let k = 0; k < probe.length; k++) worstFolded = Math.max(worstFolded, Math.abs(fa![k]! - fb![k]!));
      expect(worstFolded).toBeLessThan(5e-3);
    }
  });

  it('weights scale the updates: weight 0 rows teach nothing', () => {
    const weights = new Float32Array(data.size).fill(1);
    for (let k = 0; k < data.size; k += 2) weights[k] = 0;
    const half = { ...data, weights };
    const m = createModel('svd', { n_factors: 5 });
    m.fit(half, { seed: 1 });
    // Zero-weight rows still move nothing, so they fit worse than the weighted ones.
    let seEven = 0;
    let seOdd = 0;
    const p = m.predictMany(data.users, data.movies);
    for (let k = 0; k < data.size; k++) {
      const e = (p[k]! - data.ratings[k]!) ** 2;
      if (k % 2) seOdd += e;
      else seEven += e;
    }
    expect(seOdd).toBeLessThan(seEven);
  });

  it('ranks with the kernel after loading exactly as the fitted model does', () => {
    const m = createModel('svd', { n_factors: 12 });
    m.fit(data, { seed: 4 });
    const loaded = loadModel(m.save());
    for (const user of [data.users[0]!, data.users[5]!, -1]) {
      expect(loaded.recommend(user, { n: 20 })).toEqual(m.recommend(user, { n: 20 }));
    }
  });

  it('gives identical results on one thread and on two, also for a fit nested in an epoch hook', () => {
    // Big enough for the second thread to be used.
    const data = generateStructuredRatings({ users: 500, movies: 300, perUser: 45, seed: 3 });
    expect(data.size).toBeGreaterThanOrEqual(MIN_ROWS_FOR_TWO_THREADS);
    const users = data.users;
    const movies = data.movies;
    const one = createModel('svd', { n_factors: 12, threads: 1 });
    one.fit(data, { seed: 6 });
    const two = createModel('svd', { n_factors: 12, threads: 2 });
    let nested: Float32Array | null = null;
    two.fit(data, {
      seed: 6,
      onEpoch: (epoch) => {
        if (epoch === 2) {
          // The partner thread is busy with the outer fit: this one runs alone, same result.
          const inner = createModel('svd', { n_factors: 12, threads: 2 });
          inner.fit(data, { seed: 6 });
          nested = inner.predictMany(users, movies);
        }
        return undefined;
      },
    });
    expect(two.predictMany(users, movies)).toEqual(one.predictMany(users, movies));
    expect(nested).toEqual(one.predictMany(users, movies));
  });

  it('has Surprise defaults and lets each term be set apart', () => {
    const m = createModel('svd');
    expect(m.params).toMatchObject({
      n_factors: 100,
      n_epochs: 20,
      lr_all: 0.005,
      reg_all: 0.02,
      init_std_dev: 0.1,
    });
    expect(m.params).toMatchObject({ lr_bu: 0.005, lr_qi: 0.005, reg_pu: 0.02 });
    expect(createModel('svd', { lr_all: 0.01, lr_qi: 0.003 }).params).toMatchObject({
      lr_bu: 0.01,
      lr_qi: 0.003,
    });
  });
});
