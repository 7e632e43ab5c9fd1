import BetterSqlite3 from 'better-sqlite3';
import { connectToParent } from '../threads/worker-thread.ts';
import type { CheckpointerIn, CheckpointerOut } from './wal-checkpointer.ts';

/**
 * The checkpointer thread: its own connection copies the write-ahead log back into the database
 * file every `intervalMs`, PASSIVE (it never waits for, nor blocks, the readers and writers).
 */
const port = connectToParent<CheckpointerIn, CheckpointerOut>();
const { path, intervalMs } = port.workerData as { path: string; intervalMs: number };
const db = new BetterSqlite3(path);
db.pragma('busy_timeout = 50');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another checkpoint is running) or the file is going away: the next tick tries again.
  }
}, intervalMs);
port.onMessage((message) => {
  if (message.type !== 'stop') return;
  clearInterval(timer);
  db.close();
  port.post({ type: 'stopped' });
  port.close();
});
