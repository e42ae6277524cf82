import { describe, expect, it } from 'vitest';
import { normalize } from './embedder.js';
import { createExactIndex, createHnswIndex, createVectorIndex } from './vector-index.js';

function randomVectors(n: number, d: number, seed = 1): Float32Array[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  return Array.from({ length: n }, () => normalize(Float32Array.from({ length: d }, rand)));
}

describe('vector indexes', () => {
  it('exact search returns the true nearest neighbours in order and forgets removed vectors', () => {
    const vectors = randomVectors(200, 16);
    const index = createExactIndex({ dimensions: 16 });
    vectors.forEach((v, i) => index.add(i, v));
    const [top, second] = index.search(vectors[7], 2);
    expect(top.label).toBe(7);
    expect(top.score).toBeCloseTo(1, 5);
    expect(second.score).toBeLessThan(top.score);
    index.remove(7);
    expect(index.size).toBe(199);
    expect(index.search(vectors[7], 1)[0].label).not.toBe(7);
  });

  it('HNSW agrees with exact search on the nearest neighbour', () => {
    const vectors = randomVectors(2000, 32, 7);
    const exact = createExactIndex({ dimensions: 32 });
    const hnsw = createHnswIndex({ dimensions: 32, capacity: 16 });
    vectors.forEach((v, i) => {
      exact.add(i, v);
      hnsw.add(i, v);
    });
    let agree = 0;
    for (const q of randomVectors(100, 32, 99)) if (exact.search(q, 1)[0].label === hnsw.search(q, 1)[0].label) agree++;
    expect(agree).toBeGreaterThanOrEqual(95);
    hnsw.remove(3);
    expect(hnsw.search(vectors[3], 1)[0].label).not.toBe(3);
  });

  it('switches from exact to HNSW at the threshold and keeps every vector', () => {
    const vectors = randomVectors(50, 8, 3);
    const index = createVectorIndex({ dimensions: 8, annThreshold: 20 });
    vectors.slice(0, 19).forEach((v, i) => index.add(i, v));
    expect(index.kind).toBe('exact');
    vectors.slice(19).forEach((v, i) => index.add(i + 19, v));
    expect(index.kind).toBe('hnsw');
    expect(index.size).toBe(50);
    expect(index.search(vectors[5], 1)[0].label).toBe(5);
  });
});
