import { mfKernelWasmBase64 } from './mf-kernel.generated.ts';

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
  heapBase(): number;
}

let compiled: WebAssembly.Module | undefined;

/** Compiled once per process (a few KB: synchronous compilation is fine). */
function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(mfKernelWasmBase64, 'base64'));
  return compiled;
}

type ArrayKind = 'f32' | 'f64' | 'i32';
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
  private readonly memory: WebAssembly.Memory;
  private top: number;
  private readonly end: number;

  constructor(totalBytes: number) {
    // Each array is 16-byte aligned: reserve the padding too.
    const pages = Math.ceil((totalBytes + 4096) / 65536) + 1;
    this.memory = new WebAssembly.Memory({ initial: pages });
    const instance = new WebAssembly.Instance(kernelModule(), { env: { memory: this.memory } });
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
