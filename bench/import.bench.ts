import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateToFolder } from '../src/data/generate.ts';
import { importMovieLens } from '../src/data/import-movielens.ts';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { mlLatestSmallDir } from '../test/helpers/data-paths.ts';
import { fmt, peakMemory, timeIt } from './measure.ts';
import type { Benchmark } from './run.ts';

/**
 * Import throughput and peak memory (RSS of this process) for ml-latest-small and for generated
 * ratings (1 M by default; MOVIENIGHT_BENCH_IMPORT_ROWS to change), on SQLite and, when a server
 * URL is known (MOVIENIGHT_BENCH_PG_URL or MOVIENIGHT_TEST_PG_URL), on a throwaway PostgreSQL
 * database. Targets (2 cores): ml-latest-small < 3 s, 1 M generated ratings < 20 s on SQLite.
 */
const pgUrl = process.env.MOVIENIGHT_BENCH_PG_URL || process.env.MOVIENIGHT_TEST_PG_URL;
const generatedRows = Number(process.env.MOVIENIGHT_BENCH_IMPORT_ROWS || 1_000_000);

interface Target {
  readonly name: string;
  open(): Promise<{ db: Database; drop(): Promise<void> }>;
}

const sqlite: Target = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'mn-bench-'));
    const db = await openDatabase(join(dir, 'movies.db'));
    return {
      db,
      async drop() {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Target = {
  name: 'postgres',
  async open() {
    const name = `mn_bench_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(pgUrl!);
    url.pathname = `/${name}`;
    const db = await openDatabase(url.toString());
    return {
      db,
      async drop() {
        await db.close();
        const a = new pg.Client({ connectionString: pgUrl });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.end();
      },
    };
  },
};

async function measureImport(target: Target, label: string, dir: string): Promise<void> {
  const { db, drop } = await target.open();
  try {
    global.gc?.();
    const { peakMiB, result } = await peakMemory(() => timeIt(() => importMovieLens(db, dir)));
    const n = result.result.ratings.inserted;
    console.log(
      `${label.padEnd(22)} ${target.name.padEnd(8)} ${String(n).padStart(9)} ratings  ${fmt(result.seconds, 2).padStart(7)} s  ${Math.round(
        n / result.seconds,
      )
        .toString()
        .padStart(8)} ratings/s  peak RSS ${fmt(peakMiB, 0)} MiB`,
    );
  } finally {
    await drop();
  }
}

export const benchmark: Benchmark = {
  name: 'import',
  description: `import throughput and peak memory: ml-latest-small and ${generatedRows} generated ratings, SQLite${pgUrl ? ' and PostgreSQL' : ' (PostgreSQL skipped: no MOVIENIGHT_BENCH_PG_URL / MOVIENIGHT_TEST_PG_URL)'}`,
  async run() {
    const targets = pgUrl ? [sqlite, postgres] : [sqlite];
    const work = mkdtempSync(join(tmpdir(), 'mn-bench-gen-'));
    try {
      const users = Math.max(100, Math.round(generatedRows / 100));
      const movies = Math.max(200, Math.min(50_000, Math.round(generatedRows / 200)));
      const gen = await peakMemory(() =>
        timeIt(() => generateToFolder(work, { users, movies, ratings: generatedRows, seed: 1 })),
      );
      console.log(
        `generate --out          ${generatedRows} ratings (${users} users, ${movies} movies)  ${fmt(gen.result.seconds, 2)} s  peak RSS ${fmt(gen.peakMiB, 0)} MiB`,
      );
      for (const target of targets) {
        if (mlLatestSmallDir) await measureImport(target, 'ml-latest-small', mlLatestSmallDir);
        else console.log(`ml-latest-small skipped: ${'../shared/data/ml-latest-small'} is absent`);
        await measureImport(target, `generated ${generatedRows}`, work);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
