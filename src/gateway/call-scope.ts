import type { Context } from 'hono';
import type { ModelRequest, RequestMetadata } from '../model/types.js';
import type { CallControls } from '../model/model.js';
import type { Identity } from '../security/keys.js';
import { ATTR, EVENTS } from '../trace/attributes.js';
import type { SpanHandle, Tracer } from '../trace/tracer.js';
import { type GatewayAuth, identify } from './auth.js';
import { HEADERS, readCacheControls, readSession } from './headers.js';
import { toHttpError } from './http-errors.js';
import { requestHeader } from './request-io.js';
import type { ResolvedRoute } from './route-table.js';
import type { LoopWarning, SessionTracker } from './sessions.js';

/**
 * Everything a /v1 call carries beside its body: who calls (key), which session, cache
 * controls, and the gateway's request span. Built before the body is parsed, so a missing
 * key is refused without reading it.
 */
export interface CallScope {
  identity?: Identity;
  session?: string;
  controls: CallControls;
  metadata: RequestMetadata;
  span?: SpanHandle;
  /** Set when the loop detector warned on this call. */
  loopWarning?: LoopWarning;
  end(status: number, error?: unknown): void;
}

export interface CallScopeOptions {
  auth?: GatewayAuth;
  tracer?: Tracer;
  sessions?: SessionTracker;
}

export async function openCallScope(c: Context, route: string, options: CallScopeOptions): Promise<CallScope> {
  const header = (name: string) => requestHeader(c, name);
  const identity = await identify(options.auth, header('authorization'));
  const session = readSession(header(HEADERS.SESSION));
  const controls = readCacheControls(header);
  const metadata: RequestMetadata = {};
  if (identity) {
    metadata.keyId = identity.keyId;
    metadata.tenant = identity.tenant;
  }
  if (session) metadata.session = session;
  let span: SpanHandle | undefined;
  if (options.tracer) {
    const traceId = session && options.sessions ? options.sessions.traceIdFor(session, identity?.tenant) : undefined;
    const attributes: Record<string, unknown> = { [ATTR.REQUEST_ROUTE]: route };
    if (identity) Object.assign(attributes, { [ATTR.KEY_ID]: identity.keyId, [ATTR.TENANT]: identity.tenant });
    if (session) attributes[ATTR.SESSION_ID] = session;
    span = options.tracer.startSpan({ kind: 'request', name: `POST ${route}`, traceId, attributes });
    // Set on the context, so error responses carry it too.
    c.header(HEADERS.TRACE_ID, span.traceId);
  }
  const scope: CallScope = {
    identity,
    session,
    controls,
    metadata,
    span,
    end(status, error) {
      if (!span) return;
      span.set({ [ATTR.HTTP_STATUS]: status });
      if (error === undefined) span.end('ok');
      else {
        const { body } = toHttpError(error);
        span.end('error', { code: body.error.code ?? undefined, message: body.error.message });
      }
    },
  };
  return scope;
}

/** The pipeline's controls for a call: the scope's, with the route's remaining targets as its fallbacks. */
export function routeControls(scope: CallScope, route: ResolvedRoute): CallControls {
  return Object.assign({}, scope.controls, { fallbacks: route.targets.slice(1).map((t) => t.model) });
}

/** Runs a chat request through its session's loop detector: a warning is recorded on the scope and its span, and the detector may add a corrective message. */
export function observeSession(scope: CallScope, request: ModelRequest, options: CallScopeOptions): ModelRequest {
  if (!scope.session || !options.sessions) return request;
  const { request: checked, warning } = options.sessions.observe({ session: scope.session, tenant: scope.identity?.tenant, request });
  if (warning) {
    scope.loopWarning = warning;
    scope.span?.event(EVENTS.LOOP, {
      [ATTR.LOOP_PATTERN]: warning.pattern,
      [ATTR.LOOP_STEPS]: warning.steps,
      [ATTR.LOOP_ACTION]: 'warn',
      [ATTR.EVENT_DETAIL]: warning.detail,
    });
  }
  return checked;
}
