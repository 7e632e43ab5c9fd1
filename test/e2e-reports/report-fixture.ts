import { loadRatingsData } from '../../src/data/load-ratings.ts';
import { wholeStarScale } from '../../src/data/rating-scale.ts';
import type { Database } from '../../src/db/database.ts';
import { startAbTest } from '../../src/experiments/ab-tests.ts';
import { createModel } from '../../src/models/model-registry.ts';
import { rateMovie } from '../../src/monitoring/rate-movie.ts';
import { registerVersion, trainingDataInfo } from '../../src/registry/model-versions.ts';
import { SqlTuningStorage } from '../../src/tuning/sql-tuning-storage.ts';
import { captureOutput } from '../helpers/cli.ts';
import { insertServed } from '../helpers/served-recommendations.ts';

const day = 86_400_000;
const genres = ['Drama', 'Comedy', 'Horror', 'Action', 'Romance'];

/**
 * A small database where every report has something to draw: 30 users × 20 movies of history
 * rated through the tracker (some never recommended), two model versions with a running A/B test,
 * tracked ratings of served recommendations and of unexpected movies over ten days, and a tuning
 * run with complete, pruned and failed trials. Deterministic (no randomness at all).
 */
export async function buildReportFixture(db: Database, now: number): Promise<void> {
  await db.insertMany(
    'movies',
    ['id', 'title', 'year', 'genres'],
    Array.from({ length: 20 }, (_, i) => [
      i + 1,
      `Movie ${i + 1}`,
      1990 + i,
      `${genres[i % 5]}|${genres[(i * 3 + 1) % 5]}`,
    ]),
  );
  await db.insertMany(
    'users',
    ['id', 'created_at'],
    Array.from({ length: 30 }, (_, i) => [i + 1, now - 100 * day]),
  );
  const history: Array<[number, number, number, number]> = [];
  const served: Array<[number, number, number, number, number]> = [];
  let n = 0;
  for (let u = 1; u <= 30; u++) {
    for (let m = 1; m <= 20; m++) {
      if ((u * 7 + m * 3) % 4 === 0) continue;
      const at = now - 90 * day + ((n * 11) % 70) * day;
      n++;
      history.push([
        u,
        m,
        Math.min(5, Math.max(1, 3 + ((u % 3) - 1) + ((m % 2) * 2 - 1) * (u % 2 ? 1 : -1))),
        at,
      ]);
      if ((u + m) % 5 !== 0) served.push([u, m, 4, 1, at - day]);
    }
  }
  await insertServed(
    db,
    served.map(([userId, movieId, predictedRating, rank, servedAt]) => ({
      userId,
      movieId,
      predictedRating,
      rank,
      servedAt,
    })),
  );
  // Through the tracker, so the history has unexpected ratings as training sees them.
  for (const [userId, movieId, rating, ratedAt] of history) {
    await rateMovie(db, { userId, movieId, rating, ratedAt }, { now: ratedAt, scale: wholeStarScale });
  }

  const data = await loadRatingsData(db);
  const model = createModel('baseline');
  model.fit(data, { seed: 1 });
  const info = trainingDataInfo(data);
  await registerVersion(db, {
    model,
    training: info,
    reason: 'manual',
    metrics: { rmse: 0.95, accuracy: 0.58, mae: 0.75 },
    now: now - 12 * day,
  });
  await registerVersion(db, {
    model,
    training: info,
    reason: 'retrain',
    metrics: { rmse: 0.92, accuracy: 0.61, mae: 0.73 },
    now: now - 10 * day,
  });
  const test = await startAbTest(db, { challengerVersion: 2, now: now - 10 * day });

  // Live ratings over ten days: the missing (user, movie) pairs, some served through the A/B test.
  const live: Array<[number, number]> = [];
  for (let u = 1; u <= 30; u++)
    for (let m = 1; m <= 20; m++) if ((u * 7 + m * 3) % 4 === 0) live.push([u, m]);
  const servedLive = live.filter(([u, m]) => (u + m) % 3 !== 0);
  await insertServed(
    db,
    servedLive.map(([u, m], i) => ({
      userId: u,
      movieId: m,
      modelVersion: u % 2 ? 2 : 1,
      abTestId: test.id,
      arm: u % 2 ? 'challenger' : 'champion',
      predictedRating: 3 + (i % 3),
      servedAt: now - 10 * day,
    })),
  );
  for (const [i, [u, m]] of live.entries()) {
    const ratedAt = now - 9 * day + (i % 9) * day + u * 1000;
    await rateMovie(
      db,
      { userId: u, movieId: m, rating: 1 + ((u + 2 * m) % 5), ratedAt },
      { now: ratedAt, scale: wholeStarScale },
    );
  }

  const storage = new SqlTuningStorage(db);
  const run = await storage.createRun({
    method: 'random',
    model: 'baseline',
    objective: 'rmse',
    direction: 'minimize',
    dataFingerprint: info.fingerprint,
    trialsPlanned: 12,
    config: { seed: 1, folds: 3, space: {}, pruner: null },
    owner: 'fixture:1:a',
    now: now - 5 * day,
  });
  for (let i = 0; i < 12; i++) {
    const params = { regUser: 1 + i * 2, regMovie: 0.5 + (i % 4), solver: i % 3 ? 'als' : 'sgd' };
    const trial = await storage.startTrial(run.id, params, now - 5 * day + i);
    const value = 0.9 + 0.004 * Math.abs(i - 7) + (i % 3 ? 0 : 0.01);
    await storage.finishTrial(
      run.id,
      trial.number,
      i === 10
        ? { state: 'failed', error: 'out of memory (fixture)' }
        : {
            state: i === 4 ? 'pruned' : 'complete',
            value,
            metrics: null,
            intermediateValues: [1, 2, 3].map((step) => ({ step, value: value + 0.05 * (1 / step - 1 / 3) })),
            durationMs: 800 + i,
          },
      now - 5 * day + i + 1,
    );
  }
}

/** Runs `fn` with its output swallowed. */
export async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  return (await captureOutput(fn)).result;
}
