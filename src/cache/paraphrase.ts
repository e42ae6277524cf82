import { STOP_WORDS, normalizeText, stem } from './text.js';

/**
 * Hand-written paraphrase tables for questions: ways of asking the same thing that share no
 * words ("what is the best way to" / "how do I"). They map each phrasing to one canonical form,
 * so the verifier compares what two questions ask rather than how they ask it. Written from
 * English usage, not fitted to any data set.
 */
const PHRASES: [RegExp, string][] = [
  // Asking how: "what is the best way to", "what are some tips for", "is there any way to", "what should I do to".
  [
    /\b(what|which) (is|are) (the |a |an |some |some of the )?(best |good |easiest |easy |fastest |quickest |simplest |right |proper |most effective |effective |possible |different |various )?(way|ways|method|methods|steps|tips|techniques|means) (to|of|for|on|in)\b/g,
    'how to',
  ],
  [/\bwhat (should|can|could|must) (i|we|one|you|someone|a person) do (to|for)\b/g, 'how to'],
  [/\bis there (a|an|any) (way|method|possibility) (to|of|for)\b|\bis there anyway (to|of|for)\b/g, 'how to'],
  [/\bhow (do|does|can|could|should|would|will|might|may|shall|to) (i|we|one|you|someone|a person|people|u)\b/g, 'how to'],
  [/\bhow (can|could|should|would|might|may|shall)\b/g, 'how do'],
  [/\bhow to to\b/g, 'how to'],
  // Asking why.
  [/\bwhat (is|are) (the |some |some of the )?(main |real |actual )?(reason|reasons|cause|causes) (for|of|behind|why|that)\b/g, 'why'],
  [/\bwhat (is|are) (the |some |some of the )?(main |real |actual )?(reason|reasons|cause|causes)\b/g, 'why'],
  [/\bwhat causes\b/g, 'why'],
  [/\bhow come\b/g, 'why'],
  // Asking for a list or an opinion: "what are some", "what are some of the" ask what "what are" asks.
  [/\b(what|which) (is|are) (some |some of the |a few |a few of the |the |any )?(most |very )?(best|top|good|great|recommended|finest)\b/g, 'what best'],
  [/\bwhat (are|is) (some of the|some|a few|any)\b/g, 'what are'],
  [/\bwhich (is|are) (some of the|some|a few|any)\b/g, 'what are'],
  [/\bwhich\b/g, 'what'],
  [/\b(can|could) (you|anyone|someone|somebody) (please )?(tell|explain to|explain|give|show) (me|us)?\b/g, ''],
  // Same thing, different words.
  // Asking what something is: "what is the meaning of X" / "what is the definition of X" / "what exactly is X".
  [/\bwhat (is|are) (the )?(meaning|definition|concept|significance) of\b/g, 'what is'],
  [/\bwhat (is|are) meant by\b/g, 'what is'],
  [/\bpros and cons\b/g, 'advantages and disadvantages'],
  [/\bunited states( of america)?\b|\busa\b|\bamerica\b/g, 'us'],
  [/\bin the world\b|\bever\b|\bof all time\b/g, ''],
  [/\bis it (possible|okay|ok|safe|good|bad|normal|true) (to|that)\b/g, 'can'],
];

