import { api } from '../api.ts';
import type { TuningRunDetail as RunAnswer, RetrainTriggerDetail as TriggerAnswer } from '../api-types.ts';
import { errorText, h } from '../dom.ts';
import { formatCount } from '../format.ts';
import { redraw } from '../session.ts';

/** A job's state as read from the database (a trigger, a tuning run) or from a running request. */
export interface JobState {
  readonly text: string;
  readonly done: number | null;
  readonly total: number | null;
  /** Settled: finished or failed. */
  readonly ended: boolean;
  readonly failed: boolean;
}

/** Live job panels; kept across redraws of the dashboard, so a job's progress is never lost. */
export const jobsBox = h('div', { class: 'jobs', 'aria-live': 'polite' });
const watching = new Set<string>();

function panel(title: string): { root: HTMLElement; update(state: JobState): void } {
  const bar = h('progress', { 'aria-label': `${title} progress` });
  const words = h('p', {}, 'Starting…');
  const dismiss = h('button', { type: 'button', class: 'link-button', hidden: true }, 'Dismiss');
  const root = h(
    'div',
    { class: 'job', 'data-job-state': 'running' },
    h('h2', { class: 'job-title' }, title),
    bar,
    words,
    dismiss,
  );
  dismiss.addEventListener('click', () => root.remove());
  return {
    root,
    update(state) {
      if (state.total !== null && state.done !== null) {
        bar.max = Math.max(1, state.total);
        bar.value = Math.min(state.done, state.total);
      } else if (state.ended) {
        bar.max = 1;
        bar.value = 1;
      } else bar.removeAttribute('value');
      words.textContent = state.text;
      root.dataset.jobState = state.failed ? 'failed' : state.ended ? 'finished' : 'running';
      dismiss.hidden = !state.ended;
    },
  };
}

/**
 * Shows a job's live progress by asking for its real state every second until it has ended
 * (a retrain trigger or tuning run as the database records it, whichever process runs it), then
 * redraws the dashboard so every section shows the result.
 */
export function watchJob(key: string, title: string, poll: () => Promise<JobState>): void {
  if (watching.has(key)) return;
  watching.add(key);
  const view = panel(title);
  jobsBox.prepend(view.root);
  const tick = async () => {
    let state: JobState;
    try {
      state = await poll();
    } catch (error) {
      state = {
        text: errorText(error, 'read the job’s progress'),
        done: null,
        total: null,
        ended: false,
        failed: false,
      };
    }
    view.update(state);
    if (!state.ended) setTimeout(tick, 1000);
    else {
      watching.delete(key);
      redraw();
    }
  };
  void tick();
}

/** A retrain's steps so far: "data done, fit running". */
export function watchRetrain(id: number): void {
  watchJob(`retrain-${id}`, `Retrain #${id}`, async () => {
    const { trigger, steps } = await api<TriggerAnswer>('GET', `/api/admin/retrain/triggers/${id}`);
    const ended = trigger.status !== 'pending' && trigger.status !== 'running';
    const done = steps.filter((s) => s.status === 'done').length;
    const current = steps.find((s) => s.status === 'running');
    let text: string;
    if (trigger.status === 'pending') text = 'Waiting for a worker to take it…';
    else if (!ended)
      text = `Step ${done + 1}: ${current?.step ?? 'starting'} (${done} done: ${
        steps
          .filter((s) => s.status === 'done')
          .map((s) => s.step)
          .join(', ') || 'none yet'
      })`;
    else if (trigger.status === 'succeeded')
      text = `Finished: ${trigger.outcome ?? 'done'}${trigger.newVersion ? ` — new version v${trigger.newVersion}` : ''}.`;
    else text = `Ended ${trigger.status}: ${trigger.error ?? trigger.outcome ?? 'no reason recorded'}.`;
    return {
      text,
      done: ended ? 1 : done,
      total: ended ? 1 : done + 1,
      ended,
      failed: ended && trigger.status !== 'succeeded',
    };
  });
}

/** A tuning run: trials done of planned, the best value so far. */
export function watchTuning(id: string): void {
  watchJob(`tuning-${id}`, `Tuning run ${id}`, async () => {
    const { run } = await api<RunAnswer>('GET', `/api/admin/tuning/runs/${encodeURIComponent(id)}`);
    const ended = run.status !== 'running';
    const best = run.bestValue === null ? '' : `, best ${run.objective} ${run.bestValue.toFixed(4)}`;
    const text = ended
      ? `${run.status === 'complete' ? 'Finished' : `Ended ${run.status}`}: ${formatCount(run.trialsDone)} of ${formatCount(run.trialsPlanned)} trials${best}${run.error ? ` (${run.error})` : ''}.`
      : `Running: ${formatCount(run.trialsDone)} of ${formatCount(run.trialsPlanned)} trials done${best}.`;
    return {
      text,
      done: run.trialsDone,
      total: run.trialsPlanned,
      ended,
      failed: ended && run.status !== 'complete',
    };
  });
}

/** A job that is one long request (a report that fits models): running until it answers. */
export function watchRequest(key: string, title: string, request: () => Promise<string>): void {
  let state: JobState = { text: 'Running…', done: null, total: null, ended: false, failed: false };
  const started = Date.now();
  request().then(
    (summary) => {
      state = { text: `Finished: ${summary}`, done: 1, total: 1, ended: true, failed: false };
    },
    (error) => {
      state = {
        text: errorText(error, 'make the report'),
        done: null,
        total: null,
        ended: true,
        failed: true,
      };
    },
  );
  watchJob(key, title, async () =>
    state.ended ? state : { ...state, text: `Running for ${Math.round((Date.now() - started) / 1000)} s…` },
  );
}
