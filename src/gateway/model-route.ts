import type { Context } from 'hono';
import { DEFAULTS } from '../defaults.js';
import type { RequestMetadata } from '../model/types.js';
import type { CallOptions, Model } from '../model/model.js';
import { ATTR } from '../trace/attributes.js';
import { callTrace } from '../trace/tracing-middleware.js';
import { type CallScope, type CallScopeOptions, openCallScope, routeControls } from './call-scope.js';
import { toHttpError } from './http-errors.js';
import { readJsonBody } from './read-body.js';
import { clientSignal } from './request-io.js';
import type { ResolvedRoute, RouteTable } from './route-table.js';

export interface CallRouteOptions extends CallScopeOptions {
  routes: RouteTable;
  /**
   * The pipeline every call goes through: the request's model is the route's first target, its fallbacks the rest.
   * Its tracing stage (with the same tracer) writes each call's model span under the request span.
   */
  model: Model;
  /** Bodies above this get a 413. Default DEFAULTS.gateway.bodyLimitBytes. */
  bodyLimitBytes?: number;
}

/** What the shared steps hand a route: the call, ready for the pipeline. */
export interface AdmittedCall<Request> {
  c: Context;
  scope: CallScope;
  /** The parsed request, addressed to the route's first target, with the caller's metadata (key, tenant, session). */
  request: Request;
  route: ResolvedRoute;
  /** The client's signal, the route's controls (cache headers, fallbacks) and the model span's place under the request span. */
  callOptions: CallOptions;
  /** performance.now() when the handler started: the gateway's overhead is measured from here. */
  started: number;
}

/** What differs between the /v1 model routes. */
export interface ModelRoute<Parsed extends { request: { model: string; metadata?: RequestMetadata } }> {
  path: string;
  /** The key scope the call needs, and the request span's operation. */
  operation: 'chat' | 'embeddings';
  parse(body: unknown): Parsed;
  /** Calls the pipeline and answers. It ends the scope when it succeeds (a stream: when it is over); a thrown error ends it here. */
  answer(call: AdmittedCall<Parsed['request']>, parsed: Parsed): Promise<Response>;
}

/**
 * The skeleton of every /v1 model route: open the call's scope (key, session, request span),
 * read and parse the body, resolve the route, check the key's scope, address the request to
 * the route's first target, then let the route call the pipeline and answer. Any error ends
 * the request span with its HTTP status and goes to the app's error handler.
 */
export function modelRouteHandler<Parsed extends { request: { model: string; metadata?: RequestMetadata } }>(
  options: CallRouteOptions,
  modelRoute: ModelRoute<Parsed>,
) {
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULTS.gateway.bodyLimitBytes;
  const { path, operation } = modelRoute;
  return async (c: Context): Promise<Response> => {
    const started = performance.now();
    const scope = await openCallScope(c, path, options);
    try {
      const parsed = modelRoute.parse(await readJsonBody(c, bodyLimitBytes));
      const requested = parsed.request.model;
      const route = options.routes.resolve(requested);
      if (scope.identity && options.auth) options.auth.authorize(scope.identity, { model: requested, route: operation });
      const metadata = Object.assign({}, parsed.request.metadata, scope.metadata);
      const request = Object.assign({}, parsed.request, { model: route.targets[0].model, metadata });
      scope.span?.set({ [ATTR.REQUEST_MODEL]: route.requested, [ATTR.OPERATION]: operation });
      const callOptions: CallOptions = {
        signal: clientSignal(c),
        controls: routeControls(scope, route),
        trace: scope.span && callTrace({ parent: scope.span }),
      };
      return await modelRoute.answer({ c, scope, request, route, callOptions, started }, parsed);
    } catch (error) {
      scope.end(toHttpError(error).status, error);
      throw error;
    }
  };
}
