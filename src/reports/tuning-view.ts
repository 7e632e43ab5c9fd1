import { barChart } from '../charts/bar-chart.ts';
import { lineChart } from '../charts/line-chart.ts';
import { parallelCoordinates } from '../charts/parallel-coordinates.ts';
import { scatterChart } from '../charts/scatter-chart.ts';
import { htmlCharts, htmlKpis, htmlPage, htmlParagraph, htmlTable } from './html-page.ts';
import {
  bar,
  dateTime,
  heading,
  num,
  pct,
  sparkline,
  squeeze,
  type TerminalOptions,
  textTable,
} from './terminal.ts';
import type { TuningReport } from './tuning-report.ts';

/** Log axis when a numeric parameter is positive and spans two orders of magnitude or more. */
function looksLog(values: readonly number[]): boolean {
  const pos = values.filter((v) => v > 0);
  return pos.length === values.length && pos.length > 0 && Math.max(...pos) / Math.min(...pos) >= 100;
}

/** One scatter per varied parameter: its value against the objective (complete trials). */
export function parameterCharts(r: TuningReport): string[] {
  if (!r.run) return [];
  const complete = r.trials.filter((t) => t.state === 'complete' && t.value !== null);
  return r.params.map((param) => {
    const xs = complete.map((t) => t.params[param]);
    const numeric = xs.every((x) => typeof x === 'number');
    const categories = numeric ? undefined : [...new Set(xs.map((x) => String(x)))].sort();
    const points = complete.map((t) => ({
      x: numeric ? (t.params[param] as number) : categories!.indexOf(String(t.params[param])),
      y: t.value!,
      label: `trial ${t.number}`,
    }));
    return scatterChart({
      title: `${param} against ${r.run!.objective}`,
      xLabel: param,
      yLabel: r.run!.objective,
      width: 360,
      height: 260,
      series: [{ name: 'complete trials', points }],
      ...(categories ? { xCategories: categories } : {}),
      ...(numeric && looksLog(xs as number[]) ? { xLog: true } : {}),
    });
  });
}

/** The objective after each epoch of every trial with more than one (Optuna's intermediate values). */
export function learningCurves(r: TuningReport): string {
  const run = r.run;
  const curves = r.trials.filter((t) => t.intermediateValues.length > 1 && t.state !== 'failed').slice(0, 60);
  return lineChart({
    title: `Learning curves (${run?.objective ?? 'objective'} per epoch)`,
    xLabel: 'epoch',
    yLabel: run?.objective ?? 'objective',
    legend: false,
    series: curves.map((t) => ({
      name: `trial ${t.number} (${t.state})`,
      points: t.intermediateValues.map((v) => ({ x: v.step, y: v.value })),
      color: t.state === 'pruned' ? '#E69F00' : '#0072B2',
      markers: false,
    })),
  });
}

/** History, learning curves, importance and parallel coordinates (then `parameterCharts`). */
export function tuningCharts(r: TuningReport): string[] {
  if (!r.run) return [];
  const run = r.run;
  const complete = r.trials.filter((t) => t.state === 'complete' && t.value !== null);
  const pruned = r.trials.filter((t) => t.state === 'pruned' && t.value !== null);
  const history = lineChart({
    title: `Optimisation history (${run.objective}, ${run.direction})`,
    xLabel: 'trial',
    yLabel: run.objective,
    series: [
      { name: 'complete trial', points: complete.map((t) => ({ x: t.number, y: t.value! })), line: false },
      ...(pruned.length
        ? [
            {
              name: 'pruned (last value)',
              points: pruned.map((t) => ({ x: t.number, y: t.value! })),
              line: false,
            },
          ]
        : []),
      {
        name: 'best so far',
        points: r.bestSoFar.map((b) => ({ x: b.number, y: b.value })),
        color: '#D55E00',
      },
    ],
    ...(run.defaultValue !== null ? { threshold: { y: run.defaultValue, label: 'default params' } } : {}),
  });
  const imp = r.importance ?? [];
  const importance = barChart({
    title: 'Parameter importance (share of objective variance, ε²)',
    orientation: 'horizontal',
    xLabel: 'ε² (variance explained, corrected for the number of groups)',
    valueDomain: [0, 1],
    categories: imp.map((i) => i.param),
    series: [{ name: 'ε²', values: imp.map((i) => i.epsilon2) }],
  });
  const bestIndex = complete.findIndex((t) => t.number === run.bestTrialNumber);
  const parallel = parallelCoordinates({
    title: 'Parameters and objective of every complete trial',
    axes: [
      ...r.params.map((p) => ({
        name: p,
        log:
          looksLog(complete.map((t) => Number(t.params[p]))) &&
          complete.every((t) => typeof t.params[p] === 'number'),
      })),
      { name: run.objective },
    ],
    lines: complete.map((t) => ({
      values: [
        ...r.params.map((p) => t.params[p] ?? null).map((v) => (typeof v === 'boolean' ? String(v) : v)),
        t.value,
      ],
      label: `trial ${t.number}: ${run.objective} ${num(t.value)}`,
    })),
    ...(bestIndex >= 0 ? { highlight: bestIndex } : {}),
  });
  return [history, learningCurves(r), importance, parallel, ...parameterCharts(r)];
}

