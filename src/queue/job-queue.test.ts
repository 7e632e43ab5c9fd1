import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresKind, type TestDatabase } from '../../test/helpers/databases.ts';
import { describeEachQueue, queuePrefix } from '../../test/helpers/queues.ts';
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
    workers = queue.startWorkers(createJobRegistry([echoJob, failing]), context, 2);
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

  it('adds a job of a given id once, however often it is asked', async () => {
    const first = await queue.add(echoJob, { sent: 1 }, { jobId: 'once', delay: 60_000 });
    const second = await queue.add(echoJob, { sent: 2 }, { jobId: 'once', delay: 60_000 });
    expect(second.id).toBe(first.id);
    expect(await queue.queue('trials').getDelayedCount()).toBe(1);
  });
});
