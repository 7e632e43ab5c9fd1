import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { generateIntoDatabase } from '../src/data/generate.ts';
import { JobQueue } from '../src/queue/job-queue.ts';
import { parseQueueUrl } from '../src/queue/queue-url.ts';
import { SqlTuningStorage } from '../src/tuning/sql-tuning-storage.ts';
import { type RunningCli, startCliProcess } from './helpers/cli.ts';
import { postgresKind, type TestDatabase } from './helpers/databases.ts';
import { describeEachQueue, queuePrefix } from './helpers/queues.ts';

/** Polls `check` until it is true (a test of processes waits for what they did, never for a time). */
async function until(check: () => Promise<boolean>, what: string, limitMs = 40_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeEachQueue('distributed tuning: a coordinator, two worker processes, one killed', (kind) => {
  let t: TestDatabase;
  let dir: string;
  const running: RunningCli[] = [];
  beforeEach(async () => {
    t = await postgresKind.create();
    await generateIntoDatabase(t.db, { users: 120, movies: 100, ratings: 4000, seed: 9, scale: 'half' });
    dir = mkdtempSync(join(tmpdir(), 'movienight-queue-'));
  });
  afterEach(async () => {
    for (const r of running)
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await Promise.all(running.map((r) => r.done.catch(() => undefined)));
    running.length = 0;
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records every trial exactly once and writes best_hp.json once, though a worker is SIGKILLed mid-trial', async () => {
    const queueUrl = kind.url(t.location);
    const prefix = queuePrefix();
    const env = { MOVIENIGHT_QUEUE_PREFIX: prefix, MOVIENIGHT_QUEUE_LOCK_SECONDS: '2' };
    const space = join(dir, 'space.json');
    // Long enough fits that a kill lands mid-trial; small data so the whole case stays short.
    writeFileSync(
      space,
      JSON.stringify({
        model: 'svd',
        params: {
          n_factors: { type: 'int', low: 5, high: 30 },
          lr_all: { type: 'float', low: 0.002, high: 0.05, log: true },
        },
        fixed: { n_epochs: 250 },
      }),
    );
    const worker = () =>
      startCliProcess(['--db', t.location, 'worker', '--queue', queueUrl, '--concurrency', '1'], env);
    const a = worker();
    const b = worker();
    const bestOut = join(dir, 'best_hp.json');
    const coordinator = startCliProcess(
      [
        '--db',
        t.location,
        'tune',
        '--queue',
        queueUrl,
        '--method',
        'random',
        '--trials',
        '6',
        '--workers',
        '2',
        '--seed',
        '3',
        '--space',
        space,
        '--no-prune',
        '--json',
        '--best-out',
        bestOut,
      ],
      env,
    );
    running.push(a, b, coordinator);

    const queue = await JobQueue.open({ url: parseQueueUrl(queueUrl), prefix, lockMs: 2000 });
    try {
      // Both workers busy (one active job each, concurrency 1): killing one kills it mid-job.
      await until(async () => (await queue.queue('trials').getActiveCount()) >= 2, 'two active trial jobs');
      a.child.kill('SIGKILL');
      const end = await coordinator.done;
      expect(end.code, end.stderr).toBe(0);

      const storage = new SqlTuningStorage(t.db);
      const [run] = await storage.listRuns({ model: 'svd' });
      expect(run?.status).toBe('complete');
      const trials = await storage.listTrials(run!.id);
      expect(trials.map((tr) => tr.state)).toEqual(Array(6).fill('complete'));
      expect(new Set(trials.map((tr) => tr.number)).size).toBe(6);

      // The job the killed worker held was taken again after its lock ran out.
      const jobs = await queue.queue('trials').getJobs(['completed']);
      expect(jobs.some((j) => j.stalledCounter >= 1 || j.attemptsStarted >= 2)).toBe(true);

      const printed = JSON.parse(end.stdout);
      expect(printed.runId).toBe(run!.id);
      expect(existsSync(bestOut)).toBe(true);
      expect(JSON.parse(readFileSync(bestOut, 'utf8'))).toEqual(printed);
      expect(end.stderr).not.toMatch(/best_hp/);
    } finally {
      await queue.close();
    }
  }, 90_000);
});
