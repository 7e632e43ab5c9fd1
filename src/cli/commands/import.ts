import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { importMovieLens } from '../../data/import-movielens.ts';
import { importRatingsCsv } from '../../data/import-ratings-csv.ts';
import type { ImportOptions, ImportProgress, ImportSummary } from '../../data/import-writer.ts';
import { renderImportSummary } from '../../data/import-writer.ts';
import { type TextEncodingName, textEncodings } from '../../data/line-reader.ts';
import { printResult, withDatabase } from '../context.ts';

interface ImportFlags {
  readonly skipInvalid?: boolean;
  readonly encoding: TextEncodingName;
  readonly json?: boolean;
  readonly progress?: boolean;
}

function encodingOption(value: string): TextEncodingName {
  if (!(textEncodings as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      `--encoding must be one of ${textEncodings.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as TextEncodingName;
}

/** A progress bar on stderr, only on a terminal (never in pipes, logs or --json output). */
async function withProgress(
  enabled: boolean,
  run: (onProgress?: (p: ImportProgress) => void) => Promise<ImportSummary>,
): Promise<ImportSummary> {
  if (!enabled || !process.stderr.isTTY) return run();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'importing [{bar}] {percentage}% | {value}/{total} MiB',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  let begun = false;
  try {
    return await run((p) => {
      if (!begun) {
        bar.start(mib(p.totalBytes), 0);
        begun = true;
      }
      bar.update(mib(p.bytesRead));
    });
  } finally {
    if (begun) bar.stop();
  }
}

function addCommon(cmd: Command): Command {
  return cmd
    .option(
      '--skip-invalid',
      'import the valid lines and report the refused ones (default: refuse the whole import)',
    )
    .option('--encoding <name>', `text encoding: ${textEncodings.join(', ')}`, encodingOption, 'auto')
    .option('--no-progress', 'no progress bar even on a terminal')
    .option('--json', 'print the summary as JSON');
}

function importOptions(flags: ImportFlags, onProgress?: (p: ImportProgress) => void): ImportOptions {
  return {
    skipInvalid: flags.skipInvalid ?? false,
    encoding: flags.encoding,
    ...(onProgress ? { onProgress } : {}),
  };
}

/** `movienight import movielens <dir>` and `movienight import ratings <file.csv>`. */
export function importCommand(program: Command): void {
  const cmd = program
    .command('import')
    .description('Import MovieLens folders or a ratings CSV into the database (one transaction each)');
  addCommon(
    cmd
      .command('movielens <dir>')
      .description(
        'Import a MovieLens folder: ml-latest(-small)/ml-25m (ratings.csv), ml-100k (u.data), ml-1m/ml-10m (ratings.dat)',
      ),
  ).action(async (dir: string, flags: ImportFlags, command: Command) => {
    const summary = await withDatabase(command, (db) =>
      withProgress(flags.progress !== false && !flags.json, (onProgress) =>
        importMovieLens(db, dir, importOptions(flags, onProgress)),
      ),
    );
    printResult(flags.json, summary, renderImportSummary);
  });
  addCommon(
    cmd
      .command('ratings <file>')
      .description('Import a CSV with a header: user,movie,rating[,timestamp] (seconds); movies must exist'),
  ).action(async (file: string, flags: ImportFlags, command: Command) => {
    const summary = await withDatabase(command, (db) =>
      withProgress(flags.progress !== false && !flags.json, (onProgress) =>
        importRatingsCsv(db, file, importOptions(flags, onProgress)),
      ),
    );
    printResult(flags.json, summary, renderImportSummary);
  });
}
