import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError, InvalidInputError } from '../errors.ts';
import { joinGenres } from './load-movies.ts';
import { halfStarScale, isOnScale, type RatingScale } from './rating-scale.ts';

/**
 * The MovieLens file layouts and line parsers, shared by the database importers and by
 * `readMovieLens` (no database). Parsers are hand-written (index scans, char-code checks): they run
 * once per line of files with tens of millions of lines.
 */

/** Why a line was refused. Each kind is counted separately under `--skip-invalid`. */
export type RejectionKind =
  | 'malformed_line'
  | 'invalid_id'
  | 'invalid_rating'
  | 'rating_off_scale'
  | 'invalid_timestamp'
  | 'unknown_movie';

export const rejectionKinds: readonly RejectionKind[] = [
  'malformed_line',
  'invalid_id',
  'invalid_rating',
  'rating_off_scale',
  'invalid_timestamp',
  'unknown_movie',
];

export interface Rejection {
  readonly kind: RejectionKind;
  /** The offending value (a field, or the whole line when it does not parse). */
  readonly value: string;
  readonly problem: string;
}

/** The widest scale MovieLens uses (0.5–5 in half stars); whole stars are on it too. */
export const importScale: RatingScale = halfStarScale;

export type MovieLensLayoutName = 'ml-latest' | 'ml-100k' | 'ml-1m';

export interface MovieLensLayout {
  readonly name: MovieLensLayoutName;
  readonly ratingsFile: string;
  readonly moviesFile: string;
  /** Separator of the ratings file. */
  readonly ratingSeparator: ',' | '\t' | '::';
  /** Whether the files start with a header line. */
  readonly header: boolean;
}

/** Recognises ml-latest(-small)/ml-25m (CSV), ml-100k (u.data/u.item), ml-1m/ml-10m (.dat). */
export function detectMovieLensLayout(dir: string): MovieLensLayout {
  const has = (f: string) => existsSync(join(dir, f));
  if (has('ratings.csv') && has('movies.csv')) {
    return {
      name: 'ml-latest',
      ratingsFile: join(dir, 'ratings.csv'),
      moviesFile: join(dir, 'movies.csv'),
      ratingSeparator: ',',
      header: true,
    };
  }
  if (has('u.data') && has('u.item')) {
    return {
      name: 'ml-100k',
      ratingsFile: join(dir, 'u.data'),
      moviesFile: join(dir, 'u.item'),
      ratingSeparator: '\t',
      header: false,
    };
  }
  if (has('ratings.dat') && has('movies.dat')) {
    return {
      name: 'ml-1m',
      ratingsFile: join(dir, 'ratings.dat'),
      moviesFile: join(dir, 'movies.dat'),
      ratingSeparator: '::',
      header: false,
    };
  }
  throw new InvalidInputError(
    `${dir} is not a MovieLens folder: expected ratings.csv + movies.csv (ml-latest, ml-25m), u.data + u.item (ml-100k) or ratings.dat + movies.dat (ml-1m, ml-10m)`,
  );
}

const expectedHeaders = {
  ratings: 'userId,movieId,rating,timestamp',
  movies: 'movieId,title,genres',
} as const;

/**
 * Checks line 1 of an ml-latest file. Without this a file that lacks its header would silently
 * lose its first row; with it, a ratings file in another column order is refused by name.
 */
export function checkMovieLensHeader(file: string, kind: keyof typeof expectedHeaders, line: string): void {
  const expected = expectedHeaders[kind];
  if (line.replaceAll(' ', '').toLowerCase() !== expected.toLowerCase()) {
    throw new DataFormatError(file, 1, line, `expected the header line "${expected}"`);
  }
}

/**
 * Splits one CSV line. Fields may be quoted ("a, b"), with "" for a quote inside. Returns null when
 * a quote is not closed or text follows a closing quote.
 */
