import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateIntoDatabase } from '../src/data/generate.ts';
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
    expect(failed.stderr).toMatch(/failed in step fit: unknown model "no-such-model"/);
    expect(JSON.parse(failed.stdout)).toMatchObject({ status: 'failed' });
    const versions = JSON.parse(
      (await runCliInProcess([...db, 'versions', 'list', '--json'])).stdout,
    ) as unknown[];
    expect(versions).toHaveLength(2);
  });
});
