import { Command, CommanderError } from 'commander';
import { MovieNightError } from '../errors.ts';
import { commandRegistrations } from './commands/index.ts';

export function buildProgram(): Command {
  const program = new Command('movienight')
    .description('Movie recommendations that keep themselves accurate.')
    .option(
      '--db <path|url>',
      'SQLite file or postgres:// URL (default: $MOVIENIGHT_DATABASE_URL or ./movies.db)',
    )
    .showHelpAfterError()
    .exitOverride();
  for (const register of commandRegistrations) register(program);
  return program;
}

/** Runs the CLI; returns the exit code. Errors are printed once, here, never as a stack trace. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof MovieNightError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.status >= 500 ? 1 : 2;
    }
    if (isSystemError(error)) {
      // A file or network problem the operator fixes (ENOENT, EACCES…): the message says it all.
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}
