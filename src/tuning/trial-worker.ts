/**
 * The worker-thread side of parallel tuning: receives the run's data and folds once, then trials
 * (or single folds of trials) one at a time, and answers each with its result. It never touches
 * the database: the main thread is the only writer, so no worker count can make SQLite say
 * "database is locked".
 */
import { connectToParent } from '../threads/worker-thread.ts';
import {
  evaluateTrial,
  evaluateTrialFold,
  type TrialFoldOutcome,
  type TrialResult,
  type TrialSetup,
  type TrialTask,
} from './trial-evaluation.ts';

export type TrialWorkerIn =
  | { readonly type: 'setup'; readonly setup: TrialSetup }
  | { readonly type: 'trial'; readonly task: TrialTask }
  | { readonly type: 'fold'; readonly task: TrialTask; readonly fold: number };
export type TrialWorkerOut =
  | { readonly type: 'result'; readonly result: TrialResult }
  | { readonly type: 'fold'; readonly outcome: TrialFoldOutcome };

const port = connectToParent<TrialWorkerIn, TrialWorkerOut>();
let setup: TrialSetup | null = null;
// Work arrives one piece at a time (the pool sends the next only after an answer); the chain keeps
// the order even if that ever changes.
let chain: Promise<void> = Promise.resolve();

port.onMessage((message) => {
  if (message.type === 'setup') {
    setup = message.setup;
    return;
  }
  chain = chain.then(async () => {
    if (!setup) throw new Error('trial worker: work arrived before the setup');
    if (message.type === 'fold') {
      port.post({ type: 'fold', outcome: evaluateTrialFold(setup, message.task, message.fold) });
      return;
    }
    const result = await evaluateTrial(setup, message.task);
    port.post({ type: 'result', result });
  });
});
