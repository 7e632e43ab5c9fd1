import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, errorMessage, insertCatalog, startTestServer, type TestServer } from './test-server.ts';

interface MoviePage {
  total: number;
  page: number;
  movies: {
    id: number;
    title: string;
    averageRating: number | null;
    ratingCount: number;
    myRating?: number | null;
  }[];
}

describe('movies and ratings API', () => {
  let t: TestServer;
  let ann: { cookie: string; userId: number };
  let ben: { cookie: string; userId: number };
  beforeAll(async () => {
    t = await startTestServer();
    await insertCatalog(t.db);
    ann = await t.signUp('ann');
    ben = await t.signUp('ben');
  });
  afterAll(() => t.close());

  it('searches by title (any case, % taken literally), genre and year, paginated', async () => {
    const byTitle = (await t.request('GET', '/api/movies?q=MATRIX')).json as MoviePage;
    expect(byTitle.movies.map((m) => m.id)).toEqual([4]);
    const percent = (await t.request('GET', '/api/movies?q=100%25')).json as MoviePage;
    expect(percent.movies.map((m) => m.id)).toEqual([5]);
    const genre = (await t.request('GET', '/api/movies?genre=sci-fi&sort=title')).json as MoviePage;
    expect(genre.movies.map((m) => m.id)).toEqual([6, 4]);
    // "Fi" is not a genre: genre matches whole names only.
    expect(((await t.request('GET', '/api/movies?genre=Fi')).json as MoviePage).total).toBe(0);
    const year = (await t.request('GET', '/api/movies?year=1995&sort=title')).json as MoviePage;
    expect(year.movies.map((m) => m.id)).toEqual([3, 2, 1]);
    const range = (await t.request('GET', '/api/movies?yearFrom=1996&yearTo=2001&sort=year'))
      .json as MoviePage;
    expect(range.movies.map((m) => m.id)).toEqual([5, 4]);
    const page2 = (await t.request('GET', '/api/movies?sort=title&page=2&pageSize=4')).json as MoviePage;
    expect(page2.total).toBe(6);
    expect(page2.page).toBe(2);
    expect(page2.movies.map((m) => m.id)).toEqual([4, 1]);
  });

  it('refuses bad queries with 400 naming the parameter', async () => {
    for (const [query, field] of [
      ['page=0', 'query.page'],
      ['pageSize=1000', 'query.pageSize'],
      ['year=abc', 'query.year'],
      ['sort=random', 'query.sort'],
      ['colour=red', 'colour'],
    ] as const) {
      const r = await t.request('GET', `/api/movies?${query}`);
      expect(r.status, query).toBe(400);
      expect(errorMessage(r.json), query).toContain(field);
    }
    const badId = await t.request('GET', '/api/movies/abc');
    expect(badId.status).toBe(400);
    expect(errorMessage(badId.json)).toContain('path.id');
    expect((await t.request('GET', '/api/movies/999')).status).toBe(404);
  });

  it('lists genres and the rating scale', async () => {
    const genres = (await t.request('GET', '/api/genres')).json as { genre: string; movies: number }[];
    expect(genres.find((g) => g.genre === 'Sci-Fi')?.movies).toBe(2);
    expect((await t.request('GET', '/api/scale')).json).toEqual({ min: 0.5, max: 5, step: 0.5 });
  });

  it('rates, changes, lists and deletes a rating as the signed-in user', async () => {
    const rated = await t.request('POST', '/api/ratings', {
      cookie: ann.cookie,
      body: { movieId: 1, rating: 4.5 },
    });
    expect(rated.status).toBe(200);
    expect(rated.json).toMatchObject({ userId: ann.userId, movieId: 1, rating: 4.5, previousRating: null });
    await t.request('POST', '/api/ratings', { cookie: ben.cookie, body: { movieId: 1, rating: 3.5 } });
    const movie = (await t.request('GET', '/api/movies/1', { cookie: ann.cookie }))
      .json as MoviePage['movies'][0];
    expect(movie).toMatchObject({ id: 1, averageRating: 4, ratingCount: 2, myRating: 4.5 });

    const changed = await t.request('PUT', '/api/ratings/1', { cookie: ann.cookie, body: { rating: 2 } });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ rating: 2, previousRating: 4.5 });
    expect(
      (await t.request('PUT', '/api/ratings/2', { cookie: ann.cookie, body: { rating: 2 } })).status,
    ).toBe(404);

    const mine = (await t.request('GET', '/api/me/ratings', { cookie: ann.cookie })).json as {
      total: number;
      ratings: { movie: { id: number }; rating: number }[];
    };
    expect(mine.total).toBe(1);
    expect(mine.ratings[0]).toMatchObject({ movie: { id: 1 }, rating: 2 });

    expect((await t.request('DELETE', '/api/ratings/1', { cookie: ann.cookie })).status).toBe(204);
    expect((await t.request('DELETE', '/api/ratings/1', { cookie: ann.cookie })).status).toBe(404);
    const left = await t.db.all('SELECT user_id FROM ratings WHERE movie_id = 1');
    expect(left).toEqual([{ user_id: ben.userId }]);
  });

  it('a rating posted through the API produces the tracker quality row', async () => {
    await t.request('POST', '/api/ratings', { cookie: ann.cookie, body: { movieId: 3, rating: 5 } });
    const row = await t.db.get<{
      user_id: number;
      movie_id: number;
      actual_rating: number;
      unexpected: number;
    }>(
      'SELECT user_id, movie_id, actual_rating, unexpected FROM recommendation_quality WHERE user_id = ? AND movie_id = 3',
      [ann.userId],
    );
    expect(row).toMatchObject({ user_id: ann.userId, movie_id: 3, actual_rating: 5, unexpected: 1 });
  });

  it('refuses bad rating bodies with 400 naming the field, and writes nothing', async () => {
    const count = async () => Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM ratings'))?.n);
    const before = await count();
    for (const [body, field] of [
      [{ movieId: 2, rating: 7 }, 'rating'],
      [{ movieId: 2, rating: 3.3 }, 'rating'],
      [{ movieId: 2 }, 'body.rating'],
      [{ movieId: -2, rating: 3 }, 'body.movieId'],
      [{ movieId: 2.5, rating: 3 }, 'body.movieId'],
      [{ movieId: '2', rating: 3 }, 'body.movieId'],
      [{ movieId: 2, rating: 3, ratedAt: -1 }, 'body.ratedAt'],
    ] as const) {
      const r = await t.request('POST', '/api/ratings', { cookie: ann.cookie, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(errorMessage(r.json), JSON.stringify(body)).toContain(field);
    }
    const unknown = await t.request('POST', '/api/ratings', {
      cookie: ann.cookie,
      body: { movieId: 999, rating: 3 },
    });
    expect(unknown.status).toBe(404);
    expect(errorMessage(unknown.json)).toContain('999');
    expect(await count()).toBe(before);
  });

  it('a user acts only as themselves', async () => {
    expect((await t.request('POST', '/api/ratings', { body: { movieId: 2, rating: 3 } })).status).toBe(401);
    const asBen = await t.request('POST', '/api/ratings', {
      cookie: ann.cookie,
      body: { movieId: 2, rating: 3, userId: ben.userId },
    });
    expect(asBen.status).toBe(403);
    expect(errorMessage(asBen.json)).toContain(`userId ${ben.userId}`);
    const self = await t.request('POST', '/api/ratings', {
      cookie: ann.cookie,
      body: { movieId: 2, rating: 3, userId: ann.userId },
    });
    expect(self.status).toBe(200);
    expect((await t.request('GET', `/api/users/${ben.userId}/ratings`, { cookie: ann.cookie })).status).toBe(
      403,
    );
    expect((await t.request('GET', `/api/users/${ann.userId}/ratings`, { cookie: ann.cookie })).status).toBe(
      200,
    );
    expect((await t.request('GET', `/api/users/${ben.userId}/ratings`)).status).toBe(401);
    expect((await t.request('GET', `/api/users/${ben.userId}/ratings`, { token: adminToken })).status).toBe(
      200,
    );
    // Ann's delete cannot touch Ben's rating of movie 1.
    expect((await t.request('DELETE', '/api/ratings/1', { cookie: ann.cookie })).status).toBe(404);
    expect(
      await t.db.get('SELECT rating FROM ratings WHERE user_id = ? AND movie_id = 1', [ben.userId]),
    ).toEqual({
      rating: 3.5,
    });
  });
});
