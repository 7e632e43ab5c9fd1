/** The values a rating may take: from `min` to `max` in steps of `step`. */
export interface RatingScale {
  readonly min: number;
  readonly max: number;
  readonly step: number;
}

export const halfStarScale: RatingScale = Object.freeze({ min: 0.5, max: 5, step: 0.5 });
export const wholeStarScale: RatingScale = Object.freeze({ min: 1, max: 5, step: 1 });

/**
 * The "liked" line: a rating at or above it means the user liked the movie. 4 on a
 * whole-star 1–5 scale, 3.5 on a half-star scale; a config value overrides it.
 */
export function likeThreshold(scale: RatingScale, override?: number): number {
  if (override !== undefined) return override;
  return scale.step < 1 ? scale.max - 1.5 : scale.max - 1;
}

export function isOnScale(scale: RatingScale, rating: number): boolean {
  if (!Number.isFinite(rating) || rating < scale.min - 1e-9 || rating > scale.max + 1e-9) return false;
  const steps = (rating - scale.min) / scale.step;
  return Math.abs(steps - Math.round(steps)) < 1e-6;
}

export function clampToScale(scale: RatingScale, value: number): number {
  return Math.min(Math.max(value, scale.min), scale.max);
}
