/** Small helpers for benchmarks: timing, medians, peak memory. */

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Wall time of `fn`, seconds. */
export async function timeIt<T>(fn: () => Promise<T> | T): Promise<{ seconds: number; result: T }> {
  const t0 = performance.now();
  const result = await fn();
  return { seconds: (performance.now() - t0) / 1000, result };
}

/** Samples RSS every 20 ms while `fn` runs; returns the peak in MiB. */
export async function peakMemory<T>(fn: () => Promise<T>): Promise<{ peakMiB: number; result: T }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { peakMiB: peak / 2 ** 20, result };
  } finally {
    clearInterval(timer);
  }
}

export function fmt(n: number, digits = 3): string {
  return n.toFixed(digits);
}
