import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InvalidInputError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import type { Rng } from '../random/rng.ts';

/** One value a hyperparameter may take. */
export type ParamValue = number | string | boolean;

/**
 * How one hyperparameter may vary. `log` spaces are searched on the logarithm (learning rates,
 * regularisation), so that 0.001–0.01 gets as much attention as 0.01–0.1.
 */
export type ParamSpec =
  | { readonly type: 'float'; readonly low: number; readonly high: number; readonly log?: boolean }
  | { readonly type: 'int'; readonly low: number; readonly high: number; readonly log?: boolean }
  | { readonly type: 'categorical'; readonly choices: readonly ParamValue[] };

/**
 * What a tuning run searches: the varying parameters (in priority order: the grid sampler varies
 * the first four), parameters held fixed, and optionally an explicit grid.
 */
export interface SearchSpace {
  readonly params: Readonly<Record<string, ParamSpec>>;
  readonly fixed?: ModelParams;
  /** Explicit grid values per parameter; the grid sampler then enumerates their product. */
  readonly grid?: Readonly<Record<string, readonly ParamValue[]>>;
}

export function paramNames(space: SearchSpace): string[] {
  return Object.keys(space.params);
}

/** Maps a value into [0, 1] (log-scaled where declared; categoricals by choice index). */
export function encodeValue(spec: ParamSpec, value: ParamValue): number {
  if (spec.type === 'categorical') {
    const i = spec.choices.indexOf(value);
    return spec.choices.length <= 1 ? 0.5 : Math.max(0, i) / (spec.choices.length - 1);
  }
  const v = Number(value);
  if (spec.high === spec.low) return 0.5;
  const u = spec.log
    ? (Math.log(v) - Math.log(spec.low)) / (Math.log(spec.high) - Math.log(spec.low))
    : (v - spec.low) / (spec.high - spec.low);
  return Math.min(1, Math.max(0, u));
}

/** The inverse of `encodeValue`: ints are rounded, categoricals snap to the nearest choice. */
export function decodeValue(spec: ParamSpec, u: number): ParamValue {
  const t = Math.min(1, Math.max(0, u));
  if (spec.type === 'categorical') {
    const i = Math.round(t * (spec.choices.length - 1));
    return spec.choices[Math.min(spec.choices.length - 1, Math.max(0, i))]!;
  }
  const raw = spec.log
    ? Math.exp(Math.log(spec.low) + t * (Math.log(spec.high) - Math.log(spec.low)))
    : spec.low + t * (spec.high - spec.low);
  if (spec.type === 'int') return Math.min(spec.high, Math.max(spec.low, Math.round(raw)));
  // Six significant digits: keeps stored params readable and makes equal suggestions compare equal.
  return Math.min(spec.high, Math.max(spec.low, Number(raw.toPrecision(6))));
}

export function encodeParams(space: SearchSpace, params: ModelParams): number[] {
  return paramNames(space).map((name) => {
    const value = params[name];
    return value === undefined ? 0.5 : encodeValue(space.params[name]!, value);
  });
}

/** Full model params (fixed ones included) from a point of the unit cube. */
export function decodeParams(space: SearchSpace, point: readonly number[]): ModelParams {
  const out: Record<string, ParamValue> = { ...(space.fixed ?? {}) };
  paramNames(space).forEach((name, i) => {
    out[name] = decodeValue(space.params[name]!, point[i] ?? 0.5);
  });
  return out;
}

/** A uniformly random configuration (uniform on the log where declared). */
export function sampleUniform(space: SearchSpace, rng: Rng): ModelParams {
  return decodeParams(
    space,
    paramNames(space).map(() => rng.next()),
  );
}

/** A stable key for a configuration: equal params ⇔ equal keys (key order does not matter). */
export function paramsKey(params: ModelParams): string {
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
}

/** Is `value` inside `spec`? */
export function isInSpace(spec: ParamSpec, value: ParamValue): boolean {
  if (spec.type === 'categorical') return spec.choices.includes(value);
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (spec.type === 'int' && !Number.isInteger(value)) return false;
  return value >= spec.low - 1e-12 && value <= spec.high + 1e-12;
}

const paramValueSchema = z.union([z.number(), z.string(), z.boolean()]);

const paramSpecSchema = z
  .discriminatedUnion('type', [
    z
      .object({ type: z.literal('float'), low: z.number(), high: z.number(), log: z.boolean().optional() })
      .strict(),
    z
      .object({
        type: z.literal('int'),
        low: z.number().int(),
        high: z.number().int(),
        log: z.boolean().optional(),
      })
      .strict(),
    z.object({ type: z.literal('categorical'), choices: z.array(paramValueSchema).min(1) }).strict(),
  ])
  .superRefine((spec, ctx) => {
    if (spec.type === 'categorical') return;
    if (!(spec.low <= spec.high))
      ctx.addIssue({ code: 'custom', path: ['high'], message: 'high must be ≥ low' });
    if (spec.log && spec.low <= 0) {
      ctx.addIssue({ code: 'custom', path: ['low'], message: 'a log-scaled range must have low > 0' });
    }
  });

/** The JSON a user writes for `--space file.json`. */
export const searchSpaceSchema = z
  .object({
    /** Optional: the model the space is for; checked against `--model` when present. */
    model: z.string().optional(),
    params: z.record(z.string(), paramSpecSchema),
    fixed: z.record(z.string(), paramValueSchema).optional(),
    grid: z.record(z.string(), z.array(paramValueSchema).min(1)).optional(),
  })
  .strict()
  .superRefine((space, ctx) => {
    if (Object.keys(space.params).length === 0 && !space.grid) {
      ctx.addIssue({ code: 'custom', path: ['params'], message: 'at least one parameter to search' });
    }
    for (const name of Object.keys(space.grid ?? {})) {
      const spec = space.params[name];
      if (!spec) continue;
      for (const [i, v] of (space.grid?.[name] ?? []).entries()) {
        if (!isInSpace(spec, v)) {
          ctx.addIssue({
            code: 'custom',
            path: ['grid', name, i],
            message: `${JSON.stringify(v)} is outside params.${name}`,
          });
        }
      }
    }
  });

/** Validates a parsed space, naming the field at fault. `source` names where it came from. */
export function parseSearchSpace(
  input: unknown,
  source = 'search space',
): SearchSpace & { readonly model?: string } {
  const parsed = searchSpaceSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new InvalidInputError(`${source}: ${path}: ${issue?.message ?? 'invalid'}`);
  }
  const { model, ...space } = parsed.data;
  return { ...(model !== undefined ? { model } : {}), ...normalizeSpace(space) };
}

/**
 * A parameter that appears only in the explicit grid is searched as a categorical of its grid
 * values, so every sampler (and the default configuration) sees it.
 */
export function normalizeSpace(space: SearchSpace): SearchSpace {
  const params: Record<string, ParamSpec> = { ...space.params };
  for (const [name, values] of Object.entries(space.grid ?? {})) {
    if (!params[name]) params[name] = { type: 'categorical', choices: values };
  }
  return {
    params,
    ...(space.fixed ? { fixed: space.fixed } : {}),
    ...(space.grid ? { grid: space.grid } : {}),
  };
}

/** Reads and validates a search-space JSON file. */
export function readSearchSpace(path: string): SearchSpace & { readonly model?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`search space file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`search space file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseSearchSpace(json, `search space file ${path}`);
}
