/**
 * Sequential change detection on the champion's stream of tracked outcomes (1: the liked
 * prediction was right, 0: it was wrong), in the order they were rated. Pure computation: plain
 * arrays in, a verdict out, recomputed from the stored outcomes at every check, so a restart loses
 * nothing.
 *
 * Three detectors, after River's `drift.PageHinkley` and `drift.ADWIN` and the textbook CUSUM,
 * each one-sided (only a fall of accuracy matters) and each giving where the fall began:
 *
 * - Page-Hinkley: on misses x = 1 − hit, m_t = Σ (x_i − x̄_i − δ) with x̄_i the running mean and
 *   δ the allowance; alarm when m_t − min m > λ. The change began where min m was last reached.
 * - CUSUM: S_t = max(0, S_{t−1} + (p₀ − hit_t) − k) with p₀ the accuracy over the first
 *   `minSamples` outcomes and k the allowance; alarm when S_t > h. A fixed reference: a slow
 *   slide of the level adds up to an alarm.
 * - ADWIN: a window whose older and newer parts (cut every 32 outcomes) are compared with the
 *   Hoeffding/Bernstein bound of River's ADWIN at confidence δ; a significant rise drops the
 *   older part, a significant fall is the alarm.
 *
 * An alarm counts only when the fall it found is at least `minDrop` (accuracy before the change
 * minus accuracy since it, over the whole stream up to now); a smaller one restarts the detector
 * after the alarm, as River's detectors reset after a detection.
 */

/** The detectors this module implements (see the module comment). */
export const driftDetectorKinds = ['page-hinkley', 'cusum', 'adwin'] as const;
export type DriftDetectorKind = (typeof driftDetectorKinds)[number];

export interface DriftDetectorSettings {
  readonly kind: DriftDetectorKind;
  /**
   * Page-Hinkley λ and CUSUM h (in outcomes: a fall of d points beyond the allowance reaches it
   * after about threshold / d outcomes); ADWIN's confidence δ is `adwinDelta`.
   */
  readonly threshold: number;
  /** Page-Hinkley δ and CUSUM k: a fall smaller than this (a share, 0.05 = 5 points) is ignored. */
  readonly allowance: number;
  readonly adwinDelta: number;
  /** An alarm counts only for a fall of at least this share (0.1 = 10 points). */
  readonly minDrop: number;
  /** Outcomes before the first alarm may be raised (and CUSUM's reference length). */
  readonly minSamples: number;
}

/** Where a detector raised its alarm and where it estimates the change began (indices). */
export interface ChangeScan {
  readonly alarmAt: number;
  readonly changeAt: number;
}

export interface DriftVerdict {
  /** An alarm with a fall of at least minDrop was raised. */
  readonly fired: boolean;
  readonly kind: DriftDetectorKind;
  /** Outcomes looked at. */
  readonly samples: number;
  /** Index of the first outcome after the change, and of the alarm; null when not fired. */
  readonly changeIndex: number | null;
  readonly alarmIndex: number | null;
  /** Accuracy from the segment's start to the change, and from the change to the end. */
  readonly before: number | null;
  readonly after: number | null;
  readonly samplesBefore: number;
  readonly samplesAfter: number;
}

const mean = (prefix: Float64Array, from: number, to: number) =>
  to > from ? (prefix[to]! - prefix[from]!) / (to - from) : 0;

/** prefix[i] = hits among the first i outcomes. */
function prefixSums(hits: ArrayLike<number>): Float64Array {
  const p = new Float64Array(hits.length + 1);
  for (let i = 0; i < hits.length; i++) p[i + 1] = p[i]! + (hits[i]! > 0 ? 1 : 0);
  return p;
}

/** One-sided Page-Hinkley on misses from `start`; the first alarm, or null. */
export function pageHinkleyScan(
  hits: ArrayLike<number>,
  start: number,
  s: Pick<DriftDetectorSettings, 'threshold' | 'allowance' | 'minSamples'>,
): ChangeScan | null {
  let avg = 0;
  let sum = 0;
  let min = 0;
  let minAt = start;
  for (let i = start; i < hits.length; i++) {
    const x = hits[i]! > 0 ? 0 : 1;
    const n = i - start + 1;
    avg += (x - avg) / n;
    sum += x - avg - s.allowance;
    if (sum < min) {
      min = sum;
      minAt = i + 1;
    }
    if (n >= s.minSamples && sum - min > s.threshold) return { alarmAt: i, changeAt: minAt };
  }
  return null;
}

