import type { Command } from 'commander';
import { checkDatabase, renderCheck } from '../../db/database-check.ts';
import { describeSchema, renderSchema } from '../../db/database-schema.ts';
import { MovieNightError } from '../../errors.ts';
import { printResult, withDatabase } from '../context.ts';

/** `movienight db schema` and `movienight db check`. */
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
}
