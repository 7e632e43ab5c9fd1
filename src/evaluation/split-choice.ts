// Which train/test splits an evaluation runs: k folds, one named split, or splits given by the caller.
import type { RatingsData } from '../data/ratings-data.ts';
import {
  type DataSplit,
  kFoldSplitter,
  perUserHoldoutSplit,
  randomHoldoutSplit,
  temporalSplit,
} from '../data/splits.ts';
import { InvalidInputError } from '../errors.ts';

/** The named single splits `evaluate --split` offers; k-fold is chosen with `folds`. */
export type SplitKind = 'holdout' | 'user' | 'temporal';
export const splitKinds: readonly SplitKind[] = ['holdout', 'user', 'temporal'];

/** The splits `options` ask for, and their label. */
export function splitsFor(
  data: RatingsData,
  options: { folds?: number; split?: SplitKind | readonly DataSplit[]; seed?: number },
): { label: string; splits: readonly DataSplit[] } {
  const { label, count, split } = lazySplitsFor(data, options);
  return { label, splits: Array.from({ length: count }, (_, f) => split(f)) };
}

/** The result's `split` label for `options`, without making the splits. */
export function splitLabel(options: { folds?: number; split?: SplitKind | readonly DataSplit[] }): string {
  const split = options.split;
  if (split === undefined) return `${options.folds ?? 5}-fold`;
  return typeof split === 'string' ? split : 'custom';
}

/** As `splitsFor`, each split made when asked for (k-fold keeps only its shuffled order). */
export function lazySplitsFor(
  data: RatingsData,
  options: { folds?: number; split?: SplitKind | readonly DataSplit[]; seed?: number },
): { label: string; count: number; split: (fold: number) => DataSplit } {
  const seed = options.seed ?? 0;
  const split = options.split;
  if (split === undefined) {
    const folds = options.folds ?? 5;
    const splitter = kFoldSplitter(data, { folds, seed });
    return { label: `${folds}-fold`, count: folds, split: (f) => splitter.split(f) };
  }
  if (typeof split !== 'string') {
    if (split.length === 0) throw new InvalidInputError('split must hold at least one train/test split');
    return { label: 'custom', count: split.length, split: (f) => split[f]! };
  }
  const one = (s: DataSplit) => ({ label: split, count: 1, split: () => s });
  switch (split) {
    case 'holdout':
      return one(randomHoldoutSplit(data, { testFraction: 0.2, seed }));
    case 'user':
      return one(perUserHoldoutSplit(data, { perUser: 5, minTrain: 5, seed }));
    case 'temporal':
      return one(temporalSplit(data, { testFraction: 0.2 }));
    default:
      throw new InvalidInputError(
        `split must be one of ${splitKinds.join(', ')}, got ${JSON.stringify(split)}`,
      );
  }
}
