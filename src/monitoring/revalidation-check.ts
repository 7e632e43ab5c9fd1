import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { championVersion } from '../registry/champion.ts';
import { type DriftVerdict, detectDrift } from './drift-detector.ts';
import { championSince, versionOutcomes } from './drift-outcomes-store.ts';
import {
  type AccuracyFigure,
  establishedAccuracy,
  type MovieAccuracy,
  movieAccuracy,
  windowStart,
} from './live-accuracy.ts';

export type RevalidationSettings = Pick<
  Config,
  | 'trainingWindowDays'
  | 'accuracyThreshold'
  | 'minSamplesPerMovie'
  | 'minSamplesForRetrain'
  | 'driftDetector'
  | 'driftThreshold'
  | 'driftAllowance'
  | 'driftAdwinDelta'
  | 'driftMinDrop'
  | 'driftMinSamples'
  | 'driftSettleHours'
  | 'driftRecoveryTolerance'
  | 'driftRecoveryRecentHours'
> &
  Partial<Pick<Config, 'establishedAccountDays' | 'minEstablishedUsersForRetrain'>>;

/** How old an account must have been when its user rated for the rating to count (0: any). */
const establishedMsOf = (config: RevalidationSettings) => (config.establishedAccountDays ?? 0) * 86_400_000;
/** Distinct established users the threshold and recovery rules need (1 when not set). */
const minUsersOf = (config: RevalidationSettings) => config.minEstablishedUsersForRetrain ?? 1;

/** What the check concluded. */
export type RevalidationVerdict =
  /** A rule fired (`firedRule` says which): retrain. */
  | 'retrain'
  /** Neither rule fired. */
  | 'ok'
  /** Too few tracked ratings of the champion in the window for the threshold rule, no drift. */
  | 'insufficient-samples'
  /** No model is active: nothing to revalidate (a first `retrain` creates one). */
  | 'no-champion';

/**
 * Which rule asks for a retrain: accuracy significantly below the threshold, a detected fall
 * (drift), or a champion still below the level before an earlier fall (recovery).
 */
export type RevalidationRule = 'threshold' | 'drift' | 'recovery';

/** The level to recover to after a drift trigger (plain data from the retraining layer). */
export interface RecoveryTarget {
  /** Accuracy before the fall. */
  readonly level: number;
  /** When the fall began. */
  readonly changeAt: number;
  /**
   * The last trigger: the champion is measured on its outcomes rated since this and within the
   * last driftRecoveryRecentHours.
   */
  readonly since: number;
}

/** The recovery target with the champion's accuracy over its outcomes rated since `from`. */
export type RecoveryCheck = RecoveryTarget & {
  readonly from: number;
  readonly champion: AccuracyFigure & { readonly users: number };
};

/** The drift detector's part of the check. */
export interface DriftCheck {
  /** `off` (disabled), `none` (no fall), `settling` (a fall, younger than driftSettleHours), `fired`. */
  readonly state: 'off' | 'none' | 'settling' | 'fired';
  /** Start of the outcome stream looked at (champion activation, last trigger or window start). */
  readonly from: number;
  /** When the first outcome after the change and the alarm were rated; null without a fall. */
  readonly changeAt: number | null;
  readonly alarmAt: number | null;
  readonly verdict: DriftVerdict | null;
  /** The rule, in words, with the settings in force. */
  readonly rule: string;
}

/** What a retrain trigger filed for this check would say. */
export interface RetrainRequestDraft {
  readonly rule: RevalidationRule;
  readonly reason: string;
  readonly numbers: Readonly<Record<string, number | null>>;
}

export interface RevalidationResult {
  readonly checkedAt: number;
  readonly window: { readonly days: number; readonly from: number; readonly to: number };
  readonly championVersion: number | null;
  /**
   * The champion's liked-accuracy over the window, with its 95 % Wilson interval, from established
   * users' outcomes only, and how many distinct users they come from.
   */
  readonly champion: AccuracyFigure & { readonly users: number };
  /** Movies with at least minSamplesPerMovie samples, worst first (at most 10). */
  readonly worstMovies: readonly MovieAccuracy[];
  readonly verdict: RevalidationVerdict;
  /** The threshold rule, in words, with the numbers in force. */
  readonly rule: string;
  readonly drift: DriftCheck;
  /**
   * The recovery rule's target and the champion's recent accuracy, over its outcomes rated since
   * `from` (the latest of `since`, the window start and driftRecoveryRecentHours ago); null
   * outside a recovery period.
   */
  readonly recovery: RecoveryCheck | null;
  /** The rule that fired (threshold first when both did), and the trigger it would file. */
  readonly firedRule: RevalidationRule | null;
  readonly request: RetrainRequestDraft | null;
}

