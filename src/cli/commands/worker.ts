import { availableParallelism, hostname } from 'node:os';
import type { Command } from 'commander';
import { type Config, loadConfig } from '../../config.ts';
import type { Database } from '../../db/database.ts';
import { InvalidInputError } from '../../errors.ts';
import { echoJob } from '../../queue/echo-job.ts';
import { createJobRegistry } from '../../queue/job-kind.ts';
import type { JobQueue } from '../../queue/job-queue.ts';
import { retrainingJobKinds, scheduleChecks } from '../../retraining/retrain-jobs.ts';
import { type SchedulerTick, startScheduler } from '../../retraining/scheduler.ts';
import { reportJob } from '../../server/report-jobs.ts';
import { closeTrialPools, tuningTrialJob } from '../../tuning/trial-job.ts';
import { databaseLocation, integerOption, withDatabase, withQueue } from '../context.ts';

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

interface WorkerFlags {
  readonly once?: boolean;
  readonly json?: boolean;
  readonly queue?: string;
  readonly concurrency?: number;
}

/** Every kind of job a worker takes: an explicit list, here where the modules meet. */
export const workerJobKinds = createJobRegistry([tuningTrialJob, ...retrainingJobKinds, reportJob, echoJob]);

/**
 * Takes jobs until SIGINT/SIGTERM; then lets the running ones finish. A job whose worker is
 * killed instead is taken again by another worker once its lock runs out.
 */
async function runQueueWorker(
  db: Database,
  queue: JobQueue,
  options: { config: Config; location: string; concurrency: number },
): Promise<void> {
  const holder = `${hostname()}:${process.pid}`;
  await scheduleChecks(queue, options.config);
  const workers = queue.startWorkers(
    workerJobKinds,
    { db, location: options.location, config: options.config, concurrency: options.concurrency, holder },
    options.concurrency,
  );
  process.stderr.write(
    `worker ${holder}: checks every ${options.config.schedulerIntervalSeconds} s; taking jobs from ${queue.url.display} (${queue.name('trials')}, ${queue.name('jobs')}), ${options.concurrency} trial(s) at once\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await workers.close();
  await closeTrialPools();
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
    .option(
      '--queue <url>',
      'take jobs (tuning trials, retrains, scheduled checks) from this queue (redis:// or postgres://; default $MOVIENIGHT_QUEUE_URL)',
    )
    .option(
      '--concurrency <n>',
      'with a queue: tuning trials run at once, each in a worker thread (default: number of cores)',
      integerOption('--concurrency', 1),
    )
    .action(async (opts: WorkerFlags, command: Command) => {
      const config = loadConfig();
      const location = databaseLocation(command);
      if (opts.queue !== undefined || (config.queueUrl ?? '') !== '') {
        if (opts.once)
          throw new InvalidInputError('--once runs the checks here; it cannot be used with a queue');
        await withDatabase(command, (db) =>
          withQueue(opts.queue, command, (queue) =>
            runQueueWorker(db, queue!, {
              config,
              location,
              concurrency: opts.concurrency ?? availableParallelism(),
            }),
          ),
        );
        return;
      }
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
