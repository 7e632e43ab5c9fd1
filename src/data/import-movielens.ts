import { statSync } from 'node:fs';
import type { Database } from '../db/database.ts';
import {
  type ImportOptions,
  type ImportSummary,
  RatingsWriter,
  RejectionLog,
  writeMovies,
} from './import-writer.ts';
import { readLines } from './line-reader.ts';
import {
  checkMovieLensHeader,
  detectMovieLensLayout,
  movieLensRatingColumns,
  type ParsedMovie,
  type ParsedRating,
  parseMovieLine,
  parseRatingFields,
  splitRatingLine,
} from './movielens-format.ts';

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
  for await (const batch of readLines(layout.moviesFile, options.encoding)) {
    for (let i = 0; i < batch.lines.length; i++) {
      const lineNo = batch.firstLine + i;
      if (layout.header && lineNo === 1) {
        checkMovieLensHeader(layout.moviesFile, 'movies', batch.lines[i]!);
        continue;
      }
      const line = batch.lines[i]!;
      if (line === '') continue;
      const parsed = parseMovieLine(layout.name, line);
      if ('kind' in parsed) log.reject(layout.moviesFile, lineNo, parsed);
      else movies.set(parsed.id, parsed);
    }
  }

  const totalBytes = statSync(layout.ratingsFile).size;
  return db.transaction(async (tx) => {
    const movieCounts = await writeMovies(tx, movies.values());
    const writer = new RatingsWriter(tx, true);
    // ml-latest lines are about 25 bytes, ml-100k/1m about 20.
    await writer.start(Math.round(totalBytes / 25));
    const parsed: ParsedRating = { user: 0, movie: 0, rating: 0, ratedAt: 0 };
    const known = (id: number) => movies.has(id);
    for await (const batch of readLines(layout.ratingsFile, options.encoding)) {
      for (let i = 0; i < batch.lines.length; i++) {
        const lineNo = batch.firstLine + i;
        if (layout.header && lineNo === 1) {
          checkMovieLensHeader(layout.ratingsFile, 'ratings', batch.lines[i]!);
          continue;
        }
        const line = batch.lines[i]!;
        if (line === '') continue;
        const bad = parseRatingFields(
          splitRatingLine(line, layout.ratingSeparator),
          line,
          movieLensRatingColumns,
          known,
          parsed,
        );
        if (bad) log.reject(layout.ratingsFile, lineNo, bad);
        else await writer.add(parsed.user, parsed.movie, parsed.rating, parsed.ratedAt);
      }
      options.onProgress?.({ bytesRead: batch.bytesRead, totalBytes });
    }
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
  });
}
