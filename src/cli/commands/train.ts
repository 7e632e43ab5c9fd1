import type { Command } from 'commander';
import { loadMovies } from '../../data/load-movies.ts';
import { loadRatingsData } from '../../data/load-ratings.ts';
import { InvalidInputError } from '../../errors.ts';
import { createModel, modelKinds } from '../../models/model-registry.ts';
import type { ModelParams } from '../../models/rating-model.ts';
import { type FitAndRegisterResult, fitAndRegister } from '../../registry/fit-and-register.ts';
import type { ModelVersion } from '../../registry/model-versions.ts';
import { integerOption, printResult, withDatabase } from '../context.ts';

/** What `train` did. Plain data. */
export type TrainResult = FitAndRegisterResult;

/** Parses `--params` as a flat JSON object of numbers, strings and booleans, naming the flag when it is not. */
export function parseParams(text: string | undefined): ModelParams {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`--params is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInputError(`--params must be a JSON object like {"n_epochs": 20}, got ${text}`);
  }
  for (const [k, v] of Object.entries(parsed)) {
    if (!['number', 'string', 'boolean'].includes(typeof v)) {
      throw new InvalidInputError(
        `--params: ${k} must be a number, string or boolean, got ${JSON.stringify(v)}`,
      );
    }
  }
  return parsed as ModelParams;
}

export function renderVersionLine(v: ModelVersion): string {
  const aliases = v.aliases.length ? ` [${v.aliases.join(', ')}]` : '';
  return `v${v.version}${aliases} ${v.kind} (${v.reason}, ${v.status}) trained on ${v.training.rows} ratings${v.parentVersion === null ? '' : `, parent v${v.parentVersion}`}`;
}

function render(r: TrainResult): string {
  const v = r.version;
  const lines = [
    `registered ${renderVersionLine(v)} in ${r.fitSeconds.toFixed(2)} s`,
    `params ${JSON.stringify(v.params)}`,
  ];
  if (v.aliases.includes('champion'))
    lines.push(`v${v.version} is now the champion (the model served to users)`);
  else
    lines.push(
      `not active: movienight versions activate ${v.version}, or test it: movienight ab start --challenger ${v.version}`,
    );
  return lines.join('\n');
}

/** `movienight train --model <name> [--params json] [--activate] [--seed n] [--json]`. */
export function trainCommand(program: Command): void {
  program
    .command('train')
    .description('Fit a model on all ratings in the database and register it as a new version')
    .requiredOption('--model <name>', `model kind (${modelKinds().join(', ')})`)
    .option('--params <json>', 'hyperparameters as a JSON object; the rest take their defaults')
    .option('--activate', 'make the new version champion (the first version ever becomes champion anyway)')
    .option('--seed <n>', 'random seed of the fit', integerOption('--seed'), 0)
    .option('--json', 'print the result as JSON')
    .action(
      async (
        opts: { model: string; params?: string; activate?: boolean; seed: number; json?: boolean },
        command: Command,
      ) => {
        // Bad flags fail before anything is read or fitted.
        const model = createModel(opts.model, parseParams(opts.params));
        const result = await withDatabase(command, async (db) => {
          const data = await loadRatingsData(db);
          if (data.size === 0) {
            throw new InvalidInputError(
              'the database has no ratings to train on (movienight import … or generate first)',
            );
          }
          return fitAndRegister(db, {
            model,
            data,
            movies: await loadMovies(db),
            seed: opts.seed,
            reason: 'manual',
            ...(opts.activate ? { activate: true } : {}),
          });
        });
        printResult(opts.json, result, render);
      },
    );
}
