import type { Queryable } from '../../db/database.ts';
import { MovieNightError } from '../../errors.ts';
import { SqlAccountStore } from './account-store.ts';

/**
 * Slows down password guessing: after `freeAttempts` failures for one (username, address) pair,
 * each further attempt must wait 2^(extra failures) seconds after the last failure, capped at
 * `maxDelayMs`. A success clears the pair. The state is in the database, so a restart does not
 * reset it, and several server processes share it.
 */
export interface ThrottleOptions {
  readonly freeAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultThrottle: ThrottleOptions = {
  freeAttempts: 3,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
};

export class TooManyAttemptsError extends MovieNightError {
  readonly retryAfterSeconds: number;
  constructor(username: string, retryAfterMs: number) {
    const seconds = Math.ceil(retryAfterMs / 1000);
    super(
      `too many failed sign-ins for ${JSON.stringify(username)}; try again in ${seconds} s`,
      'too_many_attempts',
      429,
    );
    this.retryAfterSeconds = seconds;
  }
}

function delayAfter(failures: number, options: ThrottleOptions): number {
  const extra = failures - options.freeAttempts;
  if (extra < 0) return 0;
  return Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** extra);
}

/** Throws TooManyAttemptsError while the pair must still wait. */
export async function checkSignInAllowed(
  db: Queryable,
  username: string,
  address: string,
  now = Date.now(),
  options = defaultThrottle,
): Promise<void> {
  const row = await new SqlAccountStore(db).signInFailures(username.toLowerCase(), address);
  if (!row) return;
  const waitUntil = row.lastFailureAt + delayAfter(row.failures, options);
  if (now < waitUntil) throw new TooManyAttemptsError(username, waitUntil - now);
}

export async function recordSignInFailure(
  db: Queryable,
  username: string,
  address: string,
  now = Date.now(),
): Promise<void> {
  await new SqlAccountStore(db).recordSignInFailure(username.toLowerCase(), address, now);
}

export async function clearSignInFailures(db: Queryable, username: string, address: string): Promise<void> {
  await new SqlAccountStore(db).clearSignInFailures(username.toLowerCase(), address);
}
