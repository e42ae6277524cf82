/**
 * Local token counts: for budget reservations before a call, for costing a stream whose
 * upstream sent no usage, and for keeping a conversation inside the model's context window.
 * Uses js-tiktoken with the ranks bundled in the package (nothing is downloaded); each
 * encoding is loaded on first use (about a second, once per process).
 */
import { createRequire } from 'node:module';
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';
import { DEFAULTS } from '../defaults.js';
import { bareModelName, lookupModel } from './model-names.js';
import type { ContentPart, Message, ModelRequest } from './types.js';

type EncodingName = 'o200k_base' | 'cl100k_base';

const require = createRequire(import.meta.url);
const encoders = new Map<EncodingName, Tiktoken>();

function encoderFor(name: EncodingName): Tiktoken {
  let encoder = encoders.get(name);
  if (!encoder) {
    const ranks = require(`js-tiktoken/ranks/${name}`) as TiktokenBPE;
    encoder = new Tiktoken(ranks);
    encoders.set(name, encoder);
  }
  return encoder;
}

/** OpenAI's current families use o200k_base. Everything else, Claude and open models included, is approximated with cl100k_base. */
function encodingOf(model: string): EncodingName {
  const name = bareModelName(model);
  return /^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|chatgpt-4o|o\d)/.test(name) ? 'o200k_base' : 'cl100k_base';
}

/** Tokens of a plain text for a model. Special-token markers in the text are counted as ordinary text. */
export function countTokens(text: string, model: string): number {
  if (text.length === 0) return 0;
  return encoderFor(encodingOf(model)).encode(text, [], []).length;
}

/**
 * Per-message framing, from OpenAI's published counting recipe (openai-cookbook,
 * "How to count tokens with tiktoken"): 3 tokens per message, 1 more for a name, 3 to prime the reply.
 */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;
/** A tool call is framed like a message of its own (id, name, arguments): the same 3-token overhead plus its id. */
const TOKENS_PER_TOOL_CALL = 3;
/** OpenAI vision pricing: a low-detail image is 85 tokens; a 1024×1024 high-detail one is 765 (85 + 4 tiles × 170). */
const LOW_DETAIL_IMAGE_TOKENS = 85;
const HIGH_DETAIL_IMAGE_TOKENS = 765;

function contentTokens(content: string | ContentPart[] | null, model: string): number {
  if (content === null) return 0;
  if (typeof content === 'string') return countTokens(content, model);
  let total = 0;
  for (const part of content) {
    if (part.type === 'text') total += countTokens(part.text, model);
    else total += part.detail === 'low' ? LOW_DETAIL_IMAGE_TOKENS : HIGH_DETAIL_IMAGE_TOKENS;
  }
  return total;
}

/** Tokens a conversation takes in the prompt: each message with its framing, plus the reply priming. */
export function countMessageTokens(messages: readonly Message[], model: string): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE + countTokens(message.role, model);
    switch (message.role) {
      case 'system':
        total += countTokens(message.content, model);
        break;
      case 'user':
        total += contentTokens(message.content, model);
        if (message.name) total += TOKENS_PER_NAME + countTokens(message.name, model);
        break;
      case 'assistant':
        total += contentTokens(message.content, model);
        if (message.reasoning) total += countTokens(message.reasoning, model);
        for (const call of message.toolCalls ?? []) {
          total += TOKENS_PER_TOOL_CALL + countTokens(call.id, model) + countTokens(call.name, model) + countTokens(call.arguments, model);
        }
        break;
      case 'tool':
        total += countTokens(message.toolCallId, model) + countTokens(message.content, model);
        if (message.name) total += TOKENS_PER_NAME + countTokens(message.name, model);
        break;
    }
  }
  return total;
}

/**
 * Tokens of everything a request sends: messages, tool definitions and a response schema.
 * Tool and schema definitions are counted as their JSON text, which over-counts slightly
 * against the providers' internal rendering: the safe side for a budget reservation.
 */
export function countRequestTokens(request: Pick<ModelRequest, 'model' | 'messages' | 'tools' | 'responseFormat'>): number {
  let total = countMessageTokens(request.messages, request.model);
  if (request.tools && request.tools.length > 0) total += countTokens(JSON.stringify(request.tools), request.model);
  if (request.responseFormat?.type === 'json_schema') total += countTokens(JSON.stringify(request.responseFormat.schema), request.model);
  return total;
}

/** Context windows (input + output tokens), from the providers' model pages, keyed by family. */
const CONTEXT_WINDOWS: Readonly<Record<string, number>> = {
  'gpt-4o': 128_000,
  'gpt-4o-mini': 128_000,
  'gpt-4.1': 1_047_576,
  'gpt-4.1-mini': 1_047_576,
  'gpt-4.1-nano': 1_047_576,
  'gpt-5': 400_000,
  'gpt-5-mini': 400_000,
  'gpt-5-nano': 400_000,
  o1: 200_000,
  o3: 200_000,
  'o3-mini': 200_000,
  'o4-mini': 200_000,
  'gpt-4-turbo': 128_000,
  'gpt-4': 8_192,
  'gpt-3.5-turbo': 16_385,
  'text-embedding-3-small': 8_191,
  'text-embedding-3-large': 8_191,
  'text-embedding-ada-002': 8_191,
  'claude-opus-4-5': 200_000,
  'claude-opus-4-1': 200_000,
  'claude-opus-4': 200_000,
  // Sonnet 4 / 4.5 reach 1M tokens only behind a beta header; 200k is what a plain call gets.
  'claude-sonnet-4-5': 200_000,
  'claude-sonnet-4': 200_000,
  'claude-3-7-sonnet': 200_000,
  'claude-3-5-sonnet': 200_000,
  'claude-haiku-4-5': 200_000,
  'claude-3-5-haiku': 200_000,
  'claude-3-haiku': 200_000,
};

/** The model's context window in tokens; `fallback` (default DEFAULTS.pipeline.unknownModelContextWindow) when it is not in the table. */
export function contextWindowOf(model: string, fallback: number = DEFAULTS.pipeline.unknownModelContextWindow): number {
  return lookupModel(CONTEXT_WINDOWS, model) ?? fallback;
}

/** Whether the table knows the model's window (so a caller can tell a real size from the fallback). */
export function hasKnownContextWindow(model: string): boolean {
  return lookupModel(CONTEXT_WINDOWS, model) !== undefined;
}
