import { afterEach, beforeEach, expect, it } from 'vitest';
import { sqliteKind, type TestDatabase } from '../../test/helpers/databases.ts';
import { generateSmallWorld, trainVersion } from '../../test/helpers/trained-world.ts';
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
