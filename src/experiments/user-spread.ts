import { DataFormatError } from '../errors.ts';
import type { Rng } from '../random/rng.ts';

/**
 * How much real users differ, measured once on MovieLens ml-latest-small (`ratings.csv`: 610
 * users, 100 836 ratings) by `measureUserSpread` (the test `user-spread.test.ts` recomputes
 * them from the file when it is present and checks these constants). The data cannot be
 * committed, so the figures live here and the ranker world draws its users from them.
 */
export interface UserSpread {
  /** Percentiles (0–1) and the ratings per user at each (type-7 quantiles). Heavy-tailed: 20 to 2 698. */
  readonly ratingsPerUser: { readonly p: readonly number[]; readonly count: readonly number[] };
  readonly users: number;
  readonly meanRatingsPerUser: number;
  /** Standard deviation over users of their mean rating, stars, less each mean's own sampling variance. */
  readonly userMeanRatingSd: number;
  /** Standard deviation over users of their share of ratings ≥ 4 (liked), less the sampling variance. */
  readonly likeShareSd: number;
  /** Mean over users of their share of ratings ≥ 4. */
  readonly likeShareMean: number;
}

/** ml-latest-small, measured by `measureUserSpread` (see above). */
export const mlLatestSmallUsers: UserSpread = Object.freeze({
  ratingsPerUser: Object.freeze({
    p: Object.freeze([
      0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9,
      0.95, 0.99, 1,
    ]),
    count: Object.freeze([
      20, 22, 24, 27, 32, 35, 40, 46.1, 54, 60, 70.5, 85, 101.4, 119, 140, 168, 216, 278.3, 400.3, 610.7,
      1256.2, 2698,
    ]),
  }),
  users: 610,
  meanRatingsPerUser: 165.3,
  userMeanRatingSd: 0.462,
  likeShareSd: 0.193,
  likeShareMean: 0.561,
});

const sd = (xs: readonly number[]): number => {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};

/** Each user's ratings from MovieLens `ratings.csv` text (header `userId,movieId,rating,…`). */
export function readRatingsByUser(csv: string): number[][] {
  const byUser = new Map<string, number[]>();
  const lines = csv.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const [user, , rating] = line.split(',');
    const r = Number(rating);
    if (!user || !Number.isFinite(r))
      throw new DataFormatError('ratings.csv', i + 1, line, 'expected userId,movieId,rating,…');
    const list = byUser.get(user);
    if (list) list.push(r);
    else byUser.set(user, [r]);
  }
  return [...byUser.values()];
}

/**
 * The figures of `UserSpread` from MovieLens `ratings.csv` text (header `userId,movieId,rating,…`).
 * The spreads are of the users' true levels: the observed spread of per-user means (or like
 * shares) minus the average sampling variance of one user's mean (or share), which for light users
 * is a large part of what is observed.
 */
export function measureUserSpread(csv: string): UserSpread {
  const users = readRatingsByUser(csv);
  const counts = users.map((u) => u.length).sort((a, b) => a - b);
  const quantile = (p: number) => {
    const h = (counts.length - 1) * p;
    const lo = Math.floor(h);
    return counts[lo]! + (h - lo) * (counts[Math.min(lo + 1, counts.length - 1)]! - counts[lo]!);
  };
  const p = mlLatestSmallUsers.ratingsPerUser.p;
  const means = users.map((u) => u.reduce((s, x) => s + x, 0) / u.length);
  const shares = users.map((u) => u.filter((x) => x >= 4).length / u.length);
  let meanNoise = 0;
  let shareNoise = 0;
  users.forEach((u, i) => {
    meanNoise += sd(u) ** 2 / u.length;
    shareNoise += (shares[i]! * (1 - shares[i]!)) / u.length;
  });
  const round = (x: number, digits: number) => Number(x.toFixed(digits));
  return {
    ratingsPerUser: { p, count: p.map((x) => round(quantile(x), 1)) },
    users: users.length,
    meanRatingsPerUser: round(counts.reduce((s, x) => s + x, 0) / counts.length, 1),
    userMeanRatingSd: round(Math.sqrt(sd(means) ** 2 - meanNoise / users.length), 3),
    likeShareSd: round(Math.sqrt(sd(shares) ** 2 - shareNoise / users.length), 3),
    likeShareMean: round(shares.reduce((s, x) => s + x, 0) / shares.length, 3),
  };
}

/**
 * A user's ratings count drawn from the quantile table: a uniform percentile, interpolated
 * linearly in log(count) between the neighbouring percentiles (the tail is close to log-linear).
 */
export function drawRatingsPerUser(spread: UserSpread, rng: Rng): number {
  const { p, count } = spread.ratingsPerUser;
  const x = rng.next();
  let i = 1;
  while (i < p.length - 1 && p[i]! < x) i++;
  const t = (x - p[i - 1]!) / (p[i]! - p[i - 1]!);
  return Math.exp(Math.log(count[i - 1]!) + t * (Math.log(count[i]!) - Math.log(count[i - 1]!)));
}
