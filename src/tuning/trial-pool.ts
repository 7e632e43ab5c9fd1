import { startWorker, type TypedWorker } from '../threads/worker-thread.ts';
import { evaluateTrial, type TrialResult, type TrialSetup, type TrialTask } from './trial-evaluation.ts';
import type { TrialWorkerIn, TrialWorkerOut } from './trial-worker.ts';

const workerModule = new URL('./trial-worker.ts', import.meta.url);

/** Runs trials: in worker threads (size ≥ 1) or in this thread (size 0, for debugging). */
export interface TrialPool {
  readonly size: number;
  /** Resolves with the trial's result; a crashed worker gives a `failed` result, never a rejection. */
  run(task: TrialTask): Promise<TrialResult>;
  close(): Promise<void>;
}

interface Slot {
  worker: TypedWorker<TrialWorkerIn, TrialWorkerOut>;
  current: { task: TrialTask; resolve: (r: TrialResult) => void; started: number } | null;
}

/**
 * A fixed set of worker threads, each loaded once with the run's data and folds. A trial goes to
 * an idle worker; if a worker dies mid-trial (out of memory, a native crash) that trial is
 * reported failed with an `interrupted:` reason (so the run retries it) and the worker is replaced.
 * It is long because the slots, the queue and the respawn logic close over the same state.
 */
export function createTrialPool(setup: TrialSetup, size: number): TrialPool {
  if (size <= 0) {
    return { size: 0, run: (task) => evaluateTrial(setup, task), close: async () => {} };
  }
  const slots: Slot[] = [];
  const queue: Array<{ task: TrialTask; resolve: (r: TrialResult) => void }> = [];
  let closed = false;

  const spawn = (index: number): Slot => {
    const worker = startWorker<TrialWorkerIn, TrialWorkerOut>(workerModule, {
      name: `tuning-trial-${index}`,
    });
    worker.post({ type: 'setup', setup });
    const slot: Slot = { worker, current: null };
    worker.onMessage((message) => {
      const current = slot.current;
      slot.current = null;
      current?.resolve(message.result);
      pump();
    });
    const died = (reason: string) => {
      const current = slot.current;
      slot.current = null;
      current?.resolve({
        number: current.task.number,
        state: 'failed',
        error: `interrupted: worker thread ${reason}`,
        intermediateValues: [],
        durationMs: performance.now() - current.started,
      });
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
      const next = queue.shift()!;
      slot.current = { ...next, started: performance.now() };
      slot.worker.post({ type: 'trial', task: next.task });
    }
  };

  for (let i = 0; i < size; i++) slots.push(spawn(i));
  return {
    size,
    run(task) {
      return new Promise<TrialResult>((resolve) => {
        queue.push({ task, resolve });
        pump();
      });
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
