import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSmallWorld, trainVersion } from '../helpers/trained-world.ts';
import { adminToken, errorMessage, startTestServer, type TestServer } from './test-server.ts';

interface Picks {
  modelVersion: number;
  abTestId: number | null;
  arm: string;
  recommendations: {
    rank: number;
    movie: { id: number; title: string };
    predictedRating: number;
    explanation: string;
  }[];
}

describe('recommendations and admin API', () => {
  let t: TestServer;
  let user: { cookie: string; userId: number };
  let v1: number;
  let v2: number;
  const admin = { token: adminToken };

  beforeAll(async () => {
    t = await startTestServer();
    await generateSmallWorld(t.db);
    v1 = await trainVersion(t.db, 'baseline', { seed: 1 });
    v2 = await trainVersion(t.db, 'baseline', { seed: 2, activate: false });
    user = await t.signUp('picker');
  });
  afterAll(() => t.close());

  it('serves top-N with predicted rating and reason, recorded with the serving version', async () => {
    const r = await t.request('GET', '/api/recommendations?n=5', { cookie: user.cookie });
    expect(r.status).toBe(200);
    const picks = r.json as Picks;
    expect(picks.modelVersion).toBe(v1);
    expect(picks.recommendations).toHaveLength(5);
    expect(picks.recommendations.map((p) => p.rank)).toEqual([1, 2, 3, 4, 5]);
    for (const p of picks.recommendations) {
      expect(p.predictedRating).toBeGreaterThanOrEqual(0.5);
      expect(p.predictedRating).toBeLessThanOrEqual(5);
      expect(p.explanation.length).toBeGreaterThan(10);
      expect(p.movie.title).toBeTruthy();
    }
    const rows = await t.db.all<{ movie_id: number; model_version: number; rank: number }>(
      'SELECT movie_id, model_version, rank FROM served_recommendations WHERE user_id = ? ORDER BY rank',
      [user.userId],
    );
    expect(rows.map((x) => Number(x.movie_id))).toEqual(picks.recommendations.map((p) => p.movie.id));
    expect(rows.every((x) => Number(x.model_version) === v1)).toBe(true);

    // Rating a served movie: the tracker's row carries the version it was served by.
    const movieId = picks.recommendations[0]!.movie.id;
    expect(
      (await t.request('POST', '/api/ratings', { cookie: user.cookie, body: { movieId, rating: 4 } })).status,
    ).toBe(200);
    const quality = await t.db.get<{ model_version: number; unexpected: number; predicted_rating: number }>(
      'SELECT model_version, unexpected, predicted_rating FROM recommendation_quality WHERE user_id = ? AND movie_id = ?',
      [user.userId, movieId],
    );
    expect(quality).toMatchObject({ model_version: v1, unexpected: 0 });
  });

  it('filters recommendations by genre and refuses bad queries naming the parameter', async () => {
    const r = await t.request('GET', '/api/recommendations?n=3&genre=Comedy', { cookie: user.cookie });
    expect(r.status).toBe(200);
    const bad = await t.request('GET', '/api/recommendations?n=0', { cookie: user.cookie });
    expect(bad.status).toBe(400);
    expect(errorMessage(bad.json)).toContain('query.n');
    expect((await t.request('GET', '/api/recommendations')).status).toBe(401);
    expect((await t.request('GET', '/api/recommendations', admin)).status).toBe(403);
  });

  it('lists versions, activates, rolls back, and keeps the alias history', async () => {
    const list = (await t.request('GET', '/api/admin/versions', admin)).json as {
      champion: number;
      versions: { version: number }[];
    };
    expect(list.champion).toBe(v1);
    expect(list.versions.map((v) => v.version).sort()).toEqual([v1, v2].sort());
    expect(
      ((await t.request('GET', `/api/admin/versions/${v2}`, admin)).json as { version: number }).version,
    ).toBe(v2);
    expect((await t.request('GET', '/api/admin/versions/999', admin)).status).toBe(404);
    const activated = await t.request('POST', `/api/admin/versions/${v2}/activate`, {
      ...admin,
      body: { reason: 'test' },
    });
    expect(activated.status).toBe(200);
    expect(activated.json).toMatchObject({ previous: v1, current: v2 });
    const back = await t.request('POST', '/api/admin/versions/rollback', admin);
    expect(back.status).toBe(200);
    expect(back.json).toMatchObject({ current: v1 });
    const history = (await t.request('GET', '/api/admin/versions/history?alias=champion', admin)).json as {
      history: { action: string; newVersion: number }[];
    };
    expect(history.history.map((h) => [h.action, h.newVersion])).toEqual([
      ['first', v1],
      ['activate', v2],
      ['rollback', v1],
    ]);
    const bad = await t.request('POST', '/api/admin/versions/abc/activate', admin);
    expect(bad.status).toBe(400);
    expect(errorMessage(bad.json)).toContain('path.version');
    expect(
      (await t.request('POST', `/api/admin/versions/${v2}/activate`, { cookie: user.cookie })).status,
    ).toBe(403);
  });

  it('runs an A/B test: start, status with per-arm numbers, validate, stop', async () => {
    const badStart = await t.request('POST', '/api/admin/ab-tests', {
      ...admin,
      body: { challengerVersion: v2, traffic: 2 },
    });
    expect(badStart.status).toBe(400);
    expect(errorMessage(badStart.json)).toContain('body.traffic');
    const started = await t.request('POST', '/api/admin/ab-tests', {
      ...admin,
      body: { challengerVersion: v2, traffic: 0.5, minSamples: 5 },
    });
    expect(started.status).toBe(201);
    const testId = (started.json as { id: number }).id;
    expect(
      (await t.request('POST', '/api/admin/ab-tests', { ...admin, body: { challengerVersion: v2 } })).status,
    ).toBe(409);

    // Some users get picks and rate them, so each arm has outcomes.
    for (let i = 0; i < 6; i++) {
      const u = await t.signUp(`ab-user-${i}`);
      const picks = (await t.request('GET', '/api/recommendations?n=3', { cookie: u.cookie })).json as Picks;
      expect(picks.abTestId, JSON.stringify(picks).slice(0, 300)).toBe(testId);
      for (const p of picks.recommendations) {
        await t.request('POST', '/api/ratings', {
          cookie: u.cookie,
          body: { movieId: p.movie.id, rating: 4.5 },
        });
      }
    }
    const status = (await t.request('GET', '/api/admin/ab-tests/current', admin)).json as {
      test: { id: number };
      analysis: { arms: { champion: { n: number }; challenger: { n: number } } };
      timeline: { arm: string; n: number }[];
    };
    expect(status.test.id).toBe(testId);
    expect(status.analysis.arms.champion.n + status.analysis.arms.challenger.n).toBe(18);
    expect(status.timeline.length).toBeGreaterThan(0);
    const chart = await t.request('GET', '/api/admin/charts/ab-test', admin);
    expect(chart.headers.get('content-type')).toContain('image/svg+xml');
    expect(chart.text).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(chart.text).toContain('champion');

    const validated = await t.request('POST', '/api/admin/ab-tests/current/validate', admin);
    expect(validated.status).toBe(200);
    expect(validated.json).toHaveProperty('analysis.verdict');
    const current = (await t.request('GET', '/api/admin/ab-tests/current', admin)).json as { test: unknown };
    if (current.test !== null) {
      const stopped = await t.request('POST', '/api/admin/ab-tests/current/stop', {
        ...admin,
        body: { reason: 'enough' },
      });
      expect(stopped.status).toBe(200);
    }
    expect(
      ((await t.request('GET', '/api/admin/ab-tests/current', admin)).json as { test: unknown }).test,
    ).toBeNull();
    const one = await t.request('GET', `/api/admin/ab-tests/${testId}`, admin);
    expect(one.status).toBe(200);
    expect(
      ((await t.request('GET', '/api/admin/ab-tests', admin)).json as { tests: unknown[] }).tests,
    ).toHaveLength(1);
  });

  it('reports tracker status and draws its charts with data', async () => {
    const status = (await t.request('GET', '/api/admin/tracker', admin)).json as {
      counts: { tracked: number };
      byDay: unknown[];
    };
    expect(status.counts.tracked).toBeGreaterThan(0);
    expect(status.byDay.length).toBeGreaterThan(0);
    for (const name of [
      'tracker-accuracy',
      'accuracy-by-version',
      'alias-history',
      'version-metrics',
      'retrain-triggers',
    ]) {
      const r = await t.request('GET', `/api/admin/charts/${name}`, admin);
      expect(r.status, name).toBe(200);
      expect(r.text, name).toMatch(/^<svg/);
    }
    expect((await t.request('GET', '/api/admin/charts/tracker-accuracy', admin)).text).toContain('threshold');
  });

  it('retrains now in the background (202), refuses a second while one is open (409), and lists the trigger', async () => {
    const r = await t.request('POST', '/api/admin/retrain', {
      ...admin,
      body: { reason: 'from the test', model: 'baseline' },
    });
    expect(r.status).toBe(202);
    const triggerId = (r.json as { trigger: { id: number } }).trigger.id;
    const again = await t.request('POST', '/api/admin/retrain', admin);
    expect([202, 409]).toContain(again.status);
    const bad = await t.request('POST', '/api/admin/retrain', { ...admin, body: { trials: -1 } });
    expect(bad.status).toBe(400);
    expect(errorMessage(bad.json)).toContain('body.trials');
    await t.server.context.background.idle();
    const one = (await t.request('GET', `/api/admin/retrain/triggers/${triggerId}`, admin)).json as {
      trigger: { status: string };
      steps: { step: string }[];
    };
    expect(['succeeded', 'failed']).toContain(one.trigger.status);
    expect(one.steps.length).toBeGreaterThan(0);
    const list = (await t.request('GET', '/api/admin/retrain/triggers', admin)).json as {
      triggers: { id: number }[];
    };
    expect(list.triggers.map((x) => x.id)).toContain(triggerId);
  });

  it("explains picks from the user's own ratings once the model knows them", async () => {
    const u = await t.signUp('explained');
    const newcomer = (await t.request('GET', '/api/recommendations?n=5', { cookie: u.cookie })).json as Picks;
    expect(newcomer.recommendations[0]!.explanation).toMatch(/Popular|rate a few/);
    for (const p of newcomer.recommendations) {
      await t.request('POST', '/api/ratings', { cookie: u.cookie, body: { movieId: p.movie.id, rating: 5 } });
    }
    // A version trained after those ratings knows the user.
    const known = await trainVersion(t.db, 'baseline', { seed: 3, activate: false });
    // Activating stops any A/B test the retrain above may have started, so every user gets it.
    expect((await t.request('POST', `/api/admin/versions/${known}/activate`, admin)).status).toBe(200);
    const picks = (await t.request('GET', '/api/recommendations?n=10', { cookie: u.cookie })).json as Picks;
    expect(picks.modelVersion).toBe(known);
    expect(
      picks.recommendations.some((p) => /liked|Because you rated|taste for|resemble/.test(p.explanation)),
    ).toBe(true);
  });
});
