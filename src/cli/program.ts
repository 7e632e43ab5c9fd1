import { Command, CommanderError } from 'commander';
import { MovieNightError } from '../errors.ts';
import { commandRegistrations } from './commands/index.ts';

/** How `buildProgram` writes commander's own messages (usage errors, help after an error). */
export interface ProgramOutput {
  /** Receives commander's error text instead of stderr (used by `--json`, which prints JSON instead). */
  readonly onError?: (text: string) => void;
}

export function buildProgram(output: ProgramOutput = {}): Command {
  const program = new Command('movienight')
    .description('Movie recommendations that keep themselves accurate.')
    .option(
      '--db <path|url>',
      'SQLite file or postgres:// URL (default: $MOVIENIGHT_DATABASE_URL or ./movies.db)',
    )
    .showHelpAfterError()
    .exitOverride();
  // Before the commands are added: subcommands copy these settings when they are created.
  if (output.onError) program.configureOutput({ writeErr: output.onError });
  for (const register of commandRegistrations) register(program);
  return program;
}

/** The exit codes, as docs/cli.md documents them. */
export const exitCodes = {
  /** The command did what it was asked. */
  done: 0,
  /** It started but failed: a step, the database, the network, a bug. */
  failed: 1,
  /** It was asked wrongly: an unknown command or flag, a bad value, or a request the data refuses. */
  usage: 2,
} as const;

/** An error's exit code and the record `--json` prints for it. */
function classify(error: unknown): { code: number; record: { code: string; message: string } } {
  if (error instanceof CommanderError) {
    const code = error.exitCode === 0 ? exitCodes.done : exitCodes.usage;
    return { code, record: { code: error.code, message: error.message.replace(/^error: /, '') } };
  }
  if (error instanceof MovieNightError) {
    const code = error.status >= 500 ? exitCodes.failed : exitCodes.usage;
    return { code, record: { code: error.code, message: error.message } };
  }
  // A system error (ECONNREFUSED, ENOENT…) is the environment's, not a bug: its message says it all.
  const system = (error as NodeJS.ErrnoException)?.code;
  if (typeof system === 'string' && /^E[A-Z]+$/.test(system)) {
    return { code: exitCodes.failed, record: { code: system, message: (error as Error).message } };
  }
  const message = (error as Error)?.stack ?? String(error);
  return { code: exitCodes.failed, record: { code: 'internal', message } };
}

/** True when the command line asks for JSON output (before a `--` that ends the options). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Runs the CLI; returns the exit code (0 done, 1 failed, 2 usage). Errors are printed once, here,
 * never as a stack trace for a known kind; with `--json` as one JSON object on stderr
 * (`{"error":{"code","message","exitCode"}}`), so a program reading the output never parses prose.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const json = wantsJson(argv);
  let commanderPrinted = false;
  const program = buildProgram({
    onError: (text) => {
      commanderPrinted = true;
      if (!json) process.stderr.write(text);
    },
  });
  try {
    await program.parseAsync(argv as string[]);
    return exitCodes.done;
  } catch (error) {
    const { code, record } = classify(error);
    if (json && code !== exitCodes.done) {
      process.stderr.write(`${JSON.stringify({ error: { ...record, exitCode: code } })}\n`);
    } else if (!(error instanceof CommanderError && commanderPrinted) && code !== exitCodes.done) {
      // Commander prints its own parse errors; a flag check thrown inside an action is printed here.
      process.stderr.write(`error: ${record.message}\n`);
    }
    return code;
  }
}
