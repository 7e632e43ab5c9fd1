import type { LikedPairs } from '../data/load-liked-pairs.ts';
import { likeThreshold } from '../data/rating-scale.ts';
import type { MovieInfo, RatingsData } from '../data/ratings-data.ts';
import { InvalidInputError } from '../errors.ts';
import type { FallbackKind, RatingModel } from '../models/rating-model.ts';

/** Why a movie is recommended, as plain data; `text` is the short sentence shown to the user. */
export interface Explanation {
  readonly kind:
    | 'similar-to-liked'
    | 'neighbour-votes'
    | 'genre-taste'
    | 'people-like-you'
    | 'popular'
    | 'new-movie';
  readonly text: string;
  /** The user's rated movies that support the recommendation, strongest first. */
  readonly because: readonly { readonly movieId: number; readonly title: string }[];
}

/** A model that can name the rated movies behind one prediction (knn-baseline can). */
interface ContributingModel {
  contributions(userId: number, movieId: number, limit?: number): { movieId: number; weight: number }[];
}

function hasContributions(model: RatingModel): model is RatingModel & ContributingModel {
  return typeof (model as Partial<ContributingModel>).contributions === 'function';
}

/**
 * Explains recommendations from the ratings alone, whatever model made them: "people who liked
 * X also liked Y". A movie's neighbours are the movies most often liked by the same users,
 * by shrunk cosine on liked co-occurrence, s_ij = L_ij / √(L_i L_j) · L_ij / (L_ij + shrink),
 * where L counts users who rated a movie at or above the like line. They are computed per movie
 * on first use and cached (cost: the liked rows of that movie's fans), so building an explainer is
 * instant and explaining ten items stays well under a millisecond once warm.
 */
export class Explainer {
  private readonly catalogue: ReadonlyMap<number, MovieInfo>;
  private readonly shrink: number;
  private readonly neighbourCount: number;
  /** Liked movies per user (dense movie indices, ascending) and fans per movie: CSR both ways. */
  private readonly movieIndex = new Map<number, number>();
  private readonly movieIds: Int32Array;
  private readonly userLikedStart: Int32Array;
  private readonly userLiked: Int32Array;
  private readonly movieFanStart: Int32Array;
  private readonly movieFans: Int32Array;
  private readonly cache = new Map<number, { ids: Int32Array; sims: Float32Array }>();
  private readonly counts: Int32Array;
  private readonly asked = new Set<number>();

  /**
   * From all ratings (liked ones are those at or above the threshold), or from liked pairs already
   * read (`loadLikedPairs` at the same threshold). The explainer takes liked pairs over: it
   * rewrites their arrays into its dense indices in place, so building from them needs no copy.
   */
  constructor(
    source: RatingsData | LikedPairs,
    catalogue: ReadonlyMap<number, MovieInfo>,
    options: { threshold?: number; neighbours?: number; shrink?: number } = {},
  ) {
    this.catalogue = catalogue;
    this.shrink = options.shrink ?? 5;
    this.neighbourCount = options.neighbours ?? 30;
    const { pairsU, pairsM, nUsers } =
      'scale' in source
        ? this.likedOf(source, likeThreshold(source.scale, options.threshold))
        : this.densePairs(source);
    this.movieIds = Int32Array.from(this.movieIndex.keys());
    const nMovies = this.movieIndex.size;
    [this.userLikedStart, this.userLiked] = csr(pairsU, pairsM, nUsers);
    [this.movieFanStart, this.movieFans] = csr(pairsM, pairsU, nMovies);
    this.counts = new Int32Array(nMovies);
  }

  /** The liked ratings as dense (user, movie) pairs; indices in first-seen order. */
  private likedOf(
    ratings: RatingsData,
    threshold: number,
  ): { pairsU: Int32Array; pairsM: Int32Array; nUsers: number } {
    const userIndex = new Map<number, number>();
    let liked = 0;
    for (let k = 0; k < ratings.size; k++) if (ratings.ratings[k]! >= threshold) liked++;
    const pairsU = new Int32Array(liked);
    const pairsM = new Int32Array(liked);
    liked = 0;
    for (let k = 0; k < ratings.size; k++) {
      if (ratings.ratings[k]! < threshold) continue;
      const user = ratings.users[k]!;
      const movie = ratings.movies[k]!;
      let u = userIndex.get(user);
      if (u === undefined) {
        u = userIndex.size;
        userIndex.set(user, u);
      }
      let m = this.movieIndex.get(movie);
      if (m === undefined) {
        m = this.movieIndex.size;
        this.movieIndex.set(movie, m);
      }
      pairsU[liked] = u;
      pairsM[liked++] = m;
    }
    return { pairsU, pairsM, nUsers: userIndex.size };
  }

