import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresKind, postgresUrl } from '../helpers/databases.ts';
import { trainVersion } from '../helpers/trained-world.ts';
import { adminToken, errorMessage, insertCatalog, startTestServer, type TestServer } from './test-server.ts';

/** The API on PostgreSQL: accounts, sessions, ratings with the tracker row, recommendations, admin. */
describe.skipIf(!postgresUrl)(
  `API on PostgreSQL${postgresUrl ? '' : ' (skipped: MOVIENIGHT_TEST_PG_URL not set)'}`,
  () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer(postgresKind);
      await insertCatalog(t.db);
      // A few imported ratings, so there is something to train the champion on.
      await t.db.run('INSERT INTO users (id, created_at) VALUES (1, 0), (2, 0), (3, 0)');
      await t.db.insertMany(
        'ratings',
        ['user_id', 'movie_id', 'rating', 'rated_at'],
        [
          [1, 1, 4, 1],
          [1, 2, 3.5, 2],
          [2, 3, 5, 3],
          [2, 4, 2, 4],
          [3, 1, 4.5, 5],
          [3, 6, 3, 6],
        ],
      );
      await trainVersion(t.db, 'baseline');
    });
    afterAll(() => t?.close());

    it('signs up above imported ids, rates with a tracker row, serves picks, enforces auth', async () => {
      const a = await t.signUp('pg-ann');
      const b = await t.signUp('pg-ben');
      expect(a.userId).toBe(4);
      expect(b.userId).toBe(5);
      const picks = await t.request('GET', '/api/recommendations?n=3', { cookie: a.cookie });
      expect(picks.status).toBe(200);
      const first = (picks.json as { recommendations: { movie: { id: number } }[] }).recommendations[0]!.movie
        .id;
      const rated = await t.request('POST', '/api/ratings', {
        cookie: a.cookie,
        body: { movieId: first, rating: 4 },
      });
      expect(rated.status).toBe(200);
      const quality = await t.db.get<{ unexpected: number | string; model_version: number | string }>(
        'SELECT unexpected, model_version FROM recommendation_quality WHERE user_id = ? AND movie_id = ?',
        [a.userId, first],
      );
      expect(Number(quality?.unexpected)).toBe(0);
      expect(Number(quality?.model_version)).toBe(1);
      const bad = await t.request('POST', '/api/ratings', {
        cookie: a.cookie,
        body: { movieId: first, rating: 9 },
      });
      expect(bad.status).toBe(400);
      expect(errorMessage(bad.json)).toContain('rating');
      expect(
        (
          await t.request('POST', '/api/ratings', {
            cookie: a.cookie,
            body: { movieId: 2, rating: 3, userId: b.userId },
          })
        ).status,
      ).toBe(403);
      expect((await t.request('GET', '/api/admin/versions', { cookie: a.cookie })).status).toBe(403);
      const versions = await t.request('GET', '/api/admin/versions', { token: adminToken });
      expect((versions.json as { champion: number }).champion).toBe(1);
      const movies = (await t.request('GET', '/api/movies?genre=sci-fi&sort=title')).json as {
        movies: { id: number }[];
      };
      expect(movies.movies.map((m) => m.id)).toEqual([6, 4]);
      expect((await t.request('GET', '/metrics')).text).toContain('movienight_active_model_version 1');
    });

    it('slows down repeated failed sign-ins on PostgreSQL too', async () => {
      await t.signUp('pg-carol');
      for (let i = 0; i < 3; i++) {
        await t.request('POST', '/api/auth/sign-in', {
          body: { username: 'pg-carol', password: `wrong-${i}` },
        });
      }
      const locked = await t.request('POST', '/api/auth/sign-in', {
        body: { username: 'pg-carol', password: 'x' },
      });
      expect(locked.status).toBe(429);
    });
  },
);
