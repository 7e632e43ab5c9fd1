import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../../../test/helpers/cli.ts';
import { sqliteKind, type TestDatabase } from '../../../test/helpers/databases.ts';
import { generateIntoDatabase } from '../../data/generate.ts';
import { getVersion } from '../../registry/model-versions.ts';
import { readBestHp } from '../../tuning/best-hp.ts';

const cli = (...args: string[]) => runCliInProcess(args);

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
    expect(printed).toEqual(readBestHp(join(dirname(t.location), 'best_hp.json')));
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
});
