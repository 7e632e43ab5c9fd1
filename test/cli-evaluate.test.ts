import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMovieLens } from '../src/data/read-movielens.ts';
import { crossValidate } from '../src/evaluation/cross-validate.ts';
import { generateStructuredRatings } from '../src/models/rating-model.contract.ts';
import { runCliInProcess } from './helpers/cli.ts';
import { describeEachDatabase } from './helpers/databases.ts';

/** `movienight evaluate` end to end: on a MovieLens folder (no database) and on both databases. */

let dir: string;

beforeAll(() => {
  // A small MovieLens-latest folder with real structure (biases + tastes), half-star ratings.
  dir = mkdtempSync(join(tmpdir(), 'movienight-evaluate-'));
  const data = generateStructuredRatings({ users: 60, movies: 80, perUser: 25, seed: 3 });
  const movieIds = [...new Set(data.movies)].sort((a, b) => a - b);
  writeFileSync(
    join(dir, 'movies.csv'),
    `movieId,title,genres\n${movieIds.map((m, k) => `${m},Movie ${m} (${1980 + (k % 40)}),${k % 2 ? 'Comedy' : 'Drama|Horror'}`).join('\n')}\n`,
  );
  const rows = Array.from(
    data.users,
    (u, k) => `${u},${data.movies[k]},${data.ratings[k]!.toFixed(1)},${1_500_000_000 + k}`,
  );
  writeFileSync(join(dir, 'ratings.csv'), `userId,movieId,rating,timestamp\n${rows.join('\n')}\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('movienight evaluate --data', () => {
  it('prints one JSON object with per-fold and mean metrics, the same as crossValidate', async () => {
    const r = await runCliInProcess([
      'evaluate',
      '--model',
      'baseline',
      '--data',
      dir,
      '--folds',
      '3',
      '--seed',
      '4',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.folds).toHaveLength(3);
    for (const key of [
      'rmse',
      'mae',
      'accuracy',
      'baselineAccuracy',
      'ndcg',
      'precision',
      'recall',
      'map',
      'hitRate',
      'coverage',
      'fitSeconds',
      'predictSeconds',
    ]) {
      expect(typeof result[key]).toBe('number');
    }
    const { ratings, movies } = await readMovieLens(dir);
    const direct = await crossValidate({ kind: 'baseline', data: ratings, movies, folds: 3, seed: 4 });
    expect(result.rmse).toBeCloseTo(direct.rmse, 12);
    expect(result.accuracy).toBeCloseTo(direct.accuracy, 12);
    expect(result.ndcg).toBeCloseTo(direct.ndcg!, 12);
  });

  it('renders text with the accuracy against the baseline, for a named split', async () => {
    const r = await runCliInProcess([
      'evaluate',
      '--model',
      'popularity',
      '--data',
      dir,
      '--split',
      'user',
      '--calibrate',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/points vs the majority-class baseline/);
    expect(r.stdout).toMatch(/calibrated/);
    expect(r.stdout).toMatch(/NDCG/);
  });

  it('ranks a seeded sample of users with --ranking-users, and says so in text and JSON', async () => {
    const args = [
      'evaluate',
      '--model',
      'svd',
      '--params',
      '{"n_factors": 8}',
      '--data',
      dir,
      '--folds',
      '2',
    ];
    const json = await runCliInProcess([...args, '--ranking-users', '10', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result.rankingUsers).toBe(10);
    expect(result.folds.map((f: { rankingUsers: number }) => f.rankingUsers)).toEqual([10, 10]);
    expect(result.folds[0].rankingCandidates).toBeGreaterThan(10);
    expect(result.rankingGflops).toBeGreaterThan(0);
    const text = await runCliInProcess([...args, '--ranking-users', '10']);
    expect(text.stdout).toMatch(
      /a seeded sample of 20 of \d+ users with a liked test movie \(--ranking-users 10 per fold\)/,
    );
    expect(text.stdout).toMatch(/scoring \d+\.\d GFLOP\/s/);
    const all = await runCliInProcess(args);
    expect(all.stdout).toMatch(/ranked all \d+ users with a liked test movie/);
    const clash = await runCliInProcess([...args, '--ranking-users', '10', '--no-ranking']);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toMatch(/--ranking-users samples users for the ranking metrics: drop --no-ranking/);
    const bad = await runCliInProcess([...args, '--ranking-users', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--ranking-users/);
  });

  it('refuses bad flags before reading anything, naming them', async () => {
    const both = await runCliInProcess([
      'evaluate',
      '--model',
      'baseline',
      '--data',
      dir,
      '--folds',
      '3',
      '--split',
      'user',
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--folds or --split/);
    const badSplit = await runCliInProcess([
      'evaluate',
      '--model',
      'baseline',
      '--data',
      dir,
      '--split',
      'weekly',
    ]);
    expect(badSplit.stderr).toMatch(/--split must be one of holdout, user, temporal, got "weekly"/);
    const badModel = await runCliInProcess(['evaluate', '--model', 'nope', '--data', '/nonexistent']);
    expect(badModel.code).toBe(2);
    expect(badModel.stderr).toMatch(/--model must be one of baseline, .* got "nope"/);
    const badParam = await runCliInProcess([
      'evaluate',
      '--model',
      'svd',
      '--params',
      '{"n_factors": -1}',
      '--data',
      dir,
    ]);
    expect(badParam.stderr).toMatch(/n_factors/);
  });
});

describeEachDatabase('movienight evaluate on the database', (kind) => {
  it('evaluates the ratings imported into the database', async () => {
    const t = await kind.create();
    try {
      const imported = await runCliInProcess(['--db', t.location, 'import', 'movielens', dir]);
      expect(imported.code, imported.stderr).toBe(0);
      const r = await runCliInProcess([
        '--db',
        t.location,
        'evaluate',
        '--model',
        'baseline',
        '--folds',
        '3',
        '--seed',
        '4',
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const fromDb = JSON.parse(r.stdout);
      const fromFolder = JSON.parse(
        (
          await runCliInProcess([
            'evaluate',
            '--model',
            'baseline',
            '--data',
            dir,
            '--folds',
            '3',
            '--seed',
            '4',
            '--json',
          ])
        ).stdout,
      );
      // Same ratings in the same stable order → the same folds and the same figures.
      expect(fromDb.rmse).toBeCloseTo(fromFolder.rmse, 10);
      const empty = await kind.create();
      try {
        const none = await runCliInProcess(['--db', empty.location, 'evaluate', '--model', 'baseline']);
        expect(none.code).toBe(2);
        expect(none.stderr).toMatch(/no ratings/);
      } finally {
        await empty.drop();
      }
    } finally {
      await t.drop();
    }
  });
});
