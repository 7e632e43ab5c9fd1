import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { InvalidInputError } from '../../errors.ts';
import { type RevalidationOutcome, revalidate } from '../../retraining/revalidate.ts';
import { driftLine, renderTrackStatus, trackStatus } from '../../retraining/track-status.ts';
import { printResult, withDatabase } from '../context.ts';

function renderCheck(r: RevalidationOutcome): string {
  const a = r.champion;
  const lines = [
    `Champion: ${r.championVersion === null ? 'none' : `v${r.championVersion}`}; window ${r.window.days} days`,
    `Accuracy: ${a.accuracy === null ? '–' : `${(100 * a.accuracy).toFixed(1)} %`} (95 % CI ${(100 * a.low).toFixed(1)}–${(100 * a.high).toFixed(1)} %, n = ${a.samples})`,
    `Rule: ${r.rule}`,
    `Drift: ${driftLine(r)} — rule: ${r.drift.rule}`,
    `Verdict: ${r.verdict}${r.firedRule ? ` (${r.firedRule} rule: ${r.request?.reason})` : ''}`,
  ];
  if (r.trigger?.created)
    lines.push(`Retrain triggered: #${r.trigger.trigger.id} (${r.trigger.trigger.reason})`);
  else if (r.trigger) lines.push(`Retrain not triggered: ${r.trigger.blocked}`);
  return lines.join('\n');
}

/** `--at`: an ISO time or epoch milliseconds (a simulated database lives in its own time). */
function parseAt(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n))
    throw new InvalidInputError(
      `--at must be an ISO time or epoch milliseconds, got ${JSON.stringify(value)}`,
    );
  return n;
}

/** `movienight track check|status [--json]`: live accuracy and the revalidation check. */
export function trackCommand(program: Command): void {
  const track = program.command('track').description('Live accuracy of the served recommendations');
  track
    .command('check')
    .description(
      'Run the revalidation check now; triggers a retrain when accuracy is significantly low or has fallen (drift)',
    )
    .option('--at <time>', 'check as of this time (ISO or epoch ms) instead of now')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean; at?: string }, command: Command) => {
      const config = loadConfig();
      const now = opts.at === undefined ? Date.now() : parseAt(opts.at);
      const result = await withDatabase(command, (db) => revalidate(db, config, { now }));
      printResult(opts.json, result, renderCheck);
    });
  track
    .command('status')
    .description('Window, counts, accuracy overall/per version/per arm/by day, worst movies, thresholds')
    .option('--at <time>', 'as of this time (ISO or epoch ms) instead of now, e.g. the end of a simulation')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean; at?: string }, command: Command) => {
      const config = loadConfig();
      const now = opts.at === undefined ? Date.now() : parseAt(opts.at);
      const result = await withDatabase(command, (db) => trackStatus(db, config, { now }));
      printResult(opts.json, result, renderTrackStatus);
    });
}
