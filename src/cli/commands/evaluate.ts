import type { Command } from 'commander';
import { loadMovies } from '../../data/load-movies.ts';
import { loadRatingsData } from '../../data/load-ratings.ts';
import type { MovieInfo, RatingsData } from '../../data/ratings-data.ts';
import { readMovieLens } from '../../data/read-movielens.ts';
import { InvalidInputError } from '../../errors.ts';
import {
  type CrossValidationResult,
  crossValidate,
  type SplitKind,
  splitKinds,
} from '../../evaluation/cross-validate.ts';
import { createModel, modelKindInput, modelKinds } from '../../models/model-registry.ts';
import type { ModelParams } from '../../models/rating-model.ts';
import { integerOption, numberOption, printResult, schemaOption, withDatabase } from '../context.ts';
import { parseParams } from './train.ts';

interface EvaluateOptions {
  model: string;
  params?: string;
  folds?: number;
  split?: string;
  data?: string;
  seed: number;
  k: number;
  ranking: boolean;
  rankingUsers?: number;
  calibrate?: boolean;
  threshold?: number;
  json?: boolean;
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const num = (x: number | null, digits = 4) => (x === null || Number.isNaN(x) ? '—' : x.toFixed(digits));

/** The text rendering: one line per fold, then the means and the accuracy against the baseline. */
export function renderEvaluation(r: CrossValidationResult): string {
  const lines = [
    `${r.kind} ${JSON.stringify(r.params)}`,
    `${r.split}, seed ${r.seed}, liked = rating ≥ ${r.threshold}, ranking at k = ${r.k}`,
    '',
    'fold  rmse    mae     accuracy  ndcg@k  fit s   predict s  rank s',
  ];
  for (const f of r.folds) {
    lines.push(
      `${String(f.fold + 1).padEnd(5)} ${num(f.rmse)}  ${num(f.mae)}  ${num(f.accuracy)}    ${num(f.ranking?.ndcg ?? null)}  ${f.fitSeconds.toFixed(2).padEnd(6)}  ${f.predictSeconds.toFixed(3).padEnd(9)}  ${f.rankingSeconds.toFixed(2)}`,
    );
  }
  lines.push(
    `mean  ${num(r.rmse)}  ${num(r.mae)}  ${num(r.accuracy)}    ${num(r.ndcg)}  ${r.fitSeconds.toFixed(2).padEnd(6)}  ${r.predictSeconds.toFixed(3).padEnd(9)}  ${r.rankingSeconds.toFixed(2)}`,
    '',
    `accuracy ${pct(r.accuracy)} (${r.accuracy >= r.baselineAccuracy ? '+' : ''}${(100 * (r.accuracy - r.baselineAccuracy)).toFixed(2)} points vs the majority-class baseline ${pct(r.baselineAccuracy)})`,
  );
  if (r.calibratedAccuracy !== null) {
    const cuts = r.folds.map((f) => num(f.cutoff, 2)).join(', ');
    lines.push(
      `accuracy with the cut-off calibrated on training data: ${pct(r.calibratedAccuracy)} (cut-offs ${cuts})`,
    );
  }
  if (r.ndcg !== null) {
    lines.push(
      `ranking@${r.k}: precision ${num(r.precision)}, recall ${num(r.recall)}, NDCG ${num(r.ndcg)}, MAP ${num(r.map)}, hit rate ${num(r.hitRate)}, coverage ${num(r.coverage)}`,
      rankingLine(r),
    );
  }
  if (r.stopped) lines.push('stopped early: only the folds above ran');
  return lines.join('\n');
}

/** Who was ranked and what it cost: a sample is always said to be one. */
function rankingLine(r: CrossValidationResult): string {
  const ranked = r.folds.reduce((s, f) => s + f.rankingUsers, 0);
  const candidates = r.folds.reduce((s, f) => s + f.rankingCandidates, 0);
  const who =
    r.rankingUsers === null
      ? `all ${ranked} users with a liked test movie (summed over folds)`
      : `a seeded sample of ${ranked} of ${candidates} users with a liked test movie (--ranking-users ${r.rankingUsers} per fold)`;
  const speed =
    r.rankingGflops === null ? 'scored per user' : `scoring ${r.rankingGflops.toFixed(1)} GFLOP/s`;
  const cpu = r.folds.reduce((s, f) => s + f.rankingCpuSeconds, 0) / r.folds.length;
  return `ranked ${who}; ${r.rankingSeconds.toFixed(2)} s per fold (${cpu.toFixed(2)} CPU s), ${speed}`;
}

async function loadData(
  command: Command,
  dir: string | undefined,
): Promise<{ ratings: RatingsData; movies: Map<number, MovieInfo> }> {
  if (dir !== undefined) return readMovieLens(dir);
  return withDatabase(command, async (db) => ({
    ratings: await loadRatingsData(db),
    movies: await loadMovies(db),
  }));
}

/** Checks the flags that do not need the data; returns the parsed parameters. */
function checkFlags(opts: EvaluateOptions): ModelParams {
  const params = parseParams(opts.params);
  createModel(opts.model, params);
  if (opts.split !== undefined && opts.folds !== undefined) {
    throw new InvalidInputError('give either --folds or --split, not both');
  }
  if (opts.split !== undefined && !splitKinds.includes(opts.split as SplitKind)) {
    throw new InvalidInputError(
      `--split must be one of ${splitKinds.join(', ')}, got ${JSON.stringify(opts.split)}`,
    );
  }
  if (opts.rankingUsers !== undefined && !opts.ranking) {
    throw new InvalidInputError('--ranking-users samples users for the ranking metrics: drop --no-ranking');
  }
  return params;
}

/**
 * `movienight evaluate --model <name> [--params json] [--folds 5 | --split holdout|user|temporal]
 * [--data <movielens dir>] [--seed S] [--json]`: cross-validates a model on the database's ratings,
 * or on a MovieLens folder read directly (no database) with `--data`.
 */
export function evaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description('Cross-validate a model: RMSE, MAE, liked accuracy vs baseline, ranking metrics, timings')
    .requiredOption(
      '--model <name>',
      `model kind (${modelKinds().join(', ')})`,
      schemaOption('--model', modelKindInput),
    )
    .option('--params <json>', 'hyperparameters as a JSON object; the rest take their defaults')
    .option(
      '--folds <k>',
      'k-fold cross-validation with shuffled folds (default 5)',
      integerOption('--folds', 2, 100),
    )
    .option('--split <kind>', `one split instead of k folds: ${splitKinds.join(', ')}`)
    .option('--data <dir>', 'read ratings from a MovieLens folder instead of the database')
    .option('--seed <n>', 'seed of the folds and the fits', integerOption('--seed'), 0)
    .option('--k <n>', 'cut-off of the ranking metrics', integerOption('--k', 1, 1000), 10)
    .option('--no-ranking', 'skip the ranking metrics (they cost a top-k per test user)')
    .option(
      '--ranking-users <n>',
      'rank only a seeded sample of n users per fold for the ranking metrics (default: all; the output says so)',
      integerOption('--ranking-users', 1),
    )
    .option('--calibrate', 'also report accuracy with the cut-off calibrated on training predictions')
    .option(
      '--threshold <rating>',
      'like line (default 4 on a whole-star scale, 3.5 on half stars)',
      numberOption('--threshold'),
    )
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: EvaluateOptions, command: Command) => {
      // Bad flags fail before any data is read.
      const params = checkFlags(opts);
      const { ratings, movies } = await loadData(command, opts.data);
      if (ratings.size === 0) {
        throw new InvalidInputError(
          opts.data !== undefined
            ? `${opts.data} holds no ratings`
            : 'the database has no ratings to evaluate on (movienight import … or generate first)',
        );
      }
      const result = await crossValidate({
        kind: opts.model,
        params,
        data: ratings,
        movies,
        seed: opts.seed,
        k: opts.k,
        ranking: opts.ranking,
        ...(opts.rankingUsers !== undefined ? { rankingUsers: opts.rankingUsers } : {}),
        calibrateCutoff: opts.calibrate ?? false,
        ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
        ...(opts.split !== undefined ? { split: opts.split as SplitKind } : { folds: opts.folds ?? 5 }),
      });
      printResult(opts.json, result, renderEvaluation);
    });
}
