import { importScale, type ParsedRating } from './movielens-format.ts';
import { isOnScale } from './rating-scale.ts';

/**
 * The common case of an ml-latest ratings line, `user,movie,rating,timestamp` with plain digits
 * (`1,31,2.5,1260759144`), parsed from its character codes into `out` without splitting it into
 * strings: true when the line is that simple and `parseRatingFields` would accept it with exactly
 * these values (ids of at most 10 digits up to 2^31−1, a rating of 1–3 digits with at most one
 * decimal, on the import scale, of a known movie, and seconds of 1–12 digits). Anything else
 * returns false and goes through the full parser, which gives the same values or the rejection.
 * At 25 M lines the split and the per-field strings were about 15 s of an import.
 */
export function parsePlainRatingLine(
  line: string,
  knownMovie: (id: number) => boolean,
  out: ParsedRating,
): boolean {
  // The user id and the movie id: each 1–10 digits, at most 2^31−1, then a comma.
  let i = digitsFrom(line, 0);
  const user = digits;
  if (i === 0 || i > 10 || user > 2147483647 || line.charCodeAt(i) !== 44) return false;
  let start = i + 1;
  i = digitsFrom(line, start);
  const movie = digits;
  if (i === start || i - start > 10 || movie > 2147483647 || line.charCodeAt(i) !== 44) return false;
  // rating: 1–3 digits, then optionally a dot and one digit (the forms parseRatingNumber reads as
  // Number(s) directly; (whole·10 + tenth) / 10 is that same double: one correctly rounded division)
  start = i + 1;
  i = digitsFrom(line, start);
  if (i === start || i - start > 3) return false;
  let rating = digits;
  if (line.charCodeAt(i) === 46) {
    const tenth = line.charCodeAt(i + 1) - 48;
    if (tenth < 0 || tenth > 9) return false;
    rating = (rating * 10 + tenth) / 10;
    i += 2;
  }
  if (line.charCodeAt(i) !== 44) return false;
  // seconds since 1970, 1–12 digits, to the end of the line
  start = i + 1;
  i = digitsFrom(line, start);
  const seconds = digits;
  if (i === start || i - start > 12 || i !== line.length) return false;
  if (!isOnScale(importScale, rating) || !knownMovie(movie)) return false;
  out.user = user;
  out.movie = movie;
  out.rating = rating;
  out.ratedAt = seconds * 1000;
  return true;
}

/** The value of the digits `digitsFrom` last read (a module variable: the hot loop allocates nothing). */
let digits = 0;

/** Reads the run of digits of `line` from `i` into `digits`; returns the index after it. */
function digitsFrom(line: string, i: number): number {
  const n = line.length;
  let v = 0;
  for (; i < n; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
  }
  digits = v;
  return i;
}
