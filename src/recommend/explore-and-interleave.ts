import type { Arm } from '../experiments/assignment.ts';
import { type ExplorationPolicy, exploreSlots } from '../experiments/exploration.ts';
import { teamDraft } from '../experiments/interleaving.ts';
import { deriveSeed, Rng } from '../random/rng.ts';
import type { TopNItem, TopNRequest, TopNResult } from './top-n.ts';

/** A served pick with what serving logs beside it: the model that placed it and its propensities. */
export interface PlacedItem {
  readonly item: TopNItem;
  /** Version of the model whose list the movie came from. */
  readonly version: number;
  /** The interleaving team that placed it (null outside an interleaving test). */
  readonly team: Arm | null;
  /** Probability of this movie at this slot given the earlier ones; null: no exploration (1). */
  readonly propensity: number | null;
  /** Probability that this movie is anywhere in the list; null: no exploration (1). */
  readonly inclusion: number | null;
  /** In an interleaved list: both rankers' top n held the movie (null outside interleaving). */
  readonly inBothLists: boolean | null;
}

export interface PlacedList {
  readonly top: TopNResult;
  readonly items: readonly PlacedItem[];
}

/** Something that answers a top-N request (a TopNRecommender). */
export interface ListSource {
  recommend(request: TopNRequest): TopNResult;
}

/** The request's own random stream: the same user at the same time gets the same list. */
export function requestRng(seed: number, label: string, userId: number, now: number): Rng {
  return new Rng(deriveSeed(seed, `${label}:${userId}:${now}`));
}

const reranked = (item: TopNItem, rank: number): TopNItem => (item.rank === rank ? item : { ...item, rank });

/**
 * The ranker's top n, with ε of its slots explored (see exploration.ts). With ε = 0 it is the
 * ranker's list exactly, asked for in the same single call as before exploration existed.
 */
export function exploredList(
  source: ListSource,
  request: TopNRequest & { readonly n: number },
  version: number,
  policy: ExplorationPolicy,
  rng: Rng,
): PlacedList {
  if (policy.epsilon === 0) {
    const top = source.recommend(request);
    return {
      top,
      items: top.items.map((item) => ({
        item,
        version,
        team: null,
        propensity: null,
        inclusion: null,
        inBothLists: null,
      })),
    };
  }
  const wide = source.recommend({ ...request, n: Math.min(1000, request.n + policy.pool) });
  const slots = exploreSlots(
    request.n,
    wide.items.length,
    { ...policy, pool: Math.min(policy.pool, 1000 - request.n) },
    rng,
  );
  const items = slots.map((s, i) => ({
    item: reranked(wide.items[s.index]!, i + 1),
    version,
    team: null,
    propensity: s.propensity,
    inclusion: s.inclusion,
    inBothLists: null,
  }));
  return { top: { ...wide, items: items.map((p) => p.item) }, items };
}

/**
 * A team-draft interleaved list of the champion's and the challenger's top n, each movie marked
 * with the team (and so the version) that placed it and whether both top n held it (such a movie
 * is shown whichever team places it, so the credit leaves it out). Not explored: interleaving is
 * its own randomisation.
 */
export function interleavedList(
  champion: { readonly source: ListSource; readonly version: number },
  challenger: { readonly source: ListSource; readonly version: number },
  request: TopNRequest & { readonly n: number },
  rng: Rng,
): PlacedList {
  const a = champion.source.recommend(request);
  const b = challenger.source.recommend(request);
  const byMovie = new Map<number, TopNItem>();
  for (const i of b.items) byMovie.set(i.movieId, i);
  const inBoth = new Set(a.items.filter((i) => byMovie.has(i.movieId)).map((i) => i.movieId));
  // Where both would show a movie, the champion's prediction and explanation stand for it.
  for (const i of a.items) byMovie.set(i.movieId, i);
  const list = teamDraft(
    a.items.map((i) => i.movieId),
    b.items.map((i) => i.movieId),
    request.n,
    rng,
  );
  const items = list.movieIds.map((movieId, k) => {
    const team = list.teams[k]!;
    const own =
      (team === 'champion' ? a : b).items.find((i) => i.movieId === movieId) ?? byMovie.get(movieId)!;
    return {
      item: reranked(own, k + 1),
      version: team === 'champion' ? champion.version : challenger.version,
      team,
      propensity: null,
      inclusion: null,
      inBothLists: inBoth.has(movieId),
    };
  });
  return { top: { ...a, items: items.map((p) => p.item) }, items };
}
