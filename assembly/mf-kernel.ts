// Matrix-factorisation kernels for the `svd` and `svdpp` models, compiled to WebAssembly with SIMD
// (f32x4) by `npm run build:wasm` (assembly/build.ts). The TypeScript reference implementations in
// src/models/svd-model.ts and svdpp-model.ts compute the same updates; tests check both agree.
//
// This file is long because every kernel has to be in one WebAssembly module: one build, one
// instance per arena, and one shared memory that a partner thread instantiates the same module on.
//
// No allocation happens here: the caller lays every array out in the (imported) memory and passes
// byte offsets. Factor rows have `k4` floats (the factor count rounded up to a multiple of 4, the
// padding lanes zero — and they stay zero, since every update of a zero lane pair is zero).

/**
 * acc + s·q per lane, for the ranking kernels. The build with relaxed SIMD enabled fuses it
 * (`f32x4.relaxed_madd`: one rounding, and on a CPU with FMA twice the multiply-add throughput);
 * the plain SIMD build multiplies then adds. assembly/build.ts makes both. Only the ranking kernels
 * use it, so the fits are bit-identical across the two builds.
 */
@inline function madd(s: v128, q: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(s, q, acc);
  return f32x4.add(acc, f32x4.mul(s, q));
}

/**
 * Lane 0 of madd(a, b, c). Relaxed SIMD lets an engine fuse or not; the TypeScript side compares
 * this with both results to learn which arithmetic the ranking kernels use on this machine.
 */
export function maddProbe(a: f32, b: f32, c: f32): f32 {
  return f32x4.extract_lane(madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
}

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

@inline function dot(a: usize, b: usize, k4: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  const bytes = <usize>k4 << 2;
  let f: usize = 0;
  // Two accumulators break the add dependency chain.
  for (; f + 32 <= bytes; f += 32) {
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + f), v128.load(b + f)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(a + f + 16), v128.load(b + f + 16)));
  }
  if (f < bytes) acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + f), v128.load(b + f)));
  return hsum(f32x4.add(acc0, acc1));
}

/**
 * One SGD epoch of biased MF over `n` rows in the given order (Funk/Koren, Surprise's SVD):
 * e = w (r − μ − b_u − b_i − q_i·p_u); b_u += γ_bu (e − λ_bu b_u); b_i += γ_bi (e − λ_bi b_i);
 * p_u += γ_pu (e q_i − λ_pu p_u); q_i += γ_qi (e p_u − λ_qi q_i) with the old p_u, q_i.
 * `weights` is 0 when every row weighs 1. Returns Σ e² (before the updates).
 */
