import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { importMovieLens } from '../src/data/import-movielens.ts';
import { loadMovies } from '../src/data/load-movies.ts';
import { loadRatingsData } from '../src/data/load-ratings.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { createModel } from '../src/models/model-registry.ts';
import { fitAndRegister } from '../src/registry/fit-and-register.ts';
import { mlLatestSmallDir, mlLatestSmallPath } from '../test/helpers/data-paths.ts';
import { call, type ServeProcess, startServeProcess } from '../test/helpers/serve-process.ts';
import { fmt, median } from './measure.ts';
import { cpuSecondsOf } from './process-cpu.ts';
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

/** The load `serve --workers N` took, over all its turns. */
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
  /** The machine's 1-minute load average before its turns (median). */
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
  /** Seconds of each turn of load (default SERVE_WORKERS_SECONDS or 10). */
  readonly seconds?: number;
  /** Turns each configuration takes, alternating (default 3). */
  readonly rounds?: number;
  /** Concurrent keep-alive connections (default 32). */
  readonly connections?: number;
  /** Signed-up accounts the requests rotate over, each with 20 ratings (default 40). */
  readonly accounts?: number;
  /**
   * An empty database to import into and serve from (a postgres:// URL, say) instead of a fresh
   * SQLite file in a temporary folder. The caller makes it and drops it.
   */
  readonly location?: string;
  readonly log?: (line: string) => void;
}

/** The serve processes: the primary and, with --workers N > 1, the pids it printed. */
function servePids(served: ServeProcess): number[] {
  const listed = /serving processes: ([\d, ]+) \(/.exec(served.output())?.[1];
  const workers = listed ? listed.split(',').map((p) => Number(p.trim())) : [];
  return [served.child.pid!, ...workers];
}

/** ml-latest-small in an empty database with an svd champion trained on all of it. */
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
      body: { username: `bench-${a}`, password: `popcorn-night-${a}-armchair` },
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

/** Recommendation requests rotating over the accounts (each connection takes the next cookie). */
function recommendationRequests(cookies: readonly string[]) {
  let next = 0;
  return [
    {
      method: 'GET',
      path: '/api/recommendations?n=10',
      setupRequest: (request: object) => ({
        ...request,
        headers: { cookie: cookies[next++ % cookies.length] },
      }),
    },
  ];
}

/** One slice of load on one server: answered requests, time, percentiles, CPU of its processes. */
interface Slice {
  readonly answered: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly failed: number;
  readonly cpuSeconds: number;
  readonly loadAverage: number;
}

async function loadSlice(
  served: ServeProcess,
  cookies: readonly string[],
  seconds: number,
  connections: number,
): Promise<Slice> {
  const loadAverage = loadavg()[0]!;
  const pids = servePids(served);
  const cpuBefore = pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  const result = await autocannon({
    url: served.url,
    connections,
    duration: seconds,
    requests: recommendationRequests(cookies),
  });
  const cpuSeconds = pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0) - cpuBefore;
  const answered = result.requests.total - result.non2xx;
  return {
    answered,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.errors + result.non2xx,
    cpuSeconds,
    loadAverage,
  };
}

/** A configuration's slices summed (throughput, CPU) or their median (percentiles, load). */
function summarise(workers: number, slices: readonly Slice[]): ServeWorkersRun {
  const sum = (f: (s: Slice) => number) => slices.reduce((total, s) => total + f(s), 0);
  const answered = sum((s) => s.answered);
  const seconds = sum((s) => s.seconds);
  return {
    workers,
    requests: answered,
    seconds,
    perSecond: answered / seconds,
    p50Ms: median(slices.map((s) => s.p50)),
    p99Ms: median(slices.map((s) => s.p99)),
    failed: sum((s) => s.failed),
    cpuMsPerRequest: (1000 * sum((s) => s.cpuSeconds)) / Math.max(1, answered),
    loadAverage: median(slices.map((s) => s.loadAverage)),
  };
}

/**
 * Recommendation throughput of `serve --workers N` on ml-latest-small (svd champion; a SQLite file
 * unless `location` names another database). One serve process per N runs on the same database
 * the whole time (an idle one costs nothing); after a warm-up of each, they take `rounds` turns of
 * `seconds` of autocannon load from this process, so a change in the shared machine's load falls
 * on every configuration alike. Prints and returns for each worker count req/s over its turns, the
 * median p50/p99 of its turns, CPU per request of its processes and the load average, and the
 * throughput ratio of the last worker count to the first.
 * The load generator shares the cores with the servers, so on a small machine the ratio
 * understates what separate client machines would see.
 */
export async function measureServeWorkers(options: ServeWorkersOptions = {}): Promise<ServeWorkersResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const workerCounts = options.workerCounts ?? [1, 2];
  const seconds = options.seconds ?? Number(process.env.SERVE_WORKERS_SECONDS ?? 10);
  const rounds = options.rounds ?? 3;
  const connections = options.connections ?? 32;
  const dir = mkdtempSync(join(tmpdir(), 'movienight-serve-workers-'));
  const location = options.location ?? join(dir, 'movies.db');
  // Every account and every request comes from this one address, and each of the few accounts
  // stands for many clients: the rate limits are off so that the bench measures serving itself.
  const env = {
    MOVIENIGHT_LOG_LEVEL: 'silent',
    MOVIENIGHT_SIGN_UPS_PER_ADDRESS_PER_HOUR: '0',
    MOVIENIGHT_RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
    MOVIENIGHT_RATE_LIMIT_ACCOUNT_PER_MINUTE: '0',
  };
  const servers: ServeProcess[] = [];
  try {
    const movieIds = await prepareDatabase(location, log);
    for (const workers of workerCounts) {
      servers.push(
        await startServeProcess(location, ['--workers', String(workers), '--no-scheduler'], { env }),
      );
    }
    const cookies = await makeAccounts(servers[0]!.url, options.accounts ?? 40, movieIds);
    // Warm-up: every account folded in, models and pages loaded, in every process of every server.
    for (const served of servers) await loadSlice(served, cookies, 3, connections);
    const slices: Slice[][] = servers.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (const [i, served] of servers.entries())
        slices[i]!.push(await loadSlice(served, cookies, seconds, connections));
    }
    const runs = workerCounts.map((workers, i) => summarise(workers, slices[i]!));
    for (const run of runs) {
      log(
        `serve --workers ${run.workers}: ${run.requests} recommendations in ${fmt(run.seconds, 1)} s (${rounds} turns) = ${fmt(run.perSecond, 0)}/s; median p50 ${fmt(run.p50Ms, 1)} ms, p99 ${fmt(run.p99Ms, 1)} ms; ${run.failed} failed; ${fmt(run.cpuMsPerRequest, 3)} ms CPU per request (serve processes); load average ${fmt(run.loadAverage, 2)}`,
      );
    }
    const ratio = runs.length > 1 ? runs.at(-1)!.perSecond / runs[0]!.perSecond : 1;
    log(
      `throughput ratio --workers ${workerCounts.at(-1)} / --workers ${workerCounts[0]}: ${fmt(ratio, 2)} (${connections} connections from this process, which shares the ${cpus().length} cores)`,
    );
    return { runs, ratio };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  name: 'serve-workers',
  description:
    'recommendation throughput of serve --workers 1 vs 2 on ml-latest-small (autocannon, SQLite, svd)',
  async run() {
    await measureServeWorkers();
  },
};
