import { parseArgs } from 'node:util';
import { createHashedEmbedder } from '../../cache/hashed-embedder.js';
import { chooseThreshold, curve, readPairs, scorePairs } from '../../cache/calibrate.js';
import { readMetrics } from '../../cache/metrics.js';
import { createRuleVerifier } from '../../cache/verifier.js';
import { DEFAULTS } from '../../defaults.js';
import { SextantError } from '../../errors.js';
import { openStore } from '../../store/index.js';
import type { Command } from './command.js';

const USAGE = `Usage:
  sextant cache calibrate <pairs.jsonl> [--target-precision 0.95] [--no-verifier | --paraphrases]
      Measures the built-in embedder (and the strict rule verifier, or its paraphrase-aware form) on labelled {a, b, same} pairs,
      prints the precision/recall curve and the threshold that meets the target.
  sextant cache stats     Counters per scope (tenant, model): hits, misses, rejections, savings
  sextant cache clear     Deletes every cached entry (and the counters with --metrics)
The store is SEXTANT_DATABASE_URL, or ${DEFAULTS.store.sqlitePath}.`;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

async function calibrate(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'target-precision': { type: 'string', default: '0.95' }, 'no-verifier': { type: 'boolean' }, paraphrases: { type: 'boolean' } },
  });
  const [path] = positionals;
  if (!path) throw new SextantError('INVALID_REQUEST', `calibrate needs a pairs file.\n${USAGE}`);
  const target = Number(values['target-precision']);
  if (!(target > 0 && target <= 1)) throw new SextantError('INVALID_REQUEST', `--target-precision must be in (0, 1], got ${values['target-precision']}`);
  const pairs = await readPairs(path);
  if (values['no-verifier'] && values.paraphrases) throw new SextantError('INVALID_REQUEST', `--no-verifier and --paraphrases exclude each other.\n${USAGE}`);
  const verifiers = values['no-verifier'] ? [] : [createRuleVerifier({ paraphrases: values.paraphrases ?? DEFAULTS.cache.verifierParaphrases })];
  const scored = await scorePairs({ pairs, embedder: createHashedEmbedder(), verifiers });
  console.log(
    `${pairs.length} pairs (${pairs.filter((p) => p.same).length} same), embedder ${createHashedEmbedder().id}, verifier ${verifiers.length === 0 ? 'none' : values.paraphrases ? 'rules (paraphrase-aware)' : 'rules (strict)'}`,
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

export const cacheCommand: Command = {
  summary: 'Calibrate the semantic cache threshold, show cache stats, clear the cache',
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'calibrate') return calibrate(rest);
    if (sub !== 'stats' && sub !== 'clear') {
      console.log(USAGE);
      return sub === '--help' || sub === '-h' ? 0 : 1;
    }
    const { values } = parseArgs({ args: rest, options: { metrics: { type: 'boolean' } } });
    const store = await openStore();
    try {
      if (sub === 'clear') {
        const entries = await store.db.deleteFrom('cache_entries').executeTakeFirst();
        if (values.metrics) await store.db.deleteFrom('cache_metrics').execute();
        console.log(`Cleared ${Number(entries.numDeletedRows)} cached entries from ${store.location}${values.metrics ? ' and reset the counters' : ''}.`);
        return 0;
      }
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
  },
};