/** Single words with the same meaning in a question (after stemming). */
const SYNONYMS: Record<string, string> = {
  good: 'best',
  great: 'best',
  top: 'best',
  better: 'best',
  finest: 'best',
  nicest: 'best',
  greatest: 'best',
  recommended: 'best',
  film: 'movie',
  movy: 'movie',
  quickly: 'fast',
  quick: 'fast',
  rapidly: 'fast',
  fastest: 'fast',
  faster: 'fast',
  quickest: 'fast',
  earn: 'make',
  relation: 'relationship',
  begin: 'start',
  commence: 'start',
  purchase: 'buy',
  obtain: 'get',
  acquire: 'get',
  would: 'will',
  could: 'can',
  might: 'may',
  shall: 'will',
  mobile: 'phone',
  cellphone: 'phone',
  smartphone: 'phone',
  u: 'you',
  ur: 'your',
  pls: 'please',
  plz: 'please',
  im: 'i',
  ive: 'i',
  youve: 'you',
  youre: 'you',
  nation: 'country',
  kid: 'child',
  children: 'child',
  // Common English synonyms in questions.
  retrieve: 'recover',
  restore: 'recover',
  avoid: 'stop',
  prevent: 'stop',
  quit: 'stop',
  talk: 'speak',
  delete: 'remove',
  large: 'big',
  huge: 'big',
  little: 'small',
  tiny: 'small',
  reduce: 'decrease',
  lower: 'decrease',
  wealthy: 'rich',
  intelligent: 'smart',
  clever: 'smart',
  difficult: 'hard',
  easy: 'simple',
  easiest: 'simplest',
  repair: 'fix',
  solve: 'fix',
  choose: 'pick',
  select: 'pick',
  benefit: 'advantage',
  drawback: 'disadvantage',
  error: 'mistake',
  price: 'cost',
  photo: 'picture',
  pic: 'picture',
  image: 'picture',
  guy: 'man',
  male: 'man',
  female: 'woman',
  lady: 'woman',
  famous: 'popular',
  funny: 'humorous',
  happy: 'glad',
  career: 'job',
  profession: 'job',
  gf: 'girlfriend',
  bf: 'boyfriend',
  // Verb forms the light stemmer misses.
  // Tense stays ("who is" / "who was" ask about different times); number and person of the verb go.
  were: 'was',
  are: 'is',
  am: 'is',
  been: 'be',
  being: 'be',
  does: 'do',
  done: 'do',
  doing: 'do',
  has: 'have',
  had: 'have',
  having: 'have',
  went: 'go',
  gone: 'go',
  made: 'make',
  took: 'take',
  taken: 'take',
  gave: 'give',
  given: 'give',
  got: 'get',
  gotten: 'get',
  became: 'become',
  came: 'come',
  began: 'start',
  bought: 'buy',
  thought: 'think',
  said: 'say',
  told: 'tell',
  // Stems of "-e" verbs ("making" → "mak").
  mak: 'make',
  tak: 'take',
  giv: 'give',
  liv: 'live',
  lov: 'love',
};

/**
 * Words that change little in what a question asks: intensifiers, hedges and filler
 * ("really", "exactly", "actually"). They still count in the embedding; the verifier lets them differ.
 */
export const FILLER_WORDS = new Set(
  (
    'really actually exactly basically truly just even ever still also very so quite simply simple generally usually typically ' +
    'currently nowadays please anyone someone somebody guys quora possible possibly certain kind sort type specific particular ' +
    'some any a an the of to in on at by for from with into about as and or is do have'
  ).split(' '),
);

/** Contractions spelled out, so "can't" differs from "don't" by its verb, not only its negation. */
export const CONTRACTIONS: Record<string, string[]> = {
  cant: ['can', 'not'],
  cannot: ['can', 'not'],
  dont: ['do', 'not'],
  doesnt: ['do', 'not'],
  didnt: ['did', 'not'],
  isnt: ['is', 'not'],
  arent: ['are', 'not'],
  wasnt: ['was', 'not'],
  werent: ['were', 'not'],
  wont: ['will', 'not'],
  wouldnt: ['would', 'not'],
  shouldnt: ['should', 'not'],
  couldnt: ['could', 'not'],
  havent: ['have', 'not'],
  hasnt: ['has', 'not'],
  hadnt: ['had', 'not'],
  aint: ['is', 'not'],
};

/** Canonical words of a question: lower case, contractions spelled out, paraphrases folded, stemmed, synonyms mapped. */
export function canonicalWords(text: string): string[] {
  let t = (normalizeText(text).match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => CONTRACTIONS[w]?.join(' ') ?? w).join(' ');
  for (const [pattern, replacement] of PHRASES) t = t.replace(pattern, replacement);
  return (t.match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => {
    const direct = SYNONYMS[w];
    if (direct) return direct;
    if (STOP_WORDS.has(w)) return w;
    const s = stem(w);
    return SYNONYMS[s] ?? s;
  });
}
