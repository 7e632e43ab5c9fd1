import type { Command } from 'commander';
import { InvalidInputError } from '../../errors.ts';
import { idInput } from '../../input-schemas.ts';
import {
  type AliasChange,
  type AliasHistoryEntry,
  activateVersion,
  aliasHistory,
  rollback,
} from '../../registry/aliases.ts';
import {
  getVersion,
  listVersions,
  type ModelVersion,
  type PruneResult,
  pruneVersions,
} from '../../registry/model-versions.ts';
import { integerOption, printResult, schemaOption, withDatabase } from '../context.ts';
import { renderVersionLine } from './train.ts';

/** A version number argument or flag: an id, checked as the HTTP routes check one. */
export const versionArgument = schemaOption('version', idInput, 'number');

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function renderList(versions: ModelVersion[]): string {
  if (!versions.length) return 'no model versions yet: movienight train --model baseline';
  return versions.map((v) => `${when(v.createdAt)}  ${renderVersionLine(v)}`).join('\n');
}

function renderShow(r: { version: ModelVersion; history: AliasHistoryEntry[] }): string {
  const v = r.version;
  const t = v.training;
  const lines = [
    renderVersionLine(v),
    `created      ${when(v.createdAt)}`,
    `params       ${JSON.stringify(v.params)}`,
    `training     ${t.rows} ratings${t.from === null ? '' : ` from ${when(t.from)} to ${when(t.to ?? t.from)}`}, fingerprint ${t.fingerprint.slice(0, 16)}…`,
    `lineage      parent ${v.parentVersion === null ? '–' : `v${v.parentVersion}`}, tuning run ${v.tuningRunId ?? '–'}${v.tuningTrialNumber === null ? '' : ` trial ${v.tuningTrialNumber}`}`,
    `metrics      ${
      Object.keys(v.metrics).length
        ? Object.entries(v.metrics)
            .map(([k, x]) => `${k} ${x.toPrecision(4)}`)
            .join(', ')
        : '–'
    }`,
    `artifact     ${v.artifact ? `${v.artifact.bytes} bytes, format ${v.artifact.format}, sha256 ${v.artifact.checksum.slice(0, 16)}…` : 'removed (pruned)'}`,
  ];
  if (r.history.length) lines.push('alias moves:', ...r.history.map(renderHistoryLine));
  return lines.join('\n');
}

function renderHistoryLine(h: AliasHistoryEntry): string {
  const move = `${h.previousVersion === null ? '–' : `v${h.previousVersion}`} → ${h.newVersion === null ? '–' : `v${h.newVersion}`}`;
  return `${when(h.movedAt)}  ${h.alias.padEnd(10)} ${move.padEnd(10)} ${h.action.padEnd(11)} ${h.reason}`;
}

function renderChange(c: AliasChange): string {
  if (c.unchanged) return `v${c.current} already is the champion`;
  const stopped =
    c.stoppedAbTest === null ? '' : `\nA/B test #${c.stoppedAbTest} was stopped (its champion changed)`;
  return `champion: ${c.previous === null ? '–' : `v${c.previous}`} → v${c.current}${stopped}`;
}

function renderPrune(r: PruneResult): string {
  const lines = [
    r.pruned.length
      ? `pruned the artifacts of ${r.pruned.map((v) => `v${v}`).join(', ')}`
      : 'nothing to prune',
  ];
  for (const p of r.protectedVersions) lines.push(`kept v${p.version}: ${p.why}`);
  return lines.join('\n');
}

/**
 * `movienight versions list | show <v> | activate <v> | rollback | history | prune --keep N`.
 * It is long because it declares every `versions` subcommand and its options in one commander chain; the work is in src/registry.
 */
export function versionsCommand(program: Command): void {
  const versions = program
    .command('versions')
    .description('Model versions, the champion alias and its history');
  versions
    .command('list')
    .description('Every version, newest first, with its aliases')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      printResult(opts.json, await withDatabase(command, listVersions), renderList);
    });
  versions
    .command('show <version>')
    .description('One version: params, training data, lineage, metrics, artifact, alias moves')
    .option('--json', 'print as JSON')
    .action(async (v: string, opts: { json?: boolean }, command: Command) => {
      const version = versionArgument(v);
      const result = await withDatabase(command, async (db) => ({
        version: await getVersion(db, version),
        history: (await aliasHistory(db)).filter(
          (h) => h.newVersion === version || h.previousVersion === version,
        ),
      }));
      printResult(opts.json, result, renderShow);
    });
  versions
    .command('activate <version>')
    .description('Make a version champion (its artifact is verified first)')
    .option('--reason <text>', 'why, for the history', 'manual activation')
    .option('--json', 'print as JSON')
    .action(async (v: string, opts: { reason: string; json?: boolean }, command: Command) => {
      const version = versionArgument(v);
      const change = await withDatabase(command, (db) =>
        activateVersion(db, version, { reason: opts.reason }),
      );
      printResult(opts.json, change, renderChange);
    });
  versions
    .command('rollback')
    .description('Return to the previous champion in one step')
    .option('--reason <text>', 'why, for the history')
    .option('--json', 'print as JSON')
    .action(async (opts: { reason?: string; json?: boolean }, command: Command) => {
      const change = await withDatabase(command, (db) =>
        rollback(db, opts.reason ? { reason: opts.reason } : {}),
      );
      printResult(opts.json, change, renderChange);
    });
  versions
    .command('history')
    .description('Every move of the champion and challenger aliases, oldest first')
    .option('--alias <name>', 'champion or challenger only')
    .option('--limit <n>', 'the newest n moves', integerOption('--limit', 1))
    .option('--json', 'print as JSON')
    .action(async (opts: { alias?: string; limit?: number; json?: boolean }, command: Command) => {
      if (opts.alias !== undefined && opts.alias !== 'champion' && opts.alias !== 'challenger') {
        throw new InvalidInputError(
          `--alias must be champion or challenger, got ${JSON.stringify(opts.alias)}`,
        );
      }
      const alias = opts.alias as 'champion' | 'challenger' | undefined;
      const history = await withDatabase(command, (db) =>
        aliasHistory(db, { ...(alias ? { alias } : {}), ...(opts.limit ? { limit: opts.limit } : {}) }),
      );
      printResult(opts.json, history, (h) =>
        h.length ? h.map(renderHistoryLine).join('\n') : 'no alias moves yet',
      );
    });
  versions
    .command('prune')
    .description(
      'Remove the artifacts of all but the newest N versions (never champion, challenger, a running test, the rollback target)',
    )
    .requiredOption('--keep <n>', 'versions to keep', integerOption('--keep', 0))
    .option('--json', 'print as JSON')
    .action(async (opts: { keep: number; json?: boolean }, command: Command) => {
      const result = await withDatabase(command, (db) => pruneVersions(db, { keep: opts.keep }));
      printResult(opts.json, result, renderPrune);
    });
}