function runLine(r: NonNullable<TuningReport['run']>): string {
  return `Run ${r.id}: ${r.method} search of ${r.model}, ${r.direction} ${r.objective}; ${r.status}, ${r.trialsDone}/${r.trialsPlanned} trials, started ${dateTime(r.startedAt)}${r.endedAt ? `, ended ${dateTime(r.endedAt)}` : ''}.`;
}

function bestLine(r: NonNullable<TuningReport['run']>): string {
  if (r.bestValue === null) return 'No complete trial yet.';
  const vs = r.defaultValue === null ? '' : ` (default params: ${num(r.defaultValue)})`;
  return `Best: trial ${r.bestTrialNumber}, ${r.objective} ${num(r.bestValue)}${vs}, params ${JSON.stringify(r.bestParams)}.`;
}

/** The 15 best trials with their parameters. */
function trialLines(r: TuningReport, run: NonNullable<TuningReport['run']>): string[] {
  const out: string[] = [];
  out.push(heading('Trials (best first, top 15)'));
  const sign = run.direction === 'maximize' ? -1 : 1;
  const sorted = r.trials
    .filter((t) => t.value !== null)
    .sort((a, b) => sign * (a.value! - b.value!) || a.number - b.number)
    .slice(0, 15);
  out.push(
    textTable(
      ['trial', 'state', run.objective, ...r.params],
      sorted.map((t) => [
        String(t.number),
        t.state,
        num(t.value),
        ...r.params.map((p) => String(t.params[p] ?? '–')),
      ]),
    ),
  );
  return out;
}

export function renderTuningTerminal(r: TuningReport, options: TerminalOptions): string {
  const out = [heading('Tuning')];
  if (!r.run) {
    out.push('  No tuning run yet (run `movienight tune`).');
    return out.join('\n');
  }
  out.push(`  ${runLine(r.run)}`, `  ${bestLine(r.run)}`);
  out.push(
    `  Trials: ${r.states.complete} complete, ${r.states.pruned} pruned, ${r.states.failed} failed, ${r.states.running} running.`,
  );
  if (options.tty && r.bestSoFar.length > 1) {
    out.push(
      `  Objective per trial: ${sparkline(
        squeeze(
          r.trials.map((t) => (t.state === 'complete' ? t.value : null)),
          60,
        ),
      )}`,
    );
    out.push(
      `  Best so far:         ${sparkline(
        squeeze(
          r.bestSoFar.map((b) => b.value),
          60,
        ),
      )}`,
    );
  }
  out.push(heading('Parameter importance'));
  if (!r.importance) out.push('  Needs at least 3 complete trials with a varied parameter.');
  else
    out.push(
      textTable(
        ['parameter', 'ε²', 'η²', 'importance', ...(options.tty ? [''] : [])],
        r.importance.map((i) => [
          i.param,
          num(i.epsilon2, 3),
          num(i.eta2, 3),
          pct(i.importance),
          ...(options.tty ? [bar(i.importance, 1, 24)] : []),
        ]),
        ['l', 'r', 'r', 'r', 'l'],
      ),
    );
  out.push(...trialLines(r, r.run));
  if (r.otherRuns.length) {
    out.push(heading('Other recent runs'));
    out.push(
      textTable(
        ['run', 'model', 'status', 'best'],
        r.otherRuns.map((o) => [o.id, o.model, o.status, num(o.bestValue)]),
      ),
    );
  }
  return out.join('\n');
}

export function renderTuningHtml(r: TuningReport): string {
  if (!r.run) {
    return htmlPage({
      title: 'MovieNight — tuning',
      generatedAt: r.generatedAt,
      sections: [{ heading: 'No tuning run yet', html: htmlParagraph('Run `movienight tune` first.') }],
    });
  }
  const [history, curves, importance, parallel, ...perParam] = tuningCharts(r);
  return htmlPage({
    title: 'MovieNight — tuning',
    subtitle: runLine(r.run),
    generatedAt: r.generatedAt,
    sections: [
      {
        heading: 'Summary',
        html:
          htmlKpis([
            { label: `best ${r.run.objective}`, value: num(r.run.bestValue) },
            { label: 'default params', value: num(r.run.defaultValue) },
            { label: 'complete trials', value: String(r.states.complete) },
            { label: 'pruned', value: String(r.states.pruned) },
            { label: 'failed', value: String(r.states.failed) },
          ]) + htmlParagraph(bestLine(r.run)),
      },
      {
        heading: 'Optimisation history',
        html:
          htmlCharts([history!, curves!]) +
          htmlParagraph(
            'Right: the objective after each epoch of every trial (blue complete, orange pruned) — what the pruner compared.',
            'note',
          ),
      },
      {
        heading: 'Parameter importance',
        html:
          htmlCharts([importance!]) +
          htmlParagraph(
            'ε² is the share of the objective’s variance between groups of trials with similar values of the parameter (numeric values in equal-count bins of about three trials or more), corrected for the number of groups so that a parameter that does nothing scores about 0. It is a quick, model-free reading: with few trials it is noisy, and parameters sampled together can share credit.',
            'note',
          ),
      },
      { heading: 'Parameters against the objective', html: htmlCharts([parallel!, ...perParam]) },
      {
        heading: 'Trials',
        html: htmlTable(
          ['trial', 'state', r.run.objective, ...r.params, 'seconds'],
          r.trials.map((t) => [
            String(t.number),
            t.state,
            num(t.value),
            ...r.params.map((p) => String(t.params[p] ?? '–')),
            num(t.durationMs === null ? null : t.durationMs / 1000, 2),
          ]),
        ),
      },
    ],
  });
}
