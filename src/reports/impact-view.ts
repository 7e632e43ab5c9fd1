import { barChart } from '../charts/bar-chart.ts';
import { flowchart } from '../charts/flowchart.ts';
import { formatNumber } from '../charts/svg.ts';
import { htmlCharts, htmlKpis, htmlPage, htmlParagraph, htmlTable } from './html-page.ts';
import type { ImpactArm, ImpactReport } from './impact-report.ts';
import { bar, dateTime, delta, heading, num, pct, type TerminalOptions, textTable } from './terminal.ts';

const percent = (v: number) => `${formatNumber(Math.round(v * 1000) / 10)} %`;

function allArms(r: ImpactReport): ImpactArm[] {
  return [...r.arms, ...r.scenarios];
}

/** The flowchart of the training data flow with the live counts on its arrows. */
export function trainingFlowChart(r: ImpactReport): string {
  const f = r.flow;
  const expected = f.ratings - f.unexpectedRatings;
  return flowchart({
    title: 'Training data flow (live counts)',
    nodes: [
      { id: 'served', label: 'recommendations', detail: `${f.served} served`, column: 0, row: 0 },
      { id: 'rating', label: 'ratings', detail: `${f.ratings} stored`, column: 1, row: 0 },
      { id: 'tracker', label: 'tracker', detail: `${f.tracked} tracked`, column: 2, row: 0 },
      {
        id: 'train',
        label: 'training set',
        detail: `${r.split.trainSize} before the cut`,
        column: 1,
        row: 1,
      },
      {
        id: 'version',
        label: 'model version',
        detail: f.championVersion === null ? 'no champion' : `champion v${f.championVersion}`,
        column: 2,
        row: 1,
      },
      { id: 'ab', label: 'A/B test', detail: `${f.abTestsRunning} running`, column: 3, row: 1 },
    ],
    edges: [
      { from: 'served', to: 'rating', label: `${expected} of recommended` },
      { from: 'rating', to: 'tracker', label: `${f.trackedUnexpected} unexpected` },
      { from: 'rating', to: 'train', label: `${r.split.trainUnexpected} unexpected in` },
      { from: 'train', to: 'version', label: `${f.versions} versions` },
      { from: 'version', to: 'ab', label: `${f.abTests} tests` },
    ],
  });
}

/** The report's charts as SVG strings (HTML page and web dashboard). */
export function impactCharts(r: ImpactReport): string[] {
  const arms = allArms(r);
  const names = arms.map((a) => a.name);
  return [
    barChart({
      title: 'Rating error per arm (lower is better)',
      categories: names,
      orientation: 'horizontal',
      xLabel: 'error on the shared test set',
      series: [
        { name: 'RMSE', values: arms.map((a) => a.metrics.rmse) },
        { name: 'MAE', values: arms.map((a) => a.metrics.mae) },
      ],
    }),
    barChart({
      title: 'Accuracy and ranking per arm (higher is better)',
      categories: names,
      orientation: 'horizontal',
      valueFormat: percent,
      xLabel: `share (ranking metrics @${r.split.k})`,
      series: [
        { name: 'liked accuracy', values: arms.map((a) => a.metrics.accuracy) },
        { name: `precision@${r.split.k}`, values: arms.map((a) => a.metrics.precision) },
        { name: `NDCG@${r.split.k}`, values: arms.map((a) => a.metrics.ndcg) },
      ],
    }),
    barChart({
      title: 'RMSE change against training with unexpected ratings',
      categories: r.deltas.map((d) => arms.find((a) => a.key === d.key)?.name ?? d.key),
      orientation: 'horizontal',
      xLabel: 'RMSE difference (positive = worse)',
      series: [{ name: 'Δ RMSE', values: r.deltas.map((d) => d.rmse), color: '#D55E00' }],
    }),
    trainingFlowChart(r),
  ];
}

function armRows(arms: readonly ImpactArm[], k: number): { headers: string[]; rows: string[][] } {
  return {
    headers: [
      'arm',
      'train rows',
      'unexpected',
      'RMSE',
      'MAE',
      'accuracy',
      `P@${k}`,
      `R@${k}`,
      `NDCG@${k}`,
      'coverage',
      'RMSE rec.',
      'RMSE unexp.',
      'fit s',
    ],
    rows: arms.map((a) => [
      a.name,
      String(a.trainSize),
      pct(a.unexpectedShare),
      num(a.metrics.rmse),
      num(a.metrics.mae),
      pct(a.metrics.accuracy, 2),
      num(a.metrics.precision),
      num(a.metrics.recall),
      num(a.metrics.ndcg),
      pct(a.metrics.coverage),
      num(a.metrics.rmseRecommended),
      num(a.metrics.rmseUnexpected),
      num(a.fitSeconds, 2),
    ]),
  };
}

/** A paired difference, with its spread over the repeats when there were several. */
function withSd(value: number, spread: number, repeats: number): string {
  return repeats > 1 ? `${delta(value)} ± ${spread.toFixed(4)}` : delta(value);
}

