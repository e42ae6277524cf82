import { countMessageTokens, tokenizerReady } from '../model/tokens.js';
import type { Message } from '../model/types.js';

/**
 * Keeps a conversation inside the model's context window. The unit of removal is a turn (a user
 * message and everything up to the next one); inside the current turn, an assistant message is
 * removed together with its tool results. A message, or a tool call and its result, is never cut.
 */

export type ContextStrategy = 'drop-oldest' | 'summarize';

export interface ContextPolicy {
  strategy?: ContextStrategy;
  /** Overrides the model's window minus the reserve: the most input tokens a call may send. */
  maxInputTokens?: number;
  /** Tokens kept free for the answer. Default DEFAULTS.agent.context.reserveOutputTokens. */
  reserveOutputTokens?: number;
  /** `summarize` compacts down to this share of the input budget (0..1). Default DEFAULTS.agent.context.summarizeToShare. */
  summarizeToShare?: number;
}

/** Per-message token counts, kept for the messages' lifetime: a run counts each message once. */
const counted = new WeakMap<Message, number>();

function tokensOf(message: Message, model: string): number {
  let n = counted.get(message);
  if (n === undefined) {
    // Before the tokenizer is loaded the count is an upper bound: kept only once it is exact.
    const exact = tokenizerReady(model);
    // The 3 tokens of reply priming are added once by the caller, not per message.
    n = countMessageTokens([message], model) - 3;
    if (exact) counted.set(message, n);
  }
  return n;
}

const charCounts = new WeakMap<Message, number>();

/**
 * An upper bound of a message's tokens without tokenizing: a byte-level BPE token covers at least
 * one UTF-8 byte, a UTF-16 unit is at most 3 bytes, and the framing is a few tokens per message
 * and per tool call.
 */
function charsOf(message: Message): number {
  let n = charCounts.get(message);
  if (n === undefined) {
    let units = 0;
    switch (message.role) {
      case 'user':
        units = typeof message.content === 'string' ? message.content.length : JSON.stringify(message.content).length + 1_000 * message.content.length;
        units += message.name?.length ?? 0;
        break;
      case 'assistant':
        units = (message.content?.length ?? 0) + (message.reasoning?.length ?? 0);
        for (const c of message.toolCalls ?? []) units += c.id.length + c.name.length + c.arguments.length + 8;
        break;
      case 'tool':
        units = message.content.length + message.toolCallId.length + (message.name?.length ?? 0);
        break;
      default:
        units = message.content.length;
    }
    n = 3 * units + 16;
    charCounts.set(message, n);
  }
  return n;
}

/** An upper bound of the messages' tokens, without tokenizing (see charsOf). */
export function tokenUpperBound(messages: readonly Message[]): number {
  let chars = 3;
  for (const m of messages) chars += charsOf(m);
  return chars;
}

/** The messages' tokens as the model's tokenizer counts them (each message counted once in its lifetime). */
export function messageTokens(messages: readonly Message[], model: string): number {
  return messages.reduce((n, m) => n + tokensOf(m, model), 3);
}

/** Whether the messages fit `budget` tokens. A character count bounds tokens from above, so most checks never tokenize. */
export function fits(messages: readonly Message[], budget: number, model: string): boolean {
  return tokenUpperBound(messages) <= budget || messageTokens(messages, model) <= budget;
}

/** Splits messages into removable units: turns, and inside the last turn, assistant+tool-result groups. */
function units(messages: readonly Message[]): { start: number; end: number; turn: boolean }[] {
  const turnStarts: number[] = [];
  messages.forEach((m, i) => {
    if (m.role === 'user' || i === 0) turnStarts.push(i);
  });
  const out: { start: number; end: number; turn: boolean }[] = [];
  for (let t = 0; t < turnStarts.length - 1; t++) out.push({ start: turnStarts[t], end: turnStarts[t + 1], turn: true });
  // The current turn: its opening message stays; its later groups may go, oldest first, except the last one.
  const last = turnStarts[turnStarts.length - 1] ?? 0;
  let i = last + 1;
  const groups: { start: number; end: number; turn: boolean }[] = [];
  while (i < messages.length) {
    let end = i + 1;
    if (messages[i].role === 'assistant') while (end < messages.length && messages[end].role === 'tool') end++;
    groups.push({ start: i, end, turn: false });
    i = end;
  }
  out.push(...groups.slice(0, -1));
  return out;
}

export interface FitResult {
  messages: Message[];
  /** The messages taken out, in order (to summarize, or to report). */
  removed: Message[];
}

/**
 * Removes the oldest units until the conversation fits `budget`. If even the newest unit does not
 * fit, it is kept whole: the provider's own error then says so, rather than a silently cut message.
 */
export function dropOldest(messages: readonly Message[], budget: number, model: string): FitResult {
  if (fits(messages, budget, model)) return { messages: [...messages], removed: [] };
  const removable = units(messages);
  const removedIdx = new Set<number>();
  let kept = [...messages];
  for (const unit of removable) {
    for (let i = unit.start; i < unit.end; i++) removedIdx.add(i);
    kept = messages.filter((_, i) => !removedIdx.has(i));
    if (fits(kept, budget, model)) break;
  }
  return { messages: kept, removed: messages.filter((_, i) => removedIdx.has(i)) };
}

export const SUMMARY_PREFIX = 'Summary of the earlier conversation (older turns were summarized to fit the context window):\n';

/** The request sent to the model to summarize removed turns. */
export function summaryPrompt(removed: readonly Message[]): Message[] {
  const transcript = removed
    .map((m) => {
      if (m.role === 'tool') return `tool result (${m.name ?? m.toolCallId}): ${m.content}`;
      if (m.role === 'assistant') {
        const calls = (m.toolCalls ?? []).map((c) => `called ${c.name}(${c.arguments})`).join('; ');
        return `assistant: ${m.content ?? ''}${calls ? ` [${calls}]` : ''}`;
      }
      return `${m.role}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}`;
    })
    .join('\n');
  return [
    {
      role: 'system',
      content:
        'Summarize this conversation excerpt for the assistant who will continue it. Keep every fact, decision, ' +
        'identifier, number and open question; drop pleasantries. Answer with the summary only.',
    },
    { role: 'user', content: transcript },
  ];
}
