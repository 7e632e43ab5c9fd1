import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import { runCliInProcess } from './helpers/cli.ts';
import { postgresKind, postgresUrl, sqliteKind, type TestDatabase } from './helpers/databases.ts';
import {
  call,
  eventually,
  replicaAdminToken,
  type ServeProcess,
  startServeProcess,
} from './helpers/serve-process.ts';
import { generateSmallWorld, trainVersion } from './helpers/trained-world.ts';

/**
 * Serving from several processes on one database, as an operator runs it: real `movienight serve`
 * child processes. On PostgreSQL two replicas (what a load balancer would spread requests over);
 * on SQLite one `serve --workers 2`. What one process changes, the others must see, and what any
 * of them writes must be written once.
 */

interface Recommendations {
  readonly modelVersion: number;
  readonly abTestId: number | null;
  readonly recommendations: readonly { readonly movie: { readonly id: number } }[];
}

async function signUp(url: string, username: string): Promise<{ cookie: string; userId: number }> {
  const r = await call(url, 'POST', '/api/auth/sign-up', { body: { username, password: 'replica-pw-1234' } });
  if (r.status !== 201 || !r.cookie)
    throw new Error(`sign-up on ${url}: ${r.status} ${JSON.stringify(r.json)}`);
  return { cookie: r.cookie, userId: (r.json as { userId: number }).userId };
}

