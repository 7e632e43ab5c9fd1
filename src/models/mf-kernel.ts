import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { mfKernelFusedWasmBase64, mfKernelWasmBase64 } from './mf-kernel.generated.ts';

/** What both ranking exports take after the users: the factors, exclusions and heaps (byte offsets). */
export type RankArrays = [
  p: number,
  base: number,
  qt: number,
  bi: number,
  nPanels: number,
  k4: number,
  exStart: number,
  exIdx: number,
  topK: number,
  heapS: number,
  heapI: number,
];

/** The exports of assembly/mf-kernel.ts (byte offsets into the instance's memory). */
export interface MfKernelExports {
  svdEpoch(
    n: number,
    users: number,
    items: number,
    ratings: number,
    weights: number,
    pu: number,
    qi: number,
    bu: number,
    bi: number,
    k4: number,
    mean: number,
    lrBu: number,
    lrBi: number,
    lrPu: number,
    lrQi: number,
    regBu: number,
    regBi: number,
    regPu: number,
    regQi: number,
  ): number;
  svdppEpoch(
    nUsers: number,
    order: number,
    rowStart: number,
    items: number,
    ratings: number,
    weights: number,
    pu: number,
    qi: number,
    bu: number,
    bi: number,
    y: number,
    z: number,
    g: number,
    k4: number,
    mean: number,
    lrBu: number,
    lrBi: number,
    lrPu: number,
    lrQi: number,
    lrY: number,
    regBu: number,
    regBi: number,
    regPu: number,
    regQi: number,
    regY: number,
  ): number;
  svdppUserVectors(
    nUsers: number,
    rowStart: number,
    items: number,
    pu: number,
    y: number,
    out: number,
    k4: number,
  ): void;
  scoreAll(p: number, qi: number, bi: number, nItems: number, k4: number, base: number, out: number): void;
  gramRows(qi: number, rows: number, n: number, k4: number, out: number): void;
  rankUsers(u0: number, u1: number, ...args: [...RankArrays, panelsPerBlock: number, scratch: number]): void;
  rankUser(u: number, ...args: [...RankArrays, scratch: number]): void;
  rankUserFrom(u: number, j0: number, ...args: [...RankArrays, scratch: number]): void;
  fillNormal(
    out: number,
    rows: number,
    k: number,
    k4: number,
    mean: number,
    std: number,
    s0: number,
    s1: number,
    s2: number,
    s3: number,
  ): void;
  maddProbe(a: number, b: number, c: number): number;
  heapBase(): number;
}

let compiled: WebAssembly.Module | undefined;
let optimizingOnly = false;

/**
 * V8 compiles WebAssembly with a fast baseline compiler first and optimizes a function only after
 * it has run a while, for its next call; a kernel call is a whole block of an epoch or of a ranking,
 * so a process's first fit ran its first epoch (and a ranking its first batch) on baseline code,
 * about three times slower: 2.5 s of a 25 M-rating fit. The kernels are a few KB, so they are
 * compiled optimized from the start (`--no-liftoff`, set before the first compile; the flag only
 * concerns WebAssembly).
 */
function compileOptimized(bytes: Buffer<ArrayBuffer>): WebAssembly.Module {
  if (!optimizingOnly) {
    optimizingOnly = true;
    try {
      setFlagsFromString('--no-liftoff');
    } catch {
      // An engine without the flag compiles as it will: slower first calls, same results.
    }
  }
  return new WebAssembly.Module(bytes);
}

/** Compiled once per thread (a few KB: synchronous compilation is fine). */
export function kernelModule(): WebAssembly.Module {
  compiled ??= compileOptimized(Buffer.from(mfKernelWasmBase64, 'base64'));
  return compiled;
}

let fusedCompiled: WebAssembly.Module | null | undefined;

/**
 * The build whose ranking multiply-adds use relaxed SIMD's `f32x4.relaxed_madd` (fused on a CPU
 * with FMA: one rounding per multiply-add and about twice the throughput of a multiply then an
 * add), or null where the engine lacks relaxed SIMD. Node 20's V8 has it behind a flag, set here
 * before the one check; later versions have it on. The fits never use this build.
 */
export function fusedKernelModule(): WebAssembly.Module | null {
  if (fusedCompiled !== undefined) return fusedCompiled;
  const bytes = Buffer.from(mfKernelFusedWasmBase64, 'base64');
  if (!WebAssembly.validate(bytes)) {
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // An engine without the flag: the check below answers.
    }
  }
  fusedCompiled = WebAssembly.validate(bytes) ? compileOptimized(bytes) : null;
  return fusedCompiled;
}

