import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/databases.ts';
import { generateSmallWorld, trainVersion } from '../helpers/trained-world.ts';
import { adminToken, startTestServer, type TestServer } from './test-server.ts';

interface MoviePageAnswer {
  movie: { id: number; title: string; myRating?: number | null };
  similar: { id: number }[];
  becauseYouLiked: { id: number; title: string }[];
}

describeEachDatabase('routes of the web app pages', (kind) => {
  let t: TestServer;
  let user: { cookie: string; userId: number };
  beforeAll(async () => {
    t = await startTestServer(kind);
    await generateSmallWorld(t.db);
    await trainVersion(t.db, 'baseline', { seed: 1 });
    user = await t.signUp('page-reader');
  });
  afterAll(() => t.close());

  it('gives a movie page: the movie, similar movies, and the liked ones among them', async () => {
    const first = (await t.request('GET', '/api/movies/1/page')).json as MoviePageAnswer;
    expect(first.movie.id).toBe(1);
    expect(first.similar.length).toBeGreaterThan(0);
    expect(first.similar.map((m) => m.id)).not.toContain(1);
    expect(first.becauseYouLiked).toEqual([]);
    const liked = first.similar[0]!.id;
    const rated = await t.request('POST', '/api/ratings', {
      cookie: user.cookie,
      body: { movieId: liked, rating: 5 },
    });
    expect(rated.status).toBe(200);
    const mine = (await t.request('GET', '/api/movies/1/page', { cookie: user.cookie }))
      .json as MoviePageAnswer;
    expect(mine.becauseYouLiked.map((m) => m.id)).toEqual([liked]);
    expect(mine.movie.myRating).toBeNull();
    expect((await t.request('GET', '/api/movies/999999/page')).status).toBe(404);
  });

  it('counts the loop for the overview and previews picks without recording them', async () => {
    const overview = (await t.request('GET', '/api/admin/overview', { token: adminToken })).json as {
      counts: Record<string, number>;
      modelKinds: string[];
    };
    const counts = overview.counts;
    expect(overview.modelKinds).toContain('svd');
    expect(counts.movies).toBe(150);
    expect(counts.versions).toBe(1);
    expect(counts.ratings).toBeGreaterThan(2000);
    const preview = await t.request('GET', '/api/admin/users/3/picks?n=4', { token: adminToken });
    expect(preview.status).toBe(200);
    expect((preview.json as { picks: unknown[] }).picks).toHaveLength(4);
    const after = (await t.request('GET', '/api/admin/overview', { token: adminToken })).json as {
      counts: Record<string, number>;
    };
    expect(after.counts.served).toBe(counts.served);
    expect((await t.request('GET', '/api/admin/overview', { cookie: user.cookie })).status).toBe(403);
  });

  it('draws a contour plot of a finished tuning run over two of its parameters', async () => {
    const started = await t.request('POST', '/api/admin/tuning/runs', {
      token: adminToken,
      body: { method: 'random', model: 'baseline', trials: 4, folds: 2, seed: 3 },
    });
    expect(started.status).toBe(202);
    await t.server.context.background.idle();
    const runId = (started.json as { runId: string }).runId;
    const run = (await t.request('GET', `/api/admin/tuning/runs/${runId}`, { token: adminToken })).json as {
      trials: { params: Record<string, unknown> }[];
    };
    const names = Object.entries(run.trials[0]!.params)
      .filter(([, v]) => typeof v === 'number')
      .map(([k]) => k);
    expect(names.length).toBeGreaterThanOrEqual(2);
    const query = `run=${encodeURIComponent(runId)}&x=${names[0]}&y=${names[1]}`;
    const svg = await t.request('GET', `/api/admin/charts/tuning-contour?${query}`, { token: adminToken });
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');
    expect(svg.text).toContain('mn-surface');
    expect((svg.text.match(/class="mn-point"/g) ?? []).length).toBeGreaterThanOrEqual(2);
    const same = await t.request(
      'GET',
      `/api/admin/charts/tuning-contour?run=${encodeURIComponent(runId)}&x=${names[0]}&y=${names[0]}`,
      { token: adminToken },
    );
    expect(same.status).toBe(400);
  });
});
