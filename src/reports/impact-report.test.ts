import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/databases.ts';
import { insertServed } from '../../test/helpers/served-recommendations.ts';
import { loadRatingsData } from '../data/load-ratings.ts';
import { wholeStarScale } from '../data/rating-scale.ts';
import type { Database } from '../db/database.ts';
import { rateMovie } from '../monitoring/rate-movie.ts';
import { impactReport, resampleUnexpected } from './impact-report.ts';
import { renderImpactHtml, renderImpactTerminal } from './impact-view.ts';

const day = 86_400_000;
const t0 = Date.UTC(2024, 0, 1);

/**
 * 24 users × 16 movies, one rating each per (user, movie) where (u + m) % 3 != 0 (256 ratings),
 * spread over 64 days and entered through rateMovie. A recommendation was served a day before
 * every rating except where (u * m) % 5 == 0: those are the unexpected ones.
 */
async function seed(db: Database): Promise<{ ratings: number; unexpected: number }> {
  await db.insertMany(
    'movies',
    ['id', 'title', 'year', 'genres'],
    Array.from({ length: 16 }, (_, i) => [i + 1, `Movie ${i + 1}`, 2000 + i, i % 2 ? 'Drama' : 'Comedy']),
  );
  await db.insertMany(
    'users',
    ['id', 'created_at'],
    Array.from({ length: 24 }, (_, i) => [i + 1, t0]),
  );
  const ratings: Array<[number, number, number, number]> = [];
  const served: Array<[number, number, number, number, number]> = [];
  let n = 0;
  let unexpected = 0;
  for (let u = 1; u <= 24; u++) {
    for (let m = 1; m <= 16; m++) {
      if ((u + m) % 3 === 0) continue;
      const at = t0 + ((n * 7) % 64) * day + u * 1000;
      n++;
      // Tastes: users like movies of their parity; noise from the index.
      const rating = Math.min(5, Math.max(1, (u % 2 === m % 2 ? 4 : 2) + ((u * 5 + m * 3) % 3) - 1));
      ratings.push([u, m, rating, at]);
      if ((u * m) % 5 === 0) unexpected++;
      else served.push([u, m, 4, 1, at - day]);
    }
  }
  await insertServed(
    db,
    served.map(([userId, movieId, predictedRating, rank, servedAt]) => ({
      userId,
      movieId,
      predictedRating,
      rank,
      servedAt,
    })),
  );
  // Through the tracker, whose verdict decides what training calls unexpected.
  for (const [userId, movieId, rating, ratedAt] of ratings) {
    await rateMovie(db, { userId, movieId, rating, ratedAt }, { now: ratedAt, scale: wholeStarScale });
  }
  return { ratings: n, unexpected };
}