/** How a ranking kernel multiplies and adds: rounding once (fused) or after each step (separate). */
export type MaddArithmetic = 'fused' | 'separate';

/**
 * What a kernel instance's ranking multiply-add does on this machine, asked of the kernel itself:
 * (1 + 2⁻¹²)² − 1 is 2⁻¹¹ + 2⁻²⁴ rounded once and 2⁻¹¹ when the product is rounded first.
 */
export function maddArithmetic(kernel: Pick<MfKernelExports, 'maddProbe'>): MaddArithmetic {
  const a = 1 + 2 ** -12;
  return kernel.maddProbe(a, a, -1) === 2 ** -11 ? 'separate' : 'fused';
}

export type ArrayKind = 'f32' | 'f64' | 'i32';
const bytesPer: Record<ArrayKind, number> = { f32: 4, f64: 8, i32: 4 };

/** One array placed in an arena: its byte offset for the kernel and a typed view for JavaScript. */
export interface Placed<T> {
  readonly ptr: number;
  readonly view: T;
}

type ViewOf<K extends ArrayKind> = K extends 'f32'
  ? Float32Array
  : K extends 'f64'
    ? Float64Array
    : Int32Array;

/**
 * A kernel instance with its own memory, sized once for a fixed set of arrays. Memory never grows
 * afterwards, so the typed views stay valid for the life of the arena: a model keeps them as its
 * learned parameters with no copy. One arena per fit keeps concurrent models (blends, folds)
 * independent.
 */
export class KernelArena {
  readonly kernel: MfKernelExports;
  readonly memory: WebAssembly.Memory;
  private top: number;
  private readonly end: number;

  /** `module`: the kernel build to instantiate (the plain one unless a ranker asks for the fused). */
  constructor(
    totalBytes: number,
    readonly module: WebAssembly.Module = kernelModule(),
  ) {
    // Each array is 16-byte aligned: reserve the padding too.
    const pages = Math.ceil((totalBytes + 4096) / 65536) + 1;
    // Shared (the module imports shared memory) so a partner thread can work on the same arrays.
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.kernel = instance.exports as unknown as MfKernelExports;
    this.top = align16(this.kernel.heapBase());
    this.end = pages * 65536;
  }

  /** Bytes an arena needs for arrays of these kinds and lengths. */
  static bytesFor(arrays: ReadonlyArray<readonly [ArrayKind, number]>): number {
    return arrays.reduce((s, [kind, n]) => s + align16(n * bytesPer[kind]) + 16, 0);
  }

  alloc<K extends ArrayKind>(kind: K, length: number): Placed<ViewOf<K>> {
    const ptr = this.top;
    const bytes = length * bytesPer[kind];
    if (ptr + bytes > this.end)
      throw new Error(`kernel arena overflow: ${bytes} bytes at ${ptr} of ${this.end}`);
    this.top = align16(ptr + bytes);
    const buffer = this.memory.buffer;
    const view =
      kind === 'f32'
        ? new Float32Array(buffer, ptr, length)
        : kind === 'f64'
          ? new Float64Array(buffer, ptr, length)
          : new Int32Array(buffer, ptr, length);
    return { ptr, view: view as ViewOf<K> };
  }
}

function align16(n: number): number {
  return (n + 15) & ~15;
}

/** Arguments of `svdEpoch`, in order. */
export type SvdEpochArgs = Parameters<MfKernelExports['svdEpoch']>;

/**
 * The partner thread's program (plain JavaScript, so it runs the same under tsx, vitest and the
 * compiled dist without a TypeScript loader). It instantiates the kernel on the fit's shared
 * memory, then runs `svdEpoch` whenever the command counter moves, until told to release.
 * Control words: [0] command counter, [1] last finished command, [2] ready flag, [3] failed flag
 * (a trap in the partner must fail the fit, not leave the caller waiting).
 */