export function svdEpoch(
  n: i32, users: usize, items: usize, ratings: usize, weights: usize,
  pu: usize, qi: usize, bu: usize, bi: usize, k4: i32, mean: f32,
  lrBu: f32, lrBi: f32, lrPu: f32, lrQi: f32, regBu: f32, regBi: f32, regPu: f32, regQi: f32,
): f64 {
  let loss: f64 = 0;
  const rowBytes = <usize>k4 << 2;
  // p + γ(e q − λ p) = (1 − γλ) p + (γ e) q: three operations per lane instead of four.
  const vKeepP = f32x4.splat(1 - lrPu * regPu);
  const vKeepQ = f32x4.splat(1 - lrQi * regQi);
  // When the next row has the same user, its dot product is accumulated while p_u is updated:
  // p_u is then read once per rating instead of twice.
  let nextDot: f32 = 0;
  let haveNextDot = false;
  for (let t = 0; t < n; t++) {
    const o = <usize>t << 2;
    const u = <usize>load<i32>(users + o);
    const i = <usize>load<i32>(items + o);
    const p = pu + u * rowBytes;
    const q = qi + i * rowBytes;
    const bup = bu + (u << 2);
    const bip = bi + (i << 2);
    const b_u = load<f32>(bup);
    const b_i = load<f32>(bip);
    let err = load<f32>(ratings + o) - (mean + b_u + b_i + (haveNextDot ? nextDot : dot(p, q, k4)));
    loss += <f64>err * <f64>err;
    if (weights != 0) err *= load<f32>(weights + o);
    store<f32>(bup, b_u + lrBu * (err - regBu * b_u));
    store<f32>(bip, b_i + lrBi * (err - regBi * b_i));
    const vStepP = f32x4.splat(lrPu * err);
    const vStepQ = f32x4.splat(lrQi * err);
    haveNextDot = t + 1 < n && <usize>load<i32>(users + o + 4) == u;
    if (haveNextDot) {
      const qn = qi + <usize>load<i32>(items + o + 4) * rowBytes;
      let acc = f32x4.splat(0);
      for (let f: usize = 0; f < rowBytes; f += 16) {
        const pv = v128.load(p + f);
        const qv = v128.load(q + f);
        const np = f32x4.add(f32x4.mul(vKeepP, pv), f32x4.mul(vStepP, qv));
        v128.store(p + f, np);
        v128.store(q + f, f32x4.add(f32x4.mul(vKeepQ, qv), f32x4.mul(vStepQ, pv)));
        // Loaded after the store: right even if the next row repeats this movie.
        acc = f32x4.add(acc, f32x4.mul(np, v128.load(qn + f)));
      }
      nextDot = hsum(acc);
    } else {
      for (let f: usize = 0; f < rowBytes; f += 16) {
        const pv = v128.load(p + f);
        const qv = v128.load(q + f);
        v128.store(p + f, f32x4.add(f32x4.mul(vKeepP, pv), f32x4.mul(vStepP, qv)));
        v128.store(q + f, f32x4.add(f32x4.mul(vKeepQ, qv), f32x4.mul(vStepQ, pv)));
      }
    }
  }
  return loss;
}

/**
 * One SGD epoch of SVD++ (Koren 2008; Surprise's SVDpp), user by user in `order`. The rows of
 * user u are rowStart[u] … rowStart[u+1]−1 (rows grouped by user); N(u) is the items of those rows.
 *
 * Surprise updates every y_j (j ∈ N(u)) after every rating of u, which costs |N(u)|·k per rating.
 * That update is linear in y_j with the same coefficients for every j, so it is applied exactly in
 * one pass per user instead: after t ratings, y_j = D·y_j⁰ + G with D = Π(1 − γ_y λ_y) and
 * G ← (1 − γ_y λ_y) G + γ_y e |N|^-½ q_i; the implicit term z = |N|^-½ Σ y_j follows
 * z ← (1 − γ_y λ_y) z + γ_y e q_i. Same result as the per-rating update, O(|N(u)|·k) per user.
 * `z` and `g` are scratch rows. Returns Σ e².
 */