  /**
   * Liked pairs rewritten in place into dense indices, first-seen order as `likedOf` gives them.
   * Users arrive grouped (the loader's order), so a user's index changes when the id does; movies
   * go through a typed table when their ids are small, a Map otherwise.
   */
  private densePairs(pairs: LikedPairs): { pairsU: Int32Array; pairsM: Int32Array; nUsers: number } {
    const { size } = pairs;
    const pairsU = pairs.users.subarray(0, size);
    const pairsM = pairs.movies.subarray(0, size);
    let maxMovie = -1;
    let minMovie = 0;
    for (let k = 0; k < size; k++) {
      maxMovie = Math.max(maxMovie, pairsM[k]!);
      minMovie = Math.min(minMovie, pairsM[k]!);
    }
    const table = minMovie >= 0 && maxMovie < 1 << 24 ? new Int32Array(maxMovie + 1).fill(-1) : null;
    let nUsers = 0;
    let lastUser = 0;
    for (let k = 0; k < size; k++) {
      const user = pairsU[k]!;
      if (k === 0 || user !== lastUser) {
        if (k > 0 && user < lastUser) {
          throw new InvalidInputError('Explainer: liked pairs must come grouped by ascending user id');
        }
        lastUser = user;
        nUsers++;
      }
      pairsU[k] = nUsers - 1;
      const movie = pairsM[k]!;
      let m = table ? table[movie]! : (this.movieIndex.get(movie) ?? -1);
      if (m < 0) {
        m = this.movieIndex.size;
        this.movieIndex.set(movie, m);
        if (table) table[movie] = m;
      }
      pairsM[k] = m;
    }
    return { pairsU, pairsM, nUsers };
  }

  /** The movies most liked by the same users as `movieId` (cached), strongest first. */
  neighbours(movieId: number): { ids: Int32Array; sims: Float32Array } {
    const cached = this.cache.get(movieId);
    if (cached) return cached;
    const i = this.movieIndex.get(movieId);
    let result = { ids: new Int32Array(0), sims: new Float32Array(0) };
    if (i !== undefined) {
      const { counts } = this;
      const touched: number[] = [];
      for (let q = this.movieFanStart[i]!; q < this.movieFanStart[i + 1]!; q++) {
        const u = this.movieFans[q]!;
        for (let p = this.userLikedStart[u]!; p < this.userLikedStart[u + 1]!; p++) {
          const j = this.userLiked[p]!;
          if (j === i) continue;
          if (counts[j] === 0) touched.push(j);
          counts[j]!++;
        }
      }
      const fansI = this.movieFanStart[i + 1]! - this.movieFanStart[i]!;
      const scored = touched.map((j) => {
        const both = counts[j]!;
        const fansJ = this.movieFanStart[j + 1]! - this.movieFanStart[j]!;
        counts[j] = 0;
        return { j, s: (both / Math.sqrt(fansI * fansJ)) * (both / (both + this.shrink)) };
      });
      scored.sort((a, b) => b.s - a.s || a.j - b.j);
      const top = scored.slice(0, this.neighbourCount);
      result = {
        ids: Int32Array.from(top, (t) => this.movieIds[t.j]!),
        sims: Float32Array.from(top, (t) => t.s),
      };
    }
    this.cache.set(movieId, result);
    return result;
  }

  /** Movies whose neighbour lists are computed (by an explanation, or warmed). */
  neighbourListCount(): number {
    return this.cache.size;
  }

  /** Movies an explanation looked up neighbours for, in the order first asked. */
  askedMovies(): number[] {
    return [...this.asked];
  }

  /** Movies that have neighbours to compute (someone liked them), in a fixed order. */
  likedMovies(): Int32Array {
    return this.movieIds;
  }

  private title(movieId: number): string {
    return this.catalogue.get(movieId)?.title ?? `movie ${movieId}`;
  }

  /**
   * Why `movieId` suits the user whose ratings are `userRatings` (movie → rating), in order of
   * preference: the model's own contributors (k-NN), liked movies among its neighbours, a genre the
   * user rates highly, then "people like you" (a known user) or "popular" (a new one).
   */
  explain(
    model: RatingModel,
    userId: number,
    movieId: number,
    userRatings: ReadonlyMap<number, number>,
    fallback: FallbackKind,
    threshold: number,
  ): Explanation {
    return this.explainMany(model, userId, [{ movieId, fallback }], userRatings, threshold)[0]!;
  }

  /**
   * `explain` for each of a user's items, in order. The user's liked-genre counts are worked out
   * once for all of them (they cost a pass over the whole history).
   */
  explainMany(
    model: RatingModel,
    userId: number,
    items: readonly { readonly movieId: number; readonly fallback: FallbackKind }[],
    userRatings: ReadonlyMap<number, number>,
    threshold: number,
    /** `likedGenres(userRatings, threshold)`, when the caller keeps it for an unchanged history. */
    knownLikedGenres?: ReadonlyMap<string, number>,
  ): Explanation[] {
    const likedGenres = knownLikedGenres
      ? () => knownLikedGenres
      : lazyLikedGenres(userRatings, this.catalogue, threshold);
    const user = { ratings: userRatings, threshold, likedGenres };
    return items.map((item) => this.explainOne(model, userId, item, user));
  }

