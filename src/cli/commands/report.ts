import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { InvalidInputError } from '../../errors.ts';
import { modelKindInput } from '../../models/model-registry.ts';
import type { ModelParams } from '../../models/rating-model.ts';
import { impactReport } from '../../reports/impact-report.ts';
import { type ReportData, type ReportKind, reportViews } from '../../reports/report-registry.ts';
import { statusReport } from '../../reports/status-report.ts';
import { tuningReport } from '../../reports/tuning-report.ts';
import {
  type UnexpectedSource,
  unexpectedMoviesReport,
  unexpectedSources,
} from '../../reports/unexpected-movies-report.ts';
import { bestHpPathFor } from '../../tuning/best-hp.ts';
import { databaseLocation, integerOption, numberOption, schemaOption, withDatabase } from '../context.ts';

interface OutputOptions {
  readonly json?: boolean;
  readonly out?: string;
  readonly svg?: string;
}

/** A time flag: an ISO date/time (UTC when no zone is given) or epoch milliseconds. */
function timeOption(name: string) {
  return (value: string): number => {
    const ms = /^\d+$/.test(value.trim())
      ? Number(value)
      : Date.parse(/T|\s\d/.test(value) ? value : `${value}T00:00:00Z`);
    if (!Number.isFinite(ms))
      throw new InvalidInputError(
        `${name} must be a date (2024-03-01) or epoch milliseconds, got ${JSON.stringify(value)}`,
      );
    return ms;
  };
}