export function svdppEpoch(
  nUsers: i32, order: usize, rowStart: usize, items: usize, ratings: usize, weights: usize,
  pu: usize, qi: usize, bu: usize, bi: usize, y: usize, z: usize, g: usize, k4: i32, mean: f32,
  lrBu: f32, lrBi: f32, lrPu: f32, lrQi: f32, lrY: f32, regBu: f32, regBi: f32, regPu: f32, regQi: f32, regY: f32,
): f64 {
  let loss: f64 = 0;
  const rowBytes = <usize>k4 << 2;
  const vLrPu = f32x4.splat(lrPu);
  const vLrQi = f32x4.splat(lrQi);
  const vRegPu = f32x4.splat(regPu);
  const vRegQi = f32x4.splat(regQi);
  const vLrY = f32x4.splat(lrY);
  const decay: f32 = 1 - lrY * regY;
  const vDecay = f32x4.splat(decay);
  for (let s = 0; s < nUsers; s++) {
    const u = <usize>load<i32>(order + (<usize>s << 2));
    const start = <usize>load<i32>(rowStart + (u << 2));
    const end = <usize>load<i32>(rowStart + ((u + 1) << 2));
    if (end == start) continue;
    const nrm: f32 = 1 / Mathf.sqrt(<f32>(end - start));
    const vNrm = f32x4.splat(nrm);
    for (let f: usize = 0; f < rowBytes; f += 16) {
      v128.store(z + f, f32x4.splat(0));
      v128.store(g + f, f32x4.splat(0));
    }
    for (let t = start; t < end; t++) {
      const yj = y + <usize>load<i32>(items + (t << 2)) * rowBytes;
      for (let f: usize = 0; f < rowBytes; f += 16) v128.store(z + f, f32x4.add(v128.load(z + f), v128.load(yj + f)));
    }
    for (let f: usize = 0; f < rowBytes; f += 16) v128.store(z + f, f32x4.mul(v128.load(z + f), vNrm));
    let d: f32 = 1;
    const p = pu + u * rowBytes;
    const bup = bu + (u << 2);
    for (let t = start; t < end; t++) {
      const o = t << 2;
      const i = <usize>load<i32>(items + o);
      const q = qi + i * rowBytes;
      const bip = bi + (i << 2);
      let acc0 = f32x4.splat(0);
      for (let f: usize = 0; f < rowBytes; f += 16) {
        acc0 = f32x4.add(acc0, f32x4.mul(v128.load(q + f), f32x4.add(v128.load(p + f), v128.load(z + f))));
      }
      const b_u = load<f32>(bup);
      const b_i = load<f32>(bip);
      let err = load<f32>(ratings + o) - (mean + b_u + b_i + hsum(acc0));
      loss += <f64>err * <f64>err;
      if (weights != 0) err *= load<f32>(weights + o);
      store<f32>(bup, b_u + lrBu * (err - regBu * b_u));
      store<f32>(bip, b_i + lrBi * (err - regBi * b_i));
      const vErr = f32x4.splat(err);
      const vErrNrmLr = f32x4.splat(err * nrm * lrY);
      const vErrLr = f32x4.splat(err * lrY);
      for (let f: usize = 0; f < rowBytes; f += 16) {
        const pv = v128.load(p + f);
        const qv = v128.load(q + f);
        const zv = v128.load(z + f);
        v128.store(p + f, f32x4.add(pv, f32x4.mul(vLrPu, f32x4.sub(f32x4.mul(vErr, qv), f32x4.mul(vRegPu, pv)))));
        v128.store(
          q + f,
          f32x4.add(qv, f32x4.mul(vLrQi, f32x4.sub(f32x4.mul(vErr, f32x4.add(pv, zv)), f32x4.mul(vRegQi, qv)))),
        );
        v128.store(g + f, f32x4.add(f32x4.mul(v128.load(g + f), vDecay), f32x4.mul(vErrNrmLr, qv)));
        v128.store(z + f, f32x4.add(f32x4.mul(zv, vDecay), f32x4.mul(vErrLr, qv)));
      }
      d *= decay;
    }
    const vD = f32x4.splat(d);
    for (let t = start; t < end; t++) {
      const yj = y + <usize>load<i32>(items + (t << 2)) * rowBytes;
      for (let f: usize = 0; f < rowBytes; f += 16) {
        v128.store(yj + f, f32x4.add(f32x4.mul(v128.load(yj + f), vD), v128.load(g + f)));
      }
    }
  }
  return loss;
}

