import { InvalidInputError } from '../errors.ts';
import { modelDescription } from '../models/model-registry.ts';
import type { ModelParams } from '../models/rating-model.ts';
import type { ParamSpecs } from '../models/rating-model-base.ts';
import type { ParamSpec } from './search-space.ts';
import { isInSpace, type SearchSpace } from './search-space.ts';

/**
 * Hand-chosen search spaces for the models whose hyperparameters matter most, in priority order
 * (the grid varies the first four). Ranges follow Surprise's defaults and the usual literature:
 * factors and epochs on a log-ish int scale, learning rates and regularisation on a log scale.
 * Names that the registered model does not have are dropped (the registry is the truth).
 */
const curated: Readonly<Record<string, Readonly<Record<string, ParamSpec>>>> = {
  svd: {
    n_factors: { type: 'int', low: 10, high: 200, log: true },
    n_epochs: { type: 'int', low: 5, high: 60 },
    lr_all: { type: 'float', low: 0.001, high: 0.05, log: true },
    reg_all: { type: 'float', low: 0.005, high: 0.3, log: true },
  },
  svdpp: {
    n_factors: { type: 'int', low: 5, high: 100, log: true },
    n_epochs: { type: 'int', low: 5, high: 40 },
    lr_all: { type: 'float', low: 0.001, high: 0.03, log: true },
    reg_all: { type: 'float', low: 0.005, high: 0.3, log: true },
  },
  baseline: {
    n_epochs: { type: 'int', low: 2, high: 30 },
    reg_u: { type: 'float', low: 0.5, high: 50, log: true },
    reg_i: { type: 'float', low: 0.5, high: 50, log: true },
  },
  'knn-baseline': {
    k: { type: 'int', low: 5, high: 100, log: true },
    shrinkage: { type: 'float', low: 1, high: 300, log: true },
    min_k: { type: 'int', low: 1, high: 10 },
    reg_u: { type: 'float', low: 0.5, high: 50, log: true },
    reg_i: { type: 'float', low: 0.5, high: 50, log: true },
  },
};

/** A spec derived from the registry's bounds when no curated one exists. */
function fromRegistry(spec: ParamSpecs[string]): ParamSpec | null {
  if (spec.choices && spec.choices.length > 1) return { type: 'categorical', choices: spec.choices };
  if (typeof spec.default !== 'number') return null;
  const low = spec.min ?? spec.above ?? null;
  const high = spec.max ?? null;
  const d = spec.default;
  // Without both bounds, search a factor of ten either side of the default.
  const lo =
    low !== null && Number.isFinite(low) ? Math.max(low, d > 0 ? d / 10 : low) : d > 0 ? d / 10 : null;
  const hi =
    high !== null && Number.isFinite(high) ? Math.min(high, d > 0 ? d * 10 : high) : d > 0 ? d * 10 : null;
  if (lo === null || hi === null || !(hi > lo)) return null;
  const positive = lo > 0 || (spec.above !== undefined && lo >= spec.above && lo > 0);
  if (spec.integer)
    return {
      type: 'int',
      low: Math.ceil(lo),
      high: Math.floor(hi),
      ...(positive && hi / lo >= 10 ? { log: true } : {}),
    };
  const safeLow = spec.above !== undefined && lo <= spec.above ? spec.above + (hi - spec.above) * 1e-3 : lo;
  return {
    type: 'float',
    low: safeLow,
    high: hi,
    ...(safeLow > 0 && hi / safeLow >= 10 ? { log: true } : {}),
  };
}

/**
 * The default search space of a registered model: the curated one (restricted to parameters the
 * model has), or one derived from the registry's parameter bounds around each default.
 */
export function defaultSearchSpace(kind: string): SearchSpace {
  const description = modelDescription(kind);
  const specs = description.paramSpecs;
  const params: Record<string, ParamSpec> = {};
  const chosen = curated[kind];
  if (chosen) {
    for (const [name, spec] of Object.entries(chosen)) if (Object.hasOwn(specs, name)) params[name] = spec;
  }
  if (Object.keys(params).length === 0) {
    for (const [name, spec] of Object.entries(specs)) {
      if (spec.inherit !== undefined) continue;
      const derived = fromRegistry(spec);
      if (derived) params[name] = derived;
    }
  }
  if (Object.keys(params).length === 0) {
    throw new InvalidInputError(
      `model "${kind}" has no tunable parameters; give a search space with --space`,
    );
  }
  return { params };
}

/** The model's default configuration restricted to the space's parameters (the grid's centre). */
export function defaultCenter(kind: string): ModelParams {
  return modelDescription(kind).defaultParams;
}

/** The kinds with a curated space (the docs list them). */
export const curatedSpaceKinds: readonly string[] = Object.keys(curated);

/**
 * The model's default configuration in the space's terms (the space's parameters at their default
 * values, plus the fixed ones), or null when a default lies outside the space.
 */
export function defaultTrialParams(space: SearchSpace, kind: string): ModelParams | null {
  const defaults = defaultCenter(kind);
  const out: Record<string, number | string | boolean> = { ...(space.fixed ?? {}) };
  for (const [name, spec] of Object.entries(space.params)) {
    const v = defaults[name];
    if (v === undefined || !isInSpace(spec, v)) return null;
    out[name] = v;
  }
  return out;
}
