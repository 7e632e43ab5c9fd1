import { Worker } from 'node:worker_threads';
import { KernelArena, type MfKernelExports } from './mf-kernel.ts';

/** Arguments of the kernel's `rankUserFrom`, in order. */
export type RankUserFromArgs = Parameters<MfKernelExports['rankUserFrom']>;

/**
 * The partner's program (plain JavaScript, so it runs under tsx, vitest and dist alike): it
 * instantiates the kernel on the ranker's shared memory, raises the ready flag, then runs
 * `rankUserFrom` with the arguments in shared memory each time the command counter moves, until
 * the counter is set to −1. Control words: [0] command counter, [1] last finished command,
 * [2] ready flag, [3] failed flag (a trap must fail the ranking, not leave the caller waiting).
 */
const partnerSource = `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', ({ module, memory, ctrl, args, nArgs }) => {
  const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const c = new Int32Array(memory.buffer, ctrl, 4);
  const a = new Float64Array(memory.buffer, args, nArgs);
  Atomics.store(c, 2, 1);
  Atomics.notify(c, 2);
  let seen = 0;
  for (;;) {
    Atomics.wait(c, 0, seen);
    const now = Atomics.load(c, 0);
    if (now === -1) break;
    if (now === seen) continue;
    seen = now;
    try {
      kernel.rankUserFrom(...a);
    } catch {
      Atomics.store(c, 3, 1);
    }
    Atomics.store(c, 1, seen);
    Atomics.notify(c, 1);
  }
  parentPort.close();
});
`;

/** `rankUserFrom` takes 14 arguments. */
const ARGS = 14;
/**
 * How long the caller waits for the partner's half before ranking it itself: the half takes about
 * half a millisecond, so only a partner that died or was starved of a core takes this long.
 */
const FINISH_TIMEOUT_MS = 1000;

/** Terminates the partner of a ranker that was garbage collected (the partner holds its memory). */
const partners = new FinalizationRegistry<Worker>((worker) => {
  void worker.terminate();
});

/**
 * A second thread that ranks part of the catalogue for one user while the caller ranks the rest,
 * on the caller's kernel memory: a known user's top-k over a large catalogue streams every movie's
 * factors from memory, and each core brings its own bandwidth (at 62,423 movies × 100 factors, two
 * processes ranking at once each kept their one-process speed). One per ranker, started on first
 * use and unref'd (it never keeps the process alive); it ends when its ranker is collected or
 * `close` is called. Until its kernel instance is ready (tens of milliseconds after the start), or
 * after it failed to answer, `ready` is false and the caller ranks alone.
 */
export class OneUserPartner {
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private worker: Worker | null;
  private seq = 0;

  /** Bytes the control words and arguments need in an arena. */
  static readonly bytes = KernelArena.bytesFor([
    ['i32', 4],
    ['f64', ARGS],
  ]);

  /** Starts the partner for `owner`'s arena (control words and arguments are allocated in it). */
  constructor(owner: object, arena: KernelArena) {
    const ctrl = arena.alloc('i32', 4);
    const args = arena.alloc('f64', ARGS);
    this.ctrl = ctrl.view;
    this.args = args.view;
    const worker = new Worker(partnerSource, { eval: true, execArgv: [] });
    worker.unref();
    // A partner that fails to start leaves `ready` false: the caller ranks alone.
    worker.on('error', () => {
      if (this.worker === worker) this.worker = null;
    });
    worker.postMessage({
      module: arena.module,
      memory: arena.memory,
      ctrl: ctrl.ptr,
      args: args.ptr,
      nArgs: ARGS,
    });
    this.worker = worker;
    partners.register(owner, worker, this);
  }

  /** True when the partner can take work now. */
  get ready(): boolean {
    return this.worker !== null && Atomics.load(this.ctrl, 2) === 1;
  }

  /** Waits up to `ms` for the partner to start; whether it is ready. */
  waitReady(ms: number): boolean {
    if (this.worker !== null && Atomics.load(this.ctrl, 2) !== 1) Atomics.wait(this.ctrl, 2, 0, ms);
    return this.ready;
  }

  /** Hands the partner one `rankUserFrom` call; `finish` waits for it. */
  start(args: RankUserFromArgs): void {
    this.args.set(args);
    this.seq++;
    Atomics.store(this.ctrl, 0, this.seq);
    Atomics.notify(this.ctrl, 0);
  }

  /**
   * Waits for the call `start` handed over: 'done', 'failed' (it trapped in the kernel), or
   * 'timed-out' (the partner is then ended; its heap must not be read, and the caller ranks that
   * part itself).
   */
  finish(): 'done' | 'failed' | 'timed-out' {
    const c = this.ctrl;
    const deadline = performance.now() + FINISH_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(c, 1);
      if (done === this.seq) break;
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(c, 1, done, left) === 'timed-out') {
        if (Atomics.load(c, 1) === this.seq) break;
        this.close();
        return 'timed-out';
      }
    }
    return Atomics.load(c, 3) === 0 ? 'done' : 'failed';
  }

  /** Ends the partner thread. */
  close(): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    partners.unregister(this);
    Atomics.store(this.ctrl, 0, -1);
    Atomics.notify(this.ctrl, 0);
    void worker.terminate();
  }
}
