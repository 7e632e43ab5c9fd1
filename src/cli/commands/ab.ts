import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import type { AbAnalysis, ArmStatistics } from '../../experiments/ab-analysis.ts';
import {
  type AbDecisionResult,
  type AbEvaluation,
  type AbTest,
  decideAbTest,
  evaluateAbTest,
  getRunningAbTest,
  listAbTests,
  startAbTest,
  stopAbTest,
} from '../../experiments/ab-tests.ts';
import type { Estimate } from '../../experiments/statistics.ts';
import { integerOption, numberOption, printResult, withDatabase } from '../context.ts';
import { versionArgument } from './versions.ts';

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '–');
const interval = (e: Estimate, f: (x: number) => string) => `${f(e.value)} [${f(e.low)}, ${f(e.high)}]`;
const num = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '–');
const signedPct = (x: number) =>
  Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} pts` : '–';
const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function renderTest(t: AbTest): string {
  const head = `A/B test #${t.id}: challenger v${t.challengerVersion} against champion v${t.championVersion}, ${pct(t.traffic)} of users to the challenger`;
  const rules = `min ${t.minSamples} rated recommendations per arm, max ${t.maxDays} days, activate at +${pct(t.policy.autoActivateThreshold)} relative accuracy (mSPRT α ${t.policy.alpha}, τ ${t.policy.tau})`;
  const state =
    t.status === 'running'
      ? `running since ${when(t.startedAt)}`
      : `${t.decision} at ${when(t.endedAt ?? t.startedAt)}: ${t.decisionReason ?? ''}`;
  return [head, rules, state].join('\n');
}

function armLine(name: string, version: number, a: ArmStatistics): string {
  return `${name.padEnd(11)} v${String(version).padEnd(4)} users ${String(a.users).padStart(6)}  served ${String(a.served).padStart(7)}  rated n ${String(a.n).padStart(6)}  accuracy ${interval(a.accuracy, pct)}  RMSE ${interval(a.rmse, num)}  liked ${interval(a.likedRate, pct)}`;
}

export function renderAnalysis(test: AbTest, a: AbAnalysis): string {
  const d = a.difference;
  const s = a.sequential;
  return [
    renderTest(test),
    `elapsed ${a.elapsedDays.toFixed(2)} days`,
    armLine('champion', test.championVersion, a.arms.champion),
    armLine('challenger', test.challengerVersion, a.arms.challenger),
    `difference (challenger − champion, 95 %): accuracy ${signedPct(d.accuracy.value)} [${signedPct(d.accuracy.low)}, ${signedPct(d.accuracy.high)}], RMSE ${num(d.rmse.value)} [${num(d.rmse.low)}, ${num(d.rmse.high)}], liked rate ${signedPct(d.likedRate.value)} [${signedPct(d.likedRate.low)}, ${signedPct(d.likedRate.high)}]`,
    `relative accuracy improvement ${pct(a.relativeAccuracyImprovement)} (threshold ${pct(a.policy.autoActivateThreshold)})`,
    `sequential test (${s.method}, α ${s.alpha}, τ ${s.tau}): Λ ${s.likelihoodRatio.toPrecision(3)}, always-valid p ${s.pValue.toPrecision(3)}, accuracy difference ${signedPct(d.accuracy.value)} in [${signedPct(s.low)}, ${signedPct(s.high)}] — ${s.significant ? 'significant' : 'not significant'}`,
    `sample ratio: ${a.srm.observed.champion}:${a.srm.observed.challenger} users, expected ${a.srm.expected.champion.toFixed(1)}:${a.srm.expected.challenger.toFixed(1)}, chi-square ${a.srm.chiSquare.toFixed(2)}, p ${a.srm.pValue.toPrecision(3)} — ${a.srm.mismatch ? `MISMATCH (p < ${a.srm.threshold}): decisions blocked` : 'ok'}`,
    `minimum sample ${a.policy.minSamples} per arm: ${a.enoughSamples ? 'reached' : 'not reached'}`,
    `verdict: ${a.verdict.action.toUpperCase()} — ${a.verdict.reason}`,
  ].join('\n');
}

