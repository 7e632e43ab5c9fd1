import { InvalidInputError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import { readBestHpIfSound } from './best-hp.ts';
import { defaultCenter } from './default-spaces.ts';
import { type ObjectiveMetric, objectiveDirection } from './objective.ts';
import { buildGrid } from './samplers/grid-sampler.ts';
import { isInSpace, type SearchSpace } from './search-space.ts';
import type { TuningStorage } from './tuning-storage.ts';

/** A grid centre the caller gave: every value must fit the space; the first that does not is named. */
export function requireCenterInSpace(space: SearchSpace, center: ModelParams): ModelParams {
  for (const [name, spec] of Object.entries(space.params)) {
    const v = center[name];
    if (v !== undefined && !isInSpace(spec, v))
      throw new InvalidInputError(`grid centre ${name} = ${JSON.stringify(v)} lies outside the search space`);
  }
  return center;
}

/**
 * A derived grid centre (the model's defaults, an earlier best) without the values outside the
 * space, which then take the middle of their range: a default of 100 factors must not stop a grid
 * over 10–30.
 */
export function centerInSpace(space: SearchSpace, center: ModelParams): ModelParams {
  const out: Record<string, number | string | boolean> = { ...center };
  for (const [name, spec] of Object.entries(space.params)) {
    const v = center[name];
    if (v !== undefined && !isInSpace(spec, v)) delete out[name];
  }
  return out;
}

/** The grid's centre: best_hp.json for this model and data, else the best earlier trial, else the defaults. */
export async function gridCenter(
  storage: TuningStorage,
  at: {
    readonly model: string;
    readonly fingerprint: string;
    readonly objective: ObjectiveMetric;
    readonly bestOut: string | null;
    readonly location: string;
  },
): Promise<ModelParams> {
  const saved = at.bestOut === null ? undefined : readBestHpIfSound(at.bestOut);
  if (saved && saved.model === at.model && saved.dataFingerprint === at.fingerprint)
    return { ...defaultCenter(at.model), ...saved.params };
  const prior = await storage.priorTrials({
    model: at.model,
    dataFingerprint: at.fingerprint,
    objective: at.objective,
  });
  const direction = objectiveDirection(at.objective);
  let best: (typeof prior)[number] | null = null;
  for (const p of prior) {
    if (!best || (direction === 'maximize' ? p.value > best.value : p.value < best.value)) best = p;
  }
  return best ? { ...defaultCenter(at.model), ...best.params } : defaultCenter(at.model);
}

/**
 * The grid of a new grid run: the caller's centre (every value must fit the space), else the
 * derived one (best_hp.json, the best earlier trial, the defaults) without values outside it.
 */
export async function gridPointsFor(
  storage: TuningStorage,
  space: SearchSpace,
  given: ModelParams | undefined,
  at: Parameters<typeof gridCenter>[1],
): Promise<ModelParams[]> {
  const center = given
    ? requireCenterInSpace(space, given)
    : centerInSpace(space, await gridCenter(storage, at));
  return buildGrid(space, center);
}
