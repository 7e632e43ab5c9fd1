import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import { defaultDatabaseLocation, openDatabase } from '../db/open-database.ts';
import type { JobQueue } from '../queue/job-queue.ts';

/** Options every command inherits from the program. */
export interface GlobalOptions {
  readonly db?: string;
}

/** The database location chosen by `--db`, `MOVIENIGHT_DATABASE_URL`, or ./movies.db. */
export function databaseLocation(command: Command): string {
  const opts = command.optsWithGlobals<GlobalOptions>();
  return opts.db ?? defaultDatabaseLocation();
}

/** Opens the database for one command, and always closes it. */
export async function withDatabase<T>(command: Command, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(databaseLocation(command));
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * Opens the queue of `--queue` (else the configured one) for one command, and always closes it;
 * `fn` gets null when no queue is set.
 */
export async function withQueue<T>(
  flag: string | undefined,
  command: Command,
  fn: (queue: JobQueue | null) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  if ((flag ?? config.queueUrl ?? '') === '') return fn(null);
  // Loaded only when a queue is set: BullMQ is not needed by anything else.
  const { openConfiguredQueue } = await import('../queue/open-queue.ts');
  const queue = await openConfiguredQueue(flag, config, databaseLocation(command));
  try {
    return await fn(queue);
  } finally {
    await queue?.close();
  }
}

/**
 * Prints a command's result: the plain data as JSON with `--json`, otherwise the text rendering.
 * Computation returns plain data; only this decides how it looks.
 */
export function printResult<T>(json: boolean | undefined, data: T, render: (data: T) => string): void {
  if (json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else process.stdout.write(`${render(data)}\n`);
}

/** Parses a numeric flag, naming the flag when it is not a number. */
export function numberOption(name: string, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${name} must be a number${Number.isFinite(min) ? ` ≥ ${min}` : ''}${Number.isFinite(max) ? ` and ≤ ${max}` : ''}, got ${JSON.stringify(value)}`,
      );
    }
    return n;
  };
}

export function integerOption(name: string, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY) {
  const parse = numberOption(name, min, max);
  return (value: string): number => {
    const n = parse(value);
    if (!Number.isInteger(n))
      throw new InvalidArgumentError(`${name} must be a whole number, got ${JSON.stringify(value)}`);
    return n;
  };
}
