import { SchemaVersionError } from '../errors.ts';
import type { Database } from './database.ts';
import { migrations as allMigrations } from './migrations/index.ts';
import { ddlTypes, type Migration } from './migrations/migration.ts';

export interface MigrationResult {
  readonly version: number;
  readonly name: string;
  readonly applied: boolean;
}

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
      if (db.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(727271)');
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
