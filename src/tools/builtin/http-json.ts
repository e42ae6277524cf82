import { SextantError } from '../../errors.js';
import { safeFetch, type SafeFetchOptions } from '../ssrf.js';

export interface HttpJsonOptions extends Omit<SafeFetchOptions, 'method' | 'body'> {
  /** Required: the hosts the tool may call (exact, or `*.example.com`). */
  allowedHosts: string[];
}

export interface HttpJsonRequest {
  url: string;
  method?: 'GET' | 'POST';
  body?: unknown;
  headers?: Record<string, string>;
}

/** GET or POST JSON to an allow-listed host, through safeFetch. Non-JSON answers are a clear TOOL_ERROR. */
export async function httpJson(input: HttpJsonRequest, options: HttpJsonOptions): Promise<{ url: string; status: number; json: unknown }> {
  if (!options.allowedHosts?.length) throw new SextantError('CONFIG_INVALID', 'http_json needs a non-empty allowedHosts list');
  const method = input.method ?? 'GET';
  const response = await safeFetch(input.url, {
    ...options,
    method,
    headers: { accept: 'application/json', ...(method === 'POST' ? { 'content-type': 'application/json' } : {}), ...options.headers, ...input.headers },
    body: method === 'POST' ? JSON.stringify(input.body ?? {}) : undefined,
  });
  const text = response.text();
  let json: unknown;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    throw new SextantError('TOOL_ERROR', `${response.url} answered HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 120)}`, {
      context: { url: response.url, status: response.status },
    });
  }
  return { url: response.url, status: response.status, json };
}
