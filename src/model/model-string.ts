/**
 * Model strings name a provider and a model in one string:
 *
 *   provider:model           openai:gpt-4o-mini, anthropic:claude-sonnet-4-5, ollama:llama3.1:8b
 *                            (split at the first colon, so the model may contain colons)
 *   <base URL>|model         http://localhost:8000/v1|my-model — any OpenAI-compatible server,
 *                            base URL up to the version segment; no API key is sent (use a preset
 *                            such as `vllm:` with its key variable, or register a provider, for keyed servers)
 *   scripted                 the scripted model (tests, demos): `scripted:scripted`
 */
import { SextantError } from '../errors.js';

export interface ParsedModelString {
  /** The provider name; `openai-compatible` for the base-URL form. */
  provider: string;
  /** The provider's own model name, sent upstream as is. */
  model: string;
  /** Only for the base-URL form. */
  baseURL?: string;
}

export const URL_PROVIDER = 'openai-compatible';

/** The provider of the scripted model; the bare model string `scripted` stands for `scripted:scripted`. */
export const SCRIPTED_PROVIDER = 'scripted';

export const MODEL_STRING_FORMS = [
  'provider:model (e.g. openai:gpt-4o-mini, anthropic:claude-sonnet-4-5, ollama:llama3.1)',
  'baseURL|model for any OpenAI-compatible server (e.g. http://localhost:8000/v1|my-model)',
  `${SCRIPTED_PROVIDER} for the scripted model`,
];

function invalid(model: string, why: string): SextantError {
  return new SextantError('INVALID_MODEL_STRING', `Invalid model string "${model}": ${why}. Accepted forms: ${MODEL_STRING_FORMS.join('; ')}`, {
    context: { model, accepted: MODEL_STRING_FORMS },
  });
}

export function parseModelString(model: string): ParsedModelString {
  if (typeof model !== 'string' || model.trim() === '') throw invalid(String(model), 'it is empty');
  if (model.trim() === SCRIPTED_PROVIDER) return { provider: SCRIPTED_PROVIDER, model: SCRIPTED_PROVIDER };
  if (/^https?:\/\//i.test(model)) {
    const bar = model.lastIndexOf('|');
    if (bar === -1) throw invalid(model, 'a base URL must be followed by |model');
    const baseURL = model.slice(0, bar).trim();
    const name = model.slice(bar + 1).trim();
    if (name === '') throw invalid(model, 'the model after | is empty');
    try {
      new URL(baseURL);
    } catch {
      throw invalid(model, `"${baseURL}" is not a valid URL`);
    }
    return { provider: URL_PROVIDER, model: name, baseURL: baseURL.replace(/\/+$/, '') };
  }
  const colon = model.indexOf(':');
  if (colon === -1) throw invalid(model, `it names no provider (did you mean "openai:${model}"?)`);
  const provider = model.slice(0, colon).trim();
  const name = model.slice(colon + 1).trim();
  if (!/^[a-z0-9][a-z0-9_.-]*$/i.test(provider)) throw invalid(model, `"${provider}" is not a provider name`);
  if (name === '') throw invalid(model, 'the model after the colon is empty');
  return { provider: provider.toLowerCase(), model: name };
}