export function splitCsvLine(line: string): string[] | null {
  if (line.indexOf('"') < 0) return line.split(',');
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line.charCodeAt(i) === 34) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) return null;
        value += line.slice(j, q);
        if (line.charCodeAt(q + 1) === 34) {
          value += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      out.push(value);
      if (j === n) return out;
      if (line.charCodeAt(j) !== 44) return null;
      i = j + 1;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, c));
      i = c + 1;
    }
    if (i === n) {
      out.push('');
      return out;
    }
  }
}

/** A whole number 0 … 2^31−1 written with digits only, or -1. */
export function parseId(s: string): number {
  const n = s.length;
  if (n === 0 || n > 10) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v <= 2147483647 ? v : -1;
}

/**
 * The rating number grammar: digits, optionally a dot and more digits — `4`, `4.0`, `3.5`,
 * `0.5`, `04.50`. Nothing else: no sign (`+4`, `-1`), no spaces (`" 4 "`), no bare dot (`.5`,
 * `4.`), no exponent (`4e0`), no hexadecimal (`0x4`), no `Infinity`. Returns NaN for text outside
 * the grammar, and -1 (never on a scale) for a decimal no double holds exactly as written
 * (`5.00000000000000000001` would otherwise round to 5 and pass).
 */
export function parseRatingNumber(s: string): number {
  const n = s.length;
  if (n === 0 || n > 24) return Number.NaN;
  let dot = -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (dot >= 0 || i === 0 || i === n - 1) return Number.NaN;
      dot = i;
    } else if (c < 48 || c > 57) return Number.NaN;
  }
  const value = Number(s);
  // Up to three integer digits and one decimal are always the double's own shortest form.
  if ((dot < 0 && n <= 3) || (dot >= 1 && dot <= 3 && n - dot === 2)) return value;
  return canonicalDecimal(s, dot) === String(value) ? value : -1;
}

/** `s` without leading integer zeros, trailing fraction zeros, or a dot left with nothing after. */
function canonicalDecimal(s: string, dot: number): string {
  let whole = dot < 0 ? s : s.slice(0, dot);
  let fraction = dot < 0 ? '' : s.slice(dot + 1);
  whole = whole.replace(/^0+(?=\d)/, '');
  fraction = fraction.replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/** Seconds since the epoch (digits only) → milliseconds, or -1. */
export function parseEpochSeconds(s: string): number {
  const n = s.length;
  if (n === 0 || n > 12) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v * 1000;
}

/** One parsed rating line; the parser reuses one instance so the hot loop allocates nothing. */
export interface ParsedRating {
  user: number;
  movie: number;
  rating: number;
  /** Epoch ms, or -1 when the line has no timestamp column. */
  ratedAt: number;
}

/** Column positions of a ratings file (a generic CSV may order its columns freely). */
export interface RatingColumns {
  readonly user: number;
  readonly movie: number;
  readonly rating: number;
  /** -1: no timestamp column. */
  readonly timestamp: number;
  readonly count: number;
}

export const movieLensRatingColumns: RatingColumns = { user: 0, movie: 1, rating: 2, timestamp: 3, count: 4 };

function rejection(kind: RejectionKind, value: string, problem: string): Rejection {
  return { kind, value, problem };
}

/** Splits a ratings line by its separator (CSV quoting only for ','). */
export function splitRatingLine(
  line: string,
  separator: MovieLensLayout['ratingSeparator'],
): string[] | null {
  return separator === ',' ? splitCsvLine(line) : line.split(separator);
}

/**
 * Parses the fields of one rating line into `out`; returns null on success or why it was refused.
 * `knownMovie` decides the unknown-movie rule (the movie file, or the database for a generic CSV).
 */
export function parseRatingFields(
  fields: readonly string[] | null,
  line: string,
  columns: RatingColumns,
  knownMovie: (id: number) => boolean,
  out: ParsedRating,
): Rejection | null {
  if (fields === null) return rejection('malformed_line', line, 'line does not parse (unclosed quote)');
  if (fields.length !== columns.count) {
    return rejection('malformed_line', line, `line has ${fields.length} fields, expected ${columns.count}`);
  }
  const u = fields[columns.user]!;
  const user = parseId(u);
  if (user < 0) return rejection('invalid_id', u, 'user id is not a whole number');
  const m = fields[columns.movie]!;
  const movie = parseId(m);
  if (movie < 0) return rejection('invalid_id', m, 'movie id is not a whole number');
  const r = fields[columns.rating]!;
  const rating = parseRatingNumber(r);
  if (Number.isNaN(rating)) {
    return rejection('invalid_rating', r, 'rating is not a number written as digits[.digits] (e.g. 4, 3.5)');
  }
  if (!isOnScale(importScale, rating)) {
    return rejection(
      'rating_off_scale',
      r,
      `rating is off the scale ${importScale.min}–${importScale.max} in steps of ${importScale.step}`,
    );
  }
  let ratedAt = -1;
  if (columns.timestamp >= 0) {
    const t = fields[columns.timestamp]!;
    ratedAt = parseEpochSeconds(t);
    if (ratedAt < 0) return rejection('invalid_timestamp', t, 'timestamp is not whole seconds since 1970');
  }
  if (!knownMovie(movie))
    return rejection('unknown_movie', m, 'rating for a movie that is not in the movie list');
  out.user = user;
  out.movie = movie;
  out.rating = rating;
  out.ratedAt = ratedAt;
  return null;
}

export interface ParsedMovie {
  readonly id: number;
  readonly title: string;
  readonly year: number | null;
  /** `A|B|C`, '' for none. */
  readonly genres: string;
}

const yearAtEnd = /\((\d{4})(?:[-–]\d{4})?\)\s*$/;

/** The release year written at the end of a MovieLens title, "Heat (1995)". */
export function yearFromTitle(title: string): number | null {
  const m = yearAtEnd.exec(title);
  return m ? Number(m[1]) : null;
}

/** ml-100k's genre flag order (u.genre). "unknown" means no genre. */
const genres100k = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  'Children',
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
];

