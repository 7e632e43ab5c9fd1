import { createHash } from 'node:crypto';
import type { Database } from './database.ts';
import { currentSchemaVersion, latestSchemaVersion } from './migrate.ts';

/** One check of `movienight db check`. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface CheckReport {
  readonly location: string;
  readonly dialect: string;
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
}

interface Reference {
  readonly table: string;
  readonly column: string;
  readonly parent: string;
  readonly parentColumn: string;
}

/**
 * References the schema does not declare as foreign keys (versions and A/B tests are written by
 * other processes, possibly later than the row that names them) but that must still resolve.
 */
const undeclaredReferences: readonly Reference[] = [
  {
    table: 'served_recommendations',
    column: 'model_version',
    parent: 'model_versions',
    parentColumn: 'version',
  },
  { table: 'served_recommendations', column: 'ab_test_id', parent: 'ab_tests', parentColumn: 'id' },
  {
    table: 'recommendation_quality',
    column: 'model_version',
    parent: 'model_versions',
    parentColumn: 'version',
  },
  { table: 'recommendation_quality', column: 'ab_test_id', parent: 'ab_tests', parentColumn: 'id' },
];

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function declaredReferences(db: Database): Promise<Reference[]> {
  if (db.dialect === 'postgres') {
    return db.all<Reference>(
      `SELECT kcu.table_name AS "table", kcu.column_name AS "column",
              ccu.table_name AS "parent", ccu.column_name AS "parentColumn"
       FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage kcu
         ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
       JOIN information_schema.constraint_column_usage ccu
         ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
       WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()
       ORDER BY 1, 2`,
    );
  }
  const out: Reference[] = [];
  const tables = await db.all<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  for (const { name } of tables) {
    const fks = await db.all<{ table: string; from: string; to: string | null }>(
      `PRAGMA foreign_key_list(${q(name)})`,
    );
    for (const fk of fks)
      out.push({ table: name, column: fk.from, parent: fk.table, parentColumn: fk.to ?? 'rowid' });
  }
  return out;
}

async function columnsOf(db: Database): Promise<Set<string>> {
  const set = new Set<string>();
  if (db.dialect === 'postgres') {
    const rows = await db.all<{ t: string; c: string }>(
      'SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema()',
    );
    for (const r of rows) set.add(`${r.t}.${r.c}`);
  } else {
    const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'");
    for (const { name } of tables) {
      for (const c of await db.all<{ name: string }>(`PRAGMA table_info(${q(name)})`))
        set.add(`${name}.${c.name}`);
    }
  }
  return set;
}

/**
 * Integrity checks: SQLite's own integrity_check and
 * foreign_key_check, then on both dialects orphan rows for every declared and known undeclared
 * reference, ratings off the 0.5–5 range, the schema version, and every stored model artifact
 * against its checksum. Reads only.
 */
export async function checkDatabase(db: Database): Promise<CheckReport> {
  const checks: CheckResult[] = [];
  const version = await currentSchemaVersion(db);
  checks.push({
    name: 'schema version',
    ok: version === latestSchemaVersion,
    detail:
      version === latestSchemaVersion
        ? `${version}, current`
        : `${version}, this program expects ${latestSchemaVersion}`,
  });
  if (db.dialect === 'sqlite') {
    const integrity = await db.all<{ integrity_check: string }>('PRAGMA integrity_check');
    const messages = integrity.map((r) => r.integrity_check);
    checks.push({
      name: 'integrity_check',
      ok: messages.length === 1 && messages[0] === 'ok',
      detail: messages.slice(0, 5).join('; '),
    });
    const fk = await db.all<{ table: string; parent: string }>('PRAGMA foreign_key_check');
    checks.push({
      name: 'foreign_key_check',
      ok: fk.length === 0,
      detail:
        fk.length === 0
          ? 'ok'
          : `${fk.length} rows break a foreign key (first: ${fk[0]?.table} → ${fk[0]?.parent})`,
    });
  }
  const columns = await columnsOf(db);
  const refs = [...(await declaredReferences(db)), ...undeclaredReferences].filter(
    (r) => columns.has(`${r.table}.${r.column}`) && columns.has(`${r.parent}.${r.parentColumn}`),
  );
  for (const r of refs) {
    const row = await db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${q(r.table)} c WHERE c.${q(r.column)} IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM ${q(r.parent)} p WHERE p.${q(r.parentColumn)} = c.${q(r.column)})`,
    );
    const n = row?.n ?? 0;
    checks.push({
      name: `orphans ${r.table}.${r.column} → ${r.parent}.${r.parentColumn}`,
      ok: n === 0,
      detail: n === 0 ? 'none' : `${n} rows name a missing ${r.parent} row`,
    });
  }
  const off = await db.get<{ n: number }>(
    'SELECT COUNT(*) AS n FROM ratings WHERE rating < 0.5 OR rating > 5 OR rated_at < 0',
  );
  const offCount = off?.n ?? 0;
  checks.push({
    name: 'ratings in range',
    ok: offCount === 0,
    detail:
      offCount === 0
        ? 'all within 0.5–5 with a time'
        : `${offCount} ratings outside 0.5–5 or with a negative time`,
  });
  checks.push(await artifactCheck(db));
  return { location: db.location, dialect: db.dialect, ok: checks.every((c) => c.ok), checks };
}

/**
 * Every stored model artifact against the SHA-256 recorded when its version was registered, one
 * artifact in memory at a time. A version that is not pruned must have its artifact.
 */
async function artifactCheck(db: Database): Promise<CheckResult> {
  const versions = await db.all<{ version: number }>(
    "SELECT version FROM model_versions WHERE status <> 'pruned' ORDER BY version",
  );
  const bad: string[] = [];
  for (const { version } of versions) {
    const row = await db.get<{ artifact: Uint8Array | null; artifact_checksum: string | null }>(
      'SELECT artifact, artifact_checksum FROM model_versions WHERE version = ?',
      [version],
    );
    const bytes = row?.artifact;
    if (!bytes || bytes.length === 0) bad.push(`v${version} missing`);
    else if (createHash('sha256').update(bytes).digest('hex') !== row?.artifact_checksum) {
      bad.push(`v${version} damaged`);
    }
  }
  return {
    name: 'model artifacts',
    ok: bad.length === 0,
    detail:
      bad.length === 0
        ? `${versions.length} stored, every checksum matches`
        : `${bad.length} of ${versions.length} bad: ${bad.slice(0, 10).join(', ')}`,
  };
}

export function renderCheck(r: CheckReport): string {
  const lines = [`${r.location} (${r.dialect}): ${r.ok ? 'OK' : 'PROBLEMS FOUND'}`];
  for (const c of r.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  return lines.join('\n');
}
