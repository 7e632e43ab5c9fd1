/** Calendar buckets (UTC) for "over time" series: day, ISO week (Monday first) or month. */
export type BucketSize = 'day' | 'week' | 'month';

const dayMs = 86_400_000;
/** 1970-01-05, the first Monday after the epoch: weeks are counted from it. */
const firstMonday = 4 * dayMs;

/** Picks a bucket giving a readable number of points: days up to ~3 months, weeks up to ~2 years. */
export function bucketSizeFor(from: number, to: number): BucketSize {
  const days = (to - from) / dayMs;
  if (days <= 92) return 'day';
  if (days <= 2 * 366) return 'week';
  return 'month';
}

/** The start (epoch ms) of the bucket holding `t`. */
export function bucketStart(t: number, size: BucketSize): number {
  if (size === 'day') return Math.floor(t / dayMs) * dayMs;
  if (size === 'week') return Math.floor((t - firstMonday) / (7 * dayMs)) * 7 * dayMs + firstMonday;
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** A label for the bucket starting at `start`: 2024-03-05, 2024-03-04 (week of), 2024-03. */
export function bucketLabel(start: number, size: BucketSize): string {
  const iso = new Date(start).toISOString();
  return size === 'month' ? iso.slice(0, 7) : iso.slice(0, 10);
}

/** The start of the bucket after the one starting at `start`. */
export function nextBucket(start: number, size: BucketSize): number {
  if (size === 'day') return start + dayMs;
  if (size === 'week') return start + 7 * dayMs;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
