import type { Command } from 'commander';
import { type ServedRecommendations, serveRecommendations } from '../../recommend/serve-recommendations.ts';
import { integerOption, printResult, withDatabase } from '../context.ts';

function render(r: ServedRecommendations): string {
  const source =
    r.abTestId === null
      ? `champion v${r.modelVersion}`
      : `v${r.modelVersion} (A/B test #${r.abTestId}, ${r.arm} arm)`;
  const lines = [`top ${r.items.length} for user ${r.userId} from ${source}`];
  if (r.note) lines.push(r.note);
  if (!r.items.length) lines.push('no movie matches the filters');
  for (const i of r.items) {
    // Catalogue titles already carry the year, MovieLens style ("Heat (1995)").
    const year = i.year === null || i.title.includes(`(${i.year})`) ? '' : ` (${i.year})`;
    lines.push(
      `${String(i.rank).padStart(3)}. ${i.predictedRating.toFixed(2)}  ${i.title}${year}  ${i.genres.join(', ')}  [movie ${i.movieId}]`,
    );
  }
  return lines.join('\n');
}

/** `movienight recommend --user <id> [-n 10] [--genre g] [--year-from y] [--year-to y] [--json]`. */
export function recommendCommand(program: Command): void {
  program
    .command('recommend')
    .description("A user's top-N from their model (the champion, or their A/B arm's), recorded as served")
    .requiredOption('--user <id>', 'user id', integerOption('--user', 1))
    .option('-n, --count <n>', 'how many', integerOption('--count', 1, 1000), 10)
    .option('--genre <genre>', 'only this genre')
    .option('--year-from <year>', 'only movies from this year on', integerOption('--year-from'))
    .option('--year-to <year>', 'only movies up to this year', integerOption('--year-to'))
    .option('--json', 'print as JSON')
    .action(
      async (
        opts: {
          user: number;
          count: number;
          genre?: string;
          yearFrom?: number;
          yearTo?: number;
          json?: boolean;
        },
        command: Command,
      ) => {
        const result = await withDatabase(command, (db) =>
          serveRecommendations(db, {
            userId: opts.user,
            n: opts.count,
            filters: {
              ...(opts.genre !== undefined ? { genre: opts.genre } : {}),
              ...(opts.yearFrom !== undefined ? { yearFrom: opts.yearFrom } : {}),
              ...(opts.yearTo !== undefined ? { yearTo: opts.yearTo } : {}),
            },
          }),
        );
        printResult(opts.json, result, render);
      },
    );
}
