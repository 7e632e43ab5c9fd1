import type { Database } from '../db/database.ts';
import { NotFoundError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import {
  adjustedCorrelationRatio,
  bestSoFar,
  correlationRatio,
  type ParamImportance,
  paramImportance,
  rankBins,
  trialStates,
  variedParams,
} from '../tuning/run-analysis.ts';
import { SqlTuningStorage } from '../tuning/sql-tuning-storage.ts';
import type { TuningRun } from '../tuning/tuning-storage.ts';

// The computations live with the tuning module; the report draws them.
export { adjustedCorrelationRatio, correlationRatio, type ParamImportance, rankBins };

export interface TuningReportOptions {
  /** A run id (`tune` prints it); default the most recent run. */
  readonly runId?: string;
  readonly now?: number;
}

export interface TuningTrialPoint {
  readonly number: number;
  readonly state: 'running' | 'complete' | 'pruned' | 'failed';
  /** The objective (complete) or last intermediate value (pruned). */
  readonly value: number | null;
  readonly params: ModelParams;
  readonly durationMs: number | null;
  /** The objective measured after each epoch (what the pruner saw). */
  readonly intermediateValues: ReadonlyArray<{ readonly step: number; readonly value: number }>;
}

export interface TuningReport {
  readonly report: 'tuning';
  readonly generatedAt: number;
  /** Null when no tuning run exists yet. */
  readonly run:
    | (Pick<
        TuningRun,
        | 'id'
        | 'method'
        | 'model'
        | 'objective'
        | 'direction'
        | 'status'
        | 'trialsPlanned'
        | 'trialsDone'
        | 'bestValue'
        | 'bestTrialNumber'
        | 'bestParams'
        | 'startedAt'
        | 'endedAt'
      > & {
        /** The default configuration's value on the same folds, when the run measured it. */
        readonly defaultValue: number | null;
      })
    | null;
  readonly otherRuns: ReadonlyArray<
    Pick<TuningRun, 'id' | 'method' | 'model' | 'status' | 'bestValue' | 'startedAt'>
  >;
  readonly states: Readonly<Record<'running' | 'complete' | 'pruned' | 'failed', number>>;
  /** Every trial in number order: the optimisation history. */
  readonly trials: readonly TuningTrialPoint[];
  /** After each complete trial (number order): the best objective so far. */
  readonly bestSoFar: ReadonlyArray<{ readonly number: number; readonly value: number }>;
  /** Null with fewer than 3 complete trials (nothing to separate). Most important first. */
  readonly importance: readonly ParamImportance[] | null;
  /** The parameters that varied, in the order of the search space as first seen. */
  readonly params: readonly string[];
}

/**
 * The tuning report: a run's optimisation history (every trial's objective), the best-so-far
 * curve, parameter importance and each parameter against the objective — Optuna's visualisations
 * as plain data.
 * It is long because it copies a stored run into the report's plain shape field by field; the analysis itself is in tuning/run-analysis.ts.
 */
export async function tuningReport(db: Database, options: TuningReportOptions = {}): Promise<TuningReport> {
  const storage = new SqlTuningStorage(db);
  const recent = await storage.listRuns({ limit: 20 });
  const chosen = options.runId === undefined ? recent[0] : await storage.getRun(options.runId);
  if (options.runId !== undefined && !chosen) {
    throw new NotFoundError(
      `tuning run ${JSON.stringify(options.runId)} does not exist (recent: ${
        recent
          .slice(0, 5)
          .map((r) => r.id)
          .join(', ') || 'none'
      })`,
    );
  }
  const otherRuns = recent
    .filter((r) => r.id !== chosen?.id)
    .map((r) => ({
      id: r.id,
      method: r.method,
      model: r.model,
      status: r.status,
      bestValue: r.bestValue,
      startedAt: r.startedAt,
    }));
  const states = { running: 0, complete: 0, pruned: 0, failed: 0 };
  const empty: TuningReport = {
    report: 'tuning',
    generatedAt: options.now ?? Date.now(),
    run: null,
    otherRuns,
    states,
    trials: [],
    bestSoFar: [],
    importance: null,
    params: [],
  };
  if (!chosen) return empty;

  const trials = (await storage.listTrials(chosen.id)).map((t) => ({
    number: t.number,
    state: t.state,
    value: t.value,
    params: t.params,
    durationMs: t.durationMs,
    intermediateValues: t.intermediateValues,
  }));
  const defaultMetrics = chosen.config.baseline?.metrics as Record<string, unknown> | undefined;
  const defaultValue =
    defaultMetrics && typeof defaultMetrics[chosen.objective] === 'number'
      ? (defaultMetrics[chosen.objective] as number)
      : null;
  return {
    ...empty,
    run: {
      id: chosen.id,
      method: chosen.method,
      model: chosen.model,
      objective: chosen.objective,
      direction: chosen.direction,
      status: chosen.status,
      trialsPlanned: chosen.trialsPlanned,
      trialsDone: chosen.trialsDone,
      bestValue: chosen.bestValue,
      bestTrialNumber: chosen.bestTrialNumber,
      bestParams: chosen.bestParams,
      startedAt: chosen.startedAt,
      endedAt: chosen.endedAt,
      defaultValue,
    },
    states: trialStates(trials),
    trials,
    bestSoFar: bestSoFar(trials, chosen.direction),
    importance: paramImportance(trials),
    params: variedParams(trials),
  };
}
