import { startWorker } from '../workers/worker-thread.ts';

export type CheckpointerIn = { type: 'stop' };
export type CheckpointerOut =
  | { type: 'started' }
  | { type: 'stopped'; readonly checkpoints: number; readonly frames: number };

export interface WalCheckpointer {
  /** Stops the thread; resolves with how many checkpoints copied how many log frames. */
  stop(): Promise<{ checkpoints: number; frames: number }>;
}

/**
 * Checkpoints a SQLite database's write-ahead log from a thread of its own. By default the
 * connection that commits past 1,000 log pages copies them into the database file there and then,
 * which for a server is its event loop: every few seconds of load, one request waited tens of
 * milliseconds for it. Here the copying runs on the other core every `intervalMs`, and the serving
 * connection's own automatic checkpoint, set far higher, finds nearly every page already copied.
 */
export function startWalCheckpointer(path: string, intervalMs = 100): WalCheckpointer {
  const worker = startWorker<CheckpointerIn, CheckpointerOut>(
    new URL('./wal-checkpoint-worker.ts', import.meta.url),
    {
      name: 'wal-checkpointer',
      workerData: { path, intervalMs },
      unref: true,
    },
  );
  let stopped: Promise<{ checkpoints: number; frames: number }> | undefined;
  return {
    stop() {
      stopped ??= new Promise((resolve) => {
        const off = worker.onMessage((m) => {
          if (m.type === 'stopped') {
            off();
            resolve({ checkpoints: m.checkpoints, frames: m.frames });
          }
        });
        // A thread that already ended (it failed to start) has nothing to report.
        void worker.exited.then(() => resolve({ checkpoints: 0, frames: 0 }));
        worker.post({ type: 'stop' });
      });
      return stopped;
    },
  };
}
