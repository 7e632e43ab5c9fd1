import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { importMovieLens } from '../src/data/import-movielens.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { echoJob } from '../src/queue/echo-job.ts';
import { JobQueue } from '../src/queue/job-queue.ts';
import { parseQueueUrl } from '../src/queue/queue-url.ts';
import { runTuning } from '../src/tuning/run-tuning.ts';
import { mlLatestSmallDir, skipWithoutMlLatestSmall } from '../test/helpers/data-paths.ts';
import { fmt, median, timeIt } from './measure.ts';
import { cpuSecondsOf, type ThreadCpu, threadCpuOf } from './process-cpu.ts';
import type { Benchmark } from './run.ts';
import { measureServeWorkers } from './serve-workers.bench.ts';

const root = resolve(import.meta.dirname, '..');
const trials = 50;

/** A throwaway PostgreSQL database with ml-latest-small in it, and how to drop it. */
async function freshDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `mn_scale_out_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase(url.toString());
  await importMovieLens(db, mlLatestSmallDir!);
  await db.close();
  return {
    url: url.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: serverUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/**
 * Extra Node options for the worker processes, to look inside them: for example
 * `MOVIENIGHT_BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'` writes a CPU profile of
 * every worker process and each of its threads (NODE_OPTIONS does not accept --cpu-prof).
 */
