// This file is long because one class adapts every capability of the Database interface to SQLite
// (transactions, group commit, bulk loads, constraints and indexes, streaming scans); each is short.
import { availableParallelism } from 'node:os';
import BetterSqlite3 from 'better-sqlite3';
import { ConflictError } from '../errors.ts';
import { startWorker } from '../threads/worker-thread.ts';
import {
  type CompactResult,
  type ConstraintDefinition,
  type Database,
  type IndexDefinition,
  type NumericColumn,
  parallelScanRows,
  type Queryable,
  quoteIdentifier,
  type Row,
  type RunResult,
  type ScanNumbersOptions,
  type SqlValue,
  type StorageFacts,
  type TransactionOptions,
  type TriggerDefinition,
} from './database.ts';
import { LogSync } from './log-sync.ts';
import { emitGroupedRows } from './sqlite-grouped-rows.ts';
import type { ScanWorkerIn, ScanWorkerOut } from './sqlite-scan-worker.ts';
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.ts';

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/** A transaction waiting for its group's shared commit. */
interface GroupMember {
  readonly fn: (tx: Queryable) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Rows per INSERT statement in insertMany (each count is one cached statement). */
const rowsPerInsert = 16;

/** The rows of a column-wise insert, one array per row, in the order given. */
function* rowsOf(columns: readonly NumericColumn[], count: number): Generator<number[]> {
  for (let i = 0; i < count; i++) yield columns.map((c) => c.values[i]!);
}

/** More members would make the first ones wait long for the shared commit. */
const maxGroupSize = 256;

/**
 * `full`: every COMMIT syncs the write-ahead log before it returns, so a transaction that was
 * answered survives an OS crash or power loss (the rating a user was told is saved is saved).
 * `normal`: the log is synced only at checkpoints; the database stays consistent after a crash but
 * the last commits before it may be lost. Group commit makes `full` cheap for request writes: one
 * sync answers every member of the group (see `npm run bench http-load` for the cost).
 */
export type SqliteSynchronous = 'full' | 'normal';

/** A serving connection's own automatic checkpoint, in log pages (80 MiB); see the constructor. */
const farCheckpointPages = 20_000;

/**
 * SQLite through better-sqlite3: WAL (readers never block the writer), a busy timeout (another
 * process holding the write lock makes us wait, not fail), foreign keys on, and by default
 * `synchronous = FULL` (a commit that returned is on disk).
 *
 * better-sqlite3 is synchronous; this class serialises async callers with a promise chain so that
 * a transaction's statements are never interleaved with another caller's.
 */
export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  readonly file: string | null;
  readonly raw: BetterSqlite3.Database;
  private readonly statements = new Map<string, Statement>();
  private queue: Promise<unknown> = Promise.resolve();
  /** The group commit still taking members (not started yet), if any. */
  private openGroup: GroupMember[] | null = null;
  private readonly checkpointer: WalCheckpointer | undefined;
  /** With `synchronous = full` on a file: syncs the log for group commits off the event loop. */
  private readonly logSync: LogSync | null;

