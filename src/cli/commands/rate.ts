import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { type RateMovieResult, rateMovie } from '../../monitoring/rate-movie.ts';
import { integerOption, numberOption, printResult, withDatabase } from '../context.ts';

function render(r: RateMovieResult): string {
  const head = `user ${r.userId} rated movie ${r.movieId}: ${r.rating}${r.previousRating === null ? '' : ` (was ${r.previousRating})`}${r.newUser ? ' — new user' : ''}`;
  const t = r.tracked;
  if (t.kind === 'unexpected')
    return `${head}\nnot recommended to this user in the window: recorded as an unexpected movie`;
  return `${head}\nrecommended by model v${t.modelVersion ?? '?'}${t.arm ? ` (A/B test #${t.abTestId}, arm ${t.arm})` : ''}: predicted ${t.predictedRating.toFixed(2)}, error ${t.error.toFixed(2)}, liked prediction ${t.hit ? 'right' : 'wrong'}`;
}

/** `movienight rate --user U --movie M --rating R [--json]`: the CLI face of rateMovie. */
export function rateCommand(program: Command): void {
  program
    .command('rate')
    .description('Record a rating (a re-rating replaces it) and track it against what was recommended')
    .requiredOption('--user <id>', 'user id (created if new)', integerOption('--user', 1))
    .requiredOption('--movie <id>', 'movie id (must exist)', integerOption('--movie', 1))
    .requiredOption('--rating <stars>', 'rating on the scale of the stored ratings', numberOption('--rating'))
    .option('--json', 'print the result as JSON')
    .action(
      async (opts: { user: number; movie: number; rating: number; json?: boolean }, command: Command) => {
        const config = loadConfig();
        const result = await withDatabase(command, (db) =>
          rateMovie(
            db,
            { userId: opts.user, movieId: opts.movie, rating: opts.rating },
            {
              windowDays: config.trainingWindowDays,
              ...(config.likeThreshold === undefined ? {} : { likeThreshold: config.likeThreshold }),
            },
          ),
        );
        printResult(opts.json, result, render);
      },
    );
}