const workerNodeArgs = (process.env.MOVIENIGHT_BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** Starts `movienight worker` processes (one trial at a time each) and waits until each takes jobs. */
async function startWorkers(n: number, db: string, queue: string, prefix: string): Promise<ChildProcess[]> {
  const workers: ChildProcess[] = [];
  const ready: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const child = spawn(
      process.execPath,
      [
        ...workerNodeArgs,
        ...[
          '--import',
          'tsx',
          'src/cli/main.ts',
          '--db',
          db,
          'worker',
          '--queue',
          queue,
          '--concurrency',
          '1',
        ],
      ],
      {
        cwd: root,
        env: {
          ...process.env,
          MOVIENIGHT_CONFIG: '/nonexistent/movienight.config.json',
          MOVIENIGHT_QUEUE_PREFIX: prefix,
          MOVIENIGHT_SCHEDULER_INTERVAL_SECONDS: '3600',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    workers.push(child);
    ready.push(
      new Promise((ok, fail) => {
        child.stderr?.on('data', (d: Buffer) => {
          if (d.toString().includes('taking jobs')) ok();
        });
        child.on('exit', (code) => fail(new Error(`worker exited with ${code} before taking jobs`)));
      }),
    );
  }
  await Promise.all(ready);
  return workers;
}

async function stopWorkers(workers: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((ok) => {
          w.once('exit', () => ok());
          w.kill('SIGTERM');
        }),
    ),
  );
}

/** CPU seconds by process (and thread) while a run was timed. */
interface CpuSplit {
  /** This process: the coordinator (sampler, trial records, enqueueing, waiting for answers). */
  readonly coordinator: ThreadCpu;
  /** Each worker process: its main thread (BullMQ, the database client) and its other threads (trials, GC). */
  readonly workers: readonly ThreadCpu[];
  /** The PostgreSQL backends serving this run's database (the record and, by default, the queue). */
  readonly postgres: number;
}

/** The PostgreSQL backend processes connected to one database, by pid. */
async function backendPids(serverUrl: string, database: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const r = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return r.rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

/** CPU seconds so far of everything that serves one run. */
async function cpuNow(serverUrl: string, database: string, workers: readonly ChildProcess[]) {
  const backends = await backendPids(serverUrl, database);
  return {
    coordinator: threadCpuOf(process.pid),
    workers: workers.map((w) => threadCpuOf(w.pid!)),
    backends: new Map(backends.map((pid) => [pid, cpuSecondsOf(pid)])),
  };
}

function cpuBetween(before: Awaited<ReturnType<typeof cpuNow>>, after: typeof before): CpuSplit {
  const diff = (a: ThreadCpu, b: ThreadCpu) => ({ main: b.main - a.main, others: b.others - a.others });
  let postgres = 0;
  // A backend that started during the run counts whole; one that ended during it is lost (rare:
  // the clients keep their pools open).
  for (const [pid, end] of after.backends) postgres += end - (before.backends.get(pid) ?? 0);
  return {
    coordinator: diff(before.coordinator, after.coordinator),
    workers: before.workers.map((w, i) => diff(w, after.workers[i]!)),
    postgres,
  };
}

/**
 * 50 random svd trials, 3-fold, on ml-latest-small, taken by `workerCount` worker processes; with
 * the median pruner (the default) or without it (every trial the same three fits).
 */
async function tuneWith(
  serverUrl: string,
  queueServer: string | undefined,
  workerCount: number,
  prune: boolean,
) {
  const database = await freshDatabase(serverUrl);
  const queueUrl = parseQueueUrl(queueServer ?? database.url);
  const prefix = `bench_${randomBytes(4).toString('hex')}`;
  const config = loadConfig({ env: {}, file: '/nonexistent' });
  const queue = await JobQueue.open({ url: queueUrl, prefix, lockMs: config.queueLockSeconds * 1000 });
  const workers = await startWorkers(workerCount, database.url, queueUrl.url, prefix);
  const db = await openDatabase(database.url);
  const dbName = new URL(database.url).pathname.slice(1);
  try {
    const load = loadavg()[0]!;
    const before = await cpuNow(serverUrl, dbName, workers);
    const timed = await timeIt(() =>
      runTuning(db, {
        method: 'random',
        model: 'svd',
        folds: 3,
        trials,
        seed: 0,
        workers: 2 * workerCount,
        queue,
        bestOut: null,
        prune,
      }),
    );
    const cpu = cpuBetween(before, await cpuNow(serverUrl, dbName, workers));
    const loadAfter = loadavg()[0]!;
    const computeMs = timed.result.trials.reduce((sum, t) => sum + (t.durationMs ?? 0), 0);
    // More trials in flight leave the median pruner fewer finished curves to compare against.
    const pruned = timed.result.trials.filter((t) => t.state === 'pruned').length;
    const echo = workerCount === 1 ? await echoRoundTrips(queue) : null;
    return {
      seconds: timed.seconds,
      computeMs,
      done: timed.result.run.trialsDone,
      pruned,
      load,
      loadAfter,
      echo,
      cpu,
    };
  } finally {
    await db.close();
    await stopWorkers(workers);
    await queue.close();
    await database.drop();
  }
}

/** Where the CPU went, per trial: the coordinator, each worker's threads, PostgreSQL. */
function cpuLines(label: string, r: Awaited<ReturnType<typeof tuneWith>>): string[] {
  const per = (s: number) => `${fmt((1000 * s) / r.done, 1)} ms`;
  const c = r.cpu;
  const workers = c.workers.map(
    (w, i) => `worker ${i + 1}: main thread ${per(w.main)}, other threads ${per(w.others)}`,
  );
  const total =
    c.coordinator.main +
    c.coordinator.others +
    c.postgres +
    c.workers.reduce((sum, w) => sum + w.main + w.others, 0);
  return [
    `${label} CPU per trial: coordinator ${per(c.coordinator.main)} main + ${per(c.coordinator.others)} other threads; ${workers.join('; ')}; PostgreSQL backends ${per(c.postgres)}; total ${per(total)} (${fmt(total / r.seconds, 2)} cores busy on average)`,
  ];
}

/** Round trips of a job that does nothing, one at a time: what the queue adds to every trial. */
async function echoRoundTrips(queue: JobQueue): Promise<{ serialMs: number; pipelinedMs: number }> {
  const serial: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    await queue.run(echoJob, { sent: i });
    serial.push(performance.now() - t0);
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 100 }, (_, i) => queue.run(echoJob, { sent: i })));
  return { serialMs: median(serial), pipelinedMs: (performance.now() - t0) / 100 };
}

