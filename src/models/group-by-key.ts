/** Rows grouped by a dense key (CSR offsets): the rows of key j are order[start[j]] … order[start[j+1]-1]. */
export interface KeyGroups {
  readonly start: Int32Array<ArrayBuffer>;
  /** Row indices, grouped by key; ascending within a key (a stable counting sort). */
  readonly order: Int32Array<ArrayBuffer>;
}

/**
 * Groups row indices 0…keys.length−1 by `keys[row]` ∈ [0, nKeys) in O(rows + keys): the counting
 * sort behind every "ratings by user" or "by movie" walk of the models (svd/svdpp visiting order,
 * the k-NN user and movie rows, the implicit-ALS matrices).
 */
export function groupByKey(keys: ArrayLike<number>, nKeys: number): KeyGroups {
  const start = new Int32Array(nKeys + 1);
  for (let r = 0; r < keys.length; r++) start[keys[r]! + 1]!++;
  for (let j = 0; j < nKeys; j++) start[j + 1]! += start[j]!;
  const fill = start.slice(0, nKeys);
  const order = new Int32Array(keys.length);
  for (let r = 0; r < keys.length; r++) order[fill[keys[r]!]!++] = r;
  return { start, order };
}
