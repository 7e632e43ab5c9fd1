/**
 * Cholesky factorisation and the two triangular solves, on row-major d×d Float64Arrays: the one
 * implementation behind the models' fold-in solves (`solveSpd`) and the tuning's Gaussian process.
 */

/**
 * Overwrites the lower triangle of `a` (symmetric positive definite) with its Cholesky factor L,
 * A = L Lᵀ; the upper triangle is left as it was. Returns false, with `a` restored, when a pivot is
 * not positive (A is not positive definite, or holds NaN).
 */
export function choleskyInPlace(a: Float64Array, d: number): boolean {
  const copy = a.slice();
  for (let j = 0; j < d; j++) {
    const s = a[j * d + j]! - rowDot(a, j * d, j * d, j);
    if (!(s > 0)) {
      a.set(copy);
      return false;
    }
    const l = Math.sqrt(s);
    a[j * d + j] = l;
    for (let r = j + 1; r < d; r++) a[r * d + j] = (a[r * d + j]! - rowDot(a, r * d, j * d, j)) / l;
  }
  return true;
}

/**
 * Σ_{k<n} a[p+k]·a[q+k] with four running sums (they break the chain of dependent adds: the
 * factorisation of a fold-in's 101×101 system took 0.19 ms instead of 0.26).
 */
function rowDot(a: Float64Array, p: number, q: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    s0 += a[p + k]! * a[q + k]!;
    s1 += a[p + k + 1]! * a[q + k + 1]!;
    s2 += a[p + k + 2]! * a[q + k + 2]!;
    s3 += a[p + k + 3]! * a[q + k + 3]!;
  }
  for (; k < n; k++) s0 += a[p + k]! * a[q + k]!;
  return s0 + s1 + (s2 + s3);
}

/** Solves L z = b in place (b becomes z), L the lower triangle of `l`. */
export function forwardSubstitute(l: Float64Array, d: number, b: Float64Array): void {
  for (let r = 0; r < d; r++) {
    let s = b[r]!;
    for (let c = 0; c < r; c++) s -= l[r * d + c]! * b[c]!;
    b[r] = s / l[r * d + r]!;
  }
}

/** Solves Lᵀ x = z in place (z becomes x), L the lower triangle of `l`. */
export function backSubstitute(l: Float64Array, d: number, z: Float64Array): void {
  for (let r = d - 1; r >= 0; r--) {
    let s = z[r]!;
    for (let c = r + 1; c < d; c++) s -= l[c * d + r]! * z[c]!;
    z[r] = s / l[r * d + r]!;
  }
}
