import { loadMovies } from '../data/load-movies.ts';
import { likeThreshold, type RatingScale } from '../data/rating-scale.ts';
import { ratingScaleOf } from '../data/rating-scale-of.ts';
import type { Queryable, SqlValue } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import { loadClassifiedRatings } from './classified-ratings.ts';
import { type BucketSize, bucketLabel, bucketSizeFor, bucketStart, nextBucket } from './time-buckets.ts';

/**
 * Where the ratings come from:
 * - `tracker`: the tracker's recommendation_quality rows, one per rating that entered through
 *   rateMovie, flagged unexpected when no recommendation of that movie was served to that user
 *   within the tracking window before the rating;
 * - `ratings`: every stored rating (imports too), flagged by the rule training uses
 *   (`loadRatingsData` with includeUnexpected=false): the tracker's verdict, and imported history
 *   without a tracker row counts as expected.
 */
export type UnexpectedSource = 'tracker' | 'ratings';
export const unexpectedSources: readonly UnexpectedSource[] = ['tracker', 'ratings'];

export interface UnexpectedMoviesOptions {
  readonly source?: UnexpectedSource;
  /** Only ratings with rated_at >= since (epoch ms). */
  readonly since?: number;
  /** Only ratings with rated_at < until (epoch ms). */
  readonly until?: number;
  /** Rows in the top-users and top-movies tables (default 10). */
  readonly top?: number;
  /** Bucket of the time series; default chosen from the time span. */
  readonly bucket?: BucketSize;
  /** The like line; default by scale. */
  readonly likeThreshold?: number;
  /** The report's timestamp (tests pin it); default now. */
  readonly now?: number;
}

/** Counts in one group (unexpected vs rated recommendations). */
export interface GroupPair {
  readonly unexpected: number;
  readonly recommended: number;
}

export interface GroupStats {
  readonly unexpected: number | null;
  readonly recommended: number | null;
}

export interface UnexpectedMoviesReport {
  readonly report: 'unexpected';
  readonly generatedAt: number;
  readonly source: UnexpectedSource;
  readonly period: { readonly from: number | null; readonly to: number | null };
  readonly scale: RatingScale;
  readonly likeThreshold: number;
  readonly totals: {
    readonly ratings: number;
    readonly unexpected: number;
    readonly recommended: number;
    /** unexpected / ratings; null without ratings. */
    readonly share: number | null;
  };
  readonly overTime: {
    readonly bucket: BucketSize;
    /** Every bucket from the first to the last rating, empty ones included (a gap is information). */
    readonly points: ReadonlyArray<{
      readonly start: number;
      readonly label: string;
      readonly ratings: number;
      readonly unexpected: number;
      readonly share: number | null;
    }>;
  };
  /** Count of each rating value (every step of the scale) in each group. */
  readonly ratingDistribution: ReadonlyArray<{ readonly rating: number } & GroupPair>;
  readonly meanRating: GroupStats;
  /** Share of ratings at or above the like line. */
  readonly likedShare: GroupStats;
  /**
   * Per genre: ratings of movies with that genre in each group, and that count as a share of the
   * group's ratings (a movie has several genres, so shares add up to more than 1). Sorted by the
   * unexpected count.
   */
  readonly genres: ReadonlyArray<
    {
      readonly genre: string;
      readonly unexpectedShare: number | null;
      readonly recommendedShare: number | null;
    } & GroupPair
  >;
  /**
   * Popularity of the rated movie = its number of ratings in the whole database. Bins on a
   * 1-2-5 scale; `median`/`mean` per group.
   */
  readonly popularity: {
    readonly edges: readonly number[];
    readonly unexpected: readonly number[];
    readonly recommended: readonly number[];
    readonly median: GroupStats;
    readonly mean: GroupStats;
  };
  readonly topUsers: ReadonlyArray<{
    readonly userId: number;
    readonly unexpected: number;
    readonly ratings: number;
    readonly share: number;
  }>;
  readonly topMovies: ReadonlyArray<{
    readonly movieId: number;
    readonly title: string | null;
    readonly unexpected: number;
    readonly ratings: number;
  }>;
  /** Share of all unexpected ratings brought by the users in `topUsers` (how concentrated it is). */
  readonly topUsersShareOfUnexpected: number | null;
}

interface Rows {
  users: Int32Array;
  movies: Int32Array;
  ratings: Float32Array;
  timestamps: Float64Array;
  unexpected: Uint8Array;
  size: number;
  scale: RatingScale;
}

/** `n` zeroed rows, filled in by the caller. */
function emptyRows(n: number, scale: RatingScale): Rows {
  return {
    users: new Int32Array(n),
    movies: new Int32Array(n),
    ratings: new Float32Array(n),
    timestamps: new Float64Array(n),
    unexpected: new Uint8Array(n),
    size: n,
    scale,
  };
}

