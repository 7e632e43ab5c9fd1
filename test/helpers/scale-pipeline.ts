import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The scale pipeline shared by `npm run bench scale` (25 M ratings by default, printing figures)
 * and its CI test (a small size, correctness only): generate a world shaped like MovieLens 25M,
 * import it into SQLite and PostgreSQL, train, evaluate, tune, recommend, serve and run every
 * report, each step as its own child process so that its peak RSS is its own.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const cliWithPeak = join(root, 'test', 'helpers', 'peak-rss-cli.ts');
const recommendScript = join(root, 'test', 'helpers', 'scale-recommend.ts');

/** MovieLens 25M: 162,541 users and 62,423 movies for 25,000,095 ratings. */
export function worldShape(ratings: number): { users: number; movies: number; ratings: number } {
  const f = ratings / 25_000_095;
  return {
    users: Math.max(50, Math.round(162_541 * f)),
    // Catalogues grow slower than ratings: about with their square root below full size.
    movies: Math.max(50, Math.round(62_423 * Math.sqrt(f))),
    ratings,
  };
}

export interface StepResult {
  readonly name: string;
  readonly seconds: number;
  /** Peak resident memory of the step's process, MiB. */
  readonly peakMiB: number;
  readonly stdout: string;
  readonly extra?: Readonly<Record<string, number>>;
}

export interface ScalePipelineOptions {
  readonly ratings: number;
  /** PostgreSQL server URL for the second import; skipped when absent. */
  readonly pgUrl?: string;
  /** svd parameters of train and evaluate (bench: 100 factors, 20 epochs). */
  readonly svd: { readonly n_factors: number; readonly n_epochs: number };
  readonly folds: number;
  readonly tuneTrials: number;
  readonly tuneFolds: number;
  readonly onStep?: (step: StepResult) => void;
  /**
   * A folder kept from an earlier run (its world and movies.db): steps are timed again on it and it
   * is never removed. A fresh temporary folder when absent.
   */
  readonly dir?: string;
  /** Run only the steps whose names start with one of these (all when absent). */
  readonly steps?: readonly string[];
}

interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
  readonly peakMiB: number;
}

/** Runs a script of this repository in a fresh Node process; its peak RSS comes back through a file. */
function runNode(script: string, args: readonly string[], dir: string): Promise<ChildRun> {
  const peakFile = join(dir, `peak-${process.hrtime.bigint()}.txt`);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    env: { ...process.env, MOVIENIGHT_PEAK_RSS_FILE: peakFile },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      let peakKiB = 0;
      try {
        peakKiB = Number(readFileSync(peakFile, 'utf8'));
      } catch {
        // The child died before writing it.
      }
      resolve({
        code,
        stdout,
        stderr,
        seconds: (performance.now() - started) / 1000,
        peakMiB: peakKiB / 1024,
      });
    });
  });
}

/** One CLI step; a non-zero exit is an error naming the step and carrying its stderr. */
async function cliStep(name: string, args: readonly string[], dir: string): Promise<StepResult> {
  const run = await runNode(cliWithPeak, args, dir);
  if (run.code !== 0) throw new Error(`step ${name} exited ${run.code}: ${run.stderr.slice(-2000)}`);
  return { name, seconds: run.seconds, peakMiB: run.peakMiB, stdout: run.stdout };
}

