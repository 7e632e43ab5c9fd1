import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { insertServed } from '../../test/helpers/served-recommendations.ts';
import { loadConfig } from '../config.ts';
import { wholeStarScale } from '../data/rating-scale.ts';
import { ratingsDataFrom } from '../data/ratings-data.ts';
import { startAbTest } from '../experiments/ab-tests.ts';
import { createModel } from '../models/model-registry.ts';
import { rateMovie } from '../monitoring/rate-movie.ts';
import { registerVersion, trainingDataInfo } from '../registry/model-versions.ts';
import { requestRetrain } from '../retraining/retrain-triggers.ts';
import { SqlTuningStorage } from '../tuning/sql-tuning-storage.ts';
import { statusReport } from './status-report.ts';
import { renderStatusHtml, renderStatusTerminal, statusChartSet, statusCharts } from './status-view.ts';

const day = 86_400_000;
const hour = 3_600_000;
const now = Date.UTC(2026, 0, 10);
const config = loadConfig({ env: {}, file: '/nonexistent', overrides: {} });

describeEachDatabase('status report', (kind) => {
  let t: TestDatabase;
  let dir: string;
  beforeEach(async () => {
    t = await kind.create();
    dir = mkdtempSync(join(tmpdir(), 'mn-status-'));
  });
  afterEach(async () => {
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads an empty database without failing', async () => {
    const r = await statusReport(t.db, { now, config, bestHpPath: join(dir, 'best_hp.json') });
    expect(r.champion).toBeNull();
    expect(r.abTest).toBeNull();
    expect(r.tracker.belowThreshold).toBeNull();
    expect(r.tuning).toMatchObject({ lastRun: null, bestHp: null, bestHpError: null });
    expect(r.database.schemaVersion).toBe(r.database.latestMigration);
    expect(r.database.integrity).toBe('ok');
    expect(renderStatusTerminal(r, { tty: false })).toContain('No A/B test yet.');
    // Nothing to compare or test: only the tracker chart (with its "no data").
    expect(statusChartSet(r)).toMatchObject({ models: null, abTest: null });
    expect(statusCharts(r)).toHaveLength(1);
  });

  it('champion, challenger, running A/B test, tracker below threshold, tuning, best_hp.json, triggers', async () => {
    const db = t.db;
    await db.insertMany(
      'movies',
      ['id', 'title', 'year', 'genres'],
      [1, 2, 3, 4, 5].map((id) => [id, `M${id}`, 2000, 'Drama']),
    );
    await db.insertMany(
      'users',
      ['id', 'created_at'],
      [
        [1, 0],
        [2, 0],
        [3, 0],
      ],
    );
    const data = ratingsDataFrom(
      [
        { user: 1, movie: 1, rating: 4, timestamp: 1 },
        { user: 2, movie: 2, rating: 2, timestamp: 2 },
        { user: 3, movie: 3, rating: 5, timestamp: 3 },
      ],
      wholeStarScale,
    );
    const model = createModel('baseline');
    model.fit(data, { seed: 1 });
    const info = trainingDataInfo(data);
    await registerVersion(db, {
      model,
      training: info,
      reason: 'manual',
      metrics: { rmse: 0.9, accuracy: 0.6 },
      now: now - 3 * day,
    });
    await registerVersion(db, {
      model,
      training: info,
      reason: 'retrain',
      metrics: { rmse: 0.85, accuracy: 0.65 },
      now: now - day,
    });
    const test = await startAbTest(db, { challengerVersion: 2, now: now - 12 * hour });

    // Four rated recommendations (predicted 4.5 = "liked"): one liked (hit), three not (misses).
    const served: Array<[number, number, string, number]> = [
      [1, 4, 'champion', 1],
      [2, 4, 'challenger', 2],
      [3, 4, 'champion', 1],
      [1, 5, 'challenger', 2],
    ];
    await insertServed(
      db,
      served.map(([userId, movieId, arm, modelVersion]) => ({
        userId,
        movieId,
        modelVersion,
        abTestId: test.id,
        arm,
        predictedRating: 4.5,
        servedAt: now - 6 * hour,
      })),
    );
    const scale = wholeStarScale;
    await rateMovie(db, { userId: 1, movieId: 4, rating: 5, ratedAt: now - 2 * hour }, { now, scale });
    await rateMovie(db, { userId: 2, movieId: 4, rating: 2, ratedAt: now - 2 * hour }, { now, scale });
    await rateMovie(db, { userId: 3, movieId: 4, rating: 1, ratedAt: now - 2 * hour }, { now, scale });
    await rateMovie(db, { userId: 1, movieId: 5, rating: 3, ratedAt: now - 2 * hour }, { now, scale });
    // An unexpected rating: counted as tracked, not in the accuracy.
    await rateMovie(db, { userId: 2, movieId: 5, rating: 3, ratedAt: now - hour }, { now, scale });

    const storage = new SqlTuningStorage(db);
    const run = await storage.createRun({
      method: 'random',
      model: 'baseline',
      objective: 'rmse',
      direction: 'minimize',
      dataFingerprint: info.fingerprint,
      trialsPlanned: 3,
      config: { seed: 1, folds: 3, space: {}, pruner: null },
      owner: 'h:1:a',
      now: now - 2 * day,
    });
    const bestHpPath = join(dir, 'best_hp.json');
    writeFileSync(
      bestHpPath,
      JSON.stringify({
        model: 'baseline',
        params: { regUser: 10 },
        objective: 'rmse',
        direction: 'minimize',
        value: 0.91,
        metrics: { accuracy: 0.6, rmse: 0.91, mae: 0.7 },
        baseline: { majorityAccuracy: 0.5, defaultParams: null, defaultMetrics: null },
        method: 'random',
        runId: run.id,
        trialNumber: 0,
        dataFingerprint: info.fingerprint,
        folds: 3,
        createdAt: new Date(now).toISOString(),
      }),
    );
    await requestRetrain(
      db,
      { source: 'manual', reason: 'accuracy 25.0 % below 50.0 %' },
      config,
      now - hour,
    );

    const r = await statusReport(db, { now, config, bestHpPath });
    expect(r.champion).toMatchObject({
      version: 1,
      kind: 'baseline',
      ageMs: 3 * day,
      trainRows: 3,
      offlineMetrics: { rmse: 0.9, accuracy: 0.6 },
    });
    expect(r.champion!.live).toMatchObject({ samples: 2, hits: 1, accuracy: 0.5 });
    expect(r.challenger).toMatchObject({ version: 2, ageMs: day });
    expect(r.challenger!.live).toMatchObject({ samples: 2, hits: 0, accuracy: 0 });
    expect(r.aliasHistory.map((h) => [h.alias, h.newVersion])).toEqual([
      ['champion', 1],
      ['challenger', 2],
    ]);
    expect(r.abTest).toMatchObject({
      id: test.id,
      championVersion: 1,
      challengerVersion: 2,
      champion: { n: 2, accuracy: 0.5 },
      challenger: { n: 2, accuracy: 0 },
      elapsedDays: 0.5,
      verdict: 'continue',
    });
    expect(r.tracker.counts).toEqual({ tracked: 5, recommended: 4, unexpected: 1 });
    expect(r.tracker.accuracy).toMatchObject({ samples: 4, hits: 1, accuracy: 0.25 });
    expect(r.tracker.belowThreshold).toBe(true);
    expect(r.tuning.lastRun).toMatchObject({ id: run.id, status: 'running', trialsPlanned: 3 });
    expect(r.tuning.bestHp).toMatchObject({ model: 'baseline', value: 0.91, runId: run.id });
    expect(r.retrain.triggers.map((x) => [x.source, x.status])).toEqual([['manual', 'pending']]);
    expect(r.database.rows).toMatchObject({
      ratings: 5,
      model_versions: 2,
      ab_tests: 1,
      recommendation_quality: 5,
      retrain_triggers: 1,
    });
    expect(r.database.sizeBytes).toBeGreaterThan(0);

    const charts = statusChartSet(r);
    expect(charts.models).toContain('offline rmse');
    expect(charts.models).toContain('live accuracy');
    expect(charts.abTest).toContain('challenger v2');
    const text = renderStatusTerminal(r, { tty: false });
    // Four samples are below the check's minimum: not judged, as the dashboard's check says.
    expect(text).toContain('insufficient samples (n = 4 of the 100 the check needs)');
    expect(text).not.toContain('BELOW');
    const enough = renderStatusTerminal({ ...r, tracker: { ...r.tracker, minSamples: 4 } }, { tty: false });
    expect(enough).toContain('BELOW the threshold');
    expect(text).toContain('verdict so far: continue');
    const html = renderStatusHtml(r);
    expect(html).toContain('class="bad"');
    expect(html).toContain('A/B test #');

    writeFileSync(bestHpPath, '{"model": 1}');
    const bad = await statusReport(db, { now, config, bestHpPath });
    expect(bad.tuning.bestHp).toBeNull();
    expect(bad.tuning.bestHpError).toMatch(/best_hp\.json/);
  });
});