function renderDecision(r: AbDecisionResult | (AbEvaluation & { applied: null; dryRun: true })): string {
  const applied =
    r.applied === 'activated'
      ? `\napplied: v${r.test.challengerVersion} is now the champion`
      : r.applied === 'discarded'
        ? `\napplied: v${r.test.challengerVersion} discarded; v${r.test.championVersion} stays champion`
        : 'dryRun' in r
          ? '\n(dry run: nothing applied)'
          : '\nnothing to apply: the test keeps running';
  return `${renderAnalysis(r.test, r.analysis)}${applied}`;
}

/** `movienight ab start | status | validate | stop`: champion against challenger on live users. */
export function abCommand(program: Command): void {
  const ab = program
    .command('ab')
    .description('A/B tests: the champion against one challenger on live users');
  ab.command('start')
    .description('Start a test (one at a time); the challenger alias is set')
    .requiredOption('--challenger <version>', 'the version to test', versionArgument)
    .option(
      '--traffic <share>',
      'share of users sent to the challenger',
      numberOption('--traffic', 0, 1),
      0.5,
    )
    .option(
      '--min-samples <n>',
      'rated recommendations per arm before any decision',
      integerOption('--min-samples', 1),
    )
    .option(
      '--max-days <d>',
      'discard the challenger after this many days without a winner',
      numberOption('--max-days', 0),
    )
    .option('--json', 'print as JSON')
    .action(
      async (
        opts: { challenger: number; traffic: number; minSamples?: number; maxDays?: number; json?: boolean },
        command: Command,
      ) => {
        const config = loadConfig();
        const test = await withDatabase(command, (db) =>
          startAbTest(db, {
            challengerVersion: opts.challenger,
            traffic: opts.traffic,
            autoActivateThreshold: config.autoActivateThreshold,
            ...(opts.minSamples !== undefined ? { minSamples: opts.minSamples } : {}),
            ...(opts.maxDays !== undefined ? { maxDays: opts.maxDays } : {}),
          }),
        );
        printResult(opts.json, test, renderTest);
      },
    );
  ab.command('status')
    .description('The running test with its current numbers, and the past tests')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const result = await withDatabase(command, async (db) => {
        const running = await getRunningAbTest(db);
        return {
          running: running ? await evaluateAbTest(db, { testId: running.id }) : null,
          tests: await listAbTests(db),
        };
      });
      printResult(opts.json, result, (r) => {
        const lines: string[] = [];
        if (r.running) lines.push(renderAnalysis(r.running.test, r.running.analysis));
        else lines.push('no A/B test is running');
        const past = r.tests.filter((t) => t.status !== 'running');
        if (past.length)
          lines.push(
            '',
            'past tests:',
            ...past.map(
              (t) =>
                `#${t.id} v${t.challengerVersion} vs v${t.championVersion}: ${t.decision} — ${t.decisionReason ?? ''}`,
            ),
          );
        return lines.join('\n');
      });
    });
  ab.command('validate')
    .description(
      'Every statistic and the verdict with its reason; applies it (activate or discard) unless --dry-run',
    )
    .option('--dry-run', 'only print; change nothing')
    .option('--json', 'print as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }, command: Command) => {
      const result = await withDatabase(command, async (db) => {
        if (opts.dryRun) return { ...(await evaluateAbTest(db)), applied: null, dryRun: true as const };
        const decided = await decideAbTest(db);
        // No running test: say so the same way evaluate does.
        return decided ?? { ...(await evaluateAbTest(db)), applied: null, dryRun: true as const };
      });
      printResult(opts.json, result, renderDecision);
    });
  ab.command('stop')
    .description('Stop the running test without a verdict; the champion stays')
    .option('--reason <text>', 'why, for the record', 'stopped by hand')
    .option('--json', 'print as JSON')
    .action(async (opts: { reason: string; json?: boolean }, command: Command) => {
      const result = await withDatabase(command, (db) => stopAbTest(db, { reason: opts.reason }));
      printResult(opts.json, result, (r) => `${renderAnalysis(r.test, r.analysis)}`);
    });
}
