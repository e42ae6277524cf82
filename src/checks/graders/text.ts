/**
 * The text analysis behind the local groundedness pre-check: tokens, a light stemmer,
 * numbers (digits and words) and named-entity tokens. Deterministic and dependency-free,
 * so the pre-check costs microseconds.
 */

const STOPWORDS = new Set(
  (
    'a an the and or but if then than that this these those there here of in on at to for from by with without ' +
    'about into onto over under after before between during through since until upon as is are was were be been being ' +
    "am do does did done has have had having will would shall should can could may might must it its it's he she they them " +
    'his her hers their theirs him we us our you your i me my mine who whom whose which what when where why how ' +
    'also so such very just only both either neither each any all some most more much many other another same ' +
    'one ones s t also actually overall whereas while yet still however instead well called known named'
  ).split(' '),
);

const NEGATIONS = new Set(['not', 'no', 'never', 'none', 'nobody', 'nothing', 'neither', 'nor', 'without', "n't", 'cannot', 'false', 'incorrect']);

const NUMBER_WORDS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
  hundred: 100,
  thousand: 1000,
  million: 1_000_000,
  billion: 1_000_000_000,
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
  once: 1,
  twice: 2,
  dozen: 12,
  single: 1,
  double: 2,
  triple: 3,
};

export interface Token {
  /** As written, without surrounding punctuation. */
  raw: string;
  /** Lower-cased, accents removed. */
  norm: string;
  stem: string;
  /** Starts with a capital letter and is not the first word of a sentence. */
  capitalized: boolean;
  sentenceStart: boolean;
}

function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/** A light English stemmer: strips inflections and common derivations so "directed", "director" and "directing" meet. */
export function stem(word: string): string {
  let w = word.replace(/'s$/, '').replace(/[’']/g, '');
  if (w.length <= 3 || /\d/.test(w)) return w;
  const rules: Array<[RegExp, string]> = [
    [/ies$/, 'y'],
    [/sses$/, 'ss'],
    [/([^su])s$/, '$1'],
  ];
  for (const [pattern, repl] of rules)
    if (pattern.test(w)) {
      w = w.replace(pattern, repl);
      break;
    }
  const suffixes = [
    'ational',
    'ization',
    'fulness',
    'ousness',
    'iveness',
    'ations',
    'ation',
    'ments',
    'ment',
    'ness',
    'ingly',
    'edly',
    'ing',
    'ers',
    'er',
    'ed',
    'ly',
    'ion',
    'ive',
    'ity',
    'al',
    'ic',
    'ical',
    'an',
    'ian',
    'ese',
    'ish',
    'ist',
    'ism',
    'or',
  ];
  for (const suffix of suffixes) {
    if (w.endsWith(suffix) && w.length - suffix.length >= 4) {
      w = w.slice(0, -suffix.length);
      break;
    }
  }
  if (/(.)\1$/.test(w) && !/[lsz]$/.test(w)) w = w.slice(0, -1);
  return w.replace(/e$/, '');
}

/** Splits text into word tokens (keeping hyphenated words and decimal numbers whole). */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /(\d[\d,]*(?:\.\d+)?%?|[\p{L}\p{M}][\p{L}\p{M}\d'’-]*)|([.!?;:]+)/gu;
  let sentenceStart = true;
  for (const match of text.matchAll(pattern)) {
    if (match[2]) {
      sentenceStart = /[.!?]/.test(match[2]);
      continue;
    }
    const raw = match[1].replace(/['’-]+$/, '');
    const norm = fold(raw);
    tokens.push({ raw, norm, stem: stem(norm), capitalized: /^\p{Lu}/u.test(raw) && !sentenceStart, sentenceStart });
    sentenceStart = false;
  }
  return tokens;
}

export function isStopword(token: Token): boolean {
  return STOPWORDS.has(token.norm);
}

export function isNegation(token: Token): boolean {
  return NEGATIONS.has(token.norm) || token.norm.endsWith("n't");
}

/** The numeric value a token stands for (digits, number words, ordinals), if any. */
export function numberValue(token: Token): number | undefined {
  const digits = token.norm.match(/^(\d[\d,]*(?:\.\d+)?)(?:%|st|nd|rd|th)?$/);
  if (digits) return Number(digits[1].replace(/,/g, ''));
  return NUMBER_WORDS[token.norm];
}

/** Parts of a hyphenated token, each stemmed ("16-year-old" → 16, year, old). */
export function parts(token: Token): string[] {
  return token.norm.includes('-') ? token.norm.split('-').filter(Boolean).map(stem) : [];
}
