import type { Database, Queryable } from '../db/database.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.ts';
import { lockRegistry, moveAlias, readAliases } from '../registry/aliases.ts';
import { loadVersionArtifact } from '../registry/artifacts.ts';
import {
  type AbAnalysis,
  type AbPolicy,
  type ArmCounts,
  analyseAbTest,
  defaultAbPolicy,
  emptyArm,
} from './ab-analysis.ts';
import type { Arm } from './assignment.ts';
import { type AbTestMethod, interleavedAbAnalysis, methodSettings } from './interleaving.ts';
import { interleavingCounts } from './interleaving-store.ts';

export type AbTestStatus = 'running' | 'completed' | 'stopped';
export type AbDecision = 'activated' | 'discarded' | 'stopped';
export type { AbTestMethod } from './interleaving.ts';

/** An A/B test as stored. Once it is no longer running it never changes. */
export interface AbTest {
  readonly id: number;
  readonly championVersion: number;
  readonly challengerVersion: number;
  readonly method: AbTestMethod;
  /** Share of users sent to the challenger (1 for interleaving: everyone sees both). */
  readonly traffic: number;
  readonly minSamples: number;
  readonly maxDays: number;
  readonly status: AbTestStatus;
  readonly decision: AbDecision | null;
  readonly decisionReason: string | null;
  /** The policy fixed at start (thresholds, α, τ). */
  readonly policy: AbPolicy;
  /** The analysis the decision was taken on (null while running). */
  readonly finalAnalysis: AbAnalysis | null;
  readonly startedAt: number;
  readonly endedAt: number | null;
}

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

const dayMs = 86_400_000;

function toTest(r: AbRow): AbTest {
  const stats = r.stats ? (JSON.parse(r.stats) as { policy?: AbPolicy; analysis?: AbAnalysis }) : {};
  return Object.freeze({
    id: Number(r.id),
    championVersion: Number(r.champion_version),
    challengerVersion: Number(r.challenger_version),
    method: r.method,
    traffic: Number(r.traffic),
    minSamples: Number(r.min_samples),
    maxDays: Number(r.max_days),
    status: r.status,
    decision: r.decision,
    decisionReason: r.decision_reason,
    policy: {
      ...defaultAbPolicy,
      ...stats.policy,
      minSamples: Number(r.min_samples),
      maxDays: Number(r.max_days),
    },
    finalAnalysis: stats.analysis ?? null,
    startedAt: Number(r.started_at),
    endedAt: r.ended_at === null ? null : Number(r.ended_at),
  });
}

export interface StartAbTestOptions {
  readonly challengerVersion: number;
  /** Default 'ab'; 'interleave' serves every user a team-draft list (traffic is then 1). */
  readonly method?: AbTestMethod;
  /** Challenger share of users, (0, 1); default 0.5. */
  readonly traffic?: number;
  /** Rated recommendations needed per arm before deciding; default 300. */
  readonly minSamples?: number;
  /** Days after which a test without a winner is discarded; default 14. */
  readonly maxDays?: number;
  /** Relative accuracy improvement needed (config autoActivateThreshold); default 0.05. */
  readonly autoActivateThreshold?: number;
  readonly alpha?: number;
  readonly tau?: number;
  readonly now?: number;
}

/**
 * Starts the champion against one challenger. One running test at a time (a ConflictError
 * otherwise, also across processes: a unique index backs it). Sets the `challenger` alias.
 */
export async function startAbTest(db: Database, options: StartAbTestOptions): Promise<AbTest> {
  const { method, defaults, traffic } = methodSettings(options.method ?? 'ab', options.traffic);
  const minSamples = options.minSamples ?? defaults.minSamples;
  if (!Number.isSafeInteger(minSamples) || minSamples < 1) {
    throw new InvalidInputError(`minSamples must be a whole number ≥ 1, got ${minSamples}`);
  }
  const maxDays = options.maxDays ?? defaultAbPolicy.maxDays;
  if (!(maxDays > 0) || !Number.isFinite(maxDays))
    throw new InvalidInputError(`maxDays must be a positive number, got ${maxDays}`);
  const policy: AbPolicy = {
    ...defaults,
    minSamples,
    maxDays,
    autoActivateThreshold: options.autoActivateThreshold ?? defaults.autoActivateThreshold,
    alpha: options.alpha ?? defaults.alpha,
    tau: options.tau ?? defaults.tau,
  };
  if (!(policy.alpha > 0 && policy.alpha < 1))
    throw new InvalidInputError(`alpha must be in (0, 1), got ${policy.alpha}`);
  if (!(policy.tau > 0)) throw new InvalidInputError(`tau must be positive, got ${policy.tau}`);
  if (!(policy.autoActivateThreshold >= 0)) {
    throw new InvalidInputError(`autoActivateThreshold must be ≥ 0, got ${policy.autoActivateThreshold}`);
  }
  const challenger = options.challengerVersion;
  const now = options.now ?? Date.now();
  // A challenger that cannot be loaded must never get traffic.
  await loadVersionArtifact(db, challenger);
  const id = await db.transaction(async (tx) => {
    await lockRegistry(tx, now);
    const running = await tx.get<{ id: number }>("SELECT id FROM ab_tests WHERE status = 'running'");
    if (running)
      throw new ConflictError(
        `A/B test #${running.id} is already running; stop it first (movienight ab stop)`,
      );
    const champion = (await readAliases(tx)).get('champion');
    if (champion === undefined)
      throw new ConflictError('no champion to test against: train and activate a model first');
    if (champion === challenger)
      throw new InvalidInputError(`challenger v${challenger} is already the champion`);
    const row = await tx.get<{ id: number }>(
      `INSERT INTO ab_tests (champion_version, challenger_version, method, traffic, min_samples, max_days, status, stats, started_at)
       VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?) RETURNING id`,
      [champion, challenger, method, traffic, minSamples, maxDays, JSON.stringify({ policy }), now],
    );
    const testId = Number(row!.id);
    await moveAlias(tx, {
      alias: 'challenger',
      version: challenger,
      action: 'set',
      reason: `${method === 'ab' ? 'A/B' : 'interleaving'} test #${testId} started: v${challenger} against champion v${champion}, ${method === 'ab' ? `${(traffic * 100).toFixed(0)} % traffic` : 'team-draft lists for every user'}`,
      abTestId: testId,
      now,
    });
    return testId;
  });
  return getAbTest(db, id);
}

