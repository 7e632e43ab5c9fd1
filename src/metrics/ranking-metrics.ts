import { requireWholeNumber } from '../input-schemas.ts';

/**
 * Top-N ranking metrics. A user's recommendations are a ranked list of movie ids; the relevant
 * movies are the user's held-out movies they liked. Binary relevance throughout (liked or not),
 * the usual reading for implicit-feedback benchmarks.
 */

function requireK(k: number): void {
  requireWholeNumber('k', k, { min: 1 });
}

function hitsAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  let hits = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i]!)) hits++;
  return hits;
}

/** Relevant movies in the first k, over k (a list shorter than k still counts k slots). */
export function precisionAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  requireK(k);
  return hitsAtK(ranked, relevant, k) / k;
}

/** Relevant movies in the first k, over all relevant movies; NaN when nothing is relevant. */
export function recallAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  requireK(k);
  return relevant.size === 0 ? Number.NaN : hitsAtK(ranked, relevant, k) / relevant.size;
}

/**
 * NDCG@k with binary gains: DCG = Σ 1/log2(rank + 1) over relevant movies in the first k, divided
 * by the DCG of a perfect list (min(k, |relevant|) hits at the top). NaN when nothing is relevant.
 */
export function ndcgAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  requireK(k);
  if (relevant.size === 0) return Number.NaN;
  let dcg = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i]!)) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  const m = Math.min(k, relevant.size);
  for (let i = 0; i < m; i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}

/**
 * Average precision at k: the mean, over the relevant movies found in the first k, of the
 * precision at their rank, divided by min(k, |relevant|) so missing ones count as zero. NaN when
 * nothing is relevant. MAP@k is its mean over users.
 */
export function averagePrecisionAtK(
  ranked: ArrayLike<number>,
  relevant: ReadonlySet<number>,
  k: number,
): number {
  requireK(k);
  if (relevant.size === 0) return Number.NaN;
  let hits = 0;
  let sum = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) {
    if (relevant.has(ranked[i]!)) {
      hits++;
      sum += hits / (i + 1);
    }
  }
  return sum / Math.min(k, relevant.size);
}

export interface RankingMetrics {
  readonly k: number;
  readonly precision: number;
  readonly recall: number;
  readonly ndcg: number;
  readonly map: number;
  /** Share of scored users with at least one relevant movie in their first k. */
  readonly hitRate: number;
  /** Share of the catalogue that appears in at least one user's first k. */
  readonly coverage: number;
  /** Users scored: those with at least one relevant held-out movie. */
  readonly users: number;
}

/**
 * Mean ranking metrics over users. `recommendations` holds each user's ranked list (only users
 * with at least one relevant movie are scored, as is usual: a user with nothing to find says
 * nothing about the ranking); coverage counts every list given, over `catalogueSize`.
 */
export function rankingMetrics(
  recommendations: ReadonlyMap<number, ArrayLike<number>>,
  relevant: ReadonlyMap<number, ReadonlySet<number>>,
  k: number,
  catalogueSize: number,
): RankingMetrics {
  requireK(k);
  let users = 0;
  let precision = 0;
  let recall = 0;
  let ndcg = 0;
  let map = 0;
  let hitUsers = 0;
  const shown = new Set<number>();
  for (const [user, ranked] of recommendations) {
    const n = Math.min(k, ranked.length);
    for (let i = 0; i < n; i++) shown.add(ranked[i]!);
    const rel = relevant.get(user);
    if (!rel || rel.size === 0) continue;
    users++;
    const hits = hitsAtK(ranked, rel, k);
    precision += hits / k;
    recall += hits / rel.size;
    ndcg += ndcgAtK(ranked, rel, k);
    map += averagePrecisionAtK(ranked, rel, k);
    if (hits > 0) hitUsers++;
  }
  const mean = (x: number) => (users === 0 ? Number.NaN : x / users);
  return {
    k,
    precision: mean(precision),
    recall: mean(recall),
    ndcg: mean(ndcg),
    map: mean(map),
    hitRate: mean(hitUsers),
    coverage: catalogueSize > 0 ? shown.size / catalogueSize : Number.NaN,
    users,
  };
}
