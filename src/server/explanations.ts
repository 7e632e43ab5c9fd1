import { loadLikedPairs } from '../data/load-liked-pairs.ts';
import { loadMovies } from '../data/load-movies.ts';
import { likeThreshold } from '../data/rating-scale.ts';
import { ratingScaleOf } from '../data/rating-scale-of.ts';
import type { Database } from '../db/database.ts';
import { Explainer } from '../recommend/explain.ts';
import type { ServedRecommendations } from '../recommend/serve-recommendations.ts';
import { readUserHistory, type UserHistory } from '../recommend/user-history.ts';
import { loadVersionModel } from '../registry/active-model.ts';

const noRatings: ReadonlyMap<number, number> = new Map();

/** How long one slice of warming a new explainer's neighbour lists may run, ms. */
const warmSliceMs = 3;
/** How much CPU warming one explainer may take in all, ms. */
const warmBudgetMs = 1000;

/**
 * Computes neighbour lists in a new explainer before it serves, so that requests do not pay for
 * them (about 0.1 ms a movie on the demo catalogue, more for popular movies: ten cold items made a
 * request cost 1.7 ms instead of 0.6, and every rebuild started cold). The movies the previous
 * explainer was asked about come first, then the rest of the catalogue, in slices of a few
 * milliseconds between requests and within a total budget (the rest is computed on first use, as
 * before: on ml-latest-small all of them take about 2 s).
 */
async function warmNeighbours(explainer: Explainer, recent: readonly number[]): Promise<void> {
  const order = [...recent, ...explainer.likedMovies()];
  let spent = 0;
  let k = 0;
  while (k < order.length && spent < warmBudgetMs) {
    const start = performance.now();
    while (k < order.length && performance.now() - start < warmSliceMs) explainer.neighbours(order[k++]!);
    spent += performance.now() - start;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** How old the ratings behind the explanations may get before they are re-read (in the background). */
const refreshAfterMs = 10 * 60_000;

/**
 * The reasons shown beside each pick, from the Explainer ("because you rated …", "people who
 * liked … also liked this", a genre you like, popular). The Explainer works from every liked
 * rating, so this server builds it once and rebuilds it in the background every ten minutes;
 * requests never wait for a rebuild once the first one exists. `serve` starts the first build
 * without waiting for it (`warm`): until it is done, picks carry the reason their model gives
 * (`fallbackReason`) and movie pages no similar movies, and `/readyz` says `building`. A request
 * that finds no explainer and no build under way (an app nobody warmed) builds one and waits.
 *
 * The build reads only the liked pairs (8 bytes each), in slices that yield to the event loop
 * (`loadLikedPairs`): reading all ratings in one scan held a 2.5 M-rating server for several
 * seconds before it listened, and would hold a 25 M one for most of a minute.
 */
export class ServerExplanations {
  private current: {
    explainer: Explainer;
    threshold: number;
    builtAt: number;
    /** Per user history (a history never changes; a changed one is a new object). */
    likedGenres: WeakMap<UserHistory, ReadonlyMap<string, number>>;
  } | null = null;
  private building: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly likeThresholdOverride: number | undefined,
  ) {}

  private build(now: number): Promise<void> {
    this.building ??= (async () => {
      const threshold = likeThreshold(await ratingScaleOf(this.db), this.likeThresholdOverride);
      const [pairs, movies] = await Promise.all([loadLikedPairs(this.db, threshold), loadMovies(this.db)]);
      const explainer = new Explainer(pairs, movies, { threshold });
      await warmNeighbours(explainer, this.current?.explainer.askedMovies() ?? []);
      this.current = {
        explainer,
        threshold,
        builtAt: now,
        likedGenres: new WeakMap(),
      };
    })().finally(() => {
      this.building = null;
    });
    return this.building;
  }

  /**
   * The explainer to answer with now: the current one; none while the first build runs; else a
   * new one, waited for.
   */
  private async ready(now: number): Promise<ServerExplanations['current']> {
    if (!this.current && !this.building) await this.build(now);
    return this.current;
  }

  /** `ready` (an explainer answers), `building` (the first one is being built) or `not started`. */
  state(): 'ready' | 'building' | 'not started' {
    if (this.current) return 'ready';
    return this.building ? 'building' : 'not started';
  }

  /** When the explainer in use was built, how many neighbour lists it holds, and of how many movies. */
  status(): { builtAt: number; neighbourLists: number; likedMovies: number } | null {
    if (!this.current) return null;
    const { explainer, builtAt } = this.current;
    return {
      builtAt,
      neighbourLists: explainer.neighbourListCount(),
      likedMovies: explainer.likedMovies().length,
    };
  }

  /**
   * Starts building the explainer (at server start) and returns when it is built. Requests that
   * come meanwhile are answered without it rather than made to wait.
   */
  warm(now = Date.now()): Promise<void> {
    return this.current ? Promise.resolve() : this.build(now);
  }

  /** One sentence per served item, in order; `history` is the user's, when the caller has read it. */
  async explain(served: ServedRecommendations, now: number, history?: UserHistory): Promise<string[]> {
    if (this.current && now - this.current.builtAt > refreshAfterMs) {
      void this.build(now).catch(() => undefined);
    }
    const current = await this.ready(now);
    if (!current || served.items.length === 0) return served.items.map(() => '');
    const model = await loadVersionModel(this.db, served.modelVersion);
    // A user or movie the model does not know is explained without their ratings (the fallback
    // reasons), so a new user's request skips reading them.
    const personal = served.items.some((i) => i.fallback === 'none');
    if (!personal) {
      return current.explainer
        .explainMany(model, served.userId, served.items, noRatings, current.threshold)
        .map((e) => e.text);
    }
    const mine = history ?? (await readUserHistory(this.db, served.userId));
    let liked = current.likedGenres.get(mine);
    if (!liked) {
      liked = current.explainer.likedGenres(mine.ratings, current.threshold);
      current.likedGenres.set(mine, liked);
    }
    return current.explainer
      .explainMany(model, served.userId, served.items, mine.ratings, current.threshold, liked)
      .map((e) => e.text);
  }

  /**
   * The movies most often liked by the same people as `movieId` (the explainer's neighbours),
   * strongest first, and which of them `liked` (a user's liked movies) holds: the movie page's
   * "similar movies" and "because you liked …".
   */
  async similarTo(
    movieId: number,
    limit: number,
    now: number,
    liked: ReadonlySet<number> = new Set(),
  ): Promise<{ similar: number[]; becauseYouLiked: number[] }> {
    const current = await this.ready(now);
    if (!current) return { similar: [], becauseYouLiked: [] };
    const ids = [...current.explainer.neighbours(movieId).ids];
    return { similar: ids.slice(0, limit), becauseYouLiked: ids.filter((id) => liked.has(id)).slice(0, 3) };
  }

  /** The rating at and above which a rating counts as liked, as the explanations use it. */
  async likeLine(now: number): Promise<number | null> {
    return (await this.ready(now))?.threshold ?? null;
  }
}
