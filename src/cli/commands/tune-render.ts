import type { Improvement } from '../../tuning/best-hp.ts';
import type { TuningReview } from '../../tuning/review.ts';
import type { TuningResult } from '../../tuning/run-tuning.ts';
import type { SuccessiveHalvingResult } from '../../tuning/successive-halving.ts';
import type { TuningWorkflowResult } from '../../tuning/workflow.ts';

const fmt = (v: number | null | undefined, digits = 4) =>
  v === null || v === undefined ? '—' : v.toFixed(digits);
const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : `${(v * 100).toFixed(2)} %`;

const signedPoints = (i: Improvement) =>
  `${i.points >= 0 ? '+' : ''}${i.points.toFixed(2)} points (${i.relative >= 0 ? '+' : ''}${(100 * i.relative).toFixed(2)} % relative)`;

/** The run's seed and where it came from, and the trials it copied from earlier runs. */
function renderProvenance(r: TuningResult): string[] {
  const c = r.run.config;
  const lines = [
    `  seed ${c.seed}${c.seedFromRunId ? ' (derived from the run id; --seed to choose one)' : ''}`,
  ];
  for (const u of r.reused)
    lines.push(
      `  reused ${u.trials} trial${u.trials === 1 ? '' : 's'} from run ${u.fromRun} (same data and folds: not measured again)`,
    );
  return lines;
}

/** The best trial and its improvement over the default configuration and the majority baseline. */
function renderBest(r: TuningResult): string[] {
  if (!r.best || !r.bestHp) return ['  no complete trial'];
  const b = r.bestHp;
  const m = b.metrics;
  const lines = [
    `  best: trial ${r.best.number}, ${r.run.objective} ${fmt(r.best.value)} (accuracy ${pct(m.accuracy)}, rmse ${fmt(m.rmse)})`,
    `  params: ${JSON.stringify(r.best.params)}`,
  ];
  const d = b.baseline.defaultMetrics;
  if (d) lines.push(`  default config: accuracy ${pct(d.accuracy)}, rmse ${fmt(d.rmse)}`);
  if (b.improvement.overDefault)
    lines.push(`  vs default config: ${signedPoints(b.improvement.overDefault)}`);
  if (b.improvement.overMajority)
    lines.push(
      `  vs majority baseline ${pct(b.baseline.majorityAccuracy)}: ${signedPoints(b.improvement.overMajority)}`,
    );
  return lines;
}

export function renderTuning(r: TuningResult): string {
  const lines = [
    `run ${r.run.id}: ${r.run.method} on ${r.run.model}, ${r.run.status}, ${r.run.trialsDone}/${r.run.trialsPlanned} trials`,
    `  states: ${['complete', 'pruned', 'failed'].map((s) => `${r.trials.filter((t) => t.state === s).length} ${s}`).join(', ')}`,
    ...renderProvenance(r),
    ...renderBest(r),
    r.bestHpWritten
      ? `  new best written to ${r.bestHpWritten}`
      : '  best_hp.json unchanged (not a new best)',
  ];
  if (r.run.status !== 'complete') lines.push(`  continue with: movienight tune --resume ${r.run.id}`);
  return lines.join('\n');
}

export function renderReview(r: TuningReview): string {
  const lines = [
    `run ${r.run.id}: ${r.run.method} on ${r.run.model}, objective ${r.run.objective} (${r.run.direction}), ${r.run.status}, ${r.run.trialsDone}/${r.run.trialsPlanned}`,
    '',
    'comparison:',
  ];
  for (const e of r.comparison) {
    lines.push(
      `  ${e.name.padEnd(18)} ${r.run.objective} ${fmt(e.value).padStart(7)}  accuracy ${pct(e.accuracy).padStart(9)}  rmse ${fmt(e.rmse).padStart(7)}${e.vsMajority !== null ? `  vs majority ${e.vsMajority >= 0 ? '+' : ''}${(e.vsMajority * 100).toFixed(2)} pts` : ''}${e.note ? `  (${e.note})` : ''}`,
    );
  }
  lines.push('', 'top trials:');
  for (const t of r.topTrials)
    lines.push(
      `  #${String(t.number).padEnd(4)} ${fmt(t.value)}  rmse ${fmt(t.rmse)}  ${JSON.stringify(t.params)}`,
    );
  lines.push('', 'parameter importance (η²):');
  if (r.importance)
    for (const p of r.importance)
      lines.push(
        `  ${p.param.padEnd(14)} ${'█'.repeat(Math.round(p.importance * 30)).padEnd(30)} ${p.importance.toFixed(2)}`,
      );
  else lines.push('  too few complete trials');
  lines.push('', 'convergence (best so far):');
  const c = r.convergence;
  const marks = c.filter((p, i) => i === 0 || p.value !== c[i - 1]!.value);
  lines.push(`  ${marks.map((p) => `#${p.number}: ${fmt(p.value)}`).join(' → ') || '—'}`);
  lines.push(
    `  states: ${Object.entries(r.states)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
  );
  return lines.join('\n');
}

export function renderWorkflow(r: TuningWorkflowResult): string {
  return [
    renderTuning(r.first),
    renderTuning(r.bayesian),
    r.best
      ? `overall best: trial ${r.best.trial.number} of ${r.best.runId}, value ${fmt(r.best.trial.value)}`
      : 'no best',
    r.version
      ? `registered as version ${r.version.version} (reason tuned${r.version.aliases.length ? `, ${r.version.aliases.join(', ')}` : ''}) after a ${fmt(r.refitSeconds, 1)} s refit on all ratings`
      : 'not registered',
  ].join('\n');
}

/** A rung's fidelity in words: "33.3% of the ratings", with its share of the epochs when not all. */
export function describeFidelity(rung: { readonly share: number; readonly epochShare?: number }): string {
  const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
  const epochs = rung.epochShare ?? 1;
  return `${percent(rung.share)} of the ratings${epochs < 1 ? ` at ${percent(epochs)} of each configuration's epochs` : ''}`;
}

/** Successive halving: each rung's run (its shares of the ratings and epochs), then the refitted best. */
export function renderHalving(r: SuccessiveHalvingResult): string {
  const rungs = r.rungs.map(
    (rung) => `rung at ${describeFidelity(rung.run.config.fidelity ?? { share: 1 })}:\n${renderTuning(rung)}`,
  );
  return [
    ...rungs,
    r.best
      ? `best on all ratings: trial ${r.best.trial.number} of ${r.best.runId}, value ${fmt(r.best.trial.value)}`
      : 'no complete trial on all ratings',
    r.version
      ? `registered as version ${r.version.version} (reason tuned) after a ${fmt(r.refitSeconds, 1)} s refit on all ratings`
      : 'not registered',
  ].join('\n');
}
