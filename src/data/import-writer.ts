import type { Queryable, SqlValue } from '../db/database.ts';
import { DataFormatError } from '../errors.ts';
import type { ParsedMovie, Rejection, RejectionKind } from './movielens-format.ts';

/** How many line numbers of each kind of skip a summary lists. */
export const skipExampleCount = 5;

/** One kind of refused line in one file, under `--skip-invalid`. */
export interface SkipReport {
  readonly file: string;
  readonly kind: RejectionKind;
  readonly count: number;
  /** The first few line numbers (1-based), in file order. */
  readonly firstLines: readonly number[];
}

export interface CountSummary {
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
}

/** What an import did: plain data, rendered by the CLI (text or `--json`). */
export interface ImportSummary {
  readonly source: string;
  readonly format: string;
  readonly users: { readonly seen: number; readonly inserted: number };
  readonly movies: CountSummary & { readonly read: number };
  readonly ratings: CountSummary & { readonly read: number; readonly skipped: number };
  readonly skipped: readonly SkipReport[];
  readonly seconds: number;
}

export interface ImportProgress {
  readonly bytesRead: number;
  readonly totalBytes: number;
}

export interface ImportOptions {
  /** Import the valid lines and report the others, instead of refusing the whole import. */
  readonly skipInvalid?: boolean;
  readonly encoding?: 'auto' | 'utf8' | 'latin1';
  /** Called after each batch of the ratings file (for a progress bar). */
  readonly onProgress?: (progress: ImportProgress) => void;
}

/**
 * Collects refused lines: throws the first one as a DataFormatError (so the import's transaction
 * rolls back), or, when skipping, counts them per file and kind with the first few line numbers.
 */
export class RejectionLog {
  private readonly byKey = new Map<
    string,
    { file: string; kind: RejectionKind; count: number; firstLines: number[] }
  >();
  total = 0;
  constructor(private readonly skipInvalid: boolean) {}

  reject(file: string, line: number, rejection: Rejection): void {
    if (!this.skipInvalid) throw new DataFormatError(file, line, rejection.value, rejection.problem);
    this.total += 1;
    const key = `${file}\u0000${rejection.kind}`;
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = { file, kind: rejection.kind, count: 0, firstLines: [] };
      this.byKey.set(key, entry);
    }
    entry.count += 1;
    if (entry.firstLines.length < skipExampleCount) entry.firstLines.push(line);
  }

  countIn(file: string): number {
    let n = 0;
    for (const e of this.byKey.values()) if (e.file === file) n += e.count;
    return n;
  }

  reports(): SkipReport[] {
    return [...this.byKey.values()].map((e) => ({ ...e, firstLines: [...e.firstLines] }));
  }
}

const movieUpsert =
  'ON CONFLICT (id) DO UPDATE SET title = excluded.title, year = excluded.year, genres = excluded.genres ' +
  'WHERE movies.title <> excluded.title OR movies.genres <> excluded.genres OR movies.year IS DISTINCT FROM excluded.year';

async function countRows(tx: Queryable, table: string): Promise<number> {
  const row = await tx.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(row?.n ?? 0);
}

/** Upserts a catalogue; a movie whose title, year and genres are already there is left alone. */
export async function writeMovies(
  tx: Queryable,
  movies: Iterable<ParsedMovie>,
): Promise<CountSummary & { read: number }> {
  const before = await countRows(tx, 'movies');
  const rows: SqlValue[][] = [];
  for (const m of movies) rows.push([m.id, m.title, m.year, m.genres]);
  const changes = await tx.insertMany('movies', ['id', 'title', 'year', 'genres'], rows, movieUpsert);
  const inserted = (await countRows(tx, 'movies')) - before;
  return { read: rows.length, inserted, updated: changes - inserted, unchanged: rows.length - changes };
}

const BATCH = 10_000;

/**
 * Writes ratings in batches inside the caller's transaction: the users a batch mentions first
 * (created_at = the time of the first rating seen for them; an existing user is left alone), then the
 * ratings as an upsert that only touches rows whose value or time differs, so re-importing the same
 * data changes nothing.
 */
export class RatingsWriter {
  private readonly users = new Set<number>();
  private readonly newUsers: SqlValue[][] = [];
  private readonly batchUser = new Int32Array(BATCH);
  private readonly batchMovie = new Int32Array(BATCH);
  private readonly batchRating = new Float64Array(BATCH);
  private readonly batchTime = new Float64Array(BATCH);
  private n = 0;
  private before = 0;
  private changes = 0;
  private usersInserted = 0;
  read = 0;
  private readonly suffix: string;

  /** `timesGiven`: false when the file has no timestamps, so a re-import must not touch rated_at. */
  constructor(
    private readonly tx: Queryable,
    timesGiven: boolean,
  ) {
    const differs = timesGiven
      ? 'ratings.rating <> excluded.rating OR ratings.rated_at <> excluded.rated_at'
      : 'ratings.rating <> excluded.rating';
    this.suffix = `ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, rated_at = excluded.rated_at WHERE ${differs}`;
  }

  private droppedIndexes: { name: string; sql: string }[] = [];

