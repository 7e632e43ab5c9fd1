import { startWorker } from '../threads/worker-thread.ts';

export type CheckpointerIn = { type: 'stop' };
export type CheckpointerOut = { type: 'stopped' };

export interface WalCheckpointer {
  /** Stops the thread (after the checkpoint it may be running) and closes its connection. */
  stop(): Promise<void>;
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
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        worker.onMessage((m) => {
          if (m.type === 'stopped') resolve();
        });
        // A thread that already ended (it failed to start) has nothing to say.
        void worker.exited.then(() => resolve());
        worker.post({ type: 'stop' });
      });
      return stopped;
    },
  };
}
