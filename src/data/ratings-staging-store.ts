import type { Queryable } from '../db/database.ts';
import type { RatingColumns } from './catalog-store.ts';

/** The temporary table a staged import copies ratings into before one merge. */
const staging = 'ratings_import';

/**
 * A staged ratings import, for databases whose bulk copy beats batched upserts
 * (`Queryable.stagesBulkUpserts`): every batch is appended to a temporary table by `copyInto`
 * (COPY on PostgreSQL), then `merge` upserts the lot into `ratings` in one statement. All of it
 * runs in the caller's transaction, so a failed import leaves `ratings` as it was.
 */
export class RatingsStagingStore {
  private nextSeq = 0;
  constructor(private readonly tx: Queryable) {}

  async create(): Promise<void> {
    await this.tx.run(`DROP TABLE IF EXISTS ${staging}`);
    await this.tx.run(
      `CREATE TEMPORARY TABLE ${staging} (seq BIGINT NOT NULL, user_id INTEGER NOT NULL,
         movie_id INTEGER NOT NULL, rating DOUBLE PRECISION NOT NULL, rated_at BIGINT NOT NULL)`,
    );
  }

  /** Appends a batch; `seq` keeps the file order so the last line of a pair wins at the merge. */
  async append(batch: RatingColumns): Promise<void> {
    const first = this.nextSeq;
    this.nextSeq += batch.count;
    const seqValues = new Float64Array(batch.count);
    for (let i = 0; i < batch.count; i++) seqValues[i] = first + i;
    await this.tx.copyInto(
      staging,
      [
        { name: 'seq', type: 'bigint', values: seqValues },
        { name: 'user_id', type: 'integer', values: batch.users },
        { name: 'movie_id', type: 'integer', values: batch.movies },
        { name: 'rating', type: 'double', values: batch.ratings },
        { name: 'rated_at', type: 'bigint', values: batch.ratedAt },
      ],
      batch.count,
    );
  }

  /**
   * Upserts the staged ratings into `ratings` (the last staged line of each pair; `upsertSuffix`
   * decides which stored rows change) and drops the staging table. Returns the rows inserted or
   * changed.
   */
  async merge(upsertSuffix: string): Promise<number> {
    const { changes } = await this.tx.run(
      `INSERT INTO ratings (user_id, movie_id, rating, rated_at)
       SELECT user_id, movie_id, rating, rated_at FROM (
         SELECT user_id, movie_id, rating, rated_at,
                ROW_NUMBER() OVER (PARTITION BY user_id, movie_id ORDER BY seq DESC) AS last_first
           FROM ${staging}) s
        WHERE last_first = 1
        ORDER BY user_id, movie_id
       ${upsertSuffix}`,
    );
    await this.tx.run(`DROP TABLE ${staging}`);
    return changes;
  }
}
