/**
 * The Wilson score interval of a proportion: `hits` successes in `n` trials at confidence `z`
 * (1.96 ≈ 95 %). Unlike the normal approximation it stays inside [0, 1] and behaves with few
 * samples, which is exactly when a trigger must not fire on noise.
 */
export function wilsonInterval(hits: number, n: number, z = 1.96): { low: number; high: number } {
  if (n <= 0) return { low: 0, high: 1 };
  const p = hits / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denominator = 1 + z2 / n;
  return {
    low: Math.max(0, (centre - margin) / denominator),
    high: Math.min(1, (centre + margin) / denominator),
  };
}
