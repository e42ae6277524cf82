import { DEFAULTS } from '../defaults.js';
import { CONTRACTIONS, FILLER_WORDS, canonicalWords } from './paraphrase.js';
import { STOP_WORDS, normalizeText, stem, words } from './text.js';

export interface VerifyInput {
  /** The text the caller asked (what was embedded). */
  query: string;
  /** The cached entry's text that scored above the threshold. */
  candidate: string;
  similarity: number;
  signal?: AbortSignal;
}

export interface Verdict {
  ok: boolean;
  /** Which check rejected the candidate (`numbers`, `entities`, `negation`, `intent`, `content`, `llm`). */
  reason?: string;
  detail?: string;
}

/**
 * The last stage before a semantic hit is served. It sees both texts and answers whether the
 * cached answer also answers the query: a wrong cached answer is worse than a miss.
 */
export interface Verifier {
  readonly name: string;
  verify(input: VerifyInput): Promise<Verdict>;
}

export type RuleName = 'numbers' | 'entities' | 'negation' | 'intent' | 'person' | 'content' | 'order';
export const RULE_NAMES: readonly RuleName[] = ['numbers', 'entities', 'negation', 'intent', 'person', 'content', 'order'];

const NEGATIONS = new Set([
  'not',
  'no',
  'never',
  'none',
  'nobody',
  'nothing',
  'neither',
  'nor',
  'without',
  'cannot',
  'cant',
  'dont',
  'doesnt',
  'didnt',
  'isnt',
  'arent',
  'wasnt',
  'werent',
  'wont',
  'wouldnt',
  'shouldnt',
  'couldnt',
  'havent',
  'hasnt',
  'hadnt',
  'aint',
]);

function verifierWords(text: string): string[] {
  return words(text).flatMap((w) => CONTRACTIONS[w] ?? [w]);
}

const NUMBER_WORDS: Record<string, string> = {
  zero: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
  ten: '10',
  eleven: '11',
  twelve: '12',
  twenty: '20',
  thirty: '30',
  forty: '40',
  fifty: '50',
  hundred: '100',
  thousand: '1000',
  million: '1000000',
  billion: '1000000000',
  first: '1',
  second: '2',
  third: '3',
  fourth: '4',
  fifth: '5',
};

/** Numbers as values: "1,000" = "1000", "1980's" = "1980s" = "1980", "two" = "2". */
function numbersOf(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of normalizeText(text).matchAll(/\d[\d,]*(?:\.\d+)?/g)) out.add(String(Number(m[0].replace(/,/g, ''))));
  for (const w of words(text)) if (NUMBER_WORDS[w] && w !== 'one' && w !== 'second') out.add(NUMBER_WORDS[w]);
  return out;
}

/**
 * Proper names and acronyms: words written with a capital that is not just the start of a
 * sentence ("Pune", "NET", "iPhone"), compared case-insensitively so "pune" still matches "Pune".
 */