async function freshPostgres(pgUrl: string, name: string, drop: boolean): Promise<string> {
  const pg = await import('pg');
  const admin = new pg.default.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  if (!drop) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Runs every step in order and returns their results (also handed to `onStep` as each ends).
 * It is long because it lists the pipeline's steps in order, each one line of arguments.
 */
export async function runScalePipeline(options: ScalePipelineOptions): Promise<StepResult[]> {
  const reused = options.dir !== undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'movienight-scale-'));
  const db = join(dir, 'movies.db');
  const wants = (name: string) => !options.steps || options.steps.some((s) => name.startsWith(s));
  if (reused && !existsSync(join(dir, 'world'))) throw new Error(`${dir} holds no generated world`);
  const shape = worldShape(options.ratings);
  const results: StepResult[] = [];
  const record = (r: StepResult) => {
    results.push(r);
    options.onStep?.(r);
    return r;
  };
  const step = async (name: string, args: readonly string[]) =>
    wants(name) ? record(await cliStep(name, args, dir)) : undefined;
  const pgName = `mn_scale_${process.pid}`;
  try {
    const world = [
      '--users',
      `${shape.users}`,
      '--movies',
      `${shape.movies}`,
      '--ratings',
      `${shape.ratings}`,
    ];
    if (!reused)
      await step('generate', ['generate', ...world, '--seed', '25', '--out', join(dir, 'world'), '--json']);
    // On a kept folder the import is timed into a fresh file, leaving movies.db and its models alone.
    const importDb = reused ? join(dir, `import-check-${process.pid}.db`) : db;
    await step('import sqlite', [
      '--db',
      importDb,
      'import',
      'movielens',
      join(dir, 'world'),
      '--no-progress',
      '--json',
    ]);
    if (reused) for (const suffix of ['', '-wal', '-shm']) rmSync(`${importDb}${suffix}`, { force: true });
    if (options.pgUrl && wants('import postgres')) {
      const url = await freshPostgres(options.pgUrl, pgName, false);
      await step('import postgres', [
        '--db',
        url,
        'import',
        'movielens',
        join(dir, 'world'),
        '--no-progress',
        '--json',
      ]);
    }
    const svd = JSON.stringify(options.svd);
    await step('train svd', ['--db', db, 'train', '--model', 'svd', '--params', svd, '--activate']);
    // Load + fit + save alone: `train` without its measurement fit on the older 90 %.
    await step('train svd --no-holdout', [
      '--db',
      db,
      'train',
      '--model',
      'svd',
      '--params',
      svd,
      '--no-holdout',
    ]);
    const evaluation = await step('evaluate', [
      '--db',
      db,
      'evaluate',
      '--model',
      'svd',
      '--params',
      svd,
      '--folds',
      `${options.folds}`,
      '--json',
    ]);
    if (evaluation)
      record({ ...evaluation, name: 'evaluate (throughput)', extra: rankingFigures(evaluation.stdout) });
    const tuned = await step('tune bayesian halving', [
      '--db',
      db,
      'tune',
      '--method',
      'bayesian',
      '--trials',
      `${options.tuneTrials}`,
      '--fidelity',
      'halving',
      // Expected improvement per second: keeps the large, slow configurations for when they
      // promise proportionally more (docs/tuning.md).
      '--cost-aware',
      '--folds',
      `${options.tuneFolds}`,
      '--seed',
      '3',
      '--no-progress',
      '--json',
    ]);
    if (tuned) record({ ...tuned, name: 'tune (best)', extra: tuneFigures(tuned.stdout) });
    // The serve step rates the movies the CLI recommended, so it needs that step.
    const cold =
      wants('recommend') || wants('serve')
        ? await cliStep('recommend (cli, cold)', ['--db', db, 'recommend', '--user', '1', '--json'], dir)
        : undefined;
    if (cold && wants('recommend')) record(cold);
    if (wants('recommend')) {
      const warm = await runNode(recommendScript, [db], dir);
      if (warm.code !== 0) throw new Error(`warm recommend exited ${warm.code}: ${warm.stderr.slice(-2000)}`);
      record({
        name: 'recommend (warm, in process)',
        seconds: warm.seconds,
        peakMiB: warm.peakMiB,
        stdout: warm.stdout,
        extra: JSON.parse(warm.stdout) as Record<string, number>,
      });
    }
    if (cold && wants('serve')) {
      const recommended = JSON.parse(cold.stdout) as { items: { movieId: number }[] };
      record(
        await serveStep(
          db,
          recommended.items.map((i) => i.movieId),
        ),
      );
    }
    await step('report unexpected', ['--db', db, 'report', 'unexpected', '--source', 'ratings', '--json']);
    await step('report impact', ['--db', db, 'report', 'impact', '--json']);
    await step('report status', ['--db', db, 'report', 'status', '--json']);
    await step('report tuning', ['--db', db, 'report', 'tuning', '--json']);
    return results;
  } finally {
    if (options.pgUrl && process.env.MOVIENIGHT_BENCH_SCALE_KEEP !== '1')
      await freshPostgres(options.pgUrl, pgName, true).catch(() => undefined);
    // MOVIENIGHT_BENCH_SCALE_KEEP=1 keeps the world and databases, to time a step again later
    // (MOVIENIGHT_BENCH_SCALE_DIR with MOVIENIGHT_BENCH_SCALE_STEPS); a reused folder is always kept.
    if (process.env.MOVIENIGHT_BENCH_SCALE_KEEP === '1' && !reused)
      console.log(`kept the world and databases in ${dir}`);
    else if (!reused) rmSync(dir, { recursive: true, force: true });
  }
}

