import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe } from 'vitest';
import { postgresUrl } from './databases.ts';

/** One queue backend the suites run on. */
export interface QueueKind {
  readonly name: 'redis' | 'postgres';
  /** The queue URL for a test whose database is at `databaseLocation` (a PostgreSQL URL). */
  url(databaseLocation: string): string;
}

export const redisUrl = process.env.MOVIENIGHT_TEST_REDIS_URL;

/** BullMQ's Redis backend loads `ioredis`; without it a Redis suite cannot run at all. */
function ioredisMissing(): boolean {
  try {
    createRequire(createRequire(import.meta.url).resolve('bullmq')).resolve('ioredis');
    return false;
  } catch {
    return true;
  }
}

/** Redis: the test Redis; each test names its queues with a prefix of its own (`queuePrefix`). */
export const redisQueueKind: QueueKind = {
  name: 'redis',
  url() {
    if (!redisUrl) throw new Error('MOVIENIGHT_TEST_REDIS_URL is not set');
    return redisUrl;
  },
};

/** PostgreSQL: the test's own throwaway database carries its queue too (BullMQ's own schema). */
export const postgresQueueKind: QueueKind = {
  name: 'postgres',
  url: (databaseLocation) => databaseLocation,
};

/** A queue prefix no other test uses (queues of parallel test files never meet). */
export function queuePrefix(): string {
  return `mn_test_${randomBytes(5).toString('hex')}`;
}

function redisSkipReason(): string | null {
  if (!redisUrl) return 'MOVIENIGHT_TEST_REDIS_URL not set';
  if (ioredisMissing()) return 'the ioredis package, which BullMQ loads for Redis, is not installed';
  return null;
}

/**
 * Runs a suite once per queue backend, both over PostgreSQL databases. A backend is skipped (and
 * says why) only when its server URL is unknown or its client package is missing.
 */
export function describeEachQueue(title: string, suite: (kind: QueueKind) => void): void {
  const redisSkip = redisSkipReason();
  describe.skipIf(redisSkip !== null || !postgresUrl)(
    `${title} [redis queue]${redisSkip ? ` (skipped: ${redisSkip})` : ''}`,
    () => suite(redisQueueKind),
  );
  describe.skipIf(!postgresUrl)(
    `${title} [postgres queue]${postgresUrl ? '' : ' (skipped: MOVIENIGHT_TEST_PG_URL not set)'}`,
    () => suite(postgresQueueKind),
  );
}
