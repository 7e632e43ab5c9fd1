import { startWorker, type TypedWorker } from '../threads/worker-thread.ts';
import {
  evaluateTrial,
  type TrialFoldOutcome,
  type TrialResult,
  type TrialSetup,
  type TrialTask,
  trialOfFolds,
} from './trial-evaluation.ts';
import type { TrialWorkerIn, TrialWorkerOut } from './trial-worker.ts';

const workerModule = new URL('./trial-worker.ts', import.meta.url);

/** Runs trials: in worker threads (size ≥ 1) or in this thread (size 0, for debugging). */
export interface TrialPool {
  readonly size: number;
  /** Resolves with the trial's result; a crashed worker gives a `failed` result, never a rejection. */
  run(task: TrialTask): Promise<TrialResult>;
  close(): Promise<void>;
}

/** A trial whose folds run as separate pieces of work, possibly on different workers at once. */
interface FoldedTrial {
  readonly task: TrialTask;
  readonly resolve: (r: TrialResult) => void;
  readonly outcomes: (TrialFoldOutcome | undefined)[];
  settled: boolean;
}

/** A piece of work for one worker: a whole trial (one that prunes), or one fold of a trial. */
type Work =
  | { readonly kind: 'trial'; readonly task: TrialTask; readonly resolve: (r: TrialResult) => void }
  | { readonly kind: 'fold'; readonly trial: FoldedTrial; readonly fold: number };

interface Slot {
  worker: TypedWorker<TrialWorkerIn, TrialWorkerOut>;
  current: { work: Work; started: number } | null;
}

/**
 * A fixed set of worker threads, each loaded once with the run's data and folds. A trial that does
 * not prune is split into its folds, and every fold goes to the next idle worker: when a run's last
 * trial is left, its folds still spread over all the workers instead of leaving all but one idle
 * (at 25 M ratings one trial alone took 160 s of a 519 s rung). A pruned trial runs whole on one
 * worker, as its folds must run in order. If a worker dies mid-work (out of memory, a native
 * crash), its trial is reported failed with an `interrupted:` reason (so the run retries it) and
 * the worker is replaced. It is long because the slots, the queue and the respawn logic close over
 * the same state.
 */
export function createTrialPool(setup: TrialSetup, size: number): TrialPool {
  if (size <= 0) {
    return { size: 0, run: (task) => evaluateTrial(setup, task), close: async () => {} };
  }
  const slots: Slot[] = [];
  const queue: Work[] = [];
  let closed = false;

  const settle = (trial: FoldedTrial, result: TrialResult) => {
    trial.settled = true;
    // Its folds still waiting would be wasted work.
    for (let i = queue.length - 1; i >= 0; i--) {
      const w = queue[i]!;
      if (w.kind === 'fold' && w.trial === trial) queue.splice(i, 1);
    }
    trial.resolve(result);
  };
  const foldDone = (trial: FoldedTrial, fold: number, outcome: TrialFoldOutcome) => {
    if (trial.settled) return;
    trial.outcomes[fold] = outcome;
    const known = trial.outcomes.filter((o): o is TrialFoldOutcome => o !== undefined);
    if (!outcome.ok || known.length === trial.outcomes.length) {
      settle(trial, trialOfFolds(setup, trial.task, known));
    }
  };
  const finish = (work: Work, answer: TrialWorkerOut) => {
    if (work.kind === 'trial' && answer.type === 'result') work.resolve(answer.result);
    else if (work.kind === 'fold' && answer.type === 'fold') foldDone(work.trial, work.fold, answer.outcome);
  };

  const spawn = (index: number): Slot => {
    const worker = startWorker<TrialWorkerIn, TrialWorkerOut>(workerModule, {
      name: `tuning-trial-${index}`,
    });
    worker.post({ type: 'setup', setup });
    const slot: Slot = { worker, current: null };
    worker.onMessage((message) => {
      const current = slot.current;
      slot.current = null;
      if (current) finish(current.work, message);
      pump();
    });
    const died = (reason: string) => {
      const current = slot.current;
      slot.current = null;
      if (current) {
        const error = `interrupted: worker thread ${reason}`;
        const durationMs = performance.now() - current.started;
        const { work } = current;
        if (work.kind === 'fold') foldDone(work.trial, work.fold, { ok: false, error, durationMs });
        else
          work.resolve({
            number: work.task.number,
            state: 'failed',
            error,
            intermediateValues: [],
            durationMs,
          });
      }
      if (!closed) {
        slots[index] = spawn(index);
        pump();
      }
    };
    let dead = false;
    worker.onError((error) => {
      if (!dead) {
        dead = true;
        died(`crashed: ${error.message}`);
      }
    });
    void worker.exited.then((code) => {
      if (!dead && !closed) {
        dead = true;
        died(`exited with code ${code}`);
      }
    });
    return slot;
  };

  const pump = () => {
    for (const slot of slots) {
      if (slot.current || queue.length === 0) continue;
      const work = queue.shift()!;
      slot.current = { work, started: performance.now() };
      if (work.kind === 'fold') slot.worker.post({ type: 'fold', task: work.trial.task, fold: work.fold });
      else slot.worker.post({ type: 'trial', task: work.task });
    }
  };

  for (let i = 0; i < size; i++) slots.push(spawn(i));
  return {
    size,
    run(task) {
      return new Promise<TrialResult>((resolve) => {
        const folds = setup.splits.length;
        if (task.prune || folds < 2) {
          queue.push({ kind: 'trial', task, resolve });
        } else {
          const trial: FoldedTrial = {
            task,
            resolve,
            outcomes: new Array(folds).fill(undefined),
            settled: false,
          };
          for (let fold = 0; fold < folds; fold++) queue.push({ kind: 'fold', trial, fold });
        }
        pump();
      });
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
