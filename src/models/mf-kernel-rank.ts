// This file is long because the ranker's batches, its single-user split over two threads and the
// TypeScript reference all follow one kernel memory layout, which is clearest read in one place.
import { isMainThread, Worker } from 'node:worker_threads';
import {
  fusedKernelModule,
  KernelArena,
  kernelModule,
  type MaddArithmetic,
  maddArithmetic,
  type Placed,
  type RankArrays,
} from './mf-kernel.ts';
import { OneUserPartner } from './one-user-partner.ts';

/**
 * A factor model in the form batched ranking needs: score(u, i) = (q_i·p_u + b_i) + base_u, with
 * rows of `k4` floats (a multiple of 4, padding lanes zero). For svd base_u = μ + b_u; a model
 * without biases has base_u and b_i zero.
 */
export interface RankingFactors {
  readonly k4: number;
  readonly nUsers: number;
  readonly nMovies: number;
  readonly userFactors: Float32Array;
  readonly userBase: Float32Array;
  readonly itemFactors: Float32Array;
  readonly itemBias: Float32Array;
}

/** Each user's top-k, `k` entries per user in request order, best first; -1 pads a short list. */
export interface RankedBlock {
  readonly k: number;
  /** Dense movie indices. */
  readonly movies: Int32Array;
  readonly scores: Float32Array;
}

/** Users to rank (dense indices) and each one's excluded dense movies as CSR. */
export interface RankRequest {
  readonly users: Int32Array;
  /** Movies of users[j] to skip: exMovies[exStart[j]] … exMovies[exStart[j+1]−1], any order. */
  readonly exStart: Int32Array;
  readonly exMovies: Int32Array;
}

/** Movies per panel of the kernel's movie layout (assembly/mf-kernel.ts `PANEL`). */
export const RANK_PANEL = 8;
/** Users per unit of work a thread takes (a multiple of 4). */
const CHUNK_USERS = 256;
/** Bytes of movie panels swept together by a chunk's users (stays in a core's 1–2 MiB L2). */
const BLOCK_BYTES = 256 * 1024;
/** Below this many multiply-adds per batch one thread is faster than waking a second. */
const MIN_FLOPS_FOR_TWO_THREADS = 5e7;
/**
 * From this many bytes of movie panels on, one user is ranked on two threads (each half of the
 * catalogue on its own core): the scan no longer fits a core's L2 (4 MiB here) and is bound by
 * memory bandwidth, which each core brings its own of. ml-latest-small's 9,742 movies × 100
 * factors (3.9 MB) stay on one thread; 62,423 (25 MB) are split.
 */
const MIN_BYTES_TO_SPLIT_ONE_USER = 8 * 2 ** 20;
const EMPTY = 0x7fffffff;

/** Cache-sized block of panels for rows of k4 floats. */
function panelsPerBlock(k4: number): number {
  return Math.max(1, Math.floor(BLOCK_BYTES / (k4 * 4 * RANK_PANEL)));
}

/**
 * The TypeScript reference of the kernel's `rankUsers`, for tests: the same f32 arithmetic in the
 * same order (the dot product summed over the factors one by one, then + b_i, then + base_u), the
 * same exclusions and the same tie rule (equal scores go to the smaller movie index). `arithmetic`
 * is the ranker's (`FactorRanker.arithmetic`): a fused multiply-add rounds acc + p·q once (the
 * product of two f32 is exact in f64, so one f64 add then one f32 rounding gives it, but for a
 * double rounding too rare to meet in a test), a separate one rounds the product first.
 */
export function rankUsersJs(
  f: RankingFactors,
  request: RankRequest,
  k: number,
  arithmetic: MaddArithmetic = 'separate',
): RankedBlock {
  const n = request.users.length;
  const movies = new Int32Array(n * k).fill(-1);
  const scores = new Float32Array(n * k).fill(Number.NEGATIVE_INFINITY);
  const fr = Math.fround;
  for (let j = 0; j < n; j++) {
    const u = request.users[j]!;
    const skip = new Set(request.exMovies.subarray(request.exStart[j]!, request.exStart[j + 1]!));
    const best: { s: number; i: number }[] = [];
    for (let i = 0; i < f.nMovies; i++) {
      if (skip.has(i)) continue;
      let acc = 0;
      for (let c = 0; c < f.k4; c++) {
        const product = f.userFactors[u * f.k4 + c]! * f.itemFactors[i * f.k4 + c]!;
        acc = fr(acc + (arithmetic === 'fused' ? product : fr(product)));
      }
      best.push({ s: fr(fr(acc + f.itemBias[i]!) + f.userBase[u]!), i });
    }
    best.sort((a, b) => b.s - a.s || a.i - b.i);
    for (let t = 0; t < Math.min(k, best.length); t++) {
      movies[j * k + t] = best[t]!.i;
      scores[j * k + t] = best[t]!.s;
    }
  }
  return { k, movies, scores };
}

