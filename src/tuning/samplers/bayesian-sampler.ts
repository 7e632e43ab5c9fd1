import type { ModelParams } from '../../models/rating-model.ts';
import { deriveSeed, Rng } from '../../random/rng.ts';
import { type SampleContext, type SampledTrial, type Sampler, takenKeys } from '../sampler.ts';
import {
  decodeParams,
  encodeParams,
  paramNames,
  paramsKey,
  type SearchSpace,
  sampleUniform,
} from '../search-space.ts';
import { expectedImprovement, fitGaussianProcess } from './gaussian-process.ts';

export interface BayesianSamplerOptions {
  /** Random trials before the GP takes over, used only when there is no prior history (default 5). */
  readonly startupTrials?: number;
  /** Random candidates scored by expected improvement per suggestion (default 1000). */
  readonly candidates?: number;
  /** Local-search steps from the best few candidates (default 40). */
  readonly localSteps?: number;
  /**
   * Rank candidates by expected improvement per second of trial time instead of expected
   * improvement (default false): a second process models the log of the run's complete trials'
   * durations, and a configuration expected to cost four times as long must promise four times
   * the improvement.
   */
  readonly costAware?: boolean;
}

/** Complete trials of this run with a duration needed before cost-aware ranking starts. */
const COST_MODEL_TRIALS = 3;

/**
 * Gaussian-process Bayesian optimisation with expected improvement.
 *
 * - History: this run's complete trials plus complete trials of earlier runs on the same model,
 *   data and objective ("using prior results"); with any history the GP starts at trial 0, without
 *   it the first `startupTrials` are random.
 * - Pending trials (running in other workers) enter the GP as if they had scored the worst value
 *   seen (a pessimistic constant liar): the posterior there drops, so parallel workers are not sent
 *   to the same spot, and no suggestion repeats a configuration already taken.
 * - Candidates are snapped to the space (ints rounded, categoricals chosen) before scoring, so the
 *   acquisition is maximised over configurations that can actually be run.
 */
export class BayesianSampler implements Sampler {
  readonly name = 'bayesian';
  private readonly startupTrials: number;
  private readonly candidates: number;
  private readonly localSteps: number;
  private readonly costAware: boolean;

  constructor(options: BayesianSamplerOptions = {}) {
    this.startupTrials = options.startupTrials ?? 5;
    this.candidates = options.candidates ?? 1000;
    this.localSteps = options.localSteps ?? 40;
    this.costAware = options.costAware ?? false;
  }

  /**
   * Proposes the next point. It is long because the steps share the fitted process and the scaled
   * history: start-up fallback, the GP fit with its pending points, candidate generation (random,
   * around the best, hill-climbs), snapping, and the expected-improvement ranking.
   */
  sample(context: SampleContext): ModelParams {
    const { space } = context;
    const rng = new Rng(deriveSeed(context.seed, `bayesian:${context.number}`));
    const sign = context.direction === 'maximize' ? 1 : -1;
    const own = context.trials.filter(
      (t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value),
    );
    const observed = [
      ...context.prior.map((p) => ({ params: p.params, value: p.value })),
      ...own.map((t) => ({ params: t.params, value: t.value! })),
    ];
    const taken = new Set<string>([
      ...takenKeys(context.trials),
      ...context.prior.map((p) => paramsKey(p.params)),
    ]);
    const random = () => {
      let params = sampleUniform(space, rng);
      for (let i = 0; i < 20 && taken.has(paramsKey(params)); i++) params = sampleUniform(space, rng);
      return params;
    };
    if (paramNames(space).length === 0) return { ...(space.fixed ?? {}) };
    if (observed.length < 2 || (context.prior.length === 0 && own.length < this.startupTrials))
      return random();

    const xs = observed.map((o) => encodeParams(space, o.params));
    const ys = observed.map((o) => sign * o.value);
    const best = Math.max(...ys);
    const worst = Math.min(...ys);
    for (const t of context.trials) {
      if (t.state === 'running') {
        xs.push(encodeParams(space, t.params));
        ys.push(worst);
      }
    }
    const gp = fitGaussianProcess(xs, ys);
    const spread = Math.max(1e-9, best - worst);
    const xi = 0.01 * spread;
    const snap = (x: readonly number[]) => {
      const params = decodeParams(space, x);
      return { params, x: encodeParams(space, params), key: paramsKey(params) };
    };
    const cost = this.costAware ? costModel(space, own) : null;
    const score = (x: readonly number[]) => {
      const { mean, std } = gp.predict(x);
      const ei = expectedImprovement(mean, std, best, xi);
      return cost ? ei / cost(x) : ei;
    };
    const dims = xs[0]!.length;
    type Candidate = { params: ModelParams; x: number[]; key: string; ei: number };
    const pool: Candidate[] = [];
    const add = (raw: readonly number[]) => {
      const s = snap(raw);
      if (taken.has(s.key)) return;
      pool.push({ ...s, ei: score(s.x) });
    };
    for (let i = 0; i < this.candidates; i++) add(Array.from({ length: dims }, () => rng.next()));
    // Around the best observations: EI's maximum is usually near them once the GP is confident.
    const ranked = observed.map((_, i) => i).sort((a, b) => ys[b]! - ys[a]!);
    for (const i of ranked.slice(0, 5)) {
      for (let k = 0; k < 40; k++) add(xs[i]!.map((v) => clamp01(v + rng.normal(0, 0.08))));
    }
    pool.sort((a, b) => b.ei - a.ei);
    // Local search: hill-climb from the three best candidates with a shrinking step.
    const seeds = pool.slice(0, 3);
    for (const start of seeds) {
      let current = start;
      let sd = 0.1;
      for (let step = 0; step < this.localSteps; step++) {
        const s = snap(current.x.map((v) => clamp01(v + rng.normal(0, sd))));
        if (!taken.has(s.key)) {
          const ei = score(s.x);
          if (ei > current.ei) {
            current = { ...s, ei };
            pool.push(current);
            continue;
          }
        }
        sd = Math.max(0.005, sd * 0.9);
      }
    }
    pool.sort((a, b) => b.ei - a.ei);
    return pool[0]?.params ?? random();
  }
}

/**
 * The expected duration of a configuration relative to the run's typical trial (1 for a trial
 * like the geometric mean of those seen): a Gaussian process on the log of the durations of the
 * run's complete trials, as "expected improvement per second" does (Snoek, Larochelle and Adams
 * 2012). Only this run's trials count: earlier runs' durations were taken on other data or
 * machines. Null until `COST_MODEL_TRIALS` durations are known (the search is then cost-blind).
 */
function costModel(
  space: SearchSpace,
  own: readonly SampledTrial[],
): ((x: readonly number[]) => number) | null {
  const timed = own.filter((t) => t.durationMs != null && t.durationMs > 0);
  if (timed.length < COST_MODEL_TRIALS) return null;
  const logs = timed.map((t) => Math.log(t.durationMs!));
  const center = logs.reduce((s, v) => s + v, 0) / logs.length;
  const gp = fitGaussianProcess(
    timed.map((t) => encodeParams(space, t.params)),
    logs.map((v) => v - center),
  );
  return (x) => Math.exp(gp.predict(x).mean);
}

function clamp01(v: number): number {
  return v < 0 ? 0 : Math.min(v, 1);
}
