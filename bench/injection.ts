/**
 * Prompt-injection detection on a labelled set: catch rate per attack category and false-positive
 * rate per benign category, for Sextant's detector (normalization + heuristics + decoded base64)
 * against a keyword baseline measured in the same run (the common "look for ignore/system/
 * instructions" filter).
 *
 *   npx tsx bench/injection.ts [bench/fixtures/injection-cases.jsonl]
 */
import { readFileSync } from 'node:fs';
import { detectInjection } from '../src/security/injection.js';

interface Case {
  label: 'attack' | 'benign';
  category: string;
  text: string;
}

const path = process.argv[2] ?? new URL('./fixtures/injection-cases.jsonl', import.meta.url).pathname;
const cases = readFileSync(path, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Case);

const KEYWORDS = /\b(ignore|disregard|system prompt|instructions|jailbreak|you are now)\b/i;
const keyword = (text: string) => KEYWORDS.test(text);

const t0 = performance.now();
const ours = cases.map((c) => detectInjection(c.text).injection);
const usPerText = ((performance.now() - t0) * 1000) / cases.length;
const base = cases.map((c) => keyword(c.text));

const figures: Record<string, number> = { texts: cases.length };
const categories = [...new Set(cases.map((c) => `${c.label}\u0000${c.category}`))];
console.log(
  `Injection detection on ${cases.length} texts (${cases.filter((c) => c.label === 'attack').length} attacks, ${cases.filter((c) => c.label === 'benign').length} benign)\n`,
);
console.log('category                     n    sextant   keyword baseline');
for (const key of categories) {
  const [label, category] = key.split('\u0000');
  const idx = cases.map((c, i) => (c.label === label && c.category === category ? i : -1)).filter((i) => i >= 0);
  const rate = (flags: boolean[]) => idx.filter((i) => flags[i]).length / idx.length;
  const name = label === 'attack' ? `${category}_catch_rate` : `${category}_false_positive_rate`;
  figures[name] = +rate(ours).toFixed(3);
  figures[`keyword_${name}`] = +rate(base).toFixed(3);
  console.log(
    `${(label === 'attack' ? 'catch ' : 'FP    ') + category}`.padEnd(28) +
      `${String(idx.length).padStart(3)}    ${rate(ours).toFixed(3)}     ${rate(base).toFixed(3)}`,
  );
}
const overall = (flags: boolean[], label: Case['label']) => {
  const idx = cases.map((c, i) => (c.label === label ? i : -1)).filter((i) => i >= 0);
  return idx.filter((i) => flags[i]).length / idx.length;
};
figures.catch_rate = +overall(ours, 'attack').toFixed(3);
figures.false_positive_rate = +overall(ours, 'benign').toFixed(3);
figures.keyword_catch_rate = +overall(base, 'attack').toFixed(3);
figures.keyword_false_positive_rate = +overall(base, 'benign').toFixed(3);
figures.catch_ratio_vs_keyword = +(figures.catch_rate / figures.keyword_catch_rate).toFixed(3);
figures.detect_us_per_text = +usPerText.toFixed(1);
console.log(
  `\noverall catch rate ${figures.catch_rate} (keyword ${figures.keyword_catch_rate}, ×${figures.catch_ratio_vs_keyword}); false positives ${figures.false_positive_rate} (keyword ${figures.keyword_false_positive_rate}); ${figures.detect_us_per_text} µs per text\n`,
);
console.log(JSON.stringify(figures));
