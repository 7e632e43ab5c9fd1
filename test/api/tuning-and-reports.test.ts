import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSmallWorld, trainVersion } from '../helpers/trained-world.ts';
import { adminToken, errorMessage, startTestServer, type TestServer } from './test-server.ts';

describe('tuning and reports API', () => {
  let t: TestServer;
  const admin = { token: adminToken };
  let runId = '';

  beforeAll(async () => {
    t = await startTestServer();
    // Few generated ratings, so that the recommended ratings posted below reach into the impact
    // report's training period (its latest 20 % of ratings by time are the test period).
    await generateSmallWorld(t.db, { users: 40, movies: 100, ratings: 600 });
    await trainVersion(t.db, 'baseline');
  });
  afterAll(() => t.close());

  it('refuses bad tuning options naming the field, and creates no run', async () => {
    for (const [body, field] of [
      [{ method: 'annealing' }, 'body.method'],
      [{ model: 'gpt' }, 'body.model'],
      [{ trials: 0 }, 'body.trials'],
      [{ folds: 1 }, 'body.folds'],
      [{ objective: 'vibes' }, 'body.objective'],
    ] as const) {
      const r = await t.request('POST', '/api/admin/tuning/runs', { ...admin, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(errorMessage(r.json)).toContain(field);
    }
    expect(
      ((await t.request('GET', '/api/admin/tuning/runs', admin)).json as { runs: unknown[] }).runs,
    ).toEqual([]);
  });

  it('starts a run in the background, reports progress, results and a review', async () => {
    const r = await t.request('POST', '/api/admin/tuning/runs', {
      ...admin,
      body: { method: 'random', model: 'baseline', trials: 3, folds: 2, seed: 3, workers: 1 },
    });
    expect(r.status).toBe(202);
    runId = (r.json as { runId: string }).runId;
    expect(runId).toBeTruthy();
    await t.server.context.background.idle();
    const one = (await t.request('GET', `/api/admin/tuning/runs/${runId}`, admin)).json as {
      run: { status: string; trialsDone: number; trialsPlanned: number; bestValue: number };
      trials: { state: string; params: Record<string, unknown> }[];
    };
    expect(one.run).toMatchObject({ status: 'complete', trialsDone: 3, trialsPlanned: 3 });
    expect(one.run.bestValue).toBeGreaterThan(0);
    expect(one.trials.filter((x) => x.state === 'complete').length).toBeGreaterThanOrEqual(3);
    const list = (await t.request('GET', '/api/admin/tuning/runs', admin)).json as { runs: { id: string }[] };
    expect(list.runs.map((x) => x.id)).toEqual([runId]);
    const review = await t.request('GET', `/api/admin/tuning/runs/${runId}/review`, admin);
    expect(review.status).toBe(200);
    expect(review.json).toHaveProperty('comparison');
    expect((await t.request('GET', '/api/admin/tuning/runs/nope', admin)).status).toBe(404);
    expect((await t.request('POST', `/api/admin/tuning/runs/${runId}/stop`, admin)).status).toBe(409);
  });

  it('stops a running tuning run it started (202); the run ends interrupted, its trials kept', async () => {
    const r = await t.request('POST', '/api/admin/tuning/runs', {
      ...admin,
      body: { method: 'random', model: 'baseline', trials: 200, folds: 2, seed: 9 },
    });
    expect(r.status).toBe(202);
    const id = (r.json as { runId: string }).runId;
    const stop = await t.request('POST', `/api/admin/tuning/runs/${id}/stop`, admin);
    expect(stop.status).toBe(202);
    await t.server.context.background.idle();
    const one = (await t.request('GET', `/api/admin/tuning/runs/${id}`, admin)).json as {
      run: { status: string; trialsDone: number };
    };
    expect(one.run.status).toBe('interrupted');
    expect(one.run.trialsDone).toBeLessThan(200);
  });

  it("serves every report's data, charts (with the tuning run's history) and HTML page", async () => {
    const list = (await t.request('GET', '/api/admin/reports', admin)).json as {
      reports: { kind: string }[];
    };
    expect(list.reports.map((r) => r.kind).sort()).toEqual(['impact', 'status', 'tuning', 'unexpected']);
    const status = await t.request('GET', '/api/admin/reports/status', admin);
    expect(status.status).toBe(200);
    const tuning = (await t.request('GET', `/api/admin/reports/tuning/charts?run=${runId}`, admin)).json as {
      charts: string[];
    };
    expect(tuning.charts.length).toBeGreaterThanOrEqual(2);
    expect(tuning.charts.join('')).toContain('Optimisation history');
    const unexpected = await t.request('GET', '/api/admin/reports/unexpected/charts?source=ratings', admin);
    expect(unexpected.status).toBe(200);
    const html = await t.request('GET', '/api/admin/reports/status/html', admin);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html.text).toContain('<svg');
    const bad = await t.request('GET', '/api/admin/reports/everything', admin);
    expect(bad.status).toBe(400);
    expect(errorMessage(bad.json)).toContain('path.kind');
    const badQuery = await t.request('GET', '/api/admin/reports/unexpected?source=rumours', admin);
    expect(badQuery.status).toBe(400);
    expect(errorMessage(badQuery.json)).toContain('query.source');
  });

  it('computes the impact report in a worker thread', async () => {
    // A refusal inside the worker thread stays a refusal (4xx naming the problem), not a 500.
    const refused = await t.request('GET', '/api/admin/reports/impact?model=no-such-model', admin);
    expect(refused.status, refused.text).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(errorMessage(refused.json)).toContain('no-such-model');
    for (let i = 0; i < 20; i++) {
      const u = await t.signUp(`impact-${i}`);
      const picks = (await t.request('GET', '/api/recommendations?n=12', { cookie: u.cookie })).json as {
        recommendations: { movie: { id: number } }[];
      };
      for (const p of picks.recommendations) {
        await t.request('POST', '/api/ratings', {
          cookie: u.cookie,
          body: { movieId: p.movie.id, rating: 3.5 + (p.movie.id % 3) / 2 },
        });
      }
    }
    const r = await t.request('GET', '/api/admin/reports/impact?model=baseline', admin);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toHaveProperty('arms');
  });
});
