import pg from 'pg';
import {
  type CompactResult,
  type ConstraintDefinition,
  type Database,
  type IndexDefinition,
  type NumericColumn,
  type NumericColumnType,
  placeholdersToPostgres,
  type Queryable,
  quoteIdentifier,
  type Row,
  type RunResult,
  type SqlValue,
  type StorageFacts,
  type TriggerDefinition,
} from './database.ts';
import { copyColumnsInto, scanNumbersByCopy } from './postgres-copy.ts';

// BIGINT (epoch milliseconds, counts) as JS numbers: every value we store fits in 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
// NUMERIC from aggregates such as AVG and SUM.
pg.types.setTypeParser(1700, (v) => Number.parseFloat(v));

/** PostgreSQL allows 65,535 parameters per statement. */
const MAX_PARAMS = 60_000;

const sqlTypes: Readonly<Record<NumericColumnType, string>> = {
  integer: 'integer',
  bigint: 'bigint',
  double: 'double precision',
};

/**
 * The rows to write, by index: all of them in order, or, with a conflict key, sorted by key with
 * only the last of each run of equal keys (one INSERT … ON CONFLICT may touch a row only once).
 */
function rowOrder(
  columns: readonly NumericColumn[],
  count: number,
  conflictKey: readonly string[],
): number[] {
  const idx = Array.from({ length: count }, (_, i) => i);
  if (conflictKey.length === 0) return idx;
  const keys = conflictKey.map((name) => {
    const column = columns.find((c) => c.name === name);
    if (!column) throw new Error(`insertColumns: conflict key ${name} is not one of the columns`);
    return column.values;
  });
  const compareKeys = (a: number, b: number): number => {
    for (const k of keys) if (k[a]! !== k[b]!) return k[a]! - k[b]!;
    return 0;
  };
  idx.sort((a, b) => compareKeys(a, b) || a - b);
  return idx.filter((i, k) => {
    const next = idx[k + 1];
    return next === undefined || compareKeys(i, next) !== 0;
  });
}

/** One `unnest` statement: each column travels as one array literal such as `{1,2,3}`. */
async function insertColumnsWithUnnest(
  client: pg.Pool | pg.PoolClient,
  table: string,
  columns: readonly NumericColumn[],
  count: number,
  options: { readonly conflictKey?: readonly string[]; readonly suffix?: string },
): Promise<number> {
  if (count === 0) return 0;
  const order = rowOrder(columns, count, options.conflictKey ?? []);
  const arrays = columns.map((c) => {
    const parts = new Array<string>(order.length);
    for (let k = 0; k < order.length; k++) parts[k] = String(c.values[order[k]!]);
    return `{${parts.join(',')}}`;
  });
  const casts = columns.map((c, i) => `$${i + 1}::${sqlTypes[c.type]}[]`);
  const r = await client.query(
    `INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')})
     SELECT * FROM unnest(${casts.join(', ')}) ${options.suffix ?? ''}`,
    arrays,
  );
  return r.rowCount ?? 0;
}

/** Multi-row VALUES statements, as many rows each as PostgreSQL's parameter limit allows. */
async function insertRowsInBatches(
  client: pg.Pool | pg.PoolClient,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly SqlValue[]>,
  suffix: string,
): Promise<number> {
  const perBatch = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  let changes = 0;
  let batch: SqlValue[] = [];
  let count = 0;
  const flush = async () => {
    if (count === 0) return;
    const tuples: string[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      const marks = columns.map(() => `$${++p}`);
      tuples.push(`(${marks.join(', ')})`);
    }
    const r = await client.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ${suffix}`,
      batch,
    );
    changes += r.rowCount ?? 0;
    batch = [];
    count = 0;
  };
  for (const row of rows) {
    for (const v of row) batch.push(v);
    count += 1;
    if (count >= perBatch) await flush();
  }
  await flush();
  return changes;
}

async function secondaryIndexes(client: pg.Pool | pg.PoolClient, table: string): Promise<IndexDefinition[]> {
  const r = await client.query(
    `SELECT indexname AS name, indexdef AS sql FROM pg_indexes
      WHERE schemaname = current_schema() AND tablename = $1
        AND indexname NOT IN (SELECT conname FROM pg_constraint)
      ORDER BY indexname`,
    [table],
  );
  return r.rows as IndexDefinition[];
}

async function foreignKeys(client: pg.Pool | pg.PoolClient, table: string): Promise<ConstraintDefinition[]> {
  const r = await client.query(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
      WHERE conrelid = to_regclass($1) AND contype = 'f' ORDER BY conname`,
    [table],
  );
  return r.rows as ConstraintDefinition[];
}

