import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateIntoDatabase } from '../src/data/generate.ts';
import { type BestHp, writeBestHp } from '../src/tuning/best-hp.ts';
import { runCliInProcess, runCliProcess } from './helpers/cli.ts';
import { sqliteKind, type TestDatabase } from './helpers/databases.ts';
import { insertServed } from './helpers/served-recommendations.ts';

// End to end through the CLI on SQLite only: the same code paths run on both databases in the
// in-process suites (rate-movie, retrain-orchestrator, the concurrent check).
// This suite is long because it holds one case per behaviour.
describe('CLI rate and retrain', () => {
  const kind = sqliteKind;
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await generateIntoDatabase(t.db, { users: 60, movies: 40, ratings: 1500, seed: 9 });
  });
  afterEach(async () => t.drop());

  // This case is long because it walks one scenario from start to end.
  it('retrain makes the first champion; rate tracks a served movie; bad input exits 2 naming the field', async () => {
    const retrain = await runCliProcess(['--db', t.location, 'retrain', '--model', 'baseline', '--json']);
    expect(retrain.code, retrain.stderr).toBe(0);
    const r = JSON.parse(retrain.stdout) as {
      status: string;
      deploy: { action: string };
      newVersion: number;
    };
    expect(r.status).toBe('succeeded');
    expect(r.deploy.action).toBe('activated');

    // A movie user 1 has not rated, served to them an hour ago by the champion.
    const movie = await t.db.get<{ id: number }>(
      'SELECT id FROM movies WHERE id NOT IN (SELECT movie_id FROM ratings WHERE user_id = 1) ORDER BY id LIMIT 1',
    );
    await insertServed(t.db, [
      {
        userId: 1,
        movieId: movie!.id,
        modelVersion: r.newVersion,
        predictedRating: 4,
        servedAt: Date.now() - 3_600_000,
      },
    ]);
    const rated = await runCliProcess([
      '--db',
      t.location,
      'rate',
      '--user',
      '1',
      '--movie',
      String(movie!.id),
      '--rating',
      '2',
      '--json',
    ]);
    expect(rated.code, rated.stderr).toBe(0);
    const q = JSON.parse(rated.stdout) as {
      tracked: { kind: string; modelVersion: number; error: number; hit: boolean };
    };
    expect(q.tracked).toMatchObject({
      kind: 'recommended',
      modelVersion: r.newVersion,
      error: 2,
      hit: false,
    });

    const bad = await runCliProcess([
      '--db',
      t.location,
      'rate',
      '--user',
      '1',
      '--movie',
      String(movie!.id),
      '--rating',
      '4.3',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/rating must be on the .* scale .*4\.3/);
  });

  it('exit codes: a retrain refused by a running A/B test exits 2, a failed one exits 1, both saying why', async () => {
    const db = ['--db', t.location];
    expect((await runCliInProcess([...db, 'retrain', '--model', 'baseline'])).code).toBe(0);
    expect((await runCliInProcess([...db, 'train', '--model', 'baseline', '--seed', '3'])).code).toBe(0);
    expect((await runCliInProcess([...db, 'ab', 'start', '--challenger', '2'])).code).toBe(0);
    const refused = await runCliInProcess([...db, 'retrain', '--model', 'baseline', '--json']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/cannot retrain now: A\/B test #1 .* is running/);
    expect(JSON.parse(refused.stdout)).toMatchObject({
      status: 'refused',
      error: expect.stringMatching(/A\/B test #1/),
    });
    expect((await runCliInProcess([...db, 'ab', 'stop'])).code).toBe(0);
    const failed = await runCliInProcess([...db, 'retrain', '--model', 'no-such-model', '--json']);
    expect(failed.code).toBe(1);
    // With --json the error is one JSON object on stderr.
    expect(JSON.parse(failed.stderr).error).toMatchObject({
      message: expect.stringMatching(/failed in step fit: unknown model "no-such-model"/),
      exitCode: 1,
    });
    expect(JSON.parse(failed.stdout)).toMatchObject({ status: 'failed' });
    const versions = JSON.parse(
      (await runCliInProcess([...db, 'versions', 'list', '--json'])).stdout,
    ) as unknown[];
    expect(versions).toHaveLength(2);
  });

  it("retrain takes best_hp.json's parameters for its model kind, and refuses another database's file", async () => {
    const db = ['--db', t.location];
    const file = `${t.location}.best_hp.json`;
    const hp = (database: string): BestHp => ({
      database,
      model: 'baseline',
      params: { n_epochs: 3, reg_u: 5, reg_i: 4 },
      objective: 'accuracy',
      direction: 'maximize',
      value: 0.7,
      metrics: { accuracy: 0.7, rmse: 0.9, mae: 0.7 } as BestHp['metrics'],
      baseline: { majorityAccuracy: 0.6, defaultParams: null, defaultMetrics: null },
      improvement: { overDefault: null, overMajority: { points: 10, relative: 1 / 6 } },
      method: 'random',
      runId: 'random_20261201_000000_000',
      trialNumber: 0,
      dataFingerprint: 'x',
      folds: 3,
      createdAt: '2026-12-01T00:00:00.000Z',
    });
    writeBestHp(file, hp(t.location));
    const used = await runCliInProcess([...db, 'retrain', '--model', 'baseline', '--json']);
    expect(used.code, used.stderr).toBe(0);
    expect(JSON.parse(used.stdout)).toMatchObject({
      paramsSource: 'best_hp.json',
      params: { n_epochs: 3, reg_u: 5, reg_i: 4 },
    });
    writeBestHp(file, hp('/somewhere/else.db'));
    const refused = await runCliInProcess([...db, 'retrain', '--model', 'baseline']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/failed in step data: .* belongs to database \/somewhere\/else\.db/);
  });
});
