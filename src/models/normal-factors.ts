import type { Rng } from '../random/rng.ts';
import type { MfKernelExports } from './mf-kernel.ts';

/**
 * Fills rows × k of a k4-strided matrix with N(mean, std); padding lanes stay 0. A million normals
 * per fit is a visible share of a 0.17 s budget, so this runs its own xoshiro128** (seeded from
 * `rng`, so still deterministic) with the state in locals, and Marsaglia's polar method (no
 * trigonometry).
 */
export function initFactors(
  rng: Rng,
  out: Float32Array,
  rows: number,
  k: number,
  k4: number,
  mean: number,
  std: number,
  /** The same fill by the kernel's `fillNormal` when `out` lives in an arena. */
  kernel?: { kernel: MfKernelExports; ptr: number },
) {
  let a = rng.nextUint32() | 0;
  let b = rng.nextUint32() | 0;
  let c = rng.nextUint32() | 0;
  let d = rng.nextUint32() | 0;
  if ((a | b | c | d) === 0) a = 1;
  if (kernel) {
    kernel.kernel.fillNormal(kernel.ptr, rows, k, k4, mean, std, a, b, c, d);
    return;
  }
  // Uniform in (-1, 1) from the top 32 bits of xoshiro128**.
  const next = () => {
    const x = b * 5;
    const result = Math.imul((x << 7) | (x >>> 25), 9);
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return result * 4.656612873077393e-10; // 2^-31: signed 32-bit → [-1, 1)
  };
  let spare = 0;
  let haveSpare = false;
  for (let r = 0; r < rows; r++) {
    const base = r * k4;
    for (let f = 0; f < k; f++) {
      let z: number;
      if (haveSpare) {
        z = spare;
        haveSpare = false;
      } else {
        let u: number;
        let v: number;
        let s: number;
        do {
          u = next();
          v = next();
          s = u * u + v * v;
        } while (s >= 1 || s === 0);
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        z = u * m;
        spare = v * m;
        haveSpare = true;
      }
      out[base + f] = mean + std * z;
    }
  }
}
