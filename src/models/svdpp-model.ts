import { groupByUser, startFactorFit, type termRates, type UserRows, userRows } from './factor-engine.ts';
import type { Placed } from './mf-kernel.ts';
import type { FitOptions, ModelParams } from './rating-model.ts';
import type { DenseRatings } from './rating-model-base.ts';
import { SvdModel } from './svd-model.ts';

type Rates = ReturnType<typeof termRates>;

/**
 * The TypeScript reference of `svdppEpoch` in assembly/mf-kernel.ts: same maths, f64 arithmetic on
 * f32 storage. `items`/`ratings`/`weights` are in row order grouped by user (`rowStart`).
 * It is long because it mirrors the kernel's single loop statement by statement, so the two can
 * be compared line by line.
 */
export function svdppEpochJs(
  order: Int32Array,
  rowStart: Int32Array,
  items: Int32Array,
  ratings: Float32Array,
  weights: Float32Array | undefined,
  pu: Float32Array,
  qi: Float32Array,
  bu: Float32Array,
  bi: Float32Array,
  y: Float32Array,
  k4: number,
  mean: number,
  r: Rates,
  lrY: number,
  regY: number,
): number {
  let loss = 0;
  const z = new Float64Array(k4);
  const g = new Float64Array(k4);
  const decay = 1 - lrY * regY;
  for (const u of order) {
    const start = rowStart[u]!;
    const end = rowStart[u + 1]!;
    if (end === start) continue;
    const nrm = 1 / Math.sqrt(end - start);
    z.fill(0);
    g.fill(0);
    for (let t = start; t < end; t++) {
      const yo = items[t]! * k4;
      for (let f = 0; f < k4; f++) z[f]! += y[yo + f]!;
    }
    for (let f = 0; f < k4; f++) z[f]! *= nrm;
    let d = 1;
    const po = u * k4;
    for (let t = start; t < end; t++) {
      const i = items[t]!;
      const qo = i * k4;
      let dot = 0;
      for (let f = 0; f < k4; f++) dot += qi[qo + f]! * (pu[po + f]! + z[f]!);
      const b_u = bu[u]!;
      const b_i = bi[i]!;
      let err = ratings[t]! - (mean + b_u + b_i + dot);
      loss += err * err;
      if (weights) err *= weights[t]!;
      bu[u] = b_u + r.lrBu * (err - r.regBu * b_u);
      bi[i] = b_i + r.lrBi * (err - r.regBi * b_i);
      for (let f = 0; f < k4; f++) {
        const puf = pu[po + f]!;
        const qif = qi[qo + f]!;
        const zf = z[f]!;
        pu[po + f] = puf + r.lrPu * (err * qif - r.regPu * puf);
        qi[qo + f] = qif + r.lrQi * (err * (puf + zf) - r.regQi * qif);
        g[f] = g[f]! * decay + err * nrm * lrY * qif;
        z[f] = zf * decay + err * lrY * qif;
      }
      d *= decay;
    }
    for (let t = start; t < end; t++) {
      const yo = items[t]! * k4;
      for (let f = 0; f < k4; f++) y[yo + f] = y[yo + f]! * d + g[f]!;
    }
  }
  return loss;
}

/** p_u + |N(u)|^-½ Σ y_j for every user (the reference of `svdppUserVectors`). */
export function svdppUserVectorsJs(
  rowStart: Int32Array,
  items: Int32Array,
  pu: Float32Array,
  y: Float32Array,
  out: Float32Array,
  k4: number,
): void {
  const nUsers = rowStart.length - 1;
  const acc = new Float64Array(k4);
  for (let u = 0; u < nUsers; u++) {
    const start = rowStart[u]!;
    const end = rowStart[u + 1]!;
    acc.fill(0);
    for (let t = start; t < end; t++) {
      const yo = items[t]! * k4;
      for (let f = 0; f < k4; f++) acc[f]! += y[yo + f]!;
    }
    const nrm = end > start ? 1 / Math.sqrt(end - start) : 0;
    for (let f = 0; f < k4; f++) out[u * k4 + f] = pu[u * k4 + f]! + nrm * acc[f]!;
  }
}

