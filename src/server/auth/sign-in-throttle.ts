import type { Database } from '../../db/database.ts';
import { MovieNightError } from '../../errors.ts';
import { SqlAccountStore } from './account-store.ts';

/**
 * Slows down password guessing. Every attempt is counted, in one transaction per attempt, before
 * the password is checked, so guesses sent in parallel are counted one by one and all but the
 * free ones wait. Per (username, address) pair: `freeAttempts` tries, then each further one must
 * come 2^(extra attempts) × `baseDelayMs` after the previous, capped at `maxDelayMs`; a success
 * clears the pair. Backing off per pair means guesses from one address do not lock the owner out
 * at another. Across all addresses, once `accountCeiling` attempts on one account fall within an
 * hour, only addresses the account has signed in from before may try: a guesser with many
 * addresses is stopped, the owner at a known address is not. The state is in the database, so a
 * restart does not reset it and several server processes share it.
 */
export interface ThrottleOptions {
  readonly freeAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Attempts on one account per hour, from all addresses, before unknown addresses are refused. */
  readonly accountCeiling: number;
}

export const defaultThrottle: ThrottleOptions = {
  freeAttempts: 3,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  accountCeiling: 100,
};

const hourMs = 3_600_000;

export class TooManyAttemptsError extends MovieNightError {
  readonly retryAfterSeconds: number;
  constructor(username: string, retryAfterMs: number, why = 'too many sign-in attempts') {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super(`${why} for ${JSON.stringify(username)}; try again in ${seconds} s`, 'too_many_attempts', 429);
    this.retryAfterSeconds = seconds;
  }
}

/** How long after the previous attempt the pair's next one may come, having made `attempts`. */
function delayAfter(attempts: number, options: ThrottleOptions): number {
  const extra = attempts - options.freeAttempts;
  if (extra < 0) return 0;
  return Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** extra);
}

/**
 * Counts one sign-in attempt for the pair, or throws TooManyAttemptsError (counting nothing)
 * while the pair must wait or the account is over its ceiling for this address.
 */
export async function reserveSignInAttempt(
  db: Database,
  username: string,
  address: string,
  now = Date.now(),
  options = defaultThrottle,
): Promise<void> {
  const name = username.toLowerCase();
  await db.transaction(async (tx) => {
    const store = new SqlAccountStore(tx);
    const pair = await store.lockSignInAttempts(name, address, now);
    const waitUntil = pair.lastAttemptAt + delayAfter(pair.attempts, options);
    if (pair.attempts > 0 && now < waitUntil) throw new TooManyAttemptsError(username, waitUntil - now);
    const recent = await store.recentSignInAttempts(name, now - hourMs);
    if (recent >= options.accountCeiling && !(await store.isKnownAddress(name, address))) {
      throw new TooManyAttemptsError(username, hourMs / 4, 'too many sign-in attempts from everywhere');
    }
    await store.setSignInAttempts(name, address, pair.attempts + 1, now);
  });
}

/** After a right password: clears the pair and remembers the address as the account's own. */
export async function signInSucceeded(db: Database, username: string, address: string, now = Date.now()) {
  const name = username.toLowerCase();
  await db.transaction(async (tx) => {
    const store = new SqlAccountStore(tx);
    await store.clearSignInAttempts(name, address);
    await store.rememberAddress(name, address, now);
  });
}
