import { InvalidInputError } from '../../errors.ts';
import type { ModelParams } from '../../models/rating-model.ts';
import { type SampleContext, type Sampler, takenKeys } from '../sampler.ts';
import {
  decodeValue,
  encodeValue,
  isInSpace,
  type ParamSpec,
  type ParamValue,
  paramsKey,
  type SearchSpace,
} from '../search-space.ts';

/** How many values each varied parameter gets, and how many parameters vary (3⁴ = 81). */
export const GRID_VALUES_PER_PARAM = 3;
export const GRID_PARAMS = 4;

/**
 * Three values around `center`: one step below and above it on the parameter's own scale (a
 * factor on log ranges, a fixed offset on linear ones), moved inward at the edges of the range so
 * that the three stay distinct. Categoricals take the center and its neighbouring choices.
 */
export function valuesAround(
  spec: ParamSpec,
  center: ParamValue | undefined,
  count = GRID_VALUES_PER_PARAM,
): ParamValue[] {
  if (spec.type === 'categorical') {
    const n = spec.choices.length;
    if (n <= count) return [...spec.choices];
    const i = center === undefined ? 0 : Math.max(0, spec.choices.indexOf(center));
    const start = Math.min(Math.max(0, i - Math.floor(count / 2)), n - count);
    return spec.choices.slice(start, start + count);
  }
  // One step is a quarter of the range in encoded units: wide enough to matter, narrow enough to
  // stay "around" the centre. The centre itself is always a grid value; at an edge of the range
  // the other two go to the inside (a half step and a full step away).
  const step = 0.25;
  const c = center === undefined ? 0.5 : encodeValue(spec, center);
  let us: number[];
  if (c - step < 0 && c + step <= 1) us = c <= 1e-9 ? [c, c + step / 2, c + step] : [0, c, c + step];
  else if (c + step > 1 && c - step >= 0) us = c >= 1 - 1e-9 ? [c - step, c - step / 2, c] : [c - step, c, 1];
  else us = [c - step, c, c + step];
  const out: ParamValue[] = [];
  for (const u of us.slice(0, count)) {
    // The centre exactly as given (a decode of its encoding could differ in the last digit).
    const v = u === c && center !== undefined && isInSpace(spec, center) ? center : decodeValue(spec, u);
    if (!out.includes(v)) out.push(v);
  }
  // Narrow int ranges can collapse values; fill from the range so the grid keeps its size.
  if (spec.type === 'int') {
    for (let v = spec.low; out.length < count && v <= spec.high; v++) if (!out.includes(v)) out.push(v);
    out.sort((a, b) => Number(a) - Number(b));
  }
  return out;
}

/**
 * The grid's points: the product of the explicit `space.grid` values when given, else
 * `GRID_VALUES_PER_PARAM` values around `center` for each of the first `GRID_PARAMS` parameters
 * of the space (the others stay at the center, or the middle of their range).
 */
export function buildGrid(space: SearchSpace, center: ModelParams): ModelParams[] {
  const names = Object.keys(space.params);
  const axes: Array<[string, ParamValue[]]> = [];
  const base: Record<string, ParamValue> = { ...(space.fixed ?? {}) };
  if (space.grid && Object.keys(space.grid).length > 0) {
    for (const name of names) {
      const explicit = space.grid[name];
      if (explicit) axes.push([name, [...explicit]]);
      else base[name] = center[name] ?? decodeValue(space.params[name]!, 0.5);
    }
  } else {
    names.forEach((name, i) => {
      const spec = space.params[name]!;
      if (i < GRID_PARAMS) axes.push([name, valuesAround(spec, center[name])]);
      else base[name] = center[name] !== undefined && spec ? center[name]! : decodeValue(spec, 0.5);
    });
  }
  let points: Record<string, ParamValue>[] = [base];
  for (const [name, values] of axes) {
    const next: Record<string, ParamValue>[] = [];
    for (const p of points) for (const v of values) next.push({ ...p, [name]: v });
    points = next;
  }
  // The centre first: it is measured before anything else (and never pruned as the baseline).
  const centre: Record<string, ParamValue> = { ...base };
  for (const [name] of axes) if (center[name] !== undefined) centre[name] = center[name]!;
  const centreKey = paramsKey(centre);
  points.sort((a, b) => Number(paramsKey(b) === centreKey) - Number(paramsKey(a) === centreKey));
  const seen = new Set<string>();
  return points.filter((p) => {
    const key = paramsKey(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Walks a fixed list of configurations in order, skipping those already tried: a resumed or
 * parallel run therefore covers each point exactly once (the run itself retries a point whose
 * process died).
 */
export class GridSampler implements Sampler {
  readonly name = 'grid';
  readonly points: readonly ModelParams[];

  constructor(points: readonly ModelParams[]) {
    if (points.length === 0) throw new InvalidInputError('grid: the grid has no points');
    this.points = points;
  }

  sample(context: SampleContext): ModelParams | null {
    const taken = takenKeys(context.trials);
    return this.points.find((p) => !taken.has(paramsKey(p))) ?? null;
  }
}