/**
 * The tuning half of the bench. Distributed tuning on ml-latest-small (svd, 3-fold, 50 random
 * trials, seed 0), with the median pruner and without: the wall time with one `movienight worker`
 * process and with two (one trial at a time each; target speed-up ≥ 1.7× on 2 cores), each on a
 * fresh PostgreSQL database, and where the CPU went; the queue's overhead per trial (round trip of
 * a job that does nothing; target < 20 ms). The queue is the database itself (BullMQ's PostgreSQL
 * backend) unless MOVIENIGHT_BENCH_QUEUE_URL names another (redis://…).
 */
export async function measureScaleOutTuning(): Promise<void> {
  const serverUrl = process.env.MOVIENIGHT_BENCH_PG_URL ?? process.env.MOVIENIGHT_TEST_PG_URL;
  if (!mlLatestSmallDir || !serverUrl) {
    console.log(
      mlLatestSmallDir
        ? 'skipped: set MOVIENIGHT_BENCH_PG_URL (a PostgreSQL server)'
        : skipWithoutMlLatestSmall,
    );
    return;
  }
  const queueServer = process.env.MOVIENIGHT_BENCH_QUEUE_URL;
  console.log(
    `queue backend: ${queueServer ? parseQueueUrl(queueServer).display : 'PostgreSQL (the database itself)'}`,
  );
  // With the pruner, trials in flight together see fewer finished curves and are pruned less, so
  // two workers do more work than one; without it every trial is the same work, and the ratio
  // measures the distribution alone.
  let one: Awaited<ReturnType<typeof tuneWith>> | undefined;
  for (const prune of [true, false]) {
    const runs = [
      await tuneWith(serverUrl, queueServer, 1, prune),
      await tuneWith(serverUrl, queueServer, 2, prune),
    ];
    one ??= runs[0];
    console.log(
      prune ? 'with the median pruner (the default):' : 'without pruning (every trial three full fits):',
    );
    for (const [label, r] of [
      ['1 worker process ', runs[0]!],
      ['2 worker processes', runs[1]!],
    ] as const) {
      console.log(
        `${label}: ${r.done} trials in ${fmt(r.seconds, 1)} s (${fmt((1000 * r.seconds) / r.done, 0)} ms per trial; trial compute ${fmt(r.computeMs / r.done, 0)} ms each; ${r.pruned} pruned) | load average ${fmt(r.load, 2)} at start, ${fmt(r.loadAfter, 2)} at end`,
      );
      for (const line of cpuLines(label, r)) console.log(line);
    }
    console.log(
      `speed-up 2 vs 1 worker processes${prune ? '' : ', no pruning'}: ${fmt(runs[0]!.seconds / runs[1]!.seconds, 2)}× (target ≥ 1.7×)`,
    );
  }
  if (!one) return;
  const perTrial = (1000 * one.seconds - one.computeMs) / one.done;
  console.log(
    `queue overhead per trial, 1 worker (wall − trial compute) / trials: ${fmt(perTrial, 1)} ms (target < 20 ms)`,
  );
  if (one.echo)
    console.log(
      `queue round trip of a job that does nothing: ${fmt(one.echo.serialMs, 1)} ms median one at a time, ${fmt(one.echo.pipelinedMs, 1)} ms per job 100 at once`,
    );
}

export const benchmark: Benchmark = {
  name: 'scale-out',
  description: 'svd on ml-latest-small, 3-fold, 50 random trials: 1 vs 2 worker processes; queue overhead',
  async run() {
    await measureScaleOutTuning();
    // Recommendation throughput with `serve --workers 1` vs `--workers 2`, and their ratio.
    await measureServeWorkers();
  },
};
