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

const byteBounds = new WeakMap<Message, number>();

const bytes = (text: string | undefined): number => (text ? Buffer.byteLength(text) : 0);

/**
 * An upper bound of a message's tokens without tokenizing: a byte-level BPE token covers at least
 * one UTF-8 byte, so the text's UTF-8 length bounds its tokens; the framing is a few tokens per
 * message and per tool call.
 */
function byteBoundOf(message: Message): number {
  let n = byteBounds.get(message);
  if (n === undefined) {
    switch (message.role) {
      case 'user':
        n = typeof message.content === 'string' ? bytes(message.content) : bytes(JSON.stringify(message.content)) + 1_000 * message.content.length;
        n += bytes(message.name);
        break;
      case 'assistant':
        n = bytes(message.content ?? undefined) + bytes(message.reasoning);
        for (const c of message.toolCalls ?? []) n += bytes(c.id) + bytes(c.name) + bytes(c.arguments) + 8;
        break;
      case 'tool':
        n = bytes(message.content) + bytes(message.toolCallId) + bytes(message.name);
        break;
      default:
        n = bytes(message.content);
    }
    n += 16;
    byteBounds.set(message, n);
  }
  return n;
}

/** The bound of an array's first `length` messages: a conversation grows by appends, so each check adds only the new messages. */
const arrayBounds = new WeakMap<readonly Message[], { length: number; bound: number }>();

/** An upper bound of the messages' tokens, without tokenizing (see byteBoundOf). */
export function tokenUpperBound(messages: readonly Message[]): number {
  let known = arrayBounds.get(messages);
  if (!known || known.length > messages.length) arrayBounds.set(messages, (known = { length: 0, bound: 3 }));
  for (let i = known.length; i < messages.length; i++) known.bound += byteBoundOf(messages[i]);
  known.length = messages.length;
  return known.bound;
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

/** What a settled tool result is replaced with when it is masked. */
export const MASKED_RESULT = '[tool result omitted to fit the context window; the reply after it used it]';

/**
 * Observation masking: the tool results of turns already answered (before the last user message)
 * are replaced by a short note, the calls and the replies kept. Those results are most of a
 * turn's tokens and their content lives on in the reply that used them, so this frees the most
 * room for the least loss, with no model call. Returns the same array when nothing was masked.
 */
export function maskSettledToolResults(messages: Message[]): Message[] {
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0 && lastUser < 0; i--) if (messages[i].role === 'user') lastUser = i;
  let masked: Message[] | undefined;
  for (let i = 0; i < lastUser; i++) {
    const m = messages[i];
    if (m.role !== 'tool' || m.content === MASKED_RESULT) continue;
    masked ??= [...messages];
    masked[i] = { ...m, content: MASKED_RESULT };
  }
  return masked ?? messages;
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
