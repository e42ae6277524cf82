/**
 * The support desk's checks, on the structured answer: groundedness (the answer text against
 * the passages and CRM records the run retrieved), relevance (does it address the question),
 * and citations (each cited id is a source the run actually retrieved). A failure re-asks.
 */
import { defineCheck, type Check, type CheckContext } from '../../src/checks/index.js';
import { gradeGroundedness, gradeRelevance } from '../../src/checks/graders/index.js';

interface Answer {
  answer: string;
  citations: string[];
  handoff: boolean;
}

function answerOf(ctx: CheckContext): Answer | undefined {
  const output = ctx.answer.output as Answer | undefined;
  return output && typeof output === 'object' && typeof output.answer === 'string' ? output : undefined;
}

export function supportDeskChecks(): Check[] {
  return [
    defineCheck({
      name: 'groundedness',
      stage: 'answer',
      onFail: 'reask',
      run: (ctx) => {
        const answer = answerOf(ctx);
        // Handing over to a person states no facts: there is nothing to ground.
        if (answer?.handoff) return { pass: true, reason: 'handed over to a person' };
        return gradeGroundedness({
          answer: answer?.answer ?? ctx.answer.text,
          documents: ctx.documents,
          question: ctx.question,
          model: ctx.model,
          modelName: ctx.modelName,
          signal: ctx.signal,
        });
      },
    }),
    defineCheck({
      name: 'relevance',
      stage: 'answer',
      onFail: 'reask',
      run: (ctx) =>
        gradeRelevance({
          question: ctx.question,
          answer: answerOf(ctx)?.answer ?? ctx.answer.text,
          model: ctx.model,
          modelName: ctx.modelName,
          signal: ctx.signal,
        }),
    }),
    defineCheck({
      name: 'citations',
      stage: 'answer',
      onFail: 'reask',
      run: (ctx) => {
        const answer = answerOf(ctx);
        if (!answer) return { pass: false, reason: 'the answer has no citations field' };
        if (answer.handoff) return { pass: true, reason: 'handed over to a person' };
        if (answer.citations.length === 0) return { pass: false, reason: 'the answer cites no source; cite the ids of the passages or orders it rests on' };
        const retrieved = new Set(ctx.documents.map((d) => d.id));
        const unknown = answer.citations.filter((c) => !retrieved.has(c));
        return unknown.length
          ? {
              pass: false,
              reason: `cited ids that were not retrieved in this run: ${unknown.join(', ')} (retrieved: ${[...retrieved].join(', ') || 'none'})`,
              evidence: { unknown },
            }
          : { pass: true, score: 1, reason: `all ${answer.citations.length} citations were retrieved in this run` };
      },
    }),
  ];
}
