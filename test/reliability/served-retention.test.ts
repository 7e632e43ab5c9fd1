import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { rateMovie } from '../../src/monitoring/rate-movie.ts';
import { pruneServedRecommendations, servedRetentionDays } from '../../src/recommend/served-retention.ts';
import { schedulerTick } from '../../src/retraining/scheduler.ts';
import { describeEachDatabase, type TestDatabase } from '../helpers/databases.ts';
import { insertServed } from '../helpers/served-recommendations.ts';

const dayMs = 24 * 60 * 60 * 1000;
const now = 1_800_000_000_000;
const config = loadConfig({ env: {}, file: '/nonexistent', overrides: { schedulerIntervalSeconds: 3600 } });

/** Two versions, an ended A/B test (id 1) and a running one (id 2). */
async function seedWorld(t: TestDatabase): Promise<void> {
  await t.db.insertMany(
    'movies',
    ['id', 'title', 'year', 'genres'],
    [1, 2, 3, 4].map((id) => [id, `Movie ${id}`, 2000, 'Drama']),
  );
  await t.db.insertMany(
    'users',
    ['id', 'created_at'],
    [
      [1, 0],
      [2, 0],
    ],
  );
  await t.db.insertMany(
    'model_versions',
    ['version', 'model_kind', 'params', 'train_rows', 'data_fingerprint', 'status', 'reason', 'created_at'],
    [
      [1, 'baseline', '{}', 0, 'x', 'ready', 'manual', 0],
      [2, 'baseline', '{}', 0, 'x', 'ready', 'manual', 0],
    ],
  );
  await t.db.insertMany(
    'ab_tests',
    [
      'id',
      'champion_version',
      'challenger_version',
      'traffic',
      'min_samples',
      'max_days',
      'status',
      'started_at',
    ],
    [
      [1, 1, 2, 0.5, 10, 14, 'ended', now - 90 * dayMs],
      [2, 1, 2, 0.5, 10, 60, 'running', now - 50 * dayMs],
    ],
  );
}

describeEachDatabase('served row retention', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await seedWorld(t);
    const at = (days: number) => now - days * dayMs;
    // In id order, as serving appends them: old rows first.
    await insertServed(t.db, [
      { userId: 1, movieId: 1, predictedRating: 4, servedAt: at(80), abTestId: 1, arm: 'challenger' },
      { userId: 1, movieId: 2, predictedRating: 4, servedAt: at(45), abTestId: 2, arm: 'champion' },
      { userId: 1, movieId: 3, predictedRating: 4, servedAt: at(40) },
      { userId: 2, movieId: 3, predictedRating: 4, servedAt: at(31) },
      { userId: 2, movieId: 1, predictedRating: 4, servedAt: at(29), abTestId: 2, arm: 'challenger' },
      { userId: 1, movieId: 4, predictedRating: 4.5, servedAt: at(20) },
      { userId: 2, movieId: 2, predictedRating: 4, servedAt: at(1) },
    ]);
  });
  afterEach(async () => t.drop());

  const remaining = () =>
    t.db.all<{ user_id: number; movie_id: number }>(
      'SELECT user_id, movie_id FROM served_recommendations ORDER BY id',
    );

  it('prunes rows past the training window, keeping every row of a running A/B test', async () => {
    expect(servedRetentionDays({ trainingWindowDays: 30 })).toBe(30);
    expect(servedRetentionDays({ trainingWindowDays: 30, servedRetentionDays: 7 })).toBe(30);
    expect(servedRetentionDays({ trainingWindowDays: 30, servedRetentionDays: 90 })).toBe(90);
    const pruned = await pruneServedRecommendations(t.db, { trainingWindowDays: 30 }, now);
    expect(pruned).toEqual({ cutoff: now - 30 * dayMs, deleted: 3 });
    expect(await remaining()).toEqual([
      { user_id: 1, movie_id: 2 },
      { user_id: 2, movie_id: 1 },
      { user_id: 1, movie_id: 4 },
      { user_id: 2, movie_id: 2 },
    ]);
    // A second pass finds nothing more, and a longer retention would have kept the rows.
    expect((await pruneServedRecommendations(t.db, { trainingWindowDays: 30 }, now)).deleted).toBe(0);
  });

  it('keeps what the tracker needs: a rating still matches a list served inside the window', async () => {
    await pruneServedRecommendations(t.db, { trainingWindowDays: 30 }, now);
    const tracked = await rateMovie(
      t.db,
      { userId: 1, movieId: 4, rating: 4.5, ratedAt: now },
      { now, windowDays: 30 },
    );
    expect(tracked.tracked.kind).toBe('recommended');
  });

  it('is run by the scheduler tick', async () => {
    const tick = await schedulerTick(t.db, { config, clock: () => now });
    expect(tick.pruned?.deleted).toBe(3);
    expect(await remaining()).toHaveLength(4);
  });
});
