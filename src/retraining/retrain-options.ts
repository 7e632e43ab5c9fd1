import type { Config } from '../config.ts';
import type { ModelParams } from '../models/rating-model.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import type { OfflineComparison } from './offline-comparison.ts';
import type { DeployOutcome } from './retrain-registry.ts';
import type { RetrainStep, TriggerSource } from './retrain-triggers.ts';

/** How one retrain runs. JSON-serialisable: it is stored with the trigger and sent to workers. */
export interface RetrainOptions {
  /** Tune hyperparameters first (warm-started from earlier tuning runs). */
  readonly tune?: boolean;
  /** Tuning method (random, grid, bayesian, tpe…). */
  readonly method?: string;
  readonly trials?: number;
  /** With a job queue: tuning trials queued at once (default 4); set it to the workers' trial slots. */
  readonly workers?: number;
  /** Activate on the offline comparison (≥ autoActivateThreshold) instead of starting an A/B test. */
  readonly activateIfBetter?: boolean;
  /** Model kind; default the champion's, else `svd`. */
  readonly model?: string;
  /** Parameters; default best_hp.json's for this kind, else the champion's (same kind), else the model's defaults. */
  readonly params?: ModelParams;
  readonly seed?: number;
  /**
   * Choose how far back to train (the whole set, or the last three quarters, half or quarter of the window) by the error on
   * the recent holdout (default true): after a change of taste the older ratings mislead, and the
   * holdout shows it.
   */
  readonly windowSelection?: boolean;
  /** Share of the most recent ratings held out for the offline comparison (default 0.1). */
  readonly holdoutFraction?: number;
  /** Share of users the challenger serves in the A/B test (default: the experiments module's). */
  readonly abTraffic?: number;
  /** Rated recommendations each arm needs before the A/B test decides (default: the experiments module's). */
  readonly abMinSamples?: number;
  /** Days after which an undecided A/B test discards the challenger (default: the experiments module's). */
  readonly abMaxDays?: number;
}

export type RetrainSettings = Pick<
  Config,
  | 'trainingWindowDays'
  | 'autoActivateThreshold'
  | 'retrainData'
  | 'includeUnexpected'
  | 'staleAfterSeconds'
  | 'retrainCooldownHours'
  | 'likeThreshold'
>;

export interface RetrainRunOptions extends RetrainOptions {
  /** Run this trigger (already recorded); default: a new manual trigger, or the pending one. */
  readonly triggerId?: number;
  readonly source?: TriggerSource;
  readonly reason?: string;
  /** The clock; simulations pass a simulated one. Default Date.now. */
  readonly clock?: () => number;
  /** Who holds the lock (host:pid:random by default). */
  readonly holder?: string;
  /** Called when each step starts (progress output; tests use it to stop a run mid-way). */
  readonly onStep?: (step: RetrainStepName, triggerId: number) => void | Promise<void>;
  /** The job queue the tune step's trials go to (as jobs for `movienight worker`); none: this thread. */
  readonly queue?: JobQueue;
}

export type RetrainStepName = 'data' | 'tune' | 'fit' | 'compare' | 'final-fit' | 'register' | 'deploy';

/** Where a retrain's (or train's) parameters came from. */
export type ParamsSource = 'given' | 'best_hp.json' | 'champion' | 'defaults' | 'tuned';

export interface RetrainResult {
  readonly triggerId: number;
  readonly status: 'succeeded' | 'failed';
  readonly outcome: string;
  readonly championBefore: number | null;
  readonly newVersion: number | null;
  readonly model: string | null;
  readonly params: ModelParams | null;
  /** Where the parameters came from: given, best_hp.json, the champion's, the defaults, or tuned. */
  readonly paramsSource: ParamsSource | null;
  readonly trainRows: number;
  /** The fair comparison with the champion (or why there was none). */
  readonly comparison: OfflineComparison | null;
  readonly deploy: DeployOutcome | null;
  /** Set when a stale holder's run was taken over. */
  readonly tookOverFrom: string | null;
  readonly steps: readonly RetrainStep[];
  readonly error: string | null;
}