/** out_u = p_u + |N(u)|^-½ Σ_{j∈N(u)} y_j for every user: SVD++'s effective user factors. */
export function svdppUserVectors(nUsers: i32, rowStart: usize, items: usize, pu: usize, y: usize, out: usize, k4: i32): void {
  const rowBytes = <usize>k4 << 2;
  for (let u: usize = 0; u < <usize>nUsers; u++) {
    const start = <usize>load<i32>(rowStart + (u << 2));
    const end = <usize>load<i32>(rowStart + ((u + 1) << 2));
    const o = out + u * rowBytes;
    for (let f: usize = 0; f < rowBytes; f += 16) v128.store(o + f, f32x4.splat(0));
    for (let t = start; t < end; t++) {
      const yj = y + <usize>load<i32>(items + (t << 2)) * rowBytes;
      for (let f: usize = 0; f < rowBytes; f += 16) v128.store(o + f, f32x4.add(v128.load(o + f), v128.load(yj + f)));
    }
    const vNrm = f32x4.splat(end > start ? 1 / Mathf.sqrt(<f32>(end - start)) : 0);
    const p = pu + u * rowBytes;
    for (let f: usize = 0; f < rowBytes; f += 16) {
      v128.store(o + f, f32x4.add(v128.load(p + f), f32x4.mul(v128.load(o + f), vNrm)));
    }
  }
}

/** out[i] = base + b_i + q_i·p for i < nItems (out is f64): one user's scores for top-N. */
export function scoreAll(p: usize, qi: usize, bi: usize, nItems: i32, k4: i32, base: f64, out: usize): void {
  const rowBytes = <usize>k4 << 2;
  for (let i: usize = 0; i < <usize>nItems; i++) {
    store<f64>(out + (i << 3), base + <f64>load<f32>(bi + (i << 2)) + <f64>dot(p, qi + i * rowBytes, k4));
  }
}

/** Movies per panel of `rankUsers`' movie layout: two f32x4 vectors of scores per user. */
const PANEL: i32 = 8;

/**
 * The worse of two (score, movie) entries of a top-k heap: the lower score, or on a tie the larger
 * movie index (movie indices ascend with raw ids, so ties go to the smaller id, as `recommend` does).
 */
@inline function worse(sa: f32, ia: i32, sb: f32, ib: i32): bool {
  return sa < sb || (sa == sb && ia > ib);
}

/** Replaces the root of a min-heap of `topK` entries (worst at the root) and sifts it down. */
function heapReplaceRoot(hs: usize, hi: usize, topK: i32, s: f32, i: i32): void {
  let at = 0;
  for (;;) {
    const l = 2 * at + 1;
    if (l >= topK) break;
    let c = l;
    const r = l + 1;
    if (r < topK && worse(load<f32>(hs + (<usize>r << 2)), load<i32>(hi + (<usize>r << 2)), load<f32>(hs + (<usize>l << 2)), load<i32>(hi + (<usize>l << 2)))) c = r;
    const cs = load<f32>(hs + (<usize>c << 2));
    const ci = load<i32>(hi + (<usize>c << 2));
    if (!worse(cs, ci, s, i)) break;
    store<f32>(hs + (<usize>at << 2), cs);
    store<i32>(hi + (<usize>at << 2), ci);
    at = c;
  }
  store<f32>(hs + (<usize>at << 2), s);
  store<i32>(hi + (<usize>at << 2), i);
}

/** Whether movie i is in the user's sorted exclusion list ex[from…to). */
@inline function excluded(ex: usize, from: i32, to: i32, i: i32): bool {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = load<i32>(ex + (<usize>mid << 2));
    if (v < i) lo = mid + 1;
    else hi = mid;
  }
  return lo < to && load<i32>(ex + (<usize>lo << 2)) == i;
}

/**
 * Offers one panel's eight scores (at `scratch`) of user u to the user's heap; returns its new
 * threshold (the root's score). Only scores strictly above the threshold can enter: movies come in
 * ascending index order, so an equal score belongs to a larger index and loses the tie.
 */
function offerPanel(u: i32, firstMovie: i32, scratch: usize, exStart: usize, exIdx: usize, topK: i32, heapS: usize, heapI: usize): f32 {
  const hs = heapS + ((<usize>u * <usize>topK) << 2);
  const hi = heapI + ((<usize>u * <usize>topK) << 2);
  const from = load<i32>(exStart + (<usize>u << 2));
  const to = load<i32>(exStart + ((<usize>u + 1) << 2));
  let th = load<f32>(hs);
  for (let l = 0; l < PANEL; l++) {
    const s = load<f32>(scratch + (<usize>l << 2));
    if (!(s > th)) continue;
    const i = firstMovie + l;
    if (excluded(exIdx, from, to, i)) continue;
    heapReplaceRoot(hs, hi, topK, s, i);
    th = load<f32>(hs);
  }
  return th;
}

