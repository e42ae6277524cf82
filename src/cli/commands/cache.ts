import { createHashedEmbedder } from '../../cache/hashed-embedder.js';
import { chooseThreshold, curve, readPairs, scorePairs } from '../../cache/calibrate.js';
import { readMetrics } from '../../cache/metrics.js';
import { createRuleVerifier } from '../../cache/verifier.js';
import { DEFAULTS } from '../../defaults.js';
import { SextantError } from '../../errors.js';
import { openStore } from '../../store/index.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export interface CalibrateCommandOptions {
  targetPrecision: string;
  /** False with --no-verifier. */
  verifier: boolean;
  paraphrases?: boolean;
}

/** `sextant cache calibrate`: the precision/recall curve of the built-in embedder (and verifier) on labelled pairs, and the threshold that meets the target. */
export async function calibrateCommand(path: string, options: CalibrateCommandOptions): Promise<number> {
  const target = Number(options.targetPrecision);
  if (!(target > 0 && target <= 1)) throw new SextantError('INVALID_REQUEST', `--target-precision must be in (0, 1], got ${options.targetPrecision}`);
  const pairs = await readPairs(path);
  const verifiers = options.verifier ? [createRuleVerifier({ paraphrases: options.paraphrases ?? DEFAULTS.cache.verifierParaphrases })] : [];
  const scored = await scorePairs({ pairs, embedder: createHashedEmbedder(), verifiers });
  console.log(
    `${pairs.length} pairs (${pairs.filter((p) => p.same).length} same), embedder ${createHashedEmbedder().id}, verifier ${verifiers.length === 0 ? 'none' : options.paraphrases ? 'rules (paraphrase-aware)' : 'rules (strict)'}`,
  );
  console.log('threshold  precision  recall  served');
  for (const p of curve(scored))
    console.log(`${p.threshold.toFixed(2).padStart(9)}  ${pct(p.precision).padStart(9)}  ${pct(p.recall).padStart(6)}  ${String(p.accepted).padStart(6)}`);
  const chosen = chooseThreshold(scored, target);
  if (!chosen) {
    console.log(`No threshold reaches precision ${target}: keep semantic lookup off, or add a verifier.`);
    return 1;
  }
  console.log(`Chosen threshold: ${chosen.threshold.toFixed(2)} (precision ${pct(chosen.precision)}, recall ${pct(chosen.recall)}, target ${pct(target)})`);
  return 0;
}

/** `sextant cache stats`: counters per scope (tenant, model). */
export async function cacheStatsCommand(): Promise<number> {
  const store = await openStore();
  try {
    const rows = await readMetrics(store);
    const count = await store.db
      .selectFrom('cache_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    console.log(`${Number(count.n)} entries in ${store.location}`);
    if (rows.length === 0) {
      console.log('No cache traffic recorded yet.');
      return 0;
    }
    console.log('tenant          model                    exact  semantic  misses  rejected  hit rate  saved $    saved s');
    for (const r of rows) {
      const total = r.exactHits + r.semanticHits + r.misses;
      const rate = total === 0 ? 0 : (r.exactHits + r.semanticHits) / total;
      console.log(
        `${r.tenant.padEnd(15)} ${r.model.padEnd(24)} ${String(r.exactHits).padStart(5)}  ${String(r.semanticHits).padStart(8)}  ${String(r.misses).padStart(6)}  ${String(r.verifierRejections).padStart(8)}  ${pct(rate).padStart(8)}  ${r.savedUsd.toFixed(4).padStart(8)}  ${(r.savedMs / 1000).toFixed(1).padStart(8)}`,
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** `sextant cache clear`: deletes every cached entry (and the counters with --metrics). */
export async function cacheClearCommand(options: { metrics?: boolean }): Promise<number> {
  const store = await openStore();
  try {
    const entries = await store.db.deleteFrom('cache_entries').executeTakeFirst();
    if (options.metrics) await store.db.deleteFrom('cache_metrics').execute();
    console.log(`Cleared ${Number(entries.numDeletedRows)} cached entries from ${store.location}${options.metrics ? ' and reset the counters' : ''}.`);
    return 0;
  } finally {
    await store.close();
  }
}
