import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { loadMovies } from '../../data/load-movies.ts';
import { loadRatingsData } from '../../data/load-ratings.ts';
import type { Database } from '../../db/database.ts';
import { InvalidInputError } from '../../errors.ts';
import { createModel, modelKindInput, modelKinds } from '../../models/model-registry.ts';
import type { ModelParams } from '../../models/rating-model.ts';
import { type FitAndRegisterResult, fitAndRegister } from '../../registry/fit-and-register.ts';
import type { ModelVersion } from '../../registry/model-versions.ts';
import { tunedParamsFor } from '../../tuning/best-hp.ts';
import { databaseLocation, integerOption, printResult, schemaOption, withDatabase } from '../context.ts';

/** What `train` did, and where its parameters came from. Plain data. */
export interface TrainResult extends FitAndRegisterResult {
  /** `given` (--params), `best_hp.json` (tuned on this database for this kind), or `defaults`. */
  readonly paramsSource: 'given' | 'best_hp.json' | 'defaults';
}

/** The share of the most recent ratings `train` measures a version on before its final fit. */
export const trainHoldoutFraction = 0.1;

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
    `params ${JSON.stringify(v.params)} (from ${r.paramsSource})`,
  ];
  const h = r.holdout;
  if (h) {
    const m = h.metrics;
    lines.push(
      `offline: accuracy ${(100 * m.accuracy).toFixed(2)} %, RMSE ${m.rmse.toFixed(4)} on the ${h.rows} most recent ratings (majority baseline ${(100 * m.baselineAccuracy).toFixed(2)} %), measured before the final fit`,
    );
  }
  if (v.aliases.includes('champion'))
    lines.push(`v${v.version} is now the champion (the model served to users)`);
  else
    lines.push(
      `not active: movienight versions activate ${v.version}, or test it: movienight ab start --challenger ${v.version}`,
    );
  return lines.join('\n');
}

/** The parameters to train with: --params, else best_hp.json's for this kind on this database, else the defaults. */
function chooseParams(
  location: string,
  kind: string,
  given: string | undefined,
): { params: ModelParams; source: TrainResult['paramsSource'] } {
  if (given !== undefined) return { params: parseParams(given), source: 'given' };
  const tuned = tunedParamsFor(location, kind);
  return tuned ? { params: tuned, source: 'best_hp.json' } : { params: {}, source: 'defaults' };
}

interface TrainFlags {
  model: string;
  params?: string;
  activate?: boolean;
  /** commander's negation of --no-holdout: false skips the measurement fit. */
  holdout: boolean;
  seed: number;
  json?: boolean;
}

async function train(db: Database, flags: TrainFlags, location: string): Promise<TrainResult> {
  const data = await loadRatingsData(db);
  if (data.size === 0) {
    throw new InvalidInputError(
      'the database has no ratings to train on (movienight import … or generate first)',
    );
  }
  const { params, source } = chooseParams(location, flags.model, flags.params);
  const config = loadConfig();
  const result = await fitAndRegister(db, {
    model: createModel(flags.model, params),
    data,
    movies: await loadMovies(db),
    seed: flags.seed,
    reason: 'manual',
    // Too few ratings to hold any out, or --no-holdout: registered without offline metrics.
    ...(data.size >= 50 && flags.holdout ? { holdoutFraction: trainHoldoutFraction } : {}),
    ...(config.likeThreshold === undefined ? {} : { likeThreshold: config.likeThreshold }),
    ...(flags.activate ? { activate: true } : {}),
  });
  return { ...result, paramsSource: source };
}

/** `movienight train --model <name> [--params json] [--activate] [--seed n] [--json]`. */
export function trainCommand(program: Command): void {
  program
    .command('train')
    .description(
      'Measure a model on the most recent ratings, fit it on all of them and register it as a new version',
    )
    .requiredOption(
      '--model <name>',
      `model kind (${modelKinds().join(', ')})`,
      schemaOption('--model', modelKindInput),
    )
    .option(
      '--params <json>',
      "hyperparameters as a JSON object (default: best_hp.json's for this model kind)",
    )
    .option('--activate', 'make the new version champion (the first version ever becomes champion anyway)')
    .option(
      '--no-holdout',
      'skip measuring on the most recent 10 % first (one fit instead of two; the version has no offline metrics)',
    )
    .option('--seed <n>', 'random seed of the fit', integerOption('--seed'), 0)
    .option('--json', 'print the result as JSON')
    .action(async (flags: TrainFlags, command: Command) => {
      // Bad flags fail before anything is read or fitted.
      createModel(flags.model, parseParams(flags.params));
      const location = databaseLocation(command);
      const result = await withDatabase(command, (db) => train(db, flags, location));
      printResult(flags.json, result, render);
    });
}
