import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { tableSnapshot } from '../../test/fixtures/table-snapshot.ts';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { temporaryFolders } from '../../test/helpers/temp-dirs.ts';
import { ConflictError } from '../errors.ts';
import { generateIntoDatabase, generateToFolder, installDemoCatalog } from './generate.ts';
import { importMovieLens } from './import-movielens.ts';
import { loadRatingsData } from './load-ratings.ts';

const tempDir = temporaryFolders();

const exec = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '..', '..');
const cliMain = join(repoRoot, 'src', 'cli', 'main.ts');

const small = { users: 30, movies: 40, ratings: 500, seed: 12 } as const;

describeEachDatabase('generate', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
  });
  afterEach(async () => t.drop());

  it('writes the same data into the database as a generated folder imports', async () => {
    const s = await generateIntoDatabase(t.db, small);
    expect(s).toMatchObject({ movies: 40, ratings: 500 });
    const direct = await tableSnapshot(t.db);
    const dir = tempDir('mn-gen-');
    const f = await generateToFolder(dir, small);
    expect(f.meanRating).toBe(s.meanRating);
    expect(readFileSync(join(dir, 'ratings.csv'), 'utf8').split('\n')[0]).toBe(
      'userId,movieId,rating,timestamp',
    );
    const other = await kind.create();
    try {
      await importMovieLens(other.db, dir);
      expect(await tableSnapshot(other.db)).toEqual(direct);
    } finally {
      await other.drop();
    }
    const data = await loadRatingsData(t.db);
    expect(data.size).toBe(500);
  });

  it('refuses a database that already has movies, and leaves it alone', async () => {
    await generateIntoDatabase(t.db, small);
    const before = await tableSnapshot(t.db);
    await expect(generateIntoDatabase(t.db, { ...small, seed: 99 })).rejects.toBeInstanceOf(ConflictError);
    expect(await tableSnapshot(t.db)).toEqual(before);
  });

  it('installs the demo catalogue once', async () => {
    const first = await installDemoCatalog(t.db);
    expect(first).toMatchObject({ installed: true, movies: 1500, ratings: 60_000 });
    const second = await installDemoCatalog(t.db);
    expect(second).toMatchObject({ installed: false, movies: 1500, ratings: 60_000 });
  });

  it('two processes loading the demo into the same empty database at once: one installs, the other leaves it', async () => {
    const run = () =>
      exec(process.execPath, ['--import', 'tsx', cliMain, '--db', t.location, 'demo', '--json'], {
        cwd: repoRoot,
      }).then((r) => JSON.parse(r.stdout) as { installed: boolean; ratings: number });
    const results = await Promise.all([run(), run()]);
    expect(results.map((r) => r.installed).sort()).toEqual([false, true]);
    expect(results.map((r) => r.ratings)).toEqual([60_000, 60_000]);
  });
});
