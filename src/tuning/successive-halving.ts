import { loadMovies } from '../data/load-movies.ts';
import { loadRatingsData } from '../data/load-ratings.ts';
import { type MovieInfo, type RatingsData, subsetRatings } from '../data/ratings-data.ts';
import type { Database } from '../db/database.ts';
import { InvalidInputError } from '../errors.ts';
import type { ModelParams } from '../models/rating-model.ts';
import type { ModelVersion } from '../registry/model-versions.ts';
import { isBetter } from './objective.ts';
import { type RunTuningOptions, runTuning, type TuningResult } from './run-tuning.ts';
import type { Direction, Sampler } from './sampler.ts';
import { paramsKey } from './search-space.ts';
import { type FidelityRung, runFidelity, type Trial, type TrialFidelity } from './tuning-storage.ts';
import { refitBestTrial } from './workflow.ts';

/** The `tune --fidelity` choices: every trial on all ratings, or successive halving over shares. */
export const fidelityModes = ['full', 'halving'] as const;
export type FidelityMode = (typeof fidelityModes)[number];

/** The fidelity mode named by `--fidelity`, or a clear refusal. */
export function requireFidelityMode(mode: string): FidelityMode {
  const found = fidelityModes.find((m) => m === mode);
  if (!found)
    throw new InvalidInputError(
      `--fidelity must be one of ${fidelityModes.join(', ')}, got ${JSON.stringify(mode)}`,
    );
  return found;
}

export interface SuccessiveHalvingOptions
  extends Omit<RunTuningOptions, 'resume' | 'fidelity' | 'sampler' | 'warmStartFrom'> {
  /** Each rung keeps the best 1/eta of the configurations of the rung before (default 3). */
  readonly eta?: number;
  /**
   * Share of the ratings the first rung runs on, a power of 1/eta. Default 1/eta (rungs 1/3, 1):
   * at 250,000 ratings, 20 trials starting on 1/9 chose configurations 2.3 accuracy points worse
   * than a full-data run (small shares favour small models), starting on 1/3 within 0.1 point.
   */
  readonly minShare?: number;
  /**
   * Share of each configuration's epochs (`n_epochs`) the first rung fits, a power of 1/eta.
   * Default 1: every rung fits every epoch (see docs/tuning.md for why that is the default).
   */
  readonly minEpochShare?: number;
  /** Refit the best on all ratings and register it as a model version (default true). */
  readonly register?: boolean;
  /** Make the refitted version champion at once (default false). */
  readonly activate?: boolean;
  readonly onRung?: (rung: FidelityRung, configurations: number) => void;
}

export interface SuccessiveHalvingResult {
  /** One tuning run per rung, smallest share first. */
  readonly rungs: readonly TuningResult[];
  /** The best trial of the last (full-data) rung. */
  readonly best: { readonly runId: string; readonly trial: Trial } | null;
  readonly version: ModelVersion | null;
  readonly refitSeconds: number | null;
}

/**
 * How many times `min` must be multiplied by eta to reach 1; `min` must be a power of 1/eta. A
 * decimal within 2 % of one (0.11 or 0.1111 for 1/9, 0.33 for 1/3) is taken as that power: a
 * third cannot be typed exactly.
 */
function stepsToOne(eta: number, min: number, what: string): number {
  if (!(min > 0 && min <= 1)) throw new InvalidInputError(`${what} must be in (0, 1], got ${min}`);
  const steps = Math.round(Math.log(1 / min) / Math.log(eta));
  if (Math.abs(eta ** -steps - min) > 0.02 * eta ** -steps) {
    throw new InvalidInputError(`${what} must be a power of 1/eta (1/${eta}, 1/${eta ** 2}, …), got ${min}`);
  }
  return steps;
}

/**
 * The rungs' fidelities: the share of the ratings grows from `minShare` and the share of the
 * epochs from `minEpochShare`, each by eta per rung until it reaches 1; the last rung is full on
 * both. `rungFidelities(3, 1/3, 1/3)`: 1/3 of the ratings at 1/3 of the epochs, then all at all.
 */
export function rungFidelities(eta: number, minShare: number, minEpochShare = 1): TrialFidelity[] {
  if (!(Number.isInteger(eta) && eta >= 2))
    throw new InvalidInputError(`eta must be a whole number ≥ 2, got ${eta}`);
  const dataSteps = stepsToOne(eta, minShare, 'min share');
  const epochSteps = stepsToOne(eta, minEpochShare, 'min epoch share');
  const rungs = Math.max(dataSteps, epochSteps) + 1;
  return Array.from({ length: rungs }, (_, k) => ({
    share: k >= dataSteps ? 1 : eta ** (k - dataSteps),
    epochShare: k >= epochSteps ? 1 : eta ** (k - epochSteps),
  }));
}

