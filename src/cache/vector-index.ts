import { createRequire } from 'node:module';
import { DEFAULTS } from '../defaults.js';

export interface VectorMatch {
  label: number;
  /** Dot product of the unit vectors: cosine similarity. */
  score: number;
}

/** Nearest-neighbour search over unit vectors, by integer label. */
export interface VectorIndex {
  readonly kind: string;
  readonly size: number;
  add(label: number, vector: Float32Array): void;
  remove(label: number): void;
  search(query: Float32Array, k: number): VectorMatch[];
}

function insertTop(top: VectorMatch[], k: number, label: number, score: number): void {
  if (top.length === k && score <= top[k - 1].score) return;
  let i = top.length < k ? top.length : k - 1;
  if (top.length < k) top.push({ label, score });
  while (i > 0 && top[i - 1].score < score) {
    top[i] = top[i - 1];
    i--;
  }
  top[i] = { label, score };
}

/** Exact search: every vector in one contiguous Float32Array, scored by dot product. Best while small. */
export function createExactIndex(options: { dimensions: number }): VectorIndex {
  const d = options.dimensions;
  let data = new Float32Array(d * 64);
  const labels: number[] = [];
  const slotOf = new Map<number, number>();
  return {
    kind: 'exact',
    get size() {
      return labels.length;
    },
    add(label, vector) {
      if (slotOf.has(label)) this.remove(label);
      const slot = labels.length;
      if ((slot + 1) * d > data.length) {
        const grown = new Float32Array(data.length * 2);
        grown.set(data);
        data = grown;
      }
      data.set(vector, slot * d);
      labels.push(label);
      slotOf.set(label, slot);
    },
    remove(label) {
      const slot = slotOf.get(label);
      if (slot === undefined) return;
      const last = labels.length - 1;
      // Move the last vector into the hole so the array stays dense.
      if (slot !== last) {
        data.copyWithin(slot * d, last * d, (last + 1) * d);
        labels[slot] = labels[last];
        slotOf.set(labels[slot], slot);
      }
      labels.pop();
      slotOf.delete(label);
    },
    search(query, k) {
      const top: VectorMatch[] = [];
      for (let s = 0; s < labels.length; s++) {
        let sum = 0;
        const base = s * d;
        for (let i = 0; i < d; i++) sum += data[base + i] * query[i];
        insertTop(top, k, labels[s], sum);
      }
      return top;
    },
  };
}

interface HnswLike {
  initIndex(options: { maxElements: number; m?: number; efConstruction?: number; randomSeed?: number; allowReplaceDeleted?: boolean }): void;
  resizeIndex(maxElements: number): void;
  addPoint(point: number[] | Float32Array, label: number, replaceDeleted?: boolean): void;
  markDelete(label: number): void;
  searchKnn(query: number[] | Float32Array, k: number): { distances: number[]; neighbors: number[] };
  getMaxElements(): number;
  setEf(ef: number): void;
}

// hnswlib-node is a native CommonJS addon; loading it lazily keeps it off the path of small caches.
const require = createRequire(import.meta.url);

/** HNSW (hnswlib) over inner product: logarithmic search, approximate; worth it past a few thousand vectors. */
export function createHnswIndex(options: { dimensions: number; capacity?: number }): VectorIndex {
  const { HierarchicalNSW } = require('hnswlib-node') as { HierarchicalNSW: new (space: string, dim: number) => HnswLike };
  const settings = DEFAULTS.cache.hnsw;
  const index = new HierarchicalNSW('ip', options.dimensions);
  index.initIndex({
    maxElements: Math.max(options.capacity ?? 1024, 16),
    m: settings.m,
    efConstruction: settings.efConstruction,
    randomSeed: 42,
    allowReplaceDeleted: true,
  });
  index.setEf(settings.efSearch);
  const live = new Set<number>();
  return {
    kind: 'hnsw',
    get size() {
      return live.size;
    },
    add(label, vector) {
      if (live.has(label)) index.markDelete(label);
      if (live.size + 1 > index.getMaxElements()) index.resizeIndex(index.getMaxElements() * 2);
      index.addPoint(Array.from(vector), label, true);
      live.add(label);
    },
    remove(label) {
      if (!live.delete(label)) return;
      index.markDelete(label);
    },
    search(query, k) {
      const n = Math.min(k, live.size);
      if (n === 0) return [];
      const { distances, neighbors } = index.searchKnn(Array.from(query), n);
      // 'ip' space reports 1 - dot product.
      return neighbors.map((label, i) => ({ label, score: 1 - distances[i] }));
    },
  };
}

/**
 * Exact search while the index is small, HNSW once it holds `annThreshold` vectors: the
 * switch point where HNSW's lookup beats a full scan (measured by bench/cache.ts).
 */
export function createVectorIndex(options: { dimensions: number; annThreshold?: number }): VectorIndex {
  const threshold = options.annThreshold ?? DEFAULTS.cache.annThreshold;
  let inner = createExactIndex(options);
  const vectors = new Map<number, Float32Array>();
  return {
    get kind() {
      return inner.kind;
    },
    get size() {
      return inner.size;
    },
    add(label, vector) {
      if (inner.kind === 'exact') {
        vectors.set(label, vector);
        if (vectors.size >= threshold) {
          inner = createHnswIndex({ dimensions: options.dimensions, capacity: threshold * 2 });
          for (const [l, v] of vectors) inner.add(l, v);
          vectors.clear();
          return;
        }
      }
      inner.add(label, vector);
    },
    remove(label) {
      vectors.delete(label);
      inner.remove(label);
    },
    search: (query, k) => inner.search(query, k),
  };
}
