import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.ts';
import { runCliInProcess } from './helpers/cli.ts';

/*
 * Every command's exit codes, from one table: a usage error of its own (a bad value, argument or
 * option) exits 2 naming what was wrong, also as JSON on stderr with --json; an unknown flag exits
 * 2; --help exits 0; and every command that uses the database fails with 1 when the database does
 * not answer (the cheap failure all of them share). docs/cli.md documents the codes.
 */

interface CommandCase {
  /** The command path, e.g. `versions show`. */
  readonly command: string;
  /** Arguments that make a well-formed call (used for the failure case). */
  readonly valid: readonly string[];
  /** A call with one bad input of this command's own, and what the message must say. */
  readonly usage: readonly string[];
  readonly says: RegExp;
  /** False for a command that never opens the program's database. */
  readonly usesDatabase?: boolean;
}

const movielens = join(import.meta.dirname, 'fixtures', 'ml-latest-tiny');
const csv = join(import.meta.dirname, 'fixtures', 'ratings-generic.csv');

const cases: readonly CommandCase[] = [
  {
    command: 'import movielens',
    valid: [movielens],
    usage: [movielens, '--encoding', 'klingon'],
    says: /--encoding must be one of auto, utf8, latin1, got "klingon"/,
  },
  {
    command: 'import ratings',
    valid: [csv],
    usage: [csv, '--encoding', 'x'],
    says: /--encoding must be one of auto, utf8, latin1, got "x"/,
  },
  {
    command: 'generate',
    valid: [],
    usage: ['--users', '0'],
    says: /--users must be a whole number ≥ 1, got "0"/,
  },
  { command: 'db schema', valid: [], usage: ['extra'], says: /too many arguments for 'schema'/ },
  { command: 'db check', valid: [], usage: ['extra'], says: /too many arguments for 'check'/ },
  { command: 'db compact', valid: [], usage: ['extra'], says: /too many arguments for 'compact'/ },
  { command: 'demo', valid: [], usage: ['--count', '3'], says: /unknown option '--count'/ },
  {
    command: 'rate',
    valid: ['--user', '1', '--movie', '1', '--rating', '4'],
    usage: ['--user', '1', '--movie', '1', '--rating', 'four'],
    says: /--rating must be a number/,
  },
  { command: 'track check', valid: [], usage: ['--at', 'soon'], says: /--at must be an ISO time/ },
  { command: 'track status', valid: [], usage: ['--at', 'soon'], says: /--at must be an ISO time/ },
  {
    command: 'retrain',
    valid: [],
    usage: ['--trials', '0'],
    says: /--trials must be a whole number ≥ 1, got "0"/,
  },
  {
    command: 'train',
    valid: ['--model', 'baseline'],
    usage: ['--model', 'baseline', '--seed', '1.5'],
    says: /--seed must be a whole number/,
  },
  { command: 'versions list', valid: [], usage: ['--all'], says: /unknown option '--all'/ },
  {
    command: 'versions show',
    valid: ['1'],
    usage: ['one'],
    says: /version must be a whole number, got "one"/,
  },
  { command: 'versions activate', valid: ['1'], usage: ['0'], says: /version must be positive, got "0"/ },
  { command: 'versions rollback', valid: [], usage: ['--to', '1'], says: /unknown option '--to'/ },
  {
    command: 'versions history',
    valid: [],
    usage: ['--limit', '0'],
    says: /--limit must be a whole number ≥ 1/,
  },
  {
    command: 'versions prune',
    valid: ['--keep', '2'],
    usage: ['--keep', '-1'],
    says: /--keep must be a whole number ≥ 0/,
  },
  {
    command: 'ab start',
    valid: ['--challenger', '2'],
    usage: ['--challenger', '2', '--traffic', '1'],
    says: /--traffic must be a number > 0 and < 1, got "1"/,
  },
  { command: 'ab status', valid: [], usage: ['--all'], says: /unknown option '--all'/ },
  { command: 'ab validate', valid: [], usage: ['--force'], says: /unknown option '--force'/ },
  {
    command: 'ab estimate',
    valid: ['--challenger', '2'],
    usage: ['--challenger', 'two'],
    says: /version must be a whole number, got "two"/,
  },
  { command: 'ab stop', valid: [], usage: ['--now'], says: /unknown option '--now'/ },
  {
    command: 'recommend',
    valid: ['--user', '1'],
    usage: ['--user', '1', '--count', '0'],
    says: /--count must be a whole number ≥ 1/,
  },
  {
    command: 'report unexpected',
    valid: [],
    usage: ['--source', 'nope'],
    says: /--source must be one of tracker, ratings/,
  },
  { command: 'report impact', valid: [], usage: ['--k', '0'], says: /--k must be a whole number ≥ 1/ },
  { command: 'report status', valid: [], usage: ['--at', 'x'], says: /--at must be a date/ },
  { command: 'report tuning', valid: [], usage: ['--top', '3'], says: /unknown option '--top'/ },
  {
    command: 'tune',
    valid: ['--method', 'random', '--trials', '1', '--model', 'baseline'],
    usage: ['--method', 'annealing'],
    says: /method must be one of grid, random, bayesian, tpe, got "annealing"/,
  },
  {
    command: 'tune workflow',
    valid: [],
    usage: ['--first', 'bayesian'],
    says: /--first must be random or grid/,
  },
  { command: 'tune review', valid: [], usage: ['--top', '0'], says: /--top must be a whole number ≥ 1/ },
  {
    command: 'evaluate',
    valid: ['--model', 'baseline'],
    usage: ['--model', 'baseline', '--folds', '1'],
    says: /--folds must be a whole number ≥ 2/,
  },
  { command: 'serve', valid: [], usage: ['--port', 'http'], says: /--port must be a whole number/ },
  { command: 'worker', valid: [], usage: ['--threads', '2'], says: /unknown option '--threads'/ },
  {
    command: 'simulate',
    valid: [],
    usage: ['--days', '0'],
    says: /--days must be a whole number ≥ \d+, got "0"/,
    usesDatabase: false,
  },
];

