import { type LineBatch, readLines, type TextEncodingName } from './line-reader.ts';
import {
  checkMovieLensHeader,
  type MovieLensLayout,
  movieLensRatingColumns,
  type ParsedMovie,
  type ParsedRating,
  parseMovieLine,
  parseRatingFields,
  type Rejection,
  splitRatingLine,
} from './movielens-format.ts';
import { parsePlainRatingLine } from './plain-rating-line.ts';

/**
 * The one walk over a MovieLens layout's two files, shared by `importMovieLens` (which writes to a
 * database and may skip bad lines) and `readMovieLens` (which builds arrays in memory and throws):
 * header check, blank lines, line numbers and the parser call live here once; what to do with a
 * parsed line or a refusal is the caller's.
 */

/** Calls `visit` with each parsed movie, or why its line was refused, in file order. */
export async function readMovieLensMovies(
  layout: MovieLensLayout,
  encoding: TextEncodingName | undefined,
  visit: (movie: ParsedMovie | Rejection, lineNo: number) => void,
): Promise<void> {
  for await (const batch of readLines(layout.moviesFile, encoding)) {
    forEachDataLine(layout, 'movies', batch, (line, lineNo) =>
      visit(parseMovieLine(layout.name, line), lineNo),
    );
  }
}

/**
 * Calls `visit` for each rating line in file order: with null and `rating` filled in, or with why
 * the line was refused. `rating` is one object reused for every line (the hot loop allocates
 * nothing), so a visitor copies what it keeps. A visit may return a promise (the importer writes
 * as it reads); it is awaited before the next line. `onBatch` gets the bytes read after each batch.
 */
export async function readMovieLensRatings(
  layout: MovieLensLayout,
  encoding: TextEncodingName | undefined,
  knownMovie: (id: number) => boolean,
  visit: (bad: Rejection | null, rating: ParsedRating, lineNo: number) => undefined | Promise<void>,
  onBatch?: (bytesRead: number) => void,
): Promise<void> {
  const rating: ParsedRating = { user: 0, movie: 0, rating: 0, ratedAt: 0 };
  const plainCsv = layout.ratingSeparator === ',';
  for await (const batch of readLines(layout.ratingsFile, encoding)) {
    for (let i = 0; i < batch.lines.length; i++) {
      const lineNo = batch.firstLine + i;
      const line = batch.lines[i]!;
      // The header is line 1, which the full path below checks.
      if (plainCsv && lineNo > 1 && parsePlainRatingLine(line, knownMovie, rating)) {
        const pending = visit(null, rating, lineNo);
        if (pending) await pending;
        continue;
      }
      if (!isDataLine(layout, 'ratings', lineNo, line)) continue;
      const fields = splitRatingLine(line, layout.ratingSeparator);
      const bad = parseRatingFields(fields, line, movieLensRatingColumns, knownMovie, rating);
      const pending = visit(bad, rating, lineNo);
      if (pending) await pending;
    }
    onBatch?.(batch.bytesRead);
  }
}

function forEachDataLine(
  layout: MovieLensLayout,
  kind: 'ratings' | 'movies',
  batch: LineBatch,
  visit: (line: string, lineNo: number) => void,
): void {
  for (let i = 0; i < batch.lines.length; i++) {
    const lineNo = batch.firstLine + i;
    const line = batch.lines[i]!;
    if (isDataLine(layout, kind, lineNo, line)) visit(line, lineNo);
  }
}

/** False for the (checked) header line and for blank lines. */
function isDataLine(
  layout: MovieLensLayout,
  kind: 'ratings' | 'movies',
  lineNo: number,
  line: string,
): boolean {
  if (layout.header && lineNo === 1) {
    checkMovieLensHeader(kind === 'ratings' ? layout.ratingsFile : layout.moviesFile, kind, line);
    return false;
  }
  return line !== '';
}
