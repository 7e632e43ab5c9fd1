import { DataFormatError } from '../errors.ts';
import type { TextEncodingName } from './line-reader.ts';
import { splitGenres } from './load-movies.ts';
import { readMovieLensMovies, readMovieLensRatings } from './movielens-files.ts';
import { detectMovieLensLayout, type MovieLensLayout } from './movielens-format.ts';
import { halfStarScale, wholeStarScale } from './rating-scale.ts';
import type { MovieInfo, RatingsData } from './ratings-data.ts';

export interface MovieLensFolder {
  readonly ratings: RatingsData;
  readonly movies: Map<number, MovieInfo>;
}

/** Reads every movie of a layout's movie file; the first bad line is an error naming file, line, value. */
export async function readMovieFile(
  layout: MovieLensLayout,
  encoding: TextEncodingName = 'auto',
): Promise<Map<number, MovieInfo>> {
  const movies = new Map<number, MovieInfo>();
  await readMovieLensMovies(layout, encoding, (parsed, lineNo) => {
    if ('kind' in parsed) throw new DataFormatError(layout.moviesFile, lineNo, parsed.value, parsed.problem);
    movies.set(
      parsed.id,
      Object.freeze({
        id: parsed.id,
        title: parsed.title,
        year: parsed.year,
        genres: Object.freeze(splitGenres(parsed.genres)),
      }),
    );
  });
  return movies;
}

/**
 * Reads a MovieLens folder (any layout `import movielens` takes) into memory without a database:
 * for experiments, benchmarks and tests. Strict: the first bad line throws a DataFormatError.
 * Ratings come back in (user, movie) order, like `loadRatingsData`, with the scale detected the
 * same way; a pair rated twice keeps its last line (a re-rating replaces, as in the database).
 */
export async function readMovieLens(
  dir: string,
  options: { encoding?: TextEncodingName } = {},
): Promise<MovieLensFolder> {
  const layout = detectMovieLensLayout(dir);
  const movies = await readMovieFile(layout, options.encoding);

  let capacity = 1 << 16;
  let users = new Int32Array(capacity);
  let items = new Int32Array(capacity);
  let values = new Float32Array(capacity);
  let times = new Float64Array(capacity);
  let n = 0;
  const known = (id: number) => movies.has(id);
  await readMovieLensRatings(layout, options.encoding, known, (bad, parsed, lineNo) => {
    if (bad) throw new DataFormatError(layout.ratingsFile, lineNo, bad.value, bad.problem);
    if (n === capacity) {
      capacity *= 2;
      users = copyInto(users, new Int32Array(capacity));
      items = copyInto(items, new Int32Array(capacity));
      values = copyInto(values, new Float32Array(capacity));
      times = copyInto(times, new Float64Array(capacity));
    }
    users[n] = parsed.user;
    items[n] = parsed.movie;
    values[n] = parsed.rating;
    times[n] = parsed.ratedAt;
    n += 1;
    return undefined;
  });

  return {
    ratings: lastRatingOfEachPair({ users, movies: items, ratings: values, timestamps: times }, n),
    movies,
  };
}

/**
 * The first `n` ratings sorted by (user, movie), file order breaking ties, keeping the last line
 * of each pair, with the scale they show.
 */
function lastRatingOfEachPair(
  read: {
    readonly users: Int32Array;
    readonly movies: Int32Array;
    readonly ratings: Float32Array;
    readonly timestamps: Float64Array;
  },
  n: number,
): RatingsData {
  const { users, movies: items, ratings: values, timestamps: times } = read;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => users[a]! - users[b]! || items[a]! - items[b]! || a - b);
  const keep: number[] = [];
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const next = k + 1 < n ? order[k + 1]! : -1;
    if (next >= 0 && users[next] === users[i] && items[next] === items[i]) continue;
    keep.push(i);
  }
  const size = keep.length;
  const ratings = {
    size,
    users: new Int32Array(size),
    movies: new Int32Array(size),
    ratings: new Float32Array(size),
    timestamps: new Float64Array(size),
    scale: wholeStarScale,
  };
  let half = false;
  for (let k = 0; k < size; k++) {
    const i = keep[k]!;
    ratings.users[k] = users[i]!;
    ratings.movies[k] = items[i]!;
    ratings.ratings[k] = values[i]!;
    ratings.timestamps[k] = times[i]!;
    if (!Number.isInteger(values[i]!)) half = true;
  }
  return { ...ratings, scale: half ? halfStarScale : wholeStarScale };
}

function copyInto<T extends Int32Array | Float32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
