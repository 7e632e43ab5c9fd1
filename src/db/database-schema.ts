import type { Database } from './database.ts';
import { currentSchemaVersion, latestSchemaVersion } from './migrate.ts';

/**
 * What `movienight db schema` shows: tables with columns, indexes and
 * row counts, and the schema version, read from the database's own catalogue on either dialect.
 */
export interface ColumnInfo {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
  readonly primaryKey: boolean;
  readonly default: string | null;
}

export interface IndexInfo {
  readonly name: string;
  readonly columns: readonly string[];
  readonly unique: boolean;
}

export interface TableInfo {
  readonly name: string;
  readonly rows: number;
  readonly columns: readonly ColumnInfo[];
  readonly indexes: readonly IndexInfo[];
}

export interface SchemaReport {
  readonly location: string;
  readonly dialect: string;
  readonly schemaVersion: number;
  /** The newest version this program knows. */
  readonly programSchemaVersion: number;
  readonly tables: readonly TableInfo[];
}

/** Quoted identifier; names come from the catalogue, quoting keeps odd ones safe. */
const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function sqliteTables(db: Database): Promise<Omit<TableInfo, 'rows'>[]> {
  const tables = await db.all<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  const out: Omit<TableInfo, 'rows'>[] = [];
  for (const { name } of tables) {
    const cols = await db.all<{
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }>(`PRAGMA table_info(${q(name)})`);
    const list = await db.all<{ name: string; unique: number }>(`PRAGMA index_list(${q(name)})`);
    const indexes: IndexInfo[] = [];
    for (const ix of list) {
      const parts = await db.all<{ name: string }>(`PRAGMA index_info(${q(ix.name)})`);
      indexes.push({ name: ix.name, columns: parts.map((p) => p.name), unique: ix.unique === 1 });
    }
    out.push({
      name,
      columns: cols.map((c) => ({
        name: c.name,
        type: c.type,
        nullable: c.notnull === 0 && c.pk === 0,
        primaryKey: c.pk > 0,
        default: c.dflt_value,
      })),
      indexes: indexes.sort((a, b) => a.name.localeCompare(b.name)),
    });
  }
  return out;
}

/** Every index of the current schema with its columns in key order. */
function postgresIndexes(db: Database) {
  return db.all<{ name: string; table_name: string; is_unique: boolean; columns: string }>(
    `SELECT i.relname AS name, t.relname AS table_name, ix.indisunique AS is_unique,
       array_to_string(ARRAY(
         SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord), ',') AS columns
     FROM pg_index ix
     JOIN pg_class i ON i.oid = ix.indexrelid
     JOIN pg_class t ON t.oid = ix.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = current_schema()
     ORDER BY i.relname`,
  );
}

async function postgresTables(db: Database): Promise<Omit<TableInfo, 'rows'>[]> {
  const cols = await db.all<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
    column_default: string | null;
  }>(
    `SELECT c.table_name, c.column_name, c.data_type, c.is_nullable, c.column_default
     FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
     WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
     ORDER BY c.table_name, c.ordinal_position`,
  );
  const pks = await db.all<{ table_name: string; column_name: string }>(
    `SELECT kcu.table_name, kcu.column_name
     FROM information_schema.table_constraints tc
     JOIN information_schema.key_column_usage kcu
       ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
     WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema()`,
  );
  const pkSet = new Set(pks.map((p) => `${p.table_name}.${p.column_name}`));
  const idx = await postgresIndexes(db);
  const byTable = new Map<string, { columns: ColumnInfo[]; indexes: IndexInfo[] }>();
  for (const c of cols) {
    let entry = byTable.get(c.table_name);
    if (!entry) {
      entry = { columns: [], indexes: [] };
      byTable.set(c.table_name, entry);
    }
    const primaryKey = pkSet.has(`${c.table_name}.${c.column_name}`);
    entry.columns.push({
      name: c.column_name,
      type: c.data_type,
      nullable: c.is_nullable === 'YES' && !primaryKey,
      primaryKey,
      default: c.column_default,
    });
  }
  for (const i of idx) {
    byTable.get(i.table_name)?.indexes.push({
      name: i.name,
      columns: i.columns === '' ? [] : i.columns.split(','),
      unique: i.is_unique,
    });
  }
  return [...byTable.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, v]) => ({ name, columns: v.columns, indexes: v.indexes }));
}

export async function describeSchema(db: Database): Promise<SchemaReport> {
  const schemaVersion = await currentSchemaVersion(db);
  const tables = db.dialect === 'sqlite' ? await sqliteTables(db) : await postgresTables(db);
  const withRows: TableInfo[] = [];
  for (const t of tables) {
    const row = await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${q(t.name)}`);
    withRows.push({ ...t, rows: row?.n ?? 0 });
  }
  return {
    location: db.location,
    dialect: db.dialect,
    schemaVersion,
    programSchemaVersion: latestSchemaVersion,
    tables: withRows,
  };
}

export function renderSchema(r: SchemaReport): string {
  const lines = [
    `${r.location} (${r.dialect}), schema version ${r.schemaVersion} (this program: ${r.programSchemaVersion})`,
  ];
  for (const t of r.tables) {
    lines.push('', `${t.name}: ${t.rows} rows`);
    for (const c of t.columns) {
      const flags = [
        c.primaryKey ? 'primary key' : '',
        c.nullable ? '' : 'not null',
        c.default ? `default ${c.default}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      lines.push(`  ${c.name.padEnd(22)} ${c.type}${flags ? `  (${flags})` : ''}`);
    }
    for (const i of t.indexes)
      lines.push(`  index ${i.name}${i.unique ? ' (unique)' : ''} on ${i.columns.join(', ')}`);
  }
  return lines.join('\n');
}
