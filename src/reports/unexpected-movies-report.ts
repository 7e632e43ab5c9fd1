import { loadMovies } from '../data/load-movies.ts';
import { likeThreshold, type RatingScale } from '../data/rating-scale.ts';
import type { MovieInfo } from '../data/ratings-data.ts';
import type { Queryable } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import { requireWholeNumber } from '../input-schemas.ts';
import { reportStore } from './sql-report-store.ts';
import { type BucketSize, bucketLabel, bucketSizeFor, bucketStart, nextBucket } from './time-buckets.ts';
import { type Rows, ratingRows, trackerRows } from './unexpected-rows.ts';

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
    /**
     * Ratings left out of the series: rated before 1970 or after 2200 (a stored value no rating
     * entry point accepts today). Counted in the totals, never
     * drawn: one far-future time would otherwise stretch the series over millions of buckets.
     */
    readonly outOfRange: number;
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

type Group = 'unexpected' | 'recommended';
const groupOf = (rows: Rows, i: number): Group => (rows.unexpected[i] ? 'unexpected' : 'recommended');
const pairRatio = (counts: GroupPair, totals: GroupPair): GroupStats => ({
  unexpected: ratio(counts.unexpected, totals.unexpected),
  recommended: ratio(counts.recommended, totals.recommended),
});

function checkOptions(options: UnexpectedMoviesOptions): { source: UnexpectedSource; top: number } {
  const source = options.source ?? 'tracker';
  if (!unexpectedSources.includes(source)) {
    throw new InvalidInputError(
      `source must be one of ${unexpectedSources.join(', ')}, got ${JSON.stringify(source)}`,
    );
  }
  const top = options.top ?? 10;
  requireWholeNumber('top', top, { min: 1 });
  for (const [name, v] of [
    ['since', options.since],
    ['until', options.until],
  ] as const) {
    if (v !== undefined && !Number.isFinite(v))
      throw new InvalidInputError(`${name} must be epoch milliseconds, got ${v}`);
  }
  return { source, top };
}

/** The most buckets a series may have; a finer bucket that would give more is coarsened. */
const maxBuckets = 3000;
const bucketMs: Readonly<Record<BucketSize, number>> = { day: 864e5, week: 7 * 864e5, month: 31 * 864e5 };

/** The smallest bucket size, from `wanted` up, that covers [from, to] in at most maxBuckets. */
function boundedBucket(wanted: BucketSize, from: number, to: number): BucketSize {
  const sizes: BucketSize[] = ['day', 'week', 'month'];
  for (const size of sizes.slice(sizes.indexOf(wanted))) {
    if ((to - from) / bucketMs[size] < maxBuckets) return size;
  }
  return 'month';
}

/** Rating times the series shows: 1970 to 2200 (monthly buckets over them fit in maxBuckets). */
const latestShown = Date.UTC(2200, 0, 1);
const inRange = (t: number) => t >= 0 && t < latestShown;

/**
 * Ratings and unexpected ratings per bucket, every bucket from the first rating to the last, for
 * ratings rated between 1970 and 2200 (the rest are counted as out of range).
 */
function overTime(rows: Rows, bucketOption: BucketSize | undefined): UnexpectedMoviesReport['overTime'] {
  let minT = Number.POSITIVE_INFINITY;
  let maxT = Number.NEGATIVE_INFINITY;
  let outOfRange = 0;
  for (let i = 0; i < rows.size; i++) {
    const t = rows.timestamps[i]!;
    if (!inRange(t)) outOfRange += 1;
    else {
      minT = Math.min(minT, t);
      maxT = Math.max(maxT, t);
    }
  }
  const any = maxT >= minT;
  const wanted = bucketOption ?? (any ? bucketSizeFor(minT, maxT) : 'day');
  const bucket = any ? boundedBucket(wanted, minT, maxT) : wanted;
  const perBucket = new Map<number, { ratings: number; unexpected: number }>();
  for (let i = 0; i < rows.size; i++) {
    if (!inRange(rows.timestamps[i]!)) continue;
    const b = bucketStart(rows.timestamps[i]!, bucket);
    const cell = perBucket.get(b) ?? { ratings: 0, unexpected: 0 };
    cell.ratings += 1;
    cell.unexpected += rows.unexpected[i]!;
    perBucket.set(b, cell);
  }
  const points: Array<UnexpectedMoviesReport['overTime']['points'][number]> = [];
  for (
    let b = bucketStart(minT, bucket);
    any && b <= maxT && points.length < maxBuckets;
    b = nextBucket(b, bucket)
  ) {
    const cell = perBucket.get(b) ?? { ratings: 0, unexpected: 0 };
    points.push({
      start: b,
      label: bucketLabel(b, bucket),
      ...cell,
      share: ratio(cell.unexpected, cell.ratings),
    });
  }
  return { bucket, outOfRange, points };
}

/** Each group's count of every step of the scale, its rating sum and its liked count. */
function ratingFigures(rows: Rows, like: number) {
  const steps = Math.round((rows.scale.max - rows.scale.min) / rows.scale.step) + 1;
  const distribution = Array.from({ length: steps }, (_, k) => ({
    rating: Number((rows.scale.min + k * rows.scale.step).toFixed(6)),
    unexpected: 0,
    recommended: 0,
  }));
  const sums = { unexpected: 0, recommended: 0 };
  const liked = { unexpected: 0, recommended: 0 };
  for (let i = 0; i < rows.size; i++) {
    const group = groupOf(rows, i);
    const r = rows.ratings[i]!;
    const cell = distribution[Math.round((r - rows.scale.min) / rows.scale.step)];
    if (cell) cell[group] += 1;
    sums[group] += r;
    if (r >= like) liked[group] += 1;
  }
  return { distribution, sums, liked };
}