function paramsOption(value: string): ModelParams {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidInputError(`--params must be a JSON object, got ${JSON.stringify(value)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInputError(`--params must be a JSON object, got ${JSON.stringify(value)}`);
  }
  return parsed as ModelParams;
}

/**
 * Prints (JSON or the terminal rendering) and, with --out, writes the HTML page. The page is
 * written to a temporary file and renamed, so a reader never sees half a page.
 */
/** Writes `text` to `path` through a temporary file and a rename: never half a file. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** A file name from a chart's title: "Ratings per day" → "ratings-per-day". */
function slug(title: string): string {
  return (
    title
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'chart'
  );
}

/**
 * Prints (JSON or the terminal rendering); with --out writes the HTML page, with --svg each chart
 * as its own .svg file (for slides, wikis, e-mail).
 */
function emit<K extends ReportKind>(kind: K, data: ReportData[K], options: OutputOptions): void {
  const view = reportViews[kind];
  const written: string[] = [];
  if (options.out) {
    const path = resolve(options.out);
    writeAtomically(path, view.html(data));
    written.push(path);
  }
  if (options.svg) {
    const dir = resolve(options.svg);
    mkdirSync(dir, { recursive: true });
    const used = new Set<string>();
    view.charts(data).forEach((svg, i) => {
      const title = /aria-label="([^"]*)"/.exec(svg)?.[1] ?? `chart ${i + 1}`;
      let name = `${kind}-${slug(title.replace(/&[a-z#0-9]+;/g, ' '))}`;
      if (used.has(name)) name = `${name}-${i + 1}`;
      used.add(name);
      const path = join(dir, `${name}.svg`);
      writeAtomically(path, `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`);
      written.push(path);
    });
  }
  if (options.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else process.stdout.write(`${view.terminal(data, { tty: process.stdout.isTTY === true })}\n`);
  for (const path of written) process.stderr.write(`wrote ${path}\n`);
}

function withOutput(command: Command): Command {
  return command
    .option('--json', 'print the plain data as JSON')
    .option('--out <file.html>', 'also write a self-contained HTML page')
    .option('--svg <dir>', 'also write each chart as an .svg file into this folder');
}

/**
 * `movienight report unexpected|impact|status|tuning [--json] [--out file.html] [--svg dir]`.
 * It is long because it declares the four report subcommands with their options in one commander chain; each action is a one-line call into src/reports.
 */
export function reportCommand(program: Command): void {
  const report = program
    .command('report')
    .description('Reports: unexpected movies, training impact, deployment status, tuning');

  withOutput(report.command('unexpected').description(reportViews.unexpected.description))
    .option(
      '--source <source>',
      `tracker (tracked ratings) or ratings (every stored rating, training rule)`,
      'tracker',
    )
    .option('--since <date>', 'only ratings at or after this time', timeOption('--since'))
    .option('--until <date>', 'only ratings before this time', timeOption('--until'))
    .option('--top <n>', 'rows in the top users/movies tables', integerOption('--top', 1), 10)
    .action(
      async (
        opts: OutputOptions & { source: string; since?: number; until?: number; top: number },
        command: Command,
      ) => {
        if (!unexpectedSources.includes(opts.source as UnexpectedSource)) {
          throw new InvalidInputError(
            `--source must be one of ${unexpectedSources.join(', ')}, got ${JSON.stringify(opts.source)}`,
          );
        }
        const data = await withDatabase(command, (db) =>
          unexpectedMoviesReport(db, {
            source: opts.source as UnexpectedSource,
            top: opts.top,
            ...(opts.since !== undefined ? { since: opts.since } : {}),
            ...(opts.until !== undefined ? { until: opts.until } : {}),
          }),
        );
        emit('unexpected', data, opts);
      },
    );

  withOutput(report.command('impact').description(reportViews.impact.description))
    .option(
      '--model <kind>',
      'model to ablate (default: the champion’s configuration, else svd defaults)',
      schemaOption('--model', modelKindInput),
    )
    .option('--params <json>', 'parameters for --model, e.g. \'{"factors": 50}\'', paramsOption)
    .option(
      '--test-fraction <f>',
      'share of ratings (latest by time) in the test period',
      numberOption('--test-fraction', 0, 1),
      0.2,
    )
    .option(
      '--down-weight <w>',
      'weight of unexpected ratings in the down-weighted arm',
      numberOption('--down-weight', 0, 1),
      0.5,
    )
    .option('--seed <n>', 'seed of every fit and of the resampling', integerOption('--seed'), 42)
    .option(
      '--repeats <n>',
      'paired fits per arm (seed, seed+1, …) to see seed noise',
      integerOption('--repeats', 1, 20),
      1,
    )
    .option('--k <n>', 'cut-off of the ranking metrics', integerOption('--k', 1), 10)
    .option('--no-scenarios', 'skip the halved/doubled resampling scenarios')
    .action(
      async (
        opts: OutputOptions & {
          model?: string;
          params?: ModelParams;
          testFraction: number;
          downWeight: number;
          seed: number;
          repeats: number;
          k: number;
          scenarios: boolean;
        },
        command: Command,
      ) => {
        if (opts.params && !opts.model) throw new InvalidInputError('--params needs --model');
        const data = await withDatabase(command, (db) =>
          impactReport(db, {
            ...(opts.model ? { kind: opts.model } : {}),
            ...(opts.params ? { params: opts.params } : {}),
            testFraction: opts.testFraction,
            downWeight: opts.downWeight,
            seed: opts.seed,
            repeats: opts.repeats,
            k: opts.k,
            scenarios: opts.scenarios,
          }),
        );
        emit('impact', data, opts);
      },
    );

  withOutput(report.command('status').description(reportViews.status.description))
    .option(
      '--at <time>',
      'as of this time (a date, ISO time or epoch ms; a simulated database lives in its own time)',
      timeOption('--at'),
    )
    .action(async (opts: OutputOptions & { at?: number }, command: Command) => {
      const config = loadConfig();
      const bestHpPath = bestHpPathFor(databaseLocation(command));
      const data = await withDatabase(command, (db) =>
        statusReport(db, { config, bestHpPath, ...(opts.at !== undefined ? { now: opts.at } : {}) }),
      );
      emit('status', data, opts);
    });

  withOutput(report.command('tuning').description(reportViews.tuning.description))
    .option('--run <id>', 'the tuning run (default: the most recent)')
    .action(async (opts: OutputOptions & { run?: string }, command: Command) => {
      const data = await withDatabase(command, (db) =>
        tuningReport(db, opts.run !== undefined ? { runId: opts.run } : {}),
      );
      emit('tuning', data, opts);
    });
}