/** Names differ slightly between releases; ml-latest's spelling is ours. */
function normaliseGenres(list: readonly string[]): string {
  const out: string[] = [];
  for (const g of list) {
    const name = g.trim() === "Children's" ? 'Children' : g.trim();
    if (name === '' || name === '(no genres listed)' || name === 'unknown') continue;
    out.push(name);
  }
  return joinGenres(out);
}

/** Parses one line of a movies file of the given layout. */
export function parseMovieLine(layout: MovieLensLayoutName, line: string): ParsedMovie | Rejection {
  let fields: string[] | null;
  if (layout === 'ml-latest') fields = splitCsvLine(line);
  else if (layout === 'ml-100k') fields = line.split('|');
  else fields = line.split('::');
  if (fields === null) return rejection('malformed_line', line, 'line does not parse (unclosed quote)');
  const expected = layout === 'ml-100k' ? 24 : 3;
  if (fields.length !== expected) {
    return rejection('malformed_line', line, `line has ${fields.length} fields, expected ${expected}`);
  }
  const id = parseId(fields[0]!);
  if (id < 0) return rejection('invalid_id', fields[0]!, 'movie id is not a whole number');
  const title = fields[1]!.trim();
  if (title === '') return rejection('malformed_line', line, 'movie has an empty title');
  let genres: string;
  let year = yearFromTitle(title);
  if (layout === 'ml-100k') {
    const names: string[] = [];
    for (let g = 0; g < 19; g++) {
      const flag = fields[5 + g]!;
      if (flag !== '0' && flag !== '1')
        return rejection('malformed_line', flag, `genre flag ${g + 1} is not 0 or 1`);
      if (flag === '1') names.push(genres100k[g]!);
    }
    genres = normaliseGenres(names);
    // "01-Jan-1995": the release date is there when the title has no year.
    if (year === null) {
      const date = fields[2]!;
      const y = Number(date.slice(-4));
      if (date.length >= 4 && Number.isInteger(y) && y > 1800) year = y;
    }
  } else {
    genres = normaliseGenres(fields[2]!.split('|'));
  }
  return { id, title, year, genres };
}
