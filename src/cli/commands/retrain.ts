import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { type RetrainResult, runRetrain } from '../../retraining/retrain-orchestrator.ts';
import { integerOption, numberOption, printResult, withDatabase } from '../context.ts';

const pct = (v: number | undefined | null) =>
  v === undefined || v === null ? '–' : `${(100 * v).toFixed(1)} %`;

export function renderRetrain(r: RetrainResult): string {
  const lines = [`Retrain #${r.triggerId}: ${r.status} — ${r.outcome}`];
  if (r.tookOverFrom) lines.push(`(took over from ${r.tookOverFrom}, which had stopped heartbeating)`);
  if (r.model) lines.push(`Model: ${r.model} ${JSON.stringify(r.params)} on ${r.trainRows} ratings`);
  const c = r.comparison;
  if (c) {
    lines.push(`Offline comparison on the ${c.holdoutRows} most recent ratings:`);
    lines.push(`  new      accuracy ${pct(c.candidate.accuracy)}  RMSE ${c.candidate.rmse.toFixed(4)}`);
    if (c.champion) {
      lines.push(`  champion accuracy ${pct(c.champion.accuracy)}  RMSE ${c.champion.rmse.toFixed(4)}`);
      lines.push(`  relative accuracy gain ${pct(c.relativeImprovement)}`);
    }
  }
  lines.push('Steps:');
  for (const s of r.steps) {
    const ms = s.endedAt === null ? '' : ` (${((s.endedAt - s.startedAt) / 1000).toFixed(1)} s)`;
    lines.push(`  ${s.step.padEnd(10)} ${s.status}${ms}`);
  }
  return lines.join('\n');
}

/** `movienight retrain`: one retrain now (a manual trigger, or the pending one). */
export function retrainCommand(program: Command): void {
  program
    .command('retrain')
    .description(
      'Train a new version on the current ratings, compare it offline with the champion, register it, then activate it (no champion) or start an A/B test',
    )
    .option('--tune', 'tune hyperparameters first (warm-started from earlier runs)')
    .option('--method <name>', 'tuning method: grid, random, bayesian, tpe', 'bayesian')
    .option('--trials <n>', 'tuning trials', integerOption('--trials', 1))
    .option(
      '--activate-if-better',
      'activate on the offline comparison (≥ autoActivateThreshold) instead of an A/B test',
    )
    .option('--model <kind>', "model kind (default: the champion's, else svd)")
    .option('--seed <n>', 'seed of every random choice', integerOption('--seed'))
    .option(
      '--ab-traffic <share>',
      'share of users the challenger serves in the A/B test',
      numberOption('--ab-traffic', 0, 1),
    )
    .option('--json', 'print the result as JSON')
    .action(
      async (
        opts: {
          tune?: boolean;
          method: string;
          trials?: number;
          activateIfBetter?: boolean;
          model?: string;
          seed?: number;
          abTraffic?: number;
          json?: boolean;
        },
        command: Command,
      ) => {
        const config = loadConfig();
        const result = await withDatabase(command, (db) =>
          runRetrain(db, config, {
            reason: 'movienight retrain',
            ...(opts.tune ? { tune: true, method: opts.method } : {}),
            ...(opts.trials === undefined ? {} : { trials: opts.trials }),
            ...(opts.activateIfBetter ? { activateIfBetter: true } : {}),
            ...(opts.model === undefined ? {} : { model: opts.model }),
            ...(opts.seed === undefined ? {} : { seed: opts.seed }),
            ...(opts.abTraffic === undefined ? {} : { abTraffic: opts.abTraffic }),
            onStep: (step) => {
              if (!opts.json) process.stderr.write(`… ${step}\n`);
            },
          }),
        );
        printResult(opts.json, result, renderRetrain);
        if (result.status === 'failed') process.exitCode = 1;
      },
    );
}
