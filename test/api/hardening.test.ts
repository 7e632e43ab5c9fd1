import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.ts';
import { rateMovie } from '../../src/monitoring/rate-movie.ts';
import { createApp } from '../../src/server/create-app.ts';
import { runCliInProcess } from '../helpers/cli.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { generateSmallWorld, trainVersion } from '../helpers/trained-world.ts';
import {
  adminToken,
  errorMessage,
  insertCatalog,
  startTestServer,
  type TestServer,
  testConfig,
} from './test-server.ts';

const farFuture = 8_640_000_000_000_000;
const now = Date.UTC(2026, 0, 15);

describe('request bounds and reports robust to any stored value', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await insertCatalog(t.db);
  });
  afterAll(() => t.close());

  it('refuses a rating time far in the future, before 1995, or more than a day ahead', async () => {
    const { cookie } = await t.signUp('timekeeper');
    for (const ratedAt of [farFuture, 0, Date.now() + 3 * 86_400_000]) {
      const r = await t.request('POST', '/api/ratings', { cookie, body: { movieId: 1, rating: 4, ratedAt } });
      expect(r.status).toBe(400);
      expect(errorMessage(r.json)).toContain('body.ratedAt');
    }
    const ok = await t.request('POST', '/api/ratings', {
      cookie,
      body: { movieId: 1, rating: 4, ratedAt: Date.now() - 3_600_000 },
    });
    expect(ok.status).toBe(200);
    const openApi = (await t.request('GET', '/openapi.json')).text;
    expect(openApi).toContain('"maximum":2147483647');
  });

  it('draws the unexpected-movies report over a stored far-future rating, leaving it out and saying so', async () => {
    // Stored as the rating entry point stored it before the API bounded the time.
    await t.db.run('INSERT INTO users (id, created_at) VALUES (900, 0)');
    await rateMovie(t.db, { userId: 900, movieId: 2, rating: 3, ratedAt: farFuture }, { now });
    await rateMovie(t.db, { userId: 900, movieId: 3, rating: 4, ratedAt: now }, { now });
    const admin = { token: adminToken };
    const data = await t.request('GET', '/api/admin/reports/unexpected', admin);
    expect(data.status).toBe(200);
    const overTime = (data.json as { overTime: { outOfRange: number; points: unknown[] } }).overTime;
    expect(overTime.outOfRange).toBe(1);
    expect(overTime.points.length).toBeLessThanOrEqual(3000);
    const charts = await t.request('GET', '/api/admin/reports/unexpected/charts', admin);
    expect(charts.status).toBe(200);
    expect(charts.text.length).toBeLessThan(2_000_000);
    expect(charts.text).toContain('with an impossible time left out');
    const html = await t.request('GET', '/api/admin/reports/unexpected/html', admin);
    expect(html.status).toBe(200);
    expect(html.text.length).toBeLessThan(2_000_000);
  });
});

describeEachDatabase('maintained rating counts for the popular sort', (kind) => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer(kind);
    await insertCatalog(t.db);
    await t.db.insertMany(
      'users',
      ['id', 'created_at'],
      [
        [1, 0],
        [2, 0],
        [3, 0],
      ],
    );
  });
  afterEach(() => t.close());

  const counts = async () =>
    Object.fromEntries(
      (
        await t.db.all<{ id: number; rating_count: number }>(
          'SELECT id, rating_count FROM movies ORDER BY id',
        )
      ).map((r) => [r.id, r.rating_count]),
    );

  it('keeps movies.rating_count through inserts, bulk upserts, re-ratings and deletes', async () => {
    await t.db.insertMany(
      'ratings',
      ['user_id', 'movie_id', 'rating', 'rated_at'],
      [
        [1, 3, 4, 1],
        [2, 3, 4, 1],
        [3, 3, 2, 1],
        [1, 5, 4, 1],
        [2, 5, 4, 1],
        [1, 1, 1, 1],
      ],
    );
    // A re-rating through the upsert path changes no count.
    await t.db.run(
      `INSERT INTO ratings (user_id, movie_id, rating, rated_at) VALUES (1, 3, 5, 2)
       ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating`,
    );
    await t.db.run('DELETE FROM ratings WHERE user_id = 1 AND movie_id = 1');
    expect(await counts()).toEqual({ 1: 0, 2: 0, 3: 3, 4: 0, 5: 2, 6: 0 });
    const r = await t.request('GET', '/api/movies?pageSize=3');
    expect((r.json as { movies: { id: number; ratingCount: number }[] }).movies.map((m) => m.id)).toEqual([
      3, 5, 1,
    ]);
  });
});