export interface RevalidationOptions {
  /** The clock (simulations pass a simulated one); default Date.now(). */
  readonly now?: number;
  /**
   * Outcomes rated before this are not given to the drift detector: the retraining layer passes
   * the time of the last automatic trigger, so a fall that was already acted upon is not
   * reported again (the threshold rule still sees the whole window).
   */
  readonly driftSince?: number;
  /** After a drift trigger and until its recovery period ends: the level to recover to. */
  readonly recovery?: RecoveryTarget;
}

const pct = (v: number | null) => `${(100 * (v ?? 0)).toFixed(1)} %`;
const minute = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');

/**
 * The drift detector over the champion's outcomes since it became champion (or since
 * `driftSince`, or the window start, whichever is latest). A fall is reported as `fired` only
 * driftSettleHours after its start, so that the retrain it leads to has ratings of the new level.
 */
async function driftCheck(
  db: Database,
  config: RevalidationSettings,
  version: number | null,
  from: number,
  now: number,
  driftSince: number | undefined,
): Promise<DriftCheck> {
  const kind = config.driftDetector;
  const rule =
    kind === 'off'
      ? 'drift detector off'
      : `retrain when ${kind} finds the champion's accuracy fell by ≥ ${(100 * config.driftMinDrop).toFixed(0)} points (threshold ${config.driftThreshold}, allowance ${config.driftAllowance}, ≥ ${config.driftMinSamples} outcomes), ${config.driftSettleHours} h after the fall began`;
  const base = { changeAt: null, alarmAt: null, verdict: null, rule };
  if (kind === 'off' || version === null) return { state: kind === 'off' ? 'off' : 'none', from, ...base };
  const start = Math.max(from, driftSince ?? from, (await championSince(db, version)) ?? from);
  const stream = await versionOutcomes(db, version, start, now, establishedMsOf(config));
  const verdict = detectDrift(stream.hits, {
    kind,
    threshold: config.driftThreshold,
    allowance: config.driftAllowance,
    adwinDelta: config.driftAdwinDelta,
    minDrop: config.driftMinDrop,
    minSamples: config.driftMinSamples,
  });
  if (!verdict.fired || verdict.changeIndex === null || verdict.alarmIndex === null)
    return { ...base, state: 'none', from: start, verdict };
  const changeAt = stream.ratedAt[verdict.changeIndex]!;
  const settled = now - changeAt >= config.driftSettleHours * 3_600_000;
  return {
    state: settled ? 'fired' : 'settling',
    from: start,
    changeAt,
    alarmAt: stream.ratedAt[verdict.alarmIndex]!,
    verdict,
    rule,
  };
}

function thresholdRequest(
  version: number,
  champion: AccuracyFigure,
  config: RevalidationSettings,
): RetrainRequestDraft {
  return {
    rule: 'threshold',
    reason: `champion v${version} accuracy ${pct(champion.accuracy)} (95 % CI ${(100 * champion.low).toFixed(1)}–${(100 * champion.high).toFixed(1)} %, n = ${champion.samples}) below ${(100 * config.accuracyThreshold).toFixed(1)} %`,
    numbers: {
      championVersion: version,
      accuracy: champion.accuracy,
      low: champion.low,
      high: champion.high,
      samples: champion.samples,
      threshold: config.accuracyThreshold,
    },
  };
}

function driftRequest(version: number, drift: DriftCheck): RetrainRequestDraft {
  const v = drift.verdict!;
  return {
    rule: 'drift',
    reason: `drift: accuracy ${pct(v.before)} → ${pct(v.after)} since ${minute(drift.changeAt!)} (${v.kind}, n = ${v.samplesBefore} before, ${v.samplesAfter} after; champion v${version})`,
    numbers: {
      championVersion: version,
      before: v.before,
      after: v.after,
      samplesBefore: v.samplesBefore,
      samplesAfter: v.samplesAfter,
      changeAt: drift.changeAt,
      alarmAt: drift.alarmAt,
      targetLevel: v.before,
    },
  };
}

