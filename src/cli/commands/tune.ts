import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { InvalidInputError, MovieNightError } from '../../errors.ts';
import { bestHpPathFor } from '../../tuning/best-hp.ts';
import { objectiveMetrics, requireObjective } from '../../tuning/objective.ts';
import { reviewTuning } from '../../tuning/review.ts';
import {
  type RunTuningOptions,
  runTuning,
  type TuningProgress,
  type TuningResult,
} from '../../tuning/run-tuning.ts';
import { requireTuningMethod, tuningMethods } from '../../tuning/sampler-registry.ts';
import { readSearchSpace } from '../../tuning/search-space.ts';
import { requireFidelityMode, runSuccessiveHalving } from '../../tuning/successive-halving.ts';
import { runTuningWorkflow } from '../../tuning/workflow.ts';
import {
  databaseLocation,
  integerOption,
  numberOption,
  printResult,
  withDatabase,
  withQueue,
} from '../context.ts';
import {
  describeFidelity,
  renderHalving,
  renderReview,
  renderTuning,
  renderWorkflow,
} from './tune-render.ts';

interface TuneFlags {
  readonly method: string;
  readonly model: string;
  readonly trials?: number;
  readonly objective: string;
  readonly folds: number;
  readonly workers?: number;
  readonly seed?: number;
  readonly space?: string;
  readonly json?: boolean;
  readonly bestOut?: string;
  readonly resume?: string;
  readonly prune: boolean;
  readonly progress: boolean;
  readonly queue?: string;
  readonly fidelity: string;
  readonly eta: number;
  readonly minShare?: number;
  readonly minEpochShare?: number;
  readonly costAware?: boolean;
  readonly register: boolean;
}

const fmt = (v: number | null | undefined, digits = 4) =>
  v === null || v === undefined ? '—' : v.toFixed(digits);

