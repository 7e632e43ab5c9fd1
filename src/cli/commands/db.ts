import type { Command } from 'commander';
import { checkDatabase, renderCheck } from '../../db/database-check.ts';
import { describeSchema, renderSchema } from '../../db/database-schema.ts';
import { MovieNightError } from '../../errors.ts';
import { printResult, withDatabase } from '../context.ts';

/** `movienight db schema`, `movienight db check` and `movienight db compact`. */
export function dbCommand(program: Command): void {
  const db = program.command('db').description('Inspect and check the database');
  db.command('schema')
    .description('List tables, columns, indexes, row counts and the schema version')
    .option('--json', 'print as JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const report = await withDatabase(command, (d) => describeSchema(d));
      printResult(flags.json, report, renderSchema);
    });
  db.command('check')
    .description(
      'Integrity checks (SQLite integrity_check, foreign keys, orphan rows); exits non-zero on a problem',
    )
    .option('--json', 'print as JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const report = await withDatabase(command, (d) => checkDatabase(d));
      printResult(flags.json, report, renderCheck);
      if (!report.ok) {
        const failed = report.checks.filter((c) => !c.ok).map((c) => c.name);
        throw new MovieNightError(`database check failed: ${failed.join('; ')}`, 'check_failed', 500);
      }
    });
  db.command('compact')
    .description(
      'Give back the free space inside the database (SQLite VACUUM, PostgreSQL VACUUM FULL); writers wait meanwhile',
    )
    .option('--json', 'print as JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const result = await withDatabase(command, async (d) => ({
        location: d.location,
        ...(await d.compact()),
      }));
      printResult(flags.json, result, renderCompact);
    });
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function renderCompact(r: { location: string; beforeBytes: number; afterBytes: number }): string {
  return `compacted ${r.location}: ${mib(r.beforeBytes)} → ${mib(r.afterBytes)}`;
}
