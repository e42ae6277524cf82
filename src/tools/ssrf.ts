import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, request } from 'undici';
import { DEFAULTS } from '../defaults.js';
import { SextantError, isSextantError } from '../errors.js';

/**
 * SSRF-safe fetching. A URL is allowed only if every address its host resolves to is a public
 * unicast address; the connection is then made to exactly the address that was checked (DNS
 * rebinding cannot swap it), and every redirect hop is checked the same way.
 */

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Hostname → addresses. Injectable so tests can play DNS tricks without a network. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family as 4 | 6 }));

/** Cloud metadata endpoints reachable by name; their addresses (169.254.169.254, fd00:ec2::254, 100.100.100.200) are also blocked by range. */
const BLOCKED_HOSTNAMES =
  /^(?:localhost|.*\.localhost|metadata|metadata\.google\.internal|metadata\.goog|instance-data(?:\.ec2\.internal)?|metadata\.azure\.internal|.*\.internal)\.?$/i;

/** inet_aton spellings: 1-4 parts, each decimal, octal (leading 0) or hex (0x): `2130706433`, `0x7f.1`, `0177.0.0.1`. */
export function parseLooseIpv4(host: string): string | undefined {
  const parts = host.split('.');
  if (parts.length < 1 || parts.length > 4 || parts.some((p) => p === '')) return undefined;
  const values: number[] = [];
  for (const p of parts) {
    let v: number;
    if (/^0x[0-9a-f]*$/i.test(p)) v = parseInt(p.slice(2) || '0', 16);
    else if (/^0[0-7]*$/.test(p)) v = parseInt(p, 8);
    else if (/^[1-9]\d*$/.test(p)) v = parseInt(p, 10);
    else return undefined;
    values.push(v);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255) || last >= 256 ** (4 - values.length)) return undefined;
  let n = last;
  values.forEach((v, i) => (n += v * 256 ** (3 - i)));
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = address.parts;
  const range = address.range();
  const last32 = () => new ipaddr.IPv4([p[6] >> 8, p[6] & 255, p[7] >> 8, p[7] & 255]);
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return last32();
  if (p[0] === 0x64 && p[1] === 0xff9b) return last32(); // 64:ff9b:1::/48 local-use NAT64 (RFC 8215)
  if (p.slice(0, 6).every((x) => x === 0)) return last32(); // IPv4-compatible ::a.b.c.d
  if (range === '6to4') return new ipaddr.IPv4([p[1] >> 8, p[1] & 255, p[2] >> 8, p[2] & 255]);
  return undefined;
}

/** Why an address may not be fetched, or undefined if it is a public unicast address. */
export function blockedReason(address: string): string | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  } catch {
    return `"${address}" is not an IP address`;
  }
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    const inner = embeddedIpv4(v6);
    if (inner) {
      const reason = blockedReason(inner.toString());
      return reason ? `${address} embeds ${inner.toString()}: ${reason}` : undefined;
    }
    if (v6.range() === 'teredo') return `${address} is a Teredo address (hides its IPv4 endpoint)`;
  }
  const range = parsed.range();
  return range === 'unicast' ? undefined : `${address} is a ${range} address`;
}

export interface SsrfPolicy {
  resolver?: Resolver;
  /**
   * Test-only allowance: addresses this returns true for are let through although not public
   * (e.g. a local test server). Never set it in production code.
   */
  allowAddress?: (address: string) => boolean;
  /** Only these hosts (exact, or `*.example.com`), when set. */
  allowedHosts?: string[];
}

function hostAllowed(hostname: string, allowed: string[] | undefined): boolean {
  if (!allowed) return true;
  const host = hostname.toLowerCase();
  return allowed.some((a) => (a.startsWith('*.') ? host.endsWith(a.slice(1)) || host === a.slice(2) : host === a.toLowerCase()));
}

function blocked(url: string, reason: string): SextantError {
  return new SextantError('SSRF_BLOCKED', `Refused to fetch ${url}: ${reason}`, { status: 403, context: { url, reason } });
}

