import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { type SchedulerTick, startScheduler } from '../../retraining/scheduler.ts';
import { databaseLocation, withDatabase } from '../context.ts';

function logLine(tick: SchedulerTick): string {
  const a = tick.check.champion;
  const parts = [
    new Date(tick.at).toISOString(),
    `check ${tick.check.verdict} (champion v${tick.check.championVersion ?? '–'}, accuracy ${a.accuracy === null ? '–' : `${(100 * a.accuracy).toFixed(1)} %`}, n = ${a.samples})`,
  ];
  if (tick.check.trigger?.created) parts.push(`triggered retrain #${tick.check.trigger.trigger.id}`);
  if (tick.abTest) parts.push(`A/B #${tick.abTest.testId}: ${tick.abTest.applied ?? tick.abTest.verdict}`);
  if (tick.retrain)
    parts.push(`retrain #${tick.retrain.triggerId} ${tick.retrain.status}: ${tick.retrain.outcome}`);
  if (tick.pruned?.deleted) parts.push(`pruned ${tick.pruned.deleted} served rows`);
  if (tick.error) parts.push(`error: ${tick.error}`);
  return parts.join(' · ');
}

/** `movienight worker`: the scheduler on its own (the server runs the same loop beside itself). */
export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'Run the loop unattended: revalidation check, A/B decisions, triggered retrains and pruning of old served rows every schedulerIntervalSeconds (training in a worker thread)',
    )
    .option('--once', 'run one pass and exit')
    .option('--json', 'print each pass as a JSON line')
    .action(async (opts: { once?: boolean; json?: boolean }, command: Command) => {
      const config = loadConfig();
      const location = databaseLocation(command);
      const print = (tick: SchedulerTick) =>
        process.stdout.write(`${opts.json ? JSON.stringify(tick) : logLine(tick)}\n`);
      await withDatabase(command, async (db) => {
        if (opts.once) {
          const { schedulerTick } = await import('../../retraining/scheduler.ts');
          print(await schedulerTick(db, { config, location }));
          return;
        }
        const scheduler = startScheduler(db, {
          config,
          location,
          onTick: print,
          onError: (e) => process.stderr.write(`worker: ${e.message}\n`),
        });
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await scheduler.stop();
      });
    });
}