/** `FOR EACH ROW` triggers of `table` (bit 0 of `tgtype`), internal ones (foreign keys) excepted. */
async function rowTriggers(client: pg.Pool | pg.PoolClient, table: string): Promise<TriggerDefinition[]> {
  const r = await client.query(
    `SELECT tgname AS name, $1 AS "table", pg_get_triggerdef(oid) AS sql FROM pg_trigger
      WHERE tgrelid = to_regclass($1) AND NOT tgisinternal AND (tgtype & 1) = 1 ORDER BY tgname`,
    [table],
  );
  return r.rows as TriggerDefinition[];
}

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  const all = async <T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> => {
    const r = await client.query(placeholdersToPostgres(sql), params as unknown[]);
    return r.rows as T[];
  };
  return {
    dialect: 'postgres',
    all,
    get: async <T>(sql: string, params?: readonly SqlValue[]) => (await all<T>(sql, params))[0],
    run: async (sql: string, params: readonly SqlValue[] = []): Promise<RunResult> => {
      const r = await client.query(placeholdersToPostgres(sql), params as unknown[]);
      return { changes: r.rowCount ?? 0 };
    },
    insertMany: (table, columns, rows, suffix = '') =>
      insertRowsInBatches(client, table, columns, rows, suffix),
    selectForUpdate: async <T>(sql: string, params?: readonly SqlValue[]) =>
      all<T>(`${sql} FOR UPDATE`, params),
    advisoryLock: async (key: number) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [key]);
    },
    lockTable: async (table: string) => {
      await client.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
    },
    insertColumns: (table, columns, count, options = {}) =>
      insertColumnsWithUnnest(client, table, columns, count, options),
    stagesBulkUpserts: true,
    copyInto: (table, columns, count) => copyColumnsInto(client, table, columns, count),
    scanNumbers: (sql, params, onRow) => scanNumbersByCopy(client, sql, params, onRow),
    secondaryIndexes: (table) => secondaryIndexes(client, table),
    foreignKeys: (table) => foreignKeys(client, table),
    dropConstraints: async (table, constraints) => {
      for (const c of constraints)
        await client.query(`ALTER TABLE ${table} DROP CONSTRAINT ${quoteIdentifier(c.name)}`);
    },
    addConstraints: async (table, constraints) => {
      for (const c of constraints) {
        await client.query(`ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdentifier(c.name)} ${c.definition}`);
      }
    },
    dropIndexes: async (indexes) => {
      for (const ix of indexes) await client.query(`DROP INDEX ${quoteIdentifier(ix.name)}`);
    },
    createIndexes: async (indexes) => {
      for (const ix of indexes) await client.query(ix.sql);
    },
    rowTriggers: (table) => rowTriggers(client, table),
    dropTriggers: async (triggers) => {
      for (const t of triggers) await client.query(`DROP TRIGGER ${quoteIdentifier(t.name)} ON ${t.table}`);
    },
    createTriggers: async (triggers) => {
      for (const t of triggers) await client.query(t.sql);
    },
  };
}

/** PostgreSQL through a `pg` pool; a transaction holds one pooled client from BEGIN to COMMIT. */
export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  readonly file = null;
  readonly pool: pg.Pool;
  private readonly q: Queryable;

  constructor(url: string, options: { readonly max?: number } = {}) {
    const u = new URL(url);
    if (u.password) u.password = '***';
    this.location = u.toString();
    this.pool = new pg.Pool({ connectionString: url, max: options.max ?? 8 });
    // An idle client losing its connection must not crash the process.
    this.pool.on('error', () => undefined);
    this.q = queryable(this.pool);
  }

  all<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.q.all<T>(sql, params);
  }
  get<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.q.get<T>(sql, params);
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return this.q.run(sql, params);
  }
  insertMany(
    table: string,
    columns: readonly string[],
    rows: Iterable<readonly SqlValue[]>,
    suffix?: string,
  ): Promise<number> {
    return this.q.insertMany(table, columns, rows, suffix);
  }
  selectForUpdate<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.q.selectForUpdate<T>(sql, params);
  }
  advisoryLock(key: number): Promise<void> {
    return this.q.advisoryLock(key);
  }
  lockTable(table: string): Promise<void> {
    return this.q.lockTable(table);
  }
  insertColumns(
    table: string,
    columns: readonly NumericColumn[],
    count: number,
    options?: { readonly conflictKey?: readonly string[]; readonly suffix?: string },
  ): Promise<number> {
    return this.q.insertColumns(table, columns, count, options);
  }
  readonly stagesBulkUpserts = true;
  copyInto(table: string, columns: readonly NumericColumn[], count: number): Promise<number> {
    return this.q.copyInto(table, columns, count);
  }
  /** `COPY … TO STDOUT` streams every row already: a grouped read would gain nothing here. */
  scanNumbers(sql: string, params: readonly number[], onRow: (row: Float64Array) => void): Promise<number> {
    return this.q.scanNumbers(sql, params, onRow);
  }
  secondaryIndexes(table: string): Promise<readonly IndexDefinition[]> {
    return this.q.secondaryIndexes(table);
  }
  dropIndexes(indexes: readonly IndexDefinition[]): Promise<void> {
    return this.q.dropIndexes(indexes);
  }
  foreignKeys(table: string): Promise<readonly ConstraintDefinition[]> {
    return this.q.foreignKeys(table);
  }
  dropConstraints(table: string, constraints: readonly ConstraintDefinition[]): Promise<void> {
    return this.q.dropConstraints(table, constraints);
  }
  addConstraints(table: string, constraints: readonly ConstraintDefinition[]): Promise<void> {
    return this.q.addConstraints(table, constraints);
  }
  createIndexes(indexes: readonly IndexDefinition[]): Promise<void> {
    return this.q.createIndexes(indexes);
  }
  rowTriggers(table: string): Promise<readonly TriggerDefinition[]> {
    return this.q.rowTriggers(table);
  }
  dropTriggers(triggers: readonly TriggerDefinition[]): Promise<void> {
    return this.q.dropTriggers(triggers);
  }
  createTriggers(triggers: readonly TriggerDefinition[]): Promise<void> {
    return this.q.createTriggers(triggers);
  }

  /** The database's size on disk, or null when PostgreSQL returns no row. */
  private async sizeBytes(): Promise<number | null> {
    const row = await this.q.get<{ n: number }>('SELECT pg_database_size(current_database()) AS n');
    return row ? Number(row.n) : null;
  }

  async compact(): Promise<CompactResult> {
    const beforeBytes = (await this.sizeBytes()) ?? 0;
    await this.q.run('VACUUM FULL');
    return { beforeBytes, afterBytes: (await this.sizeBytes()) ?? 0 };
  }

  async storageFacts(): Promise<StorageFacts> {
    return { sizeBytes: await this.sizeBytes(), integrity: 'ok' };
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(queryable(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
