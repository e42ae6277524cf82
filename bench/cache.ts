/**
 * Cache benchmark: precision/recall of the default operating point on labelled question pairs
 * (with and without the verifier), a threshold calibrated on one half checked on the other,
 * lookup latency at 1k/10k/100k entries (HNSW against the exact scan measured in the same run),
 * and memory per entry.
 *
 *   npx tsx bench/cache.ts [../shared/data/qqp-dev.jsonl] [--sizes 1000,10000,100000]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chooseThreshold, createCache, createExactIndex, createHashedEmbedder, createHnswIndex, createRuleVerifier, precisionRecall, readPairs, scorePairs } from '../src/cache/index.js';
import { DEFAULTS } from '../src/defaults.js';
import type { ModelRequest, ModelResponse } from '../src/model/types.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { sizes: { type: 'string', default: '1000,10000,100000' }, lookups: { type: 'string', default: '300' } } });
const path = resolve(positionals[0] ?? '../shared/data/qqp-dev.jsonl');
const sizes = values.sizes!.split(',').map(Number);
const lookups = Number(values.lookups);
const figures: Record<string, number> = {};
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

// 1. Precision and recall on labelled pairs.
const pairs = await readPairs(path);
const embedder = createHashedEmbedder();
const threshold = DEFAULTS.cache.threshold;
const raw = await scorePairs({ pairs, embedder });
const verified = await scorePairs({ pairs, embedder, verifiers: [createRuleVerifier()] });
const noVerifier = precisionRecall(raw, threshold);
const withVerifier = precisionRecall(verified, threshold);
console.log(`${pairs.length} pairs from ${path}; default threshold ${threshold}`);
console.log(`  without verifier: precision ${round(noVerifier.precision)}  recall ${round(noVerifier.recall)}  served ${noVerifier.accepted}`);
console.log(`  with verifier:    precision ${round(withVerifier.precision)}  recall ${round(withVerifier.recall)}  served ${withVerifier.accepted}`);
Object.assign(figures, {
  threshold,
  precision_no_verifier: round(noVerifier.precision),
  recall_no_verifier: round(noVerifier.recall),
  precision_verified: round(withVerifier.precision),
  recall_verified: round(withVerifier.recall),
  served_verified_pairs: withVerifier.accepted,
});

// 2. Calibrate on the first half, check on the second (and the other way round).
const half = Math.floor(verified.length / 2);
for (const [name, calib, hold] of [
  ['a_to_b', verified.slice(0, half), verified.slice(half)],
  ['b_to_a', verified.slice(half), verified.slice(0, half)],
] as const) {
  const chosen = chooseThreshold([...calib], 0.95);
  if (!chosen) {
    console.log(`  calibration ${name}: no threshold reaches 0.95 on the calibration half`);
    continue;
  }
  const held = precisionRecall([...hold], chosen.threshold);
  console.log(`  calibrated ${name}: threshold ${chosen.threshold} (calibration precision ${round(chosen.precision)}) -> held-out precision ${round(held.precision)} recall ${round(held.recall)}`);
  Object.assign(figures, { [`calibrated_threshold_${name}`]: chosen.threshold, [`heldout_precision_${name}`]: round(held.precision), [`heldout_recall_${name}`]: round(held.recall) });
}

// 3. Lookup latency and memory. Entries: the dataset's questions, made unique with a suffix.
const questions = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
const textAt = (i: number) => `${questions[i % questions.length]} (${Math.floor(i / questions.length)})`;
const response: ModelResponse = { id: 'r', model: 'm', message: { role: 'assistant', content: 'A typical cached answer of a few sentences. '.repeat(8) }, finishReason: 'stop', usage: { inputTokens: 200, outputTokens: 100, totalTokens: 300 }, meta: {} };
const request = (text: string): ModelRequest => ({ model: 'bench:m', messages: [{ role: 'user', content: text }] });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function measure(size: number, annThreshold: number) {
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const cache = await createCache({ annThreshold, maxEntries: size * 2, maxBytes: 2 ** 40 });
  for (let i = 0; i < size; i++) await cache.store(request(textAt(i)), response);
  globalThis.gc?.();
  const bytesPerEntry = (process.memoryUsage().rss - before) / size;
  const times: number[] = [];
  let hits = 0;
  for (let i = 0; i < lookups; i++) {
    // Half exact repeats of stored questions, half reworded (lower-cased, no punctuation): the semantic path.
    const text = i % 2 === 0 ? textAt((i * 7919) % size) : textAt((i * 7919) % size).toLowerCase().replace(/[?]/g, '');
    const t0 = performance.now();
    const result = await cache.lookup(request(text));
    times.push(performance.now() - t0);
    if (result.status !== 'miss') hits++;
  }
  await cache.close();
  return { p50: pct(times, 50), p99: pct(times, 99), bytesPerEntry, hitRate: hits / lookups };
}

console.log(`lookup latency (${lookups} lookups; half exact, half semantic):`);
for (const size of sizes) {
  const exact = await measure(size, Number.POSITIVE_INFINITY);
  const auto = await measure(size, DEFAULTS.cache.annThreshold);
  const kind = size >= DEFAULTS.cache.annThreshold ? 'hnsw' : 'exact';
  console.log(
    `  ${String(size).padStart(6)} entries: default (${kind}) p50 ${round(auto.p50 * 1000, 0)} µs p99 ${round(auto.p99 * 1000, 0)} µs hit rate ${round(auto.hitRate, 2)} | exact scan p50 ${round(exact.p50 * 1000, 0)} µs p99 ${round(exact.p99 * 1000, 0)} µs | ratio p50 ${round(auto.p50 / exact.p50, 2)} | ~${round(auto.bytesPerEntry / 1024, 2)} KiB/entry`,
  );
  Object.assign(figures, {
    [`lookup_p50_us_${size}`]: round(auto.p50 * 1000, 0),
    [`lookup_p99_us_${size}`]: round(auto.p99 * 1000, 0),
    [`exact_scan_p50_us_${size}`]: round(exact.p50 * 1000, 0),
    [`exact_scan_p99_us_${size}`]: round(exact.p99 * 1000, 0),
    [`ratio_p50_vs_exact_${size}`]: round(auto.p50 / exact.p50, 3),
    [`hit_rate_${size}`]: round(auto.hitRate, 3),
    [`bytes_per_entry_${size}`]: Math.round(auto.bytesPerEntry),
  });
}

// 4. Where HNSW starts to pay: index-only search time, exact scan against HNSW.
const dims = embedder.dimensions;
const vectors = await embedder.embed(questions.slice(0, 8000));
console.log('index-only search (k = 3), exact scan vs HNSW:');
for (const n of [100, 250, 500, 1000, 2000, 5000].filter((n) => n <= vectors.length)) {
  const exact = createExactIndex({ dimensions: dims });
  const hnsw = createHnswIndex({ dimensions: dims, capacity: n });
  for (let i = 0; i < n; i++) {
    exact.add(i, vectors[i]);
    hnsw.add(i, vectors[i]);
  }
  const time = (index: typeof exact) => {
    const t0 = performance.now();
    for (let i = 0; i < 500; i++) index.search(vectors[(i * 31) % n], 3);
    return ((performance.now() - t0) / 500) * 1000;
  };
  const e = time(exact);
  const h = time(hnsw);
  console.log(`  ${String(n).padStart(5)} vectors: exact ${round(e, 1)} µs, hnsw ${round(h, 1)} µs, ratio ${round(h / e, 2)}`);
  Object.assign(figures, { [`index_exact_us_${n}`]: round(e, 1), [`index_hnsw_us_${n}`]: round(h, 1) });
}

console.log(JSON.stringify(figures));
