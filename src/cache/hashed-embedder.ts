import { createHash } from 'node:crypto';
import { DEFAULTS } from '../defaults.js';
import { normalize, type Embedder } from './embedder.js';
import { STOP_WORDS, stem, words } from './text.js';

export interface HashedEmbedderOptions {
  /** Vector length. More dimensions mean fewer hash collisions and more memory per entry. */
  dimensions?: number;
  /**
   * Texts to fit inverse document frequencies on (for instance the questions already asked).
   * Without them, stop words get a fixed low weight and every other word the same weight.
   * The fitted table is frozen: vectors stored earlier stay comparable.
   */
  idfCorpus?: string[];
}

/** FNV-1a, 32 bit: fast and well spread, enough for feature hashing. */
function fnv1a(text: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const UNIGRAM_SEED = 0x1234567;
const BIGRAM_SEED = 0x2345678;
const CHAR_SEED = 0x3456789;

/** Adds one block of weighted features, scaled to unit length, times the block's share. */
function addBlock(out: Float32Array, features: Map<string, number>, seed: number, share: number): void {
  let norm = 0;
  for (const w of features.values()) norm += w * w;
  if (norm === 0) return;
  const scale = share / Math.sqrt(norm);
  for (const [feature, weight] of features) {
    const h = fnv1a(feature, seed);
    // The top bit picks the sign, so colliding features cancel on average instead of piling up.
    out[h % out.length] += (h & 0x80000000 ? -1 : 1) * weight * scale;
  }
}

function increment(map: Map<string, number>, key: string, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/**
 * The built-in offline embedder: hashed word, word-pair and character n-gram TF-IDF. It needs
 * no download and no network, runs in microseconds, and catches rewordings that keep most words
 * ("How do I decorate..." / "How would I decorate..."). It does not know synonyms: it proposes
 * candidates, and the paraphrase-aware rule verifier decides which are served.
 */
export function createHashedEmbedder(options: HashedEmbedderOptions = {}): Embedder {
  const dimensions = options.dimensions ?? DEFAULTS.cache.embedderDimensions;
  const defaults = DEFAULTS.cache.hashedEmbedder;
  let idf: Map<string, number> | undefined;
  let unknownIdf = 1;
  let corpusTag = 'static';
  if (options.idfCorpus && options.idfCorpus.length > 0) {
    const df = new Map<string, number>();
    for (const text of options.idfCorpus) for (const w of new Set(words(text).map(stem))) increment(df, w, 1);
    const n = options.idfCorpus.length;
    idf = new Map([...df].map(([w, d]) => [w, Math.log((n + 1) / (d + 1)) + 1]));
    unknownIdf = Math.log(n + 1) + 1;
    corpusTag = createHash('sha256').update(options.idfCorpus.join('\n')).digest('hex').slice(0, 12);
  }

  const weightOf = (w: string): number => {
    if (idf) return idf.get(w) ?? unknownIdf;
    return STOP_WORDS.has(w) ? defaults.stopWordWeight : 1;
  };

  const embedOne = (text: string): Float32Array => {
    const tokens = words(text);
    const stems = tokens.map(stem);
    const unigrams = new Map<string, number>();
    const bigrams = new Map<string, number>();
    const chars = new Map<string, number>();
    for (let i = 0; i < stems.length; i++) {
      const weight = weightOf(stems[i]);
      increment(unigrams, stems[i], weight);
      if (i + 1 < stems.length) increment(bigrams, `${stems[i]} ${stems[i + 1]}`, Math.min(weight, weightOf(stems[i + 1])));
      const padded = ` ${tokens[i]} `;
      for (let n = defaults.charNgramMin; n <= defaults.charNgramMax; n++) {
        for (let j = 0; j + n <= padded.length; j++) increment(chars, padded.slice(j, j + n), weight);
      }
    }
    // Sublinear term frequency: a word said twice is not twice as important.
    for (const block of [unigrams, bigrams, chars]) for (const [k, v] of block) block.set(k, Math.sqrt(v));
    const out = new Float32Array(dimensions);
    addBlock(out, unigrams, UNIGRAM_SEED, defaults.wordShare);
    addBlock(out, bigrams, BIGRAM_SEED, defaults.bigramShare);
    addBlock(out, chars, CHAR_SEED, defaults.charShare);
    return normalize(out);
  };

  return {
    id: `hashed-tfidf:d${dimensions}:${corpusTag}`,
    dimensions,
    embed: async (texts) => texts.map(embedOne),
  };
}