  /**
   * `expectedRows`: about how many ratings will come. A bulk load into a table that is small by
   * comparison drops the secondary indexes of `ratings` and rebuilds them at the end: maintaining
   * them row by row in random order costs most of an import's time (1 M rows: about 3× slower).
   * It all happens in the caller's transaction, so a failed import restores them with the rollback.
   */
  async start(expectedRows = 0): Promise<void> {
    this.before = await countRows(this.tx, 'ratings');
    if (expectedRows >= 50_000 && expectedRows > this.before) {
      this.droppedIndexes =
        this.tx.dialect === 'sqlite'
          ? await this.tx.all<{ name: string; sql: string }>(
              "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ratings' AND sql IS NOT NULL",
            )
          : await this.tx.all<{ name: string; sql: string }>(
              `SELECT indexname AS name, indexdef AS sql FROM pg_indexes
               WHERE schemaname = current_schema() AND tablename = 'ratings'
                 AND indexname NOT IN (SELECT conname FROM pg_constraint)`,
            );
      for (const ix of this.droppedIndexes)
        await this.tx.run(`DROP INDEX "${ix.name.replaceAll('"', '""')}"`);
    }
  }

  async add(user: number, movie: number, rating: number, ratedAt: number): Promise<void> {
    if (!this.users.has(user)) {
      this.users.add(user);
      this.newUsers.push([user, ratedAt]);
    }
    const i = this.n;
    this.batchUser[i] = user;
    this.batchMovie[i] = movie;
    this.batchRating[i] = rating;
    this.batchTime[i] = ratedAt;
    this.n = i + 1;
    this.read += 1;
    if (this.n === BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.newUsers.length) {
      this.usersInserted += await this.tx.insertMany(
        'users',
        ['id', 'created_at'],
        this.newUsers,
        'ON CONFLICT (id) DO NOTHING',
      );
      this.newUsers.length = 0;
    }
    if (this.n === 0) return;
    const order = this.batchOrder();
    if (this.tx.dialect === 'postgres') {
      // One statement with four array parameters instead of 40,000 scalar ones: PostgreSQL parses
      // and plans it once per batch, several times faster than a multi-row VALUES list.
      const cols: string[][] = [[], [], [], []];
      for (const i of order) {
        cols[0]!.push(String(this.batchUser[i]));
        cols[1]!.push(String(this.batchMovie[i]));
        cols[2]!.push(String(this.batchRating[i]));
        cols[3]!.push(String(this.batchTime[i]));
      }
      const r = await this.tx.run(
        `INSERT INTO ratings (user_id, movie_id, rating, rated_at)
         SELECT * FROM unnest(?::integer[], ?::integer[], ?::double precision[], ?::bigint[]) ${this.suffix}`,
        cols.map((c) => `{${c.join(',')}}`),
      );
      this.changes += r.changes;
      this.n = 0;
      return;
    }
    const rows: SqlValue[][] = new Array(order.length);
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      rows[k] = [this.batchUser[i]!, this.batchMovie[i]!, this.batchRating[i]!, this.batchTime[i]!];
    }
    this.changes += await this.tx.insertMany(
      'ratings',
      ['user_id', 'movie_id', 'rating', 'rated_at'],
      rows,
      this.suffix,
    );
    this.n = 0;
  }

  /**
   * Row order for the batch. PostgreSQL refuses one INSERT … ON CONFLICT that touches a row twice,
   * so a pair rated twice within a batch keeps only its last line there (a re-rating replaces).
   * SQLite runs one statement per row and needs no such care.
   */
  private batchOrder(): number[] {
    const idx = Array.from({ length: this.n }, (_, i) => i);
    if (this.tx.dialect === 'sqlite') return idx;
    const u = this.batchUser;
    const m = this.batchMovie;
    idx.sort((a, b) => u[a]! - u[b]! || m[a]! - m[b]! || a - b);
    const out: number[] = [];
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k]!;
      const next = idx[k + 1];
      if (next !== undefined && u[next] === u[i] && m[next] === m[i]) continue;
      out.push(i);
    }
    return out;
  }

  async finish(): Promise<{
    users: { seen: number; inserted: number };
    ratings: CountSummary & { read: number };
  }> {
    await this.flush();
    for (const ix of this.droppedIndexes) await this.tx.run(ix.sql);
    this.droppedIndexes = [];
    const inserted = (await countRows(this.tx, 'ratings')) - this.before;
    return {
      users: { seen: this.users.size, inserted: this.usersInserted },
      ratings: {
        read: this.read,
        inserted,
        updated: this.changes - inserted,
        unchanged: this.read - this.changes,
      },
    };
  }
}

/** The text a terminal shows after an import. */
export function renderImportSummary(s: ImportSummary): string {
  const lines = [
    `imported ${s.source} (${s.format}) in ${s.seconds.toFixed(2)} s`,
    `  users:   ${s.users.seen} seen, ${s.users.inserted} new`,
    `  movies:  ${s.movies.read} read, ${s.movies.inserted} inserted, ${s.movies.updated} updated, ${s.movies.unchanged} unchanged`,
    `  ratings: ${s.ratings.read} read, ${s.ratings.inserted} inserted, ${s.ratings.updated} updated, ${s.ratings.unchanged} unchanged, ${s.ratings.skipped} skipped`,
  ];
  for (const k of s.skipped) {
    lines.push(`  skipped ${k.count} × ${k.kind} in ${k.file} (first lines: ${k.firstLines.join(', ')})`);
  }
  return lines.join('\n');
}
