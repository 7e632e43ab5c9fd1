import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { MovieNightError } from '../../errors.ts';
import type { Estimate } from '../../experiments/statistics.ts';
import type { OfflineComparison } from '../../retraining/offline-comparison.ts';
import { retrainOnQueue } from '../../retraining/retrain-jobs.ts';
import {
  type RetrainResult,
  type RetrainRunOptions,
  runRetrain,
} from '../../retraining/retrain-orchestrator.ts';
import { integerOption, numberOption, printResult, withDatabase, withQueue } from '../context.ts';
import { parseParams } from './train.ts';

const pct = (v: number | undefined | null) =>
  v === undefined || v === null || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(1)} %`;
const interval = (e: Estimate) => `${pct(e.value)} (95 % CI ${pct(e.low)} – ${pct(e.high)})`;
const signed = (v: number, digits: number) => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;
const day = (t: number | null) =>
  t === null ? '?' : new Date(t).toISOString().slice(0, 16).replace('T', ' ');

/** The fair comparison's lines: the holdout, both scores with intervals, the gain with its interval. */
export function renderComparison(c: OfflineComparison): string[] {
  const h = c.holdout;
  if (!c.fair || !c.challenger || !c.champion || !c.gainPoints) {
    return [`Offline comparison: ${c.note ?? 'none'} — decided by policy (A/B test)`];
  }
  const g = c.gainPoints;
  const lines = [
    `Fair offline comparison on the ${h.rows} ratings since v${h.championVersion}'s data ended (${day(h.from)} → ${day(h.to)}), which neither model was trained on:`,
    `  new      accuracy ${interval(c.challenger.accuracy)}  RMSE ${c.challenger.rmse.toFixed(4)}`,
    `  champion accuracy ${interval(c.champion.accuracy)}  RMSE ${c.champion.rmse.toFixed(4)}`,
    `  gain     ${signed(100 * g.value, 1)} points (95 % CI ${signed(100 * g.low, 1)} – ${signed(100 * g.high, 1)})`,
  ];
  const r = c.relativeGain;
  if (r)
    lines.push(
      `  relative ${signed(100 * r.value, 1)} % (95 % CI ${signed(100 * r.low, 1)} – ${signed(100 * r.high, 1)} %)`,
    );
  return lines;
}

export function renderRetrain(r: RetrainResult): string {
  const lines = [`Retrain #${r.triggerId}: ${r.status} — ${r.outcome}`];
  if (r.tookOverFrom) lines.push(`(took over from ${r.tookOverFrom}, which had stopped heartbeating)`);
  if (r.model)
    lines.push(
      `Model: ${r.model} ${JSON.stringify(r.params)} (parameters: ${r.paramsSource ?? '?'}) on ${r.trainRows} ratings`,
    );
  if (r.comparison) lines.push(...renderComparison(r.comparison));
  lines.push('Steps:');
  for (const s of r.steps) {
    const ms = s.endedAt === null ? '' : ` (${((s.endedAt - s.startedAt) / 1000).toFixed(1)} s)`;
    lines.push(`  ${s.step.padEnd(10)} ${s.status}${ms}`);
  }
  return lines.join('\n');
}

interface RetrainFlags {
  tune?: boolean;
  method: string;
  trials?: number;
  workers?: number;
  activateIfBetter?: boolean;
  model?: string;
  params?: string;
  seed?: number;
  abTraffic?: number;
  json?: boolean;
  queue?: string;
}

/**
 * `movienight retrain`: one retrain now (a manual trigger, or the pending one). Exits non-zero when
 * no version was deployed: 2 when refused before starting (another retrain, a running A/B test),
 * 1 when a step failed; the reason goes to stderr, and with --json also into the printed object.
 * It is long because it declares every option of the command and maps each onto the retrain's
 * options in one place; the work is in src/retraining.
 */
export function retrainCommand(program: Command): void {
  program
    .command('retrain')
    .description(
      'Train a new version on the current ratings, compare it fairly with the champion, then activate it (no champion) or start an A/B test',
    )
    .option('--tune', 'tune hyperparameters first (warm-started from earlier runs)')
    .option('--method <name>', 'tuning method: grid, random, bayesian, tpe', 'bayesian')
    .option('--trials <n>', 'tuning trials', integerOption('--trials', 1))
    .option(
      '--workers <n>',
      'with a queue and --tune: tuning trials queued at once for the workers (default 4)',
      integerOption('--workers', 1),
    )
    .option(
      '--activate-if-better',
      'activate on a fair offline comparison (≥ autoActivateThreshold) instead of an A/B test',
    )
    .option('--model <kind>', "model kind (default: the champion's, else svd)")
    .option('--params <json>', "hyperparameters (default: best_hp.json's for the kind, else the champion's)")
    .option('--seed <n>', 'seed of every random choice', integerOption('--seed'))
    .option(
      '--ab-traffic <share>',
      'share of users the challenger serves in the A/B test',
      numberOption('--ab-traffic', 0, 1),
    )
    .option('--json', 'print the result as JSON')
    .option(
      '--queue <url>',
      'file the trigger and let a `movienight worker` on this queue run it (default $MOVIENIGHT_QUEUE_URL)',
    )
    .action(async (opts: RetrainFlags, command: Command) => {
      const params = opts.params === undefined ? undefined : parseParams(opts.params);
      const config = loadConfig();
      const request: RetrainRunOptions = {
        reason: 'movienight retrain',
        ...(opts.tune ? { tune: true, method: opts.method } : {}),
        ...(opts.trials === undefined ? {} : { trials: opts.trials }),
        ...(opts.workers === undefined ? {} : { workers: opts.workers }),
        ...(opts.activateIfBetter ? { activateIfBetter: true } : {}),
        ...(opts.model === undefined ? {} : { model: opts.model }),
        ...(params === undefined ? {} : { params }),
        ...(opts.seed === undefined ? {} : { seed: opts.seed }),
        ...(opts.abTraffic === undefined ? {} : { abTraffic: opts.abTraffic }),
        onStep: (step) => {
          if (!opts.json) process.stderr.write(`… ${step}\n`);
        },
      };
      let result: RetrainResult;
      try {
        result = await withDatabase(command, (db) =>
          withQueue(opts.queue, command, (queue) =>
            queue ? retrainOnQueue(db, config, queue, request) : runRetrain(db, config, request),
          ),
        );
      } catch (error) {
        if (opts.json && error instanceof MovieNightError)
          printResult(true, { status: 'refused', error: error.message }, () => '');
        throw error;
      }
      printResult(opts.json, result, renderRetrain);
      // The CLI prints the reason on stderr and exits 1.
      if (result.status === 'failed')
        throw new MovieNightError(`retrain #${result.triggerId} ${result.outcome}`, 'retrain_failed', 500);
    });
}
