import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCatalog, startTestServer, type TestServer } from './test-server.ts';

describe('operations API: healthz, metrics, openapi', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await insertCatalog(t.db);
  });
  afterAll(() => t.close());

  it('answers /healthz', async () => {
    const r = await t.request('GET', '/healthz');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'ok', database: 'sqlite', queue: null });
  });

  it('counts requests by route pattern and status, and ratings, in Prometheus text', async () => {
    const { cookie } = await t.signUp('metric-mia');
    await t.request('GET', '/api/movies/1');
    await t.request('GET', '/api/movies/2');
    await t.request('GET', '/api/movies/999');
    await t.request('POST', '/api/ratings', { cookie, body: { movieId: 1, rating: 4 } });
    const r = await t.request('GET', '/metrics');
    expect(r.headers.get('content-type')).toContain('text/plain');
    expect(r.text).toContain(
      'movienight_http_requests_total{method="GET",route="/api/movies/:id",status="200"} 2',
    );
    expect(r.text).toContain(
      'movienight_http_requests_total{method="GET",route="/api/movies/:id",status="404"} 1',
    );
    expect(r.text).toMatch(
      /movienight_http_request_duration_seconds_count\{method="GET",route="\/api\/movies\/:id"\} 3/,
    );
    expect(r.text).toContain('movienight_ratings_posted_total 1');
    expect(r.text).toContain('movienight_ratings_stored 1');
    expect(r.text).toMatch(/movienight_tracker_accuracy (NaN|[\d.]+)/);
    expect(r.text).toMatch(/movienight_active_model_version (NaN|\d+)/);
  });

  it('serves an OpenAPI 3.1 document describing every route with its parameters and body', async () => {
    const r = await t.request('GET', '/openapi.json');
    const doc = r.json as {
      openapi: string;
      paths: Record<string, Record<string, { parameters: { name: string }[]; requestBody?: unknown }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/api/movies']?.get?.parameters.map((p) => p.name)).toEqual(
      expect.arrayContaining(['q', 'genre', 'year', 'page', 'pageSize']),
    );
    expect(doc.paths['/api/movies/{id}']?.get?.parameters.map((p) => p.name)).toEqual(['id']);
    expect(doc.paths['/api/ratings']?.post?.requestBody).toBeDefined();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/healthz',
        '/metrics',
        '/api/auth/sign-up',
        '/api/recommendations',
        '/api/admin/versions',
      ]),
    );
  });

  it('answers unknown API paths with a JSON 404', async () => {
    const r = await t.request('GET', '/api/nothing-here');
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ error: { code: 'not_found' } });
  });

  it('refuses a body over 64 KiB with 413, and marks answers nosniff', async () => {
    const r = await t.request('POST', '/api/auth/sign-up', {
      rawBody: JSON.stringify({ username: 'x'.repeat(70_000) }),
    });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ error: { code: 'payload_too_large' } });
    expect((await t.request('GET', '/healthz')).headers.get('x-content-type-options')).toBe('nosniff');
  });
});
