/**
 * Cache benchmark: precision/recall of the default operating point on labelled question pairs
 * (no verifier, the strict verifier, the default paraphrase-aware verifier), a threshold
 * calibrated on one half checked on the other (both ways, and on an odd/even split), lookup
 * latency at 1k/10k/100k entries (the default index against the exact scan), and memory per
 * entry, each size in a fresh child process with forced GC, against the raw bytes it stores.
 *
 *   npx tsx --expose-gc bench/cache.ts [../shared/data/qqp-dev.jsonl] [--sizes 1000,10000,100000] [--lookups 300]
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  chooseThreshold,
  createCache,
  createExactIndex,
  createHashedEmbedder,
  createHnswIndex,
  createRuleVerifier,
  precisionRecall,
  readPairs,
  scorePairs,
  type ScoredPair,
} from '../src/cache/index.js';
import { DEFAULTS } from '../src/defaults.js';
import type { ModelRequest, ModelResponse } from '../src/model/types.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sizes: { type: 'string', default: '1000,10000,100000' },
    lookups: { type: 'string', default: '300' },
    child: { type: 'string' },
    index: { type: 'string', default: 'default' },
  },
});
const path = resolve(positionals[0] ?? '../shared/data/qqp-dev.jsonl');
const lookups = Number(values.lookups);
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const pairs = await readPairs(path);

// Entries for latency and memory: the dataset's questions, made unique with a suffix.
const questions = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
const textAt = (i: number) => `${questions[i % questions.length]} (${Math.floor(i / questions.length)})`;
const response: ModelResponse = {
  id: 'r',
  model: 'm',
  message: { role: 'assistant', content: 'A typical cached answer of a few sentences. '.repeat(8) },
  finishReason: 'stop',
  usage: { inputTokens: 200, outputTokens: 100, totalTokens: 300 },
  meta: {},
};
const request = (text: string): ModelRequest => ({ model: 'bench:m', messages: [{ role: 'user', content: text }] });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** Child process: one cache of `size` entries; prints memory deltas and lookup latency as JSON. */
async function child(size: number, index: string) {
  const gc = globalThis.gc;
  if (!gc) throw new Error('run with --expose-gc');
  const embedder = createHashedEmbedder();
  // Warm the code paths (and the lazy HNSW addon) before the baseline, so only entries are counted.
  const warm = await createCache({ embedder, annThreshold: 2 });
  for (let i = 0; i < 4; i++) await warm.store(request(textAt(i)), response);
  await warm.lookup(request(textAt(0).toLowerCase()));
  await warm.close();
  const texts = Array.from({ length: size }, (_, i) => textAt(i));
  gc();
  gc();
  const m0 = process.memoryUsage();
  const cache = await createCache({
    embedder,
    annThreshold: index === 'exact' ? Number.POSITIVE_INFINITY : DEFAULTS.cache.annThreshold,
    maxEntries: size * 2,
    maxBytes: 2 ** 40,
  });
  for (const text of texts) await cache.store(request(text), response);
  gc();
  gc();
  const m1 = process.memoryUsage();
  // What an entry must hold at least: its vector, its question and its answer as stored (JSON).
  const rawBytes = embedder.dimensions * 4 + JSON.stringify(response).length + texts.reduce((n, t) => n + Buffer.byteLength(t), 0) / size;
  const times: number[] = [];
  let hits = 0;
  for (let i = 0; i < lookups; i++) {
    // Half exact repeats of stored questions, half reworded (lower-cased, no question mark): the semantic path.
    const text =
      i % 2 === 0
        ? textAt((i * 7919) % size)
        : textAt((i * 7919) % size)
            .toLowerCase()
            .replace(/[?]/g, '');
    const t0 = performance.now();
    const result = await cache.lookup(request(text));
    times.push(performance.now() - t0);
    if (result.status !== 'miss') hits++;
  }
  await cache.close();
  console.log(
    JSON.stringify({
      v8: (m1.heapUsed - m0.heapUsed + (m1.external - m0.external)) / size,
      heap: (m1.heapUsed - m0.heapUsed) / size,
      arrayBuffers: (m1.arrayBuffers - m0.arrayBuffers) / size,
      rss: (m1.rss - m0.rss) / size,
      raw: rawBytes,
      p50: pct(times, 50),
      p99: pct(times, 99),
      hitRate: hits / lookups,
    }),
  );
}

