import type { Database } from '../db/database.ts';
import { DataFormatError } from '../errors.ts';
import { SqlCatalogStore } from './catalog-store.ts';
import {
  type ImportOptions,
  type ImportSummary,
  planRatingsLoad,
  RatingsWriter,
  RejectionLog,
} from './import-writer.ts';
import { dataFileSize, readLines } from './line-reader.ts';
import {
  type ParsedRating,
  parseRatingFields,
  type RatingColumns,
  splitCsvLine,
} from './movielens-format.ts';

const headerNames: Record<keyof Omit<RatingColumns, 'count'>, readonly string[]> = {
  user: ['user', 'userid', 'user_id'],
  movie: ['movie', 'movieid', 'movie_id', 'item', 'itemid', 'item_id'],
  rating: ['rating'],
  timestamp: ['timestamp', 'time', 'rated_at'],
};

/** Finds the columns by header name (any order, any case); user, movie and rating are required. */
export function ratingColumnsFromHeader(file: string, header: string): RatingColumns {
  const names = (splitCsvLine(header) ?? []).map((h) => h.trim().toLowerCase());
  const find = (key: keyof typeof headerNames) => names.findIndex((n) => headerNames[key].includes(n));
  const columns = {
    user: find('user'),
    movie: find('movie'),
    rating: find('rating'),
    timestamp: find('timestamp'),
    count: names.length,
  };
  if (columns.user < 0 || columns.movie < 0 || columns.rating < 0) {
    throw new DataFormatError(
      file,
      1,
      header,
      'the header must name a user column (user, userId), a movie column (movie, movieId) and a rating column; timestamp (seconds) is optional',
    );
  }
  return columns;
}

export interface ImportRatingsOptions extends ImportOptions {
  /** rated_at (epoch ms) for every rating when the file has no timestamp column; default now. */
  readonly ratedAt?: number;
}

/**
 * `movienight import ratings <file.csv>`: a generic `user,movie,rating[,timestamp]` CSV with a
 * header (timestamps in seconds). Every movie must already be in the database: a rating for an
 * unknown movie is refused (no placeholder movies are invented). One transaction, streamed.
 * Without a timestamp column a re-import leaves rated_at alone where the rating is unchanged.
 */
export async function importRatingsCsv(
  db: Database,
  file: string,
  options: ImportRatingsOptions = {},
): Promise<ImportSummary> {
  const started = performance.now();
  const log = new RejectionLog(options.skipInvalid ?? false);
  const totalBytes = dataFileSize(file);
  const ratedAtDefault = options.ratedAt ?? Date.now();
  const plan = await planRatingsLoad(db, Math.round(totalBytes / 25));
  return db.transaction(async (tx) => {
    const known = new Set(await new SqlCatalogStore(tx).movieIds());
    let columns: RatingColumns | null = null;
    let writer: RatingsWriter | null = null;
    const parsed: ParsedRating = { user: 0, movie: 0, rating: 0, ratedAt: 0 };
    const isKnown = (id: number) => known.has(id);
    for await (const batch of readLines(file, options.encoding)) {
      for (let i = 0; i < batch.lines.length; i++) {
        const lineNo = batch.firstLine + i;
        const line = batch.lines[i]!;
        if (columns === null || writer === null) {
          columns = ratingColumnsFromHeader(file, line);
          writer = new RatingsWriter(tx, columns.timestamp >= 0);
          await writer.start(plan);
          continue;
        }
        if (line === '') continue;
        const bad = parseRatingFields(splitCsvLine(line), line, columns, isKnown, parsed);
        if (bad) log.reject(file, lineNo, bad);
        else
          await writer.add(
            parsed.user,
            parsed.movie,
            parsed.rating,
            parsed.ratedAt < 0 ? ratedAtDefault : parsed.ratedAt,
          );
      }
      options.onProgress?.({ bytesRead: batch.bytesRead, totalBytes });
    }
    if (writer === null)
      throw new DataFormatError(file, 1, '', 'the file is empty: a header line is required');
    const { users, ratings } = await writer.finish();
    return {
      source: file,
      format: 'ratings-csv',
      users,
      movies: { read: 0, inserted: 0, updated: 0, unchanged: 0 },
      ratings: { ...ratings, skipped: log.total },
      skipped: log.reports(),
      seconds: (performance.now() - started) / 1000,
    };
  }, plan.transaction);
}
