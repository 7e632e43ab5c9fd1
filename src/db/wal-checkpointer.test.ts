import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SqliteDatabase } from './sqlite-database.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'movienight-wal-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `rows` rows of about one page each into the log, in one commit. */
async function writeLog(db: SqliteDatabase, rows: number): Promise<void> {
  await db.run('CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body BLOB)');
  await db.transaction(async (tx) => {
    for (let i = 0; i < rows; i++) await tx.run('INSERT INTO filler (body) VALUES (randomblob(4000))');
  });
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

it('a serving connection has its log copied into the database file by the checkpointer thread', async () => {
  const path = join(dir, 'served.db');
  const db = new SqliteDatabase(path, { serving: true });
  await writeLog(db, 1000);
  // The pages reach the database file while the connection stays open and idle.
  expect(await waitFor(() => statSync(path).size > 3 * 2 ** 20, 10_000)).toBe(true);
  expect(Number(await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM filler').then((r) => r?.n))).toBe(
    1000,
  );
  await db.close();
});

it('an ordinary connection leaves a log under 1,000 pages in the log (the control)', async () => {
  const path = join(dir, 'plain.db');
  const db = new SqliteDatabase(path);
  await writeLog(db, 500);
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(statSync(path).size).toBeLessThan(2 ** 20);
  await db.close();
});
