import type { Config } from '../config.ts';
import { JobQueue } from './job-queue.ts';
import { parseQueueUrl, requireSharedDatabase } from './queue-url.ts';

/**
 * The queue a command should use: `--queue`, else the configured `queueUrl`; null when neither
 * is set (everything then runs in the process that asked). Refuses a queue over a database only
 * one machine can see.
 */
export async function openConfiguredQueue(
  flag: string | undefined,
  config: Config,
  databaseLocation: string,
): Promise<JobQueue | null> {
  const raw = flag ?? config.queueUrl;
  if (raw === undefined || raw === '') return null;
  const url = parseQueueUrl(raw);
  requireSharedDatabase(url, databaseLocation);
  return JobQueue.open({ url, prefix: config.queuePrefix, lockMs: config.queueLockSeconds * 1000 });
}
