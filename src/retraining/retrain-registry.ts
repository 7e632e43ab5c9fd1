import type { RatingsData } from '../data/ratings-data.ts';
import type { Database } from '../db/database.ts';
import { holdoutVersionMetrics } from '../evaluation/holdout.ts';
import { decideAbTest, startAbTest } from '../experiments/ab-tests.ts';
import type { RatingModel } from '../models/rating-model.ts';
import { activateVersion } from '../registry/aliases.ts';
import { registerVersion, trainingDataInfo } from '../registry/model-versions.ts';
import type { OfflineComparison, RecentHoldoutMetrics } from './offline-comparison.ts';

/**
 * The retrain orchestrator's use of the registry and of A/B tests: which model is champion,
 * registering the new version, and what to do with it.
 */
export { type ChampionInfo, readChampion } from '../registry/champion.ts';

/**
 * A retrain's offline metrics as the flat, finite numbers a version holds: the candidate's own
 * accuracy, RMSE, MAE and majority baseline on the most recent ratings (measured before its final
 * fit, as `train` measures them), plus the fair comparison with the champion when there was one.
 */
export function retrainMetrics(recent: RecentHoldoutMetrics, c: OfflineComparison): Record<string, number> {
  const out: Record<string, number> = { ...holdoutVersionMetrics(recent) };
  if (c.fair && c.champion && c.challenger) {
    out.fairHoldoutRows = c.holdout.rows;
    out.fairAccuracy = c.challenger.accuracy.value;
    out.championAccuracy = c.champion.accuracy.value;
    out.championRmse = c.champion.rmse;
    if (c.gainPoints) out.gainPoints = c.gainPoints.value;
    if (c.relativeGain) out.relativeImprovement = c.relativeGain.value;
  }
  for (const [k, v] of Object.entries(out)) if (!Number.isFinite(v)) delete out[k];
  return out;
}

export async function registerCandidate(
  db: Database,
  input: {
    model: RatingModel;
    data: RatingsData;
    parentVersion: number | null;
    metrics: Record<string, number>;
    tuningRunId?: string | null;
    tuningTrialNumber?: number | null;
    now: number;
  },
): Promise<number> {
  const v = await registerVersion(db, {
    model: input.model,
    training: trainingDataInfo(input.data),
    reason: 'retrain',
    parentVersion: input.parentVersion,
    tuningRunId: input.tuningRunId ?? null,
    tuningTrialNumber: input.tuningTrialNumber ?? null,
    metrics: input.metrics,
    now: input.now,
  });
  return v.version;
}

/** What the deploy step did with the new version. */
export interface DeployOutcome {
  readonly action: 'activated' | 'ab-test' | 'kept-champion';
  readonly version: number;
  readonly abTestId: number | null;
  readonly summary: string;
}

export interface DeployInput {
  readonly version: number;
  readonly championVersion: number | null;
  readonly comparison: OfflineComparison;
  readonly activateIfBetter: boolean;
  readonly autoActivateThreshold: number;
  readonly traffic?: number;
  /** A/B policy overrides (the experiments module's defaults otherwise): rated recommendations per arm, days. */
  readonly abMinSamples?: number;
  readonly abMaxDays?: number;
  readonly triggerId: number;
  readonly now: number;
}

/**
 * No champion → the new version becomes champion. With activateIfBetter and a fair offline
 * comparison → champion when its relative accuracy gain reaches autoActivateThreshold, else the
 * champion stays. Otherwise (no fair comparison, or no activateIfBetter) the live A/B test decides,
 * whatever the offline figures say: they are on past ratings, the test is on the users of tomorrow.
 */
export async function deployCandidate(db: Database, input: DeployInput): Promise<DeployOutcome> {
  const v = input.version;
  if (input.championVersion === null) {
    await activateVersion(db, v, { reason: `retrain #${input.triggerId}: first model`, now: input.now });
    return {
      action: 'activated',
      version: v,
      abTestId: null,
      summary: `v${v} activated (there was no champion)`,
    };
  }
  const gain = input.comparison.fair ? (input.comparison.relativeGain?.value ?? null) : null;
  if (input.activateIfBetter && gain !== null) return decideOffline(db, input, gain);
  const test = await startChallengerTest(db, input);
  const why = input.activateIfBetter ? ` (${input.comparison.note ?? 'no fair offline comparison'})` : '';
  return {
    action: 'ab-test',
    version: v,
    abTestId: test,
    summary: `A/B test #${test} started: v${v} (challenger) against v${input.championVersion}${why}`,
  };
}

/** Activates the new version when the fair offline gain reaches the threshold, else keeps the champion. */
async function decideOffline(db: Database, input: DeployInput, gain: number): Promise<DeployOutcome> {
  const v = input.version;
  const pct = `${(100 * gain).toFixed(1)} %`;
  const threshold = `${(100 * input.autoActivateThreshold).toFixed(1)} %`;
  if (gain >= input.autoActivateThreshold) {
    await activateVersion(db, v, {
      reason: `retrain #${input.triggerId}: fair offline accuracy gain ${pct} ≥ ${threshold}`,
      now: input.now,
    });
    return {
      action: 'activated',
      version: v,
      abTestId: null,
      summary: `v${v} activated: fair offline accuracy gain ${pct}`,
    };
  }
  return {
    action: 'kept-champion',
    version: v,
    abTestId: null,
    summary: `v${input.championVersion} kept: v${v}'s fair offline accuracy gain ${pct} is below ${threshold}`,
  };
}

async function startChallengerTest(db: Database, input: DeployInput): Promise<number> {
  const test = await startAbTest(db, {
    challengerVersion: input.version,
    autoActivateThreshold: input.autoActivateThreshold,
    ...(input.traffic === undefined ? {} : { traffic: input.traffic }),
    ...(input.abMinSamples === undefined ? {} : { minSamples: input.abMinSamples }),
    ...(input.abMaxDays === undefined ? {} : { maxDays: input.abMaxDays }),
    now: input.now,
  });
  return test.id;
}

/** What the scheduler's A/B pass did. */
export interface AbDecisionSummary {
  readonly testId: number;
  readonly championVersion: number;
  readonly challengerVersion: number;
  /** activated / discarded, or null while the test keeps collecting. */
  readonly applied: 'activated' | 'discarded' | null;
  readonly verdict: string;
  readonly reason: string;
  readonly champion: { readonly n: number; readonly accuracy: number };
  readonly challenger: { readonly n: number; readonly accuracy: number };
}

/** Lets the running A/B test decide (decideAbTest); null when none is running. */
export async function decideRunningAbTest(db: Database, now: number): Promise<AbDecisionSummary | null> {
  const r = await decideAbTest(db, { now });
  if (!r) return null;
  const a = r.analysis;
  return {
    testId: r.test.id,
    championVersion: r.test.championVersion,
    challengerVersion: r.test.challengerVersion,
    applied: r.applied,
    verdict: a.verdict.action,
    reason: a.verdict.reason,
    champion: { n: a.arms.champion.n, accuracy: a.arms.champion.accuracy.value },
    challenger: { n: a.arms.challenger.n, accuracy: a.arms.challenger.accuracy.value },
  };
}
