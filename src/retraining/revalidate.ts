import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import {
  checkForModelRevalidation,
  type RecoveryTarget,
  type RevalidationResult,
} from '../monitoring/revalidation-check.ts';
import {
  listTriggers,
  type RetrainTrigger,
  requestRetrain,
  type TriggerDecision,
} from './retrain-triggers.ts';

export type RevalidateSettings = Parameters<typeof checkForModelRevalidation>[1] &
  Pick<Config, 'retrainCooldownHours' | 'staleAfterSeconds' | 'driftRecoveryDays'>;

/** The check's verdict, and the trigger filed for it (or why none was; null when not asked). */
export interface RevalidationOutcome extends RevalidationResult {
  readonly trigger: TriggerDecision | null;
}

export interface RevalidateOptions {
  /** The clock (simulations pass a simulated one); default Date.now(). */
  readonly now?: number;
  /** File a retrain trigger when a rule fired (default true). */
  readonly trigger?: boolean;
}

/**
 * When the last retrain that was acted upon (pending, running or succeeded, from any source) was
 * triggered: the drift detector looks at the champion's outcomes after it only, so a fall that
 * already led to a retrain is not reported again while the champion stays (its new, lower level is
 * then the level to fall from; the threshold rule still applies).
 */
function lastActedUpon(recent: readonly RetrainTrigger[]): number | undefined {
  return recent.find((t) => t.status === 'pending' || t.status === 'running' || t.status === 'succeeded')
    ?.triggeredAt;
}

/**
 * The level to recover to: from the newest trigger filed by the drift or recovery rule (their
 * numbers carry `targetLevel` and `changeAt`), while fewer than driftRecoveryDays have passed
 * since the fall began. The champion is measured since that trigger.
 */
function recoveryTarget(
  recent: readonly RetrainTrigger[],
  recoveryDays: number,
  now: number,
): RecoveryTarget | undefined {
  const last = recent.find((t) => t.status !== 'abandoned' && typeof t.numbers.targetLevel === 'number');
  const level = last?.numbers.targetLevel;
  const changeAt = last?.numbers.changeAt;
  if (!last || typeof level !== 'number' || typeof changeAt !== 'number') return undefined;
  if (now > changeAt + recoveryDays * 86_400_000) return undefined;
  return { level, changeAt, since: last.triggeredAt };
}

/**
 * Runs the revalidation check and, when one of its rules fired, files the retrain trigger through
 * `requestRetrain` (exactly once across processes, with the cooldown and the A/B-test guard).
 */
export async function revalidate(
  db: Database,
  config: RevalidateSettings,
  options: RevalidateOptions = {},
): Promise<RevalidationOutcome> {
  const now = options.now ?? Date.now();
  const recent = await listTriggers(db, 50);
  const driftSince = lastActedUpon(recent);
  const recovery = recoveryTarget(recent, config.driftRecoveryDays, now);
  const check = await checkForModelRevalidation(db, config, {
    now,
    ...(driftSince === undefined ? {} : { driftSince }),
    ...(recovery === undefined ? {} : { recovery }),
  });
  let trigger: TriggerDecision | null = null;
  if (check.request && options.trigger !== false) {
    trigger = await requestRetrain(
      db,
      {
        source: 'auto',
        reason: check.request.reason,
        numbers: check.request.numbers,
        rule: check.request.rule,
      },
      config,
      now,
    );
  }
  return { ...check, trigger };
}