/** Trials done, best so far and ETA on stderr, only on a terminal. */
function progressBar(enabled: boolean): { onProgress?: (p: TuningProgress) => void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'tuning [{bar}] {value}/{total} trials | best {best} | running {running} | ETA {eta_formatted}',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress(p) {
      if (!started) {
        bar.start(p.planned, p.done, { best: fmt(p.bestValue), running: p.running });
        started = true;
      }
      bar.update(p.done, { best: fmt(p.bestValue), running: p.running });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** Stops the run cleanly on Ctrl-C: in-flight trials are recorded failed, the run resumable. */
function interruptible(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => {
    process.stderr.write('\nstopping: the run can be continued with --resume\n');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function commonOptions(flags: TuneFlags, command: Command): RunTuningOptions {
  const space = flags.space ? readSearchSpace(flags.space) : undefined;
  if (space?.model !== undefined && space.model !== flags.model) {
    throw new InvalidInputError(
      `--space ${flags.space} is for model ${space.model}, but --model is ${flags.model}`,
    );
  }
  return {
    model: flags.model,
    objective: requireObjective(flags.objective),
    folds: flags.folds,
    workers: flags.workers ?? availableParallelism(),
    ...(flags.seed === undefined ? {} : { seed: flags.seed }),
    prune: flags.prune,
    ...(space ? { space } : {}),
    bestOut: flags.bestOut ?? bestHpPathFor(databaseLocation(command)),
    // A run whose owner's heartbeat is older than this is taken over by --resume.
    staleAfterMs: loadConfig().staleAfterSeconds * 1000,
  };
}

/**
 * A subcommand's flags with those given on the command line to `tune` itself folded in: commander
 * lets the parent take `--model` in `tune workflow --model x` (the program does not use positional
 * options), so a flag the parent got from the command line wins over the subcommand's default.
 */
function subcommandFlags<T>(command: Command): T {
  const own = command.opts<Record<string, unknown>>();
  const parent = command.parent;
  if (!parent) return own as T;
  const merged: Record<string, unknown> = { ...own };
  const ownKeys = new Set(command.options.map((o) => o.attributeName()));
  for (const [key, value] of Object.entries(parent.opts<Record<string, unknown>>())) {
    if (
      ownKeys.has(key) &&
      command.getOptionValueSource(key) !== 'cli' &&
      parent.getOptionValueSource(key) === 'cli'
    ) {
      merged[key] = value;
    }
  }
  return merged as T;
}

function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--model <kind>', 'model to tune (registry name)', 'svd')
    .option('--objective <metric>', `metric to optimise: ${objectiveMetrics.join(', ')}`, 'accuracy')
    .option(
      '--folds <k>',
      'k-fold cross-validation, same folds for every trial',
      integerOption('--folds', 2),
      3,
    )
    .option('--workers <n>', 'worker threads (default: number of cores)', integerOption('--workers', 0))
    .option(
      '--seed <s>',
      'seed of folds, samplers and fits (default: derived from the run id, so each run differs)',
      integerOption('--seed', 0),
    )
    .option('--space <file.json>', "search space JSON (default: the model's default space)")
    .option('--no-prune', 'do not prune trials with the median rule')
    .option(
      '--best-out <path>',
      'where best_hp.json goes (default: <db-file>.best_hp.json, or best_hp.<host>_<port>_<db>.json in the cwd)',
    )
    .option('--no-progress', 'no progress bar even on a terminal')
    .option(
      '--queue <url>',
      'run the trials as jobs on this queue (redis:// or postgres://; default $MOVIENIGHT_QUEUE_URL), taken by `movienight worker`; --workers is then the trials queued at once',
    )
    .option('--json', 'print the best (the best_hp.json object) as JSON');
}

/** A run that did not complete is a failure of the command: exit 1, with the reason on stderr. */
function requireComplete(run: TuningResult['run']): void {
  if (run.status === 'complete') return;
  throw new MovieNightError(
    `tuning run ${run.id} ended ${run.status}${run.error ? `: ${run.error}` : ''}; continue with: movienight tune --resume ${run.id}`,
    'tuning_incomplete',
    500,
  );
}

async function tuneAction(flags: TuneFlags, command: Command): Promise<void> {
  if (requireFidelityMode(flags.fidelity) === 'halving') return halvingAction(flags, command);
  const base = commonOptions(flags, command);
  const bar = progressBar(flags.progress && !flags.json);
  const stop = interruptible();
  try {
    const result = await withDatabase(command, (db) =>
      withQueue(flags.queue, command, (queue) =>
        runTuning(db, {
          ...base,
          ...(queue ? { queue } : {}),
          method: requireTuningMethod(flags.method),
          ...(flags.trials !== undefined ? { trials: flags.trials } : {}),
          ...(flags.resume ? { resume: flags.resume } : { costAware: flags.costAware ?? false }),
          signal: stop.signal,
          ...(bar.onProgress ? { onProgress: bar.onProgress } : {}),
        }),
      ),
    );
    bar.stop();
    // --json prints exactly the best_hp.json object (or, without a complete trial, why not).
    const incomplete = {
      runId: result.run.id,
      status: result.run.status,
      error: result.run.error,
      best: null,
    };
    if (flags.json) printResult(true, result.bestHp ?? incomplete, () => '');
    else printResult(false, result, renderTuning);
    requireComplete(result.run);
  } finally {
    bar.stop();
    stop.dispose();
  }
}

/** `tune --fidelity halving`: successive halving over shares of the ratings, then refit the best. */
async function halvingAction(flags: TuneFlags, command: Command): Promise<void> {
  if (flags.resume)
    throw new InvalidInputError('--resume continues one run; it cannot be combined with --fidelity halving');
  const base = commonOptions(flags, command);
  const stop = interruptible();
  try {
    const result = await withDatabase(command, (db) =>
      runSuccessiveHalving(db, {
        ...base,
        method: requireTuningMethod(flags.method),
        ...(flags.trials !== undefined ? { trials: flags.trials } : {}),
        costAware: flags.costAware ?? false,
        eta: flags.eta,
        ...(flags.minShare !== undefined ? { minShare: flags.minShare } : {}),
        ...(flags.minEpochShare !== undefined ? { minEpochShare: flags.minEpochShare } : {}),
        register: flags.register,
        signal: stop.signal,
        onRung: (rung, configurations) => {
          if (!flags.json)
            process.stderr.write(
              `rung ${rung.rung + 1}/${rung.rungs}: ${configurations} configurations on ${describeFidelity(rung)}\n`,
            );
        },
      }),
    );
    printResult(flags.json, result, renderHalving);
    for (const rung of result.rungs) requireComplete(rung.run);
    if (flags.register && !result.version)
      throw new MovieNightError('no complete full-data trial to register', 'tuning_incomplete', 500);
  } finally {
    stop.dispose();
  }
}

type WorkflowFlags = TuneFlags & {
  first: string;
  firstTrials?: number;
  bayesianTrials: number;
  register: boolean;
  activate?: boolean;
};

function firstMethod(first: string): 'random' | 'grid' {
  if (first === 'random' || first === 'grid') return first;
  throw new InvalidInputError(`--first must be random or grid, got ${JSON.stringify(first)}`);
}

async function workflowAction(command: Command): Promise<void> {
  const flags = subcommandFlags<WorkflowFlags>(command);
  const base = commonOptions(flags, command);
  const first = firstMethod(flags.first);
  const bar = progressBar(flags.progress && !flags.json);
  const stop = interruptible();
  try {
    const result = await withDatabase(command, (db) =>
      withQueue(flags.queue, command, (queue) =>
        runTuningWorkflow(db, {
          ...base,
          ...(queue ? { queue } : {}),
          first,
          ...(flags.firstTrials !== undefined ? { firstTrials: flags.firstTrials } : {}),
          bayesianTrials: flags.bayesianTrials,
          register: flags.register,
          activate: flags.activate ?? false,
          signal: stop.signal,
          ...(bar.onProgress ? { onProgress: bar.onProgress } : {}),
          onStage: (stage, detail) => {
            bar.stop();
            if (!flags.json) process.stderr.write(`${stage}: ${detail}\n`);
          },
        }),
      ),
    );
    bar.stop();
    printResult(flags.json, result, renderWorkflow);
    requireComplete(result.first.run);
    requireComplete(result.bayesian.run);
    if (flags.register && !result.version)
      throw new MovieNightError('no complete trial to register', 'tuning_incomplete', 500);
  } finally {
    bar.stop();
    stop.dispose();
  }
}

async function reviewAction(command: Command): Promise<void> {
  const flags = subcommandFlags<{ run?: string; top: number; measureActive: boolean; json?: boolean }>(
    command,
  );
  const location = databaseLocation(command);
  const review = await withDatabase(command, (db) =>
    reviewTuning(db, {
      ...(flags.run ? { runId: flags.run } : {}),
      top: flags.top,
      measureActive: flags.measureActive,
      bestHpPath: bestHpPathFor(location),
    }),
  );
  printResult(flags.json, review, renderReview);
}

/** `movienight tune …`, `tune workflow`, `tune review`. */
export function tuneCommand(program: Command): void {
  const tune = addRunOptions(
    program
      .command('tune')
      .description('Hyperparameter tuning: grid, random, Bayesian or TPE search, stored, parallel, resumable')
      .option('--method <method>', `search method: ${tuningMethods.join(', ')}`, 'random')
      .option(
        '--trials <n>',
        'trials to finish (default 81 grid / 50 random / 20 bayesian / 30 tpe)',
        integerOption('--trials', 1),
      )
      .option('--resume <run-id>', 'continue an interrupted run (its own settings are used)')
      .option('--cost-aware', 'bayesian: rank candidates by expected improvement per second of trial time'),
  ).action(tuneAction);
  withHalvingOptions(tune);

  addRunOptions(
    tune
      .command('workflow')
      .description(
        'random (or grid) search, then Bayesian warm-started from it, then refit the best and register it',
      )
      .option('--first <method>', 'first stage: random or grid', 'random')
      .option('--first-trials <n>', 'trials of the first stage', integerOption('--first-trials', 1))
      .option(
        '--bayesian-trials <n>',
        'trials of the Bayesian stage',
        integerOption('--bayesian-trials', 1),
        20,
      )
      .option('--no-register', 'do not refit and register the best')
      .option('--activate', 'make the registered version champion at once'),
  ).action((_flags: unknown, command: Command) => workflowAction(command));

  tune
    .command('review')
    .description(
      'the best configuration vs the default, the majority baseline and the active model; top trials; importance; convergence',
    )
    .option('--run <id>', 'tuning run (default: the most recent)')
    .option('--top <n>', 'how many top trials', integerOption('--top', 1), 5)
    .option('--no-measure-active', "do not cross-validate the active model on the run's folds")
    .option('--json', 'print as JSON')
    .action((_flags: unknown, command: Command) => reviewAction(command));
}

/** The options of `tune --fidelity halving`. */
function withHalvingOptions(tune: Command): Command {
  return tune
    .option(
      '--fidelity <mode>',
      'full: every trial on all ratings; halving: successive halving, most trials on a share of the ratings, the best refitted on all',
      'full',
    )
    .option('--eta <n>', 'halving: each rung keeps the best 1/eta', integerOption('--eta', 2), 3)
    .option(
      '--min-share <share>',
      'halving: share of the ratings of the first rung, a power of 1/eta (default 1/eta)',
      numberOption('--min-share', 0, 1),
    )
    .option(
      '--min-epoch-share <share>',
      "halving: share of each configuration's epochs the first rung fits, a power of 1/eta (default 1: every epoch)",
      numberOption('--min-epoch-share', 0, 1),
    )
    .option('--no-register', 'halving: do not refit and register the best');
}
