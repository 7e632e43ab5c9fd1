import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresKind, type TestDatabase } from '../../test/helpers/databases.ts';
import { describeEachQueue, queuePrefix } from '../../test/helpers/queues.ts';
import { ConflictError, InvalidInputError, MovieNightError, NotFoundError } from '../errors.ts';
import { echoJob } from './echo-job.ts';
import { createJobRegistry, defineJobKind, type JobContext } from './job-kind.ts';
import { JobQueue, type JobWorkers } from './job-queue.ts';
import { parseQueueUrl } from './queue-url.ts';

describe('the job-kind registry', () => {
  it('maps names to kinds and refuses two kinds of one name', () => {
    const registry = createJobRegistry([echoJob]);
    expect(registry.get('echo')).toBe(echoJob);
    expect(() => createJobRegistry([echoJob, echoJob])).toThrow(/two job kinds are named echo/);
  });
});

const failing = defineJobKind<{ readonly why: string }, never>({
  name: 'always-fails',
  lane: 'jobs',
  run: async ({ why }) => {
    throw new Error(why);
  },
});

/** Refuses as a job would: a conflict, a bad request or a missing thing, raised in the worker. */
const refusing = defineJobKind<{ readonly as: 'conflict' | 'invalid' | 'missing' }, never>({
  name: 'refuses',
  lane: 'jobs',
  run: async ({ as }) => {
    if (as === 'conflict') throw new ConflictError('another retrain is running (holder h:1)');
    if (as === 'invalid') throw new InvalidInputError('model must be one of svd, knn, got "nope"');
    throw new NotFoundError('no tuning run r-1');
  },
});

describeEachQueue('JobQueue', (kind) => {
  let t: TestDatabase;
  let queue: JobQueue;
  let workers: JobWorkers;
  beforeEach(async () => {
    t = await postgresKind.create();
    queue = await JobQueue.open({
      url: parseQueueUrl(kind.url(t.location)),
      prefix: queuePrefix(),
      lockMs: 5000,
    });
    const context = {
      db: t.db,
      location: t.location,
      config: {} as JobContext['config'],
      concurrency: 2,
      holder: 'test',
    };
    workers = queue.startWorkers(createJobRegistry([echoJob, failing, refusing]), context, 2);
  });
  afterEach(async () => {
    await workers.close();
    await queue.close();
    await t.drop();
  });

  it('runs a job and hands back its result; a failed job rejects with its reason', async () => {
    expect(await queue.run(echoJob, { sent: 7 })).toEqual({ sent: 7 });
    await expect(queue.run(failing, { why: 'no such movie' })).rejects.toThrow(/no such movie/);
  });

  it('hands a typed refusal back as the same kind, status and message, and does not retry it', async () => {
    const cases = [
      ['conflict', ConflictError, 409, 'another retrain is running (holder h:1)'],
      ['invalid', InvalidInputError, 400, 'model must be one of svd, knn, got "nope"'],
      ['missing', NotFoundError, 404, 'no tuning run r-1'],
    ] as const;
    for (const [as, Kind, status, message] of cases) {
      const error = await queue.run(refusing, { as }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Kind);
      expect(error).toMatchObject({ status, message });
    }
    // An error that is not ours stays a plain one (a 500 at the HTTP edge).
    const plain = await queue.run(failing, { why: 'disk full' }).catch((e: unknown) => e);
    expect(plain).not.toBeInstanceOf(MovieNightError);
    const failed = await queue.queue('jobs').getJobs(['failed']);
    expect(failed.filter((j) => j.name === 'refuses').map((j) => j.attemptsMade)).toEqual([1, 1, 1]);
  });

  it('adds a job of a given id once, however often it is asked', async () => {
    const first = await queue.add(echoJob, { sent: 1 }, { jobId: 'once', delay: 60_000 });
    const second = await queue.add(echoJob, { sent: 2 }, { jobId: 'once', delay: 60_000 });
    expect(second.id).toBe(first.id);
    expect(await queue.queue('trials').getDelayedCount()).toBe(1);
  });
});
