import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TestDatabase } from '../../../test/helpers/databases.ts';
import type { AccountStore } from './account-store.ts';

/**
 * The contract every AccountStore passes on SQLite and PostgreSQL: new users numbered above every
 * existing one, sessions joined to their accounts, settings stored once, and a failure counter per
 * (username, address).
 */
export function runAccountStoreContract(
  make: (t: TestDatabase) => AccountStore,
  create: () => Promise<TestDatabase>,
): void {
  let t: TestDatabase;
  let store: AccountStore;
  beforeEach(async () => {
    t = await create();
    store = make(t);
    await t.db.insertMany('users', ['id', 'created_at'], [[41, 0]]);
  });
  afterEach(async () => t.drop());

  it('creates accounts on new users above every existing user id, and finds them', async () => {
    const a = await store.insertAccountWithNewUser('ann', 'hash-a', 1000);
    const b = await store.insertAccountWithNewUser('bob', 'hash-b', 2000);
    expect(a).toMatchObject({ username: 'ann', userId: 42, passwordHash: 'hash-a', createdAt: 1000 });
    expect(b.userId).toBe(43);
    expect(await store.findAccountByUsername('bob')).toEqual(b);
    expect(await store.findAccountByUserId(42)).toEqual(a);
    expect(await store.findAccountByUsername('carol')).toBeUndefined();
    await expect(store.insertAccountWithNewUser('ann', 'x', 3000)).rejects.toThrow();
  });

  it('keeps sessions with their account, or as admin sessions, and deletes expired ones', async () => {
    const a = await store.insertAccountWithNewUser('ann', 'hash-a', 1000);
    await store.insertSession('t-user', a.id, 1000, 5000);
    await store.insertSession('t-admin', null, 1000, 9000);
    expect(await store.findSession('t-user')).toEqual({
      accountId: a.id,
      isAdmin: false,
      expiresAt: 5000,
      userId: 42,
      username: 'ann',
    });
    expect(await store.findSession('t-admin')).toMatchObject({
      accountId: null,
      isAdmin: true,
      userId: null,
    });
    expect(await store.deleteExpiredSessions(5000)).toBe(1);
    expect(await store.findSession('t-user')).toBeUndefined();
    await store.deleteSession('t-admin');
    expect(await store.findSession('t-admin')).toBeUndefined();
  });

  it('stores a setting once: the first value stays', async () => {
    expect(await store.settingInsertedOnce('admin_token', 'first', 1)).toBe('first');
    expect(await store.settingInsertedOnce('admin_token', 'second', 2)).toBe('first');
  });

  it('counts sign-in failures per username and address, and clears them', async () => {
    expect(await store.signInFailures('ann', '1.2.3.4')).toBeUndefined();
    await store.recordSignInFailure('ann', '1.2.3.4', 100);
    await store.recordSignInFailure('ann', '1.2.3.4', 200);
    await store.recordSignInFailure('ann', '5.6.7.8', 300);
    expect(await store.signInFailures('ann', '1.2.3.4')).toEqual({ failures: 2, lastFailureAt: 200 });
    await store.clearSignInFailures('ann', '1.2.3.4');
    expect(await store.signInFailures('ann', '1.2.3.4')).toBeUndefined();
    expect(await store.signInFailures('ann', '5.6.7.8')).toEqual({ failures: 1, lastFailureAt: 300 });
  });
}
