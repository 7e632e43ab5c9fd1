import type { Database, Queryable } from '../../db/database.ts';
import { ConflictError } from '../../errors.ts';
import { SqlAccountStore, type StoredAccount } from './account-store.ts';
import { hashPassword, verifyPassword } from './password-hash.ts';

/** A signed-up person. `userId` is their row in `users`: what their ratings are recorded under. */
export interface Account {
  readonly id: number;
  readonly username: string;
  readonly userId: number;
  readonly createdAt: number;
}

const toAccount = (r: StoredAccount): Account => ({
  id: r.id,
  username: r.username,
  userId: r.userId,
  createdAt: r.createdAt,
});

/**
 * Creates an account and its user. The new user id is one above every existing user id (imported
 * ones included), taken inside the write transaction so two sign-ups cannot get the same id.
 * The password is hashed before the transaction: scrypt is slow on purpose, and the write lock
 * must not be held while it runs.
 */
export async function createAccount(
  db: Database,
  username: string,
  password: string,
  now = Date.now(),
): Promise<Account> {
  const passwordHash = await hashPassword(password);
  const key = username.toLowerCase();
  return db.transaction(async (tx) => {
    await tx.lockTable('users');
    const store = new SqlAccountStore(tx);
    if (await store.findAccountByUsername(key)) {
      throw new ConflictError(`username ${JSON.stringify(username)} is already taken`);
    }
    return toAccount(await store.insertAccountWithNewUser(key, passwordHash, now));
  });
}

/** The account when `password` is right, else undefined (same answer for an unknown username). */
export async function checkCredentials(
  db: Queryable,
  username: string,
  password: string,
): Promise<Account | undefined> {
  const row = await new SqlAccountStore(db).findAccountByUsername(username.toLowerCase());
  if (!row) {
    // Hash anyway, so that an unknown username takes as long as a wrong password.
    dummyHash ??= await hashPassword('x');
    await verifyPassword(password, dummyHash);
    return undefined;
  }
  return (await verifyPassword(password, row.passwordHash)) ? toAccount(row) : undefined;
}

let dummyHash: string | undefined;

export async function findAccountByUserId(db: Queryable, userId: number): Promise<Account | undefined> {
  const row = await new SqlAccountStore(db).findAccountByUserId(userId);
  return row ? toAccount(row) : undefined;
}
