/**
 * The statistics of an A/B test, as pure functions of counts and sums. Nothing here reads a
 * database or a clock, so the simulations in the tests exercise exactly what production runs.
 */

/** A point estimate with a two-sided interval. */
export interface Estimate {
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

/** z for a two-sided 95 % interval. */
export const z95 = 1.959963984540054;

/**
 * The complementary error function (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7
 * everywhere), enough for p-values down to 1e-300 without cancellation.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(Z ≤ x) for a standard normal Z. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Upper tail of a chi-square with one degree of freedom: P(X ≥ x) = erfc(√(x/2)). */
export function chiSquare1Upper(x: number): number {
  if (!(x > 0)) return 1;
  return erfc(Math.sqrt(x / 2));
}

/**
 * The Wilson score interval of a proportion: stays inside [0, 1] and behaves with few samples,
 * where the normal approximation would claim certainty after two lucky hits.
 */
export function proportion(hits: number, n: number, z = z95): Estimate {
  if (n <= 0) return { value: Number.NaN, low: 0, high: 1 };
  const p = hits / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denominator = 1 + z2 / n;
  return {
    value: p,
    low: Math.max(0, (centre - margin) / denominator),
    high: Math.min(1, (centre + margin) / denominator),
  };
}

/**
 * The variance of one Bernoulli outcome, estimated with one pseudo-hit and one pseudo-miss so that
 * an arm that so far hit every time is not taken to have zero variance (which would make any
 * difference look infinitely significant).
 */
export function smoothedBernoulliVariance(hits: number, n: number): number {
  const p = (hits + 1) / (n + 2);
  return p * (1 - p);
}

/**
 * Per-unit sums of a ratio metric Σ y_u / Σ n_u (liked-accuracy: y_u a user's hits, n_u their rated
 * recommendations), which is all the delta method needs.
 */
export interface RatioSums {
  /** Units (users) with n_u > 0. */
  readonly units: number;
  /** Σ y_u and Σ n_u. */
  readonly sumY: number;
  readonly sumN: number;
  /** Σ y_u², Σ n_u², Σ y_u·n_u. */
  readonly sumYY: number;
  readonly sumNN: number;
  readonly sumYN: number;
}

/**
 * The variance of the ratio R = Σy/Σn with the unit (the user), not the single outcome, as the
 * independent draw: the delta method (Deng, Knoblich & Lu, "Applying the delta method in metric
 * analytics", 2018; what GrowthBook does for ratio metrics),
 *
 *   Var(R) ≈ k/(k − 1) · Σ_u (y_u − R·n_u)² / (Σ_u n_u)²
 *          = k/(k − 1) · (Σy² − 2R·Σyn + R²·Σn²) / (Σn)²
 *
 * over k units. When every unit has one outcome this is p(1 − p)/n (times k/(k − 1)), the
 * independent-coins variance; when a user's outcomes go together (a user who likes most of what
 * they see, a heavy user with dozens of ratings) it is larger, as it must be: counting the
 * outcomes of one user as independent understates the variance and makes a test
 * anti-conservative. NaN with fewer than two units.
 */
export function ratioVariance(s: RatioSums): number {
  if (s.units < 2 || !(s.sumN > 0)) return Number.NaN;
  const r = s.sumY / s.sumN;
  const residual = Math.max(0, s.sumYY - 2 * r * s.sumYN + r * r * s.sumNN);
  return ((s.units / (s.units - 1)) * residual) / (s.sumN * s.sumN);
}

/** Difference of two proportions (b − a) with its normal-approximation interval. */
export function proportionDifference(
  hitsA: number,
  nA: number,
  hitsB: number,
  nB: number,
  z = z95,
): Estimate {
  if (nA <= 0 || nB <= 0)
    return { value: Number.NaN, low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY };
  const value = hitsB / nB - hitsA / nA;
  const se = Math.sqrt(smoothedBernoulliVariance(hitsA, nA) / nA + smoothedBernoulliVariance(hitsB, nB) / nB);
  return { value, low: value - z * se, high: value + z * se };
}

/** Sums of squared errors of one arm: enough for the RMSE and its interval. */
export interface ErrorSums {
  readonly n: number;
  /** Σ e². */
  readonly sumSquares: number;
  /** Σ e⁴ (the variance of e²). */
  readonly sumFourth: number;
}

function mseAndVariance(e: ErrorSums): { mse: number; varMse: number } {
  const mse = e.sumSquares / e.n;
  const varSquare =
    e.n > 1 ? Math.max(0, (e.sumFourth - e.n * mse * mse) / (e.n - 1)) : Number.POSITIVE_INFINITY;
  return { mse, varMse: varSquare / e.n };
}

/**
 * RMSE with an interval: the normal interval of the mean squared error (a mean of n independent
 * squared errors), mapped through the square root, so the bounds stay non-negative.
 */
export function rmse(e: ErrorSums, z = z95): Estimate {
  if (e.n <= 0) return { value: Number.NaN, low: 0, high: Number.POSITIVE_INFINITY };
  const { mse, varMse } = mseAndVariance(e);
  const half = z * Math.sqrt(varMse);
  return { value: Math.sqrt(mse), low: Math.sqrt(Math.max(0, mse - half)), high: Math.sqrt(mse + half) };
}

/** RMSE difference (b − a) by the delta method: Var(√M) ≈ Var(M) / (4M). */
export function rmseDifference(a: ErrorSums, b: ErrorSums, z = z95): Estimate {
  if (a.n <= 0 || b.n <= 0)
    return { value: Number.NaN, low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY };
  const ma = mseAndVariance(a);
  const mb = mseAndVariance(b);
  const value = Math.sqrt(mb.mse) - Math.sqrt(ma.mse);
  const v = ma.varMse / (4 * Math.max(ma.mse, 1e-12)) + mb.varMse / (4 * Math.max(mb.mse, 1e-12));
  const half = z * Math.sqrt(v);
  return { value, low: value - half, high: value + half };
}

export interface SampleRatioCheck {
  /** Units (users) observed per arm. */
  readonly observed: { readonly champion: number; readonly challenger: number };
  /** What the traffic share predicts for the same total. */
  readonly expected: { readonly champion: number; readonly challenger: number };
  readonly chiSquare: number;
  readonly pValue: number;
  /** p below this blocks every decision. */
  readonly threshold: number;
  readonly mismatch: boolean;
}

/** p-value below which a sample-ratio mismatch blocks decisions (the usual SRM alarm level). */
export const srmThreshold = 0.001;

/**
 * The sample-ratio-mismatch check: a chi-square goodness-of-fit test of the units that arrived in
 * each arm against the configured traffic share. A mismatch means assignment or logging is broken
 * (bots, a crashing arm, lost events), and then no difference between the arms can be trusted.
 */
export function sampleRatioCheck(
  champion: number,
  challenger: number,
  challengerShare: number,
  threshold = srmThreshold,
): SampleRatioCheck {
  const total = champion + challenger;
  const eB = total * challengerShare;
  const eA = total - eB;
  let chi = 0;
  if (total > 0 && eA > 0 && eB > 0) chi = (champion - eA) ** 2 / eA + (challenger - eB) ** 2 / eB;
  const pValue = chiSquare1Upper(chi);
  return {
    observed: { champion, challenger },
    expected: { champion: eA, challenger: eB },
    chiSquare: chi,
    pValue,
    threshold,
    mismatch: pValue < threshold,
  };
}

export interface SequentialTest {
  readonly method: 'mSPRT (normal mixture)';
  /** Prior standard deviation of the true difference: the effect size the test is tuned for. */
  readonly tau: number;
  readonly alpha: number;
  /** The mixture likelihood ratio Λ after this look. */
  readonly likelihoodRatio: number;
  /** Always-valid p-value of this look: min(1, 1/Λ). */
  readonly pValue: number;
  /** Λ ≥ 1/α: the difference is real at level α whenever and however often we look. */
  readonly significant: boolean;
  /** The always-valid (1 − α) confidence sequence of the difference at this look. */
  readonly low: number;
  readonly high: number;
}

/**
 * The mixture sequential probability ratio test (Johari, Pekelis & Walsh, "Always valid
 * inference", 2017) for a difference θ of two means with an estimated variance `variance` of the
 * estimate `difference` (σ²_a/n_a + σ²_b/n_b). With a N(0, τ²) mixture over θ the likelihood
 * ratio against θ = 0 has the closed form
 *
 *   Λ = √(V / (V + τ²)) · exp(τ² θ̂² / (2 V (V + τ²)))
 *
 * and, Λ being a non-negative martingale under the null, P(Λ ever ≥ 1/α) ≤ α (Ville's
 * inequality): looking every day, or after every rating, does not inflate the false-positive rate.
 * Inverting Λ < 1/α gives the confidence sequence θ̂ ± √(V(V+τ²)/τ² · (−2 ln α + ln((V+τ²)/V))).
 */
export function mixtureSequentialTest(
  difference: number,
  variance: number,
  tau: number,
  alpha: number,
): SequentialTest {
  const tau2 = tau * tau;
  if (!(variance > 0) || !Number.isFinite(variance) || !Number.isFinite(difference)) {
    return {
      method: 'mSPRT (normal mixture)',
      tau,
      alpha,
      likelihoodRatio: 1,
      pValue: 1,
      significant: false,
      low: Number.NEGATIVE_INFINITY,
      high: Number.POSITIVE_INFINITY,
    };
  }
  const logLambda =
    0.5 * Math.log(variance / (variance + tau2)) +
    (tau2 * difference * difference) / (2 * variance * (variance + tau2));
  const likelihoodRatio = Math.exp(Math.min(logLambda, 700));
  const half = Math.sqrt(
    ((variance * (variance + tau2)) / tau2) * (-2 * Math.log(alpha) + Math.log((variance + tau2) / variance)),
  );
  return {
    method: 'mSPRT (normal mixture)',
    tau,
    alpha,
    likelihoodRatio,
    pValue: Math.min(1, 1 / likelihoodRatio),
    significant: logLambda >= -Math.log(alpha),
    low: difference - half,
    high: difference + half,
  };
}