/**
 * Top-k movies of users u0 … u1−1 (u1 − u0 a multiple of 4) by score(u, i) = (q_i·p_u + b_i) +
 * base_u, all f32, the dot product summed over the factors in order. A blocked matrix product:
 * `qt` holds the movies in panels of eight, factor-major (panel j: for each factor f, movies
 * 8j…8j+7), so one f32x4 holds four movies' partial sums; a tile of 4 users × 8 movies keeps its
 * eight accumulators in registers, and `panelsPerBlock` panels (sized to stay in cache) are swept by
 * every user of the range before the next block. Padding movies carry b_i = −∞ and never enter.
 *
 * Each user's heap (heapS/heapI, `topK` entries from u·topK, worst at the root) must start filled
 * with (−∞, 0x7fffffff); `exStart`/`exIdx` list each user's excluded movie indices, ascending
 * (CSR). `scratch` is 32 bytes. `rankUsersJs` in src/models/mf-kernel-rank.ts is the TypeScript
 * reference; a test checks both pick the same top-k.
 *
 * It is long because the tile is written out by hand: four users' eight accumulators, bases and
 * thresholds as separate locals, so that they stay in registers (AssemblyScript has no arrays of
 * v128 locals, and a loop over users would reload them from memory for every factor).
 */
export function rankUsers(
  u0: i32, u1: i32, p: usize, base: usize, qt: usize, bi: usize, nPanels: i32, k4: i32,
  exStart: usize, exIdx: usize, topK: i32, heapS: usize, heapI: usize, panelsPerBlock: i32, scratch: usize,
): void {
  const rowBytes = <usize>k4 << 2;
  const panelBytes = rowBytes * <usize>PANEL;
  for (let b0 = 0; b0 < nPanels; b0 += panelsPerBlock) {
    const b1 = min(b0 + panelsPerBlock, nPanels);
    for (let u = u0; u < u1; u += 4) {
      const pa = p + <usize>u * rowBytes;
      const pb = pa + rowBytes;
      const pc = pb + rowBytes;
      const pd = pc + rowBytes;
      const base0 = f32x4.splat(load<f32>(base + (<usize>u << 2)));
      const base1 = f32x4.splat(load<f32>(base + ((<usize>u + 1) << 2)));
      const base2 = f32x4.splat(load<f32>(base + ((<usize>u + 2) << 2)));
      const base3 = f32x4.splat(load<f32>(base + ((<usize>u + 3) << 2)));
      let t0 = load<f32>(heapS + ((<usize>u * <usize>topK) << 2));
      let t1 = load<f32>(heapS + (((<usize>u + 1) * <usize>topK) << 2));
      let t2 = load<f32>(heapS + (((<usize>u + 2) * <usize>topK) << 2));
      let t3 = load<f32>(heapS + (((<usize>u + 3) * <usize>topK) << 2));
      for (let j = b0; j < b1; j++) {
        const q = qt + <usize>j * panelBytes;
        let a0 = f32x4.splat(0);
        let c0 = f32x4.splat(0);
        let a1 = f32x4.splat(0);
        let c1 = f32x4.splat(0);
        let a2 = f32x4.splat(0);
        let c2 = f32x4.splat(0);
        let a3 = f32x4.splat(0);
        let c3 = f32x4.splat(0);
        for (let f: usize = 0; f < rowBytes; f += 4) {
          const qa = v128.load(q + (f << 3));
          const qc = v128.load(q + (f << 3) + 16);
          const s0 = v128.load32_splat(pa + f);
          a0 = madd(s0, qa, a0);
          c0 = madd(s0, qc, c0);
          const s1 = v128.load32_splat(pb + f);
          a1 = madd(s1, qa, a1);
          c1 = madd(s1, qc, c1);
          const s2 = v128.load32_splat(pc + f);
          a2 = madd(s2, qa, a2);
          c2 = madd(s2, qc, c2);
          const s3 = v128.load32_splat(pd + f);
          a3 = madd(s3, qa, a3);
          c3 = madd(s3, qc, c3);
        }
        const ba = v128.load(bi + (<usize>j << 5));
        const bc = v128.load(bi + (<usize>j << 5) + 16);
        const first = j * PANEL;
        a0 = f32x4.add(f32x4.add(a0, ba), base0);
        c0 = f32x4.add(f32x4.add(c0, bc), base0);
        let v = f32x4.splat(t0);
        if (v128.any_true(v128.or(f32x4.gt(a0, v), f32x4.gt(c0, v)))) {
          v128.store(scratch, a0);
          v128.store(scratch + 16, c0);
          t0 = offerPanel(u, first, scratch, exStart, exIdx, topK, heapS, heapI);
        }
        a1 = f32x4.add(f32x4.add(a1, ba), base1);
        c1 = f32x4.add(f32x4.add(c1, bc), base1);
        v = f32x4.splat(t1);
        if (v128.any_true(v128.or(f32x4.gt(a1, v), f32x4.gt(c1, v)))) {
          v128.store(scratch, a1);
          v128.store(scratch + 16, c1);
          t1 = offerPanel(u + 1, first, scratch, exStart, exIdx, topK, heapS, heapI);
        }
        a2 = f32x4.add(f32x4.add(a2, ba), base2);
        c2 = f32x4.add(f32x4.add(c2, bc), base2);
        v = f32x4.splat(t2);
        if (v128.any_true(v128.or(f32x4.gt(a2, v), f32x4.gt(c2, v)))) {
          v128.store(scratch, a2);
          v128.store(scratch + 16, c2);
          t2 = offerPanel(u + 2, first, scratch, exStart, exIdx, topK, heapS, heapI);
        }
        a3 = f32x4.add(f32x4.add(a3, ba), base3);
        c3 = f32x4.add(f32x4.add(c3, bc), base3);
        v = f32x4.splat(t3);
        if (v128.any_true(v128.or(f32x4.gt(a3, v), f32x4.gt(c3, v)))) {
          v128.store(scratch, a3);
          v128.store(scratch + 16, c3);
          t3 = offerPanel(u + 3, first, scratch, exStart, exIdx, topK, heapS, heapI);
        }
      }
    }
  }
}

