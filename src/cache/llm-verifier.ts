import type { Model } from '../model/model.js';
import type { Verifier } from './verifier.js';

export interface LlmVerifierOptions {
  /** A composed pipeline to ask; the verifier's own calls bypass the cache. */
  model: Model;
  /** Model string to ask, e.g. `openai:gpt-4o-mini`. */
  modelName: string;
  /** Instructions for the judge; must ask for a one-word yes or no. */
  instructions?: string;
}

const INSTRUCTIONS =
  'You decide whether one cached answer can serve two user messages. Answer "yes" only if both ask for exactly the same information ' +
  '(same entities, numbers, time, negation and kind of answer). Otherwise answer "no". Reply with one word: yes or no.';

/** A yes/no judge (like GPTCache's LlmVerifier): the final word on a semantic candidate. Anything but "yes" rejects. */
export function createLlmVerifier(options: LlmVerifierOptions): Verifier {
  return {
    name: 'llm',
    async verify({ query, candidate, signal }) {
      const response = await options.model.generate(
        {
          model: options.modelName,
          temperature: 0,
          maxTokens: 3,
          messages: [
            { role: 'system', content: options.instructions ?? INSTRUCTIONS },
            { role: 'user', content: `Message A: ${query}\nMessage B: ${candidate}\nSame answer?` },
          ],
        },
        { signal, controls: { cacheBypass: true } },
      );
      const said = (response.message.content ?? '').trim().toLowerCase();
      return /^yes\b/.test(said) ? { ok: true } : { ok: false, reason: 'llm', detail: said.slice(0, 40) };
    },
  };
}
