import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { SqlServedStore } from '../src/recommend/served-store.ts';
import { fmt } from './measure.ts';
import type { Benchmark } from './run.ts';

/**
 * Disk per served recommendation row, for the retention figures in docs/api.md: records
 * `lists` lists of 10 rows (as one recommendation request does, exploration propensities filled
 * in, the heavier case) on SQLite and, when a server URL is known (MOVIENIGHT_BENCH_PG_URL or
 * MOVIENIGHT_TEST_PG_URL), on a throwaway PostgreSQL database, and prints the growth of the
 * database per row and per million requests. SQLite: pages in use (the log checkpointed into the
 * file); PostgreSQL: `pg_database_size`, table plus indexes plus its write-ahead-logged heap.
 */
const pgUrl = process.env.MOVIENIGHT_BENCH_PG_URL || process.env.MOVIENIGHT_TEST_PG_URL;
const lists = Number(process.env.MOVIENIGHT_BENCH_SERVED_LISTS || 50_000);
const users = 5_000;
const movies = 2_000;

async function fill(db: Database): Promise<void> {
  await db.insertMany(
    'movies',
    ['id', 'title', 'year', 'genres'],
    Array.from({ length: movies }, (_, i) => [i + 1, `Movie ${i + 1}`, 2000, 'Drama']),
  );
  await db.insertMany(
    'users',
    ['id', 'created_at'],
    Array.from({ length: users }, (_, i) => [i + 1, 0]),
  );
}

async function record(db: Database): Promise<void> {
  const start = 1_800_000_000_000;
  for (let b = 0; b < lists; b += 100) {
    await db.transaction(async (tx) => {
      const store = new SqlServedStore(tx);
      for (let k = b; k < Math.min(lists, b + 100); k++) {
        const user = (k % users) + 1;
        const items = Array.from({ length: 10 }, (_, r) => ({
          movieId: ((k * 37 + r * 101) % movies) + 1,
          rank: r + 1,
          predictedRating: 3 + ((k + r) % 20) / 10,
          propensity: 0.9,
          inclusionPropensity: 0.95,
        }));
        await store.recordServed(user, start + k * 10, { modelVersion: 1, abTestId: null, arm: null }, items);
      }
    });
  }
}

async function measure(name: string, db: Database, fileOf: () => number | null): Promise<void> {
  await fill(db);
  const size = async () => fileOf() ?? (await db.storageFacts()).sizeBytes ?? Number.NaN;
  const before = await size();
  const t0 = performance.now();
  await record(db);
  const seconds = (performance.now() - t0) / 1000;
  const after = await size();
  const rows = lists * 10;
  const perRow = (after - before) / rows;
  console.log(
    `${name.padEnd(8)} ${rows} rows in ${fmt(seconds, 1)} s: ${fmt(perRow, 1)} bytes per served row = ${fmt((perRow * 10 * 1e6) / 2 ** 30, 2)} GiB per million recommendation requests (10 rows each)`,
  );
}

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mn-bench-served-'));
  const file = join(dir, 'movies.db');
  const sqlite = await openDatabase(file);
  try {
    // Pages in use, not the file: the write-ahead log is only copied in at checkpoints.
    await measure('sqlite', sqlite, () => null);
    console.log(
      `         (file ${fmt(statSync(file).size / 2 ** 20, 1)} MiB + log ${fmt(statSync(`${file}-wal`).size / 2 ** 20, 1)} MiB)`,
    );
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (!pgUrl) {
    console.log('postgres skipped: no MOVIENIGHT_BENCH_PG_URL / MOVIENIGHT_TEST_PG_URL');
    return;
  }
  const name = `mn_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase(url.toString());
  try {
    await measure('postgres', db, () => null);
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

export const benchmark: Benchmark = {
  name: 'served-storage',
  description: `disk per served recommendation row: ${lists} lists of 10 on SQLite${pgUrl ? ' and PostgreSQL' : ''}`,
  run,
};
