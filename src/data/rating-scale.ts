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

/**
 * Exact membership: `min + k·step` for a whole k, with no tolerance. The scales' values (halves
 * and wholes) are exact in binary, so 5.0000000001, 0.4999999999 and 3.0000001 are off the scale
 * rather than "close enough" values that `db check` would later refuse.
 */
export function isOnScale(scale: RatingScale, rating: number): boolean {
  if (!Number.isFinite(rating) || rating < scale.min || rating > scale.max) return false;
  return Number.isInteger((rating - scale.min) / scale.step);
}

export function clampToScale(scale: RatingScale, value: number): number {
  return Math.min(Math.max(value, scale.min), scale.max);
}
