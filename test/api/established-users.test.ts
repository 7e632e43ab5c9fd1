import { afterEach, beforeEach, expect, it } from 'vitest';
import { rateMovie } from '../../src/monitoring/rate-movie.ts';
import { checkForModelRevalidation } from '../../src/monitoring/revalidation-check.ts';
import { createAccount } from '../../src/server/auth/accounts.ts';
import { describeEachDatabase, type TestDatabase } from '../helpers/databases.ts';
import { insertServed } from '../helpers/served-recommendations.ts';
import { generateSmallWorld, trainVersion } from '../helpers/trained-world.ts';
import { testConfig } from './test-server.ts';

const day = 86_400_000;
const now = Date.UTC(2026, 5, 1);
const scale = { min: 0.5, max: 5, step: 0.5 };

/**
 * Serves each user five movies (predicted 4.5, liked) and has them rate each: `rating` 4.5 agrees
 * with the prediction (a right outcome), 0.5 disagrees (a wrong one).
 */
async function servedAndRated(
  t: TestDatabase,
  version: number,
  users: readonly number[],
  rating: number,
  at: number,
) {
  for (const [u, userId] of users.entries()) {
    const movies = [1, 2, 3, 4, 5].map((k) => 1 + ((u * 5 + k) % 150));
    await insertServed(
      t.db,
      movies.map((movieId, rank) => ({
        userId,
        movieId,
        predictedRating: 4.5,
        servedAt: at - 60_000,
        modelVersion: version,
        rank: rank + 1,
      })),
    );
    for (const movieId of movies)
      await rateMovie(t.db, { userId, movieId, rating, ratedAt: at }, { now: at, scale });
  }
}

describeEachDatabase('tracked accuracy against a burst of new accounts', (kind) => {
  let t: TestDatabase;
  let v1: number;
  beforeEach(async () => {
    t = await kind.create();
    await generateSmallWorld(t.db);
    v1 = await trainVersion(t.db, 'baseline', { seed: 1 });
  });
  afterEach(() => t.drop());

  it('the 40-account attack forces a retrain without the established-user rule and not with it', async () => {
    // 30 established (imported) users like what they were recommended: 150 right outcomes.
    await servedAndRated(
      t,
      v1,
      Array.from({ length: 30 }, (_, i) => i + 1),
      4.5,
      now - 2 * day,
    );
    // 40 accounts signed up an hour ago rate every pick badly: 200 wrong outcomes.
    const attackers: number[] = [];
    for (let i = 0; i < 40; i++) {
      attackers.push((await createAccount(t.db, `attacker-${i}`, 'x', now - 3_600_000)).userId);
    }
    await servedAndRated(t, v1, attackers, 0.5, now - 60_000);

    const without = await checkForModelRevalidation(t.db, testConfig({ establishedAccountDays: 0 }), { now });
    const withRule = await checkForModelRevalidation(t.db, testConfig(), { now });
    console.log(
      `40-account attack: accuracy over every outcome ${(100 * (without.champion.accuracy ?? 0)).toFixed(1)} % (n = ${without.champion.samples}, ${without.champion.users} users) → ${without.verdict}; established users only ${(100 * (withRule.champion.accuracy ?? 0)).toFixed(1)} % (n = ${withRule.champion.samples}, ${withRule.champion.users} users) → ${withRule.verdict}`,
    );
    expect(without.verdict).toBe('retrain');
    expect(without.champion.samples).toBe(350);
    expect(withRule.verdict).not.toBe('retrain');
    expect(withRule.champion).toMatchObject({ samples: 150, hits: 150, users: 30 });

    // A week on, the same accounts are established: what they rate then counts.
    const later = now + 8 * day;
    await servedAndRated(t, v1, attackers, 0.5, later - 60_000);
    const weekOn = await checkForModelRevalidation(t.db, testConfig(), { now: later });
    expect(weekOn.champion.users).toBe(70);
    expect(weekOn.verdict).toBe('retrain');
  });

  it('needs outcomes from enough distinct established users before the threshold rule fires', async () => {
    // 5 users, 25 outcomes each, all wrong: plenty of samples, too few people.
    const few = [1, 2, 3, 4, 5];
    for (let round = 0; round < 5; round++) await servedAndRated(t, v1, few, 0.5, now - day + round * 1000);
    const check = await checkForModelRevalidation(t.db, testConfig({ minSamplesForRetrain: 20 }), { now });
    expect(check.champion.users).toBe(5);
    expect(check.verdict).toBe('insufficient-samples');
    const relaxed = await checkForModelRevalidation(
      t.db,
      testConfig({ minSamplesForRetrain: 20, minEstablishedUsersForRetrain: 5 }),
      { now },
    );
    expect(relaxed.verdict).toBe('retrain');
  });
});
