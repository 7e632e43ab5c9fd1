import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  isMainThread,
  parentPort,
  type ResourceLimits,
  type Transferable,
  Worker,
  workerData,
} from 'node:worker_threads';

/**
 * Worker threads for TypeScript and JavaScript modules alike.
 *
 * Why this exists: Node 20 cannot load `.ts` by itself. Under `tsx` or vitest the worker module is
 * TypeScript source, so the worker must first register tsx's loader; from the
 * compiled `dist/` the same `new URL('./x.ts', import.meta.url)` points at a file that does not
 * exist, and the `.js` beside it is what must run. `startWorker` decides which, so callers write one
 * line that works in both worlds.
 *
 * The protocol is typed at both ends: the parent posts `In` messages and receives `Out` messages;
 * the worker (see `connectToParent`) receives `In` and posts `Out`. Messages are structured-cloned,
 * so they must be plain data (typed arrays are fine and can be transferred).
 */

/**
 * tsx's ESM registration API, as a file URL, resolved from this package (not from the cwd, which
 * may be anywhere when a test starts a child process in a temporary folder).
 */
function tsxEsmApiUrl(): string {
  const require = createRequire(import.meta.url);
  return pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
}

/**
 * A tiny bootstrap evaluated as the worker's entry: registers tsx's loader in the thread, then
 * imports the real module. (`execArgv: ['--import', 'tsx']` does not work for a worker on Node 20:
 * the hooks are not in place before the worker's entry is loaded, so `.ts` is rejected.)
 */
function typescriptBootstrap(moduleUrl: URL): string {
  return [
    `import(${JSON.stringify(tsxEsmApiUrl())})`,
    `.then((api) => { api.register(); return import(${JSON.stringify(moduleUrl.href)}); })`,
    '.catch((error) => { setImmediate(() => { throw error; }); });',
  ].join('');
}

/**
 * The file that should run for `moduleUrl`: the `.ts` source when it exists, else the `.js` beside
 * it (compiled output). Throws naming both paths when neither exists.
 */
export function resolveWorkerModule(moduleUrl: URL): { readonly url: URL; readonly typescript: boolean } {
  const path = fileURLToPath(moduleUrl);
  if (existsSync(path)) return { url: moduleUrl, typescript: /\.[cm]?ts$/.test(path) };
  const js = path.replace(/\.([cm]?)ts$/, '.$1js');
  if (js !== path && existsSync(js)) return { url: pathToFileURL(js), typescript: false };
  throw new Error(`worker module not found: ${path}${js !== path ? ` (nor ${js})` : ''}`);
}

export interface StartWorkerOptions {
  /** Readable in the worker as `connectToParent().workerData`; structured-cloned. */
  readonly workerData?: unknown;
  /** Shown in debuggers and in error messages. */
  readonly name?: string;
  readonly resourceLimits?: ResourceLimits;
  /** The thread does not keep the process alive (a helper that runs for as long as the process). */
  readonly unref?: boolean;
}

/** The parent's end of a worker with a typed message protocol. */
export interface TypedWorker<In, Out> {
  readonly name: string;
  readonly threadId: number;
  post(message: In, transfer?: readonly Transferable[]): void;
  /** Adds a listener; returns a function that removes it. */
  onMessage(listener: (message: Out) => void): () => void;
  /** An uncaught exception in the worker (the worker then exits). */
  onError(listener: (error: Error) => void): () => void;
  /** Resolves with the exit code once the thread has ended, whatever the cause. */
  readonly exited: Promise<number>;
  /** Stops the thread now (in-flight work is lost). */
  terminate(): Promise<number>;
}

/**
 * Starts `moduleUrl` (usually `new URL('./my-worker.ts', import.meta.url)`) in a worker thread.
 * A `.ts` module runs through tsx's loader; compiled `.js` runs as is.
 */
export function startWorker<In, Out>(moduleUrl: URL, options: StartWorkerOptions = {}): TypedWorker<In, Out> {
  const resolved = resolveWorkerModule(moduleUrl);
  const name = options.name ?? fileURLToPath(resolved.url).split(/[\\/]/).pop() ?? 'worker';
  const entry = resolved.typescript ? typescriptBootstrap(resolved.url) : resolved.url;
  const worker = new Worker(entry, {
    name,
    eval: resolved.typescript,
    workerData: options.workerData,
    // The parent's own execArgv (vitest's, a debugger port) must not leak into the thread.
    execArgv: [],
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
  });
  if (options.unref) worker.unref();
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  return {
    name,
    threadId: worker.threadId,
    post(message, transfer) {
      worker.postMessage(message, transfer as Transferable[] | undefined);
    },
    onMessage(listener) {
      const fn = (m: unknown) => listener(m as Out);
      worker.on('message', fn);
      return () => worker.off('message', fn);
    },
    onError(listener) {
      worker.on('error', listener);
      return () => worker.off('error', listener);
    },
    exited,
    terminate: () => worker.terminate(),
  };
}

/** The worker's end of the typed protocol. */
export interface ParentPort<In, Out> {
  readonly workerData: unknown;
  post(message: Out, transfer?: readonly Transferable[]): void;
  onMessage(listener: (message: In) => void): void;
  /** Lets the thread exit once nothing else keeps it alive. */
  close(): void;
}

/** Called inside a worker module: the typed port to the parent. Throws on the main thread. */
export function connectToParent<In, Out>(): ParentPort<In, Out> {
  if (isMainThread || !parentPort) throw new Error('connectToParent() called outside a worker thread');
  const port = parentPort;
  return {
    workerData,
    post(message, transfer) {
      port.postMessage(message, transfer as Transferable[] | undefined);
    },
    onMessage(listener) {
      port.on('message', (m: unknown) => listener(m as In));
    },
    close() {
      port.close();
    },
  };
}

/**
 * One request, one reply: starts the worker, posts `input`, resolves with the first message it
 * posts back, then ends the thread. Rejects if the worker throws or exits before replying. The
 * simple form for background jobs (training a model off the main thread).
 */
export async function runInWorker<In, Out>(
  moduleUrl: URL,
  input: In,
  options: StartWorkerOptions & { readonly transfer?: readonly Transferable[] } = {},
): Promise<Out> {
  const worker = startWorker<In, Out>(moduleUrl, options);
  try {
    return await new Promise<Out>((resolve, reject) => {
      worker.onMessage(resolve);
      worker.onError(reject);
      void worker.exited.then((code) =>
        reject(new Error(`worker ${worker.name} exited with code ${code} before replying`)),
      );
      worker.post(input, options.transfer);
    });
  } finally {
    await worker.terminate();
  }
}
