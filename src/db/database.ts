/**
 * The one database interface every part of MovieNight talks to. SQLite (better-sqlite3) and
 * PostgreSQL (pg) implement it; callers never know which.
 *
 * SQL is written once with `?` placeholders in the common subset of both dialects:
 * `INSERT … ON CONFLICT … DO UPDATE`, `RETURNING`, `BIGINT` epoch milliseconds for times,
 * `DOUBLE PRECISION` for reals, TEXT holding JSON, 0/1 integers for booleans. Where the databases
 * differ (locks, bulk inserts, index rebuilds, storage facts, file location), callers ask for a
 * capability of `Queryable` or `Database`; only `src/db` branches on `dialect`. `dialect` stays
 * readable for display (health, status).
 */
export type Dialect = 'sqlite' | 'postgres';

/** Values that may be bound to a placeholder. Booleans are stored as 0/1 by the caller. */
export type SqlValue = string | number | bigint | null | Uint8Array;

export type Row = Record<string, unknown>;

export interface RunResult {
  /** Rows inserted, updated or deleted by the statement. */
  readonly changes: number;
}

/** Statements that can be run on a connection or inside a transaction. */
export interface Queryable {
  readonly dialect: Dialect;
  /** All rows of a query. */
  all<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row of a query, or undefined. */
  get<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement that returns no rows. */
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
  /**
   * Inserts many rows of the same shape efficiently (prepared statement on SQLite, multi-row
   * VALUES on PostgreSQL). `suffix` is appended to each statement, e.g. an
   * `ON CONFLICT (…) DO UPDATE SET …` clause. Returns the total number of changed rows.
   */
  insertMany(
    table: string,
    columns: readonly string[],
    rows: Iterable<readonly SqlValue[]>,
    suffix?: string,
  ): Promise<number>;
  /**
   * Runs a SELECT and keeps the rows it returns locked against other writers until the
   * transaction ends (PostgreSQL: `… FOR UPDATE`; SQLite: a write transaction already excludes
   * every other writer, so the query runs as it is). Call it inside `transaction`.
   */
  selectForUpdate<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /**
   * Takes a lock named by `key` until the transaction ends, so that transactions asking for the
   * same key run one after another (PostgreSQL: `pg_advisory_xact_lock`; SQLite: the write
   * transaction already does this, so it is a no-op). Call it inside `transaction`.
   */
  advisoryLock(key: number): Promise<void>;
  /**
   * Keeps other writers out of `table` until the transaction ends, while readers go on
   * (PostgreSQL: `LOCK TABLE … IN SHARE ROW EXCLUSIVE MODE`; SQLite: a no-op, as above).
   */
  lockTable(table: string): Promise<void>;
  /**
   * Inserts `count` rows given column by column as numbers, by the fastest path each database
   * has (SQLite: its multi-row prepared insert; PostgreSQL: one statement over `unnest` of one
   * array per column, parsed and planned once instead of binding tens of thousands of scalars).
   * `suffix` is appended to the statement, e.g. an `ON CONFLICT (…) DO UPDATE …` clause whose
   * target is `conflictKey`. One statement may touch a row only once on PostgreSQL, so there rows
   * sharing a `conflictKey` keep only the last of them, written in key order; SQLite writes every
   * row in the order given, a later one overwriting an earlier one as separate statements would.
   * Returns the number of changed rows.
   */
  insertColumns(
    table: string,
    columns: readonly NumericColumn[],
    count: number,
    options?: { readonly conflictKey?: readonly string[]; readonly suffix?: string },
  ): Promise<number>;
  /**
   * Whether a bulk upsert goes faster staged: `copyInto` a temporary table, then one
   * `INSERT … SELECT … ON CONFLICT` (PostgreSQL: yes, COPY skips parsing, planning and binding per
   * statement; SQLite: no, its prepared multi-row insert already is the fast path).
   */
  readonly stagesBulkUpserts: boolean;
  /**
   * Appends `count` rows given column by column to `table`, without conflict handling, by the
   * database's bulk path (PostgreSQL: `COPY … FROM STDIN`, streamed in chunks; SQLite: its
   * multi-row prepared insert). Returns the number of rows written.
   */
  copyInto(table: string, columns: readonly NumericColumn[], count: number): Promise<number>;
  /**
   * Runs a SELECT whose columns are all numbers (no NULLs) and hands each row to `onRow` as the
   * same reused array, without building an object per row (SQLite: a raw statement iterator;
   * PostgreSQL: `COPY (…) TO STDOUT` parsed as it streams). Parameters must be finite numbers.
   * Returns the number of rows.
   *
   * `groupedByFirst`: the query orders its rows by its first column, an integer, and names its
   * columns distinctly. SQLite then reads each run of rows sharing that first value as one row of
   * text (`group_concat`) and parses it: a row of values per rating costs about 1 µs in
   * better-sqlite3, twice the whole grouped read. Same rows, same order.
   */
  scanNumbers(
    sql: string,
    params: readonly number[],
    onRow: (row: Float64Array) => void,
    options?: ScanNumbersOptions,
  ): Promise<number>;
  /**
   * The foreign keys of `table` that a bulk load may drop and add again, so that they are checked
   * once over the whole table instead of by a trigger per row (PostgreSQL: from `pg_constraint`;
   * SQLite: none, its keys are part of the table; a bulk load there defers their checks to COMMIT
   * with `TransactionOptions.foreignKeysCheckedAtCommit` instead).
   */
  foreignKeys(table: string): Promise<readonly ConstraintDefinition[]>;
  /** Drops the given constraints of `table` (inside a transaction, a rollback brings them back). */
  dropConstraints(table: string, constraints: readonly ConstraintDefinition[]): Promise<void>;
  /** Adds the constraints again; each is validated over every row, and a violation throws. */
  addConstraints(table: string, constraints: readonly ConstraintDefinition[]): Promise<void>;
  /**
   * The indexes of `table` that a bulk load may drop and build again: those created by
   * `CREATE INDEX`, not the ones behind a primary key or unique constraint.
   */
  secondaryIndexes(table: string): Promise<readonly IndexDefinition[]>;
  /** Drops the given indexes (inside a transaction, a rollback brings them back). */
  dropIndexes(indexes: readonly IndexDefinition[]): Promise<void>;
  /** Creates the given indexes again from their definitions. */
  createIndexes(indexes: readonly IndexDefinition[]): Promise<void>;
  /**
   * The triggers of `table` that run once for every row written (SQLite: all of its triggers;
   * PostgreSQL: `FOR EACH ROW` ones, not those run once per statement over a transition table),
   * which a bulk load may drop and do the work of in one statement at the end. In a bulk insert
   * they cost more than the insert itself (SQLite, 1 M ratings: 1.4 of 2.4 CPU seconds).
   */
  rowTriggers(table: string): Promise<readonly TriggerDefinition[]>;
  /** Drops the given triggers (inside a transaction, a rollback brings them back). */
  dropTriggers(triggers: readonly TriggerDefinition[]): Promise<void>;
  /** Creates the given triggers again from their definitions. */
  createTriggers(triggers: readonly TriggerDefinition[]): Promise<void>;
}

