import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { generateSmallWorld, trainVersion } from '../../test/helpers/trained-world.ts';
import { rateMovie } from '../monitoring/rate-movie.ts';
import { serveRecommendations } from './serve-recommendations.ts';

describeEachDatabase('serveRecommendations for a user who signed up after the model was trained', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
    await generateSmallWorld(t.db);
    await trainVersion(t.db, 'svd');
  });
  afterEach(async () => {
    await t.drop();
  });

  it('gives the fallback with a note before any rating, then personal picks from their ratings', async () => {
    const newcomer = 10_000;
    const before = await serveRecommendations(t.db, { userId: newcomer, n: 10 });
    expect(before.newUser).toBe(true);
    expect(before.note).toMatch(/rate a few movies/);

    // Five ratings: two loved, three disliked.
    const movies = await t.db.all<{ id: number }>('SELECT id FROM movies ORDER BY id LIMIT 5');
    for (const [i, m] of movies.entries()) {
      await rateMovie(t.db, { userId: newcomer, movieId: Number(m.id), rating: i < 2 ? 5 : 1 });
    }
    const after = await serveRecommendations(t.db, { userId: newcomer, n: 10 });
    expect(after.newUser).toBe(false);
    expect(after.note).toBeNull();
    const rated = new Set(movies.map((m) => Number(m.id)));
    expect(after.items.some((i) => rated.has(i.movieId))).toBe(false);
    // Personal: not the fallback list minus the rated movies.
    const fallbackRest = before.items.map((i) => i.movieId).filter((id) => !rated.has(id));
    expect(after.items.map((i) => i.movieId).slice(0, fallbackRest.length)).not.toEqual(fallbackRest);
  });
});