const partnerSource = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ module, memory, ctrl, args }) => {
  const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const c = new Int32Array(memory.buffer, ctrl, 4);
  const a = new Float64Array(memory.buffer, args, 20);
  Atomics.store(c, 2, 1);
  Atomics.notify(c, 2);
  let seen = 0;
  for (;;) {
    Atomics.wait(c, 0, seen);
    seen = Atomics.load(c, 0);
    if (a[19] === 1) break;
    try {
      kernel.svdEpoch(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18]);
    } catch {
      Atomics.store(c, 3, 1);
    }
    Atomics.store(c, 1, seen);
    Atomics.notify(c, 1);
  }
  Atomics.store(c, 1, seen);
  Atomics.notify(c, 1);
});
`;

let partner: Worker | null = null;
let partnerBusy = false;
/** Generous: only a wedged thread takes this long (the fit then fails loudly, it never races). */
const PARTNER_TIMEOUT_MS = 120_000;

function waitFor(c: Int32Array, index: number, value: number, what: string): void {
  for (;;) {
    const now = Atomics.load(c, index);
    if (now === value) return;
    if (Atomics.wait(c, index, now, PARTNER_TIMEOUT_MS) === 'timed-out') {
      partner?.terminate();
      partner = null;
      throw new Error(`svd partner thread did not ${what} within ${PARTNER_TIMEOUT_MS / 1000} s`);
    }
  }
}

/**
 * Runs pairs of independent `svdEpoch` calls (blocks that share no parameters) on two threads: the
 * caller's and one persistent partner worker (created on first use, unref'd so it never keeps the
 * process alive). Because the two halves of a pair touch disjoint rows of every array, running
 * them together gives exactly what running them one after the other gives: the thread count
 * changes the speed, never the result. `pair` returns null when no partner is available (a fit
 * nested inside another fit's epoch hook): the caller then runs both halves itself.
 */
export class EpochPair {
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private seq = 0;

  private constructor(
    private readonly arena: KernelArena,
    ctrl: { ptr: number; view: Int32Array },
    args: { ptr: number; view: Float64Array },
  ) {
    this.ctrl = ctrl.view;
    this.args = args.view;
    // No execArgv: the partner is plain JavaScript and needs none of the parent's loaders (tsx).
    partner ??= new Worker(partnerSource, { eval: true, execArgv: [] });
    partner.unref();
    partnerBusy = true;
    partner.postMessage({ module: kernelModule(), memory: arena.memory, ctrl: ctrl.ptr, args: args.ptr });
    try {
      waitFor(this.ctrl, 2, 1, 'start');
    } catch (e) {
      partnerBusy = false;
      throw e;
    }
  }

  /** Bytes the control words need in an arena. */
  static readonly bytes = KernelArena.bytesFor([
    ['i32', 4],
    ['f64', 20],
  ]);

  static open(arena: KernelArena): EpochPair | null {
    if (partnerBusy) return null;
    const ctrl = arena.alloc('i32', 4);
    const args = arena.alloc('f64', 20);
    try {
      return new EpochPair(arena, ctrl, args);
    } catch {
      // No partner (threads unavailable, or it never started): one thread gives the same result.
      partner?.terminate();
      partner = null;
      return null;
    }
  }

  /** `mine` on this thread and `theirs` on the partner, together. */
  run(mine: SvdEpochArgs, theirs: SvdEpochArgs): void {
    this.args.set(theirs);
    this.args[19] = 0;
    const next = ++this.seq;
    Atomics.store(this.ctrl, 0, next);
    Atomics.notify(this.ctrl, 0);
    this.arena.kernel.svdEpoch(...mine);
    waitFor(this.ctrl, 1, next, 'finish its half of an epoch');
    if (Atomics.load(this.ctrl, 3) !== 0) throw new Error('svd partner thread failed in the kernel');
  }

  /**
   * Lets the partner go back to waiting for the next fit. After a fit whose arena is at least
   * `EpochPair.retireBytes`, the partner is ended instead: an idle worker allocates next to
   * nothing, so its heap is never collected and its last reference to the shared memory would
   * keep the whole arena (every training row and factor) resident for the life of the process —
   * 40 MiB after `train`'s holdout fit at 2.5 M ratings. A new partner starts in 20–60 ms, small
   * beside a fit of that size.
   */
  close(): void {
    this.args[19] = 1;
    const next = ++this.seq;
    Atomics.store(this.ctrl, 0, next);
    Atomics.notify(this.ctrl, 0);
    try {
      waitFor(this.ctrl, 1, next, 'release');
    } finally {
      partnerBusy = false;
    }
    if (this.arena.memory.buffer.byteLength >= EpochPair.retireBytes) {
      void partner?.terminate();
      partner = null;
    }
  }

  /** Arena size from which `close` ends the partner so that the arena's memory can be freed. */
  static readonly retireBytes = 32 * 2 ** 20;
}
