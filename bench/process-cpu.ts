import { readdirSync, readFileSync } from 'node:fs';

/** Linux's clock ticks per second for /proc CPU times (USER_HZ, 100 on every common kernel). */
const ticksPerSecond = 100;

/** User + system CPU seconds of one /proc stat line (a process or one of its threads). */
function statSeconds(path: string): number {
  try {
    const text = readFileSync(path, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds a process has used so far (all its threads); NaN when it is gone. */
export function cpuSecondsOf(pid: number): number {
  return statSeconds(`/proc/${pid}/stat`);
}

/** A process's CPU seconds so far, split into its main thread and all its other threads. */
export interface ThreadCpu {
  readonly main: number;
  readonly others: number;
}

/**
 * The main thread (the event loop: BullMQ, the database client, the coordinator's sampler) and
 * every other thread together (worker threads computing trials, V8's GC and compiler helpers,
 * libuv's pool), from /proc/<pid>/task. Threads that already ended are not in either: read it
 * while the threads of interest are alive.
 */
export function threadCpuOf(pid: number): ThreadCpu {
  let main = 0;
  let others = 0;
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { main: Number.NaN, others: Number.NaN };
  }
  for (const tid of tasks) {
    const s = statSeconds(`/proc/${pid}/task/${tid}/stat`);
    if (!Number.isFinite(s)) continue;
    if (Number(tid) === pid) main += s;
    else others += s;
    const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    (globalThis as unknown as { tids: Map<string, number> }).tids ??= new Map();
    (globalThis as unknown as { tids: Map<string, number> }).tids.set(`${pid}/${tid}/${comm}`, s);
  }
  return { main, others };
}