/** Peak RSS of a live process from /proc (Linux), MiB; 0 elsewhere. */
function livePeakMiB(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function http(url: string, method: string, body?: unknown, cookie?: string): Promise<Response> {
  return fetch(url, {
    method,
    // A browser sends its page's origin with a cookie; the server refuses a state change without it.
    headers: {
      'content-type': 'application/json',
      ...(cookie ? { cookie, origin: new URL(url).origin } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/**
 * `serve` from cold: time until it listens and until `/readyz` is ready, then a new account rates
 * five movies and asks for its top-10 (fold-in), then the time until the explainer (built in the
 * background) is ready, then 50 more asks (warm p50). The server is stopped after.
 * It is long because the server's start, the new user's requests and the stop share one child.
 */
async function serveStep(db: string, movieIds: readonly number[]): Promise<StepResult> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', cliWithPeak, '--db', db, 'serve', '--port', '0', '--no-demo', '--no-scheduler'],
    { cwd: root, env: { ...process.env, MOVIENIGHT_PEAK_RSS_FILE: '' } },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const found = /serving at (http:\/\/\S+)/.exec(stdout);
      if (found) resolve(found[1]!);
    });
    child.on('close', (code) =>
      reject(new Error(`serve exited ${code} before listening: ${stderr.slice(-2000)}`)),
    );
  });
  const listeningSeconds = (performance.now() - started) / 1000;
  const readyz = async () => {
    const r = await http(`${url}/readyz`, 'GET');
    return { ok: r.ok, body: (await r.json()) as { checks?: { explanations?: string } } };
  };
  try {
    while (!(await readyz()).ok) await new Promise((resolve) => setTimeout(resolve, 100));
    const readySeconds = (performance.now() - started) / 1000;
    const signUp = await http(`${url}/api/auth/sign-up`, 'POST', {
      username: `scale-newcomer-${process.pid}`,
      password: 'scale-test-pw',
    });
    if (signUp.status !== 201) throw new Error(`sign-up: ${signUp.status} ${await signUp.text()}`);
    const cookie = String(signUp.headers.get('set-cookie') ?? '').split(';')[0]!;
    for (const movieId of movieIds.slice(0, 5)) {
      const r = await http(`${url}/api/ratings`, 'POST', { movieId, rating: 4.5 }, cookie);
      if (!r.ok) throw new Error(`rating: ${r.status} ${await r.text()}`);
    }
    const ask = async () => {
      const t0 = performance.now();
      const r = await http(`${url}/api/recommendations?n=10`, 'GET', undefined, cookie);
      const body = (await r.json()) as { recommendations?: unknown[] };
      if (!r.ok || body.recommendations?.length !== 10) throw new Error(`recommendations: ${r.status}`);
      return performance.now() - t0;
    };
    const firstMs = await ask();
    // The explainer is built in the background after start; picks get its reasons once it is ready.
    while ((await readyz()).body.checks?.explanations !== 'ready') {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const explanationsSeconds = (performance.now() - started) / 1000;
    const warm: number[] = [];
    for (let i = 0; i < 50; i++) warm.push(await ask());
    warm.sort((a, b) => a - b);
    const figures = { listeningSeconds, readySeconds, firstMs, explanationsSeconds, warmP50Ms: warm[25]! };
    return {
      name: 'serve (cold start, new user)',
      seconds: (performance.now() - started) / 1000,
      peakMiB: livePeakMiB(child.pid),
      stdout: JSON.stringify(figures),
      extra: figures,
    };
  } finally {
    const exited = new Promise((resolve) => child.once('close', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

/** Scoring throughput from `evaluate --json`, when it reports it. */
/** What the halving run chose: its best value (per cent), the configuration's size and its refit. */
function tuneFigures(stdout: string): Record<string, number> {
  try {
    const parsed = JSON.parse(stdout) as {
      best?: { trial?: { value?: number; params?: Record<string, unknown> } } | null;
      refitSeconds?: number | null;
    };
    const trial = parsed.best?.trial;
    const out: Record<string, number> = {};
    if (typeof trial?.value === 'number') out.bestPercent = Math.round(trial.value * 1e4) / 100;
    for (const key of ['n_factors', 'n_epochs'])
      if (typeof trial?.params?.[key] === 'number') out[key] = trial.params[key] as number;
    if (typeof parsed.refitSeconds === 'number') out.refitSeconds = Math.round(parsed.refitSeconds * 10) / 10;
    return out;
  } catch {
    return {};
  }
}

function rankingFigures(stdout: string): Record<string, number> {
  try {
    const parsed = JSON.parse(stdout) as Record<string, unknown>;
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number') out[k] = v;
    return out;
  } catch {
    return {};
  }
}
