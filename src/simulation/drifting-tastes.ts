import type { SyntheticWorld } from '../data/synthetic-world.ts';
import type { Rng } from '../random/rng.ts';

/**
 * The simulated users' true tastes, which can change on a drift day.
 *
 * The synthetic world gives true(u, m) = μ + b_u + b_m + p_u·q_m. Its own drift (`withDrift`)
 * replaces p_u by new random tastes, which leaves the well-known part μ + b_u + b_m in place: the
 * movies a stale model recommends remain liked more often than not, and live accuracy never falls
 * below the 50 % line the retrain rule uses. A simulation of the retraining loop needs a shift that a stale model
 * gets wrong, so here the taste part turns around: after the drift
 *
 *   true'(u, m) = μ + b_u + b_m + (1 − 2s) · p_u·q_m
 *
 * with strength s (1: tastes reversed — what a user loved now bores them and the reverse; 0.5:
 * tastes gone; 0: no change). It is computed from the world's own true rating, so the world's model
 * is not copied: p_u·q_m = true(u, m) − (μ + b_u + b_m).
 */
export class DriftingTastes {
  private factor = 1;
  constructor(readonly world: SyntheticWorld) {}

  /** From now on tastes are turned by `strength` (0…1). */
  drift(strength: number): void {
    this.factor = 1 - 2 * strength;
  }

  get drifted(): boolean {
    return this.factor !== 1;
  }

  trueRating(user: number, movie: number): number {
    const w = this.world;
    const t = w.trueRating(user, movie);
    if (this.factor === 1) return t;
    const base = w.globalMean + w.userBias[user - 1]! + w.movieBias[movie - 1]!;
    return Math.min(w.scale.max, Math.max(w.scale.min, base + this.factor * (t - base)));
  }

  /** A rating as the user gives it now: true rating plus the world's noise, rounded to the scale. */
  drawRating(user: number, movie: number, rng: Rng): number {
    const s = this.world.scale;
    const v = this.trueRating(user, movie) + rng.normal(0, this.world.noise);
    const stepped = s.min + Math.round((v - s.min) / s.step) * s.step;
    return Math.min(s.max, Math.max(s.min, stepped));
  }
}
