import type { ModelParams } from '../models/rating-model.ts';
import type { Direction, TrialState } from './sampler.ts';

/**
 * What a run's trials say, as plain data: how many are in each state, the best objective so far,
 * and how much each parameter mattered. The review and the tuning report both read these.
 */

/** The part of a trial these computations read. */
export interface AnalysedTrial {
  readonly number: number;
  readonly state: TrialState;
  readonly value: number | null;
  readonly params: ModelParams;
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

/** How many trials are in each state. */
export function trialStates(trials: readonly AnalysedTrial[]): Record<TrialState, number> {
  const states = { running: 0, complete: 0, pruned: 0, failed: 0 };
  for (const t of trials) states[t.state] += 1;
  return states;
}

/** After each complete trial (number order): the best objective so far. */
export function bestSoFar(
  trials: readonly AnalysedTrial[],
  direction: Direction,
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

/** The parameters that took more than one value (only those can explain anything), in first-seen order. */
export function variedParams(trials: readonly AnalysedTrial[]): string[] {
  const names: string[] = [];
  for (const t of trials) for (const k of Object.keys(t.params)) if (!names.includes(k)) names.push(k);
  return names.filter((k) => new Set(trials.map((t) => String(t.params[k]))).size > 1);
}

/**
 * Parameter importance: ε² of the objective grouped by each varied parameter's value (numbers in
 * equal-count bins), scaled to sum to 1; most important first. Null with fewer than 3 complete
 * trials or nothing varied.
 */
export function paramImportance(trials: readonly AnalysedTrial[]): ParamImportance[] | null {
  const complete = trials.filter((t) => t.state === 'complete' && t.value !== null);
  const varied = variedParams(trials);
  if (complete.length < 3 || varied.length === 0) return null;
  const values = complete.map((t) => t.value ?? 0);
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
  const sum = raw.reduce((s, x) => s + x.epsilon2, 0);
  return raw
    .map((x) => ({ ...x, importance: sum > 0 ? x.epsilon2 / sum : 0 }))
    .sort((a, b) => b.epsilon2 - a.epsilon2 || b.eta2 - a.eta2 || a.param.localeCompare(b.param));
}
