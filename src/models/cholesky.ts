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
    let s = a[j * d + j]!;
    for (let k = 0; k < j; k++) s -= a[j * d + k]! * a[j * d + k]!;
    if (!(s > 0)) {
      a.set(copy);
      return false;
    }
    const l = Math.sqrt(s);
    a[j * d + j] = l;
    for (let r = j + 1; r < d; r++) {
      let t = a[r * d + j]!;
      for (let k = 0; k < j; k++) t -= a[r * d + k]! * a[j * d + k]!;
      a[r * d + j] = t / l;
    }
  }
  return true;
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
