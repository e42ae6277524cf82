import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSextantError } from '../src/errors.js';
import { blockedReason, checkUrl, parseLooseIpv4, safeFetch, type Resolver } from '../src/tools/ssrf.js';

/** A local HTTP server that counts the connections it receives. */
function startServer(host: string, port: number, name: string): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to')! }).end();
    } else if (url.pathname === '/loop') {
      res.writeHead(301, { location: '/loop' }).end();
    } else if (url.pathname === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x'.repeat(200_000));
    } else if (url.pathname === '/slow') {
      // never answers
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name} ${req.method} ${url.pathname}`);
    }
  });
  server.on('connection', () => connections++);
  return new Promise((resolve) =>
    server.listen(port, host, () => resolve({ server, port: (server.address() as AddressInfo).port, connections: () => connections })),
  );
}

describe('address policy', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.100.100.200',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '240.0.0.1',
    '198.18.0.1',
    '192.0.0.170',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd00:ec2::254',
    'ff02::1',
    '2001:db8::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::127.0.0.1',
    '::ffff:169.254.169.254',
    '2002:7f00:1::1',
    '2002:a9fe:a9fe::',
    '64:ff9b::7f00:1',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b:1::a00:1',
    '2001::1',
  ])('blocks %s', (address) => {
    expect(blockedReason(address)).toBeDefined();
  });

  it.each(['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])('allows public %s', (address) => {
    expect(blockedReason(address)).toBeUndefined();
  });

  it('reads decimal, octal and hex IPv4 spellings', () => {
    expect(parseLooseIpv4('2130706433')).toBe('127.0.0.1');
    expect(parseLooseIpv4('0x7f.1')).toBe('127.0.0.1');
    expect(parseLooseIpv4('0177.0.0.01')).toBe('127.0.0.1');
    expect(parseLooseIpv4('0xa9.0xfe.0xa9.0xfe')).toBe('169.254.169.254');
    expect(parseLooseIpv4('example.com')).toBeUndefined();
  });

  const never: Resolver = async () => {
    throw new Error('the resolver must not be asked');
  };
  it.each([
    'http://2130706433/',
    'http://0x7f.1/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::1]:8080/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://localhost:3000/',
    'http://api.localhost/',
    'file:///etc/passwd',
    'ftp://example.com/',
    'gopher://127.0.0.1:25/',
  ])('refuses %s before any DNS lookup or connection', async (url) => {
    await expect(checkUrl(new URL(url), { resolver: never })).rejects.toMatchObject({ code: 'SSRF_BLOCKED' });
  });

  it('refuses a host whose DNS answers mix public and private addresses', async () => {
    const mixed: Resolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    await expect(checkUrl(new URL('http://mixed.example/'), { resolver: mixed })).rejects.toThrow(/10\.0\.0\.5 is a private address/);
    const v6: Resolver = async () => [{ address: 'fd12::1', family: 6 }];
    await expect(checkUrl(new URL('http://v6.example/'), { resolver: v6 })).rejects.toThrow(/uniqueLocal/);
  });
});

describe('safeFetch against real local servers', () => {
  // `public` plays a public site (127.0.0.2, let through by the test-only allowance);
  // `internal` plays an internal service on 127.0.0.1, same port, never allowed.
  let internal: Awaited<ReturnType<typeof startServer>>;
  let pub: Awaited<ReturnType<typeof startServer>>;
  const allowAddress = (a: string) => a === '127.0.0.2';

  beforeAll(async () => {
    internal = await startServer('127.0.0.1', 0, 'internal');
    pub = await startServer('127.0.0.2', internal.port, 'public');
  });
  afterAll(async () => {
    for (const s of [internal, pub]) s.server.closeAllConnections();
    await Promise.all([internal, pub].map((s) => new Promise((r) => s.server.close(r))));
  });

  const publicDns: Resolver = async () => [{ address: '127.0.0.2', family: 4 }];
  const site = (path: string) => `http://site.test:${pub.port}${path}`;

  it('fetches an allowed host and pins the checked address', async () => {
    const response = await safeFetch(site('/hello'), { resolver: publicDns, allowAddress });
    expect(response.status).toBe(200);
    expect(response.text()).toBe('public GET /hello');
  });

  it('DNS rebinding: the check sees a public address, the next lookup says 127.0.0.1 — the connection still goes to the checked one', async () => {
    const before = internal.connections();
    let calls = 0;
    const rebinding: Resolver = async () => [{ address: calls++ === 0 ? '127.0.0.2' : '127.0.0.1', family: 4 }];
    const response = await safeFetch(site('/rebind'), { resolver: rebinding, allowAddress });
    expect(response.text()).toBe('public GET /rebind');
    expect(calls).toBe(1);
    expect(internal.connections()).toBe(before);
  });

  it('blocked URLs never open a connection', async () => {
    const before = internal.connections();
    for (const url of [
      `http://127.0.0.1:${internal.port}/`,
      `http://localhost:${internal.port}/`,
      `http://[::ffff:127.0.0.1]:${internal.port}/`,
      `http://2130706433:${internal.port}/`,
    ]) {
      const error = await safeFetch(url, { allowAddress }).catch((e: unknown) => e);
      expect(isSextantError(error, 'SSRF_BLOCKED')).toBe(true);
    }
    const lying: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    await expect(safeFetch(site('/x'), { resolver: lying, allowAddress })).rejects.toMatchObject({ code: 'SSRF_BLOCKED' });
    expect(internal.connections()).toBe(before);
  });

  it('every redirect hop is checked: a redirect to an internal address or metadata is refused', async () => {
    const before = internal.connections();
    for (const to of [
      `http://127.0.0.1:${internal.port}/secret`,
      'http://169.254.169.254/latest/meta-data/',
      `http://[::1]:${internal.port}/`,
      'file:///etc/passwd',
    ]) {
      const error = await safeFetch(site(`/redirect?to=${encodeURIComponent(to)}`), { resolver: publicDns, allowAddress }).catch((e: unknown) => e);
      expect(isSextantError(error, 'SSRF_BLOCKED')).toBe(true);
    }
    expect(internal.connections()).toBe(before);
  });

  it('follows safe redirects, up to a bound', async () => {
    const ok = await safeFetch(site(`/redirect?to=${encodeURIComponent('/final')}`), { resolver: publicDns, allowAddress });
    expect(ok.text()).toBe('public GET /final');
    expect(ok.redirects).toEqual([site(`/redirect?to=${encodeURIComponent('/final')}`)]);
    await expect(safeFetch(site('/loop'), { resolver: publicDns, allowAddress, maxRedirects: 3 })).rejects.toThrow(/Too many redirects/);
  });

  it('enforces size and time limits', async () => {
    await expect(safeFetch(site('/big'), { resolver: publicDns, allowAddress, maxBytes: 50_000 })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await expect(safeFetch(site('/slow'), { resolver: publicDns, allowAddress, timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('allow-listed hosts only, when configured', async () => {
    await expect(safeFetch(site('/'), { resolver: publicDns, allowAddress, allowedHosts: ['api.example.com'] })).rejects.toThrow(/not in the allow-list/);
    expect((await safeFetch(site('/'), { resolver: publicDns, allowAddress, allowedHosts: ['*.test'] })).status).toBe(200);
  });
});