/**
 * Top-k movies of one user u, as `rankUsers` computes them for each user of its tile (the same
 * scores, summed in the same order, so the same lists), for a batch of fewer than four users: the
 * tile would spend three quarters of its work on padding users there, and a block of one is what
 * a known user's `recommend` asks for. Two panels at a time keep four independent accumulators in
 * flight. Same arguments as `rankUsers` but the user range.
 */
export function rankUser(
  u: i32, p: usize, base: usize, qt: usize, bi: usize, nPanels: i32, k4: i32,
  exStart: usize, exIdx: usize, topK: i32, heapS: usize, heapI: usize, scratch: usize,
): void {
  rankUserFrom(u, 0, p, base, qt, bi, nPanels, k4, exStart, exIdx, topK, heapS, heapI, scratch);
}

/**
 * `rankUser` over panels j0 … nPanels−1 only, into the heap at heapS/heapI (user u's slot there):
 * two threads can each rank part of the catalogue for one user into heaps of their own, and the
 * union of the two top-k holds the top-k of the whole.
 */
export function rankUserFrom(
  u: i32, j0: i32, p: usize, base: usize, qt: usize, bi: usize, nPanels: i32, k4: i32,
  exStart: usize, exIdx: usize, topK: i32, heapS: usize, heapI: usize, scratch: usize,
): void {
  const rowBytes = <usize>k4 << 2;
  const panelBytes = rowBytes * <usize>PANEL;
  const pa = p + <usize>u * rowBytes;
  const base0 = f32x4.splat(load<f32>(base + (<usize>u << 2)));
  let t = load<f32>(heapS + ((<usize>u * <usize>topK) << 2));
  let j = j0;
  for (; j + 1 < nPanels; j += 2) {
    const q0 = qt + <usize>j * panelBytes;
    const q1 = q0 + panelBytes;
    let a0 = f32x4.splat(0);
    let c0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let c1 = f32x4.splat(0);
    for (let f: usize = 0; f < rowBytes; f += 4) {
      const s = v128.load32_splat(pa + f);
      a0 = madd(s, v128.load(q0 + (f << 3)), a0);
      c0 = madd(s, v128.load(q0 + (f << 3) + 16), c0);
      a1 = madd(s, v128.load(q1 + (f << 3)), a1);
      c1 = madd(s, v128.load(q1 + (f << 3) + 16), c1);
    }
    a0 = f32x4.add(f32x4.add(a0, v128.load(bi + (<usize>j << 5))), base0);
    c0 = f32x4.add(f32x4.add(c0, v128.load(bi + (<usize>j << 5) + 16)), base0);
    let v = f32x4.splat(t);
    if (v128.any_true(v128.or(f32x4.gt(a0, v), f32x4.gt(c0, v)))) {
      v128.store(scratch, a0);
      v128.store(scratch + 16, c0);
      t = offerPanel(u, j * PANEL, scratch, exStart, exIdx, topK, heapS, heapI);
    }
    a1 = f32x4.add(f32x4.add(a1, v128.load(bi + ((<usize>j + 1) << 5))), base0);
    c1 = f32x4.add(f32x4.add(c1, v128.load(bi + ((<usize>j + 1) << 5) + 16)), base0);
    v = f32x4.splat(t);
    if (v128.any_true(v128.or(f32x4.gt(a1, v), f32x4.gt(c1, v)))) {
      v128.store(scratch, a1);
      v128.store(scratch + 16, c1);
      t = offerPanel(u, (j + 1) * PANEL, scratch, exStart, exIdx, topK, heapS, heapI);
    }
  }
  if (j < nPanels) {
    const q0 = qt + <usize>j * panelBytes;
    let a0 = f32x4.splat(0);
    let c0 = f32x4.splat(0);
    for (let f: usize = 0; f < rowBytes; f += 4) {
      const s = v128.load32_splat(pa + f);
      a0 = madd(s, v128.load(q0 + (f << 3)), a0);
      c0 = madd(s, v128.load(q0 + (f << 3) + 16), c0);
    }
    a0 = f32x4.add(f32x4.add(a0, v128.load(bi + (<usize>j << 5))), base0);
    c0 = f32x4.add(f32x4.add(c0, v128.load(bi + (<usize>j << 5) + 16)), base0);
    const v = f32x4.splat(t);
    if (v128.any_true(v128.or(f32x4.gt(a0, v), f32x4.gt(c0, v)))) {
      v128.store(scratch, a0);
      v128.store(scratch + 16, c0);
      offerPanel(u, j * PANEL, scratch, exStart, exIdx, topK, heapS, heapI);
    }
  }
}