if (values.child) {
  await child(Number(values.child), values.index!);
  process.exit(0);
}

const sizes = values.sizes!.split(',').map(Number);
const figures: Record<string, number> = {};

// 1. Precision and recall on labelled pairs at the default threshold: no verifier (the baseline),
// the default (strict) rule verifier, and the opt-in paraphrase-aware one.
const embedder = createHashedEmbedder();
const threshold = DEFAULTS.cache.threshold;
const variants = {
  no_verifier: await scorePairs({ pairs, embedder }),
  default_verifier: await scorePairs({ pairs, embedder, verifiers: [createRuleVerifier()] }),
  paraphrase_verifier: await scorePairs({ pairs, embedder, verifiers: [createRuleVerifier({ paraphrases: true })] }),
};
console.log(
  `${pairs.length} pairs (${pairs.filter((p) => p.same).length} same) from ${path}; default threshold ${threshold}; default verifier is the ${DEFAULTS.cache.verifierParaphrases ? 'paraphrase-aware' : 'strict'} form`,
);
const baseline = precisionRecall(variants.no_verifier, threshold);
figures.threshold = threshold;
for (const [name, scored] of Object.entries(variants)) {
  const point = precisionRecall(scored, threshold);
  const halves = [scored.slice(0, scored.length / 2), scored.slice(scored.length / 2)].map((h) => precisionRecall(h, threshold));
  console.log(
    `  ${name.replace('_', ' ').padEnd(20)} precision ${round(point.precision)}  recall ${round(point.recall)}  served ${point.accepted}  (precision x${round(point.precision / baseline.precision, 2)} vs no verifier) | first half ${round(halves[0].precision)} / ${round(halves[0].recall)}, second half ${round(halves[1].precision)} / ${round(halves[1].recall)}`,
  );
  Object.assign(figures, {
    [`precision_${name}`]: round(point.precision),
    [`recall_${name}`]: round(point.recall),
    [`served_pairs_${name}`]: point.accepted,
    [`precision_${name}_first_half`]: round(halves[0].precision),
    [`precision_${name}_second_half`]: round(halves[1].precision),
  });
}
figures.recall_ratio_paraphrase_vs_default = round(
  precisionRecall(variants.paraphrase_verifier, threshold).recall / precisionRecall(variants.default_verifier, threshold).recall,
  2,
);

// 2. Calibrate on one half, measure on the other: both ways, for the halves of the file and for odd/even rows,
// for both verifier forms.
for (const name of ['default_verifier', 'paraphrase_verifier'] as const) {
  const scored = variants[name];
  const half = Math.floor(scored.length / 2);
  const first = scored.slice(0, half);
  const second = scored.slice(half);
  const even = scored.filter((_, i) => i % 2 === 0);
  const odd = scored.filter((_, i) => i % 2 === 1);
  const splits: [string, ScoredPair[], ScoredPair[]][] = [
    ['a_to_b', first, second],
    ['b_to_a', second, first],
    ['even_to_odd', even, odd],
    ['odd_to_even', odd, even],
  ];
  for (const [split, calib, hold] of splits) {
    const chosen = chooseThreshold(calib, 0.95);
    if (!chosen) {
      const best = Math.max(...[0.3, 0.5, 0.7, 0.9].map((t) => precisionRecall(calib, t).precision));
      console.log(`  ${name} calibrated ${split}: no threshold reaches 0.95 on the calibration half (best ${round(best)})`);
      Object.assign(figures, { [`${name}_calibration_best_precision_${split}`]: round(best) });
      continue;
    }
    const held = precisionRecall(hold, chosen.threshold);
    console.log(
      `  ${name} calibrated ${split}: threshold ${chosen.threshold} (calibration precision ${round(chosen.precision)}) -> held-out precision ${round(held.precision)} recall ${round(held.recall)}`,
    );
    Object.assign(figures, {
      [`${name}_calibrated_threshold_${split}`]: chosen.threshold,
      [`${name}_heldout_precision_${split}`]: round(held.precision),
      [`${name}_heldout_recall_${split}`]: round(held.recall),
    });
  }
}

