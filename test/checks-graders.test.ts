import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  askJudge,
  extractCitations,
  gradeGroundedness,
  gradeRelevance,
  groundednessPrecheck,
  validateCitations,
  validateLength,
  validateRegex,
  validateSchema,
  validateJson,
  defineCheck,
  lengthCheck,
} from '../src/checks/index.js';
import { scriptedModel, type ScriptedReply } from '../src/model/providers/scripted/provider.js';
import { compose } from '../src/pipeline/middleware.js';

function judgeModel(replies: ScriptedReply[]) {
  const provider = scriptedModel({ replies });
  const model = compose([], {
    generate: (request, ctx) => provider.generate(request, { signal: ctx.signal }),
    stream: (request, ctx) => provider.stream(request, { signal: ctx.signal }),
    embed: () => Promise.reject(new Error('no embeddings')),
  });
  return { provider, model, modelName: 'scripted:judge' };
}
const yes = (reason = 'all supported') => ({ text: JSON.stringify({ reason, verdict: 'yes' }) });
const no = (reason = 'the date is not in the documents') => ({ text: JSON.stringify({ reason, verdict: 'no' }) });

const docs = ['Acme refunds orders within 30 days of delivery. Refunds go back to the original card.'];

describe('LLM judge', () => {
  it('asks with structured output and temperature 0, and returns the verdict with its reason', async () => {
    const { provider, model, modelName } = judgeModel([no()]);
    const verdict = await askJudge({ model, modelName, system: 's', prompt: 'p' });
    expect(verdict).toMatchObject({ pass: false, score: 0, reason: 'the date is not in the documents' });
    const request = provider.requests[0];
    expect(request.temperature).toBe(0);
    expect(request.responseFormat).toMatchObject({ type: 'json_schema', name: 'verdict' });
    expect((request.responseFormat as unknown as { schema: { required: string[] } }).schema.required).toEqual(['reason', 'verdict']);
  });

  it('retries a malformed verdict, then counts it as unknown — never as a pass', async () => {
    const retried = judgeModel([{ text: 'yes!' }, { text: '{"verdict":"maybe","reason":"x"}' }, yes()]);
    expect(await askJudge({ ...retried, system: 's', prompt: 'p' })).toMatchObject({ pass: true });
    expect(retried.provider.requests).toHaveLength(3);

    const broken = judgeModel([{ text: 'yes' }, { text: '{"verdict":"yes"}' }, { text: '```json\n{"reason":"ok"}\n```' }]);
    const verdict = await askJudge({ ...broken, system: 's', prompt: 'p', retries: 2 });
    expect(verdict.pass).toBe('unknown');
    expect(verdict.reason).toMatch(/no valid verdict/);
  });

  it('counts an upstream error like a malformed reply', async () => {
    const failing = judgeModel([{ error: { code: 'UPSTREAM_ERROR', message: 'boom' } }, { error: { code: 'UPSTREAM_ERROR', message: 'boom' } }]);
    expect(await askJudge({ ...failing, system: 's', prompt: 'p', retries: 1 })).toMatchObject({ pass: 'unknown' });
  });

  it('takes the majority of k votes; a tie is unknown', async () => {
    const majority = judgeModel([yes(), no(), yes('second yes')]);
    expect(await askJudge({ ...majority, system: 's', prompt: 'p', votes: 3 })).toMatchObject({ pass: true, score: 2 / 3, reason: 'all supported' });
    const tie = judgeModel([yes(), no(), { text: 'garbage' }, { text: 'garbage' }, { text: 'garbage' }]);
    expect(await askJudge({ ...tie, system: 's', prompt: 'p', votes: 3, retries: 2 })).toMatchObject({ pass: 'unknown', score: 0.5 });
  });
});

describe('groundedness', () => {
  it('settles clear cases with the local pre-check, without a judge call', async () => {
    const { provider, model, modelName } = judgeModel([]);
    const invented = await gradeGroundedness({ answer: 'Refunds take 45 days.', documents: docs, question: 'How long do refunds take?', model, modelName });
    expect(invented).toMatchObject({ pass: false, evidence: { settledBy: 'precheck', unsupportedNumbers: ['45'] } });
    const supported = await gradeGroundedness({
      answer: 'Within 30 days of delivery.',
      documents: docs,
      question: 'How long do I have to get a refund?',
      model,
      modelName,
    });
    expect(supported).toMatchObject({ pass: true, evidence: { settledBy: 'precheck' } });
    expect(provider.requests).toHaveLength(0);
  });

  it('passes unclear cases to the judge, with the documents in the prompt', async () => {
    const { provider, model, modelName } = judgeModel([no('the answer says "a month" but the documents say 30 days of delivery')]);
    const verdict = await gradeGroundedness({ answer: 'You have roughly a month.', documents: docs, question: 'How long do I have?', model, modelName });
    expect(verdict).toMatchObject({ pass: false, evidence: { settledBy: 'judge' } });
    expect(String(provider.requests[0].messages[1].content)).toContain('Acme refunds orders within 30 days');
  });

  it('without a judge, an unclear case is unknown; without documents it fails', async () => {
    expect(await gradeGroundedness({ answer: 'You have roughly a month.', documents: docs })).toMatchObject({ pass: 'unknown' });
    expect(await gradeGroundedness({ answer: 'Thirty days.', documents: [] })).toMatchObject({ pass: false });
  });

  it('pre-check: invented names fail; negations and picks between alternatives go to the judge', () => {
    const kb = ['Marie Curie won the Nobel Prize in Physics in 1903 and in Chemistry in 1911.'];
    expect(groundednessPrecheck({ answer: 'Albert Einstein won it.', documents: kb }).verdict).toBe('unsupported');
    expect(
      groundednessPrecheck({ answer: 'She won the Nobel Prize in Chemistry in 1911.', documents: kb, question: 'What did Marie Curie win in 1911?' }).verdict,
    ).toBe('supported');
    expect(groundednessPrecheck({ answer: 'She never won the Nobel Prize in Physics.', documents: kb }).verdict).toBe('undecided');
    expect(groundednessPrecheck({ answer: 'Chemistry', documents: kb, question: 'Did she win in Physics or Chemistry first?' }).verdict).toBe('undecided');
    expect(groundednessPrecheck({ answer: 'Chemistry prizes (1911).', documents: kb, question: 'Which prize did Marie Curie win in 1911?' }).verdict).toBe(
      'supported',
    );
    const hours = ['The store does not open on Sundays. It opens at 9 on weekdays.'];
    expect(groundednessPrecheck({ answer: 'It does not open on Sundays.', documents: hours, question: 'When is the store closed?' }).verdict).toBe('supported');
  });
});