  /** How many movies of each genre the user liked (rated at or above `threshold`). */
  likedGenres(userRatings: ReadonlyMap<number, number>, threshold: number): ReadonlyMap<string, number> {
    return lazyLikedGenres(userRatings, this.catalogue, threshold)();
  }

  private explainOne(
    model: RatingModel,
    userId: number,
    { movieId, fallback }: { readonly movieId: number; readonly fallback: FallbackKind },
    user: {
      readonly ratings: ReadonlyMap<number, number>;
      readonly threshold: number;
      readonly likedGenres: () => ReadonlyMap<string, number>;
    },
  ): Explanation {
    const { ratings: userRatings, threshold, likedGenres } = user;
    const movie = this.catalogue.get(movieId);
    if (fallback === 'unknown-movie' || fallback === 'unknown-both') {
      return {
        kind: 'new-movie',
        text: movie?.genres.length
          ? `New here, nobody has rated it yet; suggested for its genres (${movie.genres.slice(0, 2).join(', ')})`
          : 'New here, nobody has rated it yet',
        because: [],
      };
    }
    if (fallback === 'unknown-user' || userRatings.size === 0) {
      return {
        kind: 'popular',
        text: 'Popular and well rated — rate a few movies for personal picks',
        because: [],
      };
    }
    if (hasContributions(model)) {
      const voters = model.contributions(userId, movieId, 3).filter((c) => c.weight > 0);
      if (voters.length > 0) {
        const because = voters.map((c) => ({ movieId: c.movieId, title: this.title(c.movieId) }));
        return { kind: 'neighbour-votes', text: `Because you rated ${quoteList(because)} highly`, because };
      }
    }
    this.asked.add(movieId);
    const { ids, sims } = this.neighbours(movieId);
    const liked: { movieId: number; score: number }[] = [];
    for (let k = 0; k < ids.length; k++) {
      const r = userRatings.get(ids[k]!);
      if (r !== undefined && r >= threshold) liked.push({ movieId: ids[k]!, score: sims[k]! * r });
    }
    if (liked.length > 0) {
      liked.sort((a, b) => b.score - a.score || a.movieId - b.movieId);
      const because = liked.slice(0, 2).map((l) => ({ movieId: l.movieId, title: this.title(l.movieId) }));
      return {
        kind: 'similar-to-liked',
        text: `People who liked ${quoteList(because)} also liked this`,
        because,
      };
    }
    const genre = favouriteGenre(likedGenres, movie?.genres ?? []);
    if (genre) return { kind: 'genre-taste', text: `Matches your taste for ${genre}`, because: [] };
    return { kind: 'people-like-you', text: 'Popular with people whose ratings resemble yours', because: [] };
  }
}

function quoteList(movies: readonly { title: string }[]): string {
  const titles = movies.map((m) => `“${m.title}”`);
  return titles.length <= 1 ? (titles[0] ?? '') : `${titles.slice(0, -1).join(', ')} and ${titles.at(-1)}`;
}

/** How many movies of each genre the user liked, counted on first ask. */
function lazyLikedGenres(
  userRatings: ReadonlyMap<number, number>,
  catalogue: ReadonlyMap<number, MovieInfo>,
  threshold: number,
): () => ReadonlyMap<string, number> {
  let liked: Map<string, number> | undefined;
  return () => {
    if (!liked) {
      liked = new Map();
      for (const [movieId, rating] of userRatings) {
        if (rating < threshold) continue;
        for (const g of catalogue.get(movieId)?.genres ?? []) liked.set(g, (liked.get(g) ?? 0) + 1);
      }
    }
    return liked;
  };
}

/** Of `genres`, the one the user liked most often (at least twice), or null. */
function favouriteGenre(
  likedGenres: () => ReadonlyMap<string, number>,
  genres: readonly string[],
): string | null {
  if (genres.length === 0) return null;
  const liked = likedGenres();
  let best: string | null = null;
  let bestCount = 1;
  for (const g of genres) {
    const c = liked.get(g) ?? 0;
    if (c > bestCount) {
      best = g;
      bestCount = c;
    }
  }
  return best;
}

/**
 * CSR of (row, col) pairs: the cols of row r are out[start[r]] … out[start[r+1]-1], in pair order
 * (a stable counting sort written straight into `out`, with no index array between).
 */
function csr(rows: Int32Array, cols: Int32Array, nRows: number): [Int32Array, Int32Array] {
  const start = new Int32Array(nRows + 1);
  for (let k = 0; k < rows.length; k++) start[rows[k]! + 1]!++;
  for (let r = 0; r < nRows; r++) start[r + 1]! += start[r]!;
  const fill = start.slice(0, nRows);
  const out = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[fill[rows[k]!]!++] = cols[k]!;
  return [start, out];
}