async function trackerRows(db: Queryable, since?: number, until?: number): Promise<Rows> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (since !== undefined) {
    where.push('rated_at >= ?');
    params.push(since);
  }
  if (until !== undefined) {
    where.push('rated_at < ?');
    params.push(until);
  }
  const rows = await db.all<{ u: number; m: number; r: number; t: number | string; x: number | string }>(
    `SELECT user_id AS u, movie_id AS m, actual_rating AS r, rated_at AS t, unexpected AS x
     FROM recommendation_quality ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY user_id, movie_id, rated_at`,
    params,
  );
  const out = emptyRows(rows.length, await ratingScaleOf(db));
  rows.forEach((r, i) => {
    out.users[i] = Number(r.u);
    out.movies[i] = Number(r.m);
    out.ratings[i] = Number(r.r);
    out.timestamps[i] = Number(r.t);
    out.unexpected[i] = Number(r.x) ? 1 : 0;
  });
  return out;
}

async function ratingRows(db: Queryable, since?: number, until?: number): Promise<Rows> {
  const { data, unexpected } = await loadClassifiedRatings(db);
  const keep: number[] = [];
  for (let i = 0; i < data.size; i++) {
    const t = data.timestamps[i]!;
    if ((since === undefined || t >= since) && (until === undefined || t < until)) keep.push(i);
  }
  const out = emptyRows(keep.length, data.scale);
  keep.forEach((j, i) => {
    out.users[i] = data.users[j]!;
    out.movies[i] = data.movies[j]!;
    out.ratings[i] = data.ratings[j]!;
    out.timestamps[i] = data.timestamps[j]!;
    out.unexpected[i] = unexpected[j]!;
  });
  return out;
}