/**
 * `svdpp` — SVD++ (Koren 2008; Surprise's SVDpp with its defaults: 20 factors, 20 epochs,
 * γ 0.007, λ 0.02, init N(0, 0.1)): SVD plus the implicit signal of *which* movies a user rated.
 *
 * Prediction: r̂(u,i) = μ + b_u + b_i + q_i·(p_u + |N(u)|^-½ Σ_{j∈N(u)} y_j), N(u) the movies u rated
 * in training. Unknown user or movie: μ plus the known bias, as in svd.
 *
 * Loss: Σ (r − r̂)² + λ_bu b_u² + λ_bi b_i² + λ_pu ‖p_u‖² + λ_qi ‖q_i‖² + λ_yj Σ_j ‖y_j‖².
 *
 * Update, user by user (seeded order), for each rating of u with e = r − r̂ and z = |N(u)|^-½ Σ y_j:
 * b_u += γ_bu (e − λ_bu b_u); b_i += γ_bi (e − λ_bi b_i); p_u += γ_pu (e q_i − λ_pu p_u);
 * q_i += γ_qi (e (p_u + z) − λ_qi q_i); y_j += γ_yj (e |N(u)|^-½ q_i − λ_yj y_j) for every j ∈ N(u).
 *
 * Speed: that last update touches |N(u)| rows per rating (Surprise: 49.5 s per fold). It is linear
 * in y_j with coefficients shared by all j, so we carry it as y_j = D y_j⁰ + G for the whole user
 * (D a scalar decay, G one accumulated row) and write the y_j once per user: the same result as the
 * per-rating update (up to float rounding; a test checks it against the naive loop), in
 * O(|N(u)| k) per user. The epoch runs in the WebAssembly SIMD kernel; what is kept for prediction
 * is the effective user vector p_u + z.
 */
export class SvdppModel extends SvdModel {
  override readonly kind: string = 'svdpp';

  constructor(params: ModelParams) {
    super(params);
  }

  protected override fitDense(data: DenseRatings, options: FitOptions): void {
    const p = this.params;
    const { nUsers, nMovies, size } = data;
    const fit = startFactorFit(p, data, options.seed, (k4) => [
      ['f32', nMovies * k4],
      ['f32', nUsers * k4],
      ['i32', nUsers],
      ['i32', nUsers + 1],
      ['i32', size],
      ['f32', size],
      ['f32', data.weights ? size : 0],
      ['f32', k4],
      ['f32', k4],
    ]);
    const { k, k4, epochs, rng, arena, arrays, qi, bu, bi } = fit;
    const y = arrays.factors(rng, nMovies, k, k4, p);
    const effective = arrays.f32(nUsers * k4);
    const rows = userRows(data, groupByUser(data, rng), arrays);
    const scratch = arena ? { z: arrays.f32(k4), g: arrays.f32(k4) } : null;
    this.adoptFit(k, k4, true, effective, qi, bu, bi, arena);
    const state: SvdppFit = { ...fit, nUsers, mean: data.globalMean, y, effective, rows, scratch };
    for (let epoch = 1; epoch <= epochs; epoch++) {
      this.svdppEpoch(state);
      // The hook may predict: the effective user vectors must be current when it runs.
      if (options.onEpoch || epoch === epochs) this.userVectors(state);
      if (!this.epochDone(options, epoch)) break;
    }
    this.releaseArena();
  }

  /** One epoch of the update above: in the kernel, or in `svdppEpochJs` (js engine). */
  private svdppEpoch(s: SvdppFit): void {
    const { rows, pu, qi, bu, bi, y, k4, mean, rates } = s;
    const lrY = this.params.lr_yj as number;
    const regY = this.params.reg_yj as number;
    if (!s.arena || !s.scratch) {
      const { order, rowStart, items, ratings, weights } = rows;
      svdppEpochJs(
        ...[order.view, rowStart.view, items.view, ratings.view, weights?.view],
        ...[pu.view, qi.view, bu.view, bi.view, y.view],
        ...[k4, mean, rates, lrY, regY],
      );
      return;
    }
    s.arena.kernel.svdppEpoch(
      ...[
        s.nUsers,
        rows.order.ptr,
        rows.rowStart.ptr,
        rows.items.ptr,
        rows.ratings.ptr,
        rows.weights?.ptr ?? 0,
      ],
      ...[pu.ptr, qi.ptr, bu.ptr, bi.ptr, y.ptr, s.scratch.z.ptr, s.scratch.g.ptr, k4, mean],
      ...[rates.lrBu, rates.lrBi, rates.lrPu, rates.lrQi, lrY],
      ...[rates.regBu, rates.regBi, rates.regPu, rates.regQi, regY],
    );
  }

  /** The effective user vectors p_u + |N(u)|^-½ Σ y_j the model predicts with. */
  private userVectors(s: SvdppFit): void {
    const { rows, pu, y, effective, k4 } = s;
    if (s.arena) {
      s.arena.kernel.svdppUserVectors(
        s.nUsers,
        rows.rowStart.ptr,
        rows.items.ptr,
        pu.ptr,
        y.ptr,
        effective.ptr,
        k4,
      );
    } else {
      svdppUserVectorsJs(rows.rowStart.view, rows.items.view, pu.view, y.view, effective.view, k4);
      this.scorer = null;
    }
  }
}

/** What an svdpp fit carries from epoch to epoch. */
type SvdppFit = ReturnType<typeof startFactorFit> & {
  readonly nUsers: number;
  readonly mean: number;
  readonly y: Placed<Float32Array>;
  readonly effective: Placed<Float32Array>;
  readonly rows: UserRows;
  readonly scratch: { readonly z: Placed<Float32Array>; readonly g: Placed<Float32Array> } | null;
};
