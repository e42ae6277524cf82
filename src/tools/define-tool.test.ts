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
});
