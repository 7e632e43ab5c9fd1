import type { Command } from 'commander';
import { InvalidInputError } from '../../errors.ts';
import { parseSeedList, renderSeedTable, simulateSeeds } from '../../simulation/seed-table.ts';
import { defaultSimulationOptions, renderSimulation, simulate } from '../../simulation/simulate.ts';
import { integerOption, numberOption, printResult, refuseDatabaseOption } from '../context.ts';

/**
 * `movienight simulate`: the tracking and retraining loop on generated users, in fast-forward.
 * It is long because it declares the simulation's many options and maps each onto SimulationOptions in one place.
 */
export function simulateCommand(program: Command): void {
  const d = defaultSimulationOptions;
  program
    .command('simulate')
    .description(
      'Simulate users with known tastes day by day: recommendations, ratings, a change of taste, and the check → retrain → A/B → activation loop',
    )
    .option('--days <n>', 'days to simulate', integerOption('--days', 2), d.days)
    .option('--drift-day <n>', 'day on which tastes shift', integerOption('--drift-day', 1), d.driftDay)
    .option(
      '--drift-strength <s>',
      'how far tastes turn: 1 reversed, 0.5 gone, 0 none',
      numberOption('--drift-strength', 0, 1),
      d.driftStrength,
    )
    .option(
      '--drift-days <n>',
      'days over which tastes turn, in equal daily steps (1: at once)',
      integerOption('--drift-days', 1),
      d.driftDays,
    )
    .option('--seed <n>', 'seed of the world and of every choice', integerOption('--seed', 0), d.seed)
    .option('--seeds <list>', 'run once per seed (e.g. 1-10 or 1,5,42) and print one summary line each')
    .option('--users <n>', 'simulated users', integerOption('--users', 1), d.users)
    .option('--movies <n>', 'movies in the catalogue', integerOption('--movies', 2), d.movies)
    .option('--out <path>', 'keep the simulated database in this (new) SQLite file, e.g. for track status')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        opts: {
          days: number;
          driftDay: number;
          driftStrength: number;
          driftDays: number;
          seed: number;
          seeds?: string;
          users: number;
          movies: number;
          out?: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        refuseDatabaseOption(command, 'it simulates in a database of its own (keep it with --out <path>)');
        if (opts.seeds !== undefined) {
          if (opts.out !== undefined)
            throw new InvalidInputError('--out keeps one run: it cannot go with --seeds');
          const seeds = parseSeedList(opts.seeds);
          const rows = await simulateSeeds(
            seeds,
            {
              days: opts.days,
              driftDay: opts.driftDay,
              driftStrength: opts.driftStrength,
              driftDays: opts.driftDays,
              users: opts.users,
              movies: opts.movies,
            },
            (row) => {
              if (!opts.json && process.stderr.isTTY) process.stderr.write(`\rseed ${row.seed} done`);
            },
          );
          if (!opts.json && process.stderr.isTTY) process.stderr.write('\r');
          printResult(opts.json, rows, renderSeedTable);
          return;
        }
        const result = await simulate({
          days: opts.days,
          driftDay: opts.driftDay,
          driftStrength: opts.driftStrength,
          driftDays: opts.driftDays,
          seed: opts.seed,
          users: opts.users,
          movies: opts.movies,
          ...(opts.out === undefined ? {} : { location: opts.out }),
          onDay: (day) => {
            if (!opts.json && process.stderr.isTTY) {
              process.stderr.write(`\rday ${day.day + 1}/${opts.days}`);
            }
          },
        });
        if (!opts.json && process.stderr.isTTY) process.stderr.write('\r');
        printResult(opts.json, result, renderSimulation);
      },
    );
}
