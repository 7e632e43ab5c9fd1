import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/databases.ts';
import { checkDatabase } from '../db/database-check.ts';
import { generateToFolder } from './generate.ts';
import { importMovieLens } from './import-movielens.ts';

const repoRoot = resolve(import.meta.dirname, '..', '..');

/**
 * "A process killed at any moment leaves a consistent database the next run can continue from":
 * an import killed (SIGKILL) in the middle of writing leaves no partial import behind, and the
 * same import run again completes.
 */
describeEachDatabase('an import killed mid-way', (kind) => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mn-kill-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves the database as it was, and a rerun imports everything', async () => {
    const data = join(dir, 'data');
    await generateToFolder(data, { users: 1500, movies: 1500, ratings: 120_000, seed: 9 });
    const t = await kind.create();
    const location = t.location;

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'test', 'fixtures', 'import-until-killed.ts'), location, data],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<NodeJS.Signals | null>((done) =>
      child.on('exit', (_code, signal) => done(signal)),
    );
    // The child stops inside the import's transaction, with the first chunk of ratings written.
    let said = '';
    await new Promise<void>((done) => {
      child.stdout.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        if (said.includes('mid-import')) done();
      });
      child.on('exit', () => done());
    });
    expect(said).toContain('mid-import');
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const db = t.db;
    try {
      const counts = await db.get<{ r: number; m: number; u: number }>(
        'SELECT (SELECT COUNT(*) FROM ratings) AS r, (SELECT COUNT(*) FROM movies) AS m, (SELECT COUNT(*) FROM users) AS u',
      );
      expect(counts).toEqual({ r: 0, m: 0, u: 0 });
      expect((await checkDatabase(db)).ok).toBe(true);
      const s = await importMovieLens(db, data);
      expect(s.ratings.inserted).toBe(120_000);
    } finally {
      await t.drop();
    }
  });
});
