import type { Database, Queryable } from '../db/database.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.ts';
import { requireWholeNumber } from '../input-schemas.ts';
import { lockRegistry, moveAlias, readAliases } from '../registry/aliases.ts';
import { loadVersionArtifact } from '../registry/artifacts.ts';
import { registryStore } from '../registry/sql-registry-store.ts';
import { type AbAnalysis, type AbPolicy, type ArmCounts, analyseAbTest } from './ab-analysis.ts';
import type { AbDecision, AbTest } from './ab-store.ts';
import type { Arm } from './assignment.ts';
import { type AbTestMethod, interleavedAbAnalysis, methodSettings } from './interleaving.ts';
import { interleavingCounts } from './interleaving-store.ts';
import { abStore } from './sql-ab-store.ts';

export type { AbDecision, AbTest, AbTestStatus } from './ab-store.ts';
export type { AbTestMethod } from './interleaving.ts';

const dayMs = 86_400_000;

export interface StartAbTestOptions {
  readonly challengerVersion: number;
  /** Challenger share of users, (0, 1); default 0.5. */
  readonly traffic?: number;
  /** Default 'ab'; 'interleave' serves every user a team-draft list (traffic is then 1). */
  readonly method?: AbTestMethod;
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

/** The traffic share and the policy of a test to start, checked, with defaults filled in. */
function checkStartOptions(options: StartAbTestOptions): {
  method: AbTestMethod;
  traffic: number;
  policy: AbPolicy;
} {
  const { method, defaults, traffic } = methodSettings(options.method ?? 'ab', options.traffic);
  const minSamples = options.minSamples ?? defaults.minSamples;
  requireWholeNumber('minSamples', minSamples, { min: 1 });
  const maxDays = options.maxDays ?? defaults.maxDays;
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
  return { method, traffic, policy };
}

/**
 * Starts the champion against one challenger. One running test at a time (a ConflictError
 * otherwise, also across processes: a unique index backs it). Sets the `challenger` alias.
 */
export async function startAbTest(db: Database, options: StartAbTestOptions): Promise<AbTest> {
  const { method, traffic, policy } = checkStartOptions(options);
  const challenger = options.challengerVersion;
  const now = options.now ?? Date.now();
  // A challenger that cannot be loaded must never get traffic.
  await loadVersionArtifact(db, challenger);
  const id = await db.transaction(async (tx) => {
    await lockRegistry(tx, now);
    const store = abStore(tx);
    const running = await store.running();
    if (running)
      throw new ConflictError(
        `A/B test #${running.id} is already running; stop it first (movienight ab stop)`,
      );
    const champion = (await readAliases(tx)).get('champion');
    if (champion === undefined)
      throw new ConflictError('no champion to test against: train and activate a model first');
    if (champion === challenger)
      throw new InvalidInputError(`challenger v${challenger} is already the champion`);
    const testId = await store.insert({
      championVersion: champion,
      challengerVersion: challenger,
      method,
      traffic,
      policy,
      startedAt: now,
    });
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
  const test = await abStore(db).get(id);
  if (!test) throw new NotFoundError(`A/B test #${id}: no such test`);
  return test;
}

/** The running test, or null. */
export async function getRunningAbTest(db: Queryable): Promise<AbTest | null> {
  return (await abStore(db).running()) ?? null;
}

/** Every test, newest first. */
export async function listAbTests(db: Queryable): Promise<AbTest[]> {
  return abStore(db).list();
}

/** The counts of each arm, straight from served_recommendations and the tracker's quality rows. */
export async function armCounts(db: Queryable, testId: number): Promise<Record<Arm, ArmCounts>> {
  return abStore(db).armCounts(testId);
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
 * The statistics and verdict of a test (the running one by default), changing nothing. Valid to call as often as anyone likes (the sequential test allows it).
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
  const ended = await abStore(tx).end(test, { decision, reason, analysis, endedAt: now });
  if (!ended) throw new ConflictError(`A/B test #${test.id} is no longer running`);
}

/** Ends the test as activated: the challenger becomes champion and the challenger alias clears. */
async function activateChallenger(
  tx: Queryable,
  test: AbTest,
  reason: string,
  analysis: AbAnalysis,
  now: number,
): Promise<void> {
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
}

/** Ends the test as discarded: the challenger version is marked discarded and its alias clears. */
async function discardChallenger(
  tx: Queryable,
  test: AbTest,
  reason: string,
  analysis: AbAnalysis,
  now: number,
): Promise<void> {
  await endTest(tx, test, 'discarded', reason, analysis, now);
  await registryStore(tx).discardVersion(test.challengerVersion);
  await moveAlias(tx, {
    alias: 'challenger',
    version: null,
    action: 'clear',
    reason: `A/B test #${test.id} discarded it: ${reason}`,
    abTestId: test.id,
    details: decisionDetails(analysis),
    now,
  });
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
    if (action === 'activate') await activateChallenger(tx, test, reason, analysis, now);
    else if (action === 'discard') await discardChallenger(tx, test, reason, analysis, now);
    else return { test, analysis, applied: null };
    const applied = action === 'activate' ? 'activated' : 'discarded';
    return { test: await getAbTest(tx, test.id), analysis, applied };
  });
}

/**
 * Stops the running test without a verdict; the champion stays, the challenger alias is cleared.
 * With `testId`, only that test (another running one is left alone: NotFoundError).
 */
export async function stopAbTest(
  db: Database,
  options: { reason?: string; now?: number; testId?: number } = {},
): Promise<AbEvaluation> {
  const now = options.now ?? Date.now();
  return db.transaction(async (tx) => {
    await lockRegistry(tx, now);
    const test = await getRunningAbTest(tx);
    if (!test || (options.testId !== undefined && test.id !== options.testId))
      throw new NotFoundError(
        options.testId === undefined
          ? 'no A/B test is running'
          : `A/B test #${options.testId} is not running`,
      );
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