/** Ratings per genre in each group, most unexpected first. */
function genreBreakdown(
  rows: Rows,
  movies: ReadonlyMap<number, MovieInfo>,
  totals: GroupPair,
): UnexpectedMoviesReport['genres'] {
  const genreCounts = new Map<string, { unexpected: number; recommended: number }>();
  for (let i = 0; i < rows.size; i++) {
    const group = groupOf(rows, i);
    for (const g of movies.get(rows.movies[i]!)?.genres ?? []) {
      const c = genreCounts.get(g) ?? { unexpected: 0, recommended: 0 };
      c[group] += 1;
      genreCounts.set(g, c);
    }
  }
  return [...genreCounts.entries()]
    .map(([genre, c]) => {
      const shares = pairRatio(c, totals);
      return { genre, ...c, unexpectedShare: shares.unexpected, recommendedShare: shares.recommended };
    })
    .sort(
      (a, b) =>
        b.unexpected - a.unexpected || b.recommended - a.recommended || a.genre.localeCompare(b.genre),
    );
}

/** How popular the rated movies are in each group: 1-2-5 bins, median and mean. */
function popularityFigures(
  rows: Rows,
  popularityOf: ReadonlyMap<number, number>,
): UnexpectedMoviesReport['popularity'] {
  const pops: { unexpected: number[]; recommended: number[] } = { unexpected: [], recommended: [] };
  for (let i = 0; i < rows.size; i++) pops[groupOf(rows, i)].push(popularityOf.get(rows.movies[i]!) ?? 0);
  const edges = oneTwoFiveEdges(Math.max(1, ...popularityOf.values()));
  const binOf = (p: number) => {
    let k = 0;
    while (k < edges.length - 2 && p >= edges[k + 1]!) k++;
    return k;
  };
  const bins = {
    unexpected: new Array<number>(edges.length - 1).fill(0),
    recommended: new Array<number>(edges.length - 1).fill(0),
  };
  for (const group of ['unexpected', 'recommended'] as const) {
    for (const p of pops[group]) bins[group][binOf(p)]! += 1;
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);
  return {
    edges,
    ...bins,
    median: { unexpected: median(pops.unexpected), recommended: median(pops.recommended) },
    mean: { unexpected: mean(pops.unexpected), recommended: mean(pops.recommended) },
  };
}

/** Per key, ratings and unexpected ratings; the `top` keys with the most unexpected ones. */
function topBy(
  rows: Rows,
  keys: Int32Array,
  top: number,
): Array<[number, { unexpected: number; ratings: number }]> {
  const by = new Map<number, { unexpected: number; ratings: number }>();
  for (let i = 0; i < rows.size; i++) {
    const c = by.get(keys[i]!) ?? { unexpected: 0, ratings: 0 };
    c.ratings += 1;
    c.unexpected += rows.unexpected[i]!;
    by.set(keys[i]!, c);
  }
  return [...by.entries()]
    .filter(([, c]) => c.unexpected > 0)
    .sort((a, b) => b[1].unexpected - a[1].unexpected || a[0] - b[0])
    .slice(0, top);
}

/**
 * The unexpected-movies report: how many ratings are of movies never recommended to the rater,
 * over time and as a share of all, how they differ from rated recommendations (rating
 * distribution, genres, popularity), and who and what brings most of them.
 */
export async function unexpectedMoviesReport(
  db: Queryable,
  options: UnexpectedMoviesOptions = {},
): Promise<UnexpectedMoviesReport> {
  const { source, top } = checkOptions(options);
  const rows =
    source === 'tracker'
      ? await trackerRows(db, options.since, options.until)
      : await ratingRows(db, options.since, options.until);
  const like = likeThreshold(rows.scale, options.likeThreshold);
  const [movies, popularityOf] = await Promise.all([loadMovies(db), reportStore(db).ratingsPerMovie()]);
  let unexpectedTotal = 0;
  for (let i = 0; i < rows.size; i++) unexpectedTotal += rows.unexpected[i]!;
  const totals = { unexpected: unexpectedTotal, recommended: rows.size - unexpectedTotal };
  const figures = ratingFigures(rows, like);
  const topUsers = topBy(rows, rows.users, top).map(([userId, c]) => ({
    userId,
    ...c,
    share: c.unexpected / c.ratings,
  }));
  const topMovies = topBy(rows, rows.movies, top).map(([movieId, c]) => ({
    movieId,
    title: movies.get(movieId)?.title ?? null,
    ...c,
  }));
  return {
    report: 'unexpected',
    generatedAt: options.now ?? Date.now(),
    source,
    period: { from: options.since ?? null, to: options.until ?? null },
    scale: rows.scale,
    likeThreshold: like,
    totals: { ratings: rows.size, ...totals, share: ratio(unexpectedTotal, rows.size) },
    overTime: overTime(rows, options.bucket),
    ratingDistribution: figures.distribution,
    meanRating: pairRatio(figures.sums, totals),
    likedShare: pairRatio(figures.liked, totals),
    genres: genreBreakdown(rows, movies, totals),
    popularity: popularityFigures(rows, popularityOf),
    topUsers,
    topMovies,
    topUsersShareOfUnexpected: ratio(
      topUsers.reduce((s, u) => s + u.unexpected, 0),
      unexpectedTotal,
    ),
  };
}
