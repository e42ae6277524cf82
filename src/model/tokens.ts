/**
 * Local token counts: for budget reservations before a call, for costing a stream whose
 * upstream sent no usage, and for keeping a conversation inside the model's context window.
 * Uses the BPE ranks bundled with js-tiktoken (nothing is downloaded). Loading an encoding takes
 * a few hundred ms of CPU, so it never happens inside a count: `preloadTokenizer()` (called by
 * defineAgent and createGateway at start-up) or the first count starts it in the background, in
 * slices of DEFAULTS.pipeline.tokenizerLoadSliceMs with a turn of the event loop between them,
 * and until it is done a count is an upper bound (the text's UTF-8 bytes: every token is at
 * least one byte), the safe side for what counts guard (budgets, rate limits, context windows).
 *
 * Counts are exact (the same as js-tiktoken's `encode(text).length`) but computed here, on the
 * hot path of every budgeted or rate-limited call: js-tiktoken compiles its split pattern on
 * every call and keys its rank map by comma-joined byte lists, which made a 100-character
 * prompt cost ~150 µs and a 2,000-character one ~2 ms. Here the pattern is compiled once, ranks
 * are keyed by the piece's UTF-8 bytes as a latin1 string (the piece itself when it is ASCII),
 * pieces that need merging are memoized, and whole texts are memoized by content, so the parts
 * of a conversation resent on every turn are counted once.
 */
import type { TiktokenBPE } from 'js-tiktoken/lite';
import { DEFAULTS } from '../defaults.js';
import { bareModelName, lookupModel } from './model-names.js';
import { createTextMemo, type TextMemo } from './text-memo.js';
import type { ContentPart, Message, ModelRequest } from './types.js';

type EncodingName = 'o200k_base' | 'cl100k_base';

interface Encoding {
  /** The encoding's pre-tokenization split, compiled once. */
  split: RegExp;
  /** The same split for ASCII-only text, without Unicode property classes: several times faster. */
  asciiSplit: RegExp;
  /** Rank by token bytes, as a latin1 string. */
  ranks: Map<string, number>;
  /** Token counts of pieces that are not one token, by piece. */
  merged: Map<string, number>;
  /** Token counts of whole texts, by text. */
  texts: TextMemo<number>;
}

const encodings = new Map<EncodingName, Encoding>();
const loading = new Map<EncodingName, Promise<void>>();
/** Static imports by name, so bundlers see them; the ranks are a few MB of JS, read only when loaded. */
const RANKS: Record<EncodingName, () => Promise<{ default: TiktokenBPE }>> = {
  o200k_base: () => import('js-tiktoken/ranks/o200k_base'),
  cl100k_base: () => import('js-tiktoken/ranks/cl100k_base'),
};
/** Merged pieces kept per encoding: distinct words of a busy server fit; the map is cleared when full. */
const MAX_MERGED_PIECES = 100_000;

/** What each Unicode property class the encodings' patterns use matches among ASCII characters. */
const ASCII_CLASSES: Readonly<Record<string, string>> = { L: 'A-Za-z', Lu: 'A-Z', Ll: 'a-z', N: '0-9', Lt: '', Lm: '', Lo: '', M: '' };

/**
 * The split pattern restricted to ASCII input: each `\p{...}` becomes the ASCII characters it
 * matches (JS `\s` matches the same ASCII whitespace with or without the `u` flag), so on
 * ASCII-only text it splits exactly as the Unicode pattern does.
 */
export function asciiPattern(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const property = /^\\p\{(\w+)\}/.exec(pattern.slice(i));
      if (property) {
        const chars = ASCII_CLASSES[property[1]];
        if (chars === undefined) throw new Error(`No ASCII form for \\p{${property[1]}}`);
        out += inClass ? chars : `[${chars}]`;
        i += property[0].length - 1;
        continue;
      }
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (ch === '[') inClass = true;
    else if (ch === ']') inClass = false;
    out += ch;
  }
  return out;
}

/**
 * A turn of the event loop that does not keep the process alive (a script may end before a preload
 * is done). A timer, not an unref'd setImmediate: the event loop would block in its I/O poll with
 * only the latter pending, and a slice would wait for unrelated I/O to run.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0).unref());
}

/**
 * Builds an encoding's rank map in slices with a turn of the event loop between them, so requests
 * in flight are served meanwhile. Each token's base64 is decoded with atob, whose "binary string"
 * is the token's bytes as latin1 (twice as fast as Buffer.from per token, measured).
 */
async function loadEncoding(name: EncodingName): Promise<Encoding> {
  const bpe = (await RANKS[name]()).default;
  const ranks = new Map<string, number>();
  const sliceMs = DEFAULTS.pipeline.tokenizerLoadSliceMs;
  // Lines are `<name> <first rank> <base64 token> <base64 token> ...`, as js-tiktoken reads them.
  // Tokens are read by index, not split: splitting the whole ranks text at once held the event loop for ~50 ms.
  const text = bpe.bpe_ranks;
  let sliceStart = performance.now();
  for (let lineStart = 0; lineStart < text.length;) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    const nameEnd = text.indexOf(' ', lineStart);
    let at = text.indexOf(' ', nameEnd + 1);
    let rank = Number.parseInt(text.slice(nameEnd + 1, at), 10);
    while (at !== -1 && at < lineEnd) {
      let end = text.indexOf(' ', at + 1);
      if (end === -1 || end > lineEnd) end = lineEnd;
      ranks.set(atob(text.slice(at + 1, end)), rank++);
      at = end < lineEnd ? end : -1;
      if ((rank & 1023) === 0 && performance.now() - sliceStart > sliceMs) {
        await nextTurn();
        sliceStart = performance.now();
      }
    }
    lineStart = lineEnd + 1;
  }
  return {
    split: new RegExp(bpe.pat_str, 'gu'),
    asciiSplit: new RegExp(asciiPattern(bpe.pat_str), 'g'),
    ranks,
    merged: new Map(),
    texts: createTextMemo({ maxChars: DEFAULTS.pipeline.tokenCountMemoChars }),
  };
}

