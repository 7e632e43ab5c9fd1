import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSyntheticWorld } from '../src/data/synthetic-world.ts';
import { Rng } from '../src/random/rng.ts';
import { type CliRun, runCliInProcess } from './helpers/cli.ts';

/**
 * A whole A/B test driven through the CLI on generated data: generate a world, train a weak
 * champion (popularity) and a personal challenger (svd), start a test, serve recommendations to
 * users, let each user rate what they were shown as their hidden tastes dictate, validate, and see
 * the challenger activated by the verdict and the move in the history.
 */

const world = { users: 400, movies: 300, ratings: 15_000, seed: 21, scale: 'whole' as const };
let dir: string;
let dbPath: string;

/** Runs one CLI command in this process on the test's database. */
function cli(...args: string[]): Promise<CliRun> {
  return runCliInProcess(['--db', dbPath, ...args]);
}

async function json<T>(...args: string[]): Promise<T> {
  const r = await cli(...args, '--json');
  if (r.code !== 0) throw new Error(`movienight ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'movienight-cli-ab-'));
  dbPath = join(dir, 'movies.db');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('start, serve, rate, validate, automatic activation, history', async () => {
  expect(
    (
      await cli(
        'generate',
        '--users',
        String(world.users),
        '--movies',
        String(world.movies),
        '--ratings',
        String(world.ratings),
        '--seed',
        String(world.seed),
        '--scale',
        world.scale,
      )
    ).code,
  ).toBe(0);

  const champion = await json<{ version: { version: number; aliases: string[] } }>(
    'train',
    '--model',
    'popularity',
  );
  expect(champion.version).toMatchObject({ version: 1, aliases: ['champion'] });
  const challenger = await json<{ version: { version: number; aliases: string[]; parentVersion: number } }>(
    'train',
    '--model',
    'svd',
    '--seed',
    '3',
  );
  expect(challenger.version).toMatchObject({ version: 2, aliases: [], parentVersion: 1 });

  // Bad input is refused with a message naming it, and changes nothing.
  const bad = await cli('ab', 'start', '--challenger', '1');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/challenger v1 is already the champion/);

  const test = await json<{ id: number; status: string }>(
    'ab',
    'start',
    '--challenger',
    '2',
    '--min-samples',
    '60',
    '--max-days',
    '7',
  );
  expect(test.status).toBe('running');
  const again = await cli('ab', 'start', '--challenger', '2');
  expect(again.stderr).toMatch(/already running/);

  // A user who never rated anything gets the fallback and is told so.
  const newcomer = await cli('recommend', '--user', '5000', '-n', '3');
  expect(newcomer.code).toBe(0);
  expect(newcomer.stdout).toMatch(/new user/);

  const early = await cli('ab', 'validate', '--dry-run');
  expect(early.stdout).toMatch(/verdict: CONTINUE — waiting for samples/);

  // Users arrive, are served by their arm, and rate what they were shown (their hidden tastes + noise).
  const tastes = createSyntheticWorld(world);
  const rng = new Rng(99);
  const arms = new Map<number, string>();
  for (let user = 1; user <= 100; user++) {
    const served = await json<{
      arm: string;
      abTestId: number | null;
      modelVersion: number;
      items: { movieId: number }[];
    }>('recommend', '--user', String(user), '-n', '2');
    expect(served.abTestId).toBe(test.id);
    expect(served.modelVersion).toBe(served.arm === 'challenger' ? 2 : 1);
    arms.set(user, served.arm);
    for (const item of served.items) {
      const rated = await json<{ tracked: { kind: string; arm: string | null } }>(
        'rate',
        '--user',
        String(user),
        '--movie',
        String(item.movieId),
        '--rating',
        String(tastes.drawRating(user, item.movieId, rng)),
      );
      expect(rated.tracked).toMatchObject({ kind: 'recommended', arm: served.arm });
    }
  }
  // Assignment is sticky: asking again gives the same arm.
  const repeat = await json<{ arm: string }>('recommend', '--user', '7', '-n', '1');
  expect(repeat.arm).toBe(arms.get(7));

  const status = await cli('ab', 'status');
  expect(status.stdout).toMatch(/A\/B test #1: challenger v2 against champion v1/);

  const validated = await cli('ab', 'validate');
  expect(validated.code).toBe(0);
  for (const line of [
    /^champion +v1 +users +\d+ +served +\d+ +rated n +\d+ +accuracy .* RMSE .* liked /m,
    /^challenger +v2 /m,
    /^difference \(challenger − champion, 95 %\): accuracy .* RMSE .* liked rate /m,
    /^sequential test \(mSPRT \(normal mixture\), α 0.02, τ 0.05\): .* — significant$/m,
    /^sample ratio: \d+:\d+ users, .* — ok$/m,
    /^minimum sample 60 per arm: reached$/m,
    /^verdict: ACTIVATE — challenger accuracy .* relative ≥ 5.0 %/m,
    /^applied: v2 is now the champion$/m,
  ]) {
    expect(validated.stdout).toMatch(line);
  }

  const versions = await json<{ version: number; aliases: string[] }[]>('versions', 'list');
  expect(versions.find((v) => v.version === 2)?.aliases).toEqual(['champion']);
  const history = await json<
    { alias: string; action: string; previousVersion: number; newVersion: number; abTestId: number }[]
  >('versions', 'history');
  expect(history.map((h) => [h.alias, h.action, h.previousVersion, h.newVersion])).toEqual([
    ['champion', 'first', null, 1],
    ['challenger', 'set', null, 2],
    ['champion', 'ab-activate', 1, 2],
    ['challenger', 'clear', 2, null],
  ]);
  expect(history[2]?.abTestId).toBe(test.id);
  const tests = await json<{
    tests: { id: number; decision: string; finalAnalysis: { verdict: { action: string } } }[];
  }>('ab', 'status');
  expect(tests.tests[0]).toMatchObject({
    id: test.id,
    decision: 'activated',
    finalAnalysis: { verdict: { action: 'activate' } },
  });

  // New recommendations come from the new champion, outside any test.
  const after = await json<{ modelVersion: number; abTestId: number | null }>(
    'recommend',
    '--user',
    '3',
    '-n',
    '2',
  );
  expect(after).toMatchObject({ modelVersion: 2, abTestId: null });

  // One-step rollback, and the installed entry point in a separate process sees the same history.
  expect((await cli('versions', 'rollback')).stdout).toMatch(/champion: v2 → v1/);
  const { stdout } = await promisify(execFile)(
    join('node_modules', '.bin', 'tsx'),
    ['src/cli/main.ts', '--db', dbPath, 'versions', 'history', '--alias', 'champion'],
    { encoding: 'utf8' },
  );
  expect(stdout).toMatch(/v1 → v2 +ab-activate +A\/B test #1/);
  expect(stdout).toMatch(/v2 → v1 +rollback/);
});
