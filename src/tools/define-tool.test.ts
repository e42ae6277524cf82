import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool } from './define-tool.js';
import { isSextantError } from '../errors.js';

describe('defineTool', () => {
  it('derives the JSON Schema of the input from zod and applies defaults', () => {
    const tool = defineTool({
      name: 'lookup_customer',
      description: 'Finds a customer by email',
      input: z.object({ email: z.string().describe('Customer email'), limit: z.number().int().default(5) }),
      execute: ({ email }) => ({ email }),
    });
    expect(tool.spec.name).toBe('lookup_customer');
    expect(tool.parameters).toMatchObject({
      type: 'object',
      properties: { email: { type: 'string', description: 'Customer email' }, limit: { type: 'integer' } },
      required: ['email'],
    });
    expect(tool.parameters.$schema).toBeUndefined();
    expect(tool).toMatchObject({ retries: 0, idempotent: false, poller: false, needsApproval: false, errorMode: 'return' });
  });

  it('rejects a bad name, a non-object input and bad retries with CONFIG_INVALID', () => {
    const base = { description: 'x', execute: () => 1 };
    const attempts = [
      () => defineTool({ ...base, name: 'has space', input: z.object({}) }),
      () => defineTool({ ...base, name: 'ok', input: z.string() }),
      () => defineTool({ ...base, name: 'ok', input: z.object({}), retries: -1 }),
      () => defineTool({ ...base, name: 'ok', input: z.object({}), timeoutMs: 0 }),
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      expect(isSextantError(caught, 'CONFIG_INVALID')).toBe(true);
    }
  });

  it('takes a JSON Schema input as is and validates arguments against it', () => {
    const inputSchema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { a: { type: 'number', description: 'first' }, tags: { type: 'array', items: { type: 'string' } } },
      required: ['a'],
    };
    const tool = defineTool({ name: 'add', description: 'Adds', inputSchema, execute: (input) => input });
    expect(tool.parameters).toEqual({ type: 'object', properties: inputSchema.properties, required: ['a'] });
    expect(inputSchema.$schema).toBeDefined();
    expect(tool.input.safeParse({ a: 1, tags: ['x'], extra: true })).toEqual({ success: true, data: { a: 1, tags: ['x'], extra: true } });
    const bad = tool.input.safeParse({ tags: [1] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['a', 'tags.0']);
  });

  it('rejects a JSON Schema input that is not an object, cannot be validated, or comes with a zod input', () => {
    const base = { name: 'ok', description: 'x', execute: () => 1 };
    const attempts: [() => unknown, RegExp][] = [
      [() => defineTool({ ...base, inputSchema: { type: 'string' } }), /object schema/],
      [() => defineTool({ ...base, inputSchema: { type: 'object', if: { required: ['a'] }, then: { required: ['b'] } } }), /cannot be validated \(Conditional/],
      [() => defineTool({ ...base, input: z.object({}), inputSchema: { type: 'object' } } as never), /either input/],
      [() => defineTool({ ...base } as never), /either input/],
    ];
    for (const [attempt, message] of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      expect(isSextantError(caught, 'CONFIG_INVALID')).toBe(true);
      expect((caught as Error).message).toMatch(message);
    }
  });
});
