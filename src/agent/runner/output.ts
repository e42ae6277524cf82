import { z } from 'zod';
import type { ModelRequest } from '../../model/types.js';

/** The response format that asks the model for JSON matching the agent's output schema. */
export function outputFormat(schema: z.ZodType): ModelRequest['responseFormat'] {
  return { type: 'json_schema', name: 'answer', schema: jsonSchemaOf(schema) };
}

/** Per schema (the agent's, the same object every call): its JSON Schema, made once. */
const schemaCache = new WeakMap<z.ZodType, Record<string, unknown>>();
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  let json = schemaCache.get(schema);
  if (!json) {
    json = z.toJSONSchema(schema, { target: 'draft-7' }) as Record<string, unknown>;
    delete json.$schema;
    schemaCache.set(schema, json);
  }
  return json;
}

/** Parses an answer against the output schema; a fenced ```json block is accepted as the model often writes one. */
export function parseOutput(schema: z.ZodType, text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const body = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { ok: false, error: `the answer is not valid JSON (${(error as Error).message})` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      error: `the answer does not match the schema: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    };
  }
  return { ok: true, value: parsed.data };
}
