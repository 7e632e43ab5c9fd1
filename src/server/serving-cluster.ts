import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { MovieNightError } from '../errors.ts';

/**
 * `serve --workers N`: N processes answering on one port (node:cluster; on Linux the primary
 * accepts connections and hands them to the workers in turn). Each worker runs the same command
 * line again and finds itself a cluster worker (`isServingWorker`), so it opens its own database
 * connection and serves; the primary keeps the work that must happen once per machine (the
 * retraining scheduler, the SQLite checkpointing thread) and supervises the workers.
 */

/** True in a process forked by `startServingCluster`. */
export function isServingWorker(): boolean {
  return cluster.isWorker;
}

export interface ServingCluster {
  /** http://host:port every worker answers on. */
  readonly url: string;
  readonly port: number;
  /** Process ids of the workers now running. */
  pids(): number[];
  /** Stops every worker (SIGTERM: each finishes its open requests and closes its connection). */
  close(): Promise<void>;
}

export interface ServingClusterOptions {
  readonly workers: number;
  readonly host: string;
  /** Lines worth telling the operator (a worker that died and was replaced). */
  readonly log: (line: string) => void;
}

function shownUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function waitForExit(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    if (worker.isDead()) resolve();
    else worker.once('exit', () => resolve());
  });
}

/**
 * Forks `workers` processes and resolves once every one is listening. A worker that dies before it
 * listens stops them all (the same fault would kill every replacement: a port in use, a database
 * that does not open) and the promise rejects; one that dies later is replaced.
 */
export function startServingCluster(options: ServingClusterOptions): Promise<ServingCluster> {
  const running = new Set<Worker>();
  let closing = false;
  let port = 0;
  const close = async () => {
    closing = true;
    const all = [...running];
    for (const w of all) w.process.kill('SIGTERM');
    await Promise.all(all.map(waitForExit));
  };
  return new Promise((resolve, reject) => {
    let listening = 0;
    const fork = (): void => {
      const worker = cluster.fork();
      let listened = false;
      running.add(worker);
      worker.once('listening', (address: AddressInfo) => {
        listened = true;
        port = address.port;
        listening += 1;
        if (listening === options.workers) {
          resolve({ url: shownUrl(options.host, port), port, pids: () => pidsOf(running), close });
        }
      });
      worker.once('exit', (code, signal) => {
        running.delete(worker);
        if (closing) return;
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (!listened) {
          void close().then(() =>
            reject(
              new MovieNightError(
                `serving process ${worker.process.pid} ended (${how}) before it listened; its error is above`,
                'serving_process_failed',
              ),
            ),
          );
          return;
        }
        options.log(`serving process ${worker.process.pid} ended (${how}); starting another`);
        fork();
      });
    };
    for (let i = 0; i < options.workers; i++) fork();
  });
}

function pidsOf(workers: ReadonlySet<Worker>): number[] {
  return [...workers].map((w) => w.process.pid).filter((pid): pid is number => pid !== undefined);
}

/**
 * In a worker: runs `start` (open the database, listen) and stops on SIGTERM/SIGINT with `stop`,
 * then exits. A start that fails is reported and ends the process with code 1, which the primary
 * sees as a worker that never listened.
 */
export async function runServingWorker(
  start: () => Promise<{ stop(): Promise<void> }>,
  report: (line: string) => void,
): Promise<void> {
  let serving: { stop(): Promise<void> };
  try {
    serving = await start();
  } catch (error) {
    report(`error: ${(error as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await serving.stop();
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}