export async function getAbTest(db: Queryable, id: number): Promise<AbTest> {
  const row = await db.get<AbRow>('SELECT * FROM ab_tests WHERE id = ?', [id]);
  if (!row) throw new NotFoundError(`A/B test #${id}: no such test`);
  return toTest(row);
}

/** The running test, or null. */
export async function getRunningAbTest(db: Queryable): Promise<AbTest | null> {
  const row = await db.get<AbRow>("SELECT * FROM ab_tests WHERE status = 'running'");
  return row ? toTest(row) : null;
}

/** Every test, newest first. */
export async function listAbTests(db: Queryable): Promise<AbTest[]> {
  const rows = await db.all<AbRow>('SELECT * FROM ab_tests ORDER BY id DESC');
  return rows.map(toTest);
}

/** The counts of each arm, straight from served_recommendations and the tracker's quality rows. */
export async function armCounts(db: Queryable, testId: number): Promise<Record<Arm, ArmCounts>> {
  const served = await db.all<{ arm: Arm; users: number; served: number }>(
    `SELECT arm, COUNT(DISTINCT user_id) AS users, COUNT(*) AS served FROM served_recommendations
     WHERE ab_test_id = ? GROUP BY arm`,
    [testId],
  );
  const outcomes = await db.all<{
    arm: Arm;
    n: number;
    hits: number;
    liked: number;
    ss: number | null;
    s4: number | null;
  }>(
    `SELECT arm, COUNT(*) AS n, SUM(hit) AS hits, SUM(liked_actual) AS liked,
       SUM(error * error) AS ss, SUM(error * error * error * error) AS s4
     FROM recommendation_quality WHERE ab_test_id = ? AND hit IS NOT NULL GROUP BY arm`,
    [testId],
  );
  const out: Record<Arm, ArmCounts> = { champion: emptyArm, challenger: emptyArm };
  for (const arm of ['champion', 'challenger'] as const) {
    const s = served.find((r) => r.arm === arm);
    const o = outcomes.find((r) => r.arm === arm);
    out[arm] = {
      users: Number(s?.users ?? 0),
      served: Number(s?.served ?? 0),
      n: Number(o?.n ?? 0),
      hits: Number(o?.hits ?? 0),
      liked: Number(o?.liked ?? 0),
      sumSquares: Number(o?.ss ?? 0),
      sumFourth: Number(o?.s4 ?? 0),
    };
  }
  return out;
}

export interface AbEvaluation {
  readonly test: AbTest;
  readonly analysis: AbAnalysis;
}

async function evaluateTest(db: Queryable, test: AbTest, now: number): Promise<AbEvaluation> {
  const counts = await armCounts(db, test.id);
  const elapsedDays = Math.max(0, (now - test.startedAt) / dayMs);
  if (test.method === 'interleave') {
    const credit = await interleavingCounts(db, test.id);
    return { test, analysis: interleavedAbAnalysis(counts, credit, elapsedDays, test.policy) };
  }
  return {
    test,
    analysis: analyseAbTest(counts.champion, counts.challenger, test.traffic, elapsedDays, test.policy),
  };
}

/**
 * The statistics and verdict of a test (the running one by default), changing nothing: the seed's
 * validate_ab_test. Valid to call as often as anyone likes (the sequential test allows it).
 */
export async function evaluateAbTest(
  db: Queryable,
  options: { testId?: number; now?: number } = {},
): Promise<AbEvaluation> {
  const test =
    options.testId !== undefined ? await getAbTest(db, options.testId) : await getRunningAbTest(db);
  if (!test) throw new NotFoundError('no A/B test is running (movienight ab start --challenger <version>)');
  return evaluateTest(db, test, options.now ?? test.endedAt ?? Date.now());
}