/** 1, 2, 5, 10, 20, 50 … up to the first edge above `max`. */
export function oneTwoFiveEdges(max: number): number[] {
  const edges = [1];
  const steps = [2, 5, 10];
  let power = 1;
  let k = 0;
  while (edges[edges.length - 1]! <= max) {
    edges.push(steps[k]! * power);
    k += 1;
    if (k === 3) {
      k = 0;
      power *= 10;
    }
  }
  return edges;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/**
 * The unexpected-movies report: how many ratings are of movies never recommended to the rater,
 * over time and as a share of all, how they differ from rated recommendations (rating
 * distribution, genres, popularity), and who and what brings most of them.
 */
export async function unexpectedMoviesReport(
  db: Queryable,
  options: UnexpectedMoviesOptions = {},
): Promise<UnexpectedMoviesReport> {
  const source = options.source ?? 'tracker';
  if (!unexpectedSources.includes(source)) {
    throw new InvalidInputError(
      `source must be one of ${unexpectedSources.join(', ')}, got ${JSON.stringify(source)}`,
    );
  }
  const top = options.top ?? 10;
  if (!Number.isInteger(top) || top < 1)
    throw new InvalidInputError(`top must be a whole number ≥ 1, got ${top}`);
  for (const [name, v] of [
    ['since', options.since],
    ['until', options.until],
  ] as const) {
    if (v !== undefined && !Number.isFinite(v))
      throw new InvalidInputError(`${name} must be epoch milliseconds, got ${v}`);
  }
  const rows =
    source === 'tracker'
      ? await trackerRows(db, options.since, options.until)
      : await ratingRows(db, options.since, options.until);
  const like = likeThreshold(rows.scale, options.likeThreshold);
  const [movies, popularityRows] = await Promise.all([
    loadMovies(db),
    db.all<{ m: number; n: number | string }>(
      'SELECT movie_id AS m, COUNT(*) AS n FROM ratings GROUP BY movie_id',
    ),
  ]);
  const popularityOf = new Map<number, number>();
  for (const r of popularityRows) popularityOf.set(Number(r.m), Number(r.n));

  let unexpectedTotal = 0;
  let minT = Number.POSITIVE_INFINITY;
  let maxT = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < rows.size; i++) {
    unexpectedTotal += rows.unexpected[i]!;
    minT = Math.min(minT, rows.timestamps[i]!);
    maxT = Math.max(maxT, rows.timestamps[i]!);
  }

  // Over time.
  const bucket = options.bucket ?? (rows.size > 0 ? bucketSizeFor(minT, maxT) : 'day');
  const perBucket = new Map<number, { ratings: number; unexpected: number }>();
  for (let i = 0; i < rows.size; i++) {
    const b = bucketStart(rows.timestamps[i]!, bucket);
    const cell = perBucket.get(b) ?? { ratings: 0, unexpected: 0 };
    cell.ratings += 1;
    cell.unexpected += rows.unexpected[i]!;
    perBucket.set(b, cell);
  }
  const points: Array<UnexpectedMoviesReport['overTime']['points'][number]> = [];
  if (rows.size > 0) {
    for (let b = bucketStart(minT, bucket); b <= maxT; b = nextBucket(b, bucket)) {
      const cell = perBucket.get(b) ?? { ratings: 0, unexpected: 0 };
      points.push({
        start: b,
        label: bucketLabel(b, bucket),
        ...cell,
        share: ratio(cell.unexpected, cell.ratings),
      });
    }
  }

  // Rating distribution on every step of the scale.
  const steps = Math.round((rows.scale.max - rows.scale.min) / rows.scale.step) + 1;
  const dist = Array.from({ length: steps }, (_, k) => ({
    rating: Number((rows.scale.min + k * rows.scale.step).toFixed(6)),
    unexpected: 0,
    recommended: 0,
  }));
  const sums = { unexpected: 0, recommended: 0 };
  const liked = { unexpected: 0, recommended: 0 };
  const genreCounts = new Map<string, { unexpected: number; recommended: number }>();
  const pops: { unexpected: number[]; recommended: number[] } = { unexpected: [], recommended: [] };
  const byUser = new Map<number, { unexpected: number; ratings: number }>();
  const byMovie = new Map<number, { unexpected: number; ratings: number }>();
  for (let i = 0; i < rows.size; i++) {
    const group = rows.unexpected[i] ? 'unexpected' : 'recommended';
    const r = rows.ratings[i]!;
    const k = Math.round((r - rows.scale.min) / rows.scale.step);
    const cell = dist[k];
    if (cell) cell[group] += 1;
    sums[group] += r;
    if (r >= like) liked[group] += 1;
    const movie = rows.movies[i]!;
    for (const g of movies.get(movie)?.genres ?? []) {
      const c = genreCounts.get(g) ?? { unexpected: 0, recommended: 0 };
      c[group] += 1;
      genreCounts.set(g, c);
    }
    pops[group].push(popularityOf.get(movie) ?? 0);
    const u = byUser.get(rows.users[i]!) ?? { unexpected: 0, ratings: 0 };
    u.ratings += 1;
    u.unexpected += rows.unexpected[i]!;
    byUser.set(rows.users[i]!, u);
    const m = byMovie.get(movie) ?? { unexpected: 0, ratings: 0 };
    m.ratings += 1;
    m.unexpected += rows.unexpected[i]!;
    byMovie.set(movie, m);
  }
  const recommendedTotal = rows.size - unexpectedTotal;
  const genres = [...genreCounts.entries()]
    .map(([genre, c]) => ({
      genre,
      ...c,
      unexpectedShare: ratio(c.unexpected, unexpectedTotal),
      recommendedShare: ratio(c.recommended, recommendedTotal),
    }))
    .sort(
      (a, b) =>
        b.unexpected - a.unexpected || b.recommended - a.recommended || a.genre.localeCompare(b.genre),
    );

  const maxPop = Math.max(1, ...popularityOf.values());
  const edges = oneTwoFiveEdges(maxPop);
  const binOf = (p: number) => {
    let k = 0;
    while (k < edges.length - 2 && p >= edges[k + 1]!) k++;
    return k;
  };
  const popBins = {
    unexpected: new Array<number>(edges.length - 1).fill(0),
    recommended: new Array<number>(edges.length - 1).fill(0),
  };
  for (const group of ['unexpected', 'recommended'] as const) {
    for (const p of pops[group]) popBins[group][binOf(p)]! += 1;
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);

  const topUsers = [...byUser.entries()]
    .filter(([, c]) => c.unexpected > 0)
    .sort((a, b) => b[1].unexpected - a[1].unexpected || a[0] - b[0])
    .slice(0, top)
    .map(([userId, c]) => ({ userId, ...c, share: c.unexpected / c.ratings }));
  const topMovies = [...byMovie.entries()]
    .filter(([, c]) => c.unexpected > 0)
    .sort((a, b) => b[1].unexpected - a[1].unexpected || a[0] - b[0])
    .slice(0, top)
    .map(([movieId, c]) => ({ movieId, title: movies.get(movieId)?.title ?? null, ...c }));

  return {
    report: 'unexpected',
    generatedAt: options.now ?? Date.now(),
    source,
    period: { from: options.since ?? null, to: options.until ?? null },
    scale: rows.scale,
    likeThreshold: like,
    totals: {
      ratings: rows.size,
      unexpected: unexpectedTotal,
      recommended: recommendedTotal,
      share: ratio(unexpectedTotal, rows.size),
    },
    overTime: { bucket, points },
    ratingDistribution: dist,
    meanRating: {
      unexpected: ratio(sums.unexpected, unexpectedTotal),
      recommended: ratio(sums.recommended, recommendedTotal),
    },
    likedShare: {
      unexpected: ratio(liked.unexpected, unexpectedTotal),
      recommended: ratio(liked.recommended, recommendedTotal),
    },
    genres,
    popularity: {
      edges,
      unexpected: popBins.unexpected,
      recommended: popBins.recommended,
      median: { unexpected: median(pops.unexpected), recommended: median(pops.recommended) },
      mean: { unexpected: mean(pops.unexpected), recommended: mean(pops.recommended) },
    },
    topUsers,
    topMovies,
    topUsersShareOfUnexpected: ratio(
      topUsers.reduce((s, u) => s + u.unexpected, 0),
      unexpectedTotal,
    ),
  };
}
