import { type Command, InvalidArgumentError } from 'commander';
import type { z } from 'zod';
import { loadConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import { defaultDatabaseLocation, openDatabase } from '../db/open-database.ts';
import { InvalidInputError } from '../errors.ts';
import { choiceInput, numberFromText, numberInput, wholeNumberInput } from '../input-schemas.ts';
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

/**
 * A commander parser for one flag's value, checked by a zod schema (shared with the HTTP layer
 * where the two take the same input, see src/input-schemas.ts). `number` flags turn their text
 * into a number first. A bad value is a usage error naming the flag, the rule and the value.
 */
export function schemaOption<T>(name: string, schema: z.ZodType<T>, text: 'number' | 'string' = 'string') {
  return (value: string): T => {
    const result = schema.safeParse(text === 'number' ? numberFromText(value) : value);
    if (result.success) return result.data;
    const why = result.error.issues[0]?.message ?? 'is not valid';
    throw new InvalidArgumentError(`${name} ${why}, got ${JSON.stringify(value)}`);
  };
}

/** A number flag within inclusive bounds. */
export function numberOption(name: string, min?: number, max?: number) {
  return schemaOption(name, numberInput({ min, max }), 'number');
}

/** A whole-number flag within inclusive bounds. */
export function integerOption(name: string, min?: number, max?: number) {
  return schemaOption(name, wholeNumberInput({ min, max }), 'number');
}

/** A flag that takes one of a fixed list of names. */
export function choiceOption<const T extends readonly [string, ...string[]]>(name: string, choices: T) {
  return schemaOption(name, choiceInput(choices));
}

/**
 * Refuses the global `--db` for a command that does not use the program's database (a global
 * option a command cannot honour is an error, not silently ignored). `why` says what it does instead.
 */
export function refuseDatabaseOption(command: Command, why: string): void {
  if (command.optsWithGlobals<GlobalOptions>().db !== undefined) {
    throw new InvalidInputError(`${command.name()} does not use --db: ${why}`);
  }
}