export interface AbDecisionResult extends AbEvaluation {
  /** What was done: activated / discarded, or null when the verdict was to continue (or blocked). */
  readonly applied: 'activated' | 'discarded' | null;
}

/** The key numbers of a decision, kept with the alias move. */
function decisionDetails(a: AbAnalysis): Record<string, unknown> {
  return {
    verdict: a.verdict,
    champion: {
      n: a.arms.champion.n,
      accuracy: a.arms.champion.accuracy.value,
      users: a.arms.champion.users,
    },
    challenger: {
      n: a.arms.challenger.n,
      accuracy: a.arms.challenger.accuracy.value,
      users: a.arms.challenger.users,
    },
    relativeAccuracyImprovement: a.relativeAccuracyImprovement,
    sequentialPValue: a.sequential.pValue,
    srmPValue: a.srm.pValue,
    elapsedDays: a.elapsedDays,
  };
}

async function endTest(
  tx: Queryable,
  test: AbTest,
  decision: AbDecision,
  reason: string,
  analysis: AbAnalysis,
  now: number,
): Promise<void> {
  const changed = await tx.run(
    `UPDATE ab_tests SET status = ?, decision = ?, decision_reason = ?, stats = ?, ended_at = ?
     WHERE id = ? AND status = 'running'`,
    [
      decision === 'stopped' ? 'stopped' : 'completed',
      decision,
      reason,
      JSON.stringify({ policy: test.policy, analysis }),
      now,
      test.id,
    ],
  );
  if (changed.changes !== 1) throw new ConflictError(`A/B test #${test.id} is no longer running`);
}

/**
 * Evaluates the running test and applies its verdict: `activate` makes the challenger champion,
 * `discard` drops it (status discarded); both end the test, with the statistics stored in ab_tests
 * and the numbers in the alias history, in one transaction. `continue` and `blocked` change
 * nothing. Safe to run from several processes: the decision is re-taken under the registry lock.
 */
export async function decideAbTest(
  db: Database,
  options: { now?: number } = {},
): Promise<AbDecisionResult | null> {
  const now = options.now ?? Date.now();
  const first = await getRunningAbTest(db);
  if (!first) return null;
  // Verify before the transaction: a challenger that stopped loading is discarded, not activated.
  let loadError: string | null = null;
  try {
    await loadVersionArtifact(db, first.challengerVersion);
  } catch (error) {
    loadError = (error as Error).message;
  }
  return db.transaction(async (tx) => {
    await lockRegistry(tx, now);
    const test = await getRunningAbTest(tx);
    if (!test || test.id !== first.id) return null;
    const { analysis } = await evaluateTest(tx, test, now);
    let action = analysis.verdict.action;
    let reason = analysis.verdict.reason;
    if (action === 'activate' && loadError) {
      action = 'discard';
      reason = `would activate (${reason}) but the challenger cannot be loaded: ${loadError}`;
    }
    if (action === 'activate') {
      await endTest(tx, test, 'activated', reason, analysis, now);
      await moveAlias(tx, {
        alias: 'champion',
        version: test.challengerVersion,
        action: 'ab-activate',
        reason: `A/B test #${test.id}: ${reason}`,
        abTestId: test.id,
        details: decisionDetails(analysis),
        now,
      });
      await moveAlias(tx, {
        alias: 'challenger',
        version: null,
        action: 'clear',
        reason: `A/B test #${test.id} activated it`,
        abTestId: test.id,
        now,
      });
      return { test: await getAbTest(tx, test.id), analysis, applied: 'activated' };
    }
    if (action === 'discard') {
      await endTest(tx, test, 'discarded', reason, analysis, now);
      await tx.run("UPDATE model_versions SET status = 'discarded' WHERE version = ? AND status = 'ready'", [
        test.challengerVersion,
      ]);
      await moveAlias(tx, {
        alias: 'challenger',
        version: null,
        action: 'clear',
        reason: `A/B test #${test.id} discarded it: ${reason}`,
        abTestId: test.id,
        details: decisionDetails(analysis),
        now,
      });
      return { test: await getAbTest(tx, test.id), analysis, applied: 'discarded' };
    }
    return { test, analysis, applied: null };
  });
}

/** Stops the running test without a verdict; the champion stays, the challenger alias is cleared. */
export async function stopAbTest(
  db: Database,
  options: { reason?: string; now?: number } = {},
): Promise<AbEvaluation> {
  const now = options.now ?? Date.now();
  return db.transaction(async (tx) => {
    await lockRegistry(tx, now);
    const test = await getRunningAbTest(tx);
    if (!test) throw new NotFoundError('no A/B test is running');
    const { analysis } = await evaluateTest(tx, test, now);
    const reason = options.reason ?? 'stopped by hand';
    await endTest(tx, test, 'stopped', reason, analysis, now);
    await moveAlias(tx, {
      alias: 'challenger',
      version: null,
      action: 'clear',
      reason: `A/B test #${test.id} stopped: ${reason}`,
      abTestId: test.id,
      details: decisionDetails(analysis),
      now,
    });
    return { test: await getAbTest(tx, test.id), analysis };
  });
}
