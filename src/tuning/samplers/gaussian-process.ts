import { normalCdf } from '../../experiments/statistics.ts';
import { backSubstitute, choleskyInPlace, forwardSubstitute } from '../../models/cholesky.ts';

/**
 * A small Gaussian-process regressor for Bayesian optimisation over the unit cube.
 *
 * Kernel: Matérn 5/2 with one length scale per dimension (ARD),
 *   k(x, x') = s² (1 + √5 r + 5r²/3) exp(−√5 r),  r² = Σ_d ((x_d − x'_d) / ℓ_d)²,
 * plus a noise term σ²·I (CV scores are noisy). Targets are standardised first, so s² = 1 is a fair
 * prior and the remaining hyperparameters (ℓ, σ²) are chosen by maximising the log marginal
 * likelihood  −½ yᵀK⁻¹y − ½ log|K| − n/2 log 2π: a coarse grid over a shared ℓ and σ², then a few
 * rounds of per-dimension ℓ refinement (halve / double while it improves). With tuning's few dozen
 * points this is exact and cheap (n³ with n ≤ ~200).
 */

export interface GpHyperparameters {
  readonly lengthScales: readonly number[];
  readonly noise: number;
}

export interface GpFit {
  readonly hyper: GpHyperparameters;
  readonly logMarginalLikelihood: number;
  /** Posterior mean and standard deviation at `x`, in the units of the original targets. */
  predict(x: readonly number[]): { mean: number; std: number };
}

function matern52(a: readonly number[], b: readonly number[], ls: readonly number[]): number {
  let r2 = 0;
  for (let d = 0; d < a.length; d++) {
    const t = (a[d]! - b[d]!) / ls[d]!;
    r2 += t * t;
  }
  const r = Math.sqrt(5 * r2);
  return (1 + r + (r * r) / 3) * Math.exp(-r);
}

/** The lower Cholesky factor of `m` (left untouched), or null when m is not positive definite. */
function cholesky(m: Float64Array, n: number): Float64Array | null {
  const l = m.slice();
  return choleskyInPlace(l, n) ? l : null;
}

/** Solves L z = b (forward substitution) into a new array. */
function forward(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const z = Float64Array.from(b);
  forwardSubstitute(l, n, z);
  return z;
}

/** Solves Lᵀ x = z (back substitution) into a new array. */
function backward(l: Float64Array, n: number, z: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(z);
  backSubstitute(l, n, x);
  return x;
}

interface Factorised {
  readonly l: Float64Array;
  readonly alpha: Float64Array;
  readonly lml: number;
}

function factorise(
  xs: readonly (readonly number[])[],
  y: Float64Array,
  hyper: GpHyperparameters,
): Factorised | null {
  const n = xs.length;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = matern52(xs[i]!, xs[j]!, hyper.lengthScales) + (i === j ? hyper.noise + 1e-9 : 0);
      k[i * n + j] = v;
      k[j * n + i] = v;
    }
  }
  const l = cholesky(k, n);
  if (!l) return null;
  const alpha = backward(l, n, forward(l, n, y));
  let fit = 0;
  let logDet = 0;
  for (let i = 0; i < n; i++) {
    fit += y[i]! * alpha[i]!;
    logDet += Math.log(l[i * n + i]!);
  }
  return { l, alpha, lml: -0.5 * fit - logDet - (n / 2) * Math.log(2 * Math.PI) };
}

const LENGTH_GRID = [0.05, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2, 2];
const NOISE_GRID = [1e-6, 1e-4, 1e-3, 1e-2, 0.05, 0.2];

/** Fits a GP to points `xs` (in [0,1]^d) with targets `ys`. Needs at least one point. */
export function fitGaussianProcess(xs: readonly (readonly number[])[], ys: readonly number[]): GpFit {
  const n = xs.length;
  if (n === 0 || n !== ys.length)
    throw new Error('fitGaussianProcess needs as many targets as points, at least one');
  const dims = xs[0]!.length;
  const mean = ys.reduce((s, v) => s + v, 0) / n;
  const variance = ys.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  const scale = variance > 1e-24 ? Math.sqrt(variance) : 1;
  const y = Float64Array.from(ys, (v) => (v - mean) / scale);

  // Held in an object: TypeScript does not track assignments made inside the closure.
  const state: { best: { hyper: GpHyperparameters; f: Factorised } | null } = { best: null };
  const consider = (hyper: GpHyperparameters) => {
    const f = factorise(xs, y, hyper);
    if (f && (!state.best || f.lml > state.best.f.lml)) state.best = { hyper, f };
  };
  for (const ls of LENGTH_GRID) {
    for (const noise of NOISE_GRID) consider({ lengthScales: new Array(dims).fill(ls), noise });
  }
  // ARD refinement: let each dimension find its own scale (irrelevant ones grow long).
  for (let round = 0; round < 3; round++) {
    for (let d = 0; d < dims; d++) {
      for (const factor of [0.5, 2, 4]) {
        const current = state.best;
        if (!current) break;
        const ls = [...current.hyper.lengthScales];
        ls[d] = Math.min(20, Math.max(0.01, ls[d]! * factor));
        consider({ lengthScales: ls, noise: current.hyper.noise });
      }
    }
  }
  const chosen = state.best;
  if (!chosen) throw new Error('Gaussian process: no kernel setting gave a positive-definite matrix');
  const { hyper, f } = chosen;
  return {
    hyper,
    logMarginalLikelihood: f.lml,
    predict(x) {
      const kx = new Float64Array(n);
      for (let i = 0; i < n; i++) kx[i] = matern52(x, xs[i]!, hyper.lengthScales);
      let mu = 0;
      for (let i = 0; i < n; i++) mu += kx[i]! * f.alpha[i]!;
      const v = forward(f.l, n, kx);
      let reduce = 0;
      for (let i = 0; i < n; i++) reduce += v[i]! * v[i]!;
      const varStd = Math.max(1e-12, 1 - reduce);
      return { mean: mean + scale * mu, std: scale * Math.sqrt(varStd) };
    },
  };
}

/** Standard normal density (the distribution function is the A/B statistics' `normalCdf`). */
function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/**
 * Expected improvement over `best` for a maximised target: E[max(0, f(x) − best − xi)].
 * `xi` trades exploration for exploitation.
 */
export function expectedImprovement(mean: number, std: number, best: number, xi = 0.01): number {
  if (std <= 1e-12) return Math.max(0, mean - best - xi);
  const z = (mean - best - xi) / std;
  return (mean - best - xi) * normalCdf(z) + std * normalPdf(z);
}
