/**
 * Built-in providers, by the name used in model strings, with their usual environment variables.
 * Every `*_BASE_URL` variable is the base URL up to the version segment (e.g. `.../v1`), except
 * ANTHROPIC_BASE_URL, which (like the official SDK) has none.
 */
export type Env = Record<string, string | undefined>;

export interface ProviderPreset {
  api: 'openai' | 'anthropic';
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
  openai: { api: 'openai', baseURL: fixed('OPENAI_BASE_URL', 'https://api.openai.com/v1'), apiKeyEnv: 'OPENAI_API_KEY', keyRequired: true },
  anthropic: { api: 'anthropic', baseURL: fixed('ANTHROPIC_BASE_URL', 'https://api.anthropic.com'), apiKeyEnv: 'ANTHROPIC_API_KEY', keyRequired: true },
  // Azure OpenAI's v1 API: the model string names the deployment, e.g. `azure:my-gpt-4o`.
  azure: {
    api: 'openai',
    baseURL: (env) => env.AZURE_OPENAI_BASE_URL || (env.AZURE_OPENAI_ENDPOINT ? `${env.AZURE_OPENAI_ENDPOINT.replace(/\/+$/, '')}/openai/v1` : undefined),
    baseURLHint: 'AZURE_OPENAI_ENDPOINT (https://<resource>.openai.azure.com) or AZURE_OPENAI_BASE_URL',
    apiKeyEnv: 'AZURE_OPENAI_API_KEY',
    keyRequired: true,
    apiKeyHeader: 'api-key',
    query: (env) => (env.AZURE_OPENAI_API_VERSION ? { 'api-version': env.AZURE_OPENAI_API_VERSION } : undefined),
  },
  groq: { api: 'openai', baseURL: fixed('GROQ_BASE_URL', 'https://api.groq.com/openai/v1'), apiKeyEnv: 'GROQ_API_KEY', keyRequired: true },
  together: { api: 'openai', baseURL: fixed('TOGETHER_BASE_URL', 'https://api.together.xyz/v1'), apiKeyEnv: 'TOGETHER_API_KEY', keyRequired: true },
  openrouter: { api: 'openai', baseURL: fixed('OPENROUTER_BASE_URL', 'https://openrouter.ai/api/v1'), apiKeyEnv: 'OPENROUTER_API_KEY', keyRequired: true },
  ollama: { api: 'openai', baseURL: fixed('OLLAMA_BASE_URL', 'http://localhost:11434/v1'), keyRequired: false },
  vllm: { api: 'openai', baseURL: fixed('VLLM_BASE_URL', 'http://localhost:8000/v1'), apiKeyEnv: 'VLLM_API_KEY', keyRequired: false },
  lmstudio: { api: 'openai', baseURL: fixed('LMSTUDIO_BASE_URL', 'http://localhost:1234/v1'), keyRequired: false },
  llamacpp: { api: 'openai', baseURL: fixed('LLAMACPP_BASE_URL', 'http://localhost:8080/v1'), apiKeyEnv: 'LLAMACPP_API_KEY', keyRequired: false },
};
