import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, errorMessage, insertCatalog, startTestServer, type TestServer } from './test-server.ts';

describe('auth API', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await insertCatalog(t.db);
    // An imported user: a new account must get an id above it.
    await t.db.run('INSERT INTO users (id, created_at) VALUES (610, 0)');
  });
  afterAll(() => t.close());

  it('signs up with a new user id above imported ones, an HttpOnly SameSite=Lax cookie, and a hashed password', async () => {
    const r = await t.request('POST', '/api/auth/sign-up', {
      body: { username: 'Alice', password: 'wonderland-rabbit' },
    });
    expect(r.status).toBe(201);
    expect(r.json).toEqual({ kind: 'user', userId: 611, username: 'alice' });
    const cookie = r.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^mn_session=[\w-]{40,};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).not.toContain('Secure'); // plain http here
    const stored = await t.db.get<{ password_hash: string }>(
      'SELECT password_hash FROM accounts WHERE username = ?',
      ['alice'],
    );
    expect(stored?.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(stored?.password_hash).not.toContain('wonderland-rabbit');
    const token = cookie.split(';')[0]!.split('=')[1]!;
    const session = await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM sessions WHERE token_hash = ?', [
      token,
    ]);
    expect(Number(session?.n)).toBe(0); // only the hash is stored
    const me = await t.request('GET', '/api/auth/me', { cookie: cookie.split(';')[0] });
    expect(me.json).toEqual({ kind: 'user', userId: 611, username: 'alice' });
  });

  it('sets Secure on the cookie over https', async () => {
    const response = await t.server.app.request('https://movienight.example/api/auth/sign-up', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'secure-sam', password: 'wonderland-rabbit' }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('set-cookie')).toContain('Secure');
  });

  it('refuses a taken username (any case) and bad fields, naming them, without writing', async () => {
    const users = async () => Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM users'))?.n);
    const before = await users();
    const taken = await t.request('POST', '/api/auth/sign-up', {
      body: { username: 'ALICE', password: 'whatever-it-takes' },
    });
    expect(taken.status).toBe(409);
    expect(errorMessage(taken.json)).toContain('already taken');
    const short = await t.request('POST', '/api/auth/sign-up', {
      body: { username: 'bob', password: 'short' },
    });
    expect(short.status).toBe(400);
    expect(errorMessage(short.json)).toContain('body.password');
    const badName = await t.request('POST', '/api/auth/sign-up', {
      body: { username: 'b o b', password: 'long enough, surely' },
    });
    expect(badName.status).toBe(400);
    expect(errorMessage(badName.json)).toContain('body.username');
    const extra = await t.request('POST', '/api/auth/sign-up', {
      body: { username: 'bobby', password: 'long enough, surely', admin: true },
    });
    expect(extra.status).toBe(400);
    expect(errorMessage(extra.json)).toContain('admin');
    const notJson = await t.request('POST', '/api/auth/sign-up', { rawBody: '{"username":' });
    expect(notJson.status).toBe(400);
    expect(errorMessage(notJson.json)).toContain('body: not valid JSON');
    const wrongType = await t.request('POST', '/api/auth/sign-up', {
      rawBody: 'x',
      contentType: 'text/plain',
    });
    expect(wrongType.status).toBe(400);
    expect(errorMessage(wrongType.json)).toContain('content-type');
    expect(await users()).toBe(before);
  });

  it('signs in and out', async () => {
    const bad = await t.request('POST', '/api/auth/sign-in', {
      body: { username: 'alice', password: 'nope' },
    });
    expect(bad.status).toBe(401);
    const good = await t.request('POST', '/api/auth/sign-in', {
      body: { username: 'alice', password: 'wonderland-rabbit' },
    });
    expect(good.status).toBe(200);
    const cookie = (good.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect((await t.request('GET', '/api/me/ratings', { cookie })).status).toBe(200);
    expect((await t.request('POST', '/api/auth/sign-out', { cookie })).status).toBe(204);
    expect((await t.request('GET', '/api/me/ratings', { cookie })).status).toBe(401);
  });

  it('slows down repeated failed sign-ins (429 with Retry-After, even with the right password)', async () => {
    await t.signUp('carol', 'carol-sings-loudly');
    for (let i = 0; i < 3; i++) {
      const r = await t.request('POST', '/api/auth/sign-in', {
        body: { username: 'carol', password: `wrong${i}` },
      });
      expect(r.status).toBe(401);
    }
    // From the fourth attempt on, the pair must wait, whatever the password.
    const locked = await t.request('POST', '/api/auth/sign-in', {
      body: { username: 'carol', password: 'carol-sings-loudly' },
    });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(errorMessage(locked.json)).toContain('too many sign-in attempts');
    // Another username from the same address is not affected.
    expect(
      (
        await t.request('POST', '/api/auth/sign-in', {
          body: { username: 'alice', password: 'wonderland-rabbit' },
        })
      ).status,
    ).toBe(200);
  });

  it('admin routes: 401 without credentials, 403 with a user session, 200 with the token or an admin session', async () => {
    const { cookie } = await t.signUp('dave');
    expect((await t.request('GET', '/api/admin/status')).status).toBe(401);
    expect((await t.request('GET', '/api/admin/status', { cookie })).status).toBe(403);
    expect((await t.request('GET', '/api/admin/status', { token: 'wrong' })).status).toBe(401);
    expect((await t.request('GET', '/api/admin/status', { token: adminToken })).status).toBe(200);
    const wrong = await t.request('POST', '/api/admin/sign-in', { body: { token: 'nope' } });
    expect(wrong.status).toBe(401);
    const signIn = await t.request('POST', '/api/admin/sign-in', { body: { token: adminToken } });
    expect(signIn.status).toBe(200);
    const adminCookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect((await t.request('GET', '/api/admin/status', { cookie: adminCookie })).status).toBe(200);
    expect((await t.request('GET', '/api/auth/me', { cookie: adminCookie })).json).toEqual({ kind: 'admin' });
    // The admin is not a user: user routes refuse it.
    expect(
      (await t.request('POST', '/api/ratings', { cookie: adminCookie, body: { movieId: 1, rating: 4 } }))
        .status,
    ).toBe(403);
  });

  it('refuses an expired session', async () => {
    const { cookie } = await t.signUp('erin');
    await t.db.run('UPDATE sessions SET expires_at = 1');
    expect((await t.request('GET', '/api/me/ratings', { cookie })).status).toBe(401);
  });
});