describeEachDatabase('impact report', (kind) => {
  let t: TestDatabase;
  let counts: { ratings: number; unexpected: number };
  beforeEach(async () => {
    t = await kind.create();
    counts = await seed(t.db);
  });
  afterEach(async () => t.drop());

  it('scores every arm on the identical test set; "without" drops exactly what training drops', async () => {
    const r = await impactReport(t.db, { kind: 'baseline', seed: 7, now: t0 });
    expect(r.model).toMatchObject({ kind: 'baseline', source: 'given' });
    expect(r.split.trainSize + r.split.testSize).toBe(counts.ratings);
    expect(r.flow).toMatchObject({
      ratings: counts.ratings,
      unexpectedRatings: counts.unexpected,
      versions: 0,
    });
    expect(r.split.trainUnexpected + r.split.testUnexpected).toBe(counts.unexpected);
    const all = [...r.arms, ...r.scenarios];
    expect(all.map((a) => a.key)).toEqual(['with', 'without', 'down-weighted', 'halved', 'doubled']);
    for (const a of all) expect(a.testFingerprint).toBe(r.split.testFingerprint);
    for (const a of all) expect(a.metrics.rankedUsers).toBe(r.arms[0]!.metrics.rankedUsers);
    // The split RMSEs recombine into the overall one (weighted by their test counts).
    const { rmseRecommended: rr, rmseUnexpected: ru } = r.arms[0]!.metrics;
    const nu = r.split.testUnexpected;
    const nr = r.split.testSize - nu;
    expect(Math.sqrt((nr * rr! ** 2 + nu * ru! ** 2) / r.split.testSize)).toBeCloseTo(
      r.arms[0]!.metrics.rmse,
      5,
    );

    const [withArm, without] = r.arms;
    expect(withArm!.trainSize).toBe(r.split.trainSize);
    expect(withArm!.unexpectedInTrain).toBe(r.split.trainUnexpected);
    // The "without" arm trains on what a retrain with includeUnexpected=false would load.
    const expectedTrain = await loadRatingsData(t.db, { includeUnexpected: false, until: r.split.cutAt });
    expect(without!.trainSize).toBe(expectedTrain.size);
    expect(without!.trainSize).toBe(r.split.trainSize - r.split.trainUnexpected);
    expect(without!.unexpectedInTrain).toBe(0);
    // Removing a fifth of the data changes the fit.
    expect(without!.metrics.rmse).not.toBe(withArm!.metrics.rmse);
    expect(r.deltas.find((d) => d.key === 'without')!.rmse).toBeCloseTo(
      without!.metrics.rmse - withArm!.metrics.rmse,
      12,
    );

    // The baseline model does not read RatingsData.weights: the report says so instead of
    // presenting an identical arm as a finding.
    expect(r.weightsIgnored).toBe(true);

    const share = withArm!.unexpectedShare;
    const [halved, doubled] = r.scenarios;
    expect(halved!.unexpectedShare).toBeCloseTo(share / 2, 2);
    expect(doubled!.unexpectedShare).toBeCloseTo(share * 2, 2);
    // Resampling touches only unexpected rows: the recommended rows are all still there.
    expect(halved!.trainSize - halved!.unexpectedInTrain).toBe(without!.trainSize);
    expect(doubled!.trainSize - doubled!.unexpectedInTrain).toBe(without!.trainSize);

    const paired = await impactReport(t.db, {
      kind: 'baseline',
      seed: 7,
      repeats: 2,
      scenarios: true,
      now: t0,
    });
    expect(paired.arms[0]!.runs).toHaveLength(2);
    // Repeat 0 is the single-repeat report; the mean delta is the mean of the paired differences.
    expect(paired.arms[1]!.runs[0]).toEqual(without!.metrics);
    const d = paired.deltas.find((x) => x.key === 'halved')!;
    const h = paired.scenarios[0]!;
    expect(d.rmse).toBeCloseTo(
      (h.runs[0]!.rmse - paired.arms[0]!.runs[0]!.rmse + h.runs[1]!.rmse - paired.arms[0]!.runs[1]!.rmse) / 2,
      12,
    );
    await expect(impactReport(t.db, { repeats: 0 })).rejects.toThrow(/repeats/);

    const again = await impactReport(t.db, { kind: 'baseline', seed: 7, now: t0 });
    const strip = (x: typeof r) => [...x.arms, ...x.scenarios].map((a) => ({ ...a, fitSeconds: 0 }));
    expect(strip(again)).toEqual(strip(r));

    const text = renderImpactTerminal(r, { tty: false });
    expect(text).toContain(`the same ${r.split.testSize} for every arm`);
    expect(text).toContain('ignores rating weights');
    const html = renderImpactHtml(r);
    expect(html).toContain('Training data flow (live counts)');
    expect(html).toContain(`${counts.ratings} stored`);
  });

  it('rejects bad options before doing any work, naming them', async () => {
    await expect(impactReport(t.db, { testFraction: 1 })).rejects.toThrow(/testFraction/);
    await expect(impactReport(t.db, { downWeight: 2 })).rejects.toThrow(/downWeight/);
    await expect(impactReport(t.db, { kind: 'nope' })).rejects.toThrow(/unknown model "nope"/);
    await t.db.run('DELETE FROM served_recommendations');
    await t.db.run('DELETE FROM ratings');
    await expect(impactReport(t.db, { kind: 'baseline' })).rejects.toThrow(/at least 10 ratings/);
  });
});

describe('resampleUnexpected', () => {
  it('hits the target share, keeps every recommended row, and is seeded', () => {
    const unexpected = Array.from({ length: 40 }, (_, i) => i * 2);
    const expected = Array.from({ length: 60 }, (_, i) => i * 2 + 1);
    const half = resampleUnexpected(unexpected, expected, 0.2, 1);
    expect(half.length).toBe(75); // 15 / 75 = 0.2
    expect(half.filter((i) => i % 2 === 1).length).toBe(60);
    expect(new Set(half).size).toBe(75); // without replacement
    const more = resampleUnexpected(unexpected, expected, 0.6, 1);
    expect(more.length).toBe(150); // 90 / 150 = 0.6
    expect(more.filter((i) => i % 2 === 0).length).toBe(90);
    expect(resampleUnexpected(unexpected, expected, 0.6, 1)).toEqual(more);
    expect(resampleUnexpected(unexpected, expected, 0.6, 2)).not.toEqual(more);
  });
});
