import { InvalidInputError } from '../errors.ts';

/** Which store carries the jobs: Redis, or PostgreSQL through BullMQ's PostgreSQL backend. */
export type QueueBackendKind = 'redis' | 'postgres';

/** A parsed queue setting. */
export interface QueueUrl {
  readonly backend: QueueBackendKind;
  /** The URL as given (with its password): what the connection uses. */
  readonly url: string;
  /** The URL with the password removed: what status pages show. */
  readonly display: string;
}

/** Parses `redis://…`, `rediss://…` or `postgres(ql)://…`; anything else is a clear error. */
export function parseQueueUrl(raw: string): QueueUrl {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new InvalidInputError(`queue URL must be redis://… or postgres://…, got ${JSON.stringify(raw)}`);
  }
  const protocol = parsed.protocol.replace(/:$/, '');
  const backend: QueueBackendKind | null =
    protocol === 'redis' || protocol === 'rediss'
      ? 'redis'
      : protocol === 'postgres' || protocol === 'postgresql'
        ? 'postgres'
        : null;
  if (!backend)
    throw new InvalidInputError(
      `queue URL must be redis://… or postgres://…, got a ${protocol}:// URL (${JSON.stringify(raw)})`,
    );
  return { backend, url: raw, display: withoutPassword(parsed) };
}

function withoutPassword(url: URL): string {
  if (!url.password) return url.toString();
  const copy = new URL(url.toString());
  copy.password = '***';
  return copy.toString();
}

/**
 * A queue is shared by processes on several machines, so the database they record into must be
 * shared too: a PostgreSQL URL, not a SQLite file (or memory) that only one machine sees.
 */
export function requireSharedDatabase(queue: QueueUrl, databaseLocation: string): void {
  if (/^postgres(ql)?:\/\//.test(databaseLocation)) return;
  throw new InvalidInputError(
    `a job queue (${queue.display}) needs a PostgreSQL database that every worker can reach, but the database is ${databaseLocation}; pass --db postgres://… or drop --queue`,
  );
}

/** The configured queue for status pages: its URL without the password, or null when none is set. */
export function configuredQueueDisplay(config: { readonly queueUrl?: string | undefined }): string | null {
  if (config.queueUrl === undefined || config.queueUrl === '') return null;
  return parseQueueUrl(config.queueUrl).display;
}
