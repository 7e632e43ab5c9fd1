import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../src/cli/program.ts';
import { readMovieLens } from '../src/data/read-movielens.ts';
import { crossValidate } from '../src/evaluation/cross-validate.ts';
import { generateStructuredRatings } from '../src/models/rating-model.contract.ts';
import { describeEachDatabase } from './helpers/databases.ts';

/** `movienight evaluate` end to end: on a MovieLens folder (no database) and on both databases. */

let dir: string;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += chunk.toString();
    return true;
  });
  try {
    return { code: await runCli(['node', 'movienight', ...args]), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

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
    const r = await cli([
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
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
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
    const r = await cli([
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
    expect(r.out).toMatch(/points vs the majority-class baseline/);
    expect(r.out).toMatch(/calibrated/);
    expect(r.out).toMatch(/NDCG/);
  });

  it('refuses bad flags before reading anything, naming them', async () => {
    const both = await cli([
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
    expect(both.err).toMatch(/--folds or --split/);
    const badSplit = await cli(['evaluate', '--model', 'baseline', '--data', dir, '--split', 'weekly']);
    expect(badSplit.err).toMatch(/--split must be one of holdout, user, temporal, got "weekly"/);
    const badModel = await cli(['evaluate', '--model', 'nope', '--data', '/nonexistent']);
    expect(badModel.err).toMatch(/unknown model "nope"/);
    const badParam = await cli([
      'evaluate',
      '--model',
      'svd',
      '--params',
      '{"n_factors": -1}',
      '--data',
      dir,
    ]);
    expect(badParam.err).toMatch(/n_factors/);
  });
});

describeEachDatabase('movienight evaluate on the database', (kind) => {
  it('evaluates the ratings imported into the database', async () => {
    const t = await kind.create();
    try {
      const imported = await cli(['--db', t.location, 'import', 'movielens', dir]);
      expect(imported.code, imported.err).toBe(0);
      const r = await cli([
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
      expect(r.code, r.err).toBe(0);
      const fromDb = JSON.parse(r.out);
      const fromFolder = JSON.parse(
        (
          await cli([
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
        ).out,
      );
      // Same ratings in the same stable order → the same folds and the same figures.
      expect(fromDb.rmse).toBeCloseTo(fromFolder.rmse, 10);
      const empty = await kind.create();
      try {
        const none = await cli(['--db', empty.location, 'evaluate', '--model', 'baseline']);
        expect(none.code).toBe(2);
        expect(none.err).toMatch(/no ratings/);
      } finally {
        await empty.drop();
      }
    } finally {
      await t.drop();
    }
  });
});