// 3. Lookup latency and memory per entry: each size and index kind in a fresh child process.
function runChild(size: number, index: string) {
  const result = spawnSync(
    process.execPath,
    [...process.execArgv, '--expose-gc', process.argv[1], path, '--child', String(size), '--index', index, '--lookups', String(lookups)],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const line = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !line.startsWith('{')) throw new Error(`child ${size}/${index} failed: ${result.stderr}`);
  return JSON.parse(line) as { v8: number; heap: number; arrayBuffers: number; rss: number; raw: number; p50: number; p99: number; hitRate: number };
}

console.log(`lookup latency (${lookups} lookups; half exact, half semantic) and memory per entry (fresh process per size, forced GC):`);
for (const size of sizes) {
  const auto = runChild(size, 'default');
  const exact = runChild(size, 'exact');
  const kind = size >= DEFAULTS.cache.annThreshold ? 'hnsw' : 'exact';
  console.log(
    `  ${String(size).padStart(6)} entries: default (${kind}) p50 ${round(auto.p50 * 1000, 0)} µs p99 ${round(auto.p99 * 1000, 0)} µs hit rate ${round(auto.hitRate, 2)} | exact scan p50 ${round(exact.p50 * 1000, 0)} µs p99 ${round(exact.p99 * 1000, 0)} µs | ratio p50 ${round(auto.p50 / exact.p50, 2)}`,
  );
  console.log(
    `          memory/entry: V8 heap+external ${Math.round(auto.v8)} B (array buffers ${Math.round(auto.arrayBuffers)} B), RSS ${Math.round(auto.rss)} B (incl. native HNSW) | raw vector+question+answer ${Math.round(auto.raw)} B | ratio V8/raw ${round(auto.v8 / auto.raw, 2)}, RSS/raw ${round(auto.rss / auto.raw, 2)} | exact-index cache: V8 ${Math.round(exact.v8)} B, RSS ${Math.round(exact.rss)} B`,
  );
  Object.assign(figures, {
    [`lookup_p50_us_${size}`]: round(auto.p50 * 1000, 0),
    [`lookup_p99_us_${size}`]: round(auto.p99 * 1000, 0),
    [`exact_scan_p50_us_${size}`]: round(exact.p50 * 1000, 0),
    [`exact_scan_p99_us_${size}`]: round(exact.p99 * 1000, 0),
    [`ratio_p50_vs_exact_${size}`]: round(auto.p50 / exact.p50, 3),
    [`hit_rate_${size}`]: round(auto.hitRate, 3),
    [`v8_bytes_per_entry_${size}`]: Math.round(auto.v8),
    [`rss_bytes_per_entry_${size}`]: Math.round(auto.rss),
    [`raw_bytes_per_entry_${size}`]: Math.round(auto.raw),
    [`v8_ratio_vs_raw_${size}`]: round(auto.v8 / auto.raw, 2),
    [`rss_ratio_vs_raw_${size}`]: round(auto.rss / auto.raw, 2),
    [`exact_index_v8_bytes_per_entry_${size}`]: Math.round(exact.v8),
    [`exact_index_rss_bytes_per_entry_${size}`]: Math.round(exact.rss),
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
