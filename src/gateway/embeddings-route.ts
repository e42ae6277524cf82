import type { Context } from 'hono';
import { DEFAULTS } from '../defaults.js';
import type { EmbeddingResponse } from '../model/types.js';
import { ATTR } from '../trace/attributes.js';
import { admitRequest, openCallScope, routeControls } from './call-scope.js';
import type { CallRouteOptions } from './chat-route.js';
import { resultHeaders } from './headers.js';
import { toHttpError } from './http-errors.js';
import { startModelSpan } from './model-span.js';
import { parseEmbeddingRequest } from './openai-request.js';
import { toEmbeddingList } from './openai-response.js';
import { readJsonBody } from './read-body.js';
import { clientSignal } from './request-io.js';

const ROUTE = '/v1/embeddings';

/** POST /v1/embeddings, through the same pipeline (tracing, budgets, cost) as chat. */
export function embeddingsHandler(options: CallRouteOptions) {
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULTS.gateway.bodyLimitBytes;
  return async (c: Context): Promise<Response> => {
    const started = performance.now();
    const scope = await openCallScope(c, ROUTE, options);
    try {
      const { request: parsed, encoding } = parseEmbeddingRequest(await readJsonBody(c, bodyLimitBytes));
      const route = options.routes.resolve(parsed.model);
      const admitted = admitRequest(scope, { model: parsed.model, messages: [] }, 'embeddings', options);
      const request = Object.assign({}, parsed, { model: route.targets[0].model, metadata: admitted.metadata });
      scope.span?.set({ [ATTR.REQUEST_MODEL]: route.requested, [ATTR.OPERATION]: 'embeddings' });
      const signal = clientSignal(c);
      const span = startModelSpan(options.tracer, scope.span, { operation: 'embeddings', model: route.requested });
      let response: EmbeddingResponse;
      try {
        response = await options.model.embed(request, { signal, controls: routeControls(scope, route) });
      } catch (error) {
        span.fail(error, signal.aborted);
        throw error;
      }
      span.finishEmbedding(response);
      const headers = resultHeaders(response, performance.now() - started, scope.span?.traceId);
      scope.end(200);
      return c.json(toEmbeddingList(response, encoding), 200, headers);
    } catch (error) {
      scope.end(toHttpError(error).status, error);
      throw error;
    }
  };
}