/** A uniform number in [0, 1) for row `i` under `seed` (a 32-bit integer mix). */
function rowUniform(i: number, seed: number): number {
  let h = (i + Math.imul(seed | 0, 0x9e3779b1)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/**
 * A seeded share of the ratings, row by row. Shares are nested under one seed (the rows of 1/9
 * are among those of 1/3), so a promoted configuration sees more of the same data.
 */
export function shareOfRatings(data: RatingsData, share: number, seed: number): RatingsData {
  if (share >= 1) return data;
  const picked = new Int32Array(data.size);
  let n = 0;
  for (let i = 0; i < data.size; i++) if (rowUniform(i, seed) < share) picked[n++] = i;
  return subsetRatings(data, picked.subarray(0, n));
}

/** The best `count` complete trials, best first (ties broken by the lower RMSE). */
export function bestTrials(trials: readonly Trial[], direction: Direction, count: number): Trial[] {
  const complete = trials.filter((t) => t.state === 'complete' && t.value !== null);
  const score = (t: Trial) => ({ value: t.value!, rmse: t.metrics?.rmse ?? null });
  complete.sort((a, b) =>
    isBetter(score(a), score(b), direction) ? -1 : isBetter(score(b), score(a), direction) ? 1 : 0,
  );
  return complete.slice(0, count);
}

/**
 * The promoted trials, the ones that took longest at the last rung first: the next rung's
 * workers then start the slow configurations at once and fill in with the quick ones, instead of
 * one worker finishing a slow trial alone at the end (longest processing time first). At 25 M
 * ratings one promoted configuration of 122 factors took twice as long as any of the six others,
 * and ran last. Which configurations run, and so the result, do not change.
 */
export function longestFirst(trials: readonly Trial[]): Trial[] {
  return [...trials].sort((a, b) => (b.durationMs ?? 0) - (a.durationMs ?? 0));
}

/** Proposes the given configurations in order, then nothing: a promoted rung measures exactly those. */
export function listedSampler(configurations: readonly ModelParams[]): Sampler {
  return {
    name: 'promoted',
    sample: ({ trials }) => {
      const taken = new Set(trials.map((t) => paramsKey(t.params)));
      return configurations.find((c) => !taken.has(paramsKey(c))) ?? null;
    },
  };
}

/**
 * Multi-fidelity tuning by successive halving (as Optuna's SuccessiveHalvingPruner and Ray Tune's
 * ASHA do it, with rungs run one after another): the sampler's `trials` configurations are
 * cross-validated on a seeded share `minShare` of the ratings, each fitting a share
 * `minEpochShare` of its epochs (without the median pruner: promotion ranks complete trials); the
 * best ⌈1/eta⌉ of them again on eta times more of each, and so on up to all the ratings and all
 * the epochs. Each rung is a tuning run whose config and trials record both shares. The best of
 * the last rung is refitted on every rating and registered. At eta 3 and 20 trials with the
 * defaults (1/3 of the ratings at every epoch, then all of them) that is 20 + 7 trials costing
 * about 20/3 + 7 ≈ 13.7 full-data trials instead of 20 (20/9 + 7 ≈ 9.2 with a third of the epochs
 * too, which chose worse: docs/tuning.md).
 */
export async function runSuccessiveHalving(
  db: Database,
  options: SuccessiveHalvingOptions = {},
): Promise<SuccessiveHalvingResult> {
  const eta = options.eta ?? 3;
  const fidelities = rungFidelities(eta, options.minShare ?? 1 / eta, options.minEpochShare ?? 1);
  const data = options.data ?? (await loadRatingsData(db));
  const movies: ReadonlyMap<number, MovieInfo> | undefined =
    options.movies ?? (options.data ? undefined : await loadMovies(db));
  const seed = options.seed ?? 0;
  const rungs: TuningResult[] = [];
  let promoted: readonly ModelParams[] | null = null;
  for (const [rung, { share, epochShare }] of fidelities.entries()) {
    const fidelity: FidelityRung = {
      share,
      epochShare,
      rung,
      rungs: fidelities.length,
      eta,
      promotedFrom: rungs[rung - 1]?.run.id ?? null,
    };
    options.onRung?.(fidelity, promoted?.length ?? options.trials ?? 20);
    const result = await runRung(db, options, {
      data: shareOfRatings(data, share, seed),
      movies,
      seed,
      fidelity,
      promoted,
    });
    rungs.push(result);
    const keep = Math.ceil(result.trials.filter((t) => t.state === 'complete').length / eta);
    promoted = longestFirst(bestTrials(result.trials, result.run.direction, keep)).map((t) => t.params);
    if (promoted.length === 0) break;
  }
  const last = rungs[rungs.length - 1]!;
  const lastFidelity = runFidelity(last.run.config);
  const full = lastFidelity.share === 1 && lastFidelity.epochShare === 1;
  const best = full && last.best ? { runId: last.run.id, trial: last.best } : null;
  if (!best || !(options.register ?? true)) return { rungs, best, version: null, refitSeconds: null };
  const refit = await refitBestTrial(db, {
    kind: last.run.model,
    best,
    data,
    movies,
    seed,
    activate: options.activate ?? false,
  });
  return { rungs, best, version: refit.version, refitSeconds: refit.fitSeconds };
}

/** One rung as a tuning run: the sampler's picks on the first, the promoted configurations after. */
function runRung(
  db: Database,
  options: SuccessiveHalvingOptions,
  rung: {
    readonly data: RatingsData;
    readonly movies: ReadonlyMap<number, MovieInfo> | undefined;
    readonly seed: number;
    readonly fidelity: FidelityRung;
    readonly promoted: readonly ModelParams[] | null;
  },
): Promise<TuningResult> {
  const {
    register: _r,
    activate: _a,
    onRung: _o,
    eta: _e,
    minShare: _m,
    minEpochShare: _me,
    ...common
  } = options;
  const last = rung.fidelity.rung === rung.fidelity.rungs - 1;
  return runTuning(db, {
    ...common,
    data: rung.data,
    ...(rung.movies ? { movies: rung.movies } : {}),
    seed: rung.seed,
    fidelity: rung.fidelity,
    // Promotion ranks complete trials: the median pruner would leave fewer of them to rank, and
    // (at 250,000 ratings) cut the first rung's 20 trials to about 10.
    prune: false,
    // Only the full-data rung's best is a best_hp.json candidate.
    ...(last ? {} : { bestOut: null }),
    ...(rung.promoted
      ? {
          sampler: listedSampler(rung.promoted),
          trials: rung.promoted.length,
          evaluateDefault: false,
          warmStart: false,
        }
      : {}),
  });
}
