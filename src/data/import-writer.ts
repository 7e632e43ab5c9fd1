import type {
  ConstraintDefinition,
  Database,
  IndexDefinition,
  Queryable,
  TransactionOptions,
  TriggerDefinition,
} from '../db/database.ts';
import { DataFormatError } from '../errors.ts';
import { type CatalogStore, ratingCountTriggers, ratingUpsert, SqlCatalogStore } from './catalog-store.ts';
import type { ParsedMovie, Rejection, RejectionKind } from './movielens-format.ts';
import { RatingsStagingStore } from './ratings-staging-store.ts';

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

/** Upserts a catalogue; a movie whose title, year and genres are already there is left alone. */
export async function writeMovies(
  tx: Queryable,
  movies: Iterable<ParsedMovie>,
): Promise<CountSummary & { read: number }> {
  const store = new SqlCatalogStore(tx);
  const before = await store.countMovies();
  const records = [...movies];
  const changes = await store.upsertMovies(records);
  const inserted = (await store.countMovies()) - before;
  return {
    read: records.length,
    inserted,
    updated: changes - inserted,
    unchanged: records.length - changes,
  };
}

const BATCH = 10_000;

/** How a load of ratings writes: upserts into the table as it is, or a bulk load (`RatingsWriter.start`). */
export interface RatingsLoadPlan {
  readonly bulk: boolean;
  /** The options of the transaction the load must run in. */
  readonly transaction: TransactionOptions;
}

/**
 * Loading about `expectedRows` ratings into a table that is small by comparison is a bulk load.
 * It is decided before the load's transaction starts, because SQLite fixes at BEGIN how foreign
 * keys are checked: in a bulk load, once over the table at COMMIT. The count is read outside that
 * transaction, so another writer may change it meanwhile; that can only make the load slower,
 * never wrong, since the check at COMMIT covers every row.
 */
export async function planRatingsLoad(db: Database, expectedRows: number): Promise<RatingsLoadPlan> {
  const bulk = expectedRows >= 50_000 && expectedRows > (await new SqlCatalogStore(db).countRatings());
  return { bulk, transaction: bulk ? { foreignKeysCheckedAtCommit: ['ratings'] } : {} };
}

/**
 * Writes ratings in batches inside the caller's transaction: the users a batch mentions first
 * (created_at = the time of the first rating seen for them; an existing user is left alone), then the
 * ratings as an upsert that only touches rows whose value or time differs, so re-importing the same
 * data changes nothing. Where the database stages bulk upserts (PostgreSQL), batches are copied
 * into a temporary table (COPY) and upserted in one merge at `finish`; elsewhere (SQLite) each
 * batch is upserted as it fills.
 */
export class RatingsWriter {
  private readonly store: CatalogStore;
  private readonly users = new Set<number>();
  private readonly newUsers: [number, number][] = [];
  private readonly batchUser = new Int32Array(BATCH);
  private readonly batchMovie = new Int32Array(BATCH);
  private readonly batchRating = new Float64Array(BATCH);
  private readonly batchTime = new Float64Array(BATCH);
  private n = 0;
  private before = 0;
  private changes = 0;
  private usersInserted = 0;
  read = 0;
  private droppedIndexes: readonly IndexDefinition[] = [];
  private droppedForeignKeys: readonly ConstraintDefinition[] = [];
  private droppedTriggers: readonly TriggerDefinition[] = [];
  private readonly staging: RatingsStagingStore | null;

  /** `timesGiven`: false when the file has no timestamps, so a re-import must not touch rated_at. */
  constructor(
    private readonly tx: Queryable,
    private readonly timesGiven: boolean,
  ) {
    this.store = new SqlCatalogStore(tx);
    this.staging = tx.stagesBulkUpserts ? new RatingsStagingStore(tx) : null;
  }

  /**
   * `plan`: from `planRatingsLoad`, whose transaction options the caller's transaction was opened
   * with. A bulk load drops the secondary indexes of `ratings` and rebuilds them at the end:
   * maintaining them row by row in random order costs most of an import's time (1 M rows: about
   * 3× slower). Foreign keys that the database checks by a trigger per row (PostgreSQL) are
   * dropped too and added back at the end, which checks them in one pass (300,000 rows: the
   * triggers took 12 s of the 17 s merge); SQLite checks them at COMMIT instead (the plan's
   * transaction options). The triggers that keep `movies.rating_count` current, where the database
   * runs them once per row (SQLite), are dropped too and their work done by one recount at the end
   * (1 M ratings: 2.4 → 1.0 CPU seconds of inserting). It all happens in the caller's transaction,
   * so a failed import restores them with the rollback.
   */
  async start(plan: RatingsLoadPlan): Promise<void> {
    this.before = await this.store.countRatings();
    await this.staging?.create();
    if (plan.bulk) {
      this.droppedIndexes = await this.tx.secondaryIndexes('ratings');
      await this.tx.dropIndexes(this.droppedIndexes);
      this.droppedForeignKeys = await this.tx.foreignKeys('ratings');
      await this.tx.dropConstraints('ratings', this.droppedForeignKeys);
      this.droppedTriggers = (await this.tx.rowTriggers('ratings')).filter((t) =>
        ratingCountTriggers.has(t.name),
      );
      await this.tx.dropTriggers(this.droppedTriggers);
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

  /**
   * Writes the users the batch mentions first, then its ratings. A pair rated twice within one
   * batch ends with the last of its lines (a re-rating replaces).
   */
  async flush(): Promise<void> {
    if (this.newUsers.length) {
      this.usersInserted += await this.store.insertUsers(this.newUsers);
      this.newUsers.length = 0;
    }
    if (this.n === 0) return;
    const batch = {
      users: this.batchUser,
      movies: this.batchMovie,
      ratings: this.batchRating,
      ratedAt: this.batchTime,
      count: this.n,
    };
    if (this.staging) await this.staging.append(batch);
    else this.changes += await this.store.upsertRatings(batch, this.timesGiven);
    this.n = 0;
  }

  async finish(): Promise<{
    users: { seen: number; inserted: number };
    ratings: CountSummary & { read: number };
  }> {
    await this.flush();
    if (this.staging) this.changes += await this.staging.merge(ratingUpsert(this.timesGiven));
    await this.tx.createIndexes(this.droppedIndexes);
    this.droppedIndexes = [];
    await this.tx.addConstraints('ratings', this.droppedForeignKeys);
    this.droppedForeignKeys = [];
    if (this.droppedTriggers.length > 0) {
      await this.store.recountMovieRatings();
      await this.tx.createTriggers(this.droppedTriggers);
      this.droppedTriggers = [];
    }
    const inserted = (await this.store.countRatings()) - this.before;
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