/** The SQL type a column of numbers is written as. */
export type NumericColumnType = 'integer' | 'bigint' | 'double';

/** One column of a bulk insert: its name, its type and one number per row. */
export interface NumericColumn {
  readonly name: string;
  readonly type: NumericColumnType;
  readonly values: ArrayLike<number>;
}

/** An index as the database describes it: its name and the statement that creates it. */
export interface IndexDefinition {
  readonly name: string;
  readonly sql: string;
}

/** A trigger as the database describes it: its name, its table and the statement that creates it. */
export interface TriggerDefinition {
  readonly name: string;
  readonly table: string;
  readonly sql: string;
}

/** A table constraint as the database describes it: its name and its definition. */
export interface ConstraintDefinition {
  readonly name: string;
  /** What follows `ADD CONSTRAINT <name>`, e.g. `FOREIGN KEY (user_id) REFERENCES users(id)`. */
  readonly definition: string;
}

/** A double-quoted SQL identifier. */
/** How `scanNumbers` may read: see there. */
export interface ScanNumbersOptions {
  readonly groupedByFirst?: boolean;
  /**
   * With `groupedByFirst`: the smallest and largest first-column value among the rows, and about
   * how many rows there are. With at least `parallelScanRows` of them, a SQLite file database
   * outside a transaction reads the upper half of the range on a worker thread, with a connection
   * of its own, while this thread reads the lower half: the rows come in the same order, each
   * half as of its own read (so never inside a transaction, whose snapshot must hold).
   */
  readonly firstRange?: { readonly min: number; readonly max: number; readonly rows: number };
}

