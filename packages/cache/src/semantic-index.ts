/** The best entry close enough to a query. */
export interface SemanticMatch {
  /** The exact-cache key of the matched request. */
  readonly key: string;
  /** Cosine similarity, from -1 to 1. */
  readonly similarity: number;
}

interface IndexedVector {
  readonly partition: string;
  readonly vector: Float32Array;
}

/** A unit-length copy of `vector`, or `undefined` when it has no direction (all zeros) or is not finite. */
export function normalise(vector: readonly number[]): Float32Array | undefined {
  let squared = 0;
  for (const component of vector) squared += component * component;
  if (!Number.isFinite(squared) || squared === 0) return undefined;
  const length = Math.sqrt(squared);
  const out = new Float32Array(vector.length);
  for (let index = 0; index < vector.length; index++) out[index] = (vector[index] as number) / length;
  return out;
}

/**
 * An in-memory vector index for the semantic cache: unit vectors grouped by partition (requests equal in
 * all but their last prompt), searched by a linear scan of the query's partition (cosine similarity is the
 * dot product of unit vectors). Bounded by entry count, least recently used out first. A linear scan is
 * fast enough for the thousands of entries a partition holds in practice; it is not an ANN index.
 */
export class SemanticIndex {
  private readonly entries = new Map<string, IndexedVector>();
  private readonly partitions = new Map<string, Set<string>>();

  constructor(private readonly maxEntries: number) {}

  /** Entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** Indexes the request stored under `key`. */
  add(key: string, partition: string, vector: Float32Array): void {
    this.delete(key);
    this.entries.set(key, { partition, vector });
    let members = this.partitions.get(partition);
    if (members === undefined) {
      members = new Set();
      this.partitions.set(partition, members);
    }
    members.add(key);
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries) break;
      this.delete(oldest);
    }
  }

  /** The most similar entry of `partition` at or above `threshold`, if any. `vector` must be unit-length. */
  search(partition: string, vector: Float32Array, threshold: number): SemanticMatch | undefined {
    const members = this.partitions.get(partition);
    if (members === undefined) return undefined;
    let best: SemanticMatch | undefined;
    for (const key of members) {
      const candidate = this.entries.get(key) as IndexedVector;
      if (candidate.vector.length !== vector.length) continue;
      let dot = 0;
      for (let index = 0; index < vector.length; index++) {
        dot += (vector[index] as number) * (candidate.vector[index] as number);
      }
      if (dot >= threshold && (best === undefined || dot > best.similarity)) best = { key, similarity: dot };
    }
    if (best !== undefined) {
      // Recently matched: last to be evicted.
      const hit = this.entries.get(best.key) as IndexedVector;
      this.entries.delete(best.key);
      this.entries.set(best.key, hit);
    }
    return best;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    const members = this.partitions.get(entry.partition);
    members?.delete(key);
    if (members?.size === 0) this.partitions.delete(entry.partition);
  }
}