/**
 * out (k4 × k4 f32, row-major) += Σ_t q q^T over q = the qi rows listed in `rows` (n i32 indices):
 * the factor block of a fold-in's Gram matrix, whole (both triangles). Four ratings per pass over
 * `out`, so each of its vectors is loaded and stored once per four. `addGram` in
 * src/models/fold-in.ts is the f64 TypeScript reference; a test checks both agree.
 */
export function gramRows(qi: usize, rows: usize, n: i32, k4: i32, out: usize): void {
  const rowBytes = <usize>k4 << 2;
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    const ra = rows + (<usize>t << 2);
    const a = qi + <usize>load<i32>(ra) * rowBytes;
    const b = qi + <usize>load<i32>(ra + 4) * rowBytes;
    const c = qi + <usize>load<i32>(ra + 8) * rowBytes;
    const d = qi + <usize>load<i32>(ra + 12) * rowBytes;
    for (let r: usize = 0; r < rowBytes; r += 4) {
      const va = f32x4.splat(load<f32>(a + r));
      const vb = f32x4.splat(load<f32>(b + r));
      const vc = f32x4.splat(load<f32>(c + r));
      const vd = f32x4.splat(load<f32>(d + r));
      const o = out + r * <usize>k4;
      for (let f: usize = 0; f < rowBytes; f += 16) {
        let acc = v128.load(o + f);
        acc = f32x4.add(acc, f32x4.mul(va, v128.load(a + f)));
        acc = f32x4.add(acc, f32x4.mul(vb, v128.load(b + f)));
        acc = f32x4.add(acc, f32x4.mul(vc, v128.load(c + f)));
        acc = f32x4.add(acc, f32x4.mul(vd, v128.load(d + f)));
        v128.store(o + f, acc);
      }
    }
  }
  for (; t < n; t++) {
    const a = qi + <usize>load<i32>(rows + (<usize>t << 2)) * rowBytes;
    for (let r: usize = 0; r < rowBytes; r += 4) {
      const va = f32x4.splat(load<f32>(a + r));
      const o = out + r * <usize>k4;
      for (let f: usize = 0; f < rowBytes; f += 16) {
        v128.store(o + f, f32x4.add(v128.load(o + f), f32x4.mul(va, v128.load(a + f))));
      }
    }
  }
}