function recoveryRequest(version: number, recovery: RecoveryCheck): RetrainRequestDraft {
  const c = recovery.champion;
  return {
    rule: 'recovery',
    reason: `recovery: champion v${version} accuracy since ${minute(recovery.from)} ${pct(c.accuracy)} (95 % CI ${(100 * c.low).toFixed(1)}–${(100 * c.high).toFixed(1)} %, n = ${c.samples}) still below ${pct(recovery.level)} before the fall of ${minute(recovery.changeAt)}`,
    numbers: {
      championVersion: version,
      accuracy: c.accuracy,
      low: c.low,
      high: c.high,
      samples: c.samples,
      changeAt: recovery.changeAt,
      targetLevel: recovery.level,
    },
  };
}

/**
 * The champion's recent accuracy when there is a recovery target: over its outcomes since the
 * latest of the target's `since`, the window start and driftRecoveryRecentHours ago, so that a
 * model whose first days were good but which slid since is judged on where it is now.
 */
async function recoveryCheck(
  db: Database,
  version: number | null,
  from: number,
  now: number,
  config: RevalidationSettings,
  target: RecoveryTarget | undefined,
): Promise<RecoveryCheck | null> {
  if (version === null || target === undefined) return null;
  const start = Math.max(from, target.since, now - config.driftRecoveryRecentHours * 3_600_000);
  const champion = await establishedAccuracy(db, start, now, version, establishedMsOf(config));
  return { ...target, from: start, champion };
}

/**
 * The revalidation check (threshold rule) plus a change detector. Accuracy is the share of
 * tracked recommendations whose liked/not-liked prediction was right, for the champion over the
 * rolling window. Three rules ask for a retrain: the threshold rule (at least
 * `minSamplesForRetrain` tracked ratings AND the upper end of the 95 % Wilson interval below
 * `accuracyThreshold`), and the drift rule (the detector found the champion's accuracy fell
 * clearly below its own earlier level; see driftCheck), and after a drift trigger the recovery rule
 * (the champion's accuracy over its recent outcomes more than driftRecoveryTolerance below the
 * level before the fall; see recoveryCheck). Returns a verdict only: filing the trigger
 * belongs to the retraining layer (`revalidate`).
 */
export async function checkForModelRevalidation(
  db: Database,
  config: RevalidationSettings,
  options: RevalidationOptions = {},
): Promise<RevalidationResult> {
  const now = options.now ?? Date.now();
  const from = windowStart(now, config.trainingWindowDays);
  const version = await championVersion(db);
  const rule = `retrain when n ≥ ${config.minSamplesForRetrain} from ≥ ${minUsersOf(config)} established users and the upper 95 % Wilson bound of the champion's accuracy over the last ${config.trainingWindowDays} days < ${config.accuracyThreshold}`;
  const champion = await establishedAccuracy(db, from, now, version ?? -1, establishedMsOf(config));
  const enough = (figure: { samples: number; users: number }) =>
    figure.samples >= config.minSamplesForRetrain && figure.users >= minUsersOf(config);
  const worstMovies =
    version === null
      ? []
      : await movieAccuracy(db, from, now, config.minSamplesPerMovie, { modelVersion: version, limit: 10 });
  const drift = await driftCheck(db, config, version, from, now, options.driftSince);
  const recovery = await recoveryCheck(db, version, from, now, config, options.recovery);
  let verdict: RevalidationVerdict = 'ok';
  let request: RetrainRequestDraft | null = null;
  if (version === null) verdict = 'no-champion';
  else if (enough(champion) && champion.high < config.accuracyThreshold)
    request = thresholdRequest(version, champion, config);
  else if (drift.state === 'fired') request = driftRequest(version, drift);
  else if (
    recovery !== null &&
    enough(recovery.champion) &&
    recovery.champion.accuracy !== null &&
    recovery.champion.accuracy < recovery.level - config.driftRecoveryTolerance
  )
    request = recoveryRequest(version, recovery);
  else if (!enough(champion)) verdict = 'insufficient-samples';
  if (request) verdict = 'retrain';
  return {
    checkedAt: now,
    window: { days: config.trainingWindowDays, from, to: now },
    championVersion: version,
    champion,
    worstMovies,
    verdict,
    rule,
    drift,
    recovery,
    firedRule: request?.rule ?? null,
    request,
  };
}