function startLoading(name: EncodingName): Promise<void> {
  let promise = loading.get(name);
  if (!promise) {
    promise = loadEncoding(name).then(
      (encoding) => void encodings.set(name, encoding),
      (error: unknown) => {
        // Counts stay upper bounds; the next count or preload tries again.
        loading.delete(name);
        throw error;
      },
    );
    loading.set(name, promise);
  }
  return promise;
}

/**
 * Starts loading the tokenizer: the encoding `model` is counted with, or every encoding. Resolves
 * when it is loaded; until then counts are upper bounds. Cheap to call again. The load's own turns
 * do not keep a process alive; a caller that awaits the load does, unless it says `background`
 * (what defineAgent and the gateway do: a short script should not wait for a load it never needs).
 */
export function preloadTokenizer(model?: string, options: { background?: boolean } = {}): Promise<void> {
  const names: EncodingName[] = model === undefined ? ['o200k_base', 'cl100k_base'] : [encodingOf(model)];
  const loaded = Promise.all(names.map(startLoading)).then(() => undefined);
  if (options.background || names.every((name) => encodings.has(name))) return loaded;
  const keepAlive = setInterval(() => {}, 60_000);
  return loaded.finally(() => clearInterval(keepAlive));
}

/** Whether counts for `model` are exact (its encoding is loaded) rather than upper bounds. */
export function tokenizerReady(model: string): boolean {
  return encodings.has(encodingOf(model));
}

/** The UTF-8 bytes of `piece` as a latin1 string: the piece itself when it is ASCII. */
function byteString(piece: string): string {
  for (let i = 0; i < piece.length; i++) {
    if (piece.charCodeAt(i) > 0x7f) return Buffer.from(piece, 'utf8').toString('latin1');
  }
  return piece;
}

/** Tokens of one piece that is not a token itself: byte-pair merges, lowest rank first, as tiktoken does. */
function mergedTokens(bytes: string, ranks: Map<string, number>): number {
  // Part boundaries: part i spans bytes [starts[i], starts[i + 1]).
  const starts: number[] = [];
  for (let i = 0; i <= bytes.length; i++) starts.push(i);
  while (starts.length > 2) {
    let minRank = Infinity;
    let at = -1;
    for (let i = 0; i < starts.length - 2; i++) {
      const rank = ranks.get(bytes.slice(starts[i], starts[i + 2]));
      if (rank !== undefined && rank < minRank) {
        minRank = rank;
        at = i;
      }
    }
    if (at === -1) break;
    starts.splice(at + 1, 1);
  }
  // Parts without a rank produce no token (tiktoken drops them; with byte-level ranks there are none).
  let count = 0;
  for (let i = 0; i < starts.length - 1; i++) if (ranks.has(bytes.slice(starts[i], starts[i + 1]))) count++;
  return count;
}

/** Any character above U+007F: such text needs the Unicode split. */
const NON_ASCII = /[\u0080-\uffff]/;

function countWith(encoding: Encoding, text: string): number {
  const { ranks, merged } = encoding;
  const split = NON_ASCII.test(text) ? encoding.split : encoding.asciiSplit;
  let count = 0;
  split.lastIndex = 0;
  for (let match = split.exec(text); match !== null; match = split.exec(text)) {
    const piece = match[0];
    const bytes = byteString(piece);
    if (ranks.has(bytes)) {
      count++;
      continue;
    }
    let n = merged.get(piece);
    if (n === undefined) {
      if (merged.size >= MAX_MERGED_PIECES) merged.clear();
      merged.set(piece, (n = mergedTokens(bytes, ranks)));
    }
    count += n;
  }
  return count;
}

/** OpenAI's current families use o200k_base. Everything else, Claude and open models included, is approximated with cl100k_base. */
function encodingOf(model: string): EncodingName {
  const name = bareModelName(model);
  return /^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|chatgpt-4o|o\d)/.test(name) ? 'o200k_base' : 'cl100k_base';
}

/**
 * Tokens of a plain text for a model. Special-token markers in the text are counted as ordinary
 * text. Before the model's encoding is loaded: its UTF-8 byte count, an upper bound, and the
 * encoding starts loading in the background (see preloadTokenizer).
 */
export function countTokens(text: string, model: string): number {
  if (text.length === 0) return 0;
  const name = encodingOf(model);
  const encoding = encodings.get(name);
  if (!encoding) {
    startLoading(name).catch(() => {});
    return Buffer.byteLength(text, 'utf8');
  }
  let count = encoding.texts.get(text);
  if (count === undefined) encoding.texts.set(text, (count = countWith(encoding, text)));
  return count;
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