/** Every command that has an action, as its path (`versions show`). */
function commandsWithActions(command: Command, prefix: readonly string[] = []): string[] {
  return command.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    // Commander keeps a command's action in `_actionHandler`; a group without one only shows help.
    const own = (c as unknown as { _actionHandler: unknown })._actionHandler != null;
    return [...(own ? [path.join(' ')] : []), ...commandsWithActions(c, path)];
  });
}

const dir = mkdtempSync(join(tmpdir(), 'movienight-exit-codes-'));
const db = ['--db', join(dir, 'movies.db')];
const unreachable = ['--db', 'postgres://movienight@127.0.0.1:1/none'];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('exit codes of every command', () => {
  it('has one case per command, so a new command must add its own', () => {
    expect(cases.map((c) => c.command).sort()).toEqual(commandsWithActions(buildProgram()).sort());
  });

  describe.each(cases)('$command', (c) => {
    const words = c.command.split(' ');

    it('exits 2 on a usage error naming what was wrong, as JSON on stderr with --json', async () => {
      const text = await runCliInProcess([...db, ...words, ...c.usage]);
      expect(text.code).toBe(2);
      expect(text.stderr).toMatch(c.says);
      const json = await runCliInProcess([...db, ...words, ...c.usage, '--json']);
      expect(json.code).toBe(2);
      expect(json.stdout).toBe('');
      const error = JSON.parse(json.stderr).error as { message: string; exitCode: number };
      expect(error.exitCode).toBe(2);
      expect(error.message).toMatch(c.says);
    });

    it('exits 2 on an unknown flag and 0 on --help', async () => {
      const unknown = await runCliInProcess([...db, ...words, ...c.valid, '--no-such-flag']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("unknown option '--no-such-flag'");
      expect((await runCliInProcess([...words, '--help'])).code).toBe(0);
    });

    if (c.usesDatabase === false) {
      it('exits 2 when given the global --db it cannot honour', async () => {
        const run = await runCliInProcess([...db, ...words, ...c.valid]);
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(new RegExp(`${words.at(-1)} does not use --db`));
      });
    } else {
      it('exits 1 when the database does not answer', async () => {
        const run = await runCliInProcess([...unreachable, ...words, ...c.valid]);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/ECONNREFUSED/);
        expect(run.stderr).not.toMatch(/\n\s+at /);
      });
    }
  });
});
