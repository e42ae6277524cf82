import { describe, expect, it } from 'vitest';
import { WIRE_FORMATS, wireFormatOf } from './index.js';

describe('the provider registry', () => {
  it('builds a provider of each wire format under the name it is given', () => {
    for (const [format, create] of Object.entries(WIRE_FORMATS)) {
      expect(create({ name: `my-${format}`, baseURL: 'http://localhost:1/v1' }).name).toBe(`my-${format}`);
    }
  });

  it('maps names and aliases to wire formats', () => {
    expect(wireFormatOf('anthropic')).toBe('anthropic');
    expect(wireFormatOf('openai')).toBe('openai-compatible');
    expect(wireFormatOf('groq')).toBeUndefined();
    expect(wireFormatOf('toString')).toBeUndefined();
  });
});
