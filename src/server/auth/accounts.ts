import type { Database } from '../../db/database.ts';
import { ConflictError } from '../../errors.ts';
import { hashPassword, verifyPassword } from './password-hash.ts';

/** A signed-up person. `userId` is their row in `users`: what their ratings are recorded under. */
export interface Account {
  readonly id: number;
  readonly username: string;
  readonly userId: number;
  readonly createdAt: number;
}

interface AccountRow {
  id: number;
  username: string;
  user_id: number;
  password_hash: string;
  created_at: number | string;
}

const toAccount = (r: AccountRow): Account => ({
  id: Number(r.id),
  username: r.username,
  userId: Number(r.user_id),
  createdAt: Number(r.created_at),
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
    if (db.dialect === 'postgres') await tx.run('LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE');
    const taken = await tx.get('SELECT id FROM accounts WHERE username = ?', [key]);
    if (taken) throw new ConflictError(`username ${JSON.stringify(username)} is already taken`);
    const user = await tx.get<{ id: number }>(
      'INSERT INTO users (id, created_at) VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM users), ?) RETURNING id',
      [now],
    );
    const row = await tx.get<AccountRow>(
      `INSERT INTO accounts (username, password_hash, user_id, is_admin, created_at) VALUES (?, ?, ?, 0, ?)
       RETURNING id, username, user_id, password_hash, created_at`,
      [key, passwordHash, Number(user?.id), now],
    );
    if (!row) throw new Error('account insert returned no row');
    return toAccount(row);
  });
}

/** The account when `password` is right, else undefined (same answer for an unknown username). */
export async function checkCredentials(
  db: Database,
  username: string,
  password: string,
): Promise<Account | undefined> {
  const row = await db.get<AccountRow>(
    'SELECT id, username, user_id, password_hash, created_at FROM accounts WHERE username = ?',
    [username.toLowerCase()],
  );
  if (!row) {
    // Hash anyway, so that an unknown username takes as long as a wrong password.
    dummyHash ??= await hashPassword('x');
    await verifyPassword(password, dummyHash);
    return undefined;
  }
  return (await verifyPassword(password, row.password_hash)) ? toAccount(row) : undefined;
}

let dummyHash: string | undefined;

export async function findAccountByUserId(db: Database, userId: number): Promise<Account | undefined> {
  const row = await db.get<AccountRow>(
    'SELECT id, username, user_id, password_hash, created_at FROM accounts WHERE user_id = ?',
    [userId],
  );
  return row ? toAccount(row) : undefined;
}
