import { z } from 'zod';
import { DEFAULTS } from '../../defaults.js';
import { defineTool, type Tool } from '../define-tool.js';
import { safeFetch, type SafeFetchOptions } from '../ssrf.js';
import { httpJson, type HttpJsonOptions } from './http-json.js';
import { scrapePage, type ScrapeOptions } from './scrape-page.js';
import { runReadOnlyQuery, type ReadOnlyQueryOptions } from './sql-query.js';

/**
 * Built-in tools, each on the SSRF-safe fetcher or a read-only SQL connection. Their outputs are
 * untrusted: the agent runtime passes them through guardUntrusted (src/security) before the model sees them.
 */

export function fetchUrlTool(
  options: SafeFetchOptions = {},
): Tool<{ url: string }, { url: string; status: number; contentType: string; text: string; truncated: boolean }> {
  return defineTool({
    name: 'fetch_url',
    description: 'Fetch a public http(s) URL and return its status, content type and body text.',
    input: z.object({ url: z.string().describe('An absolute http or https URL') }),
    idempotent: true,
    async execute({ url }, ctx) {
      const response = await safeFetch(url, { ...options, signal: ctx.signal });
      const text = response.text();
      const max = DEFAULTS.security.scrape.maxTextChars;
      return {
        url: response.url,
        status: response.status,
        contentType: response.headers['content-type'] ?? '',
        text: text.slice(0, max),
        truncated: text.length > max,
      };
    },
  });
}

export function scrapePageTool(options: SafeFetchOptions & ScrapeOptions = {}) {
  return defineTool({
    name: 'scrape_page',
    description: 'Fetch a public web page and return its title, readable text and links.',
    input: z.object({ url: z.string().describe('An absolute http or https URL') }),
    idempotent: true,
    execute: ({ url }, ctx) => scrapePage(url, { ...options, signal: ctx.signal }),
  });
}

export function httpJsonTool(options: HttpJsonOptions) {
  return defineTool({
    name: 'http_json',
    description: `Call a JSON API with GET or POST. Allowed hosts: ${options.allowedHosts.join(', ')}.`,
    input: z.object({
      url: z.string(),
      method: z.enum(['GET', 'POST']).default('GET'),
      body: z.record(z.string(), z.unknown()).optional().describe('JSON body for POST'),
    }),
    execute: (input, ctx) => httpJson(input, { ...options, signal: ctx.signal }),
  });
}

export function sqlQueryTool(options: ReadOnlyQueryOptions & { description?: string }) {
  return defineTool({
    name: 'sql_query',
    description: options.description ?? 'Run one read-only SQL query with positional parameters and get the rows back.',
    input: z.object({
      sql: z.string().describe('One SELECT statement; use ? (SQLite) or $1, $2 (Postgres) for values'),
      params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).default([]),
    }),
    idempotent: true,
    execute: ({ sql, params }) => runReadOnlyQuery(sql, params, options),
  });
}

export { extractPage, scrapePage, type ScrapedPage, type ScrapeOptions } from './scrape-page.js';
export { httpJson, type HttpJsonOptions, type HttpJsonRequest } from './http-json.js';
export { runReadOnlyQuery, type QueryResult, type ReadOnlyConnection, type ReadOnlyQueryOptions } from './sql-query.js';
