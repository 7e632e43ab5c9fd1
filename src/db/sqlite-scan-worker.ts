/**
 * The worker-thread side of a parallel grouped scan (`SqliteDatabase.scanNumbers` with a
 * `firstRange`): opens the database file read-only on a connection of its own, runs the grouped
 * statement over its share of the first column's range, and posts the rows back in chunks (one
 * Float64Array of `width` numbers per row, transferred, not copied), then `done` with the count.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connectToParent } from '../threads/worker-thread.ts';
import { emitGroupedRows } from './sqlite-grouped-rows.ts';

export interface ScanWorkerIn {
  readonly file: string;
  /** A `SELECT first, group_concat(…)` statement and its parameters. */
  readonly sql: string;
  readonly params: readonly number[];
  /** Numbers per row. */
  readonly width: number;
}

export type ScanWorkerOut =
  | { readonly type: 'rows'; readonly chunk: Float64Array; readonly rows: number }
  | { readonly type: 'done'; readonly rows: number }
  | { readonly type: 'error'; readonly message: string };

/** Rows per posted chunk (2 MiB at four numbers a row). */
const CHUNK_ROWS = 65_536;

const port = connectToParent<ScanWorkerIn, ScanWorkerOut>();
port.onMessage(({ file, sql, params, width }) => {
  let db: BetterSqlite3.Database | null = null;
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    let chunk = new Float64Array(CHUNK_ROWS * width);
    let at = 0;
    let total = 0;
    const flush = () => {
      if (at === 0) return;
      const full = at === CHUNK_ROWS ? chunk : chunk.slice(0, at * width);
      port.post({ type: 'rows', chunk: full, rows: at }, [full.buffer]);
      total += at;
      chunk = new Float64Array(CHUNK_ROWS * width);
      at = 0;
    };
    const row = new Float64Array(width);
    const statement = db.prepare(sql).raw(true);
    for (const [key, text] of statement.iterate(...params) as IterableIterator<[number, string]>) {
      emitGroupedRows(key, text, row, (values) => {
        chunk.set(values, at * width);
        if (++at === CHUNK_ROWS) flush();
      });
    }
    flush();
    port.post({ type: 'done', rows: total });
  } catch (error) {
    port.post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  } finally {
    db?.close();
    port.close();
  }
});
