import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TestDatabase } from '../../../test/helpers/databases.ts';
import type { AccountStore } from './account-store.ts';

/**
 * The contract every AccountStore passes on SQLite and PostgreSQL: new users numbered above every
 * existing one, sessions joined to their accounts, settings stored once, and sign-in attempts per
 * (username, address) with the addresses an account signed in from.
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

  it('counts sign-in attempts per username and address, sums recent ones, and remembers addresses', async () => {
    await t.db.transaction(async (tx) => {
      expect(await make({ ...t, db: tx as typeof t.db }).lockSignInAttempts('ann', '1.2.3.4', 100)).toEqual({
        attempts: 0,
        lastAttemptAt: 100,
      });
    });
    await store.setSignInAttempts('ann', '1.2.3.4', 2, 200);
    await store.lockSignInAttempts('ann', '5.6.7.8', 300);
    await store.setSignInAttempts('ann', '5.6.7.8', 1, 300);
    expect(await store.lockSignInAttempts('ann', '1.2.3.4', 400)).toEqual({
      attempts: 2,
      lastAttemptAt: 200,
    });
    expect(await store.recentSignInAttempts('ann', 200)).toBe(3);
    expect(await store.recentSignInAttempts('ann', 250)).toBe(1);
    await store.clearSignInAttempts('ann', '1.2.3.4');
    expect(await store.recentSignInAttempts('ann', 0)).toBe(1);
    expect(await store.isKnownAddress('ann', '1.2.3.4')).toBe(false);
    await store.rememberAddress('ann', '1.2.3.4', 500);
    await store.rememberAddress('ann', '1.2.3.4', 600);
    expect(await store.isKnownAddress('ann', '1.2.3.4')).toBe(true);
  });
}