describe('per-client rate limits, shared by every server process', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(
      undefined,
      {
        rateLimitAnonymousPerMinute: 20,
        rateLimitAccountPerMinute: 30,
        trustProxy: true,
      },
      () => now,
    );
    await insertCatalog(t.db);
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After once an address or an account is over its limit, counted across apps', async () => {
    // A second app on the same database stands for a second server process.
    const other = createApp({
      db: t.db,
      config: testConfig({ rateLimitAnonymousPerMinute: 20 }),
      now: () => now,
      adminToken,
      webDist: null,
    });
    const status = async (app: typeof other.app) => (await app.request('/api/movies?q=a')).status;
    const first: number[] = [];
    for (let i = 0; i < 21; i++) first.push(await status(t.server.app));
    expect(first.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(first[20]).toBe(429);
    // The other process learns the shared count at its first request (which it lets through, the
    // one batch it may overshoot by) and refuses from then on.
    expect(await status(other.app)).toBe(200);
    expect(await status(other.app)).toBe(429);
    await other.close();
    const refused = await t.server.app.request('/api/movies?q=a');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(errorMessage(await refused.json())).toContain('too many requests');
    // A signed-in account has its own allowance, not its address's, and is limited by it.
    const signUp = await t.request('POST', '/api/auth/sign-up', {
      body: { username: 'limited-lee', password: 'a-sound-passphrase' },
      headers: { 'x-forwarded-for': '10.5.0.1' },
    });
    const cookie = (signUp.headers.get('set-cookie') ?? '').split(';')[0]!;
    const mine: number[] = [];
    for (let i = 0; i < 31; i++) mine.push((await t.request('GET', '/api/movies', { cookie })).status);
    expect(mine.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(mine[30]).toBe(429);
    // The admin is not limited.
    expect((await t.request('GET', '/api/movies', { token: adminToken })).status).toBe(200);
  });
});

describe('sign-in throttle, sign-up limits and the password policy', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(undefined, { trustProxy: true, signUpsPerAddressPerHour: 3 }, () => now);
  });
  afterAll(() => t.close());

  const from = (address: string) => ({ 'x-forwarded-for': address });

  it('counts 40 parallel guesses before checking them: three are checked, the right one among the rest is not', async () => {
    await t.request('POST', '/api/auth/sign-up', {
      body: { username: 'victim', password: 'a-sound-passphrase' },
      headers: from('10.9.0.1'),
    });
    const guesses = Array.from({ length: 40 }, (_, i) =>
      i === 39 ? 'a-sound-passphrase' : `wrong-guess-${i}`,
    );
    const answers = await Promise.all(
      guesses.map((password) =>
        t.request('POST', '/api/auth/sign-in', {
          body: { username: 'victim', password },
          headers: from('10.66.0.1'),
        }),
      ),
    );
    const checked = answers.filter((r) => r.status === 401 || r.status === 200).length;
    expect(checked).toBeLessThanOrEqual(3);
    expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(37);
    // The owner, at another address, is not locked out by the guesser.
    const owner = await t.request('POST', '/api/auth/sign-in', {
      body: { username: 'victim', password: 'a-sound-passphrase' },
      headers: from('10.9.0.2'),
    });
    expect(owner.status).toBe(200);
  });

  it('limits sign-ups per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await t.request('POST', '/api/auth/sign-up', {
        body: { username: `burst-${i}`, password: 'a-sound-passphrase' },
        headers: from('10.7.0.1'),
      });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
  });

  it('refuses short, common and blank passwords, naming body.password', async () => {
    for (const password of ['12345678', 'password', '        ', 'password1234', '1234567890', 'qwertyuiop']) {
      const r = await t.request('POST', '/api/auth/sign-up', {
        body: { username: 'weak-will', password },
        headers: from('10.8.0.1'),
      });
      expect(r.status, password).toBe(400);
      expect(errorMessage(r.json)).toContain('body.password');
    }
  });
});

