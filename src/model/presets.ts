/**
 * Built-in providers, by the name used in model strings, with their usual environment variables.
 * Every `*_BASE_URL` variable is the base URL up to the version segment (e.g. `.../v1`), except
 * ANTHROPIC_BASE_URL, which (like the official SDK) has none.
 */
import type { WireFormat } from './providers/index.js';

export type Env = Record<string, string | undefined>;

export interface ProviderPreset {
  wire: WireFormat;
  /** The base URL from the environment, or the public default; undefined when it cannot be known. */
  baseURL(env: Env): string | undefined;
  /** What to set when `baseURL` is undefined, for the error message. */
  baseURLHint?: string;
  apiKeyEnv?: string;
  /** Hosted APIs need a key; local servers do not. */
  keyRequired: boolean;
  /** Header carrying the raw key instead of `Authorization: Bearer`. */
  apiKeyHeader?: string;
  query?(env: Env): Record<string, string> | undefined;
}

const fixed = (envVar: string, fallback: string) => (env: Env) => env[envVar] || fallback;

export const PROVIDER_PRESETS: Record<string, ProviderPreset> = {
  openai: { wire: 'openai-compatible', baseURL: fixed('OPENAI_BASE_URL', 'https://api.openai.com/v1'), apiKeyEnv: 'OPENAI_API_KEY', keyRequired: true },
  anthropic: { wire: 'anthropic', baseURL: fixed('ANTHROPIC_BASE_URL', 'https://api.anthropic.com'), apiKeyEnv: 'ANTHROPIC_API_KEY', keyRequired: true },
  // Azure OpenAI's v1 API: the model string names the deployment, e.g. `azure:my-gpt-4o`.
  azure: {
    wire: 'openai-compatible',
    baseURL: (env) => env.AZURE_OPENAI_BASE_URL || (env.AZURE_OPENAI_ENDPOINT ? `${env.AZURE_OPENAI_ENDPOINT.replace(/\/+$/, '')}/openai/v1` : undefined),
    baseURLHint: 'AZURE_OPENAI_ENDPOINT (https://<resource>.openai.azure.com) or AZURE_OPENAI_BASE_URL',
    apiKeyEnv: 'AZURE_OPENAI_API_KEY',
    keyRequired: true,
    apiKeyHeader: 'api-key',
    query: (env) => (env.AZURE_OPENAI_API_VERSION ? { 'api-version': env.AZURE_OPENAI_API_VERSION } : undefined),
  },
  groq: { wire: 'openai-compatible', baseURL: fixed('GROQ_BASE_URL', 'https://api.groq.com/openai/v1'), apiKeyEnv: 'GROQ_API_KEY', keyRequired: true },
  together: { wire: 'openai-compatible', baseURL: fixed('TOGETHER_BASE_URL', 'https://api.together.xyz/v1'), apiKeyEnv: 'TOGETHER_API_KEY', keyRequired: true },
  openrouter: {
    wire: 'openai-compatible',
    baseURL: fixed('OPENROUTER_BASE_URL', 'https://openrouter.ai/api/v1'),
    apiKeyEnv: 'OPENROUTER_API_KEY',
    keyRequired: true,
  },
  ollama: { wire: 'openai-compatible', baseURL: fixed('OLLAMA_BASE_URL', 'http://localhost:11434/v1'), keyRequired: false },
  vllm: { wire: 'openai-compatible', baseURL: fixed('VLLM_BASE_URL', 'http://localhost:8000/v1'), apiKeyEnv: 'VLLM_API_KEY', keyRequired: false },
  lmstudio: { wire: 'openai-compatible', baseURL: fixed('LMSTUDIO_BASE_URL', 'http://localhost:1234/v1'), keyRequired: false },
  llamacpp: { wire: 'openai-compatible', baseURL: fixed('LLAMACPP_BASE_URL', 'http://localhost:8080/v1'), apiKeyEnv: 'LLAMACPP_API_KEY', keyRequired: false },
};
