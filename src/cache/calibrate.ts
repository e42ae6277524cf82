import { readFile } from 'node:fs/promises';
import { SextantError } from '../errors.js';
import { dot, type Embedder } from './embedder.js';
import type { Verifier } from './verifier.js';

export interface LabelledPair {
  a: string;
  b: string;
  /** Would one cached answer serve both? */
  same: boolean;
}

export interface ScoredPair extends LabelledPair {
  similarity: number;
  /** Whether every verifier accepted the pair (true when there are none). */
  verified: boolean;
  rejectedBy?: string;
}

export interface CurvePoint {
  threshold: number;
  precision: number;
  recall: number;
  /** Pairs served from cache at this threshold. */
  accepted: number;
}

/** Reads `{a, b, same}` lines; a bad line is an error naming its line number. */
export async function readPairs(path: string): Promise<LabelledPair[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SextantError('INVALID_REQUEST', `Cannot read pairs file ${path}: ${(error as Error).message}`, { cause: error, context: { path } });
  }
  const pairs: LabelledPair[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let row: any;
    try {
      row = JSON.parse(line);
    } catch {
      throw new SextantError('INVALID_REQUEST', `${path}:${i + 1}: not JSON`, { context: { path, line: i + 1 } });
    }
    if (typeof row?.a !== 'string' || typeof row?.b !== 'string' || typeof row?.same !== 'boolean') {
      throw new SextantError('INVALID_REQUEST', `${path}:${i + 1}: expected {"a": string, "b": string, "same": boolean}`, { context: { path, line: i + 1 } });
    }
    pairs.push({ a: row.a, b: row.b, same: row.same });
  });
  if (pairs.length === 0) throw new SextantError('INVALID_REQUEST', `${path} holds no pairs`, { context: { path } });
  return pairs;
}

/** Similarity of each pair under the embedder, and the verifiers' verdict. */
export async function scorePairs(options: { pairs: LabelledPair[]; embedder: Embedder; verifiers?: Verifier[] }): Promise<ScoredPair[]> {
  const out: ScoredPair[] = [];
  const batch = 64;
  for (let i = 0; i < options.pairs.length; i += batch) {
    const chunk = options.pairs.slice(i, i + batch);
    const vectors = await options.embedder.embed(chunk.flatMap((p) => [p.a, p.b]));
    for (const [j, pair] of chunk.entries()) {
      const similarity = dot(vectors[2 * j], vectors[2 * j + 1]);
      let rejectedBy: string | undefined;
      for (const verifier of options.verifiers ?? []) {
        const verdict = await verifier.verify({ query: pair.a, candidate: pair.b, similarity });
        if (!verdict.ok) {
          rejectedBy = verdict.reason ?? verifier.name;
          break;
        }
      }
      out.push({ ...pair, similarity, verified: rejectedBy === undefined, rejectedBy });
    }
  }
  return out;
}

/** Precision and recall of serving a pair when similarity >= threshold and the verifiers accept. */
export function precisionRecall(scored: ScoredPair[], threshold: number): CurvePoint {
  const positives = scored.filter((p) => p.same).length;
  const accepted = scored.filter((p) => p.verified && p.similarity >= threshold);
  const truePositives = accepted.filter((p) => p.same).length;
  return {
    threshold,
    precision: accepted.length === 0 ? 1 : truePositives / accepted.length,
    recall: positives === 0 ? 0 : truePositives / positives,
    accepted: accepted.length,
  };
}

export function curve(scored: ScoredPair[], step = 0.05): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (let t = 0.5; t <= 1.0001; t += step) points.push(precisionRecall(scored, Math.round(t * 1000) / 1000));
  return points;
}

/**
 * The lowest threshold whose precision meets the target while serving at least `minServed`
 * pairs: a precision measured on a handful of pairs is luck, not evidence. Undefined when none does.
 */
export function chooseThreshold(scored: ScoredPair[], targetPrecision: number, options: { step?: number; minServed?: number } = {}): CurvePoint | undefined {
  const minServed = options.minServed ?? 20;
  return curve(scored, options.step ?? 0.01).find((p) => p.accepted >= minServed && p.precision >= targetPrecision);
}