function entitiesOf(text: string, paraphrases: boolean): Set<string> {
  const out = new Set<string>();
  const tokens =
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/['’`]s\b/g, '')
      .match(/[\p{L}\p{N}][\p{L}\p{N}'’.-]*|[.?!:;"(]/gu) ?? [];
  let sentenceStart = true;
  for (const t of tokens) {
    if (/^[.?!:;"(]$/.test(t)) {
      sentenceStart = true;
      continue;
    }
    const capitalized = /^\p{Lu}/u.test(t);
    const innerCapital = /^.+\p{Lu}/u.test(t);
    const allCaps = t.length > 1 && t === t.toUpperCase() && /\p{L}/u.test(t);
    if (t !== 'I' && (innerCapital || allCaps || (capitalized && !sentenceStart))) {
      for (const w of words(t)) if (!STOP_WORDS.has(w)) out.add(paraphrases ? (canonicalWords(w)[0] ?? stem(w)) : stem(w));
    }
    sentenceStart = false;
  }
  return out;
}

function negationCount(tokens: string[]): number {
  return tokens.filter((w) => NEGATIONS.has(w)).length;
}

/**
 * What kind of answer the question wants ("which" picks among options, so it is its own kind). "what is the best
 * way to" asks how; "what is the reason" asks why. A question with no question word is yes/no.
 */
function intentOf(text: string): string {
  const t = normalizeText(text);
  if (/\bwhat (is|are)( the)? (best |easiest |fastest |right |proper )?(way|ways|method|methods|steps) (to|of)\b/.test(t)) return 'how';
  if (/\bwhat (is|are)( the)? (reason|reasons|cause|causes)\b|\bwhat (causes|makes)\b/.test(t)) return 'why';
  const m = t.match(/\b(what|which|how|why|when|where|who|whom|whose)\b/);
  if (!m) return 'yes/no';
  if (m[1] === 'whom' || m[1] === 'whose') return 'who';
  if (m[1] === 'how' && /\bhow (much|many)\b/.test(t)) return 'how much';
  return m[1];
}

/** Whose situation the question is about: "How do I..." and "How do you..." get different answers. */
const PERSONS: Record<string, string> = {
  i: 'i',
  me: 'i',
  my: 'i',
  mine: 'i',
  myself: 'i',
  we: 'we',
  us: 'we',
  our: 'we',
  ours: 'we',
  you: 'you',
  your: 'you',
  yours: 'you',
  yourself: 'you',
  he: 'he',
  him: 'he',
  his: 'he',
  she: 'he',
  her: 'he',
  they: 'they',
  them: 'they',
  their: 'they',
  someone: 'someone',
  somebody: 'someone',
  someones: 'someone',
};

function personsOf(tokens: string[]): Set<string> {
  return new Set(tokens.filter((w) => PERSONS[w]).map((w) => PERSONS[w]));
}

/**
 * Words that change what is asked although common: order in time, comparison, quantity.
 * Stop words for the embedder, content words for the verifier.
 */
const MEANINGFUL_STOP_WORDS = new Set([
  'after',
  'before',
  'over',
  'more',
  'most',
  'some',
  'all',
  'every',
  'each',
  'any',
  'many',
  'much',
  'if',
  'was',
  'were',
  'did',
  'will',
  'should',
  'would',
  'could',
  'can',
  'must',
  'may',
  'might',
  'being',
  'with',
  'without',
  'in',
  'on',
  'from',
  'to',
  'for',
  'by',
  'into',
  'about',
  'than',
  'be',
  'been',
  'this',
  'that',
  'these',
  'those',
]);

/**
 * Content words (not stop words, not negations), stemmed, with their counts ("computer
 * science and computer engineering" asks about more than "computer science"), plus symbols
 * that change meaning ("C" / "C#", ":/" / "^^").
 */
function contentOf(text: string, tokens: string[]): Map<string, number> {
  const out = new Map<string, number>();
  const add = (w: string) => out.set(w, (out.get(w) ?? 0) + 1);
  for (const w of tokens) if ((MEANINGFUL_STOP_WORDS.has(w) || !STOP_WORDS.has(w)) && !NEGATIONS.has(w)) add(stem(w));
  for (const m of text.matchAll(/[#+@%&*=<>~|^/\\$€£]/g)) add(m[0]);
  return out;
}

/** Words `a` says more often than `b`. */
function countDiff(a: Map<string, number>, b: Map<string, number>): string[] {
  return [...a].filter(([w, n]) => n > (b.get(w) ?? 0)).map(([w]) => w);
}

/** Edit distance, stopping early once it passes `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, current[j]);
    }
    if (rowMin > max) return max + 1;
    previous = current;
  }
  return previous[b.length];
}

/**
 * One word in two spellings: a typo ("succesful"), a variant ("demonetisation" / "demonitization")
 * or a derived form the light stemmer misses ("develop" / "development"). Short words never
 * match: "male" / "female" and "cat" / "car" are different words.
 */
function sameWordForm(a: string, b: string): boolean {
  if (a.length < 5 || b.length < 5 || /\d/.test(a + b)) return false;
  if (a.startsWith(b) || b.startsWith(a)) return true;
  return editDistance(a, b, 1) <= 1;
}

/** Content words said by one side only, after pairing off spelling variants. */
function unmatchedContent(a: Map<string, number>, b: Map<string, number>, paraphrases: boolean): string[] {
  const aOnly = countDiff(a, b);
  const bOnly = countDiff(b, a);
  if (!paraphrases) return [...aOnly, ...bOnly];
  const rest = [...bOnly];
  const out: string[] = [];
  for (const w of aOnly) {
    const i = rest.findIndex((x) => sameWordForm(w, x));
    if (i >= 0) rest.splice(i, 1);
    else out.push(w);
  }
  return [...out, ...rest];
}

/** The words both texts share, in the order the first text says them. */
function sharedInOrder(from: string[], other: Set<string>): string[] {
  return [...new Set(from.filter((w) => other.has(w)))];
}

function setDiff(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter((x) => !b.has(x));
}

export interface RuleVerifierOptions {
  /** Checks to run, all by default. */
  rules?: readonly RuleName[];
  /** Content words one side may have that the other lacks (0: both ask about the same things). */
  maxUnmatchedContentWords?: number;
  /**
   * Compare what the questions ask, not how: paraphrases folded ("what is the best way to" = "how do I"),
   * synonyms and verb forms mapped, filler words ("really", "exactly", prepositions) allowed to differ.
   * `false` is the strict form: any differing word, modal or person rejects. Default:
   * `DEFAULTS.cache.verifierParaphrases` (strict; see the reason there).
   */
  paraphrases?: boolean;
}

/** The words each check looks at, in the strict or the paraphrase-folding form. */
function viewOf(text: string, paraphrases: boolean) {
  const tokens = verifierWords(text);
  if (!paraphrases) {
    return {
      tokens,
      stems: new Set(tokens.map(stem)),
      intentText: text,
      persons: tokens,
      content: contentOf(text, tokens),
      ordered: tokens.filter((w) => !STOP_WORDS.has(w)).map(stem),
    };
  }
  const canonical = canonicalWords(text);
  const content = new Map<string, number>();
  for (const w of canonical) {
    if (FILLER_WORDS.has(w) || NEGATIONS.has(w) || (STOP_WORDS.has(w) && !MEANINGFUL_STOP_WORDS.has(w))) continue;
    content.set(w, (content.get(w) ?? 0) + 1);
  }
  for (const m of text.matchAll(/[#+@%&*=<>~|^/\\$€£]/g)) content.set(m[0], (content.get(m[0]) ?? 0) + 1);
  return {
    tokens,
    stems: new Set([...tokens.map(stem), ...canonical]),
    intentText: canonical.join(' '),
    persons: canonical,
    content,
    ordered: canonical.filter((w) => !STOP_WORDS.has(w) && !FILLER_WORDS.has(w)),
  };
}

/** Checks one pair of texts with the local rules; synchronous, microseconds. */
export function checkRules(query: string, candidate: string, options: RuleVerifierOptions = {}): Verdict {
  const rules = new Set(options.rules ?? RULE_NAMES);
  const paraphrases = options.paraphrases ?? DEFAULTS.cache.verifierParaphrases;
  const q = viewOf(query, paraphrases);
  const c = viewOf(candidate, paraphrases);
  if (rules.has('numbers')) {
    const a = numbersOf(query);
    const b = numbersOf(candidate);
    const diff = [...setDiff(a, b), ...setDiff(b, a)];
    if (diff.length > 0) return { ok: false, reason: 'numbers', detail: diff.join(', ') };
  }
  if (rules.has('negation') && negationCount(q.tokens) % 2 !== negationCount(c.tokens) % 2) {
    return { ok: false, reason: 'negation' };
  }
  if (rules.has('entities')) {
    const missing = [...setDiff(entitiesOf(query, paraphrases), c.stems), ...setDiff(entitiesOf(candidate, paraphrases), q.stems)];
    if (missing.length > 0) return { ok: false, reason: 'entities', detail: missing.join(', ') };
  }
  if (rules.has('intent')) {
    const a = intentOf(q.intentText);
    const b = intentOf(c.intentText);
    if (a !== b) return { ok: false, reason: 'intent', detail: `${a} / ${b}` };
  }
  if (rules.has('person')) {
    const a = personsOf(q.persons);
    const b = personsOf(c.persons);
    const diff = [...setDiff(a, b), ...setDiff(b, a)];
    if (diff.length > 0) return { ok: false, reason: 'person', detail: diff.join(', ') };
  }
  if (rules.has('content')) {
    const extra = unmatchedContent(q.content, c.content, paraphrases);
    if (extra.length > (options.maxUnmatchedContentWords ?? 0)) return { ok: false, reason: 'content', detail: extra.join(', ') };
  }
  if (rules.has('order')) {
    // "Is Messi better than Ronaldo?" and "Is Ronaldo better than Messi?" share every word.
    const aOrder = sharedInOrder(q.ordered, new Set(c.ordered));
    const bOrder = sharedInOrder(c.ordered, new Set(q.ordered));
    if (aOrder.join(' ') !== bOrder.join(' ')) return { ok: false, reason: 'order' };
  }
  return { ok: true };
}

/** The local verifier: numbers, named entities, negation, question intent and content words. */
export function createRuleVerifier(options: RuleVerifierOptions = {}): Verifier {
  return { name: 'rules', verify: async ({ query, candidate }) => checkRules(query, candidate, options) };
}
