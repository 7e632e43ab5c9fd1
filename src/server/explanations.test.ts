import { afterEach, beforeEach, expect, it } from 'vitest';
import { sqliteKind, type TestDatabase } from '../../test/helpers/databases.ts';
import { generateSmallWorld, trainVersion } from '../../test/helpers/trained-world.ts';
import { loadLikedPairs } from '../data/load-liked-pairs.ts';
import { loadMovies } from '../data/load-movies.ts';
import { loadRatingsData } from '../data/load-ratings.ts';
import { Explainer } from '../recommend/explain.ts';
import { serveRecommendations } from '../recommend/serve-recommendations.ts';
import { ServerExplanations } from './explanations.ts';

let t: TestDatabase;
beforeEach(async () => {
  t = await sqliteKind.create();
  await generateSmallWorld(t.db);
  await trainVersion(t.db, 'svd');
});
afterEach(async () => {
  await t.drop();
});

it('serves an explainer whose neighbour lists are computed before it is used, also after a rebuild', async () => {
  const explanations = new ServerExplanations(t.db, undefined);
  const t0 = 1_000_000;
  await explanations.warm(t0);
  const first = explanations.status();
  expect(first?.builtAt).toBe(t0);
  expect(first?.likedMovies).toBeGreaterThan(100);
  expect(first?.neighbourLists).toBe(first?.likedMovies);

  // Past the refresh age, a request is answered by the current explainer and starts a rebuild.
  const served = await serveRecommendations(t.db, { userId: 1, n: 5 }, { now: t0 });
  const later = t0 + 11 * 60_000;
  const reasons = await explanations.explain(served, later);
  expect(reasons).toHaveLength(5);
  expect(reasons.every((r) => r.length > 0)).toBe(true);
  for (let i = 0; i < 200 && explanations.status()?.builtAt !== later; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const rebuilt = explanations.status();
  expect(rebuilt?.builtAt).toBe(later);
  expect(rebuilt?.neighbourLists).toBe(rebuilt?.likedMovies);
});

it('builds from liked pairs read in slices the same explainer as from all ratings', async () => {
  const movies = await loadMovies(t.db);
  const fromRatings = new Explainer(await loadRatingsData(t.db), movies, { threshold: 3.5 });
  const fromPairs = new Explainer(await loadLikedPairs(t.db, 3.5, { slicePairs: 5 }), movies, {
    threshold: 3.5,
  });
  expect([...fromPairs.likedMovies()]).toEqual([...fromRatings.likedMovies()]);
  for (const movieId of fromRatings.likedMovies()) {
    expect(fromPairs.neighbours(movieId)).toEqual(fromRatings.neighbours(movieId));
  }
});

it('answers without waiting while the first build runs, then with the explainer', async () => {
  const explanations = new ServerExplanations(t.db, undefined);
  const t0 = 1_000_000;
  const served = await serveRecommendations(t.db, { userId: 1, n: 5 }, { now: t0 });
  expect(explanations.state()).toBe('not started');
  const built = explanations.warm(t0);
  expect(explanations.state()).toBe('building');
  expect(await explanations.explain(served, t0)).toEqual(['', '', '', '', '']);
  expect(await explanations.similarTo(1, 5, t0)).toEqual({ similar: [], becauseYouLiked: [] });
  expect(await explanations.likeLine(t0)).toBeNull();
  await built;
  expect(explanations.state()).toBe('ready');
  const reasons = await explanations.explain(served, t0);
  expect(reasons.every((r) => r.length > 0)).toBe(true);
  expect((await explanations.similarTo(1, 5, t0)).similar.length).toBeGreaterThan(0);
});

it('builds and waits when asked before anyone started a build', async () => {
  const explanations = new ServerExplanations(t.db, undefined);
  const served = await serveRecommendations(t.db, { userId: 1, n: 3 }, { now: 0 });
  const reasons = await explanations.explain(served, 0);
  expect(reasons.every((r) => r.length > 0)).toBe(true);
  expect(explanations.state()).toBe('ready');
});