/** Checks a URL and resolves its host; returns the one address to connect to. Throws SSRF_BLOCKED. */
export async function checkUrl(url: URL, policy: SsrfPolicy = {}): Promise<ResolvedAddress> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw blocked(url.href, `scheme ${url.protocol} is not http or https`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!hostAllowed(host, policy.allowedHosts)) throw blocked(url.href, `host ${host} is not in the allow-list`);
  const literal = ipaddr.isValid(host) ? host : parseLooseIpv4(host);
  let addresses: ResolvedAddress[];
  if (literal) {
    addresses = [{ address: literal, family: literal.includes(':') ? 6 : 4 }];
  } else {
    if (BLOCKED_HOSTNAMES.test(host)) throw blocked(url.href, `host ${host} is internal or a cloud metadata endpoint`);
    try {
      addresses = await (policy.resolver ?? systemResolver)(host);
    } catch (error) {
      throw new SextantError('NETWORK_ERROR', `Cannot resolve ${host}: ${(error as Error).message}`, { cause: error, context: { url: url.href } });
    }
    if (addresses.length === 0) throw new SextantError('NETWORK_ERROR', `${host} has no addresses`, { context: { url: url.href } });
  }
  // Every answer must be safe: an attacker's DNS may mix a public and a private address.
  for (const a of addresses) {
    const reason = blockedReason(a.address);
    if (reason && !policy.allowAddress?.(a.address)) throw blocked(url.href, reason);
  }
  return addresses[0];
}

export interface SafeFetchOptions extends SsrfPolicy {
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  body?: string;
  maxRedirects?: number;
  timeoutMs?: number;
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface SafeFetchResponse {
  /** The final URL, after redirects. */
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Every URL visited before the final one. */
  redirects: string[];
  text(): string;
}

/** An agent whose every connection goes to `pinned`, whatever the hostname would resolve to now. */
function pinnedAgent(pinned: ResolvedAddress): Agent {
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: ResolvedAddress[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  return new Agent({ connect: { lookup }, connections: 1, pipelining: 0 });
}

/** Fetches a URL safely: http(s) only, public addresses only, pinned connections, checked redirects, size and time limits. */
export async function safeFetch(input: string, options: SafeFetchOptions = {}): Promise<SafeFetchResponse> {
  const limits = DEFAULTS.security.fetch;
  const maxRedirects = options.maxRedirects ?? limits.maxRedirects;
  const maxBytes = options.maxBytes ?? limits.maxBytes;
  const timeoutMs = options.timeoutMs ?? limits.timeoutMs;
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])]);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new SextantError('INVALID_REQUEST', `Not a valid URL: ${input}`, { context: { url: input } });
  }
  let method = options.method ?? 'GET';
  let body = options.body;
  const redirects: string[] = [];
  for (;;) {
    const pinned = await checkUrl(url, options);
    const agent = pinnedAgent(pinned);
    try {
      const response = await request(url, { method, headers: options.headers, body, dispatcher: agent, signal, maxRedirections: 0 } as Parameters<
        typeof request
      >[1]);
      const location = response.headers.location;
      if ([301, 302, 303, 307, 308].includes(response.statusCode) && typeof location === 'string') {
        await response.body.dump();
        if (redirects.length >= maxRedirects) {
          throw new SextantError('SSRF_BLOCKED', `Too many redirects (more than ${maxRedirects}) from ${input}`, {
            context: { url: input, redirects: [...redirects, url.href] },
          });
        }
        redirects.push(url.href);
        url = new URL(location, url);
        if (response.statusCode === 303 || ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      const declared = Number(response.headers['content-length'] ?? 0);
      if (declared > maxBytes) {
        await response.body.destroy();
        throw new SextantError('PAYLOAD_TOO_LARGE', `${url.href} is ${declared} bytes, over the ${maxBytes}-byte limit`, {
          context: { url: url.href, maxBytes },
        });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          response.body.destroy();
          throw new SextantError('PAYLOAD_TOO_LARGE', `${url.href} sent more than the ${maxBytes}-byte limit`, { context: { url: url.href, maxBytes } });
        }
        chunks.push(chunk as Buffer);
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(response.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const buffer = Buffer.concat(chunks);
      return { url: url.href, status: response.statusCode, headers, body: buffer, redirects, text: () => buffer.toString('utf8') };
    } catch (error) {
      if (isSextantError(error)) throw error;
      if (signal.aborted) {
        const byCaller = options.signal?.aborted;
        throw new SextantError(
          byCaller ? 'ABORTED' : 'TIMEOUT',
          byCaller ? `Fetching ${url.href} was aborted` : `Fetching ${url.href} took longer than ${timeoutMs} ms`,
          {
            cause: error,
            context: { url: url.href, timeoutMs },
          },
        );
      }
      throw new SextantError('NETWORK_ERROR', `Fetching ${url.href} failed: ${(error as Error).message}`, {
        cause: error,
        retryable: true,
        context: { url: url.href },
      });
    } finally {
      void agent.close();
    }
  }
}