/** Rows from which a grouped SQLite scan with a `firstRange` is worth a second thread. */
export const parallelScanRows = 2_000_000;

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Facts about where the data is kept, for status pages and checks. */
export interface StorageFacts {
  /** Bytes on disk (SQLite: pages × page size; PostgreSQL: `pg_database_size`), null if unknown. */
  readonly sizeBytes: number | null;
  /** `ok`, or what the database's own quick check found (PostgreSQL: always `ok`). */
  readonly integrity: string;
}

/** What `compact` did: the database's size before and after. */
export interface CompactResult {
  readonly beforeBytes: number;
  readonly afterBytes: number;
}

export interface TransactionOptions {
  /**
   * SQLite only: take the write lock at BEGIN (BEGIN IMMEDIATE) rather than at the first write, so
   * that two writers never deadlock upgrading a read lock. Default true.
   */
  readonly write?: boolean;
  /**
   * May share one BEGIN … COMMIT with other concurrent transactions that ask for it (SQLite:
   * those started in the same turn of the event loop), each in its own savepoint: one that throws
   * is rolled back alone, and every caller is answered only after the shared COMMIT. Short write
   * transactions of independent requests (a rating, a served list) then pay one commit between
   * them. PostgreSQL runs each on its own. Default false.
   */
  readonly groupCommit?: boolean;
  /**
   * Tables this transaction loads in bulk. Their foreign keys are checked once at COMMIT, over each
   * whole table, instead of on every row written; a violation throws and rolls the transaction
   * back. SQLite can switch its per-row checks off only between transactions, so they are off for
   * the whole of this one: it must write no other table that has foreign keys. (5 M ratings:
   * inserting took 7.4 s with the per-row checks and 4.4 s without, and the check at the end 1.2 s.)
   * PostgreSQL checks as usual; a bulk load there drops and adds back the keys instead
   * (`foreignKeys`).
   */
  readonly foreignKeysCheckedAtCommit?: readonly string[];
}

export interface Database extends Queryable {
  /** Where it is: a file path, or the URL with the password removed. */
  readonly location: string;
  /**
   * The database file when the data lives in one on this machine (SQLite on disk), else null
   * (PostgreSQL, or SQLite in memory). Other processes and threads can open that path themselves.
   */
  readonly file: string | null;
  /** Size on disk and the database's own integrity check. */
  storageFacts(): Promise<StorageFacts>;
  /**
   * Rewrites the stored data without its free space: pages freed by deletes, dropped indexes or a
   * rebuilt table stay inside the file (SQLite) or the tables (PostgreSQL) until then. SQLite:
   * `VACUUM`, then the log is emptied into the file; other writers wait, and a killed compaction
   * leaves the database as it was. PostgreSQL: `VACUUM FULL`, which locks each table while it
   * rewrites it.
   */
  compact(): Promise<CompactResult>;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Other
   * calls on this connection wait until it is over, so nothing else slips into the transaction.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}

/** Rewrites `?` placeholders (outside quotes) as PostgreSQL's `$1, $2, …`. */
export function placeholdersToPostgres(sql: string): string {
  let n = 0;
  let out = '';
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      n += 1;
      out += `$${n}`;
    } else {
      out += ch;
    }
  }
  return out;
}