  constructor(
    path: string,
    options: {
      readonly busyTimeoutMs?: number;
      readonly readonly?: boolean;
      /**
       * Tuned for a long-running server: reads through a memory map, and the write-ahead log
       * checkpointed from a thread of its own (see startWalCheckpointer). Default false.
       */
      readonly serving?: boolean;
      /** With `serving`: start the checkpointing thread (default true; one per file is enough). */
      readonly backgroundCheckpoint?: boolean;
      /** When a commit reaches the disk; see `SqliteSynchronous`. Default `full`. */
      readonly synchronous?: SqliteSynchronous;
    } = {},
  ) {
    this.location = path;
    this.file = path === ':memory:' || path === '' ? null : path;
    this.raw = new BetterSqlite3(path, { readonly: options.readonly ?? false });
    this.raw.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 15_000}`);
    if (path !== ':memory:' && !options.readonly) this.raw.pragma('journal_mode = WAL');
    this.raw.pragma(`synchronous = ${(options.synchronous ?? 'full').toUpperCase()}`);
    this.logSync =
      (options.synchronous ?? 'full') === 'full' && this.file !== null && !options.readonly
        ? new LogSync(`${path}-wal`)
        : null;
    this.raw.pragma('foreign_keys = ON');
    // SQLite's default page cache is 2 MiB, less than the indexes every request walks (sessions,
    // a user's ratings). An upper bound: a small database uses what it needs.
    this.raw.pragma('cache_size = -65536');
    if (options.serving && path !== ':memory:' && !options.readonly) {
      // Reads through a memory map skip a copy per page (in the load bench, 0.59 → 0.53 ms of CPU
      // per recommendation request). A thread of its own copies the log into the database file
      // every 100 ms, and this connection checkpoints by itself only when the log reaches
      // farCheckpointPages: that checkpoint finds nearly everything copied, and is what lets the
      // next write start the log over (the thread's passive checkpoints never catch up with the
      // latest commit under steady writes). In the load bench this took rating posts from about
      // 4,700 to 5,300–5,800/s against SQLite's default (the committing connection copies the log
      // itself every 1,000 pages), at the price of a log file that grows to about 80 MiB.
      this.raw.pragma('mmap_size = 268435456');
      this.raw.pragma(`wal_autocheckpoint = ${farCheckpointPages}`);
      if (options.backgroundCheckpoint !== false) this.checkpointer = startWalCheckpointer(path);
    }
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

  /** Up to rowsPerInsert rows per statement: one call into SQLite instead of one per row. */
  private insertRows(
    table: string,
    columns: readonly string[],
    rows: Iterable<readonly unknown[]>,
    suffix: string,
  ): number {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const head = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
    const insert = (count: number) =>
      this.statement(`${head}${Array.from({ length: count }, () => tuple).join(', ')} ${suffix}`);
    let changes = 0;
    let batch: unknown[] = [];
    let count = 0;
    for (const row of rows) {
      for (const v of row) batch.push(v);
      if (++count === rowsPerInsert) {
        changes += insert(count).run(...batch).changes;
        batch = [];
        count = 0;
      }
    }
    if (count > 0) changes += insert(count).run(...batch).changes;
    return changes;
  }

  /**
   * A raw statement iterator: each row comes as an array, copied into one reused Float64Array.
   * The statement is prepared apart from the cache, whose statements return objects.
   */
  private scanRaw(sql: string, params: readonly number[], onRow: (row: Float64Array) => void): number {
    const statement = this.raw.prepare(sql).raw(true);
    const row = new Float64Array(statement.columns().length);
    let rows = 0;
    for (const values of statement.iterate(...params) as IterableIterator<unknown[]>) {
      for (let c = 0; c < row.length; c++) row[c] = values[c] as number;
      onRow(row);
      rows += 1;
    }
    return rows;
  }

  /**
   * `scanRaw` for a query ordered by its first column: one text row per run of equal first values,
   * `SELECT first, group_concat(second || ',' || …, ',') FROM (query) GROUP BY first`. The grouping
   * streams over the ordered subquery (no sort), and the concatenation follows its row order.
   */
  private scanGrouped(sql: string, params: readonly number[], onRow: (row: Float64Array) => void): number {
    const grouped = this.groupedSql(sql, false);
    return grouped
      ? this.emitGrouped(grouped.sql, params, grouped.width, onRow)
      : this.scanRaw(sql, params, onRow);
  }

  /**
   * The grouped form of `sql` (optionally limited to `first >= ? AND first < ?`, a filter SQLite
   * pushes into the subquery's index range), or null when its columns cannot be grouped (fewer
   * than two, or two with one name).
   */
  private groupedSql(sql: string, ranged: boolean): { sql: string; width: number } | null {
    const names = this.raw
      .prepare(sql)
      .columns()
      .map((c) => c.name);
    if (names.length < 2 || new Set(names).size !== names.length) return null;
    const [first, ...rest] = names.map(quoteIdentifier);
    const source = ranged ? `(SELECT * FROM (${sql}) WHERE ${first} >= ? AND ${first} < ?)` : `(${sql})`;
    return {
      sql: `SELECT ${first}, group_concat(${rest.join(" || ',' || ")}, ',') FROM ${source} GROUP BY ${first}`,
      width: names.length,
    };
  }

  private emitGrouped(
    sql: string,
    params: readonly number[],
    width: number,
    onRow: (row: Float64Array) => void,
  ): number {
    const row = new Float64Array(width);
    let rows = 0;
    for (const [key, text] of this.raw
      .prepare(sql)
      .raw(true)
      .iterate(...params) as IterableIterator<[number, string]>) {
      rows += emitGroupedRows(key, text, row, onRow);
    }
    return rows;
  }

  /**
   * `scanGrouped` on two threads: a worker (sqlite-scan-worker.ts) reads first-column values from
   * the middle of `range` up on its own read-only connection while this thread reads the values
   * below; its rows, posted in chunks meanwhile, are handed on after this thread's own, so the
   * order is that of one scan. About half the wall time of one thread at 25 M ratings.
   * It is long because the worker's start, its messages, this thread's half and the hand-over of
   * the worker's rows share the state of one read.
   */
  private async scanGroupedParallel(
    sql: string,
    params: readonly number[],
    onRow: (row: Float64Array) => void,
    range: { readonly min: number; readonly max: number },
  ): Promise<number> {
    const grouped = this.groupedSql(sql, true);
    if (!grouped || this.file === null || this.raw.inTransaction) return this.scanGrouped(sql, params, onRow);
    const mid = Math.floor((range.min + range.max + 1) / 2);
    const worker = startWorker<ScanWorkerIn, ScanWorkerOut>(
      new URL('./sqlite-scan-worker.ts', import.meta.url),
      {
        name: 'sqlite-scan',
      },
    );
    try {
      const chunks: { chunk: Float64Array; rows: number }[] = [];
      let next: (() => void) | null = null;
      let ended: { rows: number } | Error | null = null;
      const wake = () => {
        next?.();
        next = null;
      };
      worker.onMessage((message) => {
        if (message.type === 'rows') chunks.push(message);
        else
          ended =
            message.type === 'done' ? { rows: message.rows } : new Error(`parallel scan: ${message.message}`);
        wake();
      });
      worker.onError((error) => {
        ended ??= error;
        wake();
      });
      void worker.exited.then((code) => {
        // Its last messages may still be on their way: give them a moment before calling it lost.
        setTimeout(() => {
          ended ??= new Error(`parallel scan: the worker thread exited with code ${code} before it finished`);
          wake();
        }, 100);
      });
      worker.post({
        file: this.file,
        sql: grouped.sql,
        params: [...params, mid, range.max + 1],
        width: grouped.width,
      });
      let rows = this.emitGrouped(grouped.sql, [...params, range.min, mid], grouped.width, onRow);
      const row = new Float64Array(grouped.width);
      const width = grouped.width;
      for (;;) {
        const got = chunks.shift();
        if (got) {
          for (let r = 0; r < got.rows; r++) {
            for (let c = 0; c < width; c++) row[c] = got.chunk[r * width + c]!;
            onRow(row);
          }
          rows += got.rows;
          continue;
        }
        const end = ended as { rows: number } | Error | null;
        if (end instanceof Error) throw end;
        if (end) return rows;
        await new Promise<void>((resolve) => {
          next = resolve;
        });
      }
    } finally {
      await worker.terminate();
    }
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
    insertMany: async (table, columns, rows, suffix = '') => this.insertRows(table, columns, rows, suffix),
    insertColumns: async (table, columns, count, options = {}) =>
      this.insertRows(
        table,
        columns.map((c) => c.name),
        rowsOf(columns, count),
        options.suffix ?? '',
      ),
    stagesBulkUpserts: false,
    copyInto: async (table, columns, count) =>
      this.insertRows(
        table,
        columns.map((c) => c.name),
        rowsOf(columns, count),
        '',
      ),
    scanNumbers: async (sql, params, onRow, options = {}) =>
      options.groupedByFirst ? this.scanGrouped(sql, params, onRow) : this.scanRaw(sql, params, onRow),
    secondaryIndexes: async (table) =>
      this.statement(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
      ).all(table) as IndexDefinition[],
    foreignKeys: async () => [],
    dropConstraints: async (table, constraints) => {
      if (constraints.length > 0) throw new Error(`SQLite cannot drop constraints of ${table}`);
    },
    addConstraints: async (table, constraints) => {
      if (constraints.length > 0) throw new Error(`SQLite cannot add constraints to ${table}`);
    },
    dropIndexes: async (indexes) => {
      for (const ix of indexes) this.raw.exec(`DROP INDEX ${quoteIdentifier(ix.name)}`);
    },
    createIndexes: async (indexes) => {
      // SQLite's sorter may sort on helper threads: a bulk import's rebuilt indexes of 25 M ratings
      // took 19.3 s instead of 27.4 s (movie_id) and 10.5 instead of 15.2 s (user history) on two.
      const threads = this.raw.pragma('threads', { simple: true }) as number;
      this.raw.pragma(`threads = ${Math.min(4, availableParallelism())}`);
      try {
        for (const ix of indexes) this.raw.exec(ix.sql);
      } finally {
        this.raw.pragma(`threads = ${threads}`);
      }
    },
    rowTriggers: async (table) =>
      this.statement(
        'SELECT name, tbl_name AS "table", sql FROM sqlite_master WHERE type = \'trigger\' AND tbl_name = ? ORDER BY name',
      ).all(table) as TriggerDefinition[],
    dropTriggers: async (triggers) => {
      for (const t of triggers) this.raw.exec(`DROP TRIGGER ${quoteIdentifier(t.name)}`);
    },
    createTriggers: async (triggers) => {
      for (const t of triggers) this.raw.exec(t.sql);
    },
    // One writer at a time holds BEGIN IMMEDIATE's lock: rows read inside it cannot change under it.
    selectForUpdate: async <T>(sql: string, params: readonly SqlValue[] = []) =>
      this.statement(sql).all(...(params as unknown[])) as T[],
    advisoryLock: async () => undefined,
    lockTable: async () => undefined,
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
  selectForUpdate<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.enqueue(() => this.direct.selectForUpdate<T>(sql, params));
  }
  advisoryLock(): Promise<void> {
    return Promise.resolve();
  }
  lockTable(): Promise<void> {
    return Promise.resolve();
  }
  insertColumns(
    table: string,
    columns: readonly NumericColumn[],
    count: number,
    options?: { readonly conflictKey?: readonly string[]; readonly suffix?: string },
  ): Promise<number> {
    return this.enqueue(() => this.direct.insertColumns(table, columns, count, options));
  }
  readonly stagesBulkUpserts = false;
  copyInto(table: string, columns: readonly NumericColumn[], count: number): Promise<number> {
    return this.enqueue(() => this.direct.copyInto(table, columns, count));
  }
  scanNumbers(
    sql: string,
    params: readonly number[],
    onRow: (row: Float64Array) => void,
    options?: ScanNumbersOptions,
  ): Promise<number> {
    const range = options?.groupedByFirst ? options.firstRange : undefined;
    if (range && this.file !== null && range.rows >= parallelScanRows && range.max > range.min)
      return this.enqueue(() => this.scanGroupedParallel(sql, params, onRow, range));
    return this.enqueue(() => this.direct.scanNumbers(sql, params, onRow, options));
  }
  secondaryIndexes(table: string): Promise<readonly IndexDefinition[]> {
    return this.enqueue(() => this.direct.secondaryIndexes(table));
  }
  dropIndexes(indexes: readonly IndexDefinition[]): Promise<void> {
    return this.enqueue(() => this.direct.dropIndexes(indexes));
  }
  foreignKeys(table: string): Promise<readonly ConstraintDefinition[]> {
    return this.enqueue(() => this.direct.foreignKeys(table));
  }
  dropConstraints(table: string, constraints: readonly ConstraintDefinition[]): Promise<void> {
    return this.enqueue(() => this.direct.dropConstraints(table, constraints));
  }
  addConstraints(table: string, constraints: readonly ConstraintDefinition[]): Promise<void> {
    return this.enqueue(() => this.direct.addConstraints(table, constraints));
  }
  createIndexes(indexes: readonly IndexDefinition[]): Promise<void> {
    return this.enqueue(() => this.direct.createIndexes(indexes));
  }
  rowTriggers(table: string): Promise<readonly TriggerDefinition[]> {
    return this.enqueue(() => this.direct.rowTriggers(table));
  }
  dropTriggers(triggers: readonly TriggerDefinition[]): Promise<void> {
    return this.enqueue(() => this.direct.dropTriggers(triggers));
  }
  createTriggers(triggers: readonly TriggerDefinition[]): Promise<void> {
    return this.enqueue(() => this.direct.createTriggers(triggers));
  }

  /** The database's size: its pages times the page size. */
  private sizeBytes(): number {
    const pageCount = Number(this.raw.pragma('page_count', { simple: true }) ?? 0);
    return pageCount * Number(this.raw.pragma('page_size', { simple: true }) ?? 0);
  }

  compact(): Promise<CompactResult> {
    return this.enqueue(() => {
      const beforeBytes = this.sizeBytes();
      this.raw.exec('VACUUM');
      if (this.file !== null) this.raw.pragma('wal_checkpoint(TRUNCATE)');
      return { beforeBytes, afterBytes: this.sizeBytes() };
    });
  }

  storageFacts(): Promise<StorageFacts> {
    return this.enqueue(() => {
      const integrity = String(this.raw.pragma('quick_check', { simple: true }) ?? 'unknown');
      return { sizeBytes: this.sizeBytes(), integrity };
    });
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (options.groupCommit) return this.joinGroup(fn);
    const checkedAtCommit = options.foreignKeysCheckedAtCommit ?? [];
    return this.enqueue(async () => {
      if (checkedAtCommit.length > 0) this.raw.pragma('foreign_keys = OFF');
      try {
        this.raw.exec(options.write === false ? 'BEGIN' : 'BEGIN IMMEDIATE');
        try {
          const result = await fn(this.direct);
          for (const table of checkedAtCommit) this.checkForeignKeys(table);
          this.raw.exec('COMMIT');
          return result;
        } catch (error) {
          if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
          throw error;
        }
      } finally {
        if (checkedAtCommit.length > 0) this.raw.pragma('foreign_keys = ON');
      }
    });
  }

  /** Throws, naming the table and its parents, when rows of `table` name a missing parent row. */
  private checkForeignKeys(table: string): void {
    const missing = new Map<string, number>();
    const check = this.raw.prepare(`PRAGMA foreign_key_check(${quoteIdentifier(table)})`);
    for (const row of check.iterate() as IterableIterator<{ parent: string }>) {
      missing.set(row.parent, (missing.get(row.parent) ?? 0) + 1);
    }
    if (missing.size === 0) return;
    const counts = [...missing].map(([parent, n]) => `${n} name no row of ${parent}`).join(', ');
    throw new ConflictError(`foreign keys of ${table} do not hold: ${counts}`);
  }

  /**
   * Group commit: the members gathered until the next check phase of the event loop (every
   * request that arrived in this turn) run one after another in one write transaction, each in a
   * savepoint, and are answered after the one COMMIT. Better-sqlite3 runs a whole short
   * transaction inside one turn, so without the wait there would never be two to group.
   */
  private joinGroup<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const member: GroupMember = { fn, resolve: resolve as (value: unknown) => void, reject };
      if (this.openGroup && this.openGroup.length < maxGroupSize) {
        this.openGroup.push(member);
        return;
      }
      const group = [member];
      this.openGroup = group;
      setImmediate(() => {
        void this.enqueue(() => this.runGroup(group));
      });
    });
  }

  /**
   * With durable commits the group's COMMIT runs with `synchronous = NORMAL` and its members are
   * answered after a log sync on the thread pool (`LogSync`): the same guarantee as FULL (nobody
   * hears "saved" before the log is on disk), but the queue and the event loop move on during the
   * sync instead of waiting in it. Every other commit syncs inline under FULL.
   */
  private async runGroup(group: GroupMember[]): Promise<void> {
    // Members that join while the queue drains up to here still make it in; later ones start anew.
    if (this.openGroup === group) this.openGroup = null;
    if (this.logSync) this.raw.pragma('synchronous = NORMAL');
    let outcomes: { ok: boolean; value: unknown }[];
    try {
      outcomes = await this.commitGroup(group);
    } catch (error) {
      group.forEach((member) => {
        member.reject(error);
      });
      return;
    } finally {
      if (this.logSync) this.raw.pragma('synchronous = FULL');
    }
    const answer = () =>
      group.forEach((member, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) member.resolve(outcome.value);
        else member.reject(outcome.value);
      });
    if (!this.logSync) return answer();
    this.logSync.sync().then(answer, (error: unknown) =>
      group.forEach((member) => {
        member.reject(error);
      }),
    );
  }

  /**
   * One BEGIN … COMMIT with each member in a savepoint; returns each member's outcome. Throws
   * (after rolling back) when the transaction as a whole failed: a member that failed on its own
   * is then rejected with its own error, the rest with this one.
   */
  private async commitGroup(group: GroupMember[]): Promise<{ ok: boolean; value: unknown }[]> {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.statement('BEGIN IMMEDIATE').run();
      for (const member of group) {
        this.statement('SAVEPOINT group_member').run();
        try {
          outcomes.push({ ok: true, value: await member.fn(this.direct) });
          this.statement('RELEASE group_member').run();
        } catch (error) {
          // Some failures (disk full, I/O) end the whole transaction: then nobody's work is kept.
          if (!this.raw.inTransaction) throw error;
          this.statement('ROLLBACK TO group_member').run();
          this.statement('RELEASE group_member').run();
          outcomes.push({ ok: false, value: error });
        }
      }
      this.statement('COMMIT').run();
      return outcomes;
    } catch (error) {
      if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
      // A member that failed on its own keeps its own error; the rest lost their work to this one.
      group.forEach((member, i) => {
        const outcome = outcomes[i];
        if (outcome && !outcome.ok) member.reject(outcome.value);
      });
      throw error;
    }
  }

  async close(): Promise<void> {
    // A group still gathering is enqueued at the next check phase; let it run before closing.
    if (this.openGroup) await new Promise((resolve) => setImmediate(resolve));
    await this.enqueue(() => undefined);
    await this.checkpointer?.stop();
    await this.logSync?.close();
    if (this.raw.open) this.raw.close();
  }
}
