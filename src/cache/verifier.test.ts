import { describe, expect, it } from 'vitest';
import { chooseThreshold, precisionRecall, scorePairs, type LabelledPair } from './calibrate.js';
import { createHashedEmbedder } from './hashed-embedder.js';
import { checkRules, createRuleVerifier } from './verifier.js';

describe('rule verifier', () => {
  it.each([
    ['How do I cancel my 2 orders?', 'How do I cancel my 3 orders?', 'numbers'],
    ['What is the capital of France?', 'What is the capital of Spain?', 'entities'],
    ['Can I return shoes?', 'Can I not return shoes?', 'negation'],
    ['Why is my invoice late?', 'When is my invoice late?', 'intent'],
    ['How do I reset my password?', 'How do you reset your password?', 'person'],
    ['Is Messi better than Ronaldo?', 'Is Ronaldo better than Messi?', 'order'],
    ['How do I learn Python?', 'How do I learn Python fast?', 'content'],
    ["Why can't I log in?", "Why don't I log in?", 'content'],
  ])('rejects %s / %s (%s)', (a, b, reason) => {
    expect(checkRules(a, b)).toMatchObject({ ok: false, reason });
  });

  it.each([
    ['How do I reset my password?', 'how do i reset my password'],
    ["What's the difference between mass and weight?", 'What is the difference between mass and weight?'],
    ['What are the benefits of yoga?', 'What are the benefits of Yoga?'],
    ['How would I decorate a bedroom with a 1980s theme?', "How would I decorate a bedroom with a 1980's theme?"],
  ])('accepts %s / %s', (a, b) => {
    expect(checkRules(a, b)).toEqual({ ok: true });
  });
});

describe('paraphrase-aware rules (opt-in) against the strict form (the default)', () => {
  it.each([
    ['What is the best way to learn Java?', 'How do I learn Java?'],
    ['How can I stop procrastinating?', 'How do I stop procrastinating?'],
    ['How do I lose weight fast?', 'How do I lose weight quickly?'],
    ['What is the best laptop around 35k?', 'Which is the best laptop around 35k?'],
    ['What are some good books on data structures?', 'What are the best books on data structures?'],
    ['What exactly is time dilation?', 'What is the meaning of time dilation?'],
    ['How do I become a succesful writer?', 'How do I become a successful writer?'],
    ['What is the difference between development and testing?', 'What is the difference between develop and testing?'],
    ['What are the causes of youth crime?', 'Why is there youth crime?'],
  ])('serves %s / %s, which the strict form rejects', (a, b) => {
    expect(checkRules(a, b, { paraphrases: true })).toEqual({ ok: true });
    expect(checkRules(a, b).ok).toBe(false);
  });

  it.each([
    ['How do I become a data scientist?', 'How do I become a data analyst?', 'content'],
    ['Who is Jesus?', 'Who was Jesus?', 'content'],
    ['How did you react when you lost?', 'How would you react when you lose?', 'content'],
    ['What is the best way to learn Java?', 'What is the best way to learn Java fast?', 'content'],
    ['How can I get a US visa?', 'How do I get a UK visa?', 'entities'],
    ['How do I stop smoking?', 'How do I not stop smoking?', 'negation'],
    ['What is the best way to learn Java?', 'Why should I learn Java?', 'intent'],
    ['Is a male cat friendlier?', 'Is a female cat friendlier?', 'content'],
  ])('still rejects %s / %s (%s)', (a, b, reason) => {
    expect(checkRules(a, b, { paraphrases: true })).toMatchObject({ ok: false, reason });
  });
});

// Hand-written pairs in the spirit of qqp: near duplicates and hard negatives that share most words.
const PAIRS: LabelledPair[] = [
  ['How do I reset my password?', 'how do I reset my password', true],
  ['What is the best way to learn Java?', 'How do I learn Java?', true],
  ["What's the capital of Australia?", 'What is the capital of Australia?', true],
  ['How can I improve my English speaking?', 'How can I improve my English speaking skills?', false],
  ['How do I lose weight fast?', 'How do I lose weight quickly?', true],
  ['What is machine learning?', 'What is machine learning exactly?', true],
  ['Who won the 2014 World Cup?', 'Who won the 2018 World Cup?', false],
  ['What is the population of India?', 'What is the population of China?', false],
  ['Is coffee good for health?', 'Is coffee not good for health?', false],
  ['Why is the sky blue?', 'When is the sky blue?', false],
  ['How do I make a website?', 'How do I make a website for free?', false],
  ['What are the benefits of yoga?', 'What are the benefits of yoga?', true],
  ['How do I get a US visa?', 'How do I get a UK visa?', false],
  ['How to learn guitar?', 'How to learn guitar fast?', false],
  ['What is the meaning of life?', 'What is the meaning of life ?', true],
  ['How do I stop procrastinating?', 'How can I stop procrastinating?', true],
  ['Which is the best phone under 10000?', 'Which is the best phone under 15000?', false],
  ['What is the difference between RAM and ROM?', "What's the difference between RAM and ROM?", true],
  ['How do I become a data scientist?', 'How do I become a data analyst?', false],
  ['What should I do to be happy?', 'What should I do to be happy in life?', false],
].map(([a, b, same]) => ({ a: a as string, b: b as string, same: same as boolean }));

describe('calibration', () => {
  it('chooses a threshold on one half that meets its target precision on the other half', async () => {
    const embedder = createHashedEmbedder();
    const verifiers = [createRuleVerifier()];
    const calibration = await scorePairs({ pairs: PAIRS.filter((_, i) => i % 2 === 0), embedder, verifiers });
    const holdout = await scorePairs({ pairs: PAIRS.filter((_, i) => i % 2 === 1), embedder, verifiers });
    const chosen = chooseThreshold(calibration, 0.95, { minServed: 2 });
    expect(chosen).toBeDefined();
    const measured = precisionRecall(holdout, chosen!.threshold);
    expect(measured.precision).toBeGreaterThanOrEqual(0.95);
    expect(measured.recall).toBeGreaterThan(0);
  });

  it('without the verifier, hard negatives pass the threshold', async () => {
    const scored = await scorePairs({ pairs: PAIRS, embedder: createHashedEmbedder() });
    expect(precisionRecall(scored, 0.8).precision).toBeLessThan(0.95);
  });
});
