import type { Database } from '../db/database.ts';
import {
  type ImportOptions,
  type ImportSummary,
  planRatingsLoad,
  RatingsWriter,
  RejectionLog,
  writeMovies,
} from './import-writer.ts';
import { dataFileSize } from './line-reader.ts';
import { readMovieLensMovies, readMovieLensRatings } from './movielens-files.ts';
import { detectMovieLensLayout, type ParsedMovie } from './movielens-format.ts';

/**
 * `movienight import movielens <dir>`: a MovieLens folder (ml-latest(-small), ml-25m, ml-100k,
 * ml-1m, ml-10m) into the database, in ONE transaction. Both files are streamed; only the catalogue
 * and the set of user ids are held in memory, never the ratings. A bad line throws a
 * DataFormatError naming file, line and value, and the rollback leaves the database as it was.
 * A rating must name a movie of the folder's movie file.
 */
export async function importMovieLens(
  db: Database,
  dir: string,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const started = performance.now();
  const layout = detectMovieLensLayout(dir);
  const log = new RejectionLog(options.skipInvalid ?? false);

  // The catalogue is read before the transaction starts: it is small, and a bad movie line then
  // fails before any lock is taken.
  const movies = new Map<number, ParsedMovie>();
  await readMovieLensMovies(layout, options.encoding, (parsed, lineNo) => {
    if ('kind' in parsed) log.reject(layout.moviesFile, lineNo, parsed);
    else movies.set(parsed.id, parsed);
  });

  const totalBytes = dataFileSize(layout.ratingsFile);
  // ml-latest lines are about 25 bytes, ml-100k/1m about 20.
  const plan = await planRatingsLoad(db, Math.round(totalBytes / 25));
  return db.transaction(async (tx) => {
    const movieCounts = await writeMovies(tx, movies.values());
    const writer = new RatingsWriter(tx, true);
    await writer.start(plan);
    const known = (id: number) => movies.has(id);
    await readMovieLensRatings(
      layout,
      options.encoding,
      known,
      (bad, parsed, lineNo) => {
        if (bad) {
          log.reject(layout.ratingsFile, lineNo, bad);
          return undefined;
        }
        return writer.add(parsed.user, parsed.movie, parsed.rating, parsed.ratedAt);
      },
      (bytesRead) => options.onProgress?.({ bytesRead, totalBytes }),
    );
    const { users, ratings } = await writer.finish();
    return {
      source: dir,
      format: layout.name,
      users,
      movies: movieCounts,
      ratings: { ...ratings, skipped: log.countIn(layout.ratingsFile) },
      skipped: log.reports(),
      seconds: (performance.now() - started) / 1000,
    };
  }, plan.transaction);
}