describe('cross-site requests, cookies and headers', () => {
  let t: TestServer;
  let adminCookie: string;
  beforeAll(async () => {
    t = await startTestServer(undefined, { trustProxy: true });
    const r = await t.request('POST', '/api/admin/sign-in', { body: { token: adminToken } });
    adminCookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
  });
  afterAll(() => t.close());

  it('refuses a cookie POST from another origin or as a form; allows same-origin JSON and bearer tokens', async () => {
    const evil = await t.request('POST', '/api/admin/ab-tests/current/stop', {
      cookie: adminCookie,
      headers: { origin: 'https://evil.example' },
    });
    expect(evil.status).toBe(403);
    expect(errorMessage(evil.json)).toContain('cross-site');
    const form = await t.request('POST', '/api/admin/ab-tests/current/stop', {
      cookie: adminCookie,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    const crossSite = await t.request('POST', '/api/admin/ab-tests/current/stop', {
      cookie: adminCookie,
      headers: { 'sec-fetch-site': 'cross-site', origin: 'http://localhost' },
    });
    expect(crossSite.status).toBe(403);
    const noOrigin = await t.server.app.request('/api/admin/ab-tests/current/stop', {
      method: 'POST',
      headers: { cookie: adminCookie, 'content-type': 'application/json' },
    });
    expect(noOrigin.status).toBe(403);
    // Same origin with JSON passes the guard (404: no test is running).
    const same = await t.request('POST', '/api/admin/ab-tests/current/stop', { cookie: adminCookie });
    expect(same.status).toBe(404);
    const bearer = await t.request('POST', '/api/admin/ab-tests/current/stop', {
      token: adminToken,
      headers: { origin: 'https://evil.example', 'content-type': 'text/plain' },
    });
    expect(bearer.status).toBe(404);
  });

  it('sets Secure behind a trusted TLS proxy, and a bearer sign-out revokes the token', async () => {
    const r = await t.request('POST', '/api/auth/sign-up', {
      body: { username: 'proxied', password: 'a-sound-passphrase' },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(r.headers.get('set-cookie')).toContain('Secure');
    const token = (r.headers.get('set-cookie') ?? '').split(';')[0]!.split('=')[1]!;
    expect((await t.request('GET', '/api/auth/me', { token })).json).toMatchObject({ kind: 'user' });
    expect((await t.request('POST', '/api/auth/sign-out', { token })).status).toBe(204);
    expect((await t.request('GET', '/api/auth/me', { token })).status).toBe(401);
  });

  it('puts security headers on JSON, SVG and error answers', async () => {
    const answers = [
      await t.request('GET', '/api/genres'),
      await t.request('GET', '/api/admin/charts/alias-history', { token: adminToken }),
      await t.request('GET', '/api/no-such-route'),
    ];
    for (const r of answers) {
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('referrer-policy')).toBe('same-origin');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
  });
});

describe('health, readiness and damaged artifacts', () => {
  let t: TestServer;
  let v1: number;
  let v2: number;
  beforeAll(async () => {
    t = await startTestServer();
    await generateSmallWorld(t.db);
    v1 = await trainVersion(t.db, 'baseline', { seed: 1 });
    v2 = await trainVersion(t.db, 'baseline', { seed: 2, activate: false });
  });
  afterAll(() => t.close());

  const damage = async (version: number) => {
    const row = await t.db.get<{ artifact: Uint8Array }>(
      'SELECT artifact FROM model_versions WHERE version = ?',
      [version],
    );
    const bytes = Uint8Array.from(row!.artifact);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await t.db.run('UPDATE model_versions SET artifact = ? WHERE version = ?', [bytes, version]);
  };

  it('is ready with a loadable champion; refuses a damaged version over HTTP (409) and in the CLI (non-zero)', async () => {
    const ready = await t.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({
      status: 'ready',
      checks: { database: 'ok', champion: `ok (v${v1})` },
    });
    await damage(v2);
    const activate = await t.request('POST', `/api/admin/versions/${v2}/activate`, { token: adminToken });
    expect(activate.status).toBe(409);
    expect(errorMessage(activate.json)).toContain('damaged');
    const cli = await runCliInProcess(['versions', 'activate', String(v2), '--db', t.testDb.location]);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('damaged');
    const check = await runCliInProcess(['db', 'check', '--db', t.testDb.location]);
    expect(check.code).not.toBe(0);
    expect(check.stdout + check.stderr).toContain(`v${v2} damaged`);
  });

  it('after a restart with a damaged champion, /readyz is 503 with the reason while /healthz stays 200', async () => {
    await damage(v1);
    // A restarted process: a new connection, so nothing is cached.
    const db = await openDatabase(t.testDb.location);
    const restarted = createApp({ db, config: testConfig(), adminToken, webDist: null });
    try {
      const ready = await restarted.app.request('/readyz');
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { status: string; checks: { champion: string } };
      expect(body.status).toBe('not ready');
      expect(body.checks.champion).toContain('damaged');
      expect((await restarted.app.request('/healthz')).status).toBe(200);
    } finally {
      await restarted.close();
      await db.close();
    }
  });
});
