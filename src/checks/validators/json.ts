import type { z } from 'zod';
import { defineCheck } from '../define-check.js';
import type { Check, CheckAnswer, CheckVerdict } from '../types.js';
import { checkBase, type ValidatorCheckOptions } from './options.js';

/** Parses an answer's text as JSON, tolerating one fenced code block around it. */
export function parseJsonAnswer(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const fenced = text.trim().match(/^```(?:json)?\s*([\s\S]*?)\s*```$/);
  try {
    return { ok: true, value: JSON.parse(fenced ? fenced[1] : text) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

export function validateJson(answer: CheckAnswer): CheckVerdict {
  const parsed = parseJsonAnswer(answer.text);
  return parsed.ok ? { pass: true, reason: 'the answer is valid JSON' } : { pass: false, reason: `the answer is not valid JSON: ${parsed.error}` };
}

/** Validates the structured output (or, without one, the answer's text parsed as JSON) against a zod schema. */
export function validateSchema(schema: z.ZodType, answer: CheckAnswer): CheckVerdict {
  // Without an output schema the runtime passes the text itself as the output: parse it then.
  let value = answer.output;
  if (value === undefined || value === answer.text) {
    const parsed = parseJsonAnswer(answer.text);
    if (!parsed.ok) return { pass: false, reason: `the answer is not valid JSON: ${parsed.error}` };
    value = parsed.value;
  }
  const result = schema.safeParse(value);
  if (result.success) return { pass: true, reason: 'the answer matches the schema' };
  const issues = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  return { pass: false, score: 0, reason: `the answer does not match the schema: ${issues.join('; ')}`, evidence: { issues } };
}

export function jsonCheck(options: ValidatorCheckOptions = {}): Check {
  return defineCheck({ ...checkBase(options, 'json'), run: (ctx) => validateJson(ctx.answer) });
}

export function schemaCheck(options: ValidatorCheckOptions & { schema: z.ZodType }): Check {
  return defineCheck({ ...checkBase(options, 'schema'), run: (ctx) => validateSchema(options.schema, ctx.answer) });
}