/** One-sided CUSUM against the accuracy of the first minSamples outcomes from `start`. */
export function cusumScan(
  hits: ArrayLike<number>,
  start: number,
  s: Pick<DriftDetectorSettings, 'threshold' | 'allowance' | 'minSamples'>,
): ChangeScan | null {
  const refEnd = start + s.minSamples;
  if (refEnd >= hits.length) return null;
  let ref = 0;
  for (let i = start; i < refEnd; i++) ref += hits[i]! > 0 ? 1 : 0;
  const p0 = ref / s.minSamples;
  let score = 0;
  let zeroAt = refEnd;
  for (let i = refEnd; i < hits.length; i++) {
    score = Math.max(0, score + p0 - (hits[i]! > 0 ? 1 : 0) - s.allowance);
    if (score === 0) zeroAt = i + 1;
    if (score > s.threshold) return { alarmAt: i, changeAt: zeroAt };
  }
  return null;
}

const adwinClock = 32;

/**
 * ADWIN's cut test between [from, cut) and [cut, to): the newer part is significantly lower
 * (−1), higher (+1), or neither (0). ε as in River: √(2σ²/m · ln(2/δ')) + 2/(3m) · ln(2/δ'),
 * with m the harmonic mean of the two lengths, σ² the window's variance and δ' = δ / ln(n).
 */
function adwinCut(prefix: Float64Array, from: number, cut: number, to: number, delta: number): -1 | 0 | 1 {
  const n0 = cut - from;
  const n1 = to - cut;
  const n = to - from;
  const p = mean(prefix, from, to);
  const variance = p * (1 - p);
  const m = 1 / (1 / n0 + 1 / n1);
  const dd = Math.log(2 / (delta / Math.log(n)));
  const eps = Math.sqrt((2 * variance * dd) / m) + (2 / (3 * m)) * dd;
  const diff = mean(prefix, cut, to) - mean(prefix, from, cut);
  if (diff <= -eps) return -1;
  return diff >= eps ? 1 : 0;
}

/** One-sided ADWIN from `start`, checked every 32 outcomes; the first significant fall, or null. */
export function adwinScan(
  prefix: Float64Array,
  start: number,
  s: Pick<DriftDetectorSettings, 'adwinDelta' | 'minSamples'>,
): ChangeScan | null {
  const n = prefix.length - 1;
  let from = start;
  for (let to = start + adwinClock; to <= n; to += adwinClock) {
    if (to - from < s.minSamples) continue;
    for (let cut = from + adwinClock; cut <= to - adwinClock; cut += adwinClock) {
      const side = adwinCut(prefix, from, cut, to, s.adwinDelta);
      if (side === -1) return { alarmAt: to - 1, changeAt: cut };
      if (side === 1) {
        from = cut;
        break;
      }
    }
  }
  return null;
}

function scan(
  kind: DriftDetectorKind,
  hits: ArrayLike<number>,
  prefix: Float64Array,
  start: number,
  s: DriftDetectorSettings,
): ChangeScan | null {
  if (kind === 'page-hinkley') return pageHinkleyScan(hits, start, s);
  if (kind === 'cusum') return cusumScan(hits, start, s);
  return adwinScan(prefix, start, s);
}

/**
 * Runs the chosen detector over the whole stream, restarting after each alarm whose fall is under
 * minDrop; the first alarm with a fall of at least minDrop is the verdict. `hits` holds 1 (right)
 * or 0 (wrong) per tracked outcome, oldest first.
 */
export function detectDrift(hits: ArrayLike<number>, settings: DriftDetectorSettings): DriftVerdict {
  const prefix = prefixSums(hits);
  const n = hits.length;
  let start = 0;
  while (start < n) {
    const found = scan(settings.kind, hits, prefix, start, settings);
    if (found === null) break;
    const before = mean(prefix, start, found.changeAt);
    const after = mean(prefix, found.changeAt, n);
    if (found.changeAt > start && found.changeAt < n && before - after >= settings.minDrop) {
      return {
        fired: true,
        kind: settings.kind,
        samples: n,
        changeIndex: found.changeAt,
        alarmIndex: found.alarmAt,
        before,
        after,
        samplesBefore: found.changeAt - start,
        samplesAfter: n - found.changeAt,
      };
    }
    start = found.alarmAt + 1;
  }
  return {
    fired: false,
    kind: settings.kind,
    samples: n,
    changeIndex: null,
    alarmIndex: null,
    before: null,
    after: null,
    samplesBefore: 0,
    samplesAfter: 0,
  };
}
