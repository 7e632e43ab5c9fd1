import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Runs one of the scripts/test-*.sh starters and returns the URL it prints last. */
function startWith(script: string): string | undefined {
  const out = execFileSync('bash', [script], { encoding: 'utf8' }).trim().split('\n');
  return out.pop() || undefined;
}

/**
 * Makes sure the PostgreSQL half of the storage tests has a server. `.ci/run` starts one and sets
 * MOVIENIGHT_TEST_PG_URL; on a developer machine we start the same throwaway cluster when we can.
 * Under CI a missing server is an error, never a silent skip.
 */
function ensurePostgres(): void {
  if (process.env.MOVIENIGHT_TEST_PG_URL) return;
  if (existsSync('/usr/lib/postgresql') && process.getuid?.() === 0) {
    try {
      const url = startWith('scripts/test-postgres.sh');
      if (url) process.env.MOVIENIGHT_TEST_PG_URL = url;
      return;
    } catch (error) {
      if (process.env.CI) throw error;
    }
  }
  if (process.env.CI) throw new Error('CI needs PostgreSQL: MOVIENIGHT_TEST_PG_URL is not set');
}

/**
 * The same for the Redis queue tests: `.ci/run` starts Redis and sets MOVIENIGHT_TEST_REDIS_URL; a
 * developer machine with Debian's redis-server gets the same throwaway server on loopback. Without
 * one the Redis suites skip, saying why; under CI that is an error.
 */
function ensureRedis(): void {
  if (process.env.MOVIENIGHT_TEST_REDIS_URL) return;
  if (existsSync('/usr/bin/redis-server')) {
    try {
      const url = startWith('scripts/test-redis.sh');
      if (url) process.env.MOVIENIGHT_TEST_REDIS_URL = url;
      return;
    } catch (error) {
      if (process.env.CI) throw error;
    }
  }
  if (process.env.CI) throw new Error('CI needs Redis: MOVIENIGHT_TEST_REDIS_URL is not set');
}

export default function setup(): void {
  ensurePostgres();
  ensureRedis();
}
