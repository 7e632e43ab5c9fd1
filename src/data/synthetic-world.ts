import { InvalidInputError } from '../errors.ts';
import { requireWholeNumber } from '../input-schemas.ts';
import { deriveSeed, Rng } from '../random/rng.ts';
import { halfStarScale, type RatingScale, wholeStarScale } from './rating-scale.ts';
import type { MovieInfo } from './ratings-data.ts';
import { genreWeights, makeTitle } from './synthetic-titles.ts';

/*
 * This file is long because it is one model: the hidden tastes a synthetic world is made of, and
 * the rating streams and drift that the tests, the generator and the simulation read from it. Its
 * vocabulary (genres, title words) lives in synthetic-titles.ts.
 */

/**
 * A synthetic movie world with a known ground truth: the demo catalogue, test fixtures whose true
 * ratings are known, data for scale benchmarks, and the population the simulation rates with.
 *
 * The hidden model is the one matrix factorisation assumes, so models have something real to learn:
 *
 *   true(u, m) = clamp(μ + b_u + b_m + p_u · q_m)           (continuous, on the scale's range)
 *   observed   = round_to_scale(true(u, m) + ε),  ε ~ N(0, noise²)
 *
 * Movie factors q_m are the mean of their genres' vectors plus a movie's own part, so genres carry
 * taste signal (genre-aware cold start can use it). Popularity is long-tailed (Zipf over a random
 * order) and a little correlated with quality. Users differ in activity (log-normal) and each is
 * active over their own stretch of the time range. Ids are 1…users and 1…movies.
 */
export interface SyntheticWorldOptions {
  readonly users: number;
  readonly movies: number;
  readonly seed: number;
  /** 'half': 0.5–5 in half stars (default); 'whole': 1–5. */
  readonly scale?: 'half' | 'whole';
  /** Latent dimensions of the hidden tastes (default 8). */
  readonly factors?: number;
  /** Standard deviation of a rating's noise before rounding (default 0.55). */
  readonly noise?: number;
  /** Time range of generated ratings, epoch ms (default 2015-01-01 … 2020-01-01). */
  readonly startTime?: number;
  readonly endTime?: number;
  /** Zipf exponent of popularity (default 0.9; larger is a longer tail). */
  readonly popularityExponent?: number;
}

/** The ratings of one user, ordered by time. Arrays are fresh per user (callers may keep them). */
export interface UserRatings {
  readonly user: number;
  readonly movies: Int32Array;
  readonly ratings: Float32Array;
  /** Epoch ms, whole seconds (so a CSV round trip in seconds is exact). */
  readonly timestamps: Float64Array;
}

export interface DriftOptions {
  readonly seed: number;
  /** Share of users whose tastes move (default 1). */
  readonly fraction?: number;
  /** 0: no change, 1: tastes replaced by new random ones (default 0.8). */
  readonly strength?: number;
}

/** Genres with rough MovieLens frequencies (weights), in ml-latest spelling. */
function requireCount(name: string, value: number, min: number): void {
  requireWholeNumber(name, value, { min });
}

