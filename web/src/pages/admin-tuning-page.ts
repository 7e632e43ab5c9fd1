import { api } from '../api.ts';
import type { TuningRunDetail as RunDetail } from '../api-types.ts';
import { h } from '../dom.ts';
import { formatCount, formatDateTime, formatNumber } from '../format.ts';
import { chart, kv, reportCharts, section, table } from './admin-common.ts';
import { adminFrame } from './admin-versions-page.ts';

const show = (v: unknown) => (typeof v === 'number' ? formatNumber(v, 4) : String(v));

function summary(d: RunDetail): HTMLElement {
  const r = d.run;
  return kv([
    ['Model', `${r.model}, searched by ${r.method}`],
    ['Objective', `${r.objective} (${r.direction})`],
    ['Status', r.error ? `${r.status}: ${r.error}` : r.status],
    [
      'Trials',
      h(
        'span',
        {},
        h('progress', {
          max: Math.max(1, r.trialsPlanned),
          value: r.trialsDone,
          'aria-label': 'Trials done',
        }),
        ` ${formatCount(r.trialsDone)} of ${formatCount(r.trialsPlanned)}`,
      ),
    ],
    ['Best', r.bestValue === null ? '–' : `${formatNumber(r.bestValue, 4)} (trial ${r.bestTrialNumber})`],
    ['Started', formatDateTime(r.startedAt)],
    ['Ended', r.endedAt ? formatDateTime(r.endedAt) : 'still running'],
  ]);
}

function trialTable(d: RunDetail): HTMLElement {
  const names = [...new Set(d.trials.flatMap((t) => Object.keys(t.params)))].sort();
  return table(
    'Trials',
    ['#', 'State', d.run.objective, ...names, 'Seconds'],
    [...d.trials]
      .sort((a, b) => a.number - b.number)
      .map((t) => [
        String(t.number),
        t.number === d.run.bestTrialNumber ? `${t.state} (best)` : t.state,
        t.value === null ? '–' : formatNumber(t.value, 4),
        ...names.map((n) => (t.params[n] === undefined ? '–' : show(t.params[n]))),
        t.durationMs === null ? '–' : formatNumber(t.durationMs / 1000, 1),
      ]),
  );
}

/** Two selects of the run's numeric parameters and the contour plot of the objective over them. */
function contour(d: RunDetail): HTMLElement {
  const numeric = [
    ...new Set(
      d.trials.flatMap((t) =>
        Object.entries(t.params)
          .filter(([, v]) => typeof v === 'number')
          .map(([k]) => k),
      ),
    ),
  ].sort();
  if (numeric.length < 2) return h('p', { class: 'muted' }, 'A contour plot needs two numeric parameters.');
  const pick = (id: string, label: string, selected: string) =>
    h(
      'div',
      {},
      h('label', { for: id }, label),
      h('select', { id }, ...numeric.map((n) => h('option', { value: n, selected: n === selected }, n))),
    );
  const xBox = pick('contour-x', 'Across', numeric[0]!);
  const yBox = pick('contour-y', 'Up', numeric[1]!);
  const holder = h('div', {});
  const draw = () => {
    const x = xBox.querySelector('select')!.value;
    const y = yBox.querySelector('select')!.value;
    const query = `?run=${encodeURIComponent(d.run.id)}&x=${encodeURIComponent(x)}&y=${encodeURIComponent(y)}`;
    holder.replaceChildren(
      x === y
        ? h('p', { class: 'muted' }, 'Choose two different parameters.')
        : chart('tuning-contour', `${d.run.objective} over ${x} and ${y}`, query),
    );
  };
  xBox.addEventListener('change', draw);
  yBox.addEventListener('change', draw);
  draw();
  return h('div', {}, h('div', { class: 'form-row' }, xBox, yBox), holder);
}

/**
 * One tuning run, as optuna-dashboard shows a study: progress, the trial table, history,
 * importance, parallel coordinates, slices and a contour plot — redrawn every two seconds while
 * the run is running, from what the database holds.
 */
export function tuningRunPage(id: string): HTMLElement {
  let lastDone = -1;
  const liveArea = h('div', {});
  const charts = h('div', { class: 'grid-2' });
  const fetch = () => api<RunDetail>('GET', `/api/admin/tuning/runs/${encodeURIComponent(id)}`);
  const refresh = (d: RunDetail, first: boolean) => {
    liveArea.replaceChildren(summary(d), section('trials', 'Trials', trialTable(d)));
    if (first || d.run.trialsDone !== lastDone)
      reportCharts('tuning', `?run=${encodeURIComponent(id)}`, charts);
    lastDone = d.run.trialsDone;
    if (d.run.status === 'running') {
      setTimeout(() => {
        if (liveArea.isConnected)
          void fetch().then(
            (next) => refresh(next, false),
            () => undefined,
          );
      }, 2000);
    }
  };
  return adminFrame(`Tuning run ${id}`, fetch, (d) => {
    refresh(d, true);
    return [liveArea, section('charts', 'Charts', charts), section('contour', 'Contour plot', contour(d))];
  });
}
