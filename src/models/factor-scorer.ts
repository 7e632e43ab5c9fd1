import { KernelArena, type MfKernelExports, type Placed } from './mf-kernel.ts';

/**
 * Top-N scoring of a factor model in the WebAssembly kernel: the factors in a kernel arena, a
 * score buffer, and the fold-in's spare row and Gram matrix.
 */

/** Scoring state for a fast top-N: factors inside a kernel arena. */
export interface Scorer {
  readonly kernel: MfKernelExports;
  readonly userPtr: number;
  readonly qiPtr: number;
  readonly biPtr: number;
  readonly out: Float64Array;
  readonly outPtr: number;
  /** A spare user row for folded-in users (scorers built after a fit have one). */
  readonly foldPtr?: number;
  readonly foldRow?: Float32Array;
  /** A fold-in's Gram matrix (k4 × k4) and a batch of its movie rows, for the kernel's gramRows. */
  readonly gram?: Placed<Float32Array>;
  readonly gramRows?: Placed<Int32Array>;
}

/** Movie rows per gramRows call (a longer history takes several). */
export const gramBatch = 256;

/** A scorer over factors already in `arena`, with its score buffer allocated there. */
export function scorerIn(
  arena: KernelArena,
  userPtr: number,
  qiPtr: number,
  biPtr: number,
  nMovies: number,
): Scorer {
  const out = arena.alloc('f64', nMovies);
  return { kernel: arena.kernel, userPtr, qiPtr, biPtr, out: out.view, outPtr: out.ptr };
}

/**
 * A scoring arena for a model whose factors live outside kernel memory (loaded, or fitted by the
 * js engine): the factors copied in, a score buffer, a spare user row for fold-ins, and a Gram
 * matrix with a batch of movie rows for the kernel's `gramRows`.
 */
export function scoringArena(
  userFactors: Float32Array,
  itemFactors: Float32Array,
  bi: Float32Array,
  k4: number,
): Scorer {
  const nUsers = userFactors.length / k4;
  const nMovies = bi.length;
  const arena = new KernelArena(
    KernelArena.bytesFor([
      ['f32', nUsers * k4],
      ['f32', nMovies * k4],
      ['f32', nMovies],
      ['f64', nMovies],
      ['f32', k4],
      ['f32', k4 * k4],
      ['i32', gramBatch],
    ]),
  );
  const users = arena.alloc('f32', nUsers * k4);
  const qi = arena.alloc('f32', nMovies * k4);
  const biPlaced = arena.alloc('f32', nMovies);
  const fold = arena.alloc('f32', k4);
  users.view.set(userFactors);
  qi.view.set(itemFactors);
  // Unbiased models score without b_i (their b_i stay 0 anyway).
  biPlaced.view.set(bi);
  return {
    ...scorerIn(arena, users.ptr, qi.ptr, biPlaced.ptr, nMovies),
    foldPtr: fold.ptr,
    foldRow: fold.view,
    gram: arena.alloc('f32', k4 * k4),
    gramRows: arena.alloc('i32', gramBatch),
  };
}
