import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { likeThreshold } from '../../data/rating-scale.ts';
import { ratingScaleOf } from '../../data/rating-scale-of.ts';
import type { AbAnalysis, ArmStatistics } from '../../experiments/ab-analysis.ts';
import {
  type AbDecisionResult,
  type AbEvaluation,
  type AbTest,
  type AbTestMethod,
  decideAbTest,
  evaluateAbTest,
  getRunningAbTest,
  listAbTests,
  startAbTest,
  stopAbTest,
} from '../../experiments/ab-tests.ts';
import { describeInterleaving, type InterleavedAbAnalysis } from '../../experiments/interleaving.ts';
import type { OpeEstimate } from '../../experiments/off-policy-estimation.ts';
import { type ScreenResult, screenChallengerOffPolicy } from '../../experiments/ope-screening.ts';
import type { Estimate } from '../../experiments/statistics.ts';
import { abTestSettingsInput } from '../../input-schemas.ts';
import { numberOption, printResult, schemaOption, withDatabase } from '../context.ts';
import { versionArgument } from './versions.ts';

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '–');
const interval = (e: Estimate, f: (x: number) => string) => `${f(e.value)} [${f(e.low)}, ${f(e.high)}]`;
const num = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '–');
const signedPct = (x: number) =>
  Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} pts` : '–';
const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function renderTest(t: AbTest): string {
  const head =
    t.method === 'interleave'
      ? `interleaving test #${t.id}: challenger v${t.challengerVersion} against champion v${t.championVersion}, team-draft lists for every user`
      : `A/B test #${t.id}: challenger v${t.challengerVersion} against champion v${t.championVersion}, ${pct(t.traffic)} of users to the challenger`;
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
    ...('interleaving' in a ? [describeInterleaving((a as InterleavedAbAnalysis).interleaving)] : []),
    `minimum sample ${a.policy.minSamples} ${test.method === 'interleave' ? 'users' : 'per arm'}: ${a.enoughSamples ? 'reached' : 'not reached'}`,
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

function renderEstimate(name: string, version: number, e: OpeEstimate): string {
  const m = (label: string, x: { snips: Estimate; dr: Estimate }) =>
    `${label} SNIPS ${interval(x.snips, pct)}, doubly robust ${interval(x.dr, pct)}`;
  return `${name.padEnd(11)} v${String(version).padEnd(4)} ${m('accuracy', e.accuracy)}; ${m('hit rate', e.hitRate)}; ${e.matched} of ${e.targetItems} list movies logged, ESS ${e.effectiveSampleSize.toFixed(0)}`;
}

export function renderScreen(r: ScreenResult): string {
  return [
    `off-policy estimate from ${when(r.windowStart)} to ${when(r.windowEnd)} (${r.champion.visits} logged visits of v${r.championVersion})`,
    renderEstimate('champion', r.championVersion, r.champion),
    renderEstimate('challenger', r.challengerVersion, r.challenger),
    `verdict: ${r.verdict.action === 'discard' ? 'DISCARD without an A/B test' : 'go on to an A/B test'} — ${r.verdict.reason}`,
    r.screening ? `recorded as screen #${r.screening.id}` : '(not recorded)',
  ].join('\n');
}

/**
 * `movienight ab start | status | validate | stop | estimate`: champion against challenger on live users.
 * It is long because it declares every `ab` subcommand and its options in one commander chain; the work is in src/experiments.
 */
export function abCommand(program: Command): void {
  const ab = program
    .command('ab')
    .description('A/B tests: the champion against one challenger on live users');
  ab.command('start')
    .description('Start a test (one at a time); the challenger alias is set')
    .requiredOption('--challenger <version>', 'the version to test', versionArgument)
    .option(
      '--method <method>',
      "'ab' (split users) or 'interleave' (team-draft lists for everyone)",
      schemaOption('--method', abTestSettingsInput.method),
      'ab',
    )
    .option(
      '--traffic <share>',
      'share of users sent to the challenger',
      schemaOption('--traffic', abTestSettingsInput.traffic, 'number'),
      0.5,
    )
    .option(
      '--min-samples <n>',
      'rated recommendations per arm before any decision',
      schemaOption('--min-samples', abTestSettingsInput.minSamples, 'number'),
    )
    .option(
      '--max-days <d>',
      'discard the challenger after this many days without a winner',
      schemaOption('--max-days', abTestSettingsInput.maxDays, 'number'),
    )
    .option('--json', 'print as JSON')
    .action(
      async (
        opts: {
          challenger: number;
          method: AbTestMethod;
          traffic: number;
          minSamples?: number;
          maxDays?: number;
          json?: boolean;
        },
        command: Command,
      ) => {
        const config = loadConfig();
        const test = await withDatabase(command, (db) =>
          startAbTest(db, {
            challengerVersion: opts.challenger,
            method: opts.method,
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
  estimateCommand(ab);
  ab.command('stop')
    .description('Stop the running test without a verdict; the champion stays')
    .option('--reason <text>', 'why, for the record', 'stopped by hand')
    .option('--json', 'print as JSON')
    .action(async (opts: { reason: string; json?: boolean }, command: Command) => {
      const result = await withDatabase(command, (db) => stopAbTest(db, { reason: opts.reason }));
      printResult(opts.json, result, (r) => `${renderAnalysis(r.test, r.analysis)}`);
    });
}

/** `movienight ab estimate --challenger V`: the off-policy screen, no users involved. */
function estimateCommand(ab: Command): void {
  ab.command('estimate')
    .description(
      "Off-policy estimate of a challenger's live accuracy and hit rate from the champion's logged window; records the screen (and discards a clearly worse challenger) unless --dry-run",
    )
    .requiredOption('--challenger <version>', 'the version to estimate', versionArgument)
    .option(
      '--window-days <d>',
      'logged window, days (default: config trainingWindowDays)',
      numberOption('--window-days', 0),
    )
    .option('--dry-run', 'only estimate; record and discard nothing')
    .option('--json', 'print as JSON')
    .action(
      async (
        opts: { challenger: number; windowDays?: number; dryRun?: boolean; json?: boolean },
        command: Command,
      ) => {
        const config = loadConfig();
        const result = await withDatabase(command, async (db) =>
          screenChallengerOffPolicy(db, opts.challenger, config, {
            likeThreshold: likeThreshold(await ratingScaleOf(db), config.likeThreshold),
            ...(opts.windowDays === undefined ? {} : { windowDays: opts.windowDays }),
            ...(opts.dryRun ? { dryRun: true } : {}),
          }),
        );
        printResult(opts.json, result, renderScreen);
      },
    );
}
