import { Hono } from 'hono';
import { SextantError } from '../errors.js';
import { chatCompletionsHandler } from './chat-route.js';
import { embeddingsHandler } from './embeddings-route.js';
import { toHttpError } from './http-errors.js';
import type { CallRouteOptions } from './model-route.js';

export interface GatewayAppOptions extends CallRouteOptions {
  /** Extra routes, mounted before the 404 handler (admin API, dashboard). */
  mount?: (app: Hono) => void;
  /** Errors that are gateway bugs (not SextantErrors): logged here, answered with a 500. */
  onInternalError?: (error: unknown) => void;
}

const created = Math.floor(Date.now() / 1000);

/** The OpenAI-compatible HTTP app. Every model call goes through `options.model`: the pipeline. */
export function createGatewayApp(options: GatewayAppOptions): Hono {
  const app = new Hono();

  app.onError((error, c) => {
    if (!(error instanceof SextantError)) options.onInternalError?.(error);
    const http = toHttpError(error);
    return c.json(http.body, http.status as 400, http.headers);
  });
  app.notFound((c) => {
    const http = toHttpError(new SextantError('NOT_FOUND', `No route ${c.req.method} ${c.req.path} on this gateway (OpenAI-compatible routes live under /v1)`));
    return c.json(http.body, 404, http.headers);
  });

  app.get('/health', (c) => c.json({ status: 'ok', models: options.routes.models().length }));

  app.get('/v1/models', (c) =>
    c.json({ object: 'list', data: options.routes.models().map((m) => ({ id: m.id, object: 'model', created, owned_by: m.ownedBy })) }),
  );
  app.get('/v1/models/:model{.+}', (c) => {
    const id = c.req.param('model');
    const found = options.routes.models().find((m) => m.id === id);
    if (!found) options.routes.resolve(id);
    return c.json({ id, object: 'model', created, owned_by: found?.ownedBy ?? id.split(':')[0] });
  });
  app.post('/v1/chat/completions', chatCompletionsHandler(options));
  app.post('/v1/embeddings', embeddingsHandler(options));
  options.mount?.(app);
  return app;
}
