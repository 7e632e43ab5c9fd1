import { SchemaVersionError } from '../errors.ts';
import type { Database, Queryable } from './database.ts';
import { migrations as allMigrations } from './migrations/index.ts';
import { ddlTypes, type Migration } from './migrations/migration.ts';

export interface MigrationResult {
  readonly version: number;
  readonly name: string;
  readonly applied: boolean;
}

/** The advisory lock processes migrating one database at once take turns on. */
const migrationLockKey = 727271;

/** The schema version this program writes. */
export const latestSchemaVersion = Math.max(...allMigrations.map((m) => m.version));

async function ensureVersionTable(db: Database): Promise<void> {
  await db.run(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
  );
}

export async function currentSchemaVersion(db: Database): Promise<number> {
  await ensureVersionTable(db);
  const row = await db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version');
  return row?.v ?? 0;
}

/**
 * The schema version of a migrated database, by a read alone (currentSchemaVersion first creates
 * the version table, a write): a health probe hit every few seconds must not take the write lock.
 */
export async function readSchemaVersion(db: Queryable): Promise<number> {
  const row = await db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version');
  return row?.v ?? 0;
}

/**
 * Rows in each of the given tables, for status pages (table names come from the program, never
 * from a request).
 */
export async function countTableRows(
  db: Queryable,
  tables: readonly string[],
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const row = await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
    counts[table] = row?.n ?? 0;
  }
  return counts;
}

/**
 * Brings the schema up to date, one transaction per migration. Safe when several processes start
 * at once: each migration re-checks the version under the write lock. A database whose schema is
 * newer than this program is refused: running old code on it could corrupt it.
 */
export async function migrate(
  db: Database,
  migrations: readonly Migration[] = allMigrations,
): Promise<MigrationResult[]> {
  const latest = Math.max(0, ...migrations.map((m) => m.version));
  const found = await currentSchemaVersion(db);
  if (found > latest) {
    throw new SchemaVersionError(
      `${db.location} has schema version ${found}, newer than this MovieNight understands (${latest}); upgrade MovieNight instead of opening it with this version`,
    );
  }
  const types = ddlTypes(db.dialect);
  const results: MigrationResult[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    const applied = await db.transaction(async (tx) => {
      await tx.advisoryLock(migrationLockKey);
      // Each version is checked by itself (not against the maximum), so a migration merged later
      // with a lower number than one already applied is still applied.
      const row = await tx.get('SELECT version FROM schema_version WHERE version = ?', [m.version]);
      if (row) return false;
      await m.up(tx, types);
      await tx.run('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)', [
        m.version,
        m.name,
        Date.now(),
      ]);
      return true;
    });
    results.push({ version: m.version, name: m.name, applied });
  }
  return results;
}
