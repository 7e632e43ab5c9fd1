import { likeThreshold } from '../data/rating-scale.ts';
import { ratingScaleOf } from '../data/rating-scale-of.ts';
import type { Database } from '../db/database.ts';
import { type ScreenSettings, screenChallengerOffPolicy } from '../experiments/ope-screening.ts';
import type { DeployOutcome } from './retrain-registry.ts';

export interface ScreenStepInput {
  readonly version: number;
  readonly championVersion: number | null;
  /** Retrains that activate on the offline comparison start no A/B test, so there is nothing to screen. */
  readonly activateIfBetter: boolean;
  readonly triggerId: number;
  readonly now: number;
}

/**
 * The retrain's step before it starts an A/B test: the off-policy screen of the new version
 * against the champion's logged window. Returns the deploy outcome when the screen discarded the
 * challenger (no A/B test is started), null when the A/B test should go ahead (or the screen is
 * off, or there is no champion to screen against). A screen that fails (say, an empty window)
 * never blocks the A/B test: the test is the safe default.
 */
export async function screenBeforeAbTest(
  db: Database,
  config: ScreenSettings & { readonly likeThreshold?: number | undefined },
  input: ScreenStepInput,
): Promise<DeployOutcome | null> {
  if (config.opeScreening === 'off' || input.championVersion === null || input.activateIfBetter) return null;
  try {
    const threshold = likeThreshold(await ratingScaleOf(db), config.likeThreshold);
    const r = await screenChallengerOffPolicy(db, input.version, config, {
      likeThreshold: threshold,
      now: input.now,
    });
    if (r.verdict.action !== 'discard') return null;
    return {
      action: 'kept-champion',
      version: input.version,
      abTestId: null,
      summary: `v${input.championVersion} kept: v${input.version} discarded by the off-policy screen without an A/B test (${r.verdict.reason})`,
    };
  } catch {
    return null;
  }
}
