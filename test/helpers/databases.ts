import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';

/** A fresh, empty, migrated database of one kind, and how to throw it away. */
export interface TestDatabase {
  readonly db: Database;
  /** What `openDatabase` takes to open it again (a second connection, a child process). */
  readonly location: string;
  drop(): Promise<void>;
}

export interface DatabaseKind {
  readonly name: 'sqlite' | 'postgres';
  create(options?: { migrate?: boolean }): Promise<TestDatabase>;
}

export const sqliteKind: DatabaseKind = {
  name: 'sqlite',
  async create(options) {
    const dir = mkdtempSync(join(tmpdir(), 'movienight-test-'));
    const location = join(dir, 'movies.db');
    const db = await openDatabase(location, options);
    return {
      db,
      location,
      async drop() {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresUrl = process.env.MOVIENIGHT_TEST_PG_URL;

/** Each test database on PostgreSQL is its own `CREATE DATABASE`, dropped afterwards. */
export const postgresKind: DatabaseKind = {
  name: 'postgres',
  async create(options) {
    if (!postgresUrl) throw new Error('MOVIENIGHT_TEST_PG_URL is not set');
    const name = `mn_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(postgresUrl);
    url.pathname = `/${name}`;
    const location = url.toString();
    const db = await openDatabase(location, options);
    return {
      db,
      location,
      async drop() {
        await db.close();
        const a = new pg.Client({ connectionString: postgresUrl });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.end();
      },
    };
  },
};

/**
 * Runs a suite once per database kind. PostgreSQL is skipped (and says why) only when no server
 * URL is known; under CI the global setup guarantees one.
 */
export function describeEachDatabase(title: string, suite: (kind: DatabaseKind) => void): void {
  describe(`${title} [sqlite]`, () => suite(sqliteKind));
  describe.skipIf(!postgresUrl)(
    `${title} [postgres]${postgresUrl ? '' : ' (skipped: MOVIENIGHT_TEST_PG_URL not set)'}`,
    () => suite(postgresKind),
  );
}
