import type { Command } from 'commander';
import { type DemoCatalogResult, installDemoCatalog } from '../../data/generate.ts';
import { printResult, withDatabase } from '../context.ts';

function render(r: DemoCatalogResult): string {
  const head = r.installed
    ? 'loaded the demo catalogue (synthetic, seed fixed) into an empty database'
    : 'the database already has a catalogue: left as it is';
  return `${head}\n  ${r.movies} movies, ${r.users} users, ${r.ratings} ratings`;
}

/** `movienight demo`: the interim `npm start` — fills an empty database with the demo catalogue. */
export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description('Load the demo catalogue into an empty database and print a summary')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const result = await withDatabase(command, (db) => installDemoCatalog(db));
      printResult(flags.json, result, render);
    });
}
