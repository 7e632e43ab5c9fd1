import { afterEach, beforeEach, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.ts';
import { checkCredentials, createAccount } from '../../src/server/auth/accounts.ts';
import { resolveAdminToken } from '../../src/server/auth/admin-token.ts';
import { createSession, deleteExpiredSessions, findSession } from '../../src/server/auth/sessions.ts';
import {
  defaultThrottle,
  reserveSignInAttempt,
  signInSucceeded,
} from '../../src/server/auth/sign-in-throttle.ts';
import { describeEachDatabase, type TestDatabase } from '../helpers/databases.ts';

describeEachDatabase('auth storage', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await kind.create();
  });
  afterEach(() => t.drop());

  it('gives concurrent sign-ups distinct user ids above the imported ones, and refuses a taken name', async () => {
    await t.db.run('INSERT INTO users (id, created_at) VALUES (41, 0)');
    const accounts = await Promise.all(
      ['a1', 'a2', 'a3', 'a4'].map((u) => createAccount(t.db, u, 'password-123')),
    );
    expect(accounts.map((a) => a.userId).sort()).toEqual([42, 43, 44, 45]);
    await expect(createAccount(t.db, 'A1', 'password-123')).rejects.toBeInstanceOf(ConflictError);
    const users = await t.db.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM users');
    expect(Number(users?.n)).toBe(5); // the refused sign-up left no user behind
    expect((await checkCredentials(t.db, 'a2', 'password-123'))?.userId).toBe(accounts[1]!.userId);
    expect(await checkCredentials(t.db, 'a2', 'wrong-password')).toBeUndefined();
    expect(await checkCredentials(t.db, 'nobody', 'password-123')).toBeUndefined();
  });

  it('finds a session by its token until it expires', async () => {
    const account = await createAccount(t.db, 'sess', 'password-123', 1000);
    const { token } = await createSession(t.db, account.id, 1000, 5000);
    expect(await findSession(t.db, token, 2000)).toEqual({
      kind: 'user',
      accountId: account.id,
      userId: account.userId,
      username: 'sess',
    });
    expect(await findSession(t.db, token, 7000)).toEqual({ kind: 'anonymous' });
    const admin = await createSession(t.db, null, 1000, 5000);
    expect(await findSession(t.db, admin.token, 2000)).toEqual({ kind: 'admin', via: 'session' });
    expect(await deleteExpiredSessions(t.db, 7000)).toBe(2);
  });

  it('keeps a generated admin token across restarts; the environment wins', async () => {
    const first = await resolveAdminToken(t.db, {});
    expect(first.source).toBe('database');
    expect(first.token.length).toBeGreaterThanOrEqual(32);
    expect(await resolveAdminToken(t.db, {})).toEqual(first);
    expect(await resolveAdminToken(t.db, { MOVIENIGHT_ADMIN_TOKEN: 'from-env' })).toEqual({
      token: 'from-env',
      source: 'environment',
    });
  });

  it('backs off after three attempts per username and address, doubling, and forgets on success', async () => {
    for (let i = 0; i < 3; i++) await reserveSignInAttempt(t.db, 'Eve', '10.0.0.1', 1000);
    await expect(reserveSignInAttempt(t.db, 'eve', '10.0.0.1', 1500)).rejects.toMatchObject({ status: 429 });
    await reserveSignInAttempt(t.db, 'eve', '10.0.0.1', 2001); // 1 s after the third attempt
    await reserveSignInAttempt(t.db, 'eve', '10.0.0.2', 1500); // another address
    await expect(reserveSignInAttempt(t.db, 'eve', '10.0.0.1', 3000)).rejects.toMatchObject({
      retryAfterSeconds: 2,
    });
    await reserveSignInAttempt(t.db, 'eve', '10.0.0.1', 4001); // 2 s after the fourth
    await signInSucceeded(t.db, 'EVE', '10.0.0.1', 4002);
    for (let i = 0; i < 3; i++) await reserveSignInAttempt(t.db, 'eve', '10.0.0.1', 5002);
  });

  it('counts 40 parallel attempts one by one: only the three free ones go through', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, () => reserveSignInAttempt(t.db, 'mallory', '10.0.0.9', 1000)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(37);
  });

  it('caps attempts on one account from every address, letting its known addresses through', async () => {
    const throttle = { ...defaultThrottle, accountCeiling: 5 };
    await signInSucceeded(t.db, 'owen', 'home', 500);
    for (let i = 0; i < 5; i++) await reserveSignInAttempt(t.db, 'owen', `10.1.0.${i}`, 1000, throttle);
    await expect(reserveSignInAttempt(t.db, 'owen', '10.2.0.1', 1000, throttle)).rejects.toMatchObject({
      status: 429,
    });
    await reserveSignInAttempt(t.db, 'owen', 'home', 1000, throttle); // the owner's own address
    await reserveSignInAttempt(t.db, 'owen', '10.2.0.1', 1000 + 3_600_001, throttle); // an hour on
  });
});
