import { InvalidInputError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import type { IntermediateValue } from './median-pruner.ts';
import type { TrialMetrics } from './objective.ts';
import type { Direction, PriorTrial, TrialState } from './sampler.ts';

/** A run's status. `interrupted`: its process died or was stopped; `--resume` continues it. */
export type RunStatus = 'running' | 'complete' | 'failed' | 'interrupted';

/** Run settings fixed at creation, so that a resume continues exactly the same search. */
export interface RunConfig {
  readonly seed: number;
  readonly folds: number;
  readonly space: unknown;
  /** The grid's points, when the method is grid. */
  readonly gridPoints?: readonly ModelParams[];
  readonly pruner: { readonly startupTrials: number; readonly warmupSteps: number } | null;
  /** The model's default configuration and its CV metrics on the same folds (for comparisons). */
  readonly baseline?: { readonly params: ModelParams; readonly metrics: TrialMetrics } | null;
  /** The run this one was warm-started from (workflow), if any. */
  readonly warmStartFrom?: string | null;
  /** True when the seed was not given but derived from the run id (so each run differs). */
  readonly seedFromRunId?: boolean;
  /** Trials of this run whose measurement was copied from an earlier run on the same data and folds. */
  readonly reused?: readonly ReusedTrial[];
  /** A rung of multi-fidelity tuning: the share of the ratings its trials run on, and where it sits. */
  readonly fidelity?: FidelityRung;
  /** The ratings tuned on, when not every rating of the database (a retrain's training part). */
  readonly data?: TuningDataSelection;
  /** The Bayesian sampler ranks by expected improvement per second of trial time. */
  readonly costAware?: boolean;
}

/**
 * Which ratings a run tunes on, as a query a worker process can repeat: the ratings rated in
 * `[since, until)` (null: unbounded), with or without the unexpected ones, on the scale the run
 * saw. A worker taking the run's trials from a queue loads these rows and checks that their
 * fingerprint is the run's before it evaluates anything.
 */
export interface TuningDataSelection {
  readonly since: number | null;
  readonly until: number | null;
  readonly includeUnexpected: boolean;
  readonly scale: { readonly min: number; readonly max: number; readonly step: number };
}

/** One rung of successive halving, kept with the run it ran as. */
export interface FidelityRung {
  /** Share of the full ratings this rung's trials run on, in (0, 1]. */
  readonly share: number;
  /**
   * Share of each configuration's epochs (`n_epochs`) this rung's trials fit, in (0, 1]; absent
   * (runs made before epochs were a fidelity): 1.
   */
  readonly epochShare?: number;
  /** 0 for the first (smallest) rung. */
  readonly rung: number;
  readonly rungs: number;
  /** Reduction factor: each rung keeps the best 1/eta of the one before. */
  readonly eta: number;
  /** The run of the rung before, whose best configurations this one measures again. */
  readonly promotedFrom: string | null;
}

/** A trial copied from an earlier measurement instead of measured again. */
export interface ReusedTrial {
  readonly number: number;
  readonly fromRun: string;
  readonly fromNumber: number;
}

export interface TuningRun {
  readonly id: string;
  readonly method: string;
  readonly model: string;
  readonly objective: string;
  readonly direction: Direction;
  readonly dataFingerprint: string;
  readonly status: RunStatus;
  /** Trials that must finish (complete or pruned); failed ones are retried and do not count. */
  readonly trialsPlanned: number;
  readonly trialsDone: number;
  readonly bestValue: number | null;
  readonly bestTrialNumber: number | null;
  readonly bestParams: ModelParams | null;
  readonly config: RunConfig;
  readonly owner: string | null;
  readonly heartbeatAt: number | null;
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly error: string | null;
}

export interface Trial {
  readonly runId: string;
  /** 0, 1, 2… per run, never reused. */
  readonly number: number;
  readonly params: ModelParams;
  readonly state: TrialState;
  /** The objective (complete), or the last intermediate value (pruned); null otherwise. */
  readonly value: number | null;
  readonly metrics: TrialMetrics | null;
  readonly intermediateValues: readonly IntermediateValue[];
  readonly durationMs: number | null;
  readonly error: string | null;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly heartbeatAt: number | null;
  /** The failed trial whose configuration this one runs again. */
  readonly retryOf: number | null;
  /** The share of the ratings the trial's folds were cut from (1: all of them). */
  readonly fidelity: number;
  /** The share of its configuration's epochs (`n_epochs`) the trial fitted (1: all of them). */
  readonly epochShare: number;
}

/** What a trial ran at: its share of the ratings and of its configuration's epochs (both in (0, 1]). */
export interface TrialFidelity {
  readonly share: number;
  readonly epochShare: number;
}

/** A full-fidelity trial: every rating, every epoch. */
export const fullFidelity: TrialFidelity = Object.freeze({ share: 1, epochShare: 1 });

/** Are two shares the same (they are computed as powers of 1/eta, so compared with a tolerance)? */
export function sameShare(a: number, b: number): boolean {
  return Math.abs(a - b) < 1e-9;
}

/** The fidelity a run's trials run at (its rung's, or full for an ordinary run). */
export function runFidelity(config: RunConfig): TrialFidelity {
  const rung = config.fidelity;
  return rung ? { share: rung.share, epochShare: rung.epochShare ?? 1 } : fullFidelity;
}

export interface NewRun {
  readonly method: string;
  readonly model: string;
  readonly objective: string;
  readonly direction: Direction;
  readonly dataFingerprint: string;
  readonly trialsPlanned: number;
  readonly config: RunConfig;
  readonly owner: string;
  readonly now: number;
}

/** How a running trial ends. */
export type TrialOutcome =
  | {
      readonly state: 'complete' | 'pruned';
      readonly value: number;
      readonly metrics: TrialMetrics | null;
      readonly intermediateValues: readonly IntermediateValue[];
      readonly durationMs: number;
    }
  | {
      readonly state: 'failed';
      readonly error: string;
      readonly intermediateValues?: readonly IntermediateValue[];
      readonly durationMs?: number;
    };

/** Which earlier measurements a run may reuse. */
export interface MeasuredFilter {
  readonly model: string;
  readonly dataFingerprint: string;
  readonly objective: string;
  readonly folds: number;
  readonly excludeRunId: string;
  /** Only trials fitted at this share of their epochs (default 1). */
  readonly epochShare?: number;
}

/** A complete trial of an earlier run, and the folds it was measured on. */
export interface MeasuredTrial {
  readonly trial: Trial;
  readonly folds: number;
}

/**
 * Where runs and trials live. The contract (tuning-storage.contract.ts, run on SQLite and
 * PostgreSQL):
 * - trial numbers are 0, 1, 2… per run, assigned by the storage, never duplicated;
 * - a finished trial (complete, pruned, failed) never changes: finishing it again is a ConflictError;
 * - `trialsDone` counts complete + pruned trials, and the run's best is kept with every finish;
 * - a run is worked on by one owner at a time (`claimRun`), who keeps its heartbeat fresh.
 */
export interface TuningStorage {
  createRun(run: NewRun): Promise<TuningRun>;
  getRun(id: string): Promise<TuningRun | undefined>;
  listRuns(filter?: { model?: string; limit?: number }): Promise<TuningRun[]>;
  /**
   * Takes over a run for `owner` when it is free: not running, or owned by `owner`, or its
   * heartbeat older than `staleBefore`, or `force` (the caller proved the owner dead). False when
   * another live owner holds it.
   */
  claimRun(id: string, owner: string, now: number, staleBefore: number, force?: boolean): Promise<boolean>;
  /** Marks every `running` trial of the run failed (their process is gone); returns their numbers. */
  failRunningTrials(runId: string, reason: string, now: number): Promise<number[]>;
  /**
   * Creates the next trial (state running) with the next free number, at `fidelity` (the shares
   * of the ratings and of the epochs it runs on, each in (0, 1]; default both 1).
   */
  startTrial(
    runId: string,
    params: ModelParams,
    now: number,
    retryOf?: number | null,
    fidelity?: TrialFidelity,
  ): Promise<Trial>;
  finishTrial(runId: string, number: number, outcome: TrialOutcome, now: number): Promise<Trial>;
  /** Refreshes the run's and its running trials' heartbeats; false if `owner` no longer owns the run. */
  heartbeat(runId: string, owner: string, now: number): Promise<boolean>;
  /** Replaces the run's config (only to add what is learnt later, e.g. the baseline's metrics). */
  updateRunConfig(runId: string, config: RunConfig): Promise<void>;
  finishRun(
    runId: string,
    status: Exclude<RunStatus, 'running'>,
    now: number,
    error?: string | null,
  ): Promise<void>;
  listTrials(runId: string): Promise<Trial[]>;
  /**
   * Complete trials (with metrics) of other runs of the same model, data, objective and number of
   * folds: measurements a new run reuses instead of repeating. Oldest first.
   */
  measuredTrials(filter: MeasuredFilter): Promise<MeasuredTrial[]>;
  /**
   * Complete trials of other runs of the same model, data and objective, fitted at the same share
   * of their epochs (default 1): the warm start.
   */
  priorTrials(filter: {
    model: string;
    dataFingerprint: string;
    objective: string;
    excludeRunId?: string;
    epochShare?: number;
  }): Promise<PriorTrial[]>;
}

/** A run's id, the same in every storage: `bayesian_20261126_165747_013`: method, UTC date and time, milliseconds. */
export function runIdFor(method: string, now: number): string {
  const d = new Date(now);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${method}_${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}_${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}_${p(d.getUTCMilliseconds(), 3)}`;
}

/** Refuses a trial fidelity whose shares (of the ratings, of the epochs) are outside (0, 1]. */
export function checkFidelity(fidelity: TrialFidelity): void {
  if (!(fidelity.share > 0 && fidelity.share <= 1)) {
    throw new InvalidInputError(`a trial's fidelity must be a share in (0, 1], got ${fidelity.share}`);
  }
  if (!(fidelity.epochShare > 0 && fidelity.epochShare <= 1)) {
    throw new InvalidInputError(
      `a trial's epoch fidelity must be a share in (0, 1], got ${fidelity.epochShare}`,
    );
  }
}
