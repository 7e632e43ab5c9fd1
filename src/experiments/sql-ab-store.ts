import type { Queryable } from '../db/database.ts';
import { type AbAnalysis, type AbPolicy, type ArmCounts, defaultAbPolicy, emptyArm } from './ab-analysis.ts';
import type { AbDecision, AbStore, AbTest, AbTestEnd, AbTestStatus, NewAbTest } from './ab-store.ts';
import type { Arm } from './assignment.ts';
import type { AbTestMethod } from './interleaving.ts';

interface AbRow {
  id: number;
  champion_version: number;
  challenger_version: number;
  method: AbTestMethod;
  traffic: number;
  min_samples: number;
  max_days: number;
  status: AbTestStatus;
  decision: AbDecision | null;
  decision_reason: string | null;
  stats: string | null;
  started_at: number;
  ended_at: number | null;
}

function toTest(r: AbRow): AbTest {
  const stats = r.stats ? (JSON.parse(r.stats) as { policy?: AbPolicy; analysis?: AbAnalysis }) : {};
  return Object.freeze({
    id: r.id,
    championVersion: r.champion_version,
    challengerVersion: r.challenger_version,
    method: r.method,
    traffic: r.traffic,
    minSamples: r.min_samples,
    maxDays: r.max_days,
    status: r.status,
    decision: r.decision,
    decisionReason: r.decision_reason,
    policy: { ...defaultAbPolicy, ...stats.policy, minSamples: r.min_samples, maxDays: r.max_days },
    finalAnalysis: stats.analysis ?? null,
    startedAt: r.started_at,
    endedAt: r.ended_at,
  });
}

interface OutcomeRow {
  arm: Arm;
  n: number;
  hits: number;
  liked: number;
  ss: number | null;
  s4: number | null;
}

interface PerUserRow {
  arm: Arm;
  raters: number;
  nn: number | null;
  hh: number | null;
  hn: number | null;
}

/** The A/B tests' SQL, on a connection or inside the transaction of a registry write. */
export class SqlAbStore implements AbStore {
  constructor(private readonly db: Queryable) {}

  async insert(t: NewAbTest): Promise<number> {
    const row = await this.db.get<{ id: number }>(
      `INSERT INTO ab_tests (champion_version, challenger_version, method, traffic, min_samples, max_days, status, stats, started_at)
       VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?) RETURNING id`,
      [
        t.championVersion,
        t.challengerVersion,
        t.method,
        t.traffic,
        t.policy.minSamples,
        t.policy.maxDays,
        JSON.stringify({ policy: t.policy }),
        t.startedAt,
      ],
    );
    return row!.id;
  }

  async get(id: number): Promise<AbTest | undefined> {
    const row = await this.db.get<AbRow>('SELECT * FROM ab_tests WHERE id = ?', [id]);
    return row ? toTest(row) : undefined;
  }

  async running(): Promise<AbTest | undefined> {
    const row = await this.db.get<AbRow>("SELECT * FROM ab_tests WHERE status = 'running'");
    return row ? toTest(row) : undefined;
  }

  async list(): Promise<AbTest[]> {
    return (await this.db.all<AbRow>('SELECT * FROM ab_tests ORDER BY id DESC')).map(toTest);
  }

  async end(test: AbTest, e: AbTestEnd): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE ab_tests SET status = ?, decision = ?, decision_reason = ?, stats = ?, ended_at = ?
       WHERE id = ? AND status = 'running'`,
      [
        e.decision === 'stopped' ? 'stopped' : 'completed',
        e.decision,
        e.reason,
        JSON.stringify({ policy: test.policy, analysis: e.analysis }),
        e.endedAt,
        test.id,
      ],
    );
    return changed.changes === 1;
  }

  async armCounts(testId: number): Promise<Record<Arm, ArmCounts>> {
    const served = await this.db.all<{ arm: Arm; users: number; served: number }>(
      `SELECT arm, COUNT(DISTINCT user_id) AS users, COUNT(*) AS served FROM served_recommendations
       WHERE ab_test_id = ? GROUP BY arm`,
      [testId],
    );
    const outcomes = await this.db.all<OutcomeRow>(
      `SELECT arm, COUNT(*) AS n, SUM(hit) AS hits, SUM(liked_actual) AS liked,
         SUM(error * error) AS ss, SUM(error * error * error * error) AS s4
       FROM recommendation_quality WHERE ab_test_id = ? AND hit IS NOT NULL GROUP BY arm`,
      [testId],
    );
    // Per-user sums for the delta method: the user, not the rating, is the independent unit.
    const perUser = await this.db.all<PerUserRow>(
      `SELECT arm, COUNT(*) AS raters, SUM(n * n) AS nn, SUM(h * h) AS hh, SUM(h * n) AS hn
       FROM (SELECT arm, user_id, COUNT(*) AS n, SUM(hit) AS h FROM recommendation_quality
             WHERE ab_test_id = ? AND hit IS NOT NULL GROUP BY arm, user_id) per_user
       GROUP BY arm`,
      [testId],
    );
    const out: Record<Arm, ArmCounts> = { champion: emptyArm, challenger: emptyArm };
    for (const arm of ['champion', 'challenger'] as const) {
      const s = served.find((r) => r.arm === arm);
      const o = outcomes.find((r) => r.arm === arm);
      const u = perUser.find((r) => r.arm === arm);
      out[arm] = {
        users: s?.users ?? 0,
        served: s?.served ?? 0,
        n: o?.n ?? 0,
        hits: o?.hits ?? 0,
        liked: o?.liked ?? 0,
        sumSquares: o?.ss ?? 0,
        sumFourth: o?.s4 ?? 0,
        raters: u?.raters ?? 0,
        sumRatedSquared: u?.nn ?? 0,
        sumHitsSquared: u?.hh ?? 0,
        sumHitsRated: u?.hn ?? 0,
      };
    }
    return out;
  }
}

/** The A/B test store over a connection or a transaction. */
export function abStore(db: Queryable): AbStore {
  return new SqlAbStore(db);
}
