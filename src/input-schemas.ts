import { z } from 'zod';
import { InvalidInputError } from './errors.ts';

/*
 * Input schemas shared by the HTTP layer and the command line, so a rule and its message are
 * written once. The schemas take JSON values (a request body); the command line turns a flag's
 * text into a number with `numberFromText` first, so "1.5", "" and "ten" meet the same rule.
 */

/** A flag's text as a number: blank text is NaN (refused as "must be a number"), not 0. */
export function numberFromText(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

export interface NumberBounds {
  /** Inclusive lower bound. */
  readonly min?: number;
  /** Inclusive upper bound. */
  readonly max?: number;
  /** Exclusive lower bound (a share or a rate must be > 0). */
  readonly above?: number;
  /** Exclusive upper bound. */
  readonly below?: number;
}

function withinBounds(value: number, bounds: NumberBounds): boolean {
  return (
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.max === undefined || value <= bounds.max) &&
    (bounds.above === undefined || value > bounds.above) &&
    (bounds.below === undefined || value < bounds.below)
  );
}

/** " ≥ 1 and ≤ 2": the bounds in words, for messages. */
function boundsText(bounds: NumberBounds): string {
  const parts = [
    bounds.min !== undefined ? `≥ ${bounds.min}` : '',
    bounds.above !== undefined ? `> ${bounds.above}` : '',
    bounds.max !== undefined ? `≤ ${bounds.max}` : '',
    bounds.below !== undefined ? `< ${bounds.below}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? ` ${parts.join(' and ')}` : '';
}

/** Every failure of one rule gives the same message: the whole rule ("must be a whole number ≥ 1"). */
function bounded(noun: string, bounds: NumberBounds, integer: boolean): z.ZodNumber {
  const error = `must be ${noun}${boundsText(bounds)}`;
  let s = z.number({ error }).finite(error);
  if (integer) s = s.int(error);
  if (bounds.min !== undefined) s = s.min(bounds.min, error);
  if (bounds.max !== undefined) s = s.max(bounds.max, error);
  if (bounds.above !== undefined) s = s.gt(bounds.above, error);
  if (bounds.below !== undefined) s = s.lt(bounds.below, error);
  return s;
}

/** A finite number within the bounds. */
export function numberInput(bounds: NumberBounds = {}): z.ZodNumber {
  return bounded('a number', bounds, false);
}

/** A whole number within the bounds ("1.5", "", "ten" are refused). */
export function wholeNumberInput(bounds: NumberBounds = {}): z.ZodNumber {
  return bounded('a whole number', bounds, true);
}

/** An id of a stored record (a user, a movie, a version, an A/B test): a whole number ≥ 1. */
export const idInput = z
  .number({ error: 'must be a whole number' })
  .int('must be a whole number')
  .positive('must be positive');

/** One of a fixed list of names. */
export function choiceInput<const T extends readonly [string, ...string[]]>(choices: T) {
  return z.enum(choices, { error: `must be one of ${choices.join(', ')}` });
}

/** The settings of a new A/B test that both `POST /api/admin/ab-tests` and `ab start` take. */
export const abTestSettingsInput = {
  method: choiceInput(['ab', 'interleave'] as const).describe(
    "'ab' splits users between the arms (default); 'interleave' serves everyone team-draft lists",
  ),
  traffic: numberInput({ above: 0, below: 1 }).describe('share of users sent to the challenger; default 0.5'),
  minSamples: wholeNumberInput({ min: 1, max: 1_000_000 }).describe(
    'rated recommendations per arm before any decision',
  ),
  maxDays: numberInput({ above: 0, max: 365 }).describe(
    'discard the challenger after this many days without a winner',
  ),
} as const;

/**
 * Checks a whole-number argument of a library function against the same rule a flag or a request
 * meets; a bad one is an InvalidInputError: "k must be a whole number ≥ 1, got 0".
 */
export function requireWholeNumber(name: string, value: number, bounds: NumberBounds = {}): number {
  // Library functions run this per call (a ranking metric per user); building the schema costs
  // microseconds, so a value that plainly meets the rule is passed without it (8 s of an
  // evaluation at 10 M ratings). Only a refusal needs the schema's message.
  if (Number.isInteger(value) && withinBounds(value, bounds)) return value;
  const result = wholeNumberInput(bounds).safeParse(value);
  if (!result.success) {
    throw new InvalidInputError(`${name} ${result.error.issues[0]?.message ?? 'is not valid'}, got ${value}`);
  }
  return result.data;
}
