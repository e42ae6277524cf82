import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { DEFAULTS } from '../defaults.js';
import type { OpenAIErrorBody } from './http-errors.js';

export interface ListenOptions {
  port?: number;
  host?: string;
  /** How long close() lets in-flight requests (streams included) finish before cutting them. */
  drainMs?: number;
}

export interface RunningServer {
  /** `http://host:port`, with the port actually bound (port 0 picks a free one). */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Requests being answered right now. */
  inFlight(): number;
  /**
   * Graceful shutdown: stops accepting connections, refuses new requests on open ones (503),
   * waits for in-flight requests to finish (up to drainMs), then closes every connection.
   */
  close(): Promise<void>;
}

const DRAINING_BODY = JSON.stringify({
  error: { message: 'The gateway is shutting down; retry shortly or on another replica', type: 'service_unavailable', param: null, code: 'shutting_down' },
} satisfies OpenAIErrorBody);

/** Serves a Hono app on Node's HTTP server, with request accounting for a draining shutdown. */
export function listen(app: Hono, options: ListenOptions = {}): Promise<RunningServer> {
  const listener = getRequestListener(app.fetch);
  const drainMs = options.drainMs ?? DEFAULTS.gateway.shutdownDrainMs;
  let draining = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (draining) {
      res.writeHead(503, { 'content-type': 'application/json', connection: 'close', 'retry-after': '1', 'x-should-retry': 'true' });
      res.end(DRAINING_BODY);
      return;
    }
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (draining && inFlight === 0) drained?.();
    });
    void listener(req, res);
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      draining = true;
      const allDone = new Promise<void>((done) => {
        drained = done;
        if (inFlight === 0) done();
      });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((done) => {
        timer = setTimeout(done, drainMs);
      });
      server.close(() => resolve());
      server.closeIdleConnections();
      void Promise.race([allDone, timedOut]).then(() => {
        clearTimeout(timer);
        server.closeAllConnections();
      });
    }));

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULTS.gateway.port, options.host ?? DEFAULTS.gateway.host, () => {
      server.off('error', reject);
      const { port, address } = server.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      resolve({ url: `http://${host}:${port}`, port, server, inFlight: () => inFlight, close });
    });
  });
}
