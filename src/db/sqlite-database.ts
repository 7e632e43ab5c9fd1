import BetterSqlite3 from 'better-sqlite3';
import type { Database, Queryable, Row, RunResult, SqlValue, TransactionOptions } from './database.ts';

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/**
 * SQLite through better-sqlite3: WAL (readers never block the writer), a busy timeout (another
 * process holding the write lock makes us wait, not fail), foreign keys on.
 *
 * better-sqlite3 is synchronous; this class serialises async callers with a promise chain so that
 * a transaction's statements are never interleaved with another caller's.
 */
export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  readonly raw: BetterSqlite3.Database;
  private readonly statements = new Map<string, Statement>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(path: string, options: { readonly busyTimeoutMs?: number; readonly readonly?: boolean } = {}) {
    this.location = path;
    this.raw = new BetterSqlite3(path, { readonly: options.readonly ?? false });
    this.raw.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 15_000}`);
    if (path !== ':memory:' && !options.readonly) this.raw.pragma('journal_mode = WAL');
    this.raw.pragma('synchronous = NORMAL');
    this.raw.pragma('foreign_keys = ON');
  }

  private statement(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.raw.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` after everything queued before it; errors do not poison the queue. */
  private enqueue<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private readonly direct: Queryable = {
    dialect: 'sqlite',
    all: async <T>(sql: string, params: readonly SqlValue[] = []) =>
      this.statement(sql).all(...(params as unknown[])) as T[],
    get: async <T>(sql: string, params: readonly SqlValue[] = []) =>
      this.statement(sql).get(...(params as unknown[])) as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []) => {
      const r = this.statement(sql).run(...(params as unknown[]));
      return { changes: r.changes };
    },
    insertMany: async (table, columns, rows, suffix = '') => {
      const marks = columns.map(() => '?').join(', ');
      const s = this.statement(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${marks}) ${suffix}`);
      let changes = 0;
      for (const row of rows) changes += s.run(...(row as unknown[])).changes;
      return changes;
    },
  };

  all<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.enqueue(() => this.direct.all<T>(sql, params));
  }
  get<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.enqueue(() => this.direct.get<T>(sql, params));
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return this.enqueue(() => this.direct.run(sql, params));
  }
  insertMany(
    table: string,
    columns: readonly string[],
    rows: Iterable<readonly SqlValue[]>,
    suffix?: string,
  ): Promise<number> {
    return this.enqueue(() => this.direct.insertMany(table, columns, rows, suffix));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.enqueue(async () => {
      this.raw.exec(options.write === false ? 'BEGIN' : 'BEGIN IMMEDIATE');
      try {
        const result = await fn(this.direct);
        this.raw.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.enqueue(() => undefined);
    if (this.raw.open) this.raw.close();
  }
}