/**
 * Fills rows × k of a k4-strided f32 matrix with N(mean, std) (padding lanes untouched): the
 * xoshiro128** stream seeded with s0…s3 and Marsaglia's polar method, as `initFactors` in
 * src/models/svd-model.ts does in TypeScript (same uniforms; log and sqrt in f32 here, so values
 * agree to f32 rounding). A million normals per fit: here it is ~3× faster.
 */
export function fillNormal(out: usize, rows: i32, k: i32, k4: i32, mean: f64, std: f64, s0: u32, s1: u32, s2: u32, s3: u32): void {
  let a = s0;
  let b = s1;
  let c = s2;
  let d = s3;
  let spare: f64 = 0;
  let haveSpare = false;
  for (let r = 0; r < rows; r++) {
    const base = out + ((<usize>r * <usize>k4) << 2);
    for (let f = 0; f < k; f++) {
      let z: f64;
      if (haveSpare) {
        z = spare;
        haveSpare = false;
      } else {
        let uu: f64;
        let vv: f64;
        let ss: f64;
        do {
          let x = b * 5;
          let result = ((x << 7) | (x >>> 25)) * 9;
          let t = b << 9;
          c ^= a;
          d ^= b;
          b ^= c;
          a ^= d;
          c ^= t;
          d = (d << 11) | (d >>> 21);
          uu = <f64>(<i32>result) * 4.656612873077393e-10;
          x = b * 5;
          result = ((x << 7) | (x >>> 25)) * 9;
          t = b << 9;
          c ^= a;
          d ^= b;
          b ^= c;
          a ^= d;
          c ^= t;
          d = (d << 11) | (d >>> 21);
          vv = <f64>(<i32>result) * 4.656612873077393e-10;
          ss = uu * uu + vv * vv;
        } while (ss >= 1 || ss == 0);
        // f32 log/sqrt: twice as fast as f64 here, and the factors are stored as f32 anyway.
        const ss32 = <f32>ss;
        const m = <f64>Mathf.sqrt((-2 * Mathf.log(ss32)) / ss32);
        z = uu * m;
        spare = vv * m;
        haveSpare = true;
      }
      store<f32>(base + (<usize>f << 2), <f32>(mean + std * z));
    }
  }
}

/** Where the caller may start laying out arrays. */
export function heapBase(): usize {
  return __heap_base;
}
