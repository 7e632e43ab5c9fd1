import { copyFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../../../test/helpers/cli.ts';
import { sqliteKind, type TestDatabase } from '../../../test/helpers/databases.ts';
import { generateIntoDatabase } from '../../data/generate.ts';
import { getVersion } from '../../registry/model-versions.ts';
import { readBestHp } from '../../tuning/best-hp.ts';

const cli = (...args: string[]) => runCliInProcess(args);

// This suite is long because it holds one case per behaviour.
describe('movienight tune (CLI)', () => {
  let t: TestDatabase;
  let space: string;
  beforeEach(async () => {
    t = await sqliteKind.create();
    await generateIntoDatabase(t.db, { users: 120, movies: 100, ratings: 4000, seed: 9, scale: 'half' });
    space = join(dirname(t.location), 'space.json');
    writeFileSync(
      space,
      JSON.stringify({
        model: 'svd',
        params: {
          n_factors: { type: 'int', low: 5, high: 30 },
          lr_all: { type: 'float', low: 0.002, high: 0.05, log: true },
        },
        fixed: { n_epochs: 15 },
      }),
    );
  });
  afterEach(async () => t.drop());

  it('--json prints the best_hp.json object written beside the database; review compares it', async () => {
    const run = await cli(
      '--db',
      t.location,
      'tune',
      '--method',
      'random',
      '--trials',
      '4',
      '--workers',
      '1',
      '--space',
      space,
      '--json',
    );
    expect(run.stderr, run.stdout.slice(0, 2000)).toBe('');
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout);
    expect(printed).toEqual(readBestHp(`${t.location}.best_hp.json`, t.location));
    expect(printed.database).toBe(t.location);
    expect(printed).toMatchObject({ model: 'svd', objective: 'accuracy', method: 'random', folds: 3 });
    expect(printed.runId).toMatch(/^random_\d{8}_\d{6}_\d{3}$/);

    const review = await cli('--db', t.location, 'tune', 'review', '--json');
    expect(review.code).toBe(0);
    const r = JSON.parse(review.stdout);
    expect(r.run.id).toBe(printed.runId);
    expect(r.comparison.map((e: { name: string }) => e.name)).toEqual([
      'best',
      'default',
      'majority baseline',
      'active model',
    ]);
    expect(r.comparison[0].value).toBe(printed.value);
    expect(r.comparison[2].accuracy).toBe(printed.baseline.majorityAccuracy);
    expect(r.comparison[3].note).toMatch(/^none/);
    expect(r.topTrials[0].number).toBe(printed.trialNumber);
    expect(r.convergence.length).toBeGreaterThan(0);
    expect(r.bestHp.runId).toBe(printed.runId);

    const text = await cli('--db', t.location, 'tune', 'review');
    expect(text.stdout).toMatch(
      /comparison:[\s\S]*majority baseline[\s\S]*top trials:[\s\S]*parameter importance/,
    );
  });

  it('tune workflow runs random then a warm-started Bayesian run and registers the refit best as "tuned"', async () => {
    const run = await cli(
      '--db',
      t.location,
      'tune',
      'workflow',
      '--first-trials',
      '3',
      '--bayesian-trials',
      '2',
      '--workers',
      '1',
      '--space',
      space,
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(r.first.run.method).toBe('random');
    expect(r.bayesian.run).toMatchObject({ method: 'bayesian' });
    expect(r.bayesian.run.config.warmStartFrom).toBe(r.first.run.id);
    const version = await getVersion(t.db, r.version.version);
    expect(version).toMatchObject({
      kind: 'svd',
      reason: 'tuned',
      tuningRunId: r.best.runId,
      tuningTrialNumber: r.best.trial.number,
    });
    expect(version.params).toMatchObject(r.best.trial.params);
  });

  it('refuses bad input with a message naming it', async () => {
    const unknownRun = await cli('--db', t.location, 'tune', '--resume', 'random_20990101_000000_000');
    expect(unknownRun.code).toBe(2);
    expect(unknownRun.stderr).toMatch(/no tuning run random_20990101_000000_000/);
    const method = await cli('--db', t.location, 'tune', '--method', 'annealing');
    expect(method.stderr).toMatch(/method must be one of grid, random, bayesian, tpe, got "annealing"/);
    const objective = await cli('--db', t.location, 'tune', '--objective', 'speed');
    expect(objective.stderr).toMatch(/objective must be one of .* got "speed"/);
    writeFileSync(
      space,
      JSON.stringify({ params: { lr_all: { type: 'float', low: 0, high: 1, log: true } } }),
    );
    const badSpace = await cli('--db', t.location, 'tune', '--space', space);
    expect(badSpace.stderr).toMatch(/params\.lr_all\.low: a log-scaled range must have low > 0/);
    const otherModel = await cli(
      '--db',
      t.location,
      'tune',
      '--model',
      'baseline',
      '--space',
      space.replace('space.json', 'nope.json'),
    );
    expect(otherModel.stderr).toMatch(/nope\.json/);
    const rows = await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM hp_tuning_history');
    expect(Number(rows?.n)).toBe(0);
  });

  it('train takes best_hp.json for its model kind (or --params) and stores offline metrics measured before its final fit', async () => {
    const tuned = await cli(
      '--db',
      t.location,
      'tune',
      '--trials',
      '3',
      '--workers',
      '1',
      '--space',
      space,
      '--json',
    );
    expect(tuned.code, tuned.stderr).toBe(0);
    const best = JSON.parse(tuned.stdout);
    expect(best.improvement.overMajority.points).toBeCloseTo(
      100 * (best.metrics.accuracy - best.baseline.majorityAccuracy),
      8,
    );
    const trained = await cli('--db', t.location, 'train', '--model', 'svd', '--json');
    expect(trained.code, trained.stderr).toBe(0);
    const r = JSON.parse(trained.stdout);
    expect(r.paramsSource).toBe('best_hp.json');
    expect(r.version.params).toMatchObject(best.params);
    expect(r.version.metrics).toMatchObject({ holdoutRows: 400, accuracy: r.holdout.metrics.accuracy });
    expect(r.version.metrics.rmse).toBeGreaterThan(0);
    const text = await cli('--db', t.location, 'train', '--model', 'svd', '--params', '{"n_factors": 7}');
    expect(text.stdout).toMatch(/params .*"n_factors":7.* \(from given\)/);
    expect(text.stdout).toMatch(/offline: accuracy \d+\.\d+ %, RMSE \d\.\d+ on the 400 most recent ratings/);
    // Another kind: best_hp.json is for svd, so the defaults.
    const other = JSON.parse(
      (await cli('--db', t.location, 'train', '--model', 'baseline', '--json')).stdout,
    );
    expect(other.paramsSource).toBe('defaults');
    // --no-holdout: one fit, no offline metrics.
    const quick = JSON.parse(
      (await cli('--db', t.location, 'train', '--model', 'baseline', '--no-holdout', '--json')).stdout,
    );
    expect(quick.holdout).toBeNull();
    expect(quick.version.metrics.holdoutRows).toBeUndefined();
    expect(quick.version.metrics.fitSeconds).toBeGreaterThan(0);
  });

  it('two databases in one folder each get their own best_hp.json; the other one is refused', async () => {
    const second = join(dirname(t.location), 'api.db');
    const other = await cli(
      '--db',
      second,
      'generate',
      '--users',
      '60',
      '--movies',
      '40',
      '--ratings',
      '1500',
      '--seed',
      '2',
    );
    expect(other.code, other.stderr).toBe(0);
    const args = ['tune', '--trials', '2', '--workers', '1', '--space', space, '--json'];
    expect((await cli('--db', t.location, ...args)).code).toBe(0);
    expect((await cli('--db', second, ...args)).code).toBe(0);
    const mine = readBestHp(`${t.location}.best_hp.json`, t.location);
    const theirs = readBestHp(`${second}.best_hp.json`, second);
    expect(mine?.database).toBe(t.location);
    expect(theirs?.database).toBe(second);
    expect(theirs?.runId).not.toBe(mine?.runId);
    // Pointing one database at the other's file is refused, naming both, before any trial runs.
    const runs = await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM hp_tuning_history');
    const refused = await cli('--db', t.location, ...args, '--best-out', `${second}.best_hp.json`);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`belongs to database ${second}, not ${t.location}`);
    const after = await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM hp_tuning_history');
    expect(after?.n).toBe(runs?.n);
    copyFileSync(`${second}.best_hp.json`, `${t.location}.best_hp.json`);
    const train = await cli('--db', t.location, 'train', '--model', 'svd');
    expect(train.code).toBe(2);
    expect(train.stderr).toMatch(/belongs to database .*api\.db/);
  });
});
