import type { AssistantMessage, Message, ModelRequest, ModelResponse, StreamEvent } from '../model/types.js';
import { createPlaceholderVault, type PiiType, type PlaceholderVault } from './pii.js';
import type { Middleware } from '../pipeline/middleware.js';

export interface RedactMiddlewareOptions {
  /** Which types to replace (default: all). */
  types?: readonly PiiType[];
}

/** The message with its PII replaced; the same object when it holds none (most do), so nothing is copied. */
function redactMessage(message: Message, vault: PlaceholderVault): Message {
  switch (message.role) {
    case 'system':
    case 'tool': {
      const content = vault.redact(message.content);
      return content === message.content ? message : { ...message, content };
    }
    case 'user': {
      if (typeof message.content === 'string') {
        const content = vault.redact(message.content);
        return content === message.content ? message : { ...message, content };
      }
      let changed = false;
      const parts = message.content.map((p) => {
        if (p.type !== 'text') return p;
        const text = vault.redact(p.text);
        if (text === p.text) return p;
        changed = true;
        return { ...p, text };
      });
      return changed ? { ...message, content: parts } : message;
    }
    case 'assistant': {
      const content = message.content === null ? null : vault.redact(message.content);
      let changed = content !== message.content;
      const toolCalls = message.toolCalls?.map((c) => {
        const args = vault.redact(c.arguments);
        if (args === c.arguments) return c;
        changed = true;
        return { ...c, arguments: args };
      });
      return changed ? { ...message, content, ...(toolCalls ? { toolCalls } : {}) } : message;
    }
  }
}

/** The request with every message redacted; the same object when no message held PII. */
function redactRequest(request: ModelRequest, vault: PlaceholderVault): ModelRequest {
  let changed = false;
  const messages = request.messages.map((m) => {
    const redacted = redactMessage(m, vault);
    if (redacted !== m) changed = true;
    return redacted;
  });
  return changed ? { ...request, messages } : request;
}

function restoreResponse(response: ModelResponse, vault: PlaceholderVault): ModelResponse {
  if (vault.size === 0) return { ...response, meta: Object.assign({}, response.meta, { piiRedacted: 0 }) };
  const message: AssistantMessage = {
    ...response.message,
    content: response.message.content === null ? null : vault.restore(response.message.content),
    ...(response.message.reasoning ? { reasoning: vault.restore(response.message.reasoning) } : {}),
    ...(response.message.toolCalls
      ? { toolCalls: response.message.toolCalls.map((c) => ({ ...c, arguments: vault.restore(c.arguments, { json: true }) })) }
      : {}),
  };
  return { ...response, message, meta: Object.assign({}, response.meta, { piiRedacted: vault.size }) };
}

/**
 * Reversible redaction before a request goes upstream: PII and secrets in every message become
 * numbered placeholders (`[EMAIL_1]`), and the answer has them put back — in streams too, where a
 * placeholder split across deltas is held back until it is whole. The provider never sees the values.
 */
export function redactMiddleware(options: RedactMiddlewareOptions = {}): Middleware {
  const vaultFor = () => createPlaceholderVault({ types: options.types });
  return {
    name: 'redact',
    async generate(request, context, next) {
      const vault = vaultFor();
      const response = await next(redactRequest(request, vault), context);
      return restoreResponse(response, vault);
    },
    async *stream(request, context, next) {
      const vault = vaultFor();
      const redacted = redactRequest(request, vault);
      if (vault.size === 0) {
        // Nothing was replaced, so there is nothing to put back: only the finish event needs its meta.
        for await (const event of next(redacted, context))
          yield event.type === 'finish' ? { type: 'finish', response: restoreResponse(event.response, vault) } : event;
        return;
      }
      const text = vault.streamRestorer();
      const reasoning = vault.streamRestorer();
      const args = new Map<number, ReturnType<PlaceholderVault['streamRestorer']>>();
      const argsOf = (index: number) => {
        let r = args.get(index);
        if (!r) args.set(index, (r = vault.streamRestorer({ json: true })));
        return r;
      };
      for await (const event of next(redacted, context) as AsyncIterable<StreamEvent>) {
        if (event.type === 'text-delta') {
          const delta = text.push(event.delta);
          if (delta) yield { ...event, delta };
        } else if (event.type === 'reasoning-delta') {
          const delta = reasoning.push(event.delta);
          if (delta) yield { ...event, delta };
        } else if (event.type === 'tool-call-delta') {
          const argumentsDelta = argsOf(event.index).push(event.argumentsDelta);
          if (argumentsDelta) yield { ...event, argumentsDelta };
        } else if (event.type === 'finish') {
          const rest = text.flush();
          if (rest) yield { type: 'text-delta', delta: rest };
          const restReasoning = reasoning.flush();
          if (restReasoning) yield { type: 'reasoning-delta', delta: restReasoning };
          for (const [index, r] of args) {
            const argumentsDelta = r.flush();
            if (argumentsDelta) yield { type: 'tool-call-delta', index, argumentsDelta };
          }
          yield { type: 'finish', response: restoreResponse(event.response, vault) };
        } else yield event;
      }
    },
  };
}
