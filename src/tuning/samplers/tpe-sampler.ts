import type { ModelParams } from '../../models/rating-model.ts';
import { deriveSeed, Rng } from '../../random/rng.ts';
import { type SampleContext, type Sampler, takenKeys } from '../sampler.ts';
import {
  decodeValue,
  encodeValue,
  type ParamSpec,
  type ParamValue,
  paramNames,
  paramsKey,
  sampleUniform,
} from '../search-space.ts';

export interface TpeSamplerOptions {
  /** Random trials before TPE takes over when there is no prior history (default 10). */
  readonly startupTrials?: number;
  /** Draws from the good-density per suggestion; the best l/g ratio wins (default 24). */
  readonly candidates?: number;
}

/**
 * Tree-structured Parzen estimator (Bergstra et al. 2011), univariate as in Optuna's default: the
 * finished trials are split into a good quarter and the rest; each gets a per-parameter density
 * (Gaussian kernels on the encoded [0,1] axis plus a flat prior component; smoothed counts for
 * categoricals); candidates drawn from the good density are ranked by l(x)/g(x). Pending trials
 * join the "rest" (a constant liar), steering parallel suggestions apart.
 */
export class TpeSampler implements Sampler {
  readonly name = 'tpe';
  private readonly startupTrials: number;
  private readonly candidates: number;

  constructor(options: TpeSamplerOptions = {}) {
    this.startupTrials = options.startupTrials ?? 10;
    this.candidates = options.candidates ?? 24;
  }

  sample(context: SampleContext): ModelParams {
    const { space } = context;
    const rng = new Rng(deriveSeed(context.seed, `tpe:${context.number}`));
    const sign = context.direction === 'maximize' ? 1 : -1;
    const own = context.trials.filter((t) => t.state === 'complete' && t.value !== null);
    const observed = [...context.prior, ...own.map((t) => ({ params: t.params, value: t.value! }))];
    const taken = new Set([...takenKeys(context.trials), ...context.prior.map((p) => paramsKey(p.params))]);
    const random = () => {
      let params = sampleUniform(space, rng);
      for (let i = 0; i < 20 && taken.has(paramsKey(params)); i++) params = sampleUniform(space, rng);
      return params;
    };
    if (
      observed.length < Math.min(this.startupTrials, 2) ||
      (context.prior.length === 0 && own.length < this.startupTrials)
    ) {
      return random();
    }
    const sorted = [...observed].sort((a, b) => sign * b.value - sign * a.value);
    const nGood = Math.max(1, Math.min(25, Math.ceil(0.25 * sorted.length)));
    const good = sorted.slice(0, nGood).map((o) => o.params);
    const bad = [
      ...sorted.slice(nGood).map((o) => o.params),
      ...context.trials.filter((t) => t.state === 'running').map((t) => t.params),
    ];

    let bestParams: ModelParams | null = null;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < this.candidates; c++) {
      const params: Record<string, ParamValue> = { ...(space.fixed ?? {}) };
      let score = 0;
      for (const name of paramNames(space)) {
        const spec = space.params[name]!;
        const value = drawFrom(
          spec,
          good.map((p) => p[name]),
          rng,
        );
        params[name] = value;
        score +=
          logDensity(
            spec,
            good.map((p) => p[name]),
            value,
          ) -
          logDensity(
            spec,
            bad.map((p) => p[name]),
            value,
          );
      }
      if (taken.has(paramsKey(params))) continue;
      if (score > bestScore) {
        bestScore = score;
        bestParams = params;
      }
    }
    return bestParams ?? random();
  }
}

function bandwidth(n: number): number {
  // Scott-like rule on the unit interval, floored so a few points still spread their mass.
  return Math.max(0.05, Math.min(0.5, n ** -0.2 * 0.25));
}

function drawFrom(spec: ParamSpec, values: ReadonlyArray<ParamValue | undefined>, rng: Rng): ParamValue {
  const known = values.filter((v): v is ParamValue => v !== undefined);
  if (spec.type === 'categorical') {
    const weights = spec.choices.map((c) => 1 + known.filter((v) => v === c).length);
    let r = rng.next() * weights.reduce((s, w) => s + w, 0);
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r <= 0) return spec.choices[i]!;
    }
    return spec.choices[spec.choices.length - 1]!;
  }
  // Mixture: one flat prior component plus one kernel per known value.
  const pick = rng.int(known.length + 1);
  if (pick === known.length) return decodeValue(spec, rng.next());
  const center = encodeValue(spec, known[pick]!);
  return decodeValue(spec, center + rng.normal(0, bandwidth(known.length)));
}

function logDensity(
  spec: ParamSpec,
  values: ReadonlyArray<ParamValue | undefined>,
  value: ParamValue,
): number {
  const known = values.filter((v): v is ParamValue => v !== undefined);
  if (spec.type === 'categorical') {
    const count = known.filter((v) => v === value).length;
    return Math.log((1 + count) / (spec.choices.length + known.length));
  }
  const x = encodeValue(spec, value);
  const h = bandwidth(known.length);
  let density = 1; // the flat prior on [0, 1]
  for (const v of known) {
    const z = (x - encodeValue(spec, v)) / h;
    density += Math.exp(-0.5 * z * z) / (h * Math.sqrt(2 * Math.PI));
  }
  return Math.log(density / (known.length + 1));
}
