import type { AssistantMessage, Message, ModelResponse, StreamEvent } from '../model/types.js';
import { createPlaceholderVault, type PiiType, type PlaceholderVault } from '../security/pii.js';
import type { Middleware } from './middleware.js';

export interface RedactMiddlewareOptions {
  /** Which types to replace (default: all). */
  types?: readonly PiiType[];
}

function redactMessage(message: Message, vault: PlaceholderVault): Message {
  switch (message.role) {
    case 'system':
    case 'tool':
      return { ...message, content: vault.redact(message.content) };
    case 'user':
      return {
        ...message,
        content: typeof message.content === 'string' ? vault.redact(message.content) : message.content.map((p) => (p.type === 'text' ? { ...p, text: vault.redact(p.text) } : p)),
      };
    case 'assistant':
      return {
        ...message,
        content: message.content === null ? null : vault.redact(message.content),
        ...(message.toolCalls ? { toolCalls: message.toolCalls.map((c) => ({ ...c, arguments: vault.redact(c.arguments) })) } : {}),
      };
  }
}

function restoreResponse(response: ModelResponse, vault: PlaceholderVault): ModelResponse {
  const message: AssistantMessage = {
    ...response.message,
    content: response.message.content === null ? null : vault.restore(response.message.content),
    ...(response.message.reasoning ? { reasoning: vault.restore(response.message.reasoning) } : {}),
    ...(response.message.toolCalls
      ? { toolCalls: response.message.toolCalls.map((c) => ({ ...c, arguments: vault.restore(c.arguments, { json: true }) })) }
      : {}),
  };
  return { ...response, message, meta: { ...response.meta, piiRedacted: vault.size } };
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
      const response = await next({ ...request, messages: request.messages.map((m) => redactMessage(m, vault)) }, context);
      return restoreResponse(response, vault);
    },
    async *stream(request, context, next) {
      const vault = vaultFor();
      const text = vault.streamRestorer();
      const reasoning = vault.streamRestorer();
      const args = new Map<number, ReturnType<PlaceholderVault['streamRestorer']>>();
      const argsOf = (index: number) => {
        let r = args.get(index);
        if (!r) args.set(index, (r = vault.streamRestorer({ json: true })));
        return r;
      };
      for await (const event of next({ ...request, messages: request.messages.map((m) => redactMessage(m, vault)) }, context) as AsyncIterable<StreamEvent>) {
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