describe('relevance', () => {
  it('judges whether the answer addresses the question; an empty answer fails without a call', async () => {
    const { provider, model, modelName } = judgeModel([no('it talks about shipping, not refunds')]);
    expect(await gradeRelevance({ question: 'How do refunds work?', answer: 'We ship worldwide.', model, modelName })).toMatchObject({
      pass: false,
      reason: 'it talks about shipping, not refunds',
    });
    expect(await gradeRelevance({ question: 'How do refunds work?', answer: '  ', model, modelName })).toMatchObject({ pass: false });
    expect(provider.requests).toHaveLength(1);
  });
});

describe('validators', () => {
  const Order = z.object({ id: z.string(), total: z.number().nonnegative() });

  it('zod schema: structured output or JSON text, with the issues as the reason', () => {
    expect(validateSchema(Order, { text: '', output: { id: 'A1', total: 3 } }).pass).toBe(true);
    expect(validateSchema(Order, { text: '```json\n{"id":"A1","total":2}\n```' }).pass).toBe(true);
    const bad = validateSchema(Order, { text: '{"id":"A1","total":-1}' });
    expect(bad).toMatchObject({ pass: false });
    expect(bad.reason).toContain('total');
    expect(validateSchema(Order, { text: 'not json' }).reason).toMatch(/not valid JSON/);
  });

  it('JSON, regex (must and must not match), length in chars and words', () => {
    expect(validateJson({ text: '[1,2]' }).pass).toBe(true);
    expect(validateJson({ text: '{oops}' }).pass).toBe(false);
    expect(validateRegex('Ticket T-123 opened', /T-\d+/).pass).toBe(true);
    expect(validateRegex('Ticket opened', /T-\d+/).pass).toBe(false);
    expect(validateRegex('see SYSTEM PROMPT', /system prompt/i, false)).toMatchObject({ pass: false, evidence: { match: 'SYSTEM PROMPT' } });
    expect(validateLength('one two three', { max: 2, unit: 'words' })).toMatchObject({ pass: false, evidence: { size: 3 } });
    expect(validateLength('héllo', { min: 5 })).toMatchObject({ pass: true, evidence: { size: 5 } });
    expect(() => lengthCheck({})).toThrow(/min or max/);
    expect(() => lengthCheck({ min: 5, max: 1 })).toThrow(/above max/);
  });

  it('citations must map to documents retrieved in the run', () => {
    const retrieved = [
      { id: 'kb-1', text: 'a', kind: 'retrieval' as const },
      { id: 'kb-2', text: 'b', kind: 'retrieval' as const },
    ];
    expect(extractCitations('See [kb-1] and [kb-2, kb-1].')).toEqual(['kb-1', 'kb-2']);
    expect(validateCitations('Refunds take 30 days [kb-1].', retrieved)).toMatchObject({ pass: true, evidence: { cited: ['kb-1'] } });
    expect(validateCitations('Refunds take 30 days [kb-9].', retrieved)).toMatchObject({ pass: false, evidence: { unknown: ['kb-9'] } });
    expect(validateCitations('Refunds take 30 days.', retrieved).reason).toMatch(/must cite at least 1 source/);
    expect(validateCitations('[kb-1]', [], { pattern: /\{(\w+)\}/g }).pass).toBe(false);
  });

  it('defineCheck refuses bad definitions at definition time', () => {
    const run = () => ({ pass: true, reason: '' });
    expect(() => defineCheck({ name: '', stage: 'answer', onFail: 'warn', run })).toThrow(/non-empty name/);
    expect(() => defineCheck({ name: 'x', stage: 'later' as never, onFail: 'warn', run })).toThrow(/stage must be/);
    expect(() => defineCheck({ name: 'x', stage: 'answer', onFail: 'fix', run })).toThrow(/needs a fix function/);
    expect(() => defineCheck({ name: 'x', stage: 'answer', onFail: 'reask', maxReasks: -1, run })).toThrow(/maxReasks/);
  });
});