function modelLine(r: ImpactReport): string {
  const src =
    r.model.source === 'champion'
      ? `the champion's configuration (version ${r.model.version})`
      : r.model.source === 'given'
        ? 'the configuration given'
        : 'default parameters (no champion yet)';
  const seeds =
    r.repeats > 1
      ? `seeds ${r.seed}…${r.seed + r.repeats - 1} (means of ${r.repeats} paired fits per arm; ± is the standard deviation over them)`
      : `seed ${r.seed}`;
  return `Model: ${r.model.kind} with ${src}: ${JSON.stringify(r.model.params)}; ${seeds}.`;
}

function splitLine(r: ImpactReport): string {
  const s = r.split;
  return `Temporal split at ${dateTime(s.cutAt)}: ${s.trainSize} training ratings (${s.trainUnexpected} unexpected), ${s.testSize} test ratings (${s.testUnexpected} unexpected), the same ${s.testSize} for every arm (fingerprint ${s.testFingerprint}).`;
}

function weightsLine(r: ImpactReport): string | undefined {
  if (r.weightsIgnored === null) return undefined;
  return r.weightsIgnored
    ? `The ${r.model.kind} model ignores rating weights: the down-weighted arm equals the "with" arm and says nothing.`
    : `The ${r.model.kind} model uses rating weights.`;
}

export function renderImpactTerminal(r: ImpactReport, options: TerminalOptions): string {
  const out: string[] = [heading('Training impact of unexpected-movie ratings')];
  out.push(`  ${modelLine(r)}`, `  ${splitLine(r)}`);
  const w = weightsLine(r);
  if (w) out.push(`  ${w}`);
  const t = armRows(allArms(r), r.split.k);
  out.push(heading('Arms on the shared test set'), textTable(t.headers, t.rows));
  out.push(heading('Against training with unexpected ratings'));
  const maxAbs = Math.max(1e-12, ...r.deltas.map((d) => Math.abs(d.rmse)));
  out.push(
    textTable(
      ['arm', 'Δ RMSE', 'Δ accuracy', `Δ NDCG@${r.split.k}`, ...(options.tty ? ['|Δ RMSE|'] : [])],
      r.deltas.map((d) => [
        allArms(r).find((a) => a.key === d.key)?.name ?? d.key,
        withSd(d.rmse, d.rmseSd, r.repeats),
        delta(d.accuracy),
        withSd(d.ndcg, d.ndcgSd, r.repeats),
        ...(options.tty ? [bar(Math.abs(d.rmse), maxAbs, 20)] : []),
      ]),
      ['l', 'r', 'r', 'r', 'l'],
    ),
  );
  for (const s of r.skippedScenarios) out.push(`  Scenario "${s.key}" skipped: ${s.reason}.`);
  const f = r.flow;
  out.push(heading('Training data flow'));
  out.push(
    `  recommendations served (${f.served}) → ratings (${f.ratings}, ${f.unexpectedRatings} unexpected) → tracker (${f.tracked} tracked, ${f.trackedUnexpected} unexpected)`,
    `  ratings → training set (${r.split.trainSize} before the cut, ${r.split.trainUnexpected} unexpected) → model versions (${f.versions}; champion ${f.championVersion === null ? 'none' : `v${f.championVersion}`}) → A/B tests (${f.abTests}, ${f.abTestsRunning} running)`,
  );
  return out.join('\n');
}

export function renderImpactHtml(r: ImpactReport): string {
  const [errorChart, qualityChart, deltaChart, flow] = impactCharts(r);
  const t = armRows(allArms(r), r.split.k);
  const withArm = r.arms[0]!;
  const without = r.arms.find((a) => a.key === 'without');
  const w = weightsLine(r);
  return htmlPage({
    title: 'MovieNight — training impact of unexpected movies',
    subtitle: modelLine(r),
    generatedAt: r.generatedAt,
    sections: [
      {
        heading: 'Summary',
        html:
          htmlKpis([
            { label: 'RMSE with unexpected', value: num(withArm.metrics.rmse) },
            { label: 'RMSE without', value: num(without?.metrics.rmse) },
            { label: 'accuracy with', value: pct(withArm.metrics.accuracy, 2) },
            { label: 'accuracy without', value: pct(without?.metrics.accuracy, 2) },
            { label: 'unexpected share of training', value: pct(withArm.unexpectedShare) },
          ]) +
          htmlParagraph(splitLine(r), 'note') +
          (w ? htmlParagraph(w, 'note') : ''),
      },
      {
        heading: 'Arms on the shared test set',
        html: htmlCharts([errorChart!, qualityChart!]) + htmlTable(t.headers, t.rows),
      },
      {
        heading: 'Scenarios: unexpected share halved and doubled',
        html:
          htmlCharts([deltaChart!]) +
          htmlTable(
            ['arm', 'Δ RMSE', 'Δ accuracy', `Δ NDCG@${r.split.k}`],
            r.deltas.map((d) => [
              allArms(r).find((a) => a.key === d.key)?.name ?? d.key,
              withSd(d.rmse, d.rmseSd, r.repeats),
              delta(d.accuracy),
              withSd(d.ndcg, d.ndcgSd, r.repeats),
            ]),
          ) +
          r.skippedScenarios
            .map((s) => htmlParagraph(`Scenario "${s.key}" skipped: ${s.reason}.`, 'note'))
            .join(''),
      },
      { heading: 'Training data flow', html: htmlCharts([flow!]) },
    ],
  });
}
