/**
 * An embedder turns texts into unit-length vectors whose dot product is their similarity.
 * The cache uses it for semantic lookup; knowledge-base retrieval uses the same contract.
 */
export interface EmbedOptions {
  signal?: AbortSignal;
}

export interface Embedder {
  /** Stable name of the model and its settings: vectors from different ids are never compared. */
  readonly id: string;
  readonly dimensions: number;
  /** One L2-normalized vector per text, in order. */
  embed(texts: string[], options?: EmbedOptions): Promise<Float32Array[]>;
}

/** Scales a vector to unit length in place (a zero vector stays zero) and returns it. */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i] * vector[i];
  if (sum === 0) return vector;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i] *= inv;
  return vector;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