/** Index of the first cumulative weight above `x` (binary search). */
function searchCumulative(cumulative: Float64Array, x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface WorldParts {
  readonly options: Required<SyntheticWorldOptions>;
  readonly scale: RatingScale;
  readonly globalMean: number;
  readonly userFactors: Float32Array;
  readonly userBias: Float32Array;
  readonly userActivity: Float64Array;
  readonly userStart: Float64Array;
  readonly userSpan: Float64Array;
  readonly movieFactors: Float32Array;
  readonly movieBias: Float32Array;
  readonly moviePopularity: Float64Array;
  readonly movieCumulative: Float64Array;
  readonly catalogue: readonly MovieInfo[];
}

export class SyntheticWorld {
  readonly users: number;
  readonly movies: number;
  readonly factors: number;
  readonly seed: number;
  readonly scale: RatingScale;
  readonly noise: number;
  readonly startTime: number;
  readonly endTime: number;
  /** μ of the hidden model. */
  readonly globalMean: number;
  /** Hidden user tastes p_u, row-major users × factors (user id u is row u−1). Read-only. */
  readonly userFactors: Float32Array;
  readonly userBias: Float32Array;
  /** Relative activity of each user (how many ratings they give), sums to 1. */
  readonly userActivity: Float64Array;
  /** Hidden movie traits q_m, row-major movies × factors (movie id m is row m−1). Read-only. */
  readonly movieFactors: Float32Array;
  readonly movieBias: Float32Array;
  /** Probability that a random viewing is of each movie, sums to 1. */
  readonly moviePopularity: Float64Array;
  private readonly parts: WorldParts;

  /** Use `createSyntheticWorld`. */
  constructor(parts: WorldParts) {
    this.parts = parts;
    const o = parts.options;
    this.users = o.users;
    this.movies = o.movies;
    this.factors = o.factors;
    this.seed = o.seed;
    this.noise = o.noise;
    this.startTime = o.startTime;
    this.endTime = o.endTime;
    this.scale = parts.scale;
    this.globalMean = parts.globalMean;
    this.userFactors = parts.userFactors;
    this.userBias = parts.userBias;
    this.userActivity = parts.userActivity;
    this.movieFactors = parts.movieFactors;
    this.movieBias = parts.movieBias;
    this.moviePopularity = parts.moviePopularity;
  }

  /** The catalogue: id, a made-up title with its year, the year, genres. */
  catalogue(): readonly MovieInfo[] {
    return this.parts.catalogue;
  }

  private checkIds(user: number, movie: number): void {
    if (!Number.isInteger(user) || user < 1 || user > this.users) {
      throw new InvalidInputError(`user ${user} is not in this world (1…${this.users})`);
    }
    if (!Number.isInteger(movie) || movie < 1 || movie > this.movies) {
      throw new InvalidInputError(`movie ${movie} is not in this world (1…${this.movies})`);
    }
  }

  /** The noise-free rating the hidden model gives, clamped to the scale's range (not rounded). */
  trueRating(user: number, movie: number): number {
    this.checkIds(user, movie);
    const k = this.factors;
    const pu = (user - 1) * k;
    const qm = (movie - 1) * k;
    let dot = 0;
    for (let f = 0; f < k; f++) dot += this.userFactors[pu + f]! * this.movieFactors[qm + f]!;
    const raw = this.globalMean + this.userBias[user - 1]! + this.movieBias[movie - 1]! + dot;
    return Math.min(this.scale.max, Math.max(this.scale.min, raw));
  }

  /** A rating as a user would give it: true rating plus noise, rounded to the scale. */
  drawRating(user: number, movie: number, rng: Rng): number {
    const v = this.trueRating(user, movie) + rng.normal(0, this.noise);
    const s = this.scale;
    const stepped = s.min + Math.round((v - s.min) / s.step) * s.step;
    return Math.min(s.max, Math.max(s.min, stepped));
  }

  /** A movie id drawn by popularity (what someone picks to watch without a recommendation). */
  sampleMovie(rng: Rng): number {
    return searchCumulative(this.parts.movieCumulative, rng.next()) + 1;
  }

  /** A user id drawn by activity (who shows up next). */
  sampleUser(rng: Rng): number {
    const a = this.userActivity;
    let x = rng.next();
    for (let i = 0; i < a.length; i++) {
      x -= a[i]!;
      if (x < 0) return i + 1;
    }
    return a.length;
  }

  /**
   * `total` ratings: distinct (user, movie) pairs, streamed user by user (1, 2, …), each user's
   * ratings in time order. Only one user's ratings exist at a time, so memory does not grow with
   * `total`. Same world and seed, same ratings.
   */
  *ratingsByUser(total: number, seed: number): Generator<UserRatings> {
    requireCount('ratings', total, 0);
    if (total > this.users * this.movies) {
      throw new InvalidInputError(
        `ratings (${total}) exceeds users × movies (${this.users * this.movies}): a user rates a movie at most once`,
      );
    }
    const counts = this.ratingCounts(total, new Rng(deriveSeed(seed, 'counts')));
    const cumulative = this.parts.movieCumulative;
    const M = this.movies;
    for (let u = 1; u <= this.users; u++) {
      const n = counts[u - 1]!;
      if (n === 0) continue;
      const rng = new Rng(deriveSeed(seed, u));
      const chosen = new Set<number>();
      let tries = 0;
      while (chosen.size < n && tries < 30 * n) {
        chosen.add(searchCumulative(cumulative, rng.next()) + 1);
        tries += 1;
      }
      if (chosen.size < n) {
        // Dense users: popularity rejection sampling stalls, take the rest uniformly from what is left.
        const rest: number[] = [];
        for (let m = 1; m <= M; m++) if (!chosen.has(m)) rest.push(m);
        rng.shuffle(rest);
        for (let i = 0; chosen.size < n; i++) chosen.add(rest[i]!);
      }
      const start = this.parts.userStart[u - 1]!;
      const span = this.parts.userSpan[u - 1]!;
      const times = new Float64Array(n);
      for (let i = 0; i < n; i++) times[i] = Math.floor((start + rng.next() * span) / 1000) * 1000;
      times.sort();
      const movies = Int32Array.from(chosen);
      const ratings = new Float32Array(n);
      for (let i = 0; i < n; i++) ratings[i] = this.drawRating(u, movies[i]!, rng);
      yield { user: u, movies, ratings, timestamps: times };
    }
  }

  /** Ratings per user, proportional to activity, at most `movies` each, summing to `total`. */
  private ratingCounts(total: number, rng: Rng): Int32Array {
    const counts = new Int32Array(this.users);
    const a = this.userActivity;
    // Everyone rates at least once when there are enough ratings to go round (as in MovieLens,
    // where every user has ratings); the rest follows activity.
    const base = total >= this.users ? 1 : 0;
    const rest = total - base * this.users;
    let given = 0;
    for (let i = 0; i < this.users; i++) {
      counts[i] = Math.min(this.movies, base + Math.floor(rest * a[i]!));
      given += counts[i]!;
    }
    // Hand out what rounding and the per-user cap left, one by one, by activity.
    let guard = 0;
    while (given < total) {
      const u = this.sampleUser(rng) - 1;
      if (counts[u]! < this.movies) {
        counts[u] = counts[u]! + 1;
        given += 1;
      } else if (++guard > 1000) {
        for (let i = 0; i < this.users && given < total; i++) {
          const add = Math.min(this.movies - counts[i]!, total - given);
          counts[i] = counts[i]! + add;
          given += add;
        }
      }
    }
    return counts;
  }

  /**
   * The same world after a change of taste: a `fraction` of users (chosen by `seed`) move their
   * taste vectors towards new random ones by `strength`. Movies, biases and activity stay. For the
   * simulation's drift day: models trained before it become wrong for those users.
   */
  withDrift(options: DriftOptions): SyntheticWorld {
    const fraction = options.fraction ?? 1;
    const strength = options.strength ?? 0.8;
    if (!(fraction >= 0 && fraction <= 1))
      throw new InvalidInputError(`drift fraction must be in [0, 1], got ${fraction}`);
    if (!(strength >= 0 && strength <= 1))
      throw new InvalidInputError(`drift strength must be in [0, 1], got ${strength}`);
    const rng = new Rng(deriveSeed(options.seed, 'drift'));
    const k = this.factors;
    const userFactors = Float32Array.from(this.userFactors);
    for (let u = 0; u < this.users; u++) {
      const moves = rng.next() < fraction;
      for (let f = 0; f < k; f++) {
        const fresh = rng.normal(0, userFactorStd);
        if (moves) userFactors[u * k + f] = (1 - strength) * userFactors[u * k + f]! + strength * fresh;
      }
    }
    return new SyntheticWorld({ ...this.parts, userFactors });
  }
}

const userFactorStd = 0.4;

/** The options with their defaults, checked; throws InvalidInputError naming a bad one. */
function worldOptions(options: SyntheticWorldOptions): Required<SyntheticWorldOptions> {
  requireCount('users', options.users, 1);
  requireCount('movies', options.movies, 1);
  if (!Number.isInteger(options.seed))
    throw new InvalidInputError(`seed must be a whole number, got ${options.seed}`);
  const o: Required<SyntheticWorldOptions> = {
    scale: 'half',
    factors: 8,
    noise: 0.55,
    startTime: Date.UTC(2015, 0, 1),
    endTime: Date.UTC(2020, 0, 1),
    popularityExponent: 0.9,
    ...options,
  };
  requireCount('factors', o.factors, 1);
  if (!(o.noise >= 0)) throw new InvalidInputError(`noise must be ≥ 0, got ${o.noise}`);
  if (!(o.endTime > o.startTime)) {
    throw new InvalidInputError(`endTime (${o.endTime}) must be after startTime (${o.startTime})`);
  }
  if (o.scale !== 'half' && o.scale !== 'whole') {
    throw new InvalidInputError(`scale must be "half" or "whole", got ${JSON.stringify(o.scale)}`);
  }
  return o;
}

/** Each genre's taste vector, and the genres' cumulative weights to draw from. */
function makeGenres(rng: Rng, k: number): { vectors: Float32Array[]; cumulative: Float64Array } {
  const vectors = genreWeights.map(() => Float32Array.from({ length: k }, () => rng.normal(0, 0.9)));
  const cumulative = new Float64Array(genreWeights.length);
  const total = genreWeights.reduce((s, [, w]) => s + w, 0);
  genreWeights.reduce((acc, [, w], i) => {
    cumulative[i] = (acc + w) / total;
    return acc + w;
  }, 0);
  return { vectors, cumulative };
}

/** Popularity: Zipf over a random order of the movies (the rank also nudges quality up). */
function makePopularity(rng: Rng, M: number, exponent: number) {
  const rankOf = new Int32Array(M);
  const order = Int32Array.from({ length: M }, (_, i) => i);
  rng.shuffle(order);
  for (let r = 0; r < M; r++) rankOf[order[r]!] = r;
  const moviePopularity = new Float64Array(M);
  let popTotal = 0;
  for (let m = 0; m < M; m++) {
    const w = 1 / (rankOf[m]! + 5) ** exponent;
    moviePopularity[m] = w;
    popTotal += w;
  }
  const movieCumulative = new Float64Array(M);
  let acc = 0;
  for (let m = 0; m < M; m++) {
    moviePopularity[m] = moviePopularity[m]! / popTotal;
    acc += moviePopularity[m]!;
    movieCumulative[m] = acc;
  }
  movieCumulative[M - 1] = 1;
  return { rankOf, moviePopularity, movieCumulative };
}

/** Each movie's genres, hidden factors, bias, year and title, drawn in id order. */
function makeMovies(rng: Rng, k: number, rankOf: Int32Array, genres: ReturnType<typeof makeGenres>) {
  const M = rankOf.length;
  const movieFactors = new Float32Array(M * k);
  const movieBias = new Float32Array(M);
  const catalogue: MovieInfo[] = [];
  for (let m = 0; m < M; m++) {
    const genreCount = 1 + Math.min(2, Math.floor(Math.abs(rng.normal(0, 1.1))));
    const chosen = new Set<number>();
    while (chosen.size < genreCount) chosen.add(searchCumulative(genres.cumulative, rng.next()));
    const genreIdx = [...chosen].sort((a, b) => a - b);
    for (let f = 0; f < k; f++) {
      let g = 0;
      for (const gi of genreIdx) g += genres.vectors[gi]![f]!;
      movieFactors[m * k + f] = g / genreIdx.length + rng.normal(0, 0.5);
    }
    const popularityBoost = 0.25 * (1 - (2 * rankOf[m]!) / Math.max(1, M - 1));
    movieBias[m] = rng.normal(0, 0.4) + popularityBoost;
    const year = Math.max(1920, 2023 - Math.floor(Math.abs(rng.normal(0, 18))));
    const title = `${makeTitle(rng)} (${year})`;
    catalogue.push(
      Object.freeze({
        id: m + 1,
        title,
        year,
        genres: Object.freeze(genreIdx.map((gi) => genreWeights[gi]![0])),
      }),
    );
  }
  return { movieFactors, movieBias, catalogue };
}

/** Each user's hidden factors, bias, share of the activity and stretch of the time range. */
function makeUsers(rng: Rng, U: number, k: number, startTime: number, endTime: number) {
  const userFactors = new Float32Array(U * k);
  const userBias = new Float32Array(U);
  const userActivity = new Float64Array(U);
  const userStart = new Float64Array(U);
  const userSpan = new Float64Array(U);
  const range = endTime - startTime;
  let activityTotal = 0;
  for (let u = 0; u < U; u++) {
    for (let f = 0; f < k; f++) userFactors[u * k + f] = rng.normal(0, userFactorStd);
    userBias[u] = rng.normal(0, 0.35);
    const a = Math.exp(rng.normal(0, 1));
    userActivity[u] = a;
    activityTotal += a;
    const span = range * Math.min(1, 0.05 + rng.next() * rng.next() * 1.5);
    userSpan[u] = span;
    userStart[u] = startTime + rng.next() * (range - span);
  }
  for (let u = 0; u < U; u++) userActivity[u] = userActivity[u]! / activityTotal;
  return { userFactors, userBias, userActivity, userStart, userSpan };
}

/**
 * Builds a world from its options; the same options give the same world. Genres, movies and users
 * draw from independent streams: changing how movies are made never changes the users.
 */
export function createSyntheticWorld(options: SyntheticWorldOptions): SyntheticWorld {
  const o = worldOptions(options);
  const scale = o.scale === 'half' ? halfStarScale : wholeStarScale;
  const movieRng = new Rng(deriveSeed(o.seed, 'movies'));
  const genres = makeGenres(new Rng(deriveSeed(o.seed, 'genres')), o.factors);
  const popularity = makePopularity(movieRng, o.movies, o.popularityExponent);
  const movies = makeMovies(movieRng, o.factors, popularity.rankOf, genres);
  const users = makeUsers(new Rng(deriveSeed(o.seed, 'users')), o.users, o.factors, o.startTime, o.endTime);
  return new SyntheticWorld({
    options: o,
    scale,
    globalMean: scale === halfStarScale ? 3.5 : 3.55,
    ...users,
    ...movies,
    moviePopularity: popularity.moviePopularity,
    movieCumulative: popularity.movieCumulative,
    catalogue: Object.freeze(movies.catalogue),
  });
}
