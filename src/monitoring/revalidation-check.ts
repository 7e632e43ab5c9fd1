import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { championVersion } from '../registry/champion.ts';
import { requestRetrain, type TriggerDecision } from '../retraining/retrain-triggers.ts';
import {
  type AccuracyFigure,
  type MovieAccuracy,
  movieAccuracy,
  windowAccuracy,
  windowStart,
} from './live-accuracy.ts';

export type RevalidationSettings = Pick<
  Config,
  | 'trainingWindowDays'
  | 'accuracyThreshold'
  | 'minSamplesPerMovie'
  | 'minSamplesForRetrain'
  | 'retrainCooldownHours'
  | 'staleAfterSeconds'
>;

/** What the check concluded. */
export type RevalidationVerdict =
  /** Accuracy is significantly below the threshold: retrain. */
  | 'retrain'
  /** Accuracy is not significantly below the threshold. */
  | 'ok'
  /** Too few tracked ratings of the champion in the window to say. */
  | 'insufficient-samples'
  /** No model is active: nothing to revalidate (a first `retrain` creates one). */
  | 'no-champion';

export interface RevalidationResult {
  readonly checkedAt: number;
  readonly window: { readonly days: number; readonly from: number; readonly to: number };
  readonly championVersion: number | null;
  /** The champion's liked-accuracy over the window, with its 95 % Wilson interval. */
  readonly champion: AccuracyFigure;
  /** Movies with at least minSamplesPerMovie samples, worst first (at most 10). */
  readonly worstMovies: readonly MovieAccuracy[];
  readonly verdict: RevalidationVerdict;
  /** The rule, in words, with the numbers in force. */
  readonly rule: string;
  /** The trigger created, or why none was (cooldown, one already open…); null when not asked. */
  readonly trigger: TriggerDecision | null;
}

export interface RevalidationOptions {
  /** The clock (simulations pass a simulated one); default Date.now(). */
  readonly now?: number;
  /** Record a retrain trigger when the verdict is `retrain` (default true). */
  readonly trigger?: boolean;
}

/**
 * The seed's check_for_model_revalidation. Accuracy is the share of tracked recommendations whose
 * liked/not-liked prediction was right, for the champion over the rolling window. The rule: a
 * retrain is triggered when at least `minSamplesForRetrain` tracked ratings exist AND the upper
 * end of the 95 % Wilson interval of the accuracy is below `accuracyThreshold`, i.e. the accuracy
 * is below the threshold with 95 % confidence, not by noise. The trigger itself goes through
 * `requestRetrain`, which makes it exactly-once across processes and applies the cooldown.
 */
export async function checkForModelRevalidation(
  db: Database,
  config: RevalidationSettings,
  options: RevalidationOptions = {},
): Promise<RevalidationResult> {
  const now = options.now ?? Date.now();
  const from = windowStart(now, config.trainingWindowDays);
  const version = await championVersion(db);
  const rule = `retrain when n ≥ ${config.minSamplesForRetrain} and the upper 95 % Wilson bound of the champion's accuracy over the last ${config.trainingWindowDays} days < ${config.accuracyThreshold}`;
  const champion =
    version === null ? await windowAccuracy(db, from, now, -1) : await windowAccuracy(db, from, now, version);
  const worstMovies =
    version === null
      ? []
      : await movieAccuracy(db, from, now, config.minSamplesPerMovie, { modelVersion: version, limit: 10 });
  let verdict: RevalidationVerdict;
  if (version === null) verdict = 'no-champion';
  else if (champion.samples < config.minSamplesForRetrain) verdict = 'insufficient-samples';
  else verdict = champion.high < config.accuracyThreshold ? 'retrain' : 'ok';
  let trigger: TriggerDecision | null = null;
  if (verdict === 'retrain' && options.trigger !== false) {
    trigger = await requestRetrain(
      db,
      {
        source: 'auto',
        reason: `champion v${version} accuracy ${(100 * (champion.accuracy ?? 0)).toFixed(1)} % (95 % CI ${(100 * champion.low).toFixed(1)}–${(100 * champion.high).toFixed(1)} %, n = ${champion.samples}) below ${(100 * config.accuracyThreshold).toFixed(1)} %`,
        numbers: {
          championVersion: version,
          accuracy: champion.accuracy,
          low: champion.low,
          high: champion.high,
          samples: champion.samples,
          threshold: config.accuracyThreshold,
        },
      },
      config,
      now,
    );
  }
  return {
    checkedAt: now,
    window: { days: config.trainingWindowDays, from, to: now },
    championVersion: version,
    champion,
    worstMovies,
    verdict,
    rule,
    trigger,
  };
}
