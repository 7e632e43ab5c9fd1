import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { importMovieLens } from '../src/data/import-movielens.ts';
import { loadMovies } from '../src/data/load-movies.ts';
import { loadRatingsData } from '../src/data/load-ratings.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { createModel } from '../src/models/model-registry.ts';
import { fitAndRegister } from '../src/registry/fit-and-register.ts';
import { mlLatestSmallDir, mlLatestSmallPath } from '../test/helpers/data-paths.ts';
import { call, type ServeProcess, startServeProcess } from '../test/helpers/serve-process.ts';
import { fmt } from './measure.ts';
import type { Benchmark } from './run.ts';

/** The part of autocannon's programmatic API used here (the package ships no types). */
interface AutocannonResult {
  readonly duration: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly requests: { readonly total: number };
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  requests: { method: string; path: string; setupRequest: (request: object) => object }[];
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** One load run against `serve --workers N`. */
export interface ServeWorkersRun {
  readonly workers: number;
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Connection errors plus answers that were not 2xx. */
  readonly failed: number;
  /** CPU time of the serve processes (primary and workers) per answered request. */
  readonly cpuMsPerRequest: number;
  /** The machine's 1-minute load average just before the run. */
  readonly loadAverage: number;
}

export interface ServeWorkersResult {
  readonly runs: readonly ServeWorkersRun[];
  /** Requests per second of the last run over the first (workers 2 over workers 1 by default). */
  readonly ratio: number;
}

export interface ServeWorkersOptions {
  /** The `--workers` values to run, in order (default [1, 2]). */
  readonly workerCounts?: readonly number[];
  /** Seconds of load per run (default SERVE_WORKERS_SECONDS or 20). */
  readonly seconds?: number;
  /** Concurrent keep-alive connections (default 32). */
  readonly connections?: number;
  /** Signed-up accounts the requests rotate over, each with 20 ratings (default 40). */
  readonly accounts?: number;
  readonly log?: (line: string) => void;
}

/** CPU seconds (user + system) a process has used so far, from /proc; NaN when it is gone. */
function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** The serve processes: the primary and, with --workers N > 1, the pids it printed. */
function servePids(served: ServeProcess): number[] {
  const listed = /serving processes: ([\d, ]+) \(/.exec(served.output())?.[1];
  const workers = listed ? listed.split(',').map((p) => Number(p.trim())) : [];
  return [served.child.pid!, ...workers];
}

/** ml-latest-small in a fresh SQLite file with an svd champion trained on all of it. */
async function prepareDatabase(location: string, log: (line: string) => void): Promise<number[]> {
  if (!mlLatestSmallDir) throw new Error(`serve-workers needs ml-latest-small at ${mlLatestSmallPath}`);
  const db = await openDatabase(location);
  try {
    await importMovieLens(db, mlLatestSmallDir);
    const data = await loadRatingsData(db);
    const movies = await loadMovies(db);
    const { fitSeconds } = await fitAndRegister(db, {
      model: createModel('svd'),
      data,
      movies,
      seed: 0,
      reason: 'manual',
    });
    log(
      `ml-latest-small: ${data.size} ratings, ${movies.size} movies; champion v1 svd fitted in ${fmt(fitSeconds, 1)} s`,
    );
    return [...movies.keys()];
  } finally {
    await db.close();
  }
}

/** Accounts signed up through the server, each rating 20 seeded movies: users the champion folds in. */
async function makeAccounts(url: string, count: number, movieIds: readonly number[]): Promise<string[]> {
  const cookies: string[] = [];
  for (let a = 0; a < count; a++) {
    const r = await call(url, 'POST', '/api/auth/sign-up', {
      body: { username: `bench-${a}`, password: 'bench-pw-1234' },
    });
    if (r.status !== 201 || !r.cookie) throw new Error(`sign-up: ${r.status} ${JSON.stringify(r.json)}`);
    for (let k = 0; k < 20; k++) {
      const movieId = movieIds[(a * 7919 + k * 104_729) % movieIds.length]!;
      const rating = 1 + ((a + k) % 9) * 0.5;
      const posted = await call(url, 'POST', '/api/ratings', { cookie: r.cookie, body: { movieId, rating } });
      if (posted.status >= 300) throw new Error(`rating: ${posted.status} ${JSON.stringify(posted.json)}`);
    }
    cookies.push(r.cookie);
  }
  return cookies;
}

/** Loads `served` with recommendation requests rotating over the accounts. */
async function loadRun(
  served: ServeProcess,
  workers: number,
  cookies: readonly string[],
  options: { seconds: number; connections: number },
): Promise<ServeWorkersRun> {
  let next = 0;
  const requests = [
    {
      method: 'GET',
      path: '/api/recommendations?n=10',
      setupRequest: (request: object) => ({
        ...request,
        headers: { cookie: cookies[next++ % cookies.length] },
      }),
    },
  ];
  // Warm-up: every account folded in once, models and pages loaded, in every process.
  await autocannon({ url: served.url, connections: options.connections, duration: 3, requests });
  const loadAverage = loadavg()[0]!;
  const pids = servePids(served);
  const cpuBefore = pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  const result = await autocannon({
    url: served.url,
    connections: options.connections,
    duration: options.seconds,
    requests,
  });
  const cpu = pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0) - cpuBefore;
  const answered = result.requests.total - result.non2xx;
  return {
    workers,
    requests: answered,
    seconds: result.duration,
    perSecond: answered / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failed: result.errors + result.non2xx,
    cpuMsPerRequest: (1000 * cpu) / Math.max(1, answered),
    loadAverage,
  };
}

/**
 * Recommendation throughput of `serve --workers N` on ml-latest-small (SQLite, svd champion):
 * for each N a fresh serve process, a short warm-up, then `seconds` of autocannon load from this
 * process. Prints and returns req/s, p50/p99 and CPU per request of each run and the throughput
 * ratio of the last run over the first. The load generator shares the machine with the servers,
 * so on a small machine the ratio understates what separate client machines would see.
 */
export async function measureServeWorkers(options: ServeWorkersOptions = {}): Promise<ServeWorkersResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const workerCounts = options.workerCounts ?? [1, 2];
  const seconds = options.seconds ?? Number(process.env.SERVE_WORKERS_SECONDS ?? 20);
  const connections = options.connections ?? 32;
  const dir = mkdtempSync(join(tmpdir(), 'movienight-serve-workers-'));
  const location = join(dir, 'movies.db');
  const env = { MOVIENIGHT_LOG_LEVEL: 'silent' };
  const runs: ServeWorkersRun[] = [];
  try {
    const movieIds = await prepareDatabase(location, log);
    let cookies: string[] = [];
    for (const workers of workerCounts) {
      const served = await startServeProcess(location, ['--workers', String(workers), '--no-scheduler'], {
        env,
      });
      try {
        if (cookies.length === 0) cookies = await makeAccounts(served.url, options.accounts ?? 40, movieIds);
        const run = await loadRun(served, workers, cookies, { seconds, connections });
        runs.push(run);
        log(
          `serve --workers ${workers}: ${run.requests} recommendations in ${fmt(run.seconds, 1)} s = ${fmt(run.perSecond, 0)}/s; p50 ${fmt(run.p50Ms, 1)} ms, p99 ${fmt(run.p99Ms, 1)} ms; ${run.failed} failed; ${fmt(run.cpuMsPerRequest, 3)} ms CPU per request (serve processes); load average before ${fmt(run.loadAverage, 2)}`,
        );
      } finally {
        await served.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ratio = runs.length > 1 ? runs.at(-1)!.perSecond / runs[0]!.perSecond : 1;
  log(
    `throughput ratio --workers ${workerCounts.at(-1)} / --workers ${workerCounts[0]}: ${fmt(ratio, 2)} (${connections} connections from this process, which shares the cores)`,
  );
  return { runs, ratio };
}

export const benchmark: Benchmark = {
  name: 'serve-workers',
  description:
    'recommendation throughput of serve --workers 1 vs 2 on ml-latest-small (autocannon, SQLite, svd)',
  async run() {
    await measureServeWorkers();
  },
};
