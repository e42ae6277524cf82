/**
 * PII detection quality on a labelled set: precision and recall per type, for Sextant's
 * detectors (patterns + validators: Luhn, mod-97, issued ranges, phone shapes) against a naive
 * pattern-only baseline measured in the same run.
 *
 *   npx tsx bench/pii.ts [bench/fixtures/pii-cases.jsonl]
 */
import { readFileSync } from 'node:fs';
import { PII_TYPES, findPii, type PiiType } from '../src/security/pii.js';

interface Case {
  text: string;
  pii: { type: PiiType; value: string }[];
}

const path = process.argv[2] ?? new URL('./fixtures/pii-cases.jsonl', import.meta.url).pathname;
const cases = readFileSync(path, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Case);

/** What one writes without validators: the usual regexes, first match wins. */
const NAIVE: [PiiType, RegExp][] = [
  [
    'secret',
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----|\b(?:sk-[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|xox[abprs]-[A-Za-z0-9-]+|[sr]k_(?:live|test)_[A-Za-z0-9]+|eyJ[\w-]+\.[\w-]+\.[\w-]+)/g,
  ],
  ['email', /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g],
  ['iban', /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g],
  ['card', /\b(?:\d[ -]?){12,18}\d\b/g],
  ['ssn', /\b\d{3}-\d{2}-\d{4}\b/g],
  ['uk_nino', /\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g],
  ['ipv4', /\b\d{1,3}(?:\.\d{1,3}){3}\b/g],
  ['ipv6', /\b(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}\b/g],
  ['phone', /\+?\(?\d{1,4}\)?[ .-]?\d{2,4}[ .-]?\d{2,4}(?:[ .-]?\d{2,4})?/g],
];

function naive(text: string): { type: PiiType; value: string }[] {
  const taken: [number, number][] = [];
  const out: { type: PiiType; value: string }[] = [];
  for (const [type, re] of NAIVE) {
    for (const m of text.matchAll(re)) {
      const [s, e] = [m.index, m.index + m[0].length];
      if (taken.some(([a, b]) => s < b && e > a)) continue;
      taken.push([s, e]);
      out.push({ type, value: m[0] });
    }
  }
  return out;
}

function score(detect: (text: string) => { type: PiiType; value: string }[]) {
  const counts = Object.fromEntries(PII_TYPES.map((t) => [t, { tp: 0, fp: 0, fn: 0 }])) as Record<PiiType, { tp: number; fp: number; fn: number }>;
  for (const c of cases) {
    const expected = c.pii.map((p) => `${p.type}\u0000${p.value}`);
    const found = detect(c.text).map((p) => `${p.type}\u0000${p.value}`);
    for (const f of found) {
      const type = f.split('\u0000')[0] as PiiType;
      const i = expected.indexOf(f);
      if (i >= 0) {
        counts[type].tp++;
        expected.splice(i, 1);
      } else counts[type].fp++;
    }
    for (const e of expected) counts[e.split('\u0000')[0] as PiiType].fn++;
  }
  return counts;
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);
const t0 = performance.now();
const ours = score((t) => findPii(t));
const usPerString = ((performance.now() - t0) * 1000) / cases.length;
const base = score(naive);

const figures: Record<string, number> = { strings: cases.length, labelled_values: cases.reduce((n, c) => n + c.pii.length, 0) };
console.log(
  `PII detection on ${cases.length} strings (${figures.labelled_values} labelled values, ${cases.filter((c) => c.pii.length === 0).length} strings with none)\n`,
);
console.log('type       precision  recall   | naive precision  recall');
let tp = 0,
  fp = 0,
  fn = 0,
  btp = 0,
  bfp = 0,
  bfn = 0;
for (const type of PII_TYPES) {
  const o = ours[type];
  const b = base[type];
  tp += o.tp;
  fp += o.fp;
  fn += o.fn;
  btp += b.tp;
  bfp += b.fp;
  bfn += b.fn;
  const p = ratio(o.tp, o.tp + o.fp),
    r = ratio(o.tp, o.tp + o.fn);
  const bp = ratio(b.tp, b.tp + b.fp),
    br = ratio(b.tp, b.tp + b.fn);
  figures[`${type}_precision`] = +p.toFixed(3);
  figures[`${type}_recall`] = +r.toFixed(3);
  figures[`naive_${type}_precision`] = +bp.toFixed(3);
  figures[`naive_${type}_recall`] = +br.toFixed(3);
  console.log(
    `${type.padEnd(10)} ${p.toFixed(3).padStart(9)}  ${r.toFixed(3).padStart(6)}   | ${bp.toFixed(3).padStart(15)}  ${br.toFixed(3).padStart(6)}   (tp ${o.tp}, fp ${o.fp}, fn ${o.fn})`,
  );
}
figures.overall_precision = +ratio(tp, tp + fp).toFixed(3);
figures.overall_recall = +ratio(tp, tp + fn).toFixed(3);
figures.naive_overall_precision = +ratio(btp, btp + bfp).toFixed(3);
figures.naive_overall_recall = +ratio(btp, btp + bfn).toFixed(3);
figures.precision_ratio_vs_naive = +(figures.overall_precision / figures.naive_overall_precision).toFixed(3);
figures.detect_us_per_string = +usPerString.toFixed(1);
console.log(
  `\noverall    ${figures.overall_precision.toFixed(3).padStart(9)}  ${figures.overall_recall.toFixed(3).padStart(6)}   | ${figures.naive_overall_precision.toFixed(3).padStart(15)}  ${figures.naive_overall_recall.toFixed(3).padStart(6)}`,
);
console.log(`precision ×${figures.precision_ratio_vs_naive} vs naive; ${figures.detect_us_per_string} µs per string\n`);
console.log(JSON.stringify(figures));
