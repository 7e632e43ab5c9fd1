import pg from 'pg';
import {
  type Database,
  placeholdersToPostgres,
  type Queryable,
  type Row,
  type RunResult,
  type SqlValue,
  type StorageFacts,
} from './database.ts';

// BIGINT (epoch milliseconds, counts) as JS numbers: every value we store fits in 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
// NUMERIC from aggregates such as AVG and SUM.
pg.types.setTypeParser(1700, (v) => Number.parseFloat(v));

/** PostgreSQL allows 65,535 parameters per statement. */
const MAX_PARAMS = 60_000;

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
    insertMany: async (table, columns, rows, suffix = '') => {
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
    },
    selectForUpdate: async <T>(sql: string, params?: readonly SqlValue[]) =>
      all<T>(`${sql} FOR UPDATE`, params),
    advisoryLock: async (key: number) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [key]);
    },
    lockTable: async (table: string) => {
      await client.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
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

  async storageFacts(): Promise<StorageFacts> {
    const row = await this.q.get<{ n: number }>('SELECT pg_database_size(current_database()) AS n');
    return { sizeBytes: row ? Number(row.n) : null, integrity: 'ok' };
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