async function recommend(url: string, cookie: string): Promise<Recommendations> {
  const r = await call(url, 'GET', '/api/recommendations?n=10', { cookie });
  if (r.status !== 200) throw new Error(`recommendations on ${url}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json as Recommendations;
}

/** Counts of what a set of users left in the database: ratings, tracker rows, served rows. */
async function writtenRows(db: Database, userIds: readonly number[]) {
  const marks = userIds.map(() => '?').join(', ');
  const count = async (sql: string) => (await db.get<{ n: number }>(sql, [...userIds]))?.n ?? -1;
  return {
    ratings: await count(`SELECT COUNT(*) AS n FROM ratings WHERE user_id IN (${marks})`),
    tracked: await count(`SELECT COUNT(*) AS n FROM recommendation_quality WHERE user_id IN (${marks})`),
    // Matched with what was served (a rating nobody recommended is tracked as unexpected).
    trackedAsRecommended: await count(
      `SELECT COUNT(*) AS n FROM recommendation_quality WHERE unexpected = 0 AND user_id IN (${marks})`,
    ),
    served: await count(`SELECT COUNT(*) AS n FROM served_recommendations WHERE user_id IN (${marks})`),
  };
}

/**
 * `users` new accounts ask for ten picks each (from alternate processes), then rate every pick
 * through both processes at once, same value: a re-rating race across processes. Returns the
 * users, how many picks were served, and how many rating posts were answered 2xx and not.
 */
async function ratingBurst(urls: readonly string[], users: number, prefix: string) {
  const accounts = await Promise.all(
    Array.from({ length: users }, (_, i) => signUp(urls[i % urls.length]!, `${prefix}-${i}`)),
  );
  let served = 0;
  let pairs = 0;
  const failures: string[] = [];
  await Promise.all(
    accounts.map(async (account, i) => {
      const picks = await recommend(urls[i % urls.length]!, account.cookie);
      served += picks.recommendations.length;
      pairs += picks.recommendations.length;
      await Promise.all(
        picks.recommendations.flatMap((pick, j) =>
          urls.map(async (url) => {
            const body = { movieId: pick.movie.id, rating: 1 + ((i + j) % 5) };
            const r = await call(url, 'POST', '/api/ratings', { cookie: account.cookie, body });
            if (r.status < 200 || r.status >= 300) failures.push(`${r.status} ${JSON.stringify(r.json)}`);
          }),
        ),
      );
    }),
  );
  return { userIds: accounts.map((a) => a.userId), served, pairs, failures };
}

describe.skipIf(!postgresUrl)(
  `two serve replicas on one PostgreSQL database${postgresUrl ? '' : ' (skipped: MOVIENIGHT_TEST_PG_URL not set)'}`,
  () => {
    let testDb: TestDatabase;
    let one: ServeProcess;
    let two: ServeProcess;
    const admin = { token: replicaAdminToken };

    beforeAll(async () => {
      testDb = await postgresKind.create();
      await generateSmallWorld(testDb.db);
      await trainVersion(testDb.db, 'baseline', { seed: 1 }); // v1, the champion
      await trainVersion(testDb.db, 'baseline', { seed: 2, activate: false }); // v2
      [one, two] = await Promise.all([
        startServeProcess(testDb.location, ['--no-scheduler']),
        startServeProcess(testDb.location, ['--no-scheduler']),
      ]);
    }, 180_000);

    afterAll(async () => {
      await Promise.all([one?.stop(), two?.stop()]);
      await testDb?.drop();
    });

    it('accepts on replica 2 a session made on replica 1', async () => {
      const account = await signUp(one.url, 'replica-session');
      const me = await call(two.url, 'GET', '/api/auth/me', { cookie: account.cookie });
      expect(me.status).toBe(200);
      expect(me.json).toMatchObject({ kind: 'user', userId: account.userId, username: 'replica-session' });
      const stranger = await call(two.url, 'GET', '/api/auth/me', { cookie: 'mn_session=not-a-session' });
      expect(stranger.json).toMatchObject({ kind: 'anonymous' });
    });

    it('serves on replica 2 a champion activated through replica 1', async () => {
      const { cookie } = await signUp(two.url, 'replica-champion');
      expect((await recommend(two.url, cookie)).modelVersion).toBe(1);
      const activated = await call(one.url, 'POST', '/api/admin/versions/2/activate', {
        ...admin,
        body: { reason: 'replica test' },
      });
      expect(activated.status).toBe(200);
      await eventually(
        'replica 2 serves v2',
        async () => (await recommend(two.url, cookie)).modelVersion === 2,
      );
      expect((await recommend(one.url, cookie)).modelVersion).toBe(2);
    });

    it('starts and stops on replica 2 an A/B test started and stopped through replica 1', async () => {
      const { cookie } = await signUp(two.url, 'replica-ab');
      expect((await recommend(two.url, cookie)).abTestId).toBeNull();
      const started = await call(one.url, 'POST', '/api/admin/ab-tests', {
        ...admin,
        body: { challengerVersion: 1, traffic: 0.5 },
      });
      expect(started.status, JSON.stringify(started.json)).toBe(201);
      const testId = (started.json as { id: number }).id;
      await eventually(
        'replica 2 serves in the test',
        async () => (await recommend(two.url, cookie)).abTestId === testId,
      );
      const stopped = await call(one.url, 'POST', '/api/admin/ab-tests/current/stop', { ...admin, body: {} });
      expect(stopped.status, JSON.stringify(stopped.json)).toBe(200);
      await eventually(
        'replica 2 stops the test',
        async () => (await recommend(two.url, cookie)).abTestId === null,
      );
    });

    it('stores a rating burst split across replicas once: ratings, tracker rows, served rows', async () => {
      const burst = await ratingBurst([one.url, two.url], 8, 'replica-burst');
      expect(burst.failures).toEqual([]);
      expect(burst.pairs).toBeGreaterThan(40);
      expect(await writtenRows(testDb.db, burst.userIds)).toEqual({
        ratings: burst.pairs,
        tracked: burst.pairs,
        trackedAsRecommended: burst.pairs,
        served: burst.served,
      });
    });
  },
);

describe('serve --workers with bad input', () => {
  it('refuses several processes on an in-memory database, and fewer than one', async () => {
    const memory = await runCliInProcess(['--db', ':memory:', 'serve', '--workers', '2']);
    expect(memory.code).toBe(2);
    expect(memory.stderr).toMatch(/--workers: an in-memory database cannot be shared/);
    const none = await runCliInProcess(['--db', ':memory:', 'serve', '--workers', '0']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/--workers/);
  });
});

/** Process ids that logged requests (of `route`, if given; pino puts the pid on every line). */
function requestPids(output: string, route?: string): Set<number> {
  const pids = new Set<number>();
  for (const line of output.split('\n')) {
    if (!line.includes('"msg":"request"')) continue;
    if (route !== undefined && !line.includes(`"route":"${route}"`)) continue;
    const pid = /"pid":(\d+)/.exec(line)?.[1];
    if (pid) pids.add(Number(pid));
  }
  return pids;
}

describe('serve --workers 2 on one SQLite file', () => {
  let testDb: TestDatabase;
  let served: ServeProcess;

  beforeAll(async () => {
    testDb = await sqliteKind.create();
    await generateSmallWorld(testDb.db);
    await trainVersion(testDb.db, 'baseline', { seed: 1 });
    served = await startServeProcess(testDb.location, ['--workers', '2']);
  }, 180_000);

  afterAll(async () => {
    await served?.stop();
    await testDb?.drop();
  });

  it('answers from both worker processes and runs the scheduler once, in the primary', async () => {
    await eventually('requests answered by two processes', async () => {
      expect((await call(served.url, 'GET', '/healthz')).status).toBe(200);
      return requestPids(served.output()).size >= 2;
    });
    const pids = requestPids(served.output());
    expect(pids.size).toBe(2);
    expect(pids.has(served.child.pid!)).toBe(false);
    const schedulers = served.output().match(/retraining scheduler running in process (\d+)/g) ?? [];
    expect(schedulers).toEqual([`retraining scheduler running in process ${served.child.pid}`]);
  });

  it('stores a rating burst across the workers once, without "database is locked"', async () => {
    const burst = await ratingBurst([served.url], 6, 'workers-burst');
    expect(burst.failures).toEqual([]);
    expect(requestPids(served.output(), '/api/ratings').size).toBe(2);
    expect(await writtenRows(testDb.db, burst.userIds)).toEqual({
      ratings: burst.pairs,
      tracked: burst.pairs,
      trackedAsRecommended: burst.pairs,
      served: burst.served,
    });
    expect(served.output()).not.toMatch(/database is locked/i);
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    const workers = [...requestPids(served.output())];
    expect(await served.stop()).toBe(0);
    const alive = workers.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});