/**
 * The second thread's program (plain JavaScript, so it runs under tsx, vitest and dist alike):
 * for each batch it instantiates the kernel on the batch's shared memory and takes chunks of users
 * from the shared counter until none are left, then raises the done flag. Control words: [0] next
 * chunk, [1] done, [2] failed (a trap must fail the ranking, not leave the caller waiting).
 */
const partnerSource = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ module, memory, ctrl, nChunks, chunk, nUsers, args }) => {
  const c = new Int32Array(memory.buffer, ctrl, 4);
  try {
    const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports;
    for (;;) {
      const at = Atomics.add(c, 0, 1);
      if (at >= nChunks) break;
      const u0 = at * chunk;
      kernel.rankUsers(u0, Math.min(u0 + chunk, nUsers), ...args);
    }
  } catch {
    Atomics.store(c, 2, 1);
  }
  Atomics.store(c, 1, 1);
  Atomics.notify(c, 1);
});
`;

let partner: Worker | null = null;
/** Generous: only a wedged thread takes this long (the ranking then fails loudly). */
const PARTNER_TIMEOUT_MS = 300_000;

/**
 * The persistent partner worker, created on first use and unref'd (it never keeps the process
 * alive); null when threads are unavailable, and the caller then ranks alone.
 */
function rankPartner(): Worker | null {
  try {
    if (!partner) {
      const started = new Worker(partnerSource, { eval: true, execArgv: [] });
      // A dead partner is replaced on the next batch (an unheard 'error' would end the process).
      started.on('error', () => {
        if (partner === started) partner = null;
      });
      started.unref();
      partner = started;
    }
    return partner;
  } catch {
    return null;
  }
}

/**
 * Batched top-k over a factor model's whole catalogue in the WebAssembly kernel (`rankUsers`): the
 * movie factors are laid out once in panels, then users are ranked in batches of up to
 * `capacity.users`, each batch split into chunks of 256 users that this thread and one partner
 * worker take from a shared counter. A user's result does not depend on which thread ranked it, so
 * the thread count changes the speed, never the result. The kernel is the fused build where the
 * engine has relaxed SIMD (scores then differ from the plain build's in the last bits, so two
 * movies a hair apart may swap places; each build is deterministic on a machine). Build one per
 * model and reuse it.
 */
export class FactorRanker {
  private readonly arena: KernelArena;
  private readonly nPanels: number;
  private readonly capUsers: number;
  private readonly capExclusions: number;
  private readonly ptr: Readonly<Record<'qt' | 'bi' | 'p' | 'base' | 'exStart' | 'exIdx', number>>;
  private readonly p: Float32Array;
  private readonly base: Float32Array;
  private readonly exStart: Int32Array;
  private readonly exIdx: Int32Array;
  private readonly heapS: Placed<Float32Array>;
  private readonly heapI: Placed<Int32Array>;
  private readonly scratch: number;
  private readonly ctrl: Placed<Int32Array>;
  /** The thread that ranks half the catalogue for a single user; 'off' after it failed to answer. */
  private partner: OneUserPartner | 'off' | null = null;
  /** Single-user rankings shared with the partner thread (for tests and benchmarks). */
  oneUserSplits = 0;

  /** How this ranker's kernel multiplies and adds (what `rankUsersJs` must be told to match it). */
  readonly arithmetic: MaddArithmetic;

  /**
   * `capacity.users` users and `capacity.exclusions` excluded movies per batch (a single user with
   * more exclusions than that cannot be ranked); `k` entries per user. `capacity.fused` false keeps
   * the plain SIMD kernel even where the fused one runs (the bench compares the two).
   */
  constructor(
    private readonly factors: RankingFactors,
    readonly k: number,
    capacity: { readonly users: number; readonly exclusions: number; readonly fused?: boolean },
  ) {
    const { k4, nMovies } = factors;
    this.nPanels = Math.ceil(nMovies / RANK_PANEL);
    this.capUsers = Math.max(4, (capacity.users + 3) & ~3);
    this.capExclusions = Math.max(1, capacity.exclusions);
    const cap = this.capUsers;
    this.arena = new KernelArena(
      KernelArena.bytesFor([
        ['f32', this.nPanels * RANK_PANEL * k4],
        ['f32', this.nPanels * RANK_PANEL],
        ['f32', cap * k4],
        ['f32', cap],
        ['i32', cap + 1],
        ['i32', this.capExclusions],
        ['f32', cap * k],
        ['i32', cap * k],
        ['f32', 2 * RANK_PANEL],
        ['i32', 4],
      ]) + OneUserPartner.bytes,
      (capacity.fused ?? true) ? (fusedKernelModule() ?? kernelModule()) : kernelModule(),
    );
    this.arithmetic = maddArithmetic(this.arena.kernel);
    const qt = this.arena.alloc('f32', this.nPanels * RANK_PANEL * k4);
    const bi = this.arena.alloc('f32', this.nPanels * RANK_PANEL);
    layOutPanels(factors, qt.view, bi.view);
    const p = this.arena.alloc('f32', cap * k4);
    const base = this.arena.alloc('f32', cap);
    const exStart = this.arena.alloc('i32', cap + 1);
    const exIdx = this.arena.alloc('i32', this.capExclusions);
    this.ptr = { qt: qt.ptr, bi: bi.ptr, p: p.ptr, base: base.ptr, exStart: exStart.ptr, exIdx: exIdx.ptr };
    this.p = p.view;
    this.base = base.view;
    this.exStart = exStart.view;
    this.exIdx = exIdx.view;
    this.heapS = this.arena.alloc('f32', cap * k);
    this.heapI = this.arena.alloc('i32', cap * k);
    this.scratch = this.arena.alloc('f32', 2 * RANK_PANEL).ptr;
    this.ctrl = this.arena.alloc('i32', 4);
  }

  /** Multiply-adds ×2 per (user, movie) pair: the flop count of one score. */
  get flopsPerScore(): number {
    return 2 * this.factors.k4;
  }

  /**
   * Top-k of every user of the request over every movie, minus their exclusions. `threads` 1 or 2
   * is obeyed; 0 (the default) means 2 on the main thread for a batch big enough to repay waking
   * the second thread, and 1 inside a worker thread, whose caller already runs work side by side.
   */
  rank(request: RankRequest, threads = 0): RankedBlock {
    const n = request.users.length;
    const k = this.k;
    const movies = new Int32Array(n * k);
    const scores = new Float32Array(n * k);
    for (let from = 0; from < n; ) {
      const to = this.batchEnd(request, from);
      this.loadBatch(request, from, to);
      this.runBatch(to - from, threads);
      this.readBatch(to - from, movies.subarray(from * k, to * k), scores.subarray(from * k, to * k));
      from = to;
    }
    return { k, movies, scores };
  }

  /** The end of the batch starting at `from`: as many users as fit both capacities. */
  private batchEnd(request: RankRequest, from: number): number {
    const { exStart } = request;
    let to = from;
    while (
      to < request.users.length &&
      to - from < this.capUsers &&
      exStart[to + 1]! - exStart[from]! <= this.capExclusions
    )
      to++;
    if (to === from) {
      throw new Error(
        `user ${request.users[from]} excludes ${exStart[from + 1]! - exStart[from]!} movies, more than the ranker's capacity of ${this.capExclusions}`,
      );
    }
    return to;
  }

  /** Copies a batch's user rows, bases and sorted exclusions into kernel memory; heaps emptied. */
  private loadBatch(request: RankRequest, from: number, to: number): void {
    const { k4, nUsers, userFactors, userBase } = this.factors;
    const n = to - from;
    const n4 = (n + 3) & ~3;
    const off = request.exStart[from]!;
    for (let j = 0; j < n; j++) {
      const u = request.users[from + j]!;
      if (!(u >= 0 && u < nUsers)) throw new Error(`user index ${u} is outside 0…${nUsers - 1}`);
      this.p.set(userFactors.subarray(u * k4, (u + 1) * k4), j * k4);
      this.base[j] = userBase[u]!;
      const a = request.exStart[from + j]!;
      const b = request.exStart[from + j + 1]!;
      this.exStart[j] = a - off;
      this.exIdx.set(request.exMovies.subarray(a, b), a - off);
      this.exIdx.subarray(a - off, b - off).sort();
    }
    // Padding users to a multiple of 4: zero rows, no exclusions; their heaps are never read.
    this.p.fill(0, n * k4, n4 * k4);
    this.base.fill(0, n, n4);
    this.exStart.fill(request.exStart[to]! - off, n, n4 + 1);
    this.heapS.view.fill(Number.NEGATIVE_INFINITY, 0, n4 * this.k);
    this.heapI.view.fill(EMPTY, 0, n4 * this.k);
  }

  /** What both ranking exports take after the users: factors, exclusions and heaps. */
  private rankArrays(): RankArrays {
    const { ptr, k, factors } = this;
    return [
      ptr.p,
      ptr.base,
      ptr.qt,
      ptr.bi,
      this.nPanels,
      factors.k4,
      ptr.exStart,
      ptr.exIdx,
      k,
      this.heapS.ptr,
      this.heapI.ptr,
    ];
  }

  /** `rankUsers`' arguments after (u0, u1), but its scratch. */
  private kernelArgs() {
    return [...this.rankArrays(), panelsPerBlock(this.factors.k4)] as const;
  }

  /** Ranks the loaded batch of n users on one or two threads. */
  private runBatch(n: number, threads: number): void {
    if (n < 4) {
      // Fewer users than a tile: each alone, without the tile's padding users (same lists).
      const arrays = this.rankArrays();
      const partner = n === 1 ? this.oneUserPartner(threads) : null;
      if (partner) this.rankOneUserOnTwo(partner, arrays);
      else for (let u = 0; u < n; u++) this.arena.kernel.rankUser(u, ...arrays, this.scratch);
      return;
    }
    const n4 = (n + 3) & ~3;
    const nChunks = Math.ceil(n4 / CHUNK_USERS);
    const args = this.kernelArgs();
    const kernel = this.arena.kernel;
    const flops = n4 * this.nPanels * RANK_PANEL * this.flopsPerScore;
    const two = threads === 2 || (threads === 0 && isMainThread && flops >= MIN_FLOPS_FOR_TWO_THREADS);
    const helper = two && nChunks > 1 ? rankPartner() : null;
    const c = this.ctrl.view;
    c.fill(0);
    if (helper) {
      // The partner's scratch is the second half of the panel scratch.
      const partnerArgs = [...args, this.scratch + 4 * RANK_PANEL];
      helper.postMessage({
        module: this.arena.module,
        memory: this.arena.memory,
        ctrl: this.ctrl.ptr,
        nChunks,
        chunk: CHUNK_USERS,
        nUsers: n4,
        args: partnerArgs,
      });
    }
    for (;;) {
      const at = Atomics.add(c, 0, 1);
      if (at >= nChunks) break;
      const u0 = at * CHUNK_USERS;
      kernel.rankUsers(u0, Math.min(u0 + CHUNK_USERS, n4), ...args, this.scratch);
    }
    if (!helper) return;
    if (Atomics.wait(c, 1, 0, PARTNER_TIMEOUT_MS) === 'timed-out') {
      partner?.terminate();
      partner = null;
      throw new Error(`ranking partner thread did not finish within ${PARTNER_TIMEOUT_MS / 1000} s`);
    }
    if (Atomics.load(c, 2) !== 0) throw new Error('ranking partner thread failed in the kernel');
  }

  /**
   * The partner for one user's ranking when `threads` asks for two (2; or 0 on the main thread for
   * a catalogue too big for a core's cache), started on first use; null to rank alone. With 0 a
   * partner still starting is not waited for.
   */
  private oneUserPartner(threads: number): OneUserPartner | null {
    const big = this.nPanels * RANK_PANEL * this.factors.k4 * 4 >= MIN_BYTES_TO_SPLIT_ONE_USER;
    if (this.partner === 'off' || !(threads === 2 || (threads === 0 && isMainThread && big))) return null;
    if (this.partner === null) {
      try {
        this.partner = new OneUserPartner(this, this.arena);
      } catch {
        this.partner = 'off';
        return null;
      }
    }
    if (this.partner.ready || (threads === 2 && this.partner.waitReady(10_000))) return this.partner;
    return null;
  }

  /**
   * User 0 of the batch: the first half of the panels here into heap 0, the second half on the
   * partner into heap 1, at once; then the better k of both into heap 0. Each half's heap holds its
   * exact top-k (score, then the smaller index), so their union holds the whole catalogue's.
   */
  private rankOneUserOnTwo(partner: OneUserPartner, arrays: RankArrays): void {
    const [p, base, qt, bi, nPanels, k4, exStart, exIdx, k, heapS, heapI] = arrays;
    const half = nPanels >> 1;
    const slot = 4 * k;
    const kernel = this.arena.kernel;
    const partnerScratch = this.scratch + 4 * RANK_PANEL;
    const rest = [p, base, qt, bi, nPanels, k4, exStart, exIdx, k] as const;
    partner.start([0, half, ...rest, heapS + slot, heapI + slot, partnerScratch]);
    kernel.rankUserFrom(0, 0, p, base, qt, bi, half, k4, exStart, exIdx, k, heapS, heapI, this.scratch);
    const outcome = partner.finish();
    if (outcome === 'failed') throw new Error('one-user ranking partner thread failed in the kernel');
    let other = 1;
    if (outcome === 'timed-out') {
      // The partner may still write heap 1 until it is gone: its half is ranked here into heap 2.
      this.partner = 'off';
      kernel.rankUserFrom(0, half, ...rest, heapS + 2 * slot, heapI + 2 * slot, this.scratch);
      other = 2;
    }
    const hs = this.heapS.view;
    const hi = this.heapI.view;
    const both = Array.from({ length: 2 * k }, (_, t) => (t < k ? t : other * k + t - k));
    both.sort((a, b) => hs[b]! - hs[a]! || hi[a]! - hi[b]!);
    const s = both.slice(0, k).map((t) => hs[t]!);
    const i = both.slice(0, k).map((t) => hi[t]!);
    hs.set(s, 0);
    hi.set(i, 0);
    if (outcome === 'done') this.oneUserSplits++;
  }

  /** Ends the single-user partner thread, if one was started (it would otherwise end with the ranker). */
  close(): void {
    if (this.partner instanceof OneUserPartner) this.partner.close();
    this.partner = 'off';
  }

  /** Each heap of the batch sorted best first into the output (EMPTY entries become -1). */
  private readBatch(n: number, movies: Int32Array, scores: Float32Array): void {
    const k = this.k;
    const hs = this.heapS.view;
    const hi = this.heapI.view;
    const order = Array.from({ length: k }, (_, t) => t);
    for (let j = 0; j < n; j++) {
      const o = j * k;
      order.sort((a, b) => hs[o + b]! - hs[o + a]! || hi[o + a]! - hi[o + b]!);
      for (let t = 0; t < k; t++) {
        const i = hi[o + order[t]!]!;
        movies[o + t] = i === EMPTY ? -1 : i;
        scores[o + t] = i === EMPTY ? Number.NEGATIVE_INFINITY : hs[o + order[t]!]!;
      }
      for (let t = 0; t < k; t++) order[t] = t;
    }
  }
}

/**
 * Movie rows into the kernel's panels (eight movies, factor-major) and biases padded to whole
 * panels; padding movies get b_i = −∞ so that they never enter a top-k.
 */
function layOutPanels(f: RankingFactors, qt: Float32Array, bi: Float32Array): void {
  const { k4, nMovies } = f;
  for (let i = 0; i < nMovies; i++) {
    const panel = (i / RANK_PANEL) | 0;
    const lane = i % RANK_PANEL;
    const out = panel * k4 * RANK_PANEL + lane;
    for (let c = 0; c < k4; c++) qt[out + c * RANK_PANEL] = f.itemFactors[i * k4 + c]!;
    bi[i] = f.itemBias[i]!;
  }
  bi.fill(Number.NEGATIVE_INFINITY, nMovies);
}
