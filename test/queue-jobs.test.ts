import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { generateIntoDatabase } from '../src/data/generate.ts';
import { loadRatingsData } from '../src/data/load-ratings.ts';
import { ratingsFingerprint } from '../src/data/ratings-data.ts';
import { JobQueue } from '../src/queue/job-queue.ts';
import { parseQueueUrl } from '../src/queue/queue-url.ts';
import { championVersion } from '../src/registry/champion.ts';
import { getVersion, listVersions } from '../src/registry/model-versions.ts';
import { retrainLockState } from '../src/retraining/retrain-lock.ts';
import type { RetrainResult } from '../src/retraining/retrain-options.ts';
import { getTrigger, listSteps, listTriggers } from '../src/retraining/retrain-triggers.ts';
import { createApp, type MovieNightApp } from '../src/server/create-app.ts';
import { SqlTuningStorage } from '../src/tuning/sql-tuning-storage.ts';
import { type RunningCli, runCliProcess, startCliProcess } from './helpers/cli.ts';
import { postgresKind, type TestDatabase } from './helpers/databases.ts';
import { describeEachQueue, queuePrefix } from './helpers/queues.ts';

const adminToken = 'queue-test-admin-token-0123456789';

async function until(
  check: () => Promise<boolean>,
  what: string,
  limitMs = 40_000,
  everyMs = 100,
): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describeEachQueue('retrains and scheduled checks as jobs', (kind) => {
  let t: TestDatabase;
  let queue: JobQueue;
  let prefix: string;
  let queueUrl: string;
  const running: RunningCli[] = [];
  beforeEach(async () => {
    t = await postgresKind.create();
    await generateIntoDatabase(t.db, { users: 80, movies: 60, ratings: 2500, seed: 4, scale: 'half' });
    prefix = queuePrefix();
    queueUrl = kind.url(t.location);
    queue = await JobQueue.open({ url: parseQueueUrl(queueUrl), prefix, lockMs: 2000 });
  });
  afterEach(async () => {
    for (const r of running)
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
    await Promise.all(running.map((r) => r.done.catch(() => undefined)));
    running.length = 0;
    await queue.close();
    await t.drop();
  });

  const worker = (env: Record<string, string> = {}) => {
    const w = startCliProcess(['--db', t.location, 'worker', '--queue', queueUrl, '--concurrency', '1'], {
      MOVIENIGHT_QUEUE_PREFIX: prefix,
      MOVIENIGHT_QUEUE_LOCK_SECONDS: '2',
      ...env,
    });
    running.push(w);
    return w;
  };

  it('a retrain asked of the server is run by a worker, and its version becomes champion', async () => {
    worker({ MOVIENIGHT_SCHEDULER_INTERVAL_SECONDS: '3600' });
    const config = loadConfig({ env: {}, file: '/nonexistent', overrides: { logLevel: 'silent' } });
    const app: MovieNightApp = createApp({
      db: t.db,
      config,
      adminToken,
      webDist: null,
      queue,
      workerLocation: t.location,
    });
    const auth = { authorization: `Bearer ${adminToken}` };
    try {
      const health = await (await app.app.request('/healthz')).json();
      expect(health.queue).toBe(parseQueueUrl(queueUrl).display);

      const asked = await app.app.request('/api/admin/retrain', {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'from the test', seed: 1 }),
      });
      expect(asked.status).toBe(202);
      const { trigger } = await asked.json();
      await until(
        async () => (await getTrigger(t.db, trigger.id))?.status === 'succeeded',
        'the retrain to succeed',
        60_000,
      );
      expect(await championVersion(t.db)).not.toBeNull();
      // The trigger is recorded before the job hands back its result: wait for the job too.
      const jobId = `retrain-${trigger.id}`;
      await until(
        async () => (await queue.queue('jobs').getJobState(jobId)) === 'completed',
        'the job to complete',
      );
      const job = await queue.queue('jobs').getJob(jobId);
      expect(job?.returnvalue).toMatchObject({ triggerId: trigger.id, status: 'succeeded' });
      expect(job?.progress).toMatchObject({ step: 'done', percent: 100 });

      // bull-board, behind the admin's authentication.
      expect((await app.app.request('/admin/queues')).status).toBe(401);
      const board = await app.app.request('/admin/queues', { headers: auth });
      expect(board.status).toBe(200);
      expect(await board.text()).toMatch(/<html/i);
      const listed = await (await app.app.request('/api/admin/queue', { headers: auth })).json();
      expect(listed).toMatchObject({ board: '/admin/queues', queue: parseQueueUrl(queueUrl).display });
    } finally {
      await app.close();
    }
  }, 90_000);

  it("a retrain's tuning runs its trials as jobs that the worker processes take", async () => {
    worker({ MOVIENIGHT_SCHEDULER_INTERVAL_SECONDS: '3600' });
    worker({ MOVIENIGHT_SCHEDULER_INTERVAL_SECONDS: '3600' });
    const retrain = await runCliProcess(
      [
        '--db',
        t.location,
        'retrain',
        '--queue',
        queueUrl,
        '--tune',
        '--method',
        'random',
        '--trials',
        '5',
        '--seed',
        '2',
        '--json',
      ],
      { MOVIENIGHT_QUEUE_PREFIX: prefix, MOVIENIGHT_QUEUE_LOCK_SECONDS: '2' },
    );
    expect(retrain.code, retrain.stderr).toBe(0);
    const result = JSON.parse(retrain.stdout) as RetrainResult;
    expect(result).toMatchObject({ status: 'succeeded', paramsSource: 'tuned' });
    const tune = result.steps.find((s) => s.step === 'tune');
    expect(tune?.details).toMatchObject({ ranOn: 'queue', trials: 5 });
    const runId = tune?.details.runId as string;

    // The run tuned on the retrain's training part, recorded as a query the workers repeated.
    const run = await new SqlTuningStorage(t.db).getRun(runId);
    expect(run).toMatchObject({ status: 'complete', trialsDone: 5 });
    expect(run?.config.data).toMatchObject({ since: null, includeUnexpected: true });
    const all = await loadRatingsData(t.db);
    const train = await loadRatingsData(t.db, { until: run!.config.data!.until! });
    expect(train.size).toBeGreaterThan(0.8 * all.size);
    expect(train.size).toBeLessThan(all.size);
    expect(ratingsFingerprint({ ...train, scale: run!.config.data!.scale })).toBe(run!.dataFingerprint);

    // Every trial was a job on the trials queue, none computed in the retrain's own thread.
    const jobs = (await queue.queue('trials').getJobs(['completed'])).filter((j) => j.data.runId === runId);
    expect(jobs.map((j) => j.data.task.number).sort()).toEqual([0, 1, 2, 3, 4]);
    const version = await getVersion(t.db, result.newVersion!);
    expect(version?.tuningRunId).toBe(runId);
  }, 120_000);

  it('a worker SIGKILLed mid-retrain: another takes the job again and the retrain finishes once', async () => {
    const env = { MOVIENIGHT_SCHEDULER_INTERVAL_SECONDS: '3600', MOVIENIGHT_STALE_AFTER_SECONDS: '4' };
    const workers = [worker(env), worker(env)];
    // Long fits (several windows are fitted), so that the kill lands inside the fit step.
    const retrain = startCliProcess(
      [
        '--db',
        t.location,
        'retrain',
        '--queue',
        queueUrl,
        '--model',
        'svd',
        '--params',
        '{"n_epochs":600,"n_factors":40}',
      ],
      {
        MOVIENIGHT_QUEUE_PREFIX: prefix,
        MOVIENIGHT_STALE_AFTER_SECONDS: '4',
        MOVIENIGHT_QUEUE_LOCK_SECONDS: '2',
      },
    );
    running.push(retrain);
    let holder = '';
    await until(
      async () => {
        const [trigger] = await listTriggers(t.db);
        const fit = trigger ? (await listSteps(t.db, trigger.id)).find((s) => s.step === 'fit') : undefined;
        holder = (await retrainLockState(t.db)).holder ?? '';
        return trigger?.status === 'running' && fit !== undefined && holder !== '';
      },
      'the retrain to reach its fit step',
      60_000,
      20,
    );
    const victim = workers.find((w) => holder.endsWith(`:${w.child.pid}`));
    expect(victim, `lock holder ${holder}`).toBeDefined();
    victim!.child.kill('SIGKILL');
    expect((await listTriggers(t.db))[0]?.status).toBe('running');

    const end = await retrain.done;
    expect(end.code, end.stderr).toBe(0);
    const [trigger, ...others] = await listTriggers(t.db);
    expect(others).toEqual([]);
    expect(trigger?.status).toBe('succeeded');
    const survivor = workers.find((w) => w !== victim)!;
    expect(trigger?.holder).toMatch(new RegExp(`:${survivor.child.pid}$`));
    // One new version, the champion; the lock released; every step recorded done once.
    const versions = await listVersions(t.db);
    expect(versions.map((v) => v.version)).toEqual([trigger!.newVersion]);
    expect(await championVersion(t.db)).toBe(trigger!.newVersion);
    expect((await retrainLockState(t.db)).holder).toBeNull();
    const steps = await listSteps(t.db, trigger!.id);
    expect(steps.map((s) => `${s.step}:${s.status}`)).toEqual(
      ['data', 'fit', 'compare', 'final-fit', 'register', 'deploy'].map((s) => `${s}:done`),
    );
    // The job was taken again after the killed worker's lock ran out, and completed there.
    const job = await queue.queue('jobs').getJob(`retrain-${trigger!.id}`);
    expect(await job?.getState()).toBe('completed');
    expect((job?.stalledCounter ?? 0) + (job?.attemptsStarted ?? 0)).toBeGreaterThanOrEqual(2);
    expect(job?.returnvalue).toMatchObject({ status: 'succeeded', tookOverFrom: holder });
  }, 120_000);

  it('answers a refusal raised in a worker with the status it has without a queue', async () => {
    worker({ MOVIENIGHT_SCHEDULER_INTERVAL_SECONDS: '3600' });
    const config = loadConfig({ env: {}, file: '/nonexistent', overrides: { logLevel: 'silent' } });
    const apps = {
      queued: createApp({ db: t.db, config, adminToken, webDist: null, queue, workerLocation: t.location }),
      local: createApp({ db: t.db, config, adminToken, webDist: null, workerLocation: t.location }),
    };
    const auth = { authorization: `Bearer ${adminToken}` };
    try {
      // The impact report runs as a job with a queue; an unknown model kind is the job's refusal.
      const ask = async (app: MovieNightApp) => {
        const r = await app.app.request('/api/admin/reports/impact?model=no-such-model', { headers: auth });
        return { status: r.status, body: (await r.json()) as { error: { code: string; message: string } } };
      };
      const local = await ask(apps.local);
      expect(local.status).toBe(400);
      const queued = await ask(apps.queued);
      expect(queued).toEqual(local);
      expect(queued.body.error.message).toMatch(/no-such-model/);
      // It was a job that a worker ran and failed, not a check made before enqueueing.
      const failed = await queue.queue('jobs').getJobs(['failed']);
      expect(failed.map((j) => j.name)).toEqual(['report']);
    } finally {
      await apps.queued.close();
      await apps.local.close();
    }
  }, 90_000);

  it('two workers make one scheduler per check, and each scheduled run is taken once', async () => {
    const env = { MOVIENIGHT_SCHEDULER_INTERVAL_SECONDS: '1' };
    worker(env);
    worker(env);
    const jobs = queue.queue('jobs');
    await until(
      async () =>
        (await jobs.getJobs(['completed'])).filter((j) => j.name === 'revalidation-check').length >= 3,
      'three checks',
    );
    const schedulers = await jobs.getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual(['ab-decision', 'revalidation-check']);
    const checks = (await jobs.getJobs(['completed'])).filter((j) => j.name === 'revalidation-check');
    // One job per interval: distinct ids, each processed in one attempt.
    expect(new Set(checks.map((j) => j.id)).size).toBe(checks.length);
    expect(checks.every((j) => j.attemptsMade <= 1 && j.returnvalue.verdict !== undefined)).toBe(true);
  }, 90_000);
});
