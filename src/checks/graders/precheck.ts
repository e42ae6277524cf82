import { DEFAULTS } from '../../defaults.js';
import { isNegation, isStopword, numberValue, parts, tokenize, type Token } from './text.js';

export interface GroundednessPrecheckInput {
  answer: string;
  /** The passages the answer must rest on. */
  documents: string[];
  /** The question: words the answer merely repeats from it are not claims that need support. */
  question?: string;
}

export interface GroundednessPrecheckResult {
  /** `undecided` means "ask a judge": lexical evidence alone does not settle it. */
  verdict: 'supported' | 'unsupported' | 'undecided';
  reason: string;
  /** Share of the answer's content words found in the documents. */
  coverage: number;
  evidence: {
    unsupportedNumbers: string[];
    unsupportedEntities: string[];
    unsupportedWords: string[];
    /** Content words the answer adds beyond the question that the documents support. */
    supportedNewWords: string[];
    negationAdded: boolean;
  };
}

interface Vocabulary {
  stems: Set<string>;
  numbers: Set<number>;
  hasNegation: boolean;
}

function vocabulary(tokens: Token[]): Vocabulary {
  const stems = new Set<string>();
  const numbers = new Set<number>();
  let hasNegation = false;
  for (const t of tokens) {
    stems.add(t.stem);
    stems.add(t.norm);
    for (const p of parts(t)) stems.add(p);
    const n = numberValue(t);
    if (n !== undefined) numbers.add(n);
    if (isNegation(t)) hasNegation = true;
  }
  return { stems, numbers, hasNegation };
}

function known(t: Token, v: Vocabulary): boolean {
  if (v.stems.has(t.stem) || v.stems.has(t.norm)) return true;
  const p = parts(t);
  return p.length > 0 && p.every((x) => v.stems.has(x) || x.length <= 2);
}

/** Questions a lexical match cannot settle: yes/no, a choice between alternatives, or a comparison of two subjects. */
function isChoiceQuestion(question: string): boolean {
  const q = question.trim();
  return /^(is|are|was|were|do|does|did|can|could|has|have|had|will|would|should)\b/i.test(q) || /\b(or|both|between|which one|in common|share)\b/i.test(q);
}

/**
 * A cheap local groundedness check. Numbers and named entities in the answer that appear in
 * neither the documents nor the question are treated as invented (clear failure); an answer
 * whose every content word, number and entity is found in the documents, that adds no
 * negation, and that does not just pick between alternatives, is clearly supported.
 * Everything else is left to an LLM judge.
 */
