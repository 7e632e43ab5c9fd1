import type { Command } from 'commander';
import { type GenerateSummary, generateIntoDatabase, generateToFolder } from '../../data/generate.ts';
import { choiceOption, integerOption, printResult, refuseDatabaseOption, withDatabase } from '../context.ts';

interface GenerateFlags {
  readonly users: number;
  readonly movies: number;
  readonly ratings: number;
  readonly seed: number;
  readonly scale: 'half' | 'whole';
  readonly out?: string;
  readonly json?: boolean;
}

function render(s: GenerateSummary): string {
  return `generated ${s.ratings} ratings (mean ${s.meanRating}, ${s.scale} stars) by ${s.users} users on ${s.movies} movies, seed ${s.seed}, into ${s.target} in ${s.seconds.toFixed(2)} s`;
}

/** `movienight generate`: a synthetic world with known tastes, into the database or a folder. */
export function generateCommand(program: Command): void {
  program
    .command('generate')
    .description(
      'Generate synthetic users, movies and ratings (same seed, same data) into the database or a folder',
    )
    .option('--users <n>', 'number of users', integerOption('--users', 1), 1000)
    .option('--movies <n>', 'number of movies', integerOption('--movies', 1), 2000)
    .option(
      '--ratings <n>',
      'number of ratings (distinct user–movie pairs)',
      integerOption('--ratings', 0),
      100_000,
    )
    .option('--seed <n>', 'random seed', integerOption('--seed'), 1)
    .option(
      '--scale <half|whole>',
      'half: 0.5–5 in half stars; whole: 1–5',
      choiceOption('--scale', ['half', 'whole']),
      'half',
    )
    .option(
      '--out <dir>',
      'write ratings.csv and movies.csv there (for import movielens) instead of the database',
    )
    .option('--json', 'print the summary as JSON')
    .action(async (flags: GenerateFlags, command: Command) => {
      const options = {
        users: flags.users,
        movies: flags.movies,
        ratings: flags.ratings,
        seed: flags.seed,
        scale: flags.scale,
      };
      const out = flags.out;
      if (out) refuseDatabaseOption(command, `--out writes ratings.csv and movies.csv to ${out} instead`);
      const summary = out
        ? await generateToFolder(out, options)
        : await withDatabase(command, (db) => generateIntoDatabase(db, options));
      printResult(flags.json, summary, render);
    });
}
