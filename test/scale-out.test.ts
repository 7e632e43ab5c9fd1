import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { generateIntoDatabase } from '../src/data/generate.ts';
import { JobQueue } from '../src/queue/job-queue.ts';
import { parseQueueUrl } from '../src/queue/queue-url.ts';
import { aliasHistory } from '../src/registry/aliases.ts';
import { listVersions } from '../src/registry/model-versions.ts';
import { retrainLockState } from '../src/retraining/retrain-lock.ts';
import { getTrigger } from '../src/retraining/retrain-triggers.ts';
import { SqlTuningStorage } from '../src/tuning/sql-tuning-storage.ts';
import { type RunningCli, startCliProcess } from './helpers/cli.ts';
import { postgresKind, type TestDatabase } from './helpers/databases.ts';
import { describeEachQueue, queuePrefix } from './helpers/queues.ts';
import { call, replicaAdminToken, type ServeProcess, startServeProcess } from './helpers/serve-process.ts';

/** Polls `check` until it is true (a test of processes waits for what they did, never for a time). */
async function until(check: () => Promise<boolean>, what: string, limitMs = 60_000, everyMs = 100) {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Long enough fits that a kill lands mid-trial; small data so the whole story stays short. */
const slowSpace = {
  model: 'svd',
  params: {
    n_factors: { type: 'int', low: 5, high: 30 },
    lr_all: { type: 'float', low: 0.002, high: 0.05, log: true },
  },
  fixed: { n_epochs: 250 },
};

/**
 * The deployment of docs/deployment.md in one story, as an operator runs it: two `serve`
 * replicas and two `worker` processes on one PostgreSQL database and one queue, and a `tune`
 * coordinator. A worker is SIGKILLed mid-trial and the run still records every trial once; a
 * retrain asked of replica 1 is run by the surviving worker, and replica 2 serves its version
 * within two seconds of its activation. The case is long because it tells that one story in order.
 */
describeEachQueue('scale-out: coordinator, two workers (one killed), two serve replicas', (kind) => {
  let t: TestDatabase;
  let dir: string;
  const running: RunningCli[] = [];
  const replicas: ServeProcess[] = [];
  beforeEach(async () => {
    t = await postgresKind.create();
    dir = mkdtempSync(join(tmpdir(), 'movienight-scale-out-'));
  });
  afterEach(async () => {
    for (const r of running)
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await Promise.all(running.map((r) => r.done.catch(() => undefined)));
    await Promise.all(replicas.map((r) => r.stop()));
    running.length = 0;
    replicas.length = 0;
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tunes with every trial once through a kill, and a retrain asked of one replica is served by the other', async () => {
    const queueUrl = kind.url(t.location);
    const prefix = queuePrefix();
    const env = {
      MOVIENIGHT_QUEUE_PREFIX: prefix,
      MOVIENIGHT_QUEUE_LOCK_SECONDS: '2',
      MOVIENIGHT_STALE_AFTER_SECONDS: '4',
      MOVIENIGHT_SCHEDULER_INTERVAL_SECONDS: '3600',
    };
    // The replicas start on an empty database (no ratings: no first version of their own), so the
    // retrain's version is the first champion and is activated at once.
    replicas.push(
      ...(await Promise.all([
        startServeProcess(t.location, ['--queue', queueUrl], { env }),
        startServeProcess(t.location, ['--queue', queueUrl], { env }),
      ])),
    );
    const [one, two] = replicas as [ServeProcess, ServeProcess];
    await generateIntoDatabase(t.db, { users: 120, movies: 100, ratings: 4000, seed: 9, scale: 'half' });

    const worker = () =>
      startCliProcess(['--db', t.location, 'worker', '--queue', queueUrl, '--concurrency', '1'], env);
    const [a, b] = [worker(), worker()];
    const space = join(dir, 'space.json');
    writeFileSync(space, JSON.stringify(slowSpace));
    const bestOut = join(dir, 'best_hp.json');
    const coordinator = startCliProcess(
      [
        ...['--db', t.location, 'tune', '--queue', queueUrl, '--method', 'random', '--trials', '6'],
        ...['--workers', '2', '--seed', '3', '--space', space, '--no-prune', '--json', '--best-out', bestOut],
      ],
      env,
    );
    running.push(a, b, coordinator);
    const queue = await JobQueue.open({ url: parseQueueUrl(queueUrl), prefix, lockMs: 2000 });
    try {
      // 1. Tuning: both workers busy with one trial each (concurrency 1), then one is killed.
      await until(async () => (await queue.queue('trials').getActiveCount()) >= 2, 'two active trial jobs');
      a.child.kill('SIGKILL');
      const end = await coordinator.done;
      expect(end.code, end.stderr).toBe(0);
      const storage = new SqlTuningStorage(t.db);
      const [run] = await storage.listRuns({ model: 'svd' });
      expect(run?.status).toBe('complete');
      const trials = await storage.listTrials(run!.id);
      expect(trials.map((tr) => tr.state)).toEqual(Array(6).fill('complete'));
      expect(trials.map((tr) => tr.number).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      // The job the killed worker held was taken again after its lock ran out.
      const jobs = await queue.queue('trials').getJobs(['completed']);
      expect(jobs.some((j) => j.stalledCounter >= 1 || j.attemptsStarted >= 2)).toBe(true);
      // best_hp.json written once, by the coordinator, with what it printed.
      const printed = JSON.parse(end.stdout);
      expect(printed.runId).toBe(run!.id);
      expect(JSON.parse(readFileSync(bestOut, 'utf8'))).toEqual(printed);

      // 2. A retrain asked of replica 1 (admin, HTTP) becomes a job the surviving worker runs.
      const member = await call(two.url, 'POST', '/api/auth/sign-up', {
        body: { username: 'scale-out-member', password: 'scale-out-pw-1234' },
      });
      expect(member.status).toBe(201);
      const asked = await call(one.url, 'POST', '/api/admin/retrain', {
        token: replicaAdminToken,
        body: { reason: 'scale-out story', seed: 1, tune: true, method: 'random', trials: 3 },
      });
      expect(asked.status, JSON.stringify(asked.json)).toBe(202);
      const triggerId = (asked.json as { trigger: { id: number } }).trigger.id;
      let servedAt = 0;
      let version = 0;
      await until(
        async () => {
          const r = await call(two.url, 'GET', '/api/recommendations?n=5', { cookie: member.cookie! });
          if (r.status !== 200) return false;
          version = (r.json as { modelVersion: number }).modelVersion;
          servedAt = Date.now();
          return true;
        },
        'replica 2 to serve the retrained version',
        90_000,
        50,
      );
      // The trigger is closed right after the deploy step that activated the version.
      await until(
        async () => (await getTrigger(t.db, triggerId))?.status !== 'running',
        'the trigger to close',
      );
      const trigger = await getTrigger(t.db, triggerId);
      expect(trigger).toMatchObject({ status: 'succeeded', newVersion: version });
      expect(trigger?.holder).toMatch(new RegExp(`:${b.child.pid}$`));
      expect((await listVersions(t.db)).map((v) => v.version)).toEqual([version]);
      // Its tuning ran as trial jobs too, coordinated by the retrain.
      const retrainRun = (await storage.listRuns({ model: 'svd' })).find((r) => r.id !== run!.id);
      expect(retrainRun).toMatchObject({ status: 'complete', trialsDone: 3 });
      const retrainTrials = (await queue.queue('trials').getJobs(['completed'])).filter(
        (j) => j.data.runId === retrainRun!.id,
      );
      expect(retrainTrials).toHaveLength(3);
      expect((await retrainLockState(t.db)).holder).toBeNull();
      const [activation] = await aliasHistory(t.db, { alias: 'champion' });
      expect(activation?.newVersion).toBe(version);
      // Served by the other replica within 2 s of the activation (its poll is once a second).
      expect(servedAt - activation!.movedAt).toBeLessThanOrEqual(2000);
    } finally {
      await queue.close();
    }
  }, 120_000);
});
