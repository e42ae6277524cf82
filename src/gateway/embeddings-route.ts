import { resultHeaders } from './headers.js';
import { type CallRouteOptions, modelRouteHandler } from './model-route.js';
import { parseEmbeddingRequest } from './openai-request.js';
import { toEmbeddingList } from './openai-response.js';

/** POST /v1/embeddings, through the same pipeline (tracing, budgets, cost) as chat. */
export function embeddingsHandler(options: CallRouteOptions) {
  return modelRouteHandler(options, {
    path: '/v1/embeddings',
    operation: 'embeddings',
    parse: parseEmbeddingRequest,
    async answer({ c, scope, request, callOptions, started }, { encoding }) {
      const response = await options.model.embed(request, callOptions);
      const headers = resultHeaders(response, performance.now() - started, scope.span?.traceId);
      scope.end(200);
      return c.json(toEmbeddingList(response, encoding), 200, headers);
    },
  });
}
