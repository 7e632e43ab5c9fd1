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
  const n = line.length;
  let i = 0;
  // The user id, then the movie id: each 1–10 digits, at most 2^31−1, then a comma.
  let user = 0;
  let movie = 0;
  for (let field = 0; field < 2; field++) {
    const start = i;
    let id = 0;
    for (; i < n; i++) {
      const c = line.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      id = id * 10 + c;
    }
    if (i === start || i - start > 10 || id > 2147483647 || line.charCodeAt(i) !== 44) return false;
    if (field === 0) user = id;
    else movie = id;
    i++;
  }
  // rating: 1–3 digits, then optionally a dot and one digit (the forms parseRatingNumber reads as
  // Number(s) directly; (whole·10 + tenth) / 10 is that same double: one correctly rounded division)
  let start = i;
  let whole = 0;
  for (; i < n; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    whole = whole * 10 + c;
  }
  if (i === start || i - start > 3) return false;
  let rating = whole;
  if (line.charCodeAt(i) === 46) {
    const tenth = line.charCodeAt(i + 1) - 48;
    if (tenth < 0 || tenth > 9) return false;
    rating = (whole * 10 + tenth) / 10;
    i += 2;
  }
  if (line.charCodeAt(i) !== 44) return false;
  // seconds since 1970
  start = ++i;
  let seconds = 0;
  for (; i < n; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return false;
    seconds = seconds * 10 + c;
  }
  if (i === start || i - start > 12) return false;
  if (!isOnScale(importScale, rating) || !knownMovie(movie)) return false;
  out.user = user;
  out.movie = movie;
  out.rating = rating;
  out.ratedAt = seconds * 1000;
  return true;
}
