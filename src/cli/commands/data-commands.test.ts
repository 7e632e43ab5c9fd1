import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../../../test/helpers/cli.ts';

const fixtures = resolve(import.meta.dirname, '..', '..', '..', 'test', 'fixtures');

const cli = (...args: string[]) => runCliInProcess(args);

describe('CLI: import, generate, demo, db', () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mn-cli-'));
    db = join(dir, 'movies.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('imports a MovieLens folder with --json, then db schema and db check report it', async () => {
    const r = await cli('--db', db, 'import', 'movielens', join(fixtures, 'ml-1m-tiny'), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      format: 'ml-1m',
      ratings: { inserted: 4 },
      users: { inserted: 2 },
    });
    const schema = JSON.parse((await cli('--db', db, 'db', 'schema', '--json')).stdout) as {
      tables: { name: string; rows: number }[];
    };
    expect(schema.tables.find((t) => t.name === 'ratings')?.rows).toBe(4);
    const check = await cli('--db', db, 'db', 'check');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(': OK');
  });

  it('stops a bad import with exit code 2 and file:line: problem (value) on stderr', async () => {
    const r = await cli('--db', db, 'import', 'ratings', join(fixtures, 'ratings-generic.csv'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: ${join(fixtures, 'ratings-generic.csv')}:2: rating for a movie that is not in the movie list (value: "1")\n`,
    );
    const skipped = await cli(
      '--db',
      db,
      'import',
      'ratings',
      join(fixtures, 'ratings-generic.csv'),
      '--skip-invalid',
    );
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain('skipped 3 × unknown_movie');
  });

  it('generates into the database and refuses a second time; demo leaves a filled database alone', async () => {
    const g = await cli(
      '--db',
      db,
      'generate',
      '--users',
      '20',
      '--movies',
      '30',
      '--ratings',
      '300',
      '--seed',
      '4',
      '--json',
    );
    expect(g.code).toBe(0);
    expect(JSON.parse(g.stdout)).toMatchObject({ users: 20, movies: 30, ratings: 300, seed: 4 });
    const again = await cli('--db', db, 'generate', '--ratings', '10');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already has 30 movies');
    const demo = await cli('--db', db, 'demo', '--json');
    expect(JSON.parse(demo.stdout)).toMatchObject({ installed: false, movies: 30, ratings: 300 });
    const bad = await cli('--db', db, 'generate', '--scale', 'tenths');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--scale must be one of half, whole');
  });
});
