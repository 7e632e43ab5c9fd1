import type { Database } from '../db/database.ts';
import { NotFoundError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import { SqlTuningStorage } from '../tuning/sql-tuning-storage.ts';
import type { TuningRun } from '../tuning/tuning-storage.ts';

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

/** How much of the objective's spread one parameter accounts for. */
export interface ParamImportance {
  readonly param: string;
  /**
   * Correlation ratio η² of the objective grouped by the parameter's value (numeric values in
   * equal-count bins of about three trials or more, at most 5): the share of the objective's
   * variance between groups. Biased upwards with few trials per group (one trial per group gives 1
   * whatever the parameter does).
   */
  readonly eta2: number;
  /**
   * ε², η² corrected for the number of groups: (SS_between − (k − 1)·MS_within) / SS_total, at
   * least 0. A parameter that does nothing scores about 0 however few the trials.
   */
  readonly epsilon2: number;
  /** ε² scaled so the parameters sum to 1 (Optuna's importance plots read this way). */
  readonly importance: number;
  readonly kind: 'numeric' | 'categorical';
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

interface VarianceSplit {
  readonly total: number;
  readonly between: number;
  readonly groups: number;
  readonly n: number;
}

function varianceSplit(groups: readonly (string | number)[], values: readonly number[]): VarianceSplit {
  const n = values.length;
  const mean = n > 0 ? values.reduce((s, v) => s + v, 0) / n : 0;
  let total = 0;
  for (const v of values) total += (v - mean) ** 2;
  const byGroup = new Map<string | number, { sum: number; n: number }>();
  groups.forEach((g, i) => {
    const c = byGroup.get(g) ?? { sum: 0, n: 0 };
    c.sum += values[i]!;
    c.n += 1;
    byGroup.set(g, c);
  });
  let between = 0;
  for (const c of byGroup.values()) between += c.n * (c.sum / c.n - mean) ** 2;
  return { total, between, groups: byGroup.size, n };
}

/** Correlation ratio η² of `values` grouped by `groups` (same length). */
export function correlationRatio(groups: readonly (string | number)[], values: readonly number[]): number {
  const v = varianceSplit(groups, values);
  return v.total === 0 ? 0 : Math.min(1, v.between / v.total);
}

/** ε²: η² corrected for the number of groups (0 when no trial shares a group with another). */
export function adjustedCorrelationRatio(
  groups: readonly (string | number)[],
  values: readonly number[],
): number {
  const v = varianceSplit(groups, values);
  if (v.total === 0 || v.n - v.groups <= 0) return 0;
  const within = (v.total - v.between) / (v.n - v.groups);
  return Math.min(1, Math.max(0, (v.between - (v.groups - 1) * within) / v.total));
}

/** Numeric values → up to `bins` equal-count groups by rank (ties stay together). */
export function rankBins(values: readonly number[], bins = 5): number[] {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  if (distinct.length <= bins) return values.map((v) => distinct.indexOf(v));
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const out = new Array<number>(values.length).fill(0);
  let bin = 0;
  order.forEach((o, rank) => {
    const want = Math.floor((rank * bins) / values.length);
    // Only move to the next bin between different values.
    if (want > bin && rank > 0 && o.v !== order[rank - 1]!.v) bin = want;
    out[o.i] = bin;
  });
  return out;
}

/**
 * The tuning report: a run's optimisation history (every trial's objective), the best-so-far
 * curve, parameter importance and each parameter against the objective — Optuna's visualisations
 * as plain data.
 */
export async function tuningReport(db: Database, options: TuningReportOptions = {}): Promise<TuningReport> {
  const storage = new SqlTuningStorage(db);
  const { chosen, recent } = await chooseRun(storage, options.runId);
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
  for (const t of trials) states[t.state] += 1;
  const names: string[] = [];
  for (const t of trials) for (const k of Object.keys(t.params)) if (!names.includes(k)) names.push(k);
  // Only parameters that took more than one value can explain anything.
  const varied = names.filter((k) => new Set(trials.map((t) => String(t.params[k]))).size > 1);
  return {
    ...empty,
    run: runSummary(chosen),
    states,
    trials,
    bestSoFar: bestSoFarOf(trials, chosen.direction),
    importance: paramImportance(trials, varied),
    params: varied,
  };
}

/** The run asked for (NotFoundError naming recent runs when there is none), or the latest. */
async function chooseRun(storage: SqlTuningStorage, runId: string | undefined) {
  const recent = await storage.listRuns({ limit: 20 });
  const chosen = runId === undefined ? recent[0] : await storage.getRun(runId);
  if (runId !== undefined && !chosen) {
    const ids = recent
      .slice(0, 5)
      .map((r) => r.id)
      .join(', ');
    throw new NotFoundError(`tuning run ${JSON.stringify(runId)} does not exist (recent: ${ids || 'none'})`);
  }
  return { chosen, recent };
}

type ReportTrial = TuningReport['trials'][number];

/** The best objective so far after each complete trial, in trial order. */
function bestSoFarOf(
  trials: readonly ReportTrial[],
  direction: string,
): Array<{ number: number; value: number }> {
  const better = (a: number, b: number) => (direction === 'maximize' ? a > b : a < b);
  const out: Array<{ number: number; value: number }> = [];
  let best: number | undefined;
  for (const t of trials) {
    if (t.state !== 'complete' || t.value === null) continue;
    if (best === undefined || better(t.value, best)) best = t.value;
    out.push({ number: t.number, value: best });
  }
  return out;
}

/**
 * How much of the objective's spread each varied parameter explains (ε², normalised to sum 1),
 * from at least three complete trials; null with fewer or nothing varied.
 */
function paramImportance(
  trials: readonly ReportTrial[],
  varied: readonly string[],
): ParamImportance[] | null {
  const complete = trials.filter((t) => t.state === 'complete' && t.value !== null);
  if (complete.length < 3 || varied.length === 0) return null;
  const values = complete.map((t) => t.value!);
  // About three trials per bin at least: one trial per group would explain everything.
  const bins = Math.max(2, Math.min(5, Math.floor(complete.length / 3)));
  const raw = varied.map((param) => {
    const xs = complete.map((t) => t.params[param]);
    const numeric = xs.every((x) => typeof x === 'number');
    const groups = numeric ? rankBins(xs as number[], bins) : xs.map((x) => String(x));
    return {
      param,
      eta2: correlationRatio(groups, values),
      epsilon2: adjustedCorrelationRatio(groups, values),
      kind: numeric ? ('numeric' as const) : ('categorical' as const),
    };
  });
  const sum = raw.reduce((s, r) => s + r.epsilon2, 0);
  return raw
    .map((r) => ({ ...r, importance: sum > 0 ? r.epsilon2 / sum : 0 }))
    .sort((a, b) => b.epsilon2 - a.epsilon2 || b.eta2 - a.eta2 || a.param.localeCompare(b.param));
}

/** The run's facts the report shows, with the default configuration's objective value. */
function runSummary(chosen: TuningRun): NonNullable<TuningReport['run']> {
  const defaultMetrics = chosen.config.baseline?.metrics as Record<string, unknown> | undefined;
  const defaultValue =
    defaultMetrics && typeof defaultMetrics[chosen.objective] === 'number'
      ? (defaultMetrics[chosen.objective] as number)
      : null;
  return {
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
  };
}