export function groundednessPrecheck(input: GroundednessPrecheckInput): GroundednessPrecheckResult {
  const doc = vocabulary(tokenize(input.documents.join('\n')));
  const question = vocabulary(tokenize(input.question ?? ''));
  const unsupportedNumbers: string[] = [];
  const unsupportedEntities: string[] = [];
  const unsupportedWords: string[] = [];
  const supportedNewWords: string[] = [];
  let content = 0;
  let supported = 0;
  let answerNegates = false;

  const answerClaimTokens: Token[] = [];
  const supportedNewTokens: Token[] = [];
  for (const t of tokenize(input.answer)) {
    if (isNegation(t)) {
      answerNegates = true;
      continue;
    }
    const n = numberValue(t);
    if (n !== undefined && /\d/.test(t.norm)) {
      content++;
      if (doc.numbers.has(n)) {
        supported++;
        answerClaimTokens.push(t);
        if (!question.numbers.has(n)) {
          supportedNewWords.push(t.raw);
          supportedNewTokens.push(t);
        }
      } else if (!question.numbers.has(n)) unsupportedNumbers.push(t.raw);
      continue;
    }
    if (isStopword(t)) continue;
    content++;
    if (known(t, doc) || (n !== undefined && doc.numbers.has(n))) {
      supported++;
      answerClaimTokens.push(t);
      if (!known(t, question)) {
        supportedNewWords.push(t.raw);
        supportedNewTokens.push(t);
      }
    } else if (!known(t, question)) {
      if (t.capitalized || (t.sentenceStart && /^\p{Lu}/u.test(t.raw))) unsupportedEntities.push(t.raw);
      else unsupportedWords.push(t.raw);
    }
  }

  // A negation counts as added unless a sentence that holds the answer's words negates too.
  const negationAdded = answerNegates && !question.hasNegation && !sentencesHolding(answerClaimTokens, input.documents).some((v) => v.hasNegation);
  const coverage = content === 0 ? 0 : supported / content;
  const evidence = { unsupportedNumbers, unsupportedEntities, unsupportedWords, supportedNewWords, negationAdded };
  const result = (verdict: GroundednessPrecheckResult['verdict'], reason: string): GroundednessPrecheckResult => ({ verdict, reason, coverage, evidence });

  if (unsupportedNumbers.length > 0) return result('unsupported', `numbers not in the documents: ${unsupportedNumbers.join(', ')}`);
  if (unsupportedEntities.length > 0) return result('unsupported', `names not in the documents: ${unsupportedEntities.join(', ')}`);
  if (unsupportedWords.length > 0) return result('undecided', `words not in the documents: ${unsupportedWords.join(', ')}`);
  if (negationAdded) return result('undecided', 'the answer negates something the documents state positively');
  if (supportedNewWords.length === 0) return result('undecided', 'the answer adds nothing beyond the question that the documents could confirm');
  if (input.question !== undefined && isChoiceQuestion(input.question))
    return result('undecided', 'choosing between alternatives the documents all mention needs reasoning');
  if (!colocated(answerClaimTokens, input.documents)) return result('undecided', 'the answer joins words found in different places of the documents');
  const focus = questionFocus(input.question ?? '', supportedNewTokens, input.documents, doc);
  if (focus < DEFAULTS.checks.precheck.minQuestionFocus)
    return result('undecided', `the passages holding the answer match only ${Math.round(focus * 100)}% of the question's terms`);
  return result('supported', 'every content word, number and name of the answer is found in the documents');
}

/**
 * Whether all the given answer tokens occur within one window of consecutive sentences of a
 * document. An answer stitched from words scattered over the documents ("X was named MVP of
 * the 2013 season" when the MVP sentence names another game) is left to the judge.
 */
function colocated(claim: Token[], documents: string[]): boolean {
  if (claim.length <= 1) return true;
  for (const document of documents) {
    const sentences = splitSentences(document).map((s) => vocabulary(tokenize(s)));
    for (let start = 0; start < sentences.length; start++) {
      const window = sentences.slice(start, start + DEFAULTS.checks.precheck.windowSentences);
      if (claim.every((t) => window.some((v) => known(t, v) || (numberValue(t) !== undefined && v.numbers.has(numberValue(t)!))))) return true;
    }
  }
  return false;
}

function splitSentences(text: string): string[] {
  return text.split(/(?<=[.!?])(?=\s*\p{Lu}|\s*["“(]?\p{Lu})|\n+/u).filter((s) => s.trim().length > 0);
}

/**
 * Share of the question's terms (those the documents contain at all) found in the sentences
 * that hold the answer's new words. A right answer sits where the question's constraints are
 * stated; a wrong pick from the same documents usually sits elsewhere.
 */
function questionFocus(question: string, answerTokens: Token[], documents: string[], doc: Vocabulary): number {
  const terms = tokenize(question).filter((t) => !isStopword(t) && !isNegation(t) && known(t, doc));
  if (terms.length === 0) return 1;
  const around = sentencesHolding(answerTokens, documents);
  const covered = terms.filter((t) => around.some((v) => known(t, v))).length;
  return covered / terms.length;
}

/** The documents' sentences that hold at least one of the tokens. */
function sentencesHolding(tokens: Token[], documents: string[]): Vocabulary[] {
  const out: Vocabulary[] = [];
  for (const document of documents) {
    for (const sentence of splitSentences(document)) {
      const v = vocabulary(tokenize(sentence));
      if (tokens.some((t) => known(t, v))) out.push(v);
    }
  }
  return out;
}
